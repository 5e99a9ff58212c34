package org.timebank;

/** An amount was not a plain positive decimal within the unit's scale and the maximum. */
public class InvalidAmountException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_INVALID_AMOUNT}. */
    public static final int STATUS = 4;

    public InvalidAmountException(String message) {
        super(STATUS, message);
    }
}
