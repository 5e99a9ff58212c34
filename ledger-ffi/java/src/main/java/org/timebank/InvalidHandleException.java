package org.timebank;

/** The handle is not a live store handle (freed, or never opened); nothing was read through it. */
public class InvalidHandleException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_INVALID_HANDLE}. */
    public static final int STATUS = 12;

    public InvalidHandleException(String message) {
        super(STATUS, message);
    }
}
