package org.timebank;

/** The ledger on disk is damaged: a record or checkpoint does not verify. */
public class DamagedException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_DAMAGED}. */
    public static final int STATUS = 7;

    public DamagedException(String message) {
        super(STATUS, message);
    }
}
