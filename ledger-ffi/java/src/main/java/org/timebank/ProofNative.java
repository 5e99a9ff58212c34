package org.timebank;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The C functions of libtimebank for signed checkpoints and proofs, bound like {@link
 * TimebankNative} (direct mapping, the same library): strings as NUL-terminated UTF-8 {@code
 * byte[]}, out-params as one-element arrays, ids as {@code long[2]} (lo, hi).
 */
final class ProofNative {
    static {
        String explicit = System.getProperty(TimebankNative.LIBRARY_PROPERTY);
        if (explicit == null || explicit.isEmpty()) {
            explicit = System.getenv(TimebankNative.LIBRARY_ENV);
        }
        boolean chosen = explicit != null && !explicit.isEmpty();
        Native.register(ProofNative.class, NativeLibrary.getInstance(chosen ? explicit : "timebank"));
    }

    private ProofNative() {}

    static native int timebank_signing_key_public(byte[] profile, byte[] signingKey, long[] publicKeyOut, long[] errorOut);

    static native int timebank_store_sign_checkpoint(long store, byte[] signingKey, long[] lineOut, long[] errorOut);

    static native int timebank_store_prove_inclusion(long store, long[] transfer, byte[] checkpoint, long[] jsonOut, long[] errorOut);

    static native int timebank_store_prove_statement(long store, long[] account, byte[] checkpoint, long[] jsonOut, long[] errorOut);

    static native int timebank_store_prove_consistency(long store, byte[] from, byte[] to, long[] jsonOut, long[] errorOut);

    static native int timebank_proof_verify(byte[] proofJson, byte[] publicKey, long[] kindOut, long[] errorOut);

    static native int timebank_checkpoint_verify_signed(byte[] line, byte[] publicKey, long[] errorOut);
}
