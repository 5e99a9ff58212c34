package org.timebank;

/**
 * What {@link Exchange#receive} decided: the verdict, the receiving ledger's result code when
 * the verdict is {@link Verdict#REFUSED_BY_LEDGER} (else 0), and the reply to carry back to the
 * message's sender (for an offer: a receipt or a refusal), or {@code null}.
 */
public final class Received {
    public final Verdict verdict;
    public final int ledgerCode;
    private final byte[] reply;

    Received(Verdict verdict, int ledgerCode, byte[] reply) {
        this.verdict = verdict;
        this.ledgerCode = ledgerCode;
        this.reply = reply;
    }

    /** The reply to carry back (a copy), or {@code null} when there is none. */
    public byte[] reply() {
        return reply == null ? null : reply.clone();
    }

    /** Whether the message was applied, now or before. */
    public boolean honoured() {
        return verdict == Verdict.OK || verdict == Verdict.EXISTS;
    }

    @Override
    public String toString() {
        return "Received{" + verdict + (ledgerCode != 0 ? ", ledgerCode=" + ledgerCode : "")
                + (reply != null ? ", reply of " + reply.length + " bytes" : "") + "}";
    }
}
