package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;

/** An account as the ledger keeps it; decimals are exact. */
public final class Account {
    public final long id;
    public final int unit;
    public final AccountKind kind;
    public final int community;
    public final long userData;
    public final long timestamp;
    public final long eligibleFrom;
    public final boolean closed;
    /** {@code null} when none. */
    public final BigDecimal floor;
    /** {@code null} when none. */
    public final BigDecimal ceiling;
    public final BigDecimal debitsPending;
    public final BigDecimal debitsPosted;
    public final BigDecimal creditsPending;
    public final BigDecimal creditsPosted;
    /** Posted credits minus posted debits: what the account holds. */
    public final BigDecimal balance;
    /** The balance less pending debits (holds). */
    public final BigDecimal available;

    Account(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        id = b.getLong(0);
        userData = b.getLong(16);
        timestamp = b.getLong(32);
        eligibleFrom = b.getLong(40);
        community = b.getInt(48);
        unit = b.getShort(52) & 0xffff;
        kind = AccountKind.of(b.get(54));
        closed = b.get(55) != 0;
        int d = 56;
        floor = Layout.decimal(b, d);
        ceiling = Layout.decimal(b, d + 48);
        debitsPending = Layout.decimal(b, d + 96);
        debitsPosted = Layout.decimal(b, d + 144);
        creditsPending = Layout.decimal(b, d + 192);
        creditsPosted = Layout.decimal(b, d + 240);
        balance = Layout.decimal(b, d + 288);
        available = Layout.decimal(b, d + 336);
    }
}
