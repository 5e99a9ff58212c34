package org.timebank;

/** A text argument was not valid UTF-8. */
public class InvalidUtf8Exception extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_INVALID_UTF8}. */
    public static final int STATUS = 2;

    public InvalidUtf8Exception(String message) {
        super(STATUS, message);
    }
}
