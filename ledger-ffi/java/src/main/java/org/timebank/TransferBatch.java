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
        if (capacity < 1 || capacity > MAX) {
            throw new InvalidArgumentException("capacity must be 1 to " + MAX + ", not " + capacity);
        }
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

    /** Appends a plain transfer. */
    public TransferBatch add(long id, long debit, long credit, long amountMinor, int unit, int code) {
        return add(id, debit, credit, amountMinor, unit, code, 0, 0, 0, 0);
    }

    /** Appends a transfer with every field (ids and amounts are checked on submission). */
    public TransferBatch add(long id, long debit, long credit, long amountMinor, int unit, int code,
            int flags, long relatedId, int timeoutS, long userData) {
        if (count >= capacity) {
            throw new InvalidArgumentException("the batch is full (" + capacity + " transfers)");
        }
        int o = count * Layout.TRANSFER;
        buffer.putLong(o, id).putLong(o + 8, 0);
        buffer.putLong(o + 16, debit).putLong(o + 24, 0);
        buffer.putLong(o + 32, credit).putLong(o + 40, 0);
        buffer.putLong(o + 48, relatedId).putLong(o + 56, 0);
        buffer.putLong(o + 64, userData).putLong(o + 72, 0);
        buffer.putLong(o + 80, amountMinor);
        buffer.putInt(o + 88, timeoutS);
        buffer.putShort(o + 92, (short) unit).putShort(o + 94, (short) code).putShort(o + 96, (short) flags);
        buffer.putShort(o + 98, (short) 0).putShort(o + 100, (short) 0).putShort(o + 102, (short) 0);
        count++;
        return this;
    }
}
