package org.timebank;

import java.io.Serializable;
import java.math.BigInteger;

/**
 * An unsigned 128-bit number: the ledger's ids (accounts, transfers) and user data. Java has no
 * unsigned 128-bit type, so the value is two {@code long}s (the high and the low 64 bits, each
 * read as unsigned), with {@link BigInteger} and decimal text conversions both ways. Reads never
 * drop the high half: an id above 2<sup>64</sup> read from a store comes back whole.
 *
 * <p>Immutable; {@link #equals}, {@link #hashCode} and {@link #compareTo} (unsigned order) make
 * it a map key.
 */
public final class UInt128 implements Comparable<UInt128>, Serializable {
    private static final long serialVersionUID = 1L;
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final BigInteger MASK_64 = TWO_64.subtract(BigInteger.ONE);

    /** 0, which is never an id (the library refuses it where an id is needed). */
    public static final UInt128 ZERO = new UInt128(0, 0);
    /** 2<sup>128</sup> - 1. */
    public static final UInt128 MAX = new UInt128(-1L, -1L);
    /** 2<sup>128</sup> - 1 as a BigInteger. */
    public static final BigInteger MAX_VALUE = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    private final long high;
    private final long low;

    private UInt128(long high, long low) {
        this.high = high;
        this.low = low;
    }

    /**
     * The number {@code value}, which must not be negative: a negative {@code long} is refused,
     * never read as a large unsigned number (for the full 64-bit range use {@link
     * #ofUnsigned}).
     *
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public static UInt128 of(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("an id must not be negative, not " + value);
        }
        return new UInt128(0, value);
    }

    /** The number whose 64 bits are those of {@code bits} read as unsigned (-1 is 2^64 - 1). */
    public static UInt128 ofUnsigned(long bits) {
        return new UInt128(0, bits);
    }

    /** The number {@code high} * 2<sup>64</sup> + {@code low}, both halves read as unsigned. */
    public static UInt128 of(long high, long low) {
        return new UInt128(high, low);
    }

    /**
     * The number {@code value}.
     *
     * @throws IllegalArgumentException if it is negative or above 2<sup>128</sup> - 1
     */
    public static UInt128 of(BigInteger value) {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null");
        }
        if (value.signum() < 0 || value.compareTo(MAX_VALUE) > 0) {
            throw new IllegalArgumentException("a 128-bit id must be 0 to 2^128 - 1, not " + value);
        }
        return new UInt128(value.shiftRight(64).longValue(), value.and(MASK_64).longValue());
    }

    /**
     * The number written in decimal.
     *
     * @throws IllegalArgumentException if the text is not a decimal number in range
     */
    public static UInt128 parse(String decimal) {
        try {
            return of(new BigInteger(decimal));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("not a decimal number: " + decimal);
        }
    }

    /** The high 64 bits (as unsigned). */
    public long high() {
        return high;
    }

    /** The low 64 bits (as unsigned). */
    public long low() {
        return low;
    }

    public boolean isZero() {
        return high == 0 && low == 0;
    }

    public BigInteger toBigInteger() {
        BigInteger lo = BigInteger.valueOf(low).and(MASK_64);
        return BigInteger.valueOf(high).and(MASK_64).shiftLeft(64).or(lo);
    }

    /** The decimal text of the number. */
    @Override
    public String toString() {
        return high == 0 && low >= 0 ? Long.toString(low) : toBigInteger().toString();
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof UInt128)) {
            return false;
        }
        UInt128 that = (UInt128) other;
        return high == that.high && low == that.low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high) * 31 + Long.hashCode(low);
    }

    @Override
    public int compareTo(UInt128 other) {
        int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }
}
