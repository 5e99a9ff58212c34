//! The write pipeline: the committer, syncer and indexer threads and the state they share.
//!
//! Lock order. A thread holding a lock takes only locks later in this list, and the short ones
//! (marked *brief*) are never held while waiting for anything:
//! 1. `commit_gate`: held by the committer for each group, and by `verify`, `rebuild_index` and
//!    `head_state` (for `status` while a sync is in flight) to pause commits;
//! 2. `in_flight` (waited on under the gate until no group is syncing);
//! 3. `ledger`: written by the committer while it applies a group, read by queries; never held
//!    during I/O;
//! 4. `durable`, `digest_cache`, `tree`, `queue`, `eviction` (*brief*; the committer holds
//!    `eviction` with `ledger` for a group, and reads the index under both when a command names
//!    a transfer the engine evicted, which is rare);
//! 5. `index_queue`: the syncer waits on it for room when the index lags, the indexer for work;
//! 6. `indexed`: queries wait on it for the indexer.
//!
//! Who holds what: submitters take `queue` to add a job. The committer takes `queue` for the
//! next group, then holds `commit_gate` while it takes `ledger` to write and bumps `in_flight`,
//! and sends the group to the syncer (blocking there while `SYNC_PIPELINE_DEPTH` groups wait).
//! The syncer, without the gate, writes and syncs, then takes `tree` and `durable` in turn,
//! answers, queues the group for the indexer (`index_queue`) and drops `in_flight`. The indexer
//! takes `index_queue`, applies to sled with no lock held, then takes `indexed`.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, RwLock};

use ledger_core::{Account, AccountId, Attribution, Command, Ledger};

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::eviction::Eviction;
use crate::file::JournalFile;
use crate::id_hasher::IdHashSet;
use crate::index::{Index, IndexDelta, IndexMark};
use crate::journal::{write_durably, Head, JournalWriter};
use crate::journal_walk::FrameMarks;
use crate::lock::DirLock;
use crate::merkle::MerkleTree;
use crate::outcome::outcome_of;
use crate::profile::CryptoProfile;
use crate::record::checkpoint_digest;
use crate::replay::Replayed;
use crate::store::{
    lock, Committed, HeadState, OpenReport, Store, StoreOptions, GROUP_COMMANDS_MAX,
    INDEX_BATCH_TRANSFERS_MAX, INDEX_LAG_TRANSFERS_MAX, SYNC_PIPELINE_DEPTH,
};
use crate::store_proof::grow_tree;
use crate::store_proof::TREE_BLOCK_LEVELS;

type Reply1<T> = mpsc::SyncSender<Result<T>>;

pub(crate) enum Job {
    Command {
        command: Command,
        who: Attribution,
        now: u64,
        /// The format version of its record (the current one but for imports).
        version: u8,
        reply: Reply1<Committed>,
    },
    Checkpoint {
        version: u8,
        reply: Reply1<Checkpoint>,
    },
}

/// A staged outcome waiting for the group's sync.
enum Answer {
    Command(Reply1<Committed>, Result<Committed>),
    Checkpoint(Reply1<Checkpoint>, Result<Checkpoint>),
}

#[derive(Default)]
pub(crate) struct Queue {
    pub(crate) jobs: Vec<Job>,
    pub(crate) closed: bool,
}

#[derive(Default)]
pub(crate) struct IndexProgress {
    pub(crate) sequence: u64,
    pub(crate) failed: Option<String>,
}

struct IndexJob {
    delta: IndexDelta,
    accounts: Vec<Account>,
    marker: IndexMark,
}

/// An applied group on its way to the disk.
struct SyncJob {
    bytes: Vec<u8>,
    head: Head,
    answers: Vec<Answer>,
    delta: IndexDelta,
    accounts: Vec<Account>,
    /// Accounts and transfers in the ledger after the group (the index mark's fingerprint).
    counts: (u64, u64),
}

