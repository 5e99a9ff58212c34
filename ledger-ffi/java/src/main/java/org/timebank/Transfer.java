package org.timebank;

import java.math.BigDecimal;

/** A transfer request with a decimal amount ({@code null}: as in the pending transfer). */
public final class Transfer {
    final long id;
    final long debit;
    final long credit;
    final BigDecimal amount;
    final int unit;
    final int code;
    int flags;
    long relatedId;
    int timeoutS;
    long userData;

    public Transfer(long id, long debit, long credit, BigDecimal amount, int unit, int code) {
        this.id = id;
        this.debit = debit;
        this.credit = credit;
        this.amount = amount;
        this.unit = unit;
        this.code = code;
    }

    public Transfer flags(int flags) {
        this.flags = flags;
        return this;
    }

    public Transfer relatedId(long relatedId) {
        this.relatedId = relatedId;
        return this;
    }

    public Transfer timeoutS(int timeoutS) {
        this.timeoutS = timeoutS;
        return this;
    }

    public Transfer userData(long userData) {
        this.userData = userData;
        return this;
    }
}
