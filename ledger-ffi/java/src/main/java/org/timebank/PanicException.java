package org.timebank;

/** A bug inside the library was caught at the boundary; nothing was changed. */
public class PanicException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_PANIC}. */
    public static final int STATUS = 10;

    public PanicException(String message) {
        super(STATUS, message);
    }
}
