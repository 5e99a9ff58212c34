package org.timebank;

/** An argument was out of range or malformed (a zero id, an unknown flag, a bad policy). */
public class InvalidArgumentException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_INVALID_ARGUMENT}. */
    public static final int STATUS = 3;

    public InvalidArgumentException(String message) {
        super(STATUS, message);
    }
}
