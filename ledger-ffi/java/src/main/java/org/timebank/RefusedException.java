package org.timebank;

/** The ledger refused the event; {@link #code()} is its result code (such as 110, exceeds_floor). */
public class RefusedException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_REFUSED}. */
    public static final int STATUS = 6;

    private final int code;

    public RefusedException(String message, int code) {
        super(STATUS, message);
        this.code = code;
    }

    /**
     * The ledger's result code (see the table in {@code timebank.h}); every refusal carries one.
     * A refused write is journaled: the head and the state digest move on (the refused ids are
     * remembered with their code), balances do not change.
     */
    public int code() {
        return code;
    }

    /** The result code's stable name, such as {@code "exceeds_floor"}. */
    public String codeName() {
        return code < 0 ? "unknown" : Timebank.resultCodeName(code);
    }

    /** The code in a refusal message ("refused: NAME (NUMBER)..."), read back by the library. */
    static int codeIn(String message) {
        short[] code = new short[1];
        int status = TimebankNative.timebank_error_result_code(Calls.cString(message.replace('\0', ' ')), code, null);
        return status == 0 ? code[0] & 0xffff : -1;
    }
}