/// Durable groups waiting for the indexer.
#[derive(Default)]
pub(crate) struct IndexQueue {
    jobs: VecDeque<IndexJob>,
    transfers: usize,
    pub(crate) closed: bool,
    /// While set, the indexer applies nothing beyond this sequence (verify holds the index
    /// still there while it compares, and commits go on).
    pause_at: Option<u64>,
}

impl IndexQueue {
    /// Whether the front job may be applied now.
    fn ready(&self) -> bool {
        match (self.jobs.front(), self.pause_at) {
            (None, _) => false,
            (Some(job), Some(pause)) => job.marker.sequence <= pause,
            (Some(_), None) => true,
        }
    }
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) options: StoreOptions,
    /// The cryptographic profile the genesis record names.
    pub(crate) profile: CryptoProfile,
    /// The Merkle tree over the durable records (and, briefly, over a group whose sync just
    /// returned: the syncer grows it before it moves `durable`, so it always covers the
    /// durable head). Held only to push or to read hashes, never with another lock.
    pub(crate) tree: Mutex<MerkleTree>,
    /// Where walks of the journal's frames (proofs, blocks of the tree) may start.
    pub(crate) frame_marks: FrameMarks,
    /// The genesis record's `now`: the time guard refuses commands before it.
    pub(crate) created: u64,
    pub(crate) ledger: RwLock<Ledger>,
    pub(crate) queue: Mutex<Queue>,
    pub(crate) queue_ready: Condvar,
    /// Held by the committer for each group, and by operations that need writes paused.
    pub(crate) commit_gate: Mutex<()>,
    /// Groups handed to the syncer and not yet finished.
    pub(crate) in_flight: Mutex<usize>,
    pub(crate) in_flight_done: Condvar,
    /// Commands and checkpoints accepted and not yet answered.
    pub(crate) pending: AtomicUsize,
    pub(crate) durable: Mutex<Head>,
    /// The sequence of the last record applied to `ledger` (durable or not); written by the
    /// committer under the ledger's write lock.
    pub(crate) applied: AtomicU64,
    /// The state digest and counts at a durable head, so `status` computes the digest (which
    /// takes time in proportion to the ledger) once per head rather than once per call.
    pub(crate) digest_cache: Mutex<Option<HeadState>>,
    pub(crate) index: Index,
    pub(crate) index_queue: Mutex<IndexQueue>,
    pub(crate) index_queue_ready: Condvar,
    pub(crate) index_queue_room: Condvar,
    pub(crate) indexed: Mutex<IndexProgress>,
    pub(crate) indexed_ready: Condvar,
    pub(crate) poisoned: AtomicBool,
    /// The journal image's length up to the end of the newest snapshot's record (0 when there
    /// is none): how much a replay from it covers.
    pub(crate) snapshot_covers: AtomicU64,
    /// Why the snapshot the last checkpoint (or commit) tried to write was not written, if it
    /// was not.
    pub(crate) snapshot_failure: Mutex<Option<String>>,
    /// Set while the snapshot a commit made due is written (one at a time).
    pub(crate) snapshot_writing: AtomicBool,
    /// When the committer evicts transfers, and the versions not in the index yet.
    pub(crate) eviction: Mutex<Eviction>,
}

