package org.timebank;

/**
 * How to open a store ({@code timebank_open_options}); the defaults are right for a live ledger.
 *
 * <p>The time guard: every write's {@code now} must be a plausible wall-clock time, at most
 * {@link #clockSkewMaxNs} (0: the default, 5 minutes) ahead of the system clock and not before
 * the ledger was created (less the same skew). Any other {@code now} throws {@link
 * InvalidTimeException} and nothing is written. {@link #anyTime()} turns the guard off, for
 * simulations that run ahead of the clock; never for a live ledger, where one wrong {@code now}
 * would stamp every later event with it.
 */
public final class OpenOptions {
    /** {@code TIMEBANK_OPEN_ANY_TIME}. */
    static final int ANY_TIME = 1;

    long clockSkewMaxNs;
    boolean anyTime;

    public OpenOptions() {}

    /** How far ahead of the system clock a {@code now} may be, in nanoseconds (not negative; 0: 5 minutes). */
    public OpenOptions clockSkewMaxNs(long clockSkewMaxNs) {
        this.clockSkewMaxNs = Arguments.u64(clockSkewMaxNs, "clockSkewMaxNs");
        return this;
    }

    /** Accepts any {@code now}: the time guard off. */
    public OpenOptions anyTime() {
        this.anyTime = true;
        return this;
    }

    /** The C struct's bytes. */
    byte[] toBytes() {
        byte[] raw = new byte[Layout.OPEN_OPTIONS];
        Layout.wrap(raw).putLong(Layout.OPTIONS_CLOCK_SKEW_MAX_NS, clockSkewMaxNs)
                .putInt(Layout.OPTIONS_FLAGS, anyTime ? ANY_TIME : 0);
        return raw;
    }
}
