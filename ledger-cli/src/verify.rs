//! `timebank verify`: every checksum, link and sequence number, every checkpoint (its MAC too
//! with the key), the replayed state, and the index against it. Reads only; repairs nothing.

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::{verify_dir, Corruption, CorruptionReason, Error as StoreError, VerifyReport};

use crate::cli::VerifyArgs;
use crate::error::{corruption, CliError, CliResult};
use crate::output::{out, print_json};
use crate::progress::ProgressBar;
use crate::session::Session;

#[derive(Debug, Serialize)]
struct Verdict {
    intact: bool,
    records: Option<u64>,
    seq: Option<u64>,
    head: Option<String>,
    state_digest: Option<String>,
    checkpoints_verified: Option<u64>,
    macs_checked: Option<bool>,
    index_checked: Option<bool>,
    /// When not intact: what is damaged, "journal" or "index" (the derived index alone: the
    /// journal verified, and `rebuild-index` repairs it).
    damaged: Option<&'static str>,
    /// When not intact: the first bad record, where it starts, and why (for the index: the
    /// journal's head and end, which verified).
    first_bad_record: Option<u64>,
    offset: Option<u64>,
    reason: Option<String>,
}

pub fn run(session: &Session, args: &VerifyArgs) -> CliResult {
    match check(session, args) {
        Ok(report) => {
            if session.json() {
                return print_json(&Verdict {
                    intact: true,
                    records: Some(report.records),
                    seq: Some(report.head_sequence),
                    head: Some(hex(&report.head_hash)),
                    state_digest: Some(hex(&report.state_digest)),
                    checkpoints_verified: Some(report.checkpoints_verified),
                    macs_checked: Some(report.macs_checked),
                    index_checked: Some(report.index_checked),
                    damaged: None,
                    first_bad_record: None,
                    offset: None,
                    reason: None,
                });
            }
            out!("{}", summary(&report))?;
            Ok(())
        }
        Err(StoreError::Corrupted(c)) => {
            if session.json() {
                print_json(&Verdict {
                    intact: false,
                    records: None,
                    seq: None,
                    head: None,
                    state_digest: None,
                    checkpoints_verified: None,
                    macs_checked: None,
                    index_checked: None,
                    damaged: Some(if c.is_index_only() {
                        "index"
                    } else {
                        "journal"
                    }),
                    first_bad_record: Some(c.sequence),
                    offset: Some(c.offset),
                    reason: Some(c.reason.to_string()),
                })?;
            }
            Err(damaged(&c))
        }
        Err(other) => Err(other.into()),
    }
}

/// One sentence for people.
pub fn summary(report: &VerifyReport) -> String {
    let macs = if report.macs_checked {
        "MACs checked"
    } else {
        "MACs not checked (no --key-file)"
    };
    let index = if report.index_checked {
        "the index matches"
    } else {
        "index not checked"
    };
    format!(
        "intact: {} records ({} bytes), head record {} {}, {} checkpoint(s) verified ({macs}), \
         replayed state digest {}, {index}",
        report.records,
        report.journal_bytes,
        report.head_sequence,
        hex(&report.head_hash),
        report.checkpoints_verified,
        hex(&report.state_digest),
    )
}

fn damaged(c: &Corruption) -> CliError {
    let mut error = corruption(c);
    if c.reason == CorruptionReason::TornTail {
        error.message.push_str(
            " (a crash interrupted a write; opening the ledger, e.g. `timebank status`, cuts it \
             back to the last durable record)",
        );
    }
    error
}

/// The journal on its own first (read-only, so a torn tail is reported, not cut), then the
/// store: the live state and the index against the replay.
pub fn check(session: &Session, args: &VerifyArgs) -> Result<VerifyReport, StoreError> {
    let mut bar = ProgressBar::new("verifying");
    let journal = verify_dir(session.data(), session.key.as_ref(), &mut |p| bar.update(p));
    bar.finish();
    let journal = journal?;
    if args.journal_only {
        return Ok(journal);
    }
    let store = session.try_open_for_reading()?;
    let mut bar = ProgressBar::new("checking the index");
    let report = store.verify(&mut |p| bar.update(p));
    bar.finish();
    let report = report?;
    store.close()?;
    Ok(report)
}