impl Shared {
    /// Waits until no applied group is on its way to the disk.
    pub(crate) fn wait_synced(&self) {
        let mut in_flight = lock(&self.in_flight);
        while *in_flight > 0 {
            in_flight = self
                .in_flight_done
                .wait(in_flight)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(crate) fn check_not_poisoned(&self) -> Result<()> {
        match self.poisoned.load(Ordering::Acquire) {
            true => Err(Error::Poisoned),
            false => Ok(()),
        }
    }
}

impl Store {
    pub(crate) fn start(
        dir: &Path,
        (options, created): (StoreOptions, u64),
        (replayed, tree, snapshot_covers): (Replayed, MerkleTree, u64),
        index: Index,
        (writer, file): (JournalWriter, Box<dyn JournalFile>),
        report: OpenReport,
        lock: Option<DirLock>,
    ) -> Store {
        let head = replayed.head;
        let options_keep = options.resident_transfers;
        let transfer_count = replayed.ledger.transfer_count();
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            options,
            profile: replayed.profile,
            tree: Mutex::new(tree.in_blocks(TREE_BLOCK_LEVELS)),
            frame_marks: FrameMarks::default(),
            created,
            ledger: RwLock::new(replayed.ledger),
            queue: Mutex::new(Queue::default()),
            queue_ready: Condvar::new(),
            commit_gate: Mutex::new(()),
            in_flight: Mutex::new(0),
            in_flight_done: Condvar::new(),
            pending: AtomicUsize::new(0),
            durable: Mutex::new(head),
            applied: AtomicU64::new(head.sequence),
            digest_cache: Mutex::new(None),
            index,
            index_queue: Mutex::new(IndexQueue::default()),
            index_queue_ready: Condvar::new(),
            index_queue_room: Condvar::new(),
            indexed: Mutex::new(IndexProgress {
                sequence: head.sequence,
                failed: None,
            }),
            indexed_ready: Condvar::new(),
            poisoned: AtomicBool::new(false),
            snapshot_covers: AtomicU64::new(snapshot_covers),
            snapshot_failure: Mutex::new(None),
            snapshot_writing: AtomicBool::new(false),
            eviction: Mutex::new(Eviction::live(options_keep, transfer_count)),
        });
        let (sync_tx, sync_rx) = mpsc::sync_channel(SYNC_PIPELINE_DEPTH);
        let committer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("ledger-committer".into())
                .spawn(move || commit_loop(&shared, writer, &sync_tx))
                .expect("spawning the committer thread")
        };
        let syncer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("ledger-syncer".into())
                .spawn(move || sync_loop(&shared, file, sync_rx))
                .expect("spawning the syncer thread")
        };
        let indexer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("ledger-indexer".into())
                .spawn(move || index_loop(&shared))
                .expect("spawning the indexer thread")
        };
        Store {
            shared,
            committer: Some(committer),
            syncer: Some(syncer),
            indexer: Some(indexer),
            snapshotter: Mutex::new(None),
            report,
            _lock: lock,
        }
    }
}

// -------------------------------------------------------------------------------------------
// The committer and the indexer.

/// Closes the queue when the committer stops for any reason (a panic in the engine included),
/// so that no submitter waits for an answer that will never come.
struct CommitterExit<'a>(&'a Shared);

impl Drop for CommitterExit<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::Release);
        }
        let mut queue = lock(&self.0.queue);
        queue.closed = true;
        for job in queue.jobs.drain(..) {
            refuse(self.0, job, || Error::Closed);
        }
    }
}

/// Marks the index failed if the indexer stops unexpectedly, so queries report it instead of
/// waiting, and lets commits go on without waiting for index room.
struct IndexerExit<'a>(&'a Shared);

impl Drop for IndexerExit<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.indexed)
                .failed
                .get_or_insert_with(|| "the indexer stopped; reopen to rebuild".into());
            self.0.indexed_ready.notify_all();
            lock(&self.0.index_queue).closed = true;
            self.0.index_queue_room.notify_all();
        }
    }
}

fn commit_loop(shared: &Shared, mut writer: JournalWriter, sync_tx: &mpsc::SyncSender<SyncJob>) {
    let _exit = CommitterExit(shared);
    while let Some(jobs) = next_group(shared) {
        let _gate = lock(&shared.commit_gate);
        if shared.poisoned.load(Ordering::Acquire) {
            for job in jobs {
                refuse(shared, job, || Error::Poisoned);
            }
            continue;
        }
        let (answers, delta, accounts, counts) = apply_group(shared, &mut writer, jobs);
        if !writer.has_staged() {
            deliver(shared, answers);
            continue;
        }
        let (bytes, head) = writer.take_staged();
        *lock(&shared.in_flight) += 1;
        let job = SyncJob {
            bytes,
            head,
            answers,
            delta,
            accounts,
            counts,
        };
        if let Err(mpsc::SendError(job)) = sync_tx.send(job) {
            // The syncer stopped (it only does so after a panic): nothing more can be durable.
            // The group was never written.
            shared.poisoned.store(true, Ordering::Release);
            deliver(
                shared,
                job.answers.into_iter().map(Answer::refuse).collect(),
            );
            finish_in_flight(shared);
        }
    }
}

