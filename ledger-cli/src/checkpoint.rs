//! `timebank checkpoint export|verify`: keyed checkpoints an operator publishes and an auditor
//! checks against the journal.

use std::io::Read;

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::journal::scan_frames;
use ledger_store::{verify_bytes, Checkpoint, JOURNAL_FILE_NAME};

use crate::cli::{CheckpointCmd, CheckpointVerifyArgs};
use crate::error::{corruption, CliError, CliResult};
use crate::output::{out, print_json};
use crate::progress::ProgressBar;
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
    let mac_checked =
        match &session.key {
            Some(key) if !checkpoint.verify_mac(key) => return Err(CliError::damaged(
                "the checkpoint's MAC does not verify under this key: it was not signed with it, \
                 or it was altered",
            )),
            Some(_) => true,
            None => false,
        };
    let path = session.data().join(JOURNAL_FILE_NAME);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CliError::not_found(format!(
            "no ledger in {} (no journal file)",
            session.data().display()
        )),
        _ => CliError::io(format!("cannot read {}: {e}", path.display())),
    })?;
    let scan = scan_frames(&bytes).map_err(|c| corruption(&c))?;
    let &(offset, len) = usize::try_from(checkpoint.sequence)
        .ok()
        .and_then(|i| scan.frames.get(i))
        .ok_or_else(|| {
            CliError::damaged(format!(
                "the journal has no record {}: it ends before the checkpoint (the ledger was \
                 cut back or replaced)",
                checkpoint.sequence
            ))
        })?;
    let mut bar = ProgressBar::new("replaying");
    let prefix = &bytes[..(offset + u64::from(len)) as usize];
    let report = verify_bytes(prefix, session.key.as_ref(), &mut |p| bar.update(p));
    bar.finish();
    let report = report?;
    if report.head_hash != checkpoint.head_hash {
        return Err(CliError::damaged(format!(
            "record {} has hash {}, not the checkpoint's {}: the history was rewritten",
            checkpoint.sequence,
            hex(&report.head_hash),
            hex(&checkpoint.head_hash)
        )));
    }
    if report.state_digest != checkpoint.state_digest {
        return Err(CliError::damaged(format!(
            "the state replayed to record {} differs from the checkpoint's digest",
            checkpoint.sequence
        )));
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
