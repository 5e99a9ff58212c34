package org.timebank;

/** The store is already open, in this process or another one. */
public class BusyException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_BUSY}. */
    public static final int STATUS = 11;

    public BusyException(String message) {
        super(STATUS, message);
    }
}