/// The syncer: writes each applied group with one append and one `fdatasync`, then answers.
fn sync_loop(shared: &Shared, mut file: Box<dyn JournalFile>, rx: mpsc::Receiver<SyncJob>) {
    for job in rx {
        if shared.poisoned.load(Ordering::Acquire) {
            // A group applied after a failed sync: its records follow a hole, never write
            // them. They are known not to be durable.
            let refused = job.answers.into_iter().map(Answer::refuse).collect();
            deliver(shared, refused);
            finish_in_flight(shared);
            continue;
        }
        match write_durably(file.as_mut(), &job.bytes) {
            Ok(()) => {
                grow_tree(&mut lock(&shared.tree), &job.bytes);
                *lock(&shared.durable) = job.head;
                deliver(shared, job.answers);
                let index_job = IndexJob {
                    delta: job.delta,
                    accounts: job.accounts,
                    marker: IndexMark {
                        sequence: job.head.sequence,
                        hash: job.head.hash,
                        accounts: job.counts.0,
                        transfers: job.counts.1,
                    },
                };
                queue_index_job(shared, index_job);
            }
            Err(e) => {
                shared.poisoned.store(true, Ordering::Release);
                deliver(
                    shared,
                    job.answers.into_iter().map(|a| a.fail(&e)).collect(),
                );
            }
        }
        finish_in_flight(shared);
    }
}

fn finish_in_flight(shared: &Shared) {
    let mut in_flight = lock(&shared.in_flight);
    *in_flight = in_flight.saturating_sub(1);
    shared.in_flight_done.notify_all();
}

/// Waits for queued jobs and takes up to a group's worth; `None` once closed and drained.
fn next_group(shared: &Shared) -> Option<Vec<Job>> {
    let mut queue = lock(&shared.queue);
    while queue.jobs.is_empty() {
        if queue.closed {
            return None;
        }
        queue = shared
            .queue_ready
            .wait(queue)
            .unwrap_or_else(|e| e.into_inner());
    }
    let take = queue.jobs.len().min(GROUP_COMMANDS_MAX);
    Some(queue.jobs.drain(..take).collect())
}

