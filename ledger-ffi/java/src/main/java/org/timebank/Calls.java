package org.timebank;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/** What every call into the library needs: text in, owned strings out, statuses to exceptions. */
final class Calls {
    private Calls() {}

    /** A Java string as the NUL-terminated UTF-8 the library reads; {@code null} stays NULL. */
    static byte[] cString(String text) {
        if (text == null) {
            return null;
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] terminated = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, terminated, 0, utf8.length);
        return terminated;
    }

    /** Reads a string the library allocated at {@code address}, then frees it. */
    static String take(long address) {
        if (address == 0) {
            return "";
        }
        Pointer pointer = new Pointer(address);
        try {
            return pointer.getString(0, "UTF-8");
        } finally {
            TimebankNative.timebank_string_free(pointer);
        }
    }

    /** Reads a static string the library owns (a name or the version). */
    static String peek(Pointer pointer) {
        return pointer == null ? "" : pointer.getString(0, "UTF-8");
    }

    /** Throws the exception for {@code status} unless it is OK, with the call's message. */
    static void check(int status, long[] errorOut) {
        if (status != 0) {
            String message = take(errorOut[0]);
            errorOut[0] = 0;
            throw TimebankException.forStatus(status, message.isEmpty() ? "no message" : message);
        }
    }
}
