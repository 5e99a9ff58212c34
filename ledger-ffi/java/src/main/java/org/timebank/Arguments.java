package org.timebank;

/**
 * Every argument checked before it crosses into C, so that nothing is narrowed or cut short.
 *
 * <p>A {@code (short)} cast keeps the low 16 bits (code 65637 becomes 101), a negative {@code
 * long} passed as {@code uint64_t} becomes a huge number, and a string with a NUL inside ends
 * there in C. Each would change what the ledger records without a word, so every integer is
 * checked against its C type here and every text is refused when it holds a NUL: {@link
 * IllegalArgumentException} naming the parameter, before anything is called.
 */
final class Arguments {
    static final long U32_MAX = 0xffff_ffffL;

    private Arguments() {}

    private static IllegalArgumentException outOfRange(String name, long low, long high, long value) {
        return new IllegalArgumentException(name + " must be " + low + " to " + high + ", not " + value);
    }

    /** {@code value} as the {@code uint8_t} it is (0 to 255). */
    static byte u8(int value, String name) {
        if (value < 0 || value > 0xff) {
            throw outOfRange(name, 0, 0xff, value);
        }
        return (byte) value; // in range: the same bits as the uint8_t
    }

    /** {@code value} as the {@code uint16_t} it is (0 to 65535). */
    static short u16(int value, String name) {
        if (value < 0 || value > 0xffff) {
            throw outOfRange(name, 0, 0xffff, value);
        }
        return (short) value; // in range: the same bits as the uint16_t
    }

    /** {@code value} as the {@code uint32_t} it is (0 to 2^32 - 1). */
    static int u32(long value, String name) {
        if (value < 0 || value > U32_MAX) {
            throw outOfRange(name, 0, U32_MAX, value);
        }
        return (int) value; // in range: the same bits as the uint32_t
    }

    /**
     * {@code value} as a {@code uint64_t} (or {@code size_t}): not negative. Java's {@code long}
     * cannot say 2^63 or more, so a negative one is refused rather than read as one.
     */
    static long u64(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be 0 to " + Long.MAX_VALUE + ", not " + value);
        }
        return value;
    }

    /** {@code value} in {@code low ..= high}. */
    static int within(int value, int low, int high, String name) {
        if (value < low || value > high) {
            throw outOfRange(name, low, high, value);
        }
        return value;
    }

    /** A {@code long} id: not negative (a negative one is refused, never read as unsigned). */
    static UInt128 id(long id, String name) {
        if (id < 0) {
            throw new IllegalArgumentException(name + " must not be negative, not " + id);
        }
        return UInt128.of(id);
    }

    static UInt128 id(UInt128 id, String name) {
        if (id == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return id;
    }

    /** An id as {@code timebank_id} (lo, hi). */
    static long[] idArg(UInt128 id, String name) {
        UInt128 checked = id(id, name);
        return new long[] {checked.low(), checked.high()};
    }

    /** An optional id: {@code null} or zero is NULL (none). */
    static long[] optionalIdArg(UInt128 id) {
        return id == null || id.isZero() ? null : new long[] {id.low(), id.high()};
    }

    /** A text that must not hold a NUL (it would end the C string early). */
    static String text(String text, String name) {
        if (text != null) {
            int nul = text.indexOf('\0');
            if (nul >= 0) {
                throw new IllegalArgumentException(name + " contains a NUL character at index " + nul);
            }
        }
        return text;
    }
}
