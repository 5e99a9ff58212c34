package org.timebank;

import java.math.BigDecimal;

/**
 * A transfer request with a decimal amount ({@code null}: as in the pending transfer). Every
 * field is range-checked when it is submitted ({@link IllegalArgumentException} naming it,
 * nothing submitted): {@code unit}, {@code code} and {@code flags} are {@code uint16_t}, {@code
 * timeoutS} a {@code uint32_t}.
 */
public final class Transfer {
    final UInt128 id;
    final UInt128 debit;
    final UInt128 credit;
    final BigDecimal amount;
    final int unit;
    final int code;
    int flags;
    UInt128 relatedId = UInt128.ZERO;
    long timeoutS;
    UInt128 userData = UInt128.ZERO;

    public Transfer(UInt128 id, UInt128 debit, UInt128 credit, BigDecimal amount, int unit, int code) {
        this.id = Arguments.id(id, "id");
        this.debit = Arguments.id(debit, "debit");
        this.credit = Arguments.id(credit, "credit");
        this.amount = amount;
        this.unit = unit;
        this.code = code;
    }

    /** As {@link #Transfer(UInt128, UInt128, UInt128, BigDecimal, int, int)}, for ids below 2^63. */
    public Transfer(long id, long debit, long credit, BigDecimal amount, int unit, int code) {
        this(Arguments.id(id, "id"), Arguments.id(debit, "debit"), Arguments.id(credit, "credit"), amount, unit, code);
    }

    public Transfer flags(int flags) {
        this.flags = flags;
        return this;
    }

    public Transfer relatedId(UInt128 relatedId) {
        this.relatedId = Arguments.id(relatedId, "relatedId");
        return this;
    }

    public Transfer relatedId(long relatedId) {
        return relatedId(Arguments.id(relatedId, "relatedId"));
    }

    public Transfer timeoutS(long timeoutS) {
        this.timeoutS = timeoutS;
        return this;
    }

    public Transfer userData(UInt128 userData) {
        this.userData = Arguments.id(userData, "userData");
        return this;
    }

    public Transfer userData(long userData) {
        return userData(Arguments.id(userData, "userData"));
    }
}
