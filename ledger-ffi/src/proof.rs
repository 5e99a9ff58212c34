//! Signed checkpoints and proofs through the C ABI (`docs/FORMAT.md` §13-§15): a host signs a
//! checkpoint of the durable head with its secret signing key, makes inclusion, statement and
//! consistency proofs as JSON documents, and checks any of them offline with a public key alone.

use std::ffi::c_char;

use ledger_store::profile::CryptoProfile;
use ledger_store::proof::{
    ConsistencyProof, InclusionProof, ProofFailure, StatementProof, CONSISTENCY_PROOF_FORMAT,
    INCLUSION_PROOF_FORMAT, STATEMENT_PROOF_FORMAT,
};
use ledger_store::signed_checkpoint::{unhex, SignatureError, SignedCheckpoint, SigningKey};

use crate::boundary;
use crate::handle;
use crate::handle::timebank_store;
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// The length of a signing key: 32 secret bytes (the Ed25519 seed, or the SM2 secret scalar
/// big-endian), kept outside the data directory.
pub const TIMEBANK_SIGNING_KEY_BYTES: usize = 32;

fn signing_key_of(profile: CryptoProfile, key: &[u8; 32]) -> Result<SigningKey, Error> {
    SigningKey::from_secret(profile, key).map_err(|e| Error::invalid(format!("signing_key: {e}")))
}

fn signed_line(text: &str, argument: &str) -> Result<SignedCheckpoint, Error> {
    SignedCheckpoint::from_text(text).map_err(|e| Error::invalid(format!("{argument}: {e}")))
}

fn public_key(text: &str) -> Result<Vec<u8>, Error> {
    unhex(text.trim())
        .filter(|k| k.len() == 32 || k.len() == 65)
        .ok_or_else(|| {
            Error::invalid("public_key: 64 (Ed25519) or 130 (SM2) lower-case hex characters")
        })
}

fn signature_error(e: SignatureError) -> Error {
    match e {
        SignatureError::WrongKey => Error::new(
            Status::NotSignedByKey,
            "the checkpoint is not signed by this key",
        ),
        SignatureError::BadSignature => Error::new(Status::Damaged, e.to_string()),
        other => Error::invalid(other.to_string()),
    }
}

