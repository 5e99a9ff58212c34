package org.timebank;

/** A {@code now} that is not a plausible wall-clock time for the store's time guard (see {@link OpenOptions}); nothing was written. */
public class InvalidTimeException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_INVALID_TIME}. */
    public static final int STATUS = 13;

    public InvalidTimeException(String message) {
        super(STATUS, message);
    }
}
