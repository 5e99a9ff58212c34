//! The store: a ledger kept in memory, its journal on disk, its index in sled, and the threads
//! that keep them in step.
//!
//! Writes go through a two-stage pipeline. Submitters queue commands; the committer thread takes
//! every queued command at once (a group), applies each to the ledger under the write lock and
//! stages one record per accepted command in one buffer; the syncer thread writes that buffer
//! with one append and one `fdatasync`, and only then answers the group's submitters. While one
//! group syncs, the next is applied (at most `SYNC_PIPELINE_DEPTH` groups wait for the disk).
//! Readers take the read lock, which is never held during I/O, so they never wait for a sync.
//! A third thread applies each durable group to the sled index.
//!
//! This file holds the [`Store`] handle, its options and reports, and the writes and queries.
//! The rest of the store is beside it: `store_open.rs` (creating and opening a ledger, torn
//! tails, bringing the index up to the journal), `store_pipeline.rs` (the committer, syncer and
//! indexer threads, the state they share and the order its locks are taken in),
//! `store_verify.rs` (verification and rebuilding the index) and `store_proof.rs` (the Merkle
//! tree, proofs and signed checkpoints).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, RwLockReadGuard};
use std::thread::JoinHandle;

use ledger_core::operation::OperationRecord;
use ledger_core::report::{StatementLine, STATEMENT_PAGE_MAX};
use ledger_core::{
    Account, AccountId, Attribution, Balances, Command, EventResult, Ledger, NewAccount, Reply,
    ResultCode, Statement, StatementError, Transfer, TransferId, TransferRecord,
};

use crate::checkpoint::{Checkpoint, CheckpointKey};
use crate::error::{Error, IndexError, IndexErrorKind, Result};
use crate::file::{JournalIo, OsIo};
use crate::journal::{Head, TornTail};
use crate::load_evicted::{load_named, Evicted};
use crate::lock::DirLock;
use crate::record::{Hash, FORMAT_VERSION, FORMAT_VERSION_MIN};
use crate::segment::{find_segments, SEGMENT_BYTES_DEFAULT, SEGMENT_BYTES_MIN};
use crate::snapshot::{SnapshotReport, SNAPSHOT_AFTER_BYTES_DEFAULT};
use crate::store_pipeline::{Job, Shared};
use crate::time_guard::TimeGuard;

pub use crate::store_open::is_refusal_to_write;
pub use crate::store_verify::{
    journal_root_dir, verify_bytes, verify_dir, verify_dir_from, verify_dir_with_index,
    verify_published, verify_published_dir,
};

/// The sled directory's name in the data directory.
pub const INDEX_DIR_NAME: &str = "index.sled";
/// Groups applied and waiting for the syncer (beyond the one it is writing): enough to keep the
/// engine busy while the disk syncs, few enough that readers run at most a group or two ahead
/// of the disk.
pub const SYNC_PIPELINE_DEPTH: usize = 1;
/// Most commands in one group commit; with full batches of 8,190 transfers this bounds a group
/// to about 52 MB of journal bytes.
pub const GROUP_COMMANDS_MAX: usize = 64;
/// How far the sled index may fall behind the journal, in transfers (new ones and evicted
/// versions alike, `IndexDelta::transfer_entries`), before commits wait for it: bounds the
/// memory the queued index updates take (a transfer's statement entry, about 112 bytes, 224 MiB
/// in all; an evicted version 144 bytes and, for a request not of the plain shape, its boxed
/// copy).
pub const INDEX_LAG_TRANSFERS_MAX: usize = 1 << 21;
/// Most transfers (and evicted versions) the indexer writes in one sled batch (it merges queued
/// groups up to this).
pub const INDEX_BATCH_TRANSFERS_MAX: usize = 1 << 17;
/// Most history entries one page returns.
pub const HISTORY_PAGE_MAX: usize = 1000;

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The key that authenticates checkpoints. Keep it outside the data directory; without it
    /// `checkpoint()` fails and checkpoint MACs are not checked (their digests still are).
    pub checkpoint_key: Option<CheckpointKey>,
    /// The journal's file layer (the real file system unless a test injects another).
    pub io: Arc<dyn JournalIo>,
    /// Which `now` values writes accept: by default plausible wall-clock times only (see
    /// [`TimeGuard`]); simulations that run ahead of the clock pass [`TimeGuard::AnyTime`].
    pub time_guard: TimeGuard,
    /// Open without writing anything in the data directory (an auditor's read-only copy, a
    /// backup, a full disk): see [`Store::open`].
    pub read_only: bool,
    /// The size the writer keeps journal segments under, in bytes (default
    /// [`SEGMENT_BYTES_DEFAULT`], 256 MiB; at least [`SEGMENT_BYTES_MIN`]). A record larger
    /// than it fills a segment alone. Segments written before keep their size.
    pub segment_bytes: u64,
    /// Directories holding sealed segments moved out of the data directory (archive storage);
    /// they are read with the data directory's `journal/`. The newest segment stays there.
    pub segments_from: Vec<PathBuf>,
    /// Journal bytes written after the newest snapshot's record before a checkpoint or a clean
    /// close writes a new snapshot (default [`SNAPSHOT_AFTER_BYTES_DEFAULT`], 4 MiB; `u64::MAX`
    /// for never; [`Store::write_snapshot`] writes one at any time). A host that does neither
    /// still gets one: after `max(segment_bytes, snapshot_after_bytes)` bytes without a
    /// snapshot, a thread of the store's own writes one, started once the commit that crosses
    /// it is durable (that commit's caller does not wait for it; commits pause while the state
    /// is encoded, as for any snapshot; closing waits for it), so that an open after a crash
    /// starts from it. See [`crate::snapshot`].
    pub snapshot_after_bytes: u64,
    /// How many of the newest transfers the engine keeps in memory (`None`, the default: all
    /// of them). With `Some(n)`, every `max(n, 4,096)` transfers the store evicts the older
    /// settled ones to the index (holds still pending stay), and loads back the few a command
    /// names before it applies (docs/FORMAT.md §16.4). Operations, failed ids and ratings
    /// likewise: once more than `n + max(n, 4,096)` of a kind are in memory, all but the newest
    /// `n` go to the index, and those a command looks up are loaded back ([`Store::operation`],
    /// [`Store::failed_code`] and [`Store::rating`] find any). Memory is then bounded
    /// by the accounts, the pending holds and `n`, not by the history. Whatever it is set to,
    /// transfers and operations an earlier run evicted are loaded back as needed.
    pub resident_transfers: Option<usize>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            checkpoint_key: None,
            io: Arc::new(OsIo),
            time_guard: TimeGuard::default(),
            read_only: false,
            segment_bytes: SEGMENT_BYTES_DEFAULT,
            segments_from: Vec::new(),
            snapshot_after_bytes: SNAPSHOT_AFTER_BYTES_DEFAULT,
            resident_transfers: None,
        }
    }
}

