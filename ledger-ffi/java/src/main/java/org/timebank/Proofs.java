package org.timebank;

/**
 * Signed checkpoints and proofs (docs/FORMAT.md §13-§15): a checkpoint of the durable head
 * signed with the host's 32-byte key (Ed25519, or SM2 on a {@code gm} ledger), inclusion,
 * statement and consistency proofs as JSON documents, and their offline check with a public
 * key alone. A checkpoint another key signed is a {@link NotSignedByKeyException}; an altered
 * one, or a proof that does not hold, a {@link DamagedException}.
 */
public final class Proofs {
    /** The length of a signing key in bytes. */
    public static final int SIGNING_KEY_BYTES = 32;

    private Proofs() {}

    private static byte[] key(byte[] signingKey) {
        if (signingKey == null || signingKey.length != SIGNING_KEY_BYTES) {
            throw new InvalidArgumentException("signingKey must be " + SIGNING_KEY_BYTES + " bytes");
        }
        return signingKey.clone();
    }

    private static byte[] text(String value, String name) {
        return value == null ? null : Calls.cString(Arguments.text(value, name));
    }

    /** The public key (lower-case hex) of a signing key; {@code profile} is "standard" or "gm". */
    public static String signingPublicKey(String profile, byte[] signingKey) {
        long[] out = new long[1];
        long[] error = new long[1];
        Calls.check(ProofNative.timebank_signing_key_public(text(profile, "profile"), key(signingKey), out, error), error);
        return Calls.take(out[0]);
    }

    /** Signs a checkpoint of the durable head; returns its line to publish (the ledger is not written). */
    public static String signCheckpoint(Store store, byte[] signingKey) {
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ProofNative.timebank_store_sign_checkpoint(store.handle(), key(signingKey), out, error);
        store.check(status, error);
        return Calls.take(out[0]);
    }

    /**
     * The JSON proof that the record which made {@code transfer} is in the history {@code
     * checkpoint} (a signed line; {@code null}: the durable head, unsigned) signs. A {@link
     * DamagedException} when this ledger does not match the checkpoint, or a record the proof
     * reads from the journal does not match its stored hash or the Merkle tree's node over it
     * (the journal was changed since it was written).
     */
    public static String proveInclusion(Store store, UInt128 transfer, String checkpoint) {
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ProofNative.timebank_store_prove_inclusion(store.handle(), Arguments.idArg(transfer, "transfer"), text(checkpoint, "checkpoint"), out, error);
        store.check(status, error);
        return Calls.take(out[0]);
    }

    /** The JSON proof that every record holding a transfer of {@code account} is in the history {@code checkpoint} signs. */
    public static String proveStatement(Store store, UInt128 account, String checkpoint) {
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ProofNative.timebank_store_prove_statement(store.handle(), Arguments.idArg(account, "account"), text(checkpoint, "checkpoint"), out, error);
        store.check(status, error);
        return Calls.take(out[0]);
    }

    /** The JSON proof that the history the signed line {@code to} signs extends the one {@code from} signs. */
    public static String proveConsistency(Store store, String from, String to) {
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ProofNative.timebank_store_prove_consistency(store.handle(), text(from, "from"), text(to, "to"), out, error);
        store.check(status, error);
        return Calls.take(out[0]);
    }

    /**
     * Checks a proof document offline and returns its kind ("inclusion", "statement" or
     * "consistency"). With {@code publicKey} (hex) its checkpoint must be signed by that key;
     * with {@code null} only its hashes are checked against its own root.
     */
    public static String verifyProof(String proofJson, String publicKey) {
        long[] out = new long[1];
        long[] error = new long[1];
        Calls.check(ProofNative.timebank_proof_verify(text(proofJson, "proofJson"), text(publicKey, "publicKey"), out, error), error);
        return Calls.take(out[0]);
    }

    /** Checks a signed checkpoint line's signature under {@code publicKey} (hex), offline. */
    public static void verifySignedCheckpoint(String line, String publicKey) {
        long[] error = new long[1];
        Calls.check(ProofNative.timebank_checkpoint_verify_signed(text(line, "line"), text(publicKey, "publicKey"), error), error);
    }
}
