package org.timebank;

/** An account, transfer or unit named by the call does not exist. */
public class NotFoundException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_NOT_FOUND}. */
    public static final int STATUS = 5;

    public NotFoundException(String message) {
        super(STATUS, message);
    }
}
