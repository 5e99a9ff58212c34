package org.timebank;

import java.nio.ByteBuffer;

/** The store's head, counts and state digest (equal digests, equal ledgers). */
public final class StoreStatus {
    public final long headSequence;
    public final long journalBytes;
    public final long accounts;
    public final long transfers;
    public final long indexedSequence;
    private final byte[] headHash;
    private final byte[] stateDigest;

    StoreStatus(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        headSequence = b.getLong(0);
        journalBytes = b.getLong(8);
        accounts = b.getLong(16);
        transfers = b.getLong(24);
        indexedSequence = b.getLong(32);
        headHash = Layout.bytes(b, 40, 32);
        stateDigest = Layout.bytes(b, 72, 32);
    }

    public byte[] headHash() {
        return headHash.clone();
    }

    public byte[] stateDigest() {
        return stateDigest.clone();
    }
}
