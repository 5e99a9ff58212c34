//! `timebank checkpoint export|verify`: keyed checkpoints an operator publishes and an auditor
//! checks against the journal.

use std::io::Read;

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::store::verify_published;
use ledger_store::{Checkpoint, CorruptionReason, Error as StoreError, JOURNAL_FILE_NAME};

use crate::cli::{CheckpointCmd, CheckpointVerifyArgs};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::Session;

pub fn run(session: &Session, command: &CheckpointCmd) -> CliResult {
    match command {
        CheckpointCmd::Export => export(session),
        CheckpointCmd::Verify(args) => verify(session, args),
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
fn checkpoint_text(arg: &str) -> CliResult<String> {
    if arg.trim_start().starts_with("timebank-checkpoint") {
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
    let checkpoint = Checkpoint::from_text(&text)?;
    let mac_checked = session.key.is_some();
    let path = session.data().join(JOURNAL_FILE_NAME);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CliError::not_found(format!(
            "no ledger in {} (no journal file)",
            session.data().display()
        )),
        _ => CliError::io(format!("cannot read {}: {e}", path.display())),
    })?;
    match verify_published(&bytes, &checkpoint, session.key.as_ref()) {
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
