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
     * digits, a NUL inside) is refused.
     *
     * @throws InvalidAmountException if the text is not such an amount
     */
    public static long toMinor(String amount, int scale) {
        if (amount != null && amount.indexOf('\0') >= 0) {
            throw new InvalidAmountException("amount contains a NUL character at index " + amount.indexOf('\0'));
        }
        int scaleBits = Arguments.u32(scale, "scale");
        long[] minor = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_amount_parse(Calls.cString(amount), scaleBits, minor, error), error);
        return minor[0];
    }

    /**
     * The amount of {@code minor} units of {@code scale}, exactly and at that scale (250 at
     * scale 2 is 2.50, 50 is 0.50, so {@code equals} holds with 2-decimal values).
     */
    public static BigDecimal fromMinor(long minor, int scale) {
        return BigDecimal.valueOf(minor, Arguments.within(scale, 0, Integer.MAX_VALUE, "scale"));
    }

    /** The amount checked as the ledger checks it for a unit of {@code scale} places. */
    public static BigDecimal parse(String amount, int scale) {
        return fromMinor(toMinor(amount, scale), scale);
    }
}
