package org.timebank;

/**
 * A signed checkpoint (or a proof's) names another public key or profile than the one trusted:
 * not evidence, but no statement about damage either (an altered one is a {@link DamagedException}).
 */
public class NotSignedByKeyException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_NOT_SIGNED_BY_KEY}. */
    public static final int STATUS = 17;

    public NotSignedByKeyException(String message) {
        super(STATUS, message);
    }
}
