package org.timebank;

/** A required argument was missing (NULL at the C boundary). */
public class NullArgumentException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_NULL_POINTER}. */
    public static final int STATUS = 1;

    public NullArgumentException(String message) {
        super(STATUS, message);
    }
}
