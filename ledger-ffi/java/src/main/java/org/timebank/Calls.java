package org.timebank;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/** What every call into the library needs: text in, owned strings out, statuses to exceptions. */
final class Calls {
    private Calls() {}

    /**
     * A Java string as the NUL-terminated UTF-8 the library reads; {@code null} stays NULL. A NUL
     * inside would end the string early in C, so it is refused (callers check first, naming the
     * parameter; this is the last guard).
     */
    static byte[] cString(String text) {
        if (text == null) {
            return null;
        }
        Arguments.text(text, "text");
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

    /** Frees a message a call may have left in {@code errorOut}. */
    static void discard(long[] errorOut) {
        take(errorOut[0]);
        errorOut[0] = 0;
    }

    /**
     * What to throw for a throwable a callback threw: the throwable itself when it is unchecked
     * (an {@link Error} is thrown from here), else a {@link CancelledException} caused by it.
     */
    static RuntimeException rethrow(Throwable thrown) {
        if (thrown instanceof RuntimeException) {
            return (RuntimeException) thrown;
        }
        if (thrown instanceof Error) {
            throw (Error) thrown;
        }
        CancelledException cancelled = new CancelledException("the callback threw " + thrown);
        cancelled.initCause(thrown);
        return cancelled;
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
