package org.timebank;

/** A callback asked to stop, or threw (the throwable is the cause); the call changed nothing. */
public class CancelledException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_CANCELLED}. */
    public static final int STATUS = 14;

    public CancelledException(String message) {
        super(STATUS, message);
    }
}
