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
        headSequence = b.getLong(Layout.INFO_HEAD_SEQUENCE);
        journalBytes = b.getLong(Layout.INFO_JOURNAL_BYTES);
        accounts = b.getLong(Layout.INFO_ACCOUNTS);
        transfers = b.getLong(Layout.INFO_TRANSFERS);
        indexedSequence = b.getLong(Layout.INFO_INDEXED_SEQUENCE);
        headHash = Layout.bytes(b, Layout.INFO_HEAD_HASH, 32);
        stateDigest = Layout.bytes(b, Layout.INFO_STATE_DIGEST, 32);
    }

    public byte[] headHash() {
        return headHash.clone();
    }

    public byte[] stateDigest() {
        return stateDigest.clone();
    }
}
