package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;

/** A transfer as the ledger keeps it. */
public final class TransferRecord {
    /** {@link #state} values. */
    public static final int POSTED = 1, PENDING = 2, PENDING_POSTED = 3, PENDING_VOIDED = 4, PENDING_EXPIRED = 5;

    public final long id;
    public final long debitAccountId;
    public final long creditAccountId;
    public final long relatedId;
    public final long userData;
    /** The reversal that undid it; 0 when none. */
    public final long reversedBy;
    public final long timestamp;
    public final int timeoutS;
    public final int unit;
    public final int code;
    public final int flags;
    public final int state;
    public final BigDecimal amount;

    TransferRecord(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        id = b.getLong(0);
        debitAccountId = b.getLong(16);
        creditAccountId = b.getLong(32);
        relatedId = b.getLong(48);
        userData = b.getLong(64);
        reversedBy = b.getLong(80);
        timestamp = b.getLong(96);
        timeoutS = b.getInt(104);
        unit = b.getShort(108) & 0xffff;
        code = b.getShort(110) & 0xffff;
        flags = b.getShort(112) & 0xffff;
        state = b.get(114);
        amount = Layout.decimal(b, 120);
    }
}