fn apply_group(
    shared: &Shared,
    writer: &mut JournalWriter,
    jobs: Vec<Job>,
) -> (Vec<Answer>, IndexDelta, Vec<Account>, (u64, u64)) {
    let mut ledger = shared.ledger.write().unwrap_or_else(|e| e.into_inner());
    let mut eviction = lock(&shared.eviction);
    eviction
        .unindexed
        .indexed_through(lock(&shared.indexed).sequence);
    let mut index = None;
    let mut answers = Vec::with_capacity(jobs.len());
    let mut delta = IndexDelta::default();
    for job in jobs {
        match job {
            Job::Command {
                command,
                who,
                now,
                version,
                reply,
            } => {
                let now = writer.next_now(now);
                let next = writer.staged_head().sequence + 1;
                let index = index.get_or_insert_with(|| shared.index.live());
                let loaded = eviction.prepare(&mut ledger, &command, now, next, index);
                let outcome = match loaded.map(|()| ledger.execute_by(&command, who, now)) {
                    Err(e) => Err(Error::Index(e)),
                    Ok(Err(e)) => Err(Error::Batch(e)),
                    Ok(Ok(engine_reply)) => {
                        let outcome = outcome_of(&command, &engine_reply, &ledger);
                        let sequence =
                            writer.stage_command_in(now, &command, &outcome, who, version);
                        debug_assert_eq!(sequence, next);
                        delta.collect(sequence, &command, &engine_reply, &ledger);
                        eviction.after(&mut ledger, sequence, &mut delta);
                        Ok(Committed {
                            sequence,
                            hash: writer.staged_head().hash,
                            now,
                            reply: engine_reply,
                        })
                    }
                };
                answers.push(Answer::Command(reply, outcome));
            }
            Job::Checkpoint { version, reply } => {
                let outcome = match &shared.options.checkpoint_key {
                    None => Err(Error::NoCheckpointKey),
                    Some(key) => match checkpoint_digest(&ledger, version) {
                        None => Err(Error::Batch(ledger_core::BatchError::HistoryEvicted)),
                        Some(digest) => {
                            let head = writer.staged_head();
                            let checkpoint =
                                Checkpoint::sign(head.sequence, head.hash, digest, key);
                            writer.stage_checkpoint_in(&checkpoint, version);
                            Ok(checkpoint)
                        }
                    },
                };
                answers.push(Answer::Checkpoint(reply, outcome));
            }
        }
    }
    let accounts = changed_accounts(&ledger, &delta);
    // Under the write lock: a reader holding the read lock sees the state and this together.
    let applied = writer.staged_head().sequence;
    shared.applied.store(applied, Ordering::Release);
    let counts = (
        ledger.account_count() as u64,
        ledger.transfer_count() as u64,
    );
    (answers, delta, accounts, counts)
}

/// The accounts `delta` changed, as `ledger` holds them now, each once and in no order (the
/// indexer orders them as it merges groups). Deduplicated by a hash set rather than by sorting
/// the ids (`IndexDelta::touched_accounts`): at batches of 8,190 the sort of the 16,380 ids
/// cost about 550 instructions a transfer. The vector is sized first: grown as it filled, its
/// 256-byte records were copied over and over.
fn changed_accounts(ledger: &Ledger, delta: &IndexDelta) -> Vec<Account> {
    if delta.all_accounts {
        return ledger.accounts().cloned().collect();
    }
    let mut seen: IdHashSet<AccountId> =
        IdHashSet::with_capacity_and_hasher(delta.accounts.len(), Default::default());
    let mut accounts = Vec::with_capacity(delta.accounts.len());
    for id in &delta.accounts {
        if seen.insert(*id) {
            accounts.extend(ledger.account(*id).cloned());
        }
    }
    accounts
}

impl Answer {
    /// The answer when the group's write or sync failed: the outcome of each accepted command
    /// is unknown (the bytes may have reached the disk).
    fn fail(self, e: &std::io::Error) -> Answer {
        let unknown = |sequence| Error::OutcomeUnknown {
            sequence,
            error: std::io::Error::new(e.kind(), e.to_string()),
        };
        match self {
            Answer::Command(tx, Ok(done)) => Answer::Command(tx, Err(unknown(done.sequence))),
            Answer::Checkpoint(tx, Ok(checkpoint)) => {
                Answer::Checkpoint(tx, Err(unknown(checkpoint.sequence + 1)))
            }
            other => other,
        }
    }

    /// The answer for a group that was never written (an earlier sync failed).
    fn refuse(self) -> Answer {
        match self {
            Answer::Command(tx, Ok(_)) => Answer::Command(tx, Err(Error::Poisoned)),
            Answer::Checkpoint(tx, Ok(_)) => Answer::Checkpoint(tx, Err(Error::Poisoned)),
            other => other,
        }
    }
}

fn deliver(shared: &Shared, answers: Vec<Answer>) {
    for answer in answers {
        shared.pending.fetch_sub(1, Ordering::AcqRel);
        // A submitter that stopped waiting (its thread ended) needs no answer.
        match answer {
            Answer::Command(tx, outcome) => drop(tx.send(outcome)),
            Answer::Checkpoint(tx, outcome) => drop(tx.send(outcome)),
        }
    }
}

