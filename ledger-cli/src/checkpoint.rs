//! `timebank checkpoint export|verify|sign|keygen`: keyed checkpoints and public-key signed
//! checkpoints an operator publishes, and an auditor or member checks (against the journal, or
//! a signed one offline with the public key alone).

use std::io::Read;

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::store::{journal_root_dir, verify_published_dir};
use ledger_store::{Checkpoint, CorruptionReason, Error as StoreError};

use ledger_store::profile::CryptoProfile;
use ledger_store::signed_checkpoint::{
    SignatureError, SignedCheckpoint, SigningKey, SIGNED_CHECKPOINT_TEXT_PREFIX,
};

use crate::cli::{CheckpointCmd, CheckpointVerifyArgs, KeygenArgs, ProfileArg, SigningKeyArg};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::Session;

pub fn run(session: &Session, command: &CheckpointCmd) -> CliResult {
    match command {
        CheckpointCmd::Export => export(session),
        CheckpointCmd::Verify(args) => verify(session, args),
        CheckpointCmd::Sign(args) => sign(session, args),
        CheckpointCmd::Keygen(args) => keygen(session, args),
    }
}

#[derive(Debug, Serialize)]
struct Exported {
    checkpoint: String,
    seq: u64,
    head: String,
    state_digest: String,
}

fn export(session: &Session) -> CliResult {
    if session.key.is_none() {
        return Err(CliError::usage(
            "a checkpoint is signed with the key: pass --key-file (64 hex characters)",
        ));
    }
    let store = session.open()?;
    let checkpoint = store.checkpoint()?;
    store.close()?;
    if session.json() {
        return print_json(&Exported {
            checkpoint: checkpoint.to_text(),
            seq: checkpoint.sequence,
            head: hex(&checkpoint.head_hash),
            state_digest: hex(&checkpoint.state_digest),
        });
    }
    out!("{}", checkpoint.to_text())?;
    Ok(())
}

/// The checkpoint text: given inline, in a file, or on stdin (`-`).
pub fn checkpoint_text(arg: &str) -> CliResult<String> {
    if arg.trim_start().starts_with("timebank-checkpoint")
        || arg.trim_start().starts_with(SIGNED_CHECKPOINT_TEXT_PREFIX)
    {
        return Ok(arg.to_owned());
    }
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io(format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(arg).map_err(|e| {
        CliError::usage(format!(
            "{arg:?} is neither a checkpoint line nor a readable file: {e}"
        ))
    })
}

#[derive(Debug, Serialize)]
struct Verified {
    valid: bool,
    seq: u64,
    mac_checked: bool,
}

fn verify(session: &Session, args: &CheckpointVerifyArgs) -> CliResult {
    let text = checkpoint_text(&args.checkpoint)?;
    if text.trim_start().starts_with(SIGNED_CHECKPOINT_TEXT_PREFIX) {
        return verify_signed(session, &text, args);
    }
    let checkpoint = Checkpoint::from_text(&text)?;
    let mac_checked = session.key.is_some();
    let archives = &session.global.segments_from;
    match verify_published_dir(session.data(), archives, &checkpoint, session.key.as_ref()) {
        Ok(()) => {}
        Err(StoreError::Corrupted(c)) if matches!(c.reason, CorruptionReason::Published(_)) => {
            return Err(CliError::damaged(format!(
                "the checkpoint does not hold for this ledger: {} (record {})",
                c.reason, c.sequence
            )))
        }
        Err(e) => return Err(e.into()),
    }
    if session.json() {
        return print_json(&Verified {
            valid: true,
            seq: checkpoint.sequence,
            mac_checked,
        });
    }
    let mac = if mac_checked {
        "its MAC verifies under the key"
    } else {
        "MAC not checked (pass --key-file)"
    };
    out!(
        "checkpoint valid: record {} has the checkpoint's hash and the replayed state its \
         digest; {mac}",
        checkpoint.sequence
    )?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct SignedView {
    checkpoint: String,
    profile: &'static str,
    tree_size: u64,
    root: String,
    head_hash: String,
    state_digest: String,
    time_ns: u64,
    public_key: String,
    signature: String,
}

fn sign(session: &Session, args: &SigningKeyArg) -> CliResult {
    let store = session.open()?;
    let key = read_signing_key(session, &args.signing_key_file, store.profile())?;
    let signed = store.sign_checkpoint(&key)?;
    store.close()?;
    print_signed(session, &signed)
}

pub fn print_signed(session: &Session, signed: &SignedCheckpoint) -> CliResult {
    if session.json() {
        return print_json(&SignedView {
            checkpoint: signed.to_text(),
            profile: signed.profile.name(),
            tree_size: signed.tree_size,
            root: hex(&signed.root),
            head_hash: hex(&signed.head_hash),
            state_digest: hex(&signed.state_digest),
            time_ns: signed.time_ns,
            public_key: hex(&signed.public_key),
            signature: hex(&signed.signature),
        });
    }
    out!("{}", signed.to_text())?;
    Ok(())
}

/// Reads a signing key file (64 hex characters) for `profile`.
pub fn read_signing_key(
    session: &Session,
    path: &std::path::Path,
    profile: CryptoProfile,
) -> CliResult<SigningKey> {
    let secret = crate::session::read_key_file(path, &session.key_rules())?;
    SigningKey::from_secret(profile, &secret).map_err(|e| {
        CliError::usage(format!(
            "the signing key {} is not valid: {e}",
            path.display()
        ))
    })
}

#[derive(Debug, Serialize)]
struct Generated {
    key_file: String,
    profile: &'static str,
    public_key: String,
}

fn keygen(session: &Session, args: &KeygenArgs) -> CliResult {
    let profile = match args.profile {
        ProfileArg::Standard => CryptoProfile::Standard,
        ProfileArg::Gm => CryptoProfile::Gm,
    };
    // A fresh secret from the operating system; SM2 refuses the rare scalar out of range, so
    // draw again.
    let key = loop {
        let mut secret = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut secret))
            .map_err(|e| CliError::io(format!("cannot read /dev/urandom: {e}")))?;
        if let Ok(key) = SigningKey::from_secret(profile, &secret) {
            break (key, secret);
        }
    };
    let (key, secret) = key;
    write_new_secret(&args.out, &hex(&secret))?;
    if session.json() {
        return print_json(&Generated {
            key_file: args.out.display().to_string(),
            profile: profile.name(),
            public_key: hex(&key.public_key()),
        });
    }
    out!("{}", hex(&key.public_key()))?;
    Ok(())
}

