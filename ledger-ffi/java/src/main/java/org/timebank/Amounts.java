package org.timebank;

import java.math.BigDecimal;

/**
 * Amounts as {@link BigDecimal}: passed to the library as exact plain text and validated there
 * (never rounded), and read back exactly.
 */
public final class Amounts {
    private Amounts() {}

    /**
     * The amount in minor units of {@code scale} ({@code 2.5} at scale 2 is 250).
     *
     * @throws InvalidAmountException if it is not positive, has more than {@code scale}
     *     significant decimals, or exceeds the largest amount
     */
    public static long toMinor(BigDecimal amount, int scale) {
        return toMinor(amount == null ? null : amount.toPlainString(), scale);
    }

    /**
     * The amount written as plain decimal text ({@code "2.5"}) in minor units of {@code scale}.
     * Anything else ({@code "1e3"}, {@code "NaN"}, {@code "-1"}, {@code "1,5"}, full-width
     * digits) is refused.
     *
     * @throws InvalidAmountException if the text is not such an amount
     */
    public static long toMinor(String amount, int scale) {
        long[] minor = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_amount_parse(Calls.cString(amount), scale, minor, error), error);
        return minor[0];
    }

    /** The amount of {@code minor} units of {@code scale}, exactly (250 at scale 2 is 2.50). */
    public static BigDecimal fromMinor(long minor, int scale) {
        return BigDecimal.valueOf(minor, scale);
    }

    /** The amount checked as the ledger checks it for a unit of {@code scale} places. */
    public static BigDecimal parse(String amount, int scale) {
        return fromMinor(toMinor(amount, scale), scale);
    }
}
