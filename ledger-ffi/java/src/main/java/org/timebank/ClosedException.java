package org.timebank;

/** The store was closed. */
public class ClosedException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_CLOSED}. */
    public static final int STATUS = 9;

    public ClosedException(String message) {
        super(STATUS, message);
    }
}