impl StoreOptions {
    /// Sets the key that authenticates checkpoints (see [`StoreOptions::checkpoint_key`]).
    pub fn checkpoint_key(mut self, key: CheckpointKey) -> Self {
        self.checkpoint_key = Some(key);
        self
    }

    /// Sets the journal's file layer (a [`crate::SimDisk`] in tests of power loss).
    pub fn io(mut self, io: Arc<dyn JournalIo>) -> Self {
        self.io = io;
        self
    }

    /// Sets which `now` values writes accept (see [`TimeGuard`]).
    pub fn time_guard(mut self, guard: TimeGuard) -> Self {
        self.time_guard = guard;
        self
    }

    /// Keeps at most about `n` of the newest transfers in memory (see
    /// [`StoreOptions::resident_transfers`]).
    pub fn resident_transfers(mut self, n: usize) -> Self {
        self.resident_transfers = Some(n);
        self
    }

    /// Accepts any `now` ([`TimeGuard::AnyTime`]): for simulations that run ahead of the clock.
    pub fn any_time(self) -> Self {
        self.time_guard(TimeGuard::AnyTime)
    }

    /// Opens read-only (see [`StoreOptions::read_only`]).
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Keeps segments under `bytes` (see [`StoreOptions::segment_bytes`]; raised to
    /// [`SEGMENT_BYTES_MIN`] when smaller).
    pub fn segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes.max(SEGMENT_BYTES_MIN);
        self
    }

    /// Writes snapshots after `bytes` of journal (see [`StoreOptions::snapshot_after_bytes`]).
    pub fn snapshot_after_bytes(mut self, bytes: u64) -> Self {
        self.snapshot_after_bytes = bytes;
        self
    }

    /// Reads sealed segments from `dir` too (see [`StoreOptions::segments_from`]).
    pub fn segments_from(mut self, dir: &Path) -> Self {
        self.segments_from.push(dir.to_path_buf());
        self
    }
}

/// How an open read the journal (`docs/FORMAT.md` §16.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalRead {
    /// Only its tail: the segments from the one holding the snapshot's record on.
    Tail,
    /// Whole, in pieces of a few MiB, never held at once (no snapshot was used); a torn tail
    /// is found in the newest segment first and cut.
    Pieces,
    /// Whole, as one image in memory: an open that found something else a clean journal does
    /// not have (damage, an index that does not match its mark), which this read names or
    /// rebuilds, or a journal whose newest segment is not in the data directory.
    Image,
}

/// What the index needed when the store opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexRecovery {
    /// It already reflected the whole journal.
    UpToDate,
    /// It reflected an earlier prefix and was caught up from that sequence.
    CaughtUp {
        /// The first journal record it was caught up with.
        from: u64,
    },
    /// It was missing, damaged or from another journal, and was rebuilt from the journal.
    Rebuilt {
        /// What was wrong with the index.
        why: String,
    },
    /// The store was opened read-only: the index on disk was not changed. A private copy of
    /// it was caught up (or rebuilt) instead, or, without one that could be copied, a
    /// temporary index was built from the journal (see [`Store::open`]).
    Temporary,
}

impl IndexRecovery {
    /// An index whose mark stood at record `from` once it is caught up to the head `head`.
    pub(crate) fn from_mark(from: u64, head: u64) -> IndexRecovery {
        match from == head {
            true => IndexRecovery::UpToDate,
            false => IndexRecovery::CaughtUp { from },
        }
    }
}

