package org.timebank;

import java.nio.ByteBuffer;

/**
 * What a domain operation did, as the ledger remembers it under the operation's request id
 * ({@link Store#operation(UInt128)}).
 */
public final class OperationOutcome {
    /** The ledger's timestamp of its first event (ns since the epoch); 0 when it was refused. */
    public final long timestamp;
    /** How many transfers it made: ids {@code id}, {@code id + 1}, ... */
    public final long transfers;
    /** How many empty accounts it closed (a closing). */
    public final long closed;
    /** 0 when it applied, else the result code it was refused with ({@link RefusedException#code()}). */
    public final int code;

    OperationOutcome(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        timestamp = b.getLong(Layout.OUTCOME_TIMESTAMP);
        transfers = b.getLong(Layout.OUTCOME_TRANSFERS);
        closed = b.getLong(Layout.OUTCOME_CLOSED);
        code = b.getShort(Layout.OUTCOME_CODE) & 0xffff;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof OperationOutcome)) {
            return false;
        }
        OperationOutcome o = (OperationOutcome) other;
        return timestamp == o.timestamp && transfers == o.transfers && closed == o.closed && code == o.code;
    }

    @Override
    public int hashCode() {
        return (int) (timestamp ^ (timestamp >>> 32)) * 31 + (int) transfers * 7 + (int) closed + code;
    }

    @Override
    public String toString() {
        return "OperationOutcome(timestamp=" + timestamp + ", transfers=" + transfers + ", closed=" + closed + ", code="
                + code + ")";
    }
}
