//! `timebank verify`: every checksum, link and sequence number, every checkpoint (its MAC too
//! with the key), every account's balances summed from the records' outcomes, and the index
//! against them, at hash speed without the engine ([`ledger_store::audit_ledger`]). With
//! `--replay`, every command is also replayed through the engine, and the replayed state and
//! the index compared. Reads only; repairs nothing.

use serde::Serialize;

use ledger_store::audit_ledger::{audit_ledger_from, IndexCheck, LedgerAudit};
use ledger_store::checkpoint::hex;
use ledger_store::snapshot::verify_snapshots;
use ledger_store::{
    verify_dir_from, verify_dir_with_index, Corruption, CorruptionReason, Error as StoreError,
    VerifyReport,
};

use crate::cli::VerifyArgs;
use crate::error::{corruption, CliError, CliResult};
use crate::output::{out, print_json};
use crate::progress::ProgressBar;
use crate::session::Session;

#[derive(Debug, Serialize)]
struct Verdict {
    intact: bool,
    /// Whether the commands were replayed through the engine (`--replay`).
    replayed: bool,
    records: Option<u64>,
    /// Segment files read (without `--replay`).
    segments: Option<u64>,
    seq: Option<u64>,
    head: Option<String>,
    state_digest: Option<String>,
    checkpoints_verified: Option<u64>,
    macs_checked: Option<bool>,
    /// Accounts whose balances were summed from the outcomes (without `--replay`).
    accounts: Option<u64>,
    index_checked: Option<bool>,
    /// Why the index was not compared, when it was not (without `--replay`).
    index_not_checked: Option<String>,
    /// Snapshot files checked (`snapshots/`): hash, binding, state digest; with `--replay`
    /// also against the replayed state.
    snapshots_checked: Option<u64>,
    /// When not intact: what is damaged, "journal", "index" (the derived index alone: the
    /// journal verified, and `rebuild-index` repairs it) or "snapshot" (a derived snapshot file
    /// alone: the journal verified; remove the file).
    damaged: Option<&'static str>,
    /// When not intact: the first bad record, where it starts, and why (for the index: the
    /// journal's head and end, which verified).
    first_bad_record: Option<u64>,
    /// The segment that holds it (its number), and `offset` the byte offset in that file.
    segment: Option<u64>,
    offset: Option<u64>,
    reason: Option<String>,
}

pub fn run(session: &Session, args: &VerifyArgs) -> CliResult {
    // Another timebank run may be writing: wait for it.
    session.lock(false)?;
    let verdict = match args.replay {
        true => check(session, args).map(|report| replayed_verdict(&report, summary(&report))),
        false => audit(session, args).map(|(audit, snapshots)| audited_verdict(&audit, snapshots)),
    };
    match verdict {
        Ok((verdict, sentence)) => {
            if session.json() {
                return print_json(&verdict);
            }
            out!("{sentence}")?;
            Ok(())
        }
        Err(StoreError::Corrupted(c)) => {
            if session.json() {
                print_json(&Verdict {
                    intact: false,
                    replayed: args.replay,
                    records: None,
                    segments: None,
                    seq: None,
                    head: None,
                    state_digest: None,
                    checkpoints_verified: None,
                    macs_checked: None,
                    accounts: None,
                    index_checked: None,
                    index_not_checked: None,
                    snapshots_checked: None,
                    damaged: Some(if c.is_index_only() {
                        "index"
                    } else if c.is_snapshot_only() {
                        "snapshot"
                    } else {
                        "journal"
                    }),
                    first_bad_record: Some(c.sequence),
                    segment: c.segment.map(|place| place.index),
                    offset: Some(c.segment.map_or(c.offset, |place| place.offset)),
                    reason: Some(c.reason.to_string()),
                })?;
            }
            Err(damaged(&c))
        }
        Err(other) => Err(other.into()),
    }
}

fn replayed_verdict(report: &VerifyReport, sentence: String) -> (Verdict, String) {
    let verdict = Verdict {
        intact: true,
        replayed: true,
        records: Some(report.records),
        segments: None,
        seq: Some(report.head_sequence),
        head: Some(hex(&report.head_hash)),
        state_digest: Some(hex(&report.state_digest)),
        checkpoints_verified: Some(report.checkpoints_verified),
        macs_checked: Some(report.macs_checked),
        accounts: None,
        index_checked: Some(report.index_checked),
        index_not_checked: None,
        snapshots_checked: Some(report.snapshots_checked),
        damaged: None,
        first_bad_record: None,
        segment: None,
        offset: None,
        reason: None,
    };
    (verdict, sentence)
}

