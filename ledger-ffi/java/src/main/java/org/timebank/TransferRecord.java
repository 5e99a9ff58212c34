package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;

/** A transfer as the ledger keeps it. */
public final class TransferRecord {
    /** {@link #state} values. */
    public static final int POSTED = 1, PENDING = 2, PENDING_POSTED = 3, PENDING_VOIDED = 4, PENDING_EXPIRED = 5;

    public final UInt128 id;
    public final UInt128 debitAccountId;
    public final UInt128 creditAccountId;
    public final UInt128 relatedId;
    public final UInt128 userData;
    /** The reversal that undid it; {@link UInt128#ZERO} when none. */
    public final UInt128 reversedBy;
    public final long timestamp;
    /** 0 to 2^32 - 1 (a {@code uint32_t}). */
    public final long timeoutS;
    public final int unit;
    public final int code;
    public final int flags;
    public final int state;
    /** At the unit's scale ("0.50"). */
    public final BigDecimal amount;

    TransferRecord(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        id = Layout.id(b, Layout.INFO_ID);
        debitAccountId = Layout.id(b, Layout.INFO_DEBIT_ACCOUNT_ID);
        creditAccountId = Layout.id(b, Layout.INFO_CREDIT_ACCOUNT_ID);
        relatedId = Layout.id(b, Layout.INFO_RELATED_ID);
        userData = Layout.id(b, Layout.INFO_USER_DATA);
        reversedBy = Layout.id(b, Layout.INFO_REVERSED_BY);
        timestamp = b.getLong(Layout.INFO_TIMESTAMP);
        timeoutS = b.getInt(Layout.INFO_TIMEOUT_S) & 0xffff_ffffL;
        unit = b.getShort(Layout.INFO_UNIT) & 0xffff;
        code = b.getShort(Layout.INFO_CODE) & 0xffff;
        flags = b.getShort(Layout.INFO_FLAGS) & 0xffff;
        state = b.get(Layout.INFO_STATE) & 0xff;
        amount = Layout.decimal(b, Layout.INFO_AMOUNT);
    }
}
