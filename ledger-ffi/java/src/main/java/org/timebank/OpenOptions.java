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
 *
 * <p>Memory: {@link #residentTransfers} (0, the default: every transfer) keeps only the newest
 * {@code n} transfers in memory. Every {@code max(n, 4096)} transfers written, the older settled
 * ones (holds still pending stay) go to the store's index and are loaded back when a call names
 * them; operations, failed ids and ratings beyond {@code n + max(n, 4096)} of each kind in
 * memory go there too, all but the newest
 * {@code n}. So memory is bounded by the accounts, the pending holds and {@code n} rather than by
 * the history. Every answer is the same either way, and a ledger written with one setting opens with
 * any other.
 */
public final class OpenOptions {
    /** {@code TIMEBANK_OPEN_ANY_TIME}. */
    static final int ANY_TIME = 1;

    long clockSkewMaxNs;
    boolean anyTime;
    int residentTransfers;

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

    /**
     * Keeps only the newest {@code n} transfers in memory (0 to 4294967295; 0, the default:
     * every transfer); any other value throws {@link IllegalArgumentException}.
     */
    public OpenOptions residentTransfers(long n) {
        this.residentTransfers = Arguments.u32(n, "residentTransfers");
        return this;
    }

    /** The C struct's bytes. */
    byte[] toBytes() {
        byte[] raw = new byte[Layout.OPEN_OPTIONS];
        Layout.wrap(raw).putLong(Layout.OPTIONS_CLOCK_SKEW_MAX_NS, clockSkewMaxNs)
                .putInt(Layout.OPTIONS_FLAGS, anyTime ? ANY_TIME : 0)
                .putInt(Layout.OPTIONS_RESIDENT_TRANSFERS, residentTransfers);
        return raw;
    }
}
