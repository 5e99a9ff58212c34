//! `timebank init` and `timebank status`: create a ledger; show its head and state.

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::profile::CryptoProfile;
use ledger_store::{IndexRecovery, JournalRead, Store};

use crate::cli::{InitArgs, ProfileArg};

use crate::error::CliResult;
use crate::output::{out, print_json};
use crate::session::Session;

#[derive(Debug, Serialize)]
struct StatusView {
    data: String,
    /// The head: the last durable record's sequence number and hash.
    seq: u64,
    head: String,
    state_digest: String,
    journal_bytes: u64,
    /// The journal's segment files (those of `--segments-from` included).
    segments: u64,
    /// The size, in bytes, writes keep segments under (`--segment-bytes`, or the default).
    segment_bytes: u64,
    accounts: usize,
    transfers: usize,
    indexed_seq: u64,
    units: Vec<String>,
    /// The cryptographic profile: "standard" or "gm".
    profile: String,
    /// The Merkle tree over the durable records: its size (head + 1) and root.
    tree_size: u64,
    tree_root: String,
    /// What opening did: "up to date", "caught up", "rebuilt", or "read-only: ..." when the
    /// directory could not be written.
    index_on_open: String,
    /// What opening started from: "snapshot of record N (file)" (only the records after it
    /// were replayed), or "full replay".
    snapshot_on_open: String,
    /// How opening read the journal: "tail" (from the snapshot's segment on), "pieces" (whole,
    /// a few MiB at a time) or "image" (whole, held in memory at once).
    journal_read_on_open: String,
    /// Snapshot files opening passed over, each "file: why" (damaged, half-written, ...).
    snapshots_skipped: Vec<String>,
    /// The length of a torn tail that opening cut back (left in place when read-only).
    torn_tail_cut: Option<u64>,
    /// Whether the directory could not be written and the ledger was read read-only.
    read_only: bool,
}

pub fn init(session: &Session, args: &InitArgs) -> CliResult {
    let policy = session.policy()?;
    session.lock(true)?;
    let profile = match args.profile {
        ProfileArg::Standard => CryptoProfile::Standard,
        ProfileArg::Gm => CryptoProfile::Gm,
    };
    let store = Store::create_in_profile(
        session.data(),
        &policy,
        profile,
        session.now()?,
        session.options(),
    )?;
    if session.json() {
        return show(session, &store);
    }
    let units: Vec<String> = policy
        .units
        .iter()
        .map(|u| format!("{} ({} decimals)", u.name, u.scale))
        .collect();
    out!(
        "created a ledger in {} with units {}; {} policy codes; {} profile",
        session.data().display(),
        units.join(", "),
        policy.codes.len(),
        profile.name()
    )?;
    Ok(())
}

pub fn status(session: &Session) -> CliResult {
    let store = session.open_for_reading()?;
    show(session, &store)
}

fn show(session: &Session, store: &Store) -> CliResult {
    let s = store.status();
    let claim = store.checkpoint_claim();
    let report = store.open_report();
    let view = StatusView {
        data: session.data().display().to_string(),
        seq: s.head_sequence,
        head: hex(&s.head_hash),
        state_digest: hex(&s.state_digest),
        journal_bytes: s.journal_bytes,
        segments: store.segment_count()?,
        segment_bytes: store.segment_bytes(),
        accounts: s.accounts,
        transfers: s.transfers,
        indexed_seq: s.indexed_sequence,
        units: store.read(|l| l.units().map(|u| u.name.clone()).collect()),
        profile: store.profile().name().into(),
        tree_size: claim.tree_size,
        tree_root: hex(&claim.root),
        index_on_open: match &report.index {
            IndexRecovery::UpToDate => "up to date".into(),
            IndexRecovery::CaughtUp { from } => format!("caught up from record {from}"),
            IndexRecovery::Rebuilt { why } => format!("rebuilt ({why})"),
            IndexRecovery::Temporary => "read-only: a temporary copy".into(),
        },
        snapshot_on_open: match &report.snapshots.used {
            Some(used) => format!("snapshot of record {} ({})", used.sequence, used.file),
            None => "full replay".into(),
        },
        journal_read_on_open: match report.journal_read {
            JournalRead::Tail => "tail",
            JournalRead::Pieces => "pieces",
            JournalRead::Image => "image",
        }
        .into(),
        snapshots_skipped: report
            .snapshots
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.file, s.why))
            .collect(),
        torn_tail_cut: report.torn_tail.as_ref().map(|t| t.len),
        read_only: report.read_only,
    };
    if session.json() {
        return print_json(&view);
    }
    out!("ledger        {}", view.data)?;
    out!("head          record {} {}", view.seq, view.head)?;
    out!("state digest  {}", view.state_digest)?;
    out!("journal       {} bytes", view.journal_bytes)?;
    out!(
        "segments      {} (kept under {} bytes each)",
        view.segments,
        view.segment_bytes
    )?;
    out!("accounts      {}", view.accounts)?;
    out!("transfers     {}", view.transfers)?;
    out!("units         {}", view.units.join(", "))?;
    out!("profile       {}", view.profile)?;
    out!(
        "merkle root   {} ({} records)",
        view.tree_root,
        view.tree_size
    )?;
    out!(
        "index         record {} ({})",
        view.indexed_seq,
        view.index_on_open
    )?;
    out!(
        "opened from   {} (journal read: {})",
        view.snapshot_on_open,
        view.journal_read_on_open
    )?;
    for skipped in &view.snapshots_skipped {
        out!("snapshot      passed over: {skipped}")?;
    }
    Ok(())
}

/// `timebank snapshot`: writes a snapshot of the state at the head now.
pub fn snapshot(session: &Session) -> CliResult {
    let store = session.open()?;
    let written = store.write_snapshot()?;
    store.close()?;
    if session.json() {
        #[derive(Serialize)]
        struct Written {
            seq: u64,
            path: String,
            bytes: u64,
        }
        return print_json(&Written {
            seq: written.sequence,
            path: written.path.display().to_string(),
            bytes: written.bytes,
        });
    }
    out!(
        "snapshot of record {} written: {} ({} bytes)",
        written.sequence,
        written.path.display(),
        written.bytes
    )?;
    Ok(())
}
