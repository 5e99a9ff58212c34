package org.timebank;

import java.math.BigDecimal;

/** An offer of this ledger whose hold is still pending, with the offer to deliver again. */
public final class PendingExchange {
    public final long number;
    public final long to;
    public final int unit;
    public final BigDecimal amount;
    public final UInt128 source;
    public final UInt128 destination;
    /** Nanoseconds since the Unix epoch. */
    public final long deadline;
    private final byte[] offer;

    PendingExchange(long number, long to, int unit, BigDecimal amount, UInt128 source, UInt128 destination, long deadline,
            byte[] offer) {
        this.number = number;
        this.to = to;
        this.unit = unit;
        this.amount = amount;
        this.source = source;
        this.destination = destination;
        this.deadline = deadline;
        this.offer = offer;
    }

    /** The signed offer (its JSON form, a copy). */
    public byte[] offer() {
        return offer.clone();
    }
}