fn refuse(shared: &Shared, job: Job, error: impl Fn() -> Error) {
    shared.pending.fetch_sub(1, Ordering::AcqRel);
    match job {
        Job::Command { reply, .. } => drop(reply.send(Err(error()))),
        Job::Checkpoint { reply, .. } => drop(reply.send(Err(error()))),
    }
}

/// Holds the indexer at a sequence until dropped.
pub(crate) struct IndexPause<'a>(&'a Shared);

impl<'a> IndexPause<'a> {
    pub(crate) fn new(shared: &'a Shared, at: u64) -> Self {
        lock(&shared.index_queue).pause_at = Some(at);
        IndexPause(shared)
    }
}

impl Drop for IndexPause<'_> {
    fn drop(&mut self) {
        lock(&self.0.index_queue).pause_at = None;
        self.0.index_queue_ready.notify_all();
    }
}

/// Hands a durable group to the indexer, waiting while the index is too far behind.
fn queue_index_job(shared: &Shared, job: IndexJob) {
    let mut queue = lock(&shared.index_queue);
    while queue.transfers >= INDEX_LAG_TRANSFERS_MAX && !queue.jobs.is_empty() && !queue.closed {
        queue = shared
            .index_queue_room
            .wait(queue)
            .unwrap_or_else(|e| e.into_inner());
    }
    queue.transfers += job.delta.transfer_entries();
    queue.jobs.push_back(job);
    shared.index_queue_ready.notify_one();
}

/// Takes queued groups, merged into one job of at most `INDEX_BATCH_TRANSFERS_MAX` transfers
/// (or one group, if larger); `None` once closed and drained.
fn next_index_job(shared: &Shared) -> Option<IndexJob> {
    let mut queue = lock(&shared.index_queue);
    while !queue.ready() {
        if queue.closed && queue.pause_at.is_none() && queue.jobs.is_empty() {
            return None;
        }
        queue = shared
            .index_queue_ready
            .wait(queue)
            .unwrap_or_else(|e| e.into_inner());
    }
    let mut merged = queue.jobs.pop_front()?;
    let mut accounts: BTreeMap<AccountId, Account> =
        merged.accounts.drain(..).map(|a| (a.id, a)).collect();
    while let Some(next) = queue.jobs.front() {
        if merged.delta.transfer_entries() + next.delta.transfer_entries()
            > INDEX_BATCH_TRANSFERS_MAX
            || queue
                .pause_at
                .is_some_and(|pause| next.marker.sequence > pause)
        {
            break;
        }
        let Some(mut next) = queue.jobs.pop_front() else {
            break;
        };
        merged.delta.append_transfers(&mut next.delta);
        // Later groups hold later states of an account: they win.
        accounts.extend(next.accounts.into_iter().map(|a| (a.id, a)));
        merged.marker = next.marker;
    }
    merged.accounts = accounts.into_values().collect();
    queue.transfers = queue.jobs.iter().map(|j| j.delta.transfer_entries()).sum();
    shared.index_queue_room.notify_all();
    Some(merged)
}

fn index_loop(shared: &Shared) {
    let _exit = IndexerExit(shared);
    while let Some(job) = next_index_job(shared) {
        // After a failure, keep draining so that commits never wait on a dead index; queries
        // that need the index report the failure until the store is reopened.
        if lock(&shared.indexed).failed.is_some() {
            continue;
        }
        let result = shared
            .index
            .live()
            .apply(&job.delta, &job.accounts, Some(job.marker));
        let mut progress = lock(&shared.indexed);
        match result {
            Ok(()) => progress.sequence = job.marker.sequence,
            Err(e) => {
                progress.failed = Some(format!("{e}; reopen or rebuild_index to repair"));
            }
        }
        shared.indexed_ready.notify_all();
    }
}
