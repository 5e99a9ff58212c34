package org.timebank;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C functions of libtimebank for exchanges between ledgers, bound like {@link
 * TimebankNative} (direct mapping, the same library): exchange and store handles as their
 * tokens ({@code long}), strings as NUL-terminated UTF-8 {@code byte[]}, out-params as
 * one-element arrays, ids as {@code long[2]} (lo, hi).
 */
final class ExchangeNative {
    static {
        String explicit = System.getProperty(TimebankNative.LIBRARY_PROPERTY);
        if (explicit == null || explicit.isEmpty()) {
            explicit = System.getenv(TimebankNative.LIBRARY_ENV);
        }
        boolean chosen = explicit != null && !explicit.isEmpty();
        Native.register(ExchangeNative.class, NativeLibrary.getInstance(chosen ? explicit : "timebank"));
    }

    private ExchangeNative() {}

    static native Pointer timebank_exchange_verdict_name(short verdict);

    static native int timebank_exchange_open(long store, long ownId, byte[] signingKey, byte[] signingKeyFile, long now,
            long[] exchangeOut, long[] errorOut);

    static native void timebank_exchange_free(long exchange);

    static native int timebank_exchange_add_peer(long exchange, long peerId, byte[] publicKey, long now, long[] errorOut);

    static native int timebank_exchange_peers(long exchange, long[] jsonOut, long[] errorOut);

    static native int timebank_exchange_send(long exchange, long number, long to, short unit, byte[] amount, long[] source,
            long[] destination, long deadline, long now, long[] messageOut, long[] errorOut);

    static native int timebank_exchange_move_member(long exchange, long number, long to, short unit, long[] source,
            long[] destination, long deadline, long now, long[] messageOut, long[] errorOut);

    static native int timebank_exchange_receive(long exchange, byte[] message, long messageLen, long now, short[] verdictOut,
            short[] ledgerCodeOut, long[] replyOut, long[] errorOut);

    static native int timebank_exchange_expire(long exchange, long now, long[] jsonOut, long[] errorOut);

    static native int timebank_exchange_pending(long exchange, long[] jsonOut, long[] errorOut);

    static native int timebank_exchange_positions(long exchange, long[] jsonOut, long[] errorOut);
}