/// What opening found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// A torn tail that was cut back (its bytes are kept beside the newest segment, in
    /// `journal/<segment>.tbj.torn-<byte offset in the file>`); on a
    /// read-only store, found and left as it is (the state is the records before it).
    pub torn_tail: Option<TornTail>,
    /// Whether the store was opened read-only ([`StoreOptions::read_only`]).
    pub read_only: bool,
    /// What the sled index needed.
    pub index: IndexRecovery,
    /// Records replayed, genesis included.
    pub records: u64,
    /// Checkpoints whose digest was checked (and MAC, when the key was given).
    pub checkpoints_verified: u64,
    /// The snapshot the state was rebuilt from, and the snapshot files passed over with why.
    pub snapshots: SnapshotReport,
    /// How the journal was read.
    pub journal_read: JournalRead,
}

/// A command that is durable, with what the engine answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The journal record that holds it.
    pub sequence: u64,
    /// That record's hash: the chain's head once it is durable (what [`Status::head_hash`]
    /// reports while no later record was written), so a caller can publish `(sequence, hash)`
    /// without reading the journal.
    pub hash: Hash,
    /// The time it ran at: the caller's `now`, or the previous command's when that was later.
    pub now: u64,
    /// What the engine answered (per-event results, or what `Expire` released and swept).
    pub reply: Reply,
}

impl Committed {
    /// The per-event results (empty for a reply without events, such as `Expire`'s).
    pub fn events(&self) -> &[EventResult] {
        match &self.reply {
            Reply::Events(results) => results,
            _ => &[],
        }
    }
}

/// The store's head and state at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The last durable record.
    pub head_sequence: u64,
    /// The last durable record's hash.
    pub head_hash: Hash,
    /// The journal's records in bytes: every segment's, segment headers not counted (the
    /// offset in the records laid end to end where the next record goes).
    pub journal_bytes: u64,
    /// The digest of the state after the durable head (and not of a group whose sync is still
    /// in flight).
    pub state_digest: Hash,
    /// Accounts and transfers in that state.
    pub accounts: usize,
    /// Transfers in that state (see `Ledger::transfer_count`).
    pub transfers: usize,
    /// The journal sequence the sled index reflects.
    pub indexed_sequence: u64,
}

/// Where a history page ends: pass it back to get the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    /// The account's statement lines (transfers that moved its posted balance) up to and
    /// including the page's last transfer.
    pub lines: u64,
    /// The timestamp of the page's last transfer.
    pub timestamp: u64,
    /// The page's last transfer.
    pub transfer: TransferId,
}

/// One page of an account's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The account's transfers (as debit or credit side), in the order applied.
    pub transfers: Vec<TransferRecord>,
    /// `None` on the last page.
    pub next: Option<HistoryCursor>,
}

/// What `verify` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records verified, genesis included.
    pub records: u64,
    /// The journal's records in bytes (segment headers not counted).
    pub journal_bytes: u64,
    /// Checkpoints whose state digest was checked (and MAC, when a key was given).
    pub checkpoints_verified: u64,
    /// Whether checkpoint MACs were checked (a key was given).
    pub macs_checked: bool,
    /// The last verified record's sequence number.
    pub head_sequence: u64,
    /// The last verified record's hash.
    pub head_hash: Hash,
    /// The state digest after replaying every record.
    pub state_digest: Hash,
    /// Whether the sled index was compared with the replayed state.
    pub index_checked: bool,
    /// Snapshot files checked (hash, binding, decoding, digest; and, where the journal was
    /// replayed, the digest against the replayed state after their record).
    pub snapshots_checked: u64,
}

/// The state at one durable head, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadState {
    pub(crate) head: Head,
    pub(crate) state_digest: Hash,
    pub(crate) accounts: usize,
    pub(crate) transfers: usize,
}