/// Writes the public key of a signing key (lower-case hex: 64 characters for Ed25519, 130 for
/// SM2's `04 ‖ x ‖ y`) to `*public_key_out`, freed with `timebank_string_free`. `profile` is
/// `"standard"` (Ed25519) or `"gm"` (SM2).
///
/// Errors: `INVALID_ARGUMENT` for an unknown profile or an SM2 key out of range.
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `profile` is NULL or a NUL-terminated string; `signing_key` is NULL or points to
/// `TIMEBANK_SIGNING_KEY_BYTES` bytes; `public_key_out` and `error_out` are NULL or valid for a
/// write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_signing_key_public(
    profile: *const c_char,
    signing_key: *const u8,
    public_key_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `profile`, `signing_key` and `public_key_out`.
        let profile = unsafe { pointer::str_arg(profile, "profile") }?;
        // SAFETY: as above.
        let key = unsafe { pointer::optional_array_arg::<u8, 32>(signing_key) }
            .ok_or_else(|| Error::null("signing_key"))?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(public_key_out, "public_key_out") }?;
        let profile = CryptoProfile::from_name(profile)
            .ok_or_else(|| Error::invalid("profile: \"standard\" or \"gm\""))?;
        let key = signing_key_of(profile, key)?;
        out.write(pointer::owned_string(&ledger_store::checkpoint::hex(
            &key.public_key(),
        )));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Signs a checkpoint of the durable head (tree size, Merkle root, head hash, state digest,
/// time) with the ledger profile's signature (Ed25519, or SM2 on a `gm` ledger) and writes its
/// one-line text to `*line_out`, freed with `timebank_string_free`. Writes nothing to the
/// ledger.
///
/// Errors: `INVALID_ARGUMENT` for an SM2 key out of range.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `signing_key` is NULL or points to
/// `TIMEBANK_SIGNING_KEY_BYTES` bytes; `line_out` and `error_out` are NULL or valid for a write
/// of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_sign_checkpoint(
    store: *const timebank_store,
    signing_key: *const u8,
    line_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `signing_key` and `line_out`.
        let key = unsafe { pointer::optional_array_arg::<u8, 32>(signing_key) }
            .ok_or_else(|| Error::null("signing_key"))?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(line_out, "line_out") }?;
        let key = signing_key_of(store.profile(), key)?;
        let signed = store.sign_checkpoint(&key)?;
        out.write(pointer::owned_string(&signed.to_text()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes the proof (a JSON document, `docs/FORMAT.md` §15) that the record which made
/// `transfer` is in the history `checkpoint` signs to `*json_out`, freed with
/// `timebank_string_free`. `checkpoint` is a signed checkpoint line, or NULL for the durable
/// head (the proof then carries its root, unsigned).
///
/// Errors: `NOT_FOUND` when there is no such transfer or it came after the checkpoint;
/// `INVALID_ARGUMENT` for a zero id, or a checkpoint line that does not parse or is of the
/// other profile; `DAMAGED` when this ledger's tree of the checkpoint's size has another root
/// (a rewritten history, or the checkpoint of another ledger), or when a record the proof reads
/// from the journal does not match its stored hash or the tree's node over it (the journal was
/// changed since it was written); `IO` when the journal cannot be read.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `transfer` is NULL or points to one `timebank_id`;
/// `checkpoint` is NULL or a NUL-terminated string; `json_out` and `error_out` are NULL or
/// valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_prove_inclusion(
    store: *const timebank_store,
    transfer: *const timebank_id,
    checkpoint: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `transfer`, `checkpoint` and `json_out`.
        let transfer = unsafe { pointer::ref_arg(transfer, "transfer") }?.transfer("transfer")?;
        // SAFETY: as above.
        let line = unsafe { pointer::optional_str_arg(checkpoint, "checkpoint") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let checkpoint = line.map(|l| signed_line(l, "checkpoint")).transpose()?;
        let proof = store
            .prove_inclusion(transfer, checkpoint)
            .map_err(proof_error)?;
        out.write(pointer::owned_string(&proof.to_json().to_string()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes the proof that every record holding a transfer of `account` up to `checkpoint` (a
/// signed line, or NULL for the durable head) is in its history (the member's statement,
/// checkable offline) to `*json_out`, freed with `timebank_string_free`.
///
/// Errors: `NOT_FOUND` when the account's transfers are in more than 1,000 records;
/// otherwise as `timebank_store_prove_inclusion`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As `timebank_store_prove_inclusion`, with `account` for `transfer`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_prove_statement(
    store: *const timebank_store,
    account: *const timebank_id,
    checkpoint: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `account`, `checkpoint` and `json_out`.
        let account = unsafe { pointer::ref_arg(account, "account") }?.account("account")?;
        // SAFETY: as above.
        let line = unsafe { pointer::optional_str_arg(checkpoint, "checkpoint") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let checkpoint = line.map(|l| signed_line(l, "checkpoint")).transpose()?;
        let proof = store
            .prove_statement(account, checkpoint)
            .map_err(proof_error)?;
        out.write(pointer::owned_string(&proof.to_json().to_string()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes the proof that the history the signed checkpoint line `to` signs extends the one
/// `from` signs to `*json_out`, freed with `timebank_string_free`.
///
/// Errors: `INVALID_ARGUMENT` for a line that does not parse, or `from` larger than `to`;
/// `NOT_FOUND` for a checkpoint beyond this ledger's head; `DAMAGED` when this ledger's tree of
/// a checkpoint's size has another root (a rewritten history).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `from` and `to` are NULL or NUL-terminated strings;
/// `json_out` and `error_out` are NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_prove_consistency(
    store: *const timebank_store,
    from: *const c_char,
    to: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `from`, `to` and `json_out`.
        let from = signed_line(unsafe { pointer::str_arg(from, "from") }?, "from")?;
        // SAFETY: as above.
        let to = signed_line(unsafe { pointer::str_arg(to, "to") }?, "to")?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        if from.tree_size > to.tree_size {
            return Err(Error::invalid("from: it covers more records than to"));
        }
        let proof = store.prove_consistency(from, to).map_err(proof_error)?;
        out.write(pointer::owned_string(&proof.to_json().to_string()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// A store error while making a proof: a missing proof is `NOT_FOUND`, a checkpoint this
/// ledger does not match `DAMAGED`, a key or checkpoint of the other profile `INVALID_ARGUMENT`.
fn proof_error(error: ledger_store::Error) -> Error {
    use ledger_store::Error as E;
    match &error {
        E::NoProof(_) => Error::new(Status::NotFound, error.to_string()),
        E::CheckpointMismatch(_) => Error::new(Status::Damaged, error.to_string()),
        E::WrongProfile { .. } => Error::invalid(error.to_string()),
        _ => error.into(),
    }
}

/// Checks a proof document (`docs/FORMAT.md` §15) offline, without a store, and writes its kind
/// (`"inclusion"`, `"statement"` or `"consistency"`) to `*kind_out`, freed with
/// `timebank_string_free`. With `public_key` (lower-case hex), the proof's checkpoint must be
/// signed by that key; with NULL, only its hashes are checked against its own root.
///
/// Errors: `NOT_SIGNED_BY_KEY` when the checkpoint names another key or profile (no statement
/// about damage); `DAMAGED` when the proof does not hold (an altered hash, record, root or
/// checkpoint; a checkpoint of another tree); `INVALID_ARGUMENT` when the text is not a proof
/// document or the key is not hex of a key's length.
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `proof_json` and `public_key` are NULL or NUL-terminated strings; `kind_out` and `error_out`
/// are NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_proof_verify(
    proof_json: *const c_char,
    public_key: *const c_char,
    kind_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `proof_json`, `public_key` and `kind_out`.
        let text = unsafe { pointer::str_arg(proof_json, "proof_json") }?;
        // SAFETY: as above.
        let key = unsafe { pointer::optional_str_arg(public_key, "public_key") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(kind_out, "kind_out") }?;
        let key = key.map(self::public_key).transpose()?;
        let key = key.as_deref();
        let format = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v["proof"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let (kind, outcome) = match format.as_str() {
            INCLUSION_PROOF_FORMAT => (
                "inclusion",
                InclusionProof::from_json(text).and_then(|p| p.verify(key)),
            ),
            STATEMENT_PROOF_FORMAT => (
                "statement",
                StatementProof::from_json(text).and_then(|p| p.verify(key)),
            ),
            CONSISTENCY_PROOF_FORMAT => (
                "consistency",
                ConsistencyProof::from_json(text).and_then(|p| p.verify(key)),
            ),
            _ => return Err(Error::invalid("proof_json: not a proof document")),
        };
        outcome.map_err(|e| match e {
            ProofFailure::NotSignedByKey => Error::new(
                Status::NotSignedByKey,
                "the proof's checkpoint is not signed by this key",
            ),
            ProofFailure::Malformed(why) => {
                Error::invalid(format!("proof_json: not a proof document: {why}"))
            }
            other => Error::new(Status::Damaged, format!("the {kind} proof: {other}")),
        })?;
        out.write(pointer::owned_string(kind));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Checks a signed checkpoint line's signature under `public_key` (lower-case hex), offline.
///
/// Errors: `NOT_SIGNED_BY_KEY` when the line names another key or profile; `DAMAGED` when it
/// names this key but its signature does not verify (it was altered or forged);
/// `INVALID_ARGUMENT` when the line does not parse or the key is not hex of a key's length.
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `line` and `public_key` are NULL or NUL-terminated strings; `error_out` is NULL or valid for
/// a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_checkpoint_verify_signed(
    line: *const c_char,
    public_key: *const c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `line` and `public_key`.
        let line = signed_line(unsafe { pointer::str_arg(line, "line") }?, "line")?;
        // SAFETY: as above.
        let key = self::public_key(unsafe { pointer::str_arg(public_key, "public_key") }?)?;
        line.verify(&key).map_err(signature_error)
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
