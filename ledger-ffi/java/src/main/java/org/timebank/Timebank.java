package org.timebank;

/** The library as a whole: its version and the names of its codes. */
public final class Timebank {
    private Timebank() {}

    /** The version of the loaded libtimebank, such as {@code "0.1.0"}. */
    public static String version() {
        return Calls.peek(TimebankNative.timebank_version());
    }

    /** The stable name of a C status code, such as {@code "invalid_amount"}. */
    public static String statusName(int status) {
        return Calls.peek(TimebankNative.timebank_status_name(status));
    }

    /** The stable name of a ledger result code, such as {@code "exceeds_floor"} for 110. */
    public static String resultCodeName(int code) {
        return Calls.peek(TimebankNative.timebank_result_code_name(Arguments.u16(code, "code")));
    }
}
