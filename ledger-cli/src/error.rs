//! Failures, each with a human sentence and a stable exit code per kind of failure.
//!
//! The exit codes are part of the tool's interface (scripts test them); they are listed in
//! `timebank --help` and in `ledger-cli/README.md`, and never renumbered.

use std::fmt;
use std::path::Path;
use std::process::ExitCode;

use ledger_core::timebank::PlanError;
use ledger_core::ResultCode;
use ledger_store::{Corruption, CorruptionReason, Error as StoreError};

use crate::import::IMPORT_STAGING_DIR_NAME;

/// The kinds of failure, with their exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line or an input is not valid (bad amount, time, key file, options).
    Usage = 2,
    /// The data directory holds no ledger, or an account or transfer does not exist.
    NotFound = 3,
    /// A time-bank rule or the engine refused the operation; nothing changed.
    Refused = 4,
    /// The ledger (journal, index, checkpoint) or an import file does not verify.
    Damaged = 5,
    /// Reading or writing a file failed.
    Io = 6,
    /// Another process (not a `timebank` run, which would wait) has the ledger open.
    InUse = 7,
    /// A write's sync failed, or its report could not be printed after it was durable: the
    /// operation may or may not have happened. Check before retrying (or retry with the same
    /// `--id`, which changes nothing if it happened).
    OutcomeUnknown = 8,
    /// A signed checkpoint (or a proof's) was signed by another key than the one given: not
    /// damage, but not evidence either. Nothing was changed.
    WrongKey = 9,
}

/// The exit codes as `--help` and the README print them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (for verify: the ledger is intact)
  2  usage: bad arguments or input (an amount with too many decimals, a bad time, a bad key
     file or one in the data directory or readable by others, a missing or unreadable input
     file, init where a ledger exists)
  3  not found: no ledger in the data directory, or no such account or transfer
  4  refused by a time-bank rule or the engine (the result code is named), or an import of
     another ledger's history; nothing changed
  5  damaged: the journal, index or a checkpoint does not verify (the first bad record is
     named), or an import file's hashes do not match its content; or a record written by a
     newer timebank (its format version is named; nothing is cut or changed)
  6  I/O error (including a closed stdout)
  7  in use: another process (a service embedding the store) has the ledger open, or another
     timebank run held it longer than --lock-timeout; nothing changed (without --lock-timeout
     a second timebank run waits for the first)
  8  outcome unknown: a write's sync failed, or its report could not be printed once it was
     durable; it may have happened (the message names the record and ids to check; retrying
     with the same --id changes nothing if it did)
  9  not signed by this key: a signed checkpoint or proof names another public key (or
     profile) than --public-key; it says nothing about damage (an altered one is exit 5)";

/// A failure: its kind and the sentence printed on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Kind::Usage, message)
    }

    pub fn not_found(message: impl Into<String>) -> CliError {
        CliError::new(Kind::NotFound, message)
    }

    pub fn refused(message: impl Into<String>) -> CliError {
        CliError::new(Kind::Refused, message)
    }

    pub fn damaged(message: impl Into<String>) -> CliError {
        CliError::new(Kind::Damaged, message)
    }

    pub fn io(message: impl Into<String>) -> CliError {
        CliError::new(Kind::Io, message)
    }

    pub fn wrong_key(message: impl Into<String>) -> CliError {
        CliError::new(Kind::WrongKey, message)
    }

    pub fn in_use(message: impl Into<String>) -> CliError {
        CliError::new(Kind::InUse, message)
    }

    pub fn outcome_unknown(message: impl Into<String>) -> CliError {
        CliError::new(Kind::OutcomeUnknown, message)
    }

    /// The engine refused an event with `code`.
    pub fn result_code(code: ResultCode, what: &str) -> CliError {
        let message = format!(
            "refused: {what} failed with {} ({})",
            code.name(),
            code as u16
        );
        match code {
            // What the operation names does not exist: the same exit code as everywhere else.
            ResultCode::AccountNotFound | ResultCode::TransferNotFound => {
                CliError::not_found(message)
            }
            _ => CliError::refused(message),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind as u8)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> CliError {
        match error {
            StoreError::Io(e) => CliError::io(format!("I/O error: {e}")),
            StoreError::Corrupted(c) => corruption(&c),
            StoreError::OutcomeUnknown { sequence, error } => CliError::outcome_unknown(format!(
                "outcome unknown: writing journal record {sequence} failed ({error}), but it may \
                 be durable; run `timebank status` (head record {sequence} means it happened) \
                 before retrying"
            )),
            StoreError::Index(e) => CliError::io(format!(
                "the index (sled) failed: {e}; `timebank rebuild-index` recreates it"
            )),
            StoreError::Batch(e) => CliError::refused(format!("refused: {e}")),
            StoreError::Statement(e @ ledger_core::StatementError::AccountNotFound(_)) => {
                CliError::not_found(e.to_string())
            }
            StoreError::Statement(e) => CliError::usage(e.to_string()),
            StoreError::Policy(e) => CliError::usage(format!("the policy is not valid: {e}")),
            StoreError::AlreadyExists(dir) => CliError::usage(format!(
                "a ledger already exists in {}; choose another --data directory",
                dir.display()
            )),
            StoreError::NotFound(dir) if dir.join(IMPORT_STAGING_DIR_NAME).exists() => {
                CliError::not_found(format!(
                    "no ledger in {}: an import into it was interrupted before it finished \
                     (it left {}); run the same `timebank import` again, which clears that \
                     and starts over",
                    shorten_path(&dir),
                    IMPORT_STAGING_DIR_NAME
                ))
            }
            StoreError::NotFound(dir) => CliError::not_found(format!(
                "no ledger in {} (run `timebank init` first, or pass --data)",
                shorten_path(&dir)
            )),
            StoreError::UnfinishedCreation(dir) => CliError::not_found(format!(
                "no ledger in {}: its creation was interrupted (the journal holds no complete \
                 genesis record, so nothing in it was ever acknowledged); run `timebank init` \
                 (or the interrupted `timebank import`) again, which clears it",
                shorten_path(&dir)
            )),
            StoreError::Locked(dir) => CliError::in_use(format!(
                "the ledger in {} is in use by another process (it holds {}); nothing was \
                 changed: try again once that process has closed the ledger",
                dir.display(),
                dir.join(ledger_store::LOCK_FILE_NAME).display()
            )),
            StoreError::InvalidGenesis(why) => {
                CliError::damaged(format!("the import's genesis record is not valid: {why}"))
            }
            StoreError::NoCheckpointKey => {
                CliError::usage("this needs the checkpoint key: pass --key-file")
            }
            StoreError::CheckpointText(why) => {
                CliError::usage(format!("not a checkpoint text: {why}"))
            }
            e @ StoreError::WrongProfile { .. } => CliError::usage(e.to_string()),
            StoreError::NoProof(why) => CliError::not_found(format!("no proof: {why}")),
            StoreError::CheckpointMismatch(why) => {
                CliError::damaged(format!("the checkpoint does not match this ledger: {why}"))
            }
            StoreError::InvalidTime(why) => CliError::usage(format!(
                "the time is not plausible, nothing was changed: {why} (check --at)"
            )),
            other => CliError::io(other.to_string()),
        }
    }
}

