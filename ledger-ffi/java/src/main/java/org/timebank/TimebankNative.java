package org.timebank;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C functions of libtimebank, bound with JNA's direct mapping (the fastest way JNA calls C).
 * Strings go in as NUL-terminated UTF-8 {@code byte[]}; {@code char **} and other out-params as
 * one-element arrays.
 *
 * <p>The library is the one inside the jar ({@code linux-x86-64/libtimebank.so}), unless the
 * system property {@code timebank.library} or the environment variable {@code TIMEBANK_LIBRARY}
 * names another file.
 */
final class TimebankNative {
    static final String LIBRARY_PROPERTY = "timebank.library";
    static final String LIBRARY_ENV = "TIMEBANK_LIBRARY";

    static {
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit == null || explicit.isEmpty()) {
            explicit = System.getenv(LIBRARY_ENV);
        }
        boolean chosen = explicit != null && !explicit.isEmpty();
        Native.register(TimebankNative.class, NativeLibrary.getInstance(chosen ? explicit : "timebank"));
    }

    private TimebankNative() {}

    static native Pointer timebank_version();

    static native Pointer timebank_status_name(int status);

    static native Pointer timebank_result_code_name(short code);

    static native void timebank_string_free(Pointer text);

    static native int timebank_amount_parse(byte[] text, int scale, long[] minorOut, long[] errorOut);

    static native int timebank_amount_format(long minor, int scale, long[] textOut, long[] errorOut);
}
