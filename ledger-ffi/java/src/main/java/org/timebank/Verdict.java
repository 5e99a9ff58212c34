package org.timebank;

/**
 * What a ledger decided about an exchange message, with the C ABI's stable numbers ({@code
 * TIMEBANK_VERDICT_*}). {@link #OK} and {@link #EXISTS} mean the message was honoured ({@code
 * EXISTS}: before, so nothing changed); every other verdict is a refusal that changed no
 * balance.
 */
public enum Verdict {
    /** Applied: the receiver credited the destination, or the sender posted or voided its hold. */
    OK(0),
    /** Applied before (a duplicated, replayed or reordered message): nothing changed. */
    EXISTS(1),
    /** The bytes or JSON are not an exchange message. */
    MALFORMED(10),
    /** A message version this ledger does not speak. */
    VERSION_UNSUPPORTED(11),
    /** The sending ledger is not a registered peer. */
    UNKNOWN_PEER(12),
    /** Signed with another key than the peer's registered one. */
    WRONG_KEY(13),
    /** The signature does not verify with the peer's key (forged or altered). */
    FORGED(14),
    /** The message is addressed to another ledger. */
    NOT_ADDRESSED_HERE(15),
    /** Final refusal: the offer's deadline had passed when it arrived. */
    PAST_DEADLINE(16),
    /** Final refusal: the receiver has no unit of that name. */
    UNIT_UNKNOWN(17),
    /** Final refusal: the amount has more decimals than the unit allows there. */
    AMOUNT_OUTSIDE_SCALE(18),
    /** Final refusal: the destination is not a member or group account of the unit there. */
    DESTINATION_INVALID(19),
    /** Final refusal: the receiver's ledger refused the credit ({@link Received#ledgerCode}). */
    REFUSED_BY_LEDGER(20),
    /** Final refusal: the policy gives the unit no clearing code. */
    UNIT_NOT_EXCHANGEABLE(21),
    /** A receipt or refusal for an exchange this ledger never offered. */
    UNKNOWN_EXCHANGE(22),
    /** An answer to another offer than the one this ledger made for that exchange. */
    ANSWER_MISMATCH(23),
    /** A receipt for an exchange this ledger already voided (an operator must look). */
    ALREADY_VOIDED(24),
    /** A final refusal for an exchange this ledger already posted (an operator must look). */
    ALREADY_POSTED(25),
    /** The receiver already applied another offer with this exchange id. */
    CONFLICTING_OFFER(26),
    /** A refusal that is not final: the hold stays until a receipt or a final refusal. */
    REFUSAL_NOT_FINAL(27);

    /** The stable number. */
    public final int number;

    Verdict(int number) {
        this.number = number;
    }

    /** The verdict with this number. */
    public static Verdict of(int number) {
        for (Verdict v : values()) {
            if (v.number == number) {
                return v;
            }
        }
        throw new IllegalArgumentException("no verdict " + number);
    }

    /** The library's snake_case name, such as "forged". */
    public String stableName() {
        return Calls.peek(ExchangeNative.timebank_exchange_verdict_name((short) number));
    }
}
