package org.timebank;

/** The operating system refused a read, a write or a sync. */
public class StorageIOException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_IO}. */
    public static final int STATUS = 8;

    public StorageIOException(String message) {
        super(STATUS, message);
    }
}
