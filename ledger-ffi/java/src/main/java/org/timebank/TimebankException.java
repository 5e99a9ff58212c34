package org.timebank;

/**
 * A call into the ledger failed; nothing was changed. Each status code of the C library has its
 * own subclass ({@link InvalidAmountException}, {@link NotFoundException}, {@link
 * RefusedException}, ...), so callers catch exactly what they can handle.
 */
public class TimebankException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public TimebankException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The C status code (stable: see {@code timebank.h}). */
    public int status() {
        return status;
    }

    /** The status's stable name, such as {@code "invalid_amount"}. */
    public String statusName() {
        return Timebank.statusName(status);
    }

    /** The exception for a failed call's status and message. */
    static TimebankException forStatus(int status, String message) {
        switch (status) {
            case NullArgumentException.STATUS:
                return new NullArgumentException(message);
            case InvalidUtf8Exception.STATUS:
                return new InvalidUtf8Exception(message);
            case InvalidArgumentException.STATUS:
                return new InvalidArgumentException(message);
            case InvalidAmountException.STATUS:
                return new InvalidAmountException(message);
            case NotFoundException.STATUS:
                return new NotFoundException(message);
            case RefusedException.STATUS:
                return new RefusedException(message, RefusedException.codeIn(message));
            case DamagedException.STATUS:
                return new DamagedException(message);
            case StorageIOException.STATUS:
                return new StorageIOException(message);
            case ClosedException.STATUS:
                return new ClosedException(message);
            case PanicException.STATUS:
                return new PanicException(message);
            case BusyException.STATUS:
                return new BusyException(message);
            case InvalidHandleException.STATUS:
                return new InvalidHandleException(message);
            case InvalidTimeException.STATUS:
                return new InvalidTimeException(message);
            case CancelledException.STATUS:
                return new CancelledException(message);
            case ReentrantException.STATUS:
                return new ReentrantException(message);
            case OutcomeUnknownException.STATUS:
                return new OutcomeUnknownException(message);
            case NotSignedByKeyException.STATUS:
                return new NotSignedByKeyException(message);
            default:
                return new TimebankException(status, "status " + status + ": " + message);
        }
    }
}