fn audited_verdict(audit: &LedgerAudit, snapshots: u64) -> (Verdict, String) {
    let (index_checked, index_not_checked, index) = match &audit.index {
        IndexCheck::Matches => (true, None, "the index matches".to_owned()),
        IndexCheck::NotChecked(why) => (
            false,
            Some(why.clone()),
            format!("index not checked: {why}"),
        ),
    };
    let macs = if audit.macs_checked {
        "MACs checked"
    } else {
        "MACs not checked (no --key-file)"
    };
    let sentence = format!(
        "intact: {} records ({} bytes in {} segment(s)), head record {} {}, {} checkpoint(s) \
         verified ({macs}), balances of {} accounts summed from the outcomes, {index} (not \
         replayed: --replay also replays every command through the engine){}",
        audit.records,
        audit.journal_bytes,
        audit.segments,
        audit.head.sequence,
        hex(&audit.head.hash),
        audit.checkpoints,
        audit.accounts,
        snapshots_checked(snapshots),
    );
    let verdict = Verdict {
        intact: true,
        replayed: false,
        records: Some(audit.records),
        segments: Some(audit.segments),
        seq: Some(audit.head.sequence),
        head: Some(hex(&audit.head.hash)),
        state_digest: None,
        checkpoints_verified: Some(audit.checkpoints),
        macs_checked: Some(audit.macs_checked),
        accounts: Some(audit.accounts),
        index_checked: Some(index_checked),
        index_not_checked,
        snapshots_checked: Some(snapshots),
        damaged: None,
        first_bad_record: None,
        segment: None,
        offset: None,
        reason: None,
    };
    (verdict, sentence)
}

/// The default verification: the journal at hash speed, the index against its balances, and
/// the snapshot files (hash, binding, state digest); with the number of snapshots checked.
fn audit(session: &Session, args: &VerifyArgs) -> Result<(LedgerAudit, u64), StoreError> {
    let archives = &session.global.segments_from;
    let audit = audit_ledger_from(
        session.data(),
        archives,
        session.key.as_ref(),
        !args.journal_only,
    )?;
    let snapshots = match args.journal_only {
        true => 0,
        false => verify_snapshots(session.data(), archives)?,
    };
    Ok((audit, snapshots))
}

/// ", N snapshot(s) checked" when there were any.
fn snapshots_checked(n: u64) -> String {
    match n {
        0 => String::new(),
        n => format!(", {n} snapshot(s) checked"),
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
         replayed state digest {}, {index}{}",
        report.records,
        report.journal_bytes,
        report.head_sequence,
        hex(&report.head_hash),
        report.checkpoints_verified,
        hex(&report.state_digest),
        snapshots_checked(report.snapshots_checked),
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

/// With `--replay`: the journal replayed once (read-only, so a torn tail is reported, not
/// cut) and the index, read from a copy, compared with the replayed state. An index that is
/// not at the journal's head is brought there by opening the store, which is then verified:
/// the live state and the index against a replay.
pub fn check(session: &Session, args: &VerifyArgs) -> Result<VerifyReport, StoreError> {
    let mut bar = ProgressBar::new("verifying");
    let archives = &session.global.segments_from;
    let key = session.key.as_ref();
    let verified = match args.journal_only {
        true => verify_dir_from(session.data(), archives, key, &mut |p| bar.update(p))
            .map(|report| (report, None)),
        false => verify_dir_with_index(session.data(), archives, key, &mut |p| bar.update(p)),
    };
    bar.finish();
    let (report, index_not_checked) = verified?;
    if args.journal_only || index_not_checked.is_none() {
        return Ok(report);
    }
    let store = session.try_open_for_reading()?;
    let mut bar = ProgressBar::new("checking the index");
    let report = store.verify(&mut |p| bar.update(p));
    bar.finish();
    let report = report?;
    store.close()?;
    Ok(report)
}