/// Most characters of an argument quoted in a message; longer ones are cut in the middle, so a
/// 128 KiB argument does not fill the terminal (or a log) with itself.
pub const QUOTED_CHARS_MAX: usize = 120;

/// `text` as a message quotes it: whole when short, else its start and end around "...".
pub fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= QUOTED_CHARS_MAX {
        return text.to_owned();
    }
    let keep = QUOTED_CHARS_MAX / 2 - 2;
    let head: String = text.chars().take(keep).collect();
    let tail: String = text.chars().skip(count - keep).collect();
    format!("{head}...{tail} ({count} characters)")
}

/// A path as a message quotes it (see [`shorten`]).
pub fn shorten_path(path: &Path) -> String {
    shorten(&path.display().to_string())
}

/// The sentence for a journal that does not verify: it names the first bad record.
pub fn corruption(c: &Corruption) -> CliError {
    // Where: the segment and the byte offset in its file, or the offset in a journal image.
    let place = match c.segment {
        Some(place) => place.to_string(),
        None => format!("byte offset {}", c.offset),
    };
    if let CorruptionReason::SegmentUnreadable { .. } = c.reason {
        return CliError::damaged(format!(
            "{} was {}; nothing was changed: use a newer timebank",
            place.replace(", byte offset 0", ""),
            c.reason
        ));
    }
    if let CorruptionReason::Unreadable { .. } = c.reason {
        // Not damage: a record this binary cannot read. Nothing is cut or changed.
        return CliError::damaged(format!(
            "record {} ({place}) was {}; nothing was changed: use a newer timebank",
            c.sequence, c.reason
        ));
    }
    if let CorruptionReason::Index(why) = &c.reason {
        // The journal verified: the derived index alone is at fault.
        return CliError::damaged(format!(
            "the index is damaged: it disagrees with the journal ({why}); the journal is intact \
             through record {} ({} bytes): `timebank rebuild-index` rebuilds the index from it",
            c.sequence, c.offset
        ));
    }
    if let CorruptionReason::Snapshot { file, why } = &c.reason {
        // The journal verified: a derived snapshot file alone is at fault.
        return CliError::damaged(format!(
            "a snapshot is damaged: snapshots/{file}: {why}; the journal is intact through \
             record {} ({} bytes): remove the file (snapshots are derived data; opening \
             passes over it, and `timebank snapshot` writes a new one)",
            c.sequence, c.offset
        ));
    }
    if let CorruptionReason::Segment(why) = &c.reason {
        return CliError::damaged(format!(
            "the ledger is damaged: the journal's segments do not join ({place}): {why}"
        ));
    }
    CliError::damaged(format!(
        "the ledger is damaged: first bad record {} ({place}): {}",
        c.sequence, c.reason
    ))
}

impl From<PlanError> for CliError {
    fn from(error: PlanError) -> CliError {
        match error {
            PlanError::AccountNotFound(_) | PlanError::TransferNotFound(_) => {
                CliError::not_found(error.to_string())
            }
            PlanError::Amount(_) | PlanError::RatingInvalid(_) | PlanError::Acts(_) => {
                CliError::usage(error.to_string())
            }
            other => {
                let code = other.code();
                CliError::refused(format!(
                    "refused: {other}: {} ({})",
                    code.name(),
                    code as u16
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_arguments_are_quoted_shortened() {
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(131_072);
        let quoted = shorten(&long);
        assert!(quoted.len() < 200, "{quoted}");
        assert!(quoted.ends_with("(131072 characters)"));
        let multibyte = "时".repeat(500);
        assert!(shorten(&multibyte).contains("..."));
    }
}
