package org.timebank;

import java.nio.ByteBuffer;

/** What {@link Store#verify} checked. */
public final class VerifyReport {
    public final long records;
    public final long journalBytes;
    public final long checkpointsVerified;
    public final long headSequence;
    public final boolean macsChecked;
    public final boolean indexChecked;
    private final byte[] stateDigest;

    VerifyReport(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        records = b.getLong(0);
        journalBytes = b.getLong(8);
        checkpointsVerified = b.getLong(16);
        headSequence = b.getLong(24);
        macsChecked = b.get(32) != 0;
        indexChecked = b.get(33) != 0;
        stateDigest = Layout.bytes(b, 72, 32);
    }

    public byte[] stateDigest() {
        return stateDigest.clone();
    }
}
