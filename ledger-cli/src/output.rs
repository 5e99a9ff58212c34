//! Printing results: one JSON document for machines (`--json`), sentences and tables for people.
//!
//! JSON is written straight from typed values, so 128-bit ids stay exact numbers and decimals
//! stay exact strings.

use std::io::Write;

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::{Committed, Store};

use crate::error::{CliError, CliResult};
use crate::submit::Outcome;

/// Prints a line on stdout; a closed stdout (`timebank ... | head`) is an error, never a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Prints a line on stderr, ignoring a failure: `eprintln!` panics when stderr cannot be written
/// (`2>/dev/full`, a closed pipe), which would turn every exit code into 101. A message that
/// cannot be shown is lost; the exit code still says what happened.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::write_note(format_args!($($arg)*))
    };
}
pub(crate) use note;

pub fn write_note(args: std::fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_fmt(args)
        .and_then(|()| stderr.write_all(b"\n"));
}

pub fn write_line(args: std::fmt::Arguments<'_>) -> CliResult {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
        .map_err(|e| CliError::io(format!("cannot write to stdout: {e}")))
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string(value)
        .map_err(|e| CliError::io(format!("cannot write JSON: {e}")))?;
    out!("{text}")
}

/// What a write printed in JSON.
#[derive(Debug, Serialize)]
struct WriteOutput<'a> {
    operation: &'a str,
    /// False when every event already existed (a resubmission): nothing was written.
    applied: bool,
    /// The journal records that hold it.
    records: Vec<u64>,
    seq: u64,
    head: String,
    transfers: &'a [u128],
}

/// Reports a write: which transfers, which journal records, the new head.
pub fn print_outcome(
    store: &Store,
    json: bool,
    operation: &str,
    transfers: &[u128],
    outcome: &Outcome,
) -> CliResult {
    print_outcome_lines(store, json, operation, transfers, outcome).map_err(|e| {
        // The write is durable, but whoever runs the tool cannot learn so from stdout.
        match outcome {
            Outcome::Applied(done) => CliError::outcome_unknown(format!(
                "{operation} is durable (journal record {}) but its report could not be printed: \
                 {e}",
                done.last().map_or(0, |c| c.sequence)
            )),
            Outcome::AlreadyApplied => e,
        }
    })
}

fn print_outcome_lines(
    store: &Store,
    json: bool,
    operation: &str,
    transfers: &[u128],
    outcome: &Outcome,
) -> CliResult {
    let records: Vec<u64> = match outcome {
        Outcome::Applied(done) => done.iter().map(|c: &Committed| c.sequence).collect(),
        Outcome::AlreadyApplied => Vec::new(),
    };
    // The head is the last record this write made; a resubmission made none, so the
    // ledger's head is unchanged.
    let last = match outcome {
        Outcome::Applied(done) => done.last(),
        Outcome::AlreadyApplied => None,
    };
    let (seq, head) = match last {
        Some(committed) => (committed.sequence, committed.hash),
        None => {
            let status = store.status();
            (status.head_sequence, status.head_hash)
        }
    };
    if json {
        return print_json(&WriteOutput {
            operation,
            applied: !records.is_empty(),
            records,
            seq,
            head: hex(&head),
            transfers,
        });
    }
    let ids = transfers
        .iter()
        .map(u128::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let plural = if transfers.len() == 1 { "" } else { "s" };
    match outcome {
        Outcome::AlreadyApplied => {
            out!("{operation}: already recorded (transfer{plural} {ids}); nothing changed")?
        }
        Outcome::Applied(_) if transfers.is_empty() => {
            out!("{operation}: done (journal record {seq}, durable)")?
        }
        Outcome::Applied(_) => {
            out!("{operation}: transfer{plural} {ids} (journal record {seq}, durable)")?
        }
    }
    Ok(())
}
