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
        records = b.getLong(Layout.REPORT_RECORDS);
        journalBytes = b.getLong(Layout.REPORT_JOURNAL_BYTES);
        checkpointsVerified = b.getLong(Layout.REPORT_CHECKPOINTS_VERIFIED);
        headSequence = b.getLong(Layout.REPORT_HEAD_SEQUENCE);
        macsChecked = b.get(Layout.REPORT_MACS_CHECKED) != 0;
        indexChecked = b.get(Layout.REPORT_INDEX_CHECKED) != 0;
        stateDigest = Layout.bytes(b, Layout.REPORT_STATE_DIGEST, 32);
    }

    public byte[] stateDigest() {
        return stateDigest.clone();
    }
}