/// A durable ledger. Cheap to share across threads by reference (`&Store` is `Sync`).
///
/// ```
/// use ledger_core::{AccountId, AccountKind, Amount, Command, NewAccount, Policy, Transfer,
///                   TransferId};
/// use ledger_store::{Store, StoreOptions};
///
/// let dir = std::env::temp_dir().join(format!("ledger-store-doc-store-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let now = ledger_store::time_guard::system_clock_ns(); // plausible wall-clock times only
/// let store = Store::create(&dir, &Policy::default_policy(), now, StoreOptions::default())
///     .unwrap();
/// let (fund, member) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
/// store.create_accounts(vec![NewAccount::new(fund, 1, AccountKind::Issuer),
///                            NewAccount::new(member, 1, AccountKind::Member)], now).unwrap();
///
/// // Two services (code 101 under the default policy), in one durable record.
/// let services = (10..12)
///     .map(|id| Transfer::new(TransferId::new(id).unwrap(), fund, member,
///                             Amount::parse("1.25").unwrap(), 1).code(101))
///     .collect();
/// let committed = store.submit(Command::CreateTransfers(services), now + 1).unwrap();
/// assert_eq!(committed.sequence, 2); // genesis 0, accounts 1
///
/// assert_eq!(store.balances(member).unwrap().posted(), 250); // hundredths of an hour
/// assert_eq!(store.account(member).unwrap().posted().to_string(), "2.5");
/// let page = store.history(member, None, 1).unwrap();
/// assert_eq!(page.transfers[0].id(), TransferId::new(10).unwrap());
/// let rest = store.history(member, page.next, 10).unwrap();
/// assert_eq!(rest.transfers.len(), 1);
/// assert!(rest.next.is_none());
/// assert_eq!(store.transfer_sequence(TransferId::new(11).unwrap()).unwrap(), Some(2));
/// store.close().unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct Store {
    pub(crate) shared: Arc<Shared>,
    pub(crate) committer: Option<JoinHandle<()>>,
    pub(crate) syncer: Option<JoinHandle<()>>,
    pub(crate) indexer: Option<JoinHandle<()>>,
    /// The thread writing the snapshot a commit made due, if one was started.
    pub(crate) snapshotter: Mutex<Option<JoinHandle<()>>>,
    pub(crate) report: OpenReport,
    /// The data directory's lock. Declared last so that it is released only after everything
    /// above (the threads, the journal file, sled) was dropped.
    /// `None` only for a read-only store on a directory where the lock file cannot be made.
    pub(crate) _lock: Option<DirLock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.shared.dir)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The store's threads do not panic while holding a lock; if one did, the data behind it
    // is still consistent (every critical section is a plain assignment or a queue move).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// What opening found: a torn tail cut back, how the index was recovered.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    // ---------------------------------------------------------------------------------------
    // Writes

    /// Applies `command` at `now` (nanoseconds since the Unix epoch) and journals it. Many
    /// threads may call this at once; their commands share one write and one `fdatasync`.
    ///
    /// The command runs at `max(now, the previous command's now)`, and that time is journaled,
    /// so replay runs it exactly as it ran.
    ///
    /// The store's time guard ([`StoreOptions::time_guard`]) checks `now` first: by default a
    /// time more than the allowed skew ahead of the system clock, or before the ledger's
    /// creation by more than it, is refused with `Err(InvalidTime)`, and nothing is applied or
    /// journaled.
    ///
    /// On `Ok`: the command's record is durable, the reply is the engine's, and every reader
    /// sees its effects. On `Err(Batch)`: the engine refused the whole batch; nothing changed
    /// and nothing was journaled. On `Err(OutcomeUnknown)`: the write or sync failed; the
    /// record may or may not be on disk (reopen to learn which: it is either wholly there or
    /// cut as a torn tail), and the store is poisoned. On `Err(Poisoned)` or `Err(Closed)`:
    /// nothing was journaled.
    ///
    /// Readers may see a group's effects while its sync is in flight; if that sync fails, the
    /// store is poisoned and reopening returns to the durable state.
    pub fn submit(&self, command: Command, now: u64) -> Result<Committed> {
        self.submit_by(command, Attribution::NONE, now)
    }

    /// [`Store::submit`] on behalf of `who`: the operator and reason are journaled with the
    /// command (annotations, docs/FORMAT.md §4.5), kept for every event it makes, and judged by
    /// the engine (`reason_required`), with the same promises.
    pub fn submit_by(&self, command: Command, who: Attribution, now: u64) -> Result<Committed> {
        self.submit_in(command, who, now, FORMAT_VERSION)
    }

    /// [`Store::submit_by`] journaled in format `version` (2 to [`FORMAT_VERSION`]), for an
    /// import that rebuilds a record written by an earlier version byte for byte. On
    /// `Err(UnwritableVersion)`: the version is not one this binary reads, or it cannot hold
    /// the command (an amendment before version 3, an operator or reason before 4); nothing
    /// was done. Otherwise the same promises.
    pub fn submit_in(
        &self,
        command: Command,
        who: Attribution,
        now: u64,
        version: u8,
    ) -> Result<Committed> {
        let why = if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&version) {
            Some("this binary does not read that format version")
        } else if version < 3 && matches!(command, Command::AmendPolicy(_)) {
            Some("policy amendments exist from format version 3 on")
        } else if version < 4 && who != Attribution::NONE {
            Some("operators and reasons exist from format version 4 on")
        } else if version < 5 && is_arrival(&command) {
            Some("arrivals from other ledgers exist from format version 5 on")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Error::UnwritableVersion { version, why });
        }
        self.check_time(now)?;
        let (tx, rx) = mpsc::sync_channel(1);
        self.enqueue(Job::Command {
            command,
            who,
            now,
            version,
            reply: tx,
        })?;
        let committed = rx.recv().map_err(|_| Error::Closed)??;
        self.snapshot_after_commit();
        Ok(committed)
    }

    /// Whether [`Store::submit`] would accept `now` under the store's time guard: `Ok`, or
    /// `Err(InvalidTime)` saying why not. For callers that plan work at `now` before they
    /// submit it.
    pub fn check_time(&self, now: u64) -> Result<()> {
        Ok(self
            .shared
            .options
            .time_guard
            .check(now, self.shared.created)?)
    }

    /// Creates accounts: [`Store::submit`] of `Command::CreateAccounts`, with the same promises.
    pub fn create_accounts(&self, accounts: Vec<NewAccount>, now: u64) -> Result<Committed> {
        self.submit(Command::CreateAccounts(accounts), now)
    }

    /// Creates transfers: [`Store::submit`] of `Command::CreateTransfers`, same promises.
    pub fn create_transfers(&self, transfers: Vec<Transfer>, now: u64) -> Result<Committed> {
        self.submit(Command::CreateTransfers(transfers), now)
    }

    /// Expires pending transfers whose timeout has passed at `now`: [`Store::submit`] of
    /// `Command::Expire`, same promises.
    pub fn expire(&self, now: u64) -> Result<Committed> {
        self.submit(Command::Expire, now)
    }

    /// Journals a checkpoint of the current head and state, authenticated with the key.
    ///
    /// On `Ok`: the checkpoint record is durable and the returned checkpoint (publish its
    /// [`Checkpoint::to_text`]) covers every record before it. On `Err(NoCheckpointKey)`:
    /// nothing was done. On `Err(OutcomeUnknown)`: as for [`Store::submit`].
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        self.checkpoint_in(FORMAT_VERSION)
    }

    /// [`Store::checkpoint`] journaled in format `version` (an import rebuilding a record
    /// written by an earlier version); `Err(UnwritableVersion)` for a version this binary does
    /// not read.
    pub fn checkpoint_in(&self, version: u8) -> Result<Checkpoint> {
        if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&version) {
            let why = "this binary does not read that format version";
            return Err(Error::UnwritableVersion { version, why });
        }
        if self.shared.options.checkpoint_key.is_none() {
            return Err(Error::NoCheckpointKey);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.enqueue(Job::Checkpoint { version, reply: tx })?;
        let checkpoint = rx.recv().map_err(|_| Error::Closed)??;
        self.snapshot_after_checkpoint();
        Ok(checkpoint)
    }

    /// Commands and checkpoints accepted and not yet answered (queued, being applied, or
    /// waiting for their sync).
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    fn enqueue(&self, job: Job) -> Result<()> {
        if self.shared.options.read_only {
            return Err(Error::ReadOnly);
        }
        if self.shared.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned);
        }
        let mut queue = lock(&self.shared.queue);
        if queue.closed {
            return Err(Error::Closed);
        }
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        queue.jobs.push(job);
        self.shared.queue_ready.notify_one();
        Ok(())
    }

    /// Stops the threads after the queued commands are durable, and flushes the index.
    ///
    /// On `Ok`: every command that was acknowledged is durable (it was before), and the index
    /// was flushed. On `Err`: only the index flush failed; the journal is intact.
    pub fn close(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        // A snapshot a commit made due is finished first (an open after a close starts from it).
        if let Some(handle) = lock(&self.snapshotter).take() {
            let _ = handle.join();
        }
        lock(&self.shared.queue).closed = true;
        self.shared.queue_ready.notify_all();
        // The committer drains the queue and exits, which ends the syncer's channel.
        if let Some(handle) = self.committer.take() {
            let _ = handle.join();
        }
        if let Some(handle) = self.syncer.take() {
            let _ = handle.join();
        }
        lock(&self.shared.index_queue).closed = true;
        self.shared.index_queue_ready.notify_all();
        if let Some(handle) = self.indexer.take() {
            let _ = handle.join();
        }
        self.shared.index.flush()?;
        self.snapshot_at_close();
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Queries: from memory (never waiting for a sync) or from the index.

    /// Runs `f` on the ledger (for reports the store does not wrap). Holds the read lock.
    pub fn read<T>(&self, f: impl FnOnce(&Ledger) -> T) -> T {
        f(&self.ledger())
    }

    pub(crate) fn ledger(&self) -> RwLockReadGuard<'_, Ledger> {
        // A panic inside the engine is a bug; the state it left is still what replay rebuilds
        // on the next open, so reads go on.
        self.shared.ledger.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The account with its current balances, from memory (which may include a group whose
    /// sync is still in flight); `None` if it was never created.
    pub fn account(&self, id: AccountId) -> Option<Account> {
        self.ledger().account(id).cloned()
    }

    /// The account's four running totals, in its unit, as [`Store::account`] reads them.
    pub fn balances(&self, id: AccountId) -> Option<Balances> {
        self.ledger().account(id).map(|a| a.balances)
    }

    /// The transfer as applied, with its current state: from memory, or for a transfer the
    /// engine evicted ([`StoreOptions::resident_transfers`]) from the index; `None` when never
    /// applied (an id that failed included). An error only when the index cannot be read.
    pub fn transfer(&self, id: TransferId) -> Result<Option<TransferRecord>> {
        if let Some(record) = self.ledger().transfer(id).cloned() {
            return Ok(Some(record));
        }
        self.evicted_transfer(id)
    }

    /// The transfer as it was last evicted from the engine's memory, if it ever was: the part
    /// of [`Store::transfer`] past the engine's memory. It takes no engine lock, so a reader
    /// holding the engine in [`Store::read`] calls it for a transfer the engine does not hold
    /// (while the engine is held nothing is evicted or loaded back, so the two together see
    /// every transfer once). An error only when the index cannot be read.
    pub fn evicted_transfer(&self, id: TransferId) -> Result<Option<TransferRecord>> {
        // Evicted versions move from memory to `unindexed` to the index, and leave one only
        // once in the next: looking in that order never misses one.
        if let Some(record) = lock(&self.shared.eviction).unindexed.find(id, u64::MAX) {
            return Ok(Some(record.clone()));
        }
        Ok(self.shared.index.live().evicted_transfer(id, u64::MAX)?)
    }

    /// The outcome of the operation with this id, if the ledger ran one, evicted or not
    /// ([`StoreOptions::resident_transfers`] bounds the operations in memory too). An error
    /// only when the index cannot be read.
    pub fn operation(&self, id: TransferId) -> Result<Option<OperationRecord>> {
        if let Some(record) = self.ledger().operation(id).cloned() {
            return Ok(Some(record));
        }
        self.evicted_operation(id)
    }

    /// The operation as it was evicted from the engine's memory, if it was: the part of
    /// [`Store::operation`] past the engine's memory. Like [`Store::evicted_transfer`] it takes
    /// no engine lock, so a reader holding the engine in [`Store::read`] calls it for an
    /// operation the engine does not hold. An error only when the index cannot be read.
    pub fn evicted_operation(&self, id: TransferId) -> Result<Option<OperationRecord>> {
        let unindexed = lock(&self.shared.eviction)
            .unindexed
            .operations
            .find(id, u64::MAX)
            .cloned();
        if let Some(record) = unindexed {
            return Ok(Some(record));
        }
        Ok(self.shared.index.live().evicted_operation(id, u64::MAX)?)
    }

    /// The code `id` failed with, if it did (a standalone transfer refused with a transient
    /// code, which burns the id), evicted from memory or not. An error only when the index
    /// cannot be read.
    pub fn failed_code(&self, id: TransferId) -> Result<Option<ResultCode>> {
        if let Some(code) = self.ledger().failed_code(id) {
            return Ok(Some(code));
        }
        self.evicted_failed_code(id)
    }

    /// The part of [`Store::failed_code`] past the engine's memory (no engine lock).
    fn evicted_failed_code(&self, id: TransferId) -> Result<Option<ResultCode>> {
        let unindexed = lock(&self.shared.eviction)
            .unindexed
            .failed
            .find(id, u64::MAX)
            .copied();
        if unindexed.is_some() {
            return Ok(unindexed);
        }
        Ok(self.shared.index.live().evicted_failed(id, u64::MAX)?)
    }

    /// The recipient's rating of `transfer` (1 to 5), if it was rated, evicted from memory or
    /// not. An error only when the index cannot be read.
    pub fn rating(&self, transfer: TransferId) -> Result<Option<u8>> {
        if let Some(rating) = ledger_core::timebank::rating(&self.ledger(), transfer) {
            return Ok(Some(rating));
        }
        self.evicted_rating(transfer)
    }

    /// The part of [`Store::rating`] past the engine's memory (no engine lock).
    fn evicted_rating(&self, transfer: TransferId) -> Result<Option<u8>> {
        let unindexed = lock(&self.shared.eviction)
            .unindexed
            .ratings
            .find(transfer, u64::MAX)
            .copied();
        if unindexed.is_some() {
            return Ok(unindexed);
        }
        Ok(self
            .shared
            .index
            .live()
            .evicted_rating(transfer, u64::MAX)?)
    }

    /// The highest id below `limit` of an operation the ledger ran, evicted ones included
    /// (they are in the index). An error only when the index cannot be read.
    pub fn highest_operation_id_below(&self, limit: TransferId) -> Result<Option<TransferId>> {
        let in_memory = self
            .ledger()
            .operations()
            .map(|(id, _)| id)
            .filter(|id| *id < limit)
            .max();
        let unindexed = lock(&self.shared.eviction)
            .unindexed
            .operations
            .highest_below(limit);
        let indexed = self
            .shared
            .index
            .live()
            .highest_evicted_operation_below(limit)?;
        Ok(in_memory.max(unindexed).max(indexed))
    }

    /// Loads into `ledger` (a copy of the engine, taken with [`Store::read`] to try a command
    /// before submitting it) the evicted operation `command` retries, if any, every evicted
    /// transfer it names, each as [`Store::evicted_operation`] and [`Store::evicted_transfer`]
    /// find them, round after round as the committer loads them, then the evicted failed ids
    /// and ratings it looks up ([`Store::failed_code`], [`Store::rating`]):
    /// the copy then applies `command` as the store would, where without them it refuses it
    /// with `BatchError::NotLoaded`. Does nothing for a store that never evicted. Like
    /// `evicted_transfer` it takes no engine lock (it may run inside [`Store::read`]). An error
    /// only when the index cannot be read.
    pub fn load_named_transfers(
        &self,
        ledger: &mut Ledger,
        command: &Command,
        now: u64,
    ) -> Result<()> {
        load_named(ledger, command, now, &mut Readers(self))
    }

    /// The highest id below `limit` of a transfer the ledger applied, evicted ones included
    /// ([`StoreOptions::resident_transfers`]): the engine's memory holds only its newest
    /// transfers, so this also seeks the index once (after waiting, like [`Store::history`],
    /// until it reflects every record durable at the call). `None` when no transfer has an id
    /// below `limit`. An error only when the index cannot be read.
    pub fn highest_transfer_id_below(&self, limit: TransferId) -> Result<Option<TransferId>> {
        let in_memory = self
            .ledger()
            .transfers()
            .map(|t| t.id())
            .filter(|id| *id < limit)
            .max();
        self.wait_indexed()?;
        let indexed = self.shared.index.live().highest_transfer_below(limit)?;
        Ok(in_memory.max(indexed))
    }

    /// The sequence of the journal record that created a transfer, from the index.
    pub fn transfer_sequence(&self, id: TransferId) -> Result<Option<u64>> {
        self.wait_indexed()?;
        Ok(self.shared.index.live().transfer(id)?)
    }

    /// The account as the index holds it (equal to [`Store::account`] once indexed).
    pub fn indexed_account(&self, id: AccountId) -> Result<Option<Account>> {
        self.wait_indexed()?;
        Ok(self.shared.index.live().account(id)?)
    }

    /// One page of an account's transfers, oldest first, at most `limit` (capped at
    /// [`HISTORY_PAGE_MAX`]), starting after `after`.
    pub fn history(
        &self,
        account: AccountId,
        after: Option<HistoryCursor>,
        limit: usize,
    ) -> Result<HistoryPage> {
        self.wait_indexed()?;
        let limit = limit.clamp(1, HISTORY_PAGE_MAX);
        let after = after.map(|c| (c.lines, c.timestamp));
        let mut entries = self
            .shared
            .index
            .live()
            .history(account, after, limit + 1)?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        let mut transfers = Vec::with_capacity(entries.len());
        for (_, entry) in &entries {
            transfers.extend(self.transfer(entry.transfer)?);
        }
        let next = match (more, entries.last()) {
            (true, Some((lines, last))) => Some(HistoryCursor {
                lines: *lines,
                timestamp: last.timestamp,
                transfer: last.transfer,
            }),
            _ => None,
        };
        Ok(HistoryPage { transfers, next })
    }

    /// How many lines `account`'s statement holds (its posted movements), from the index: the
    /// `from` of its last page of `n` lines is this less `n`. An unknown account is
    /// `StatementError::AccountNotFound`.
    pub fn statement_lines(&self, account: AccountId) -> Result<usize> {
        if self.ledger().account(account).is_none() {
            return Err(StatementError::AccountNotFound(account).into());
        }
        self.wait_indexed()?;
        let lines = self.shared.index.live().statement_lines(account)?;
        Ok(usize::try_from(lines).unwrap_or(usize::MAX))
    }

    /// Lines `from .. from + limit` (counting from 0) of `account`'s statement: its posted
    /// movements in the order applied, each with the posted balance after it, and the balance
    /// before the first (after the last line when `from` is past it). Holds appear when they
    /// are posted; voided and expired holds never moved the balance and do not appear.
    ///
    /// Read from the index alone (it waits, like [`Store::history`], until the index reflects
    /// every record durable at the call), with the account's unit and each line's attribution
    /// (operator and reason, [`Ledger::attribution_at`]) from memory.
    ///
    /// Errors: [`StatementError::AccountNotFound`] for an unknown account, then
    /// [`StatementError::PageSize`] for a `limit` of 0 or above [`STATEMENT_PAGE_MAX`], both as
    /// [`Error::Statement`]; an index error as [`Error::Index`].
    pub fn statement(&self, account: AccountId, from: usize, limit: usize) -> Result<Statement> {
        let unit = self
            .ledger()
            .account(account)
            .map(|a| a.unit)
            .ok_or(StatementError::AccountNotFound(account))?;
        if limit == 0 || limit > STATEMENT_PAGE_MAX {
            return Err(StatementError::PageSize(limit).into());
        }
        self.wait_indexed()?;
        let from_line = u64::try_from(from).unwrap_or(u64::MAX);
        let page = self
            .shared
            .index
            .live()
            .statement(account, from_line, limit)?;
        let ledger = self.ledger();
        let lines: Vec<StatementLine> = page
            .lines
            .iter()
            .map(|(entry, balance)| entry.line(*balance, ledger.attribution_at(entry.timestamp)))
            .collect();
        let end = from.saturating_add(lines.len());
        Ok(Statement {
            account,
            unit,
            opening_balance: page.opening_balance,
            lines,
            next: page.more.then_some(end),
        })
    }

    /// The durable head, the state digest after it, and counts, all of one moment.
    ///
    /// The digest takes time in proportion to the ledger, so it is computed once per head and
    /// kept: calls while the head does not move are cheap. When a group's sync is in flight
    /// (the state in memory is ahead of the durable head), this waits for that sync, so that
    /// the digest is the durable head's. On a poisoned store (a sync failed) the state in
    /// memory may be ahead of the journal; reopen it for a status that matches the disk.
    pub fn status(&self) -> Status {
        let at_head = self.head_state();
        Status {
            head_sequence: at_head.head.sequence,
            head_hash: at_head.head.hash,
            journal_bytes: at_head.head.len,
            state_digest: at_head.state_digest,
            accounts: at_head.accounts,
            transfers: at_head.transfers,
            indexed_sequence: lock(&self.shared.indexed).sequence,
        }
    }

    /// The journal's segment files: the data directory's and those of
    /// [`StoreOptions::segments_from`] (a listing of names; no segment is read).
    pub fn segment_count(&self) -> Result<u64> {
        let options = &self.shared.options;
        let found = find_segments(&*options.io, &self.shared.dir, &options.segments_from)?;
        Ok(found.map_or(0, |f| f.len() as u64))
    }

    /// The size this store keeps journal segments under, in bytes (see
    /// [`StoreOptions::segment_bytes`]); a read-only store writes none.
    pub fn segment_bytes(&self) -> u64 {
        self.shared.options.segment_bytes
    }

    /// The state digest after the durable head (see [`Store::status`]).
    pub fn state_digest(&self) -> Hash {
        self.head_state().state_digest
    }

    /// The durable head's state: from the cache, or computed when the state in memory is the
    /// head's (pausing commits for one in-flight sync at most when it is not).
    pub(crate) fn head_state(&self) -> HeadState {
        let head = *lock(&self.shared.durable);
        if let Some(cached) = *lock(&self.shared.digest_cache) {
            if cached.head == head {
                return cached;
            }
        }
        if let Some(state) = self.head_state_now() {
            return state;
        }
        // A group is being synced: hold the next one back until it is durable, as verify does.
        let _gate = lock(&self.shared.commit_gate);
        self.wait_synced();
        self.head_state_now().unwrap_or_else(|| {
            // Only a poisoned store stays ahead of its durable head; see `status`.
            let ledger = self.ledger();
            head_state_of(*lock(&self.shared.durable), &ledger)
        })
    }

    /// The durable head's state, when the state in memory is exactly the head's.
    pub(crate) fn head_state_now(&self) -> Option<HeadState> {
        let ledger = self.ledger();
        // Under the read lock `applied` cannot move; the durable head only moves up to it.
        let head = *lock(&self.shared.durable);
        if self.shared.applied.load(Ordering::Acquire) != head.sequence {
            return None;
        }
        let state = head_state_of(head, &ledger);
        drop(ledger);
        let mut cache = lock(&self.shared.digest_cache);
        // Keep the later of two heads computed at once.
        if cache.is_none_or(|c| c.head.sequence <= head.sequence) {
            *cache = Some(state);
        }
        Some(state)
    }

    /// Waits until no applied group is waiting for its sync (call with the commit gate held,
    /// so that the state in memory is then exactly the durable head's).
    pub(crate) fn wait_synced(&self) {
        self.shared.wait_synced();
    }

    pub(crate) fn check_not_poisoned(&self) -> Result<()> {
        self.shared.check_not_poisoned()
    }

    /// Waits until the index reflects every record durable at the time of the call. This waits
    /// for the indexer, never for a sync.
    pub(crate) fn wait_indexed(&self) -> Result<()> {
        // Read the head first: a guard in the call's argument would hold `durable` through the
        // wait, and the syncer needs it to publish every head (commits would stall on a query).
        let target = lock(&self.shared.durable).sequence;
        self.wait_indexed_to(target)
    }

    pub(crate) fn wait_indexed_to(&self, target: u64) -> Result<()> {
        let mut progress = lock(&self.shared.indexed);
        loop {
            if let Some(why) = &progress.failed {
                return Err(IndexError::new(IndexErrorKind::Stopped, why.clone()).into());
            }
            if progress.sequence >= target {
                return Ok(());
            }
            progress = self
                .shared
                .indexed_ready
                .wait(progress)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// What a reader's copy of the engine loads from: what the store's own lookups find (the
/// versions in flight, else the index once it has caught up).
struct Readers<'a>(&'a Store);

impl Evicted for Readers<'_> {
    type Error = Error;

    fn operation(&mut self, id: TransferId) -> Result<Option<OperationRecord>> {
        self.0.evicted_operation(id)
    }

    fn transfer(&mut self, id: TransferId) -> Result<Option<TransferRecord>> {
        self.0.evicted_transfer(id)
    }

    fn failed(&mut self, id: TransferId) -> Result<Option<ResultCode>> {
        self.0.evicted_failed_code(id)
    }

    fn rating(&mut self, transfer: TransferId) -> Result<Option<u8>> {
        self.0.evicted_rating(transfer)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

pub(crate) fn head_state_of(head: Head, ledger: &Ledger) -> HeadState {
    HeadState {
        head,
        state_digest: ledger.state_digest(),
        accounts: ledger.account_count(),
        transfers: ledger.transfer_count(),
    }
}

fn is_arrival(command: &Command) -> bool {
    matches!(command, Command::Operate(o) if matches!(o.kind, ledger_core::operation::OperationKind::Arrival(_)))
}
