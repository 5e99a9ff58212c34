package org.timebank;

/** A write whose journal write or sync failed: it may or may not be durable; reopen the store and look its ids up. */
public class OutcomeUnknownException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_OUTCOME_UNKNOWN}. */
    public static final int STATUS = 16;

    public OutcomeUnknownException(String message) {
        super(STATUS, message);
    }
}