/// Creates `path` (refusing an existing file), readable by its owner only, holding `text`.
fn write_new_secret(path: &std::path::Path, text: &str) -> CliResult {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::usage(format!(
            "{} exists; keygen never overwrites a key",
            path.display()
        )),
        _ => CliError::io(format!("cannot create {}: {e}", path.display())),
    })?;
    file.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io(format!("cannot write {}: {e}", path.display())))
}

/// A public key given inline (hex) or in a file.
pub fn public_key_arg(arg: &str) -> CliResult<Vec<u8>> {
    let text = match std::path::Path::new(arg).is_file() {
        true => crate::input::read_text(std::path::Path::new(arg), "the public key")?,
        false => arg.to_owned(),
    };
    ledger_store::signed_checkpoint::unhex(text.trim())
        .filter(|k| k.len() == 32 || k.len() == 65)
        .ok_or_else(|| {
            CliError::usage(
                "a public key is 64 (Ed25519) or 130 (SM2) lower-case hex characters, or a file \
                 holding them",
            )
        })
}

/// The failure a signature check reports: another key is exit 9, an altered line exit 5.
pub fn signature_failure(e: SignatureError) -> CliError {
    match e {
        SignatureError::WrongKey => {
            CliError::wrong_key("the checkpoint is not signed by this key (nor is it damaged)")
        }
        SignatureError::BadSignature => CliError::damaged(
            "the checkpoint names this key but its signature does not verify: it was altered \
             or forged",
        ),
        SignatureError::Malformed(why) => {
            CliError::usage(format!("not a signed checkpoint: {why}"))
        }
        other => CliError::usage(other.to_string()),
    }
}

#[derive(Debug, Serialize)]
struct SignedVerified {
    valid: bool,
    tree_size: u64,
    signature_checked: bool,
    ledger_checked: bool,
}

fn verify_signed(session: &Session, text: &str, args: &CheckpointVerifyArgs) -> CliResult {
    let signed = SignedCheckpoint::from_text(text).map_err(signature_failure)?;
    let Some(key) = &args.public_key else {
        return Err(CliError::usage(
            "a signed checkpoint is checked with the signer's public key: pass --public-key",
        ));
    };
    signed
        .verify(&public_key_arg(key)?)
        .map_err(signature_failure)?;
    if !args.offline {
        check_against_journal(session, &signed)?;
    }
    if session.json() {
        return print_json(&SignedVerified {
            valid: true,
            tree_size: signed.tree_size,
            signature_checked: true,
            ledger_checked: !args.offline,
        });
    }
    let ledger = match args.offline {
        true => "the ledger was not consulted (--offline)",
        false => "the ledger's tree, head and replayed state at that size are the checkpoint's",
    };
    out!(
        "signed checkpoint valid: {} records, signed by this key ({}); {ledger}",
        signed.tree_size,
        signed.profile.name()
    )?;
    Ok(())
}

/// The journal in the data directory has, at the checkpoint's size, its root, head hash and
/// (replayed) state digest.
fn check_against_journal(session: &Session, signed: &SignedCheckpoint) -> CliResult {
    if !session.has_journal() {
        return Err(CliError::not_found(format!(
            "no ledger in {} (no journal); pass --offline to check the signature alone",
            session.data().display()
        )));
    }
    let keyed = Checkpoint {
        sequence: signed.tree_size - 1,
        head_hash: signed.head_hash,
        state_digest: signed.state_digest,
        mac: [0; 32],
    };
    let archives = &session.global.segments_from;
    match verify_published_dir(session.data(), archives, &keyed, None) {
        Ok(()) => {}
        Err(StoreError::Corrupted(c)) if matches!(c.reason, CorruptionReason::Published(_)) => {
            return Err(CliError::damaged(format!(
                "the checkpoint does not hold for this ledger: {} (record {})",
                c.reason, c.sequence
            )))
        }
        Err(e) => return Err(e.into()),
    }
    // The records up to the checkpoint verified: their stored hashes are the tree's leaves.
    let hash = signed.profile.tree_hash();
    let root = journal_root_dir(session.data(), archives, signed.tree_size, hash)?;
    if root != signed.root {
        return Err(CliError::damaged(format!(
            "the checkpoint does not hold for this ledger: its first {} records have another \
             Merkle root (or another profile)",
            signed.tree_size
        )));
    }
    Ok(())
}
