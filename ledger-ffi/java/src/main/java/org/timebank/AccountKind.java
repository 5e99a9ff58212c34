package org.timebank;

/** What an account is for (the numbers are the library's). */
public enum AccountKind {
    MEMBER(1), GROUP(2), ISSUER(3), GUARANTEE(4), CLEARING(5), REDEMPTION(6), EXPIRY(7), DONATION(8);

    final int number;

    AccountKind(int number) {
        this.number = number;
    }

    static AccountKind of(int number) {
        for (AccountKind kind : values()) {
            if (kind.number == number) {
                return kind;
            }
        }
        throw new IllegalArgumentException("no account kind " + number);
    }
}
