package org.timebank;

/** A call on a store from inside one of that store's own callbacks: refused, nothing done. */
public class ReentrantException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_REENTRANT}. */
    public static final int STATUS = 15;

    public ReentrantException(String message) {
        super(STATUS, message);
    }
}
