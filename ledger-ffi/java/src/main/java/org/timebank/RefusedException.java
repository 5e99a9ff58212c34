package org.timebank;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The ledger refused the event; {@link #code()} is its result code (such as 110, exceeds_floor). */
public class RefusedException extends TimebankException {
    private static final long serialVersionUID = 1L;

    /** The C status code, {@code TIMEBANK_STATUS_REFUSED}. */
    public static final int STATUS = 6;

    private static final Pattern CODE = Pattern.compile("\\((\\d+)\\)");

    private final int code;

    public RefusedException(String message, int code) {
        super(STATUS, message);
        this.code = code;
    }

    /** The ledger's result code (see the table in {@code timebank.h}), or -1 if unknown. */
    public int code() {
        return code;
    }

    /** The result code's stable name, such as {@code "exceeds_floor"}. */
    public String codeName() {
        return code < 0 ? "unknown" : Timebank.resultCodeName(code);
    }

    /** The code in a refusal message, which reads "refused: name (number)...". */
    static int codeIn(String message) {
        Matcher matcher = CODE.matcher(message);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
    }
}
