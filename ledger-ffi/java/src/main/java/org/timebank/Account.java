package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;

/** An account as the ledger keeps it; decimals are exact, at the unit's scale ("0.50"). */
public final class Account {
    public final UInt128 id;
    public final int unit;
    public final AccountKind kind;
    /** 0 to 2^32 - 1 (a {@code uint32_t}). */
    public final long community;
    public final UInt128 userData;
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
        id = Layout.id(b, Layout.ACCOUNT_ID);
        userData = Layout.id(b, Layout.ACCOUNT_USER_DATA);
        timestamp = b.getLong(Layout.ACCOUNT_TIMESTAMP);
        eligibleFrom = b.getLong(Layout.ACCOUNT_ELIGIBLE_FROM);
        community = b.getInt(Layout.ACCOUNT_COMMUNITY) & 0xffff_ffffL;
        unit = b.getShort(Layout.ACCOUNT_UNIT) & 0xffff;
        kind = AccountKind.of(b.get(Layout.ACCOUNT_KIND) & 0xff);
        closed = b.get(Layout.ACCOUNT_CLOSED) != 0;
        floor = Layout.decimal(b, Layout.ACCOUNT_FLOOR);
        ceiling = Layout.decimal(b, Layout.ACCOUNT_CEILING);
        debitsPending = Layout.decimal(b, Layout.ACCOUNT_DEBITS_PENDING);
        debitsPosted = Layout.decimal(b, Layout.ACCOUNT_DEBITS_POSTED);
        creditsPending = Layout.decimal(b, Layout.ACCOUNT_CREDITS_PENDING);
        creditsPosted = Layout.decimal(b, Layout.ACCOUNT_CREDITS_POSTED);
        balance = Layout.decimal(b, Layout.ACCOUNT_BALANCE);
        available = Layout.decimal(b, Layout.ACCOUNT_AVAILABLE);
    }
}
