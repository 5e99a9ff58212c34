package org.timebank;

import java.nio.ByteBuffer;

/**
 * Transfers packed straight into the C layout: the fast path. Amounts are in minor units of the
 * unit's scale (250 is 2.5 hours at scale 2). Reuse a batch with {@link #clear()}. Not for use by
 * several threads at once.
 */
public final class TransferBatch {
    /** Most transfers in one batch. */
    public static final int MAX = 8190;

    /** Transfer flags. */
    public static final int LINKED = 1, PENDING = 2, POST_PENDING = 4, VOID_PENDING = 8,
            BALANCING_DEBIT = 16, BALANCING_CREDIT = 32, CLOSING_DEBIT = 64, CLOSING_CREDIT = 128,
            REVERSAL = 256;

    final byte[] bytes;
    private final ByteBuffer buffer;
    private final int capacity;
    int count;

    public TransferBatch(int capacity) {
        Arguments.within(capacity, 1, MAX, "capacity");
        this.capacity = capacity;
        this.bytes = new byte[capacity * Layout.TRANSFER];
        this.buffer = Layout.wrap(bytes);
    }

    public int size() {
        return count;
    }

    public void clear() {
        count = 0;
    }

    /** Appends a plain transfer (ids below 2^63). */
    public TransferBatch add(long id, long debit, long credit, long amountMinor, int unit, int code) {
        return add(id, debit, credit, amountMinor, unit, code, 0, 0, 0, 0);
    }

    /** Appends a transfer with every field (ids below 2^63; see the {@link UInt128} form). */
    public TransferBatch add(long id, long debit, long credit, long amountMinor, int unit, int code,
            int flags, long relatedId, long timeoutS, long userData) {
        return add(Arguments.id(id, "id"), Arguments.id(debit, "debit"), Arguments.id(credit, "credit"), amountMinor,
                unit, code, flags, Arguments.id(relatedId, "relatedId"), timeoutS, Arguments.id(userData, "userData"));
    }

    /**
     * Appends a transfer with every field. Each is range-checked here ({@link
     * IllegalArgumentException} naming it, nothing appended): {@code amountMinor} not negative,
     * {@code unit}, {@code code}, {@code flags} 0 to 65535, {@code timeoutS} 0 to 2^32 - 1. Ids
     * and amounts are checked again by the library on submission.
     */
    public TransferBatch add(UInt128 id, UInt128 debit, UInt128 credit, long amountMinor, int unit, int code,
            int flags, UInt128 relatedId, long timeoutS, UInt128 userData) {
        if (count >= capacity) {
            throw new InvalidArgumentException("the batch is full (" + capacity + " transfers)");
        }
        Arguments.id(id, "id");
        Arguments.id(debit, "debit");
        Arguments.id(credit, "credit");
        Arguments.id(relatedId, "relatedId");
        Arguments.id(userData, "userData");
        long amount = Arguments.u64(amountMinor, "amountMinor");
        int timeout = Arguments.u32(timeoutS, "timeoutS");
        short unitBits = Arguments.u16(unit, "unit");
        short codeBits = Arguments.u16(code, "code");
        short flagBits = Arguments.u16(flags, "flags");
        int o = count * Layout.TRANSFER;
        Layout.putId(buffer, o + Layout.TRANSFER_ID, id);
        Layout.putId(buffer, o + Layout.TRANSFER_DEBIT_ACCOUNT_ID, debit);
        Layout.putId(buffer, o + Layout.TRANSFER_CREDIT_ACCOUNT_ID, credit);
        Layout.putId(buffer, o + Layout.TRANSFER_RELATED_ID, relatedId);
        Layout.putId(buffer, o + Layout.TRANSFER_USER_DATA, userData);
        buffer.putLong(o + Layout.TRANSFER_AMOUNT_MINOR, amount);
        buffer.putInt(o + Layout.TRANSFER_TIMEOUT_S, timeout);
        buffer.putShort(o + Layout.TRANSFER_UNIT, unitBits);
        buffer.putShort(o + Layout.TRANSFER_CODE, codeBits);
        buffer.putShort(o + Layout.TRANSFER_FLAGS, flagBits);
        for (int r = 0; r < 6; r++) {
            buffer.put(o + Layout.TRANSFER_RESERVED + r, (byte) 0);
        }
        count++;
        return this;
    }
}
