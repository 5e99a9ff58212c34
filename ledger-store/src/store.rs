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

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;

use ledger_core::{
    Account, AccountId, Attribution, Balances, Command, EventResult, Ledger, NewAccount, Policy,
    Reply, Transfer, TransferId, TransferRecord,
};

use crate::checkpoint::hex;
use crate::checkpoint::{Checkpoint, CheckpointKey};
use crate::error::{Corruption, CorruptionReason, Error, Result};
use crate::file::{create_private_dir, JournalFile, JournalIo, OsIo};
use crate::index::{Index, IndexDelta, IndexMark, IndexTree, REBUILD_CHUNK_TRANSFERS};
use crate::journal::{genesis_record, scan_frames, write_durably, Head, JournalWriter, TornTail};
use crate::lock::DirLock;
use crate::merkle::{MerkleTree, TreeHash};
use crate::outcome::outcome_of;
use crate::profile::{genesis_body, CryptoProfile};
use crate::proof::{
    ConsistencyProof, InclusionProof, RecordProof, StatementProof, STATEMENT_RECORDS_MAX,
};
use crate::record::{
    parse_frame, Hash, FORMAT_VERSION, FORMAT_VERSION_MIN, HASH_BYTES, OFFSET_LENGTH,
};
use crate::replay::{replay, Progress, Replayed};
use crate::segment::{
    find_segments, read_journal, segment_path, JournalImage, SegmentHeader, SegmentedFile,
    JOURNAL_DIR_NAME, SEGMENT_BYTES_DEFAULT, SEGMENT_BYTES_MIN, SEGMENT_HEADER_BYTES,
};
use crate::signed_checkpoint::{CheckpointClaim, SignedCheckpoint, SigningKey};
use crate::time_guard::TimeGuard;

/// The sled directory's name in the data directory.
pub const INDEX_DIR_NAME: &str = "index.sled";
/// Groups applied and waiting for the syncer (beyond the one it is writing): enough to keep the
/// engine busy while the disk syncs, few enough that readers run at most a group or two ahead
/// of the disk.
pub const SYNC_PIPELINE_DEPTH: usize = 1;
/// Most commands in one group commit; with full batches of 8,190 transfers this bounds a group
/// to about 52 MB of journal bytes.
pub const GROUP_COMMANDS_MAX: usize = 64;
/// How far the sled index may fall behind the journal, in transfers, before commits wait for
/// it: bounds the memory the queued index updates take (about 64 bytes a transfer, 256 MiB).
pub const INDEX_LAG_TRANSFERS_MAX: usize = 1 << 22;
/// Most transfers the indexer writes in one sled batch (it merges queued groups up to this).
pub const INDEX_BATCH_TRANSFERS_MAX: usize = 1 << 17;
/// Most copies of torn tails cut at the same offset that the data directory keeps.
const TORN_COPIES_MAX: u32 = 100;
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

    /// Reads sealed segments from `dir` too (see [`StoreOptions::segments_from`]).
    pub fn segments_from(mut self, dir: &Path) -> Self {
        self.segments_from.push(dir.to_path_buf());
        self
    }
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
    /// The store was opened read-only: the index on disk was not used, and a temporary one
    /// (in memory) was built from the journal.
    Temporary,
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
}

type Reply1<T> = mpsc::SyncSender<Result<T>>;

enum Job {
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
struct Queue {
    jobs: Vec<Job>,
    closed: bool,
}

#[derive(Default)]
struct IndexProgress {
    sequence: u64,
    failed: Option<String>,
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
struct IndexQueue {
    jobs: VecDeque<IndexJob>,
    transfers: usize,
    closed: bool,
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

struct Shared {
    dir: PathBuf,
    options: StoreOptions,
    /// The cryptographic profile the genesis record names.
    profile: CryptoProfile,
    /// The Merkle tree over the durable records (and, briefly, over a group whose sync just
    /// returned: the syncer grows it before it moves `durable`, so it always covers the
    /// durable head). Held only to push or to read hashes, never with another lock.
    tree: Mutex<MerkleTree>,
    /// The genesis record's `now`: the time guard refuses commands before it.
    created: u64,
    ledger: RwLock<Ledger>,
    queue: Mutex<Queue>,
    queue_ready: Condvar,
    /// Held by the committer for each group, and by operations that need writes paused.
    commit_gate: Mutex<()>,
    /// Groups handed to the syncer and not yet finished.
    in_flight: Mutex<usize>,
    in_flight_done: Condvar,
    /// Commands and checkpoints accepted and not yet answered.
    pending: AtomicUsize,
    durable: Mutex<Head>,
    /// The sequence of the last record applied to `ledger` (durable or not); written by the
    /// committer under the ledger's write lock.
    applied: AtomicU64,
    /// The state digest and counts at a durable head, so `status` computes the digest (which
    /// takes time in proportion to the ledger) once per head rather than once per call.
    digest_cache: Mutex<Option<HeadState>>,
    index: Index,
    index_queue: Mutex<IndexQueue>,
    index_queue_ready: Condvar,
    index_queue_room: Condvar,
    indexed: Mutex<IndexProgress>,
    indexed_ready: Condvar,
    poisoned: AtomicBool,
}

/// The state at one durable head, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadState {
    head: Head,
    state_digest: Hash,
    accounts: usize,
    transfers: usize,
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
/// assert_eq!(store.balances(member).unwrap().posted().to_string(), "2.5");
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
    shared: Arc<Shared>,
    committer: Option<JoinHandle<()>>,
    syncer: Option<JoinHandle<()>>,
    indexer: Option<JoinHandle<()>>,
    report: OpenReport,
    /// The data directory's lock. Declared last so that it is released only after everything
    /// above (the threads, the journal file, sled) was dropped.
    /// `None` only for a read-only store on a directory where the lock file cannot be made.
    _lock: Option<DirLock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.shared.dir)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// The `now` of the journal's genesis record (the ledger's creation time). `bytes` was replayed
/// successfully, so it starts with a well-formed genesis record.
fn genesis_now(bytes: &[u8]) -> u64 {
    // Invariant: replay accepted the journal, whose first record is a complete genesis record.
    parse_frame(bytes, 0)
        .expect("a replayed journal starts with a genesis record")
        .now()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The store's threads do not panic while holding a lock; if one did, the data behind it
    // is still consistent (every critical section is a plain assignment or a queue move).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// Creates a new ledger under `policy` in `dir` (created if missing) and opens it. `now`
    /// (nanoseconds since the Unix epoch, from the host's clock like every time) is journaled as
    /// the creation time; no command runs before it.
    ///
    /// Like [`Store::open`], it first takes the data directory's lock (the file `LOCK`, created
    /// here) and holds it as long as the store lives; another holder makes it fail fast with
    /// `Err(Locked)`.
    ///
    /// On `Ok`: the journal holds a durable genesis record with the policy as JSON. On `Err`:
    /// nothing exists (invalid policy, a `now` the time guard refuses (`InvalidTime`), existing
    /// ledger, `Locked`), or the journal may hold part
    /// of a genesis record, which a later `open` reports as an unfinished creation.
    pub fn create(dir: &Path, policy: &Policy, now: u64, options: StoreOptions) -> Result<Store> {
        Store::create_in_profile(dir, policy, CryptoProfile::Standard, now, options)
    }

    /// [`Store::create`] under a cryptographic profile, which the genesis record keeps for the
    /// ledger's life (`docs/FORMAT.md` §4.1): `Gm` makes the Merkle tree SM3 and checkpoint
    /// signatures SM2. A `Standard` ledger's genesis record is exactly [`Store::create`]'s.
    pub fn create_in_profile(
        dir: &Path,
        policy: &Policy,
        profile: CryptoProfile,
        now: u64,
        options: StoreOptions,
    ) -> Result<Store> {
        options.time_guard.check(now, 0)?;
        Ledger::with_policy(policy).map_err(|e| Error::Policy(e.to_string()))?;
        // Invariant: a validated Policy is plain data and always serializes.
        let json = serde_json::to_vec(policy).expect("a policy serializes");
        let (genesis, _) = genesis_record(&genesis_body(&json, profile), now);
        Store::create_with(dir, &genesis, options)
    }

    /// Creates a new ledger in `dir` whose genesis record is `genesis`, byte for byte (for
    /// instance the first record of an exported journal: the new ledger then has the same
    /// genesis hash, whatever later versions do to `Policy`'s JSON form), and opens it.
    ///
    /// `genesis` must be exactly one complete record as `docs/FORMAT.md` §3 and §4.1 specify:
    /// well formed, its hash matching, kind genesis, sequence 0, `prev_hash` zero, and a body
    /// that is a valid policy. Locking is as for [`Store::create`].
    ///
    /// On `Ok`: the journal holds exactly `genesis`, durable. On `Err(InvalidGenesis)` or
    /// `Err(Policy)`: nothing was written. Other errors: as for [`Store::create`].
    pub fn create_from_genesis(dir: &Path, genesis: &[u8], options: StoreOptions) -> Result<Store> {
        check_genesis(genesis)?;
        Store::create_with(dir, genesis, options)
    }

    /// Locks `dir`, writes a checked genesis record as a new journal, all at once, and opens
    /// it. A journal left by a creation that did not finish (no complete genesis record: it
    /// never acknowledged anything) is removed first.
    fn create_with(dir: &Path, genesis: &[u8], options: StoreOptions) -> Result<Store> {
        create_private_dir(dir)?;
        let lock = DirLock::acquire(dir, true)?;
        let path = segment_path(dir, 1);
        match find_segments(&*options.io, dir, &[])? {
            Some(found) if !found.is_empty() => match unfinished_creation(&*options.io, dir)? {
                true => options.io.remove(&path)?,
                false => return Err(Error::AlreadyExists(dir.to_path_buf())),
            },
            _ => {}
        }
        let mut first = SegmentHeader {
            index: 1,
            first_sequence: 0,
            prev_hash: [0; 32],
        }
        .encode()
        .to_vec();
        first.extend_from_slice(genesis);
        options.io.create_whole(&path, &first)?;
        Store::open_locked(dir, options, Some(lock))
    }

    /// Opens the ledger in `dir`: takes the data directory's lock, reads and verifies the whole
    /// journal, rebuilds the ledger by replay, cuts back a torn tail (reported in
    /// [`Store::open_report`]), and catches the sled index up (or rebuilds it when it is
    /// missing, damaged or from another journal).
    ///
    /// The lock is an exclusive operating-system lock on the file `LOCK` in `dir` (created if a
    /// ledger is there without one), taken before anything is read and held until the store is
    /// closed or dropped. While another store holds it, in this process or another, opening
    /// fails at once with `Err(Locked)` and reads nothing: a second reader could take a group
    /// being written for a torn tail and cut it. A process that dies releases its lock.
    ///
    /// With [`StoreOptions::read_only`] nothing in the directory is written: the journal is
    /// only read (a torn tail is reported in [`OpenReport::torn_tail`], not cut), the index on
    /// disk is not used (queries use a temporary index built in memory from the journal, so
    /// opening takes about as long as a rebuild), the lock is taken when the lock file can be
    /// opened, and every write fails with `Err(ReadOnly)`. This is for read-only media, full
    /// disks and auditors' copies.
    ///
    /// On `Ok`: the journal ends at its last complete record, durable, and the index reflects
    /// it. On `Err(Locked)` or `Err(NotFound)`: nothing was read or changed. On
    /// `Err(Corrupted)`: the journal was not changed (the derived index may have been cleared
    /// or partly caught up); the error names the first bad record. On other errors: the
    /// journal is unchanged unless the error came while cutting a torn tail, in which case
    /// opening again redoes it.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        use std::io::ErrorKind::NotFound;
        let lock = match DirLock::acquire(dir, false) {
            Ok(lock) => Some(lock),
            Err(Error::Io(e)) if e.kind() == NotFound => {
                // No lock file: no ledger here (do not leave a file behind), or a ledger that
                // was written before the store locked its directory.
                if !DirLock::exists(dir)?
                    && find_segments(&*options.io, dir, &[])?.is_none_or(|f| f.is_empty())
                {
                    return Err(Error::NotFound(dir.to_path_buf()));
                }
                match DirLock::acquire(dir, !options.read_only) {
                    Ok(lock) => Some(lock),
                    // Read-only, on a directory without a lock file: nothing can be created.
                    Err(Error::Io(e)) if options.read_only && e.kind() == NotFound => None,
                    Err(e) => return Err(e),
                }
            }
            // A read-only medium may refuse even to open the lock file; nobody writes there.
            Err(Error::Io(e)) if options.read_only && is_refusal_to_write(&e) => None,
            Err(e) => return Err(e),
        };
        Store::open_locked(dir, options, lock)
    }

    /// [`Store::open`] once the directory's lock is held.
    fn open_locked(dir: &Path, options: StoreOptions, lock: Option<DirLock>) -> Result<Store> {
        if unfinished_creation(&*options.io, dir)? {
            return Err(Error::UnfinishedCreation(dir.to_path_buf()));
        }
        let image = read_journal(&*options.io, dir, &options.segments_from)?;
        Store::open_image(dir, options, lock, image)
    }

    /// [`Store::open_locked`] once the journal is read; corruption is named by segment.
    fn open_image(
        dir: &Path,
        options: StoreOptions,
        lock: Option<DirLock>,
        image: JournalImage,
    ) -> Result<Store> {
        let last = image.last().clone();
        if !options.read_only && last.path.parent() != Some(&dir.join(JOURNAL_DIR_NAME)) {
            return Err(Error::Io(std::io::Error::other(format!(
                "the newest segment, {}, is not in the data directory's {JOURNAL_DIR_NAME}: \
                 only the newest segment is written, and it stays there",
                last.path.display()
            ))));
        }
        let bytes = &image.bytes;
        let (index, mut rebuild_why) = match options.read_only {
            true => (
                Index::open_temporary()?,
                Some("opened read-only: a temporary index built from the journal".into()),
            ),
            false => open_index(&dir.join(INDEX_DIR_NAME))?,
        };
        let live = index.live();
        let mark = match live.mark() {
            Ok(mark) => mark,
            Err(e) => {
                rebuild_why.get_or_insert(format!("unreadable mark: {e}"));
                None
            }
        };
        let catch_up_from = match (mark, &rebuild_why) {
            (Some(m), None) if marker_matches(bytes, m.sequence, &m.hash) => {
                // The mark names a record of this journal; does the tree hold what it claims?
                match live.probe(&m) {
                    Ok(None) => m.sequence,
                    Ok(Some(diff)) => {
                        rebuild_why = Some(format!("the index diverged from its mark: {diff}"));
                        0
                    }
                    Err(e) => {
                        rebuild_why = Some(format!("unreadable index: {e}"));
                        0
                    }
                }
            }
            (_, None) => {
                rebuild_why = Some(match mark {
                    None => "the index was empty or missing".into(),
                    Some(_) => "the index reflects another journal or a lost record".into(),
                });
                0
            }
            (_, Some(_)) => 0,
        };
        let key = options.checkpoint_key.as_ref();
        let replayed = match (&rebuild_why, mark) {
            (None, Some(mark)) => {
                let mut catch_up = CatchUp::new(live, catch_up_from);
                let replayed = replay(bytes, key, &mut |_| {}, &mut |s, c, r, l| {
                    catch_up.observe(s, c, r, l)
                })
                .map_err(|e| image.locate(e))?;
                let counted = catch_up.counts_at_from;
                if counted == (mark.accounts, mark.transfers) {
                    catch_up.finish(&replayed, false)?;
                    replayed
                } else {
                    // The fingerprint differs: the index is not what its mark says. Rebuild
                    // it (a second replay, on this rare path only).
                    let why = format!(
                        "the index diverged from its mark: it counts {} accounts and {} \
                         transfers at record {}, the journal {} and {}",
                        mark.accounts, mark.transfers, mark.sequence, counted.0, counted.1
                    );
                    let replayed = rebuild_generation(&index, bytes, key, &why)
                        .map_err(|e| image.locate(e))?;
                    rebuild_why = Some(why);
                    replayed
                }
            }
            // No mark always comes with a reason to rebuild.
            (why, _) => {
                let why = why.as_deref().unwrap_or("the index has no mark");
                rebuild_generation(&index, bytes, key, why).map_err(|e| image.locate(e))?
            }
        };
        let tree = journal_tree(bytes, replayed.records, replayed.profile.tree_hash())?;
        let created = genesis_now(bytes);
        if let Some(torn) = replayed.torn.as_ref().filter(|t| t.offset < last.start) {
            // Only the newest segment may end in a torn record; a sealed one was synced whole.
            let why = format!(
                "a sealed segment ends in an incomplete record ({}), and segment {:08} follows",
                torn.why, last.header.index
            );
            return Err(image.locate(Corruption {
                segment: None,
                sequence: torn.sequence,
                offset: torn.offset,
                reason: CorruptionReason::Segment(why),
            }));
        }
        drop(image);
        let file: Box<dyn JournalFile> = match options.read_only {
            true => Box::new(ReadOnlyJournal),
            false => {
                let mut file = options.io.open_append(&last.path)?;
                let mut file_len = SEGMENT_HEADER_BYTES as u64 + last.len;
                if let Some(torn) = &replayed.torn {
                    let at = SEGMENT_HEADER_BYTES as u64 + torn.offset - last.start;
                    keep_torn_bytes(&options, torn, &last.path, at)?;
                    file.truncate(at)?;
                    file_len = at;
                }
                Box::new(SegmentedFile::new(
                    Arc::clone(&options.io),
                    dir,
                    (last.header.index, file, file_len),
                    options.segment_bytes,
                    (replayed.head.sequence, replayed.head.hash),
                ))
            }
        };
        let report = OpenReport {
            torn_tail: replayed.torn.clone(),
            read_only: options.read_only,
            index: match rebuild_why {
                _ if options.read_only => IndexRecovery::Temporary,
                Some(why) => IndexRecovery::Rebuilt { why },
                None if catch_up_from == replayed.head.sequence => IndexRecovery::UpToDate,
                None => IndexRecovery::CaughtUp {
                    from: catch_up_from,
                },
            },
            records: replayed.records,
            checkpoints_verified: replayed.checkpoints,
        };
        let writer = JournalWriter::new(replayed.head);
        Ok(Store::start(
            dir,
            (options, created),
            (replayed, tree),
            index,
            (writer, file),
            report,
            lock,
        ))
    }

    fn start(
        dir: &Path,
        (options, created): (StoreOptions, u64),
        (replayed, tree): (Replayed, MerkleTree),
        index: Index,
        (writer, file): (JournalWriter, Box<dyn JournalFile>),
        report: OpenReport,
        lock: Option<DirLock>,
    ) -> Store {
        let head = replayed.head;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            options,
            profile: replayed.profile,
            tree: Mutex::new(tree),
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
            report,
            _lock: lock,
        }
    }

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
        rx.recv().map_err(|_| Error::Closed)?
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
        rx.recv().map_err(|_| Error::Closed)?
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
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Queries: from memory (never waiting for a sync) or from the index.

    /// Runs `f` on the ledger (for reports the store does not wrap). Holds the read lock.
    pub fn read<T>(&self, f: impl FnOnce(&Ledger) -> T) -> T {
        f(&self.ledger())
    }

    fn ledger(&self) -> RwLockReadGuard<'_, Ledger> {
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

    /// The transfer as applied, with its current state, from memory; `None` when never applied
    /// (an id that failed included).
    pub fn transfer(&self, id: TransferId) -> Option<TransferRecord> {
        self.ledger().transfer(id).cloned()
    }

    /// The sequence of the journal record that created a transfer, from the index.
    pub fn transfer_sequence(&self, id: TransferId) -> Result<Option<u64>> {
        self.wait_indexed()?;
        Ok(self
            .shared
            .index
            .live()
            .transfer(id)?
            .map(|(sequence, _)| sequence))
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
        let after = after.map(|c| (c.timestamp, c.transfer));
        let mut keys = self
            .shared
            .index
            .live()
            .history(account, after, limit + 1)?;
        let more = keys.len() > limit;
        keys.truncate(limit);
        let ledger = self.ledger();
        let transfers: Vec<TransferRecord> = keys
            .iter()
            .filter_map(|(_, id)| ledger.transfer(*id).cloned())
            .collect();
        let next = match (more, keys.last()) {
            (true, Some(&(timestamp, transfer))) => Some(HistoryCursor {
                timestamp,
                transfer,
            }),
            _ => None,
        };
        Ok(HistoryPage { transfers, next })
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
    fn head_state(&self) -> HeadState {
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
    fn head_state_now(&self) -> Option<HeadState> {
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
    fn wait_synced(&self) {
        let mut in_flight = lock(&self.shared.in_flight);
        while *in_flight > 0 {
            in_flight = self
                .shared
                .in_flight_done
                .wait(in_flight)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    fn check_not_poisoned(&self) -> Result<()> {
        match self.shared.poisoned.load(Ordering::Acquire) {
            true => Err(Error::Poisoned),
            false => Ok(()),
        }
    }

    /// Waits until the index reflects every record durable at the time of the call. This waits
    /// for the indexer, never for a sync.
    fn wait_indexed(&self) -> Result<()> {
        self.wait_indexed_to(lock(&self.shared.durable).sequence)
    }

    fn wait_indexed_to(&self, target: u64) -> Result<()> {
        let mut progress = lock(&self.shared.indexed);
        loop {
            if let Some(why) = &progress.failed {
                return Err(Error::Index(sled::Error::Unsupported(why.clone())));
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

    // ---------------------------------------------------------------------------------------
    // Verification and repair

    /// Verifies the whole store: every checksum, link and sequence number of the journal, every
    /// checkpoint (digest; MAC too when the key was given), the replayed state against the live
    /// one, the Merkle tree against the journal's record hashes, and the sled index against it.
    /// Reports progress; uses two cores.
    ///
    /// Commits pause only while the head and its state digest are noted; the index is then held
    /// at that head until it has been compared (commits go on; the index catches up after).
    /// A poisoned store's memory may be ahead of its journal, so it is not compared: reopen it
    /// (or use [`verify_dir`]) first.
    pub fn verify(&self, progress: &mut dyn FnMut(Progress)) -> Result<VerifyReport> {
        let (head, live_digest, _pause) = {
            let _gate = lock(&self.shared.commit_gate);
            self.wait_synced();
            self.check_not_poisoned()?;
            let head = *lock(&self.shared.durable);
            // Hold the index at this head while it is compared; commits go on meanwhile.
            (
                head,
                self.head_state_now()
                    .map_or_else(|| self.ledger().state_digest(), |s| s.state_digest),
                IndexPause::new(&self.shared, head.sequence),
            )
        };
        let image = self.journal_image(&head)?;
        let bytes = &image.bytes;
        let key = self.shared.options.checkpoint_key;
        let replayed = replay(bytes, key.as_ref(), progress, &mut |_, _, _, _| {})
            .map_err(|e| image.locate(e))?;
        let mut report = report_of(&replayed, key.is_some()).map_err(|e| image.locate(e))?;
        let mismatch = |reason| -> Error {
            Corruption {
                segment: None,
                sequence: head.sequence,
                offset: head.len,
                reason,
            }
            .into()
        };
        if report.state_digest != live_digest || report.head_hash != head.hash {
            let why = "the replayed state differs from the live state".into();
            return Err(mismatch(CorruptionReason::Replay(why)));
        }
        // The tree in memory (what proofs and signed checkpoints come from) against one built
        // afresh from the verified journal.
        let size = head.sequence + 1;
        let rebuilt = journal_tree(bytes, replayed.records, self.shared.profile.tree_hash())?;
        if rebuilt.root(size) != self.tree_root(size) {
            let why = "the Merkle tree in memory differs from the journal's".into();
            return Err(mismatch(CorruptionReason::Replay(why)));
        }
        self.wait_indexed_to(head.sequence)?;
        if let Some(diff) = self.shared.index.live().compare(&replayed.ledger)? {
            return Err(mismatch(CorruptionReason::Index(diff)));
        }
        report.index_checked = true;
        Ok(report)
    }

    /// The journal's records up to the durable `head`, read from its segments.
    fn journal_image(&self, head: &Head) -> Result<JournalImage> {
        let options = &self.shared.options;
        let mut image = read_journal(&*options.io, &self.shared.dir, &options.segments_from)?;
        image.bytes.truncate(head.len as usize);
        Ok(image)
    }

    /// Checks a published checkpoint against this store's durable journal
    /// (see [`verify_published`]).
    pub fn verify_published(&self, checkpoint: &Checkpoint) -> Result<()> {
        let head = *lock(&self.shared.durable);
        let image = self.journal_image(&head)?;
        verify_published(
            &image.bytes,
            checkpoint,
            self.shared.options.checkpoint_key.as_ref(),
        )
    }

    /// Rebuilds the sled index from the journal and checks it against the live state.
    ///
    /// The new index is built beside the old one and replaces it only once it is whole and
    /// checked, so an interruption (a crash, a kill) leaves the old index in use, never a
    /// half-cleared one. Commits pause while it runs. On `Ok`: the index reflects the durable
    /// head and equals the live state. On `Err`: the old index or the new one is in use, each
    /// whole and marked with what it reflects.
    pub fn rebuild_index(&self) -> Result<()> {
        if self.shared.options.read_only {
            return Err(Error::ReadOnly);
        }
        let _gate = lock(&self.shared.commit_gate);
        self.wait_synced();
        self.check_not_poisoned()?;
        self.wait_indexed()?;
        let head = *lock(&self.shared.durable);
        let image = self.journal_image(&head)?;
        let key = self.shared.options.checkpoint_key;
        let replayed = rebuild_generation(
            &self.shared.index,
            &image.bytes,
            key.as_ref(),
            "rebuild_index",
        )
        .map_err(|e| image.locate(e))?;
        if replayed.ledger.state_digest() != self.ledger().state_digest() {
            let why = "the replayed state differs from the live state".to_owned();
            return Err(Corruption {
                segment: None,
                sequence: head.sequence,
                offset: head.len,
                reason: CorruptionReason::Replay(why),
            }
            .into());
        }
        Ok(())
    }
}

impl Store {
    // ---------------------------------------------------------------------------------------
    // The Merkle tree, proofs and signed checkpoints (`docs/FORMAT.md` §13-§15).

    /// The cryptographic profile the genesis record names.
    pub fn profile(&self) -> CryptoProfile {
        self.shared.profile
    }

    /// Records the tree covers now (at least the durable head's sequence + 1).
    pub fn tree_size(&self) -> u64 {
        lock(&self.shared.tree).size()
    }

    /// The Merkle root over records `0..size`, or `None` when the tree is smaller.
    pub fn tree_root(&self, size: u64) -> Option<Hash> {
        lock(&self.shared.tree).root(size)
    }

    /// What a checkpoint of the durable head states: tree size (head sequence + 1), root, head
    /// hash, state digest and the head's time, all of one moment (as [`Store::status`]).
    pub fn checkpoint_claim(&self) -> CheckpointClaim {
        let state = self.head_state();
        let tree_size = state.head.sequence + 1;
        // Invariant: the syncer grows the tree before it moves the durable head.
        let root = self
            .tree_root(tree_size)
            .expect("the tree covers the durable head");
        CheckpointClaim {
            tree_size,
            root,
            head_hash: state.head.hash,
            state_digest: state.state_digest,
            time_ns: state.head.now,
        }
    }

    /// Signs a checkpoint of the durable head with `key`, which must be of the ledger's
    /// profile. Writes nothing: publish the returned line.
    ///
    /// On `Err(WrongProfile)`: the key is of the other profile; nothing was signed.
    pub fn sign_checkpoint(&self, key: &SigningKey) -> Result<SignedCheckpoint> {
        if key.profile() != self.shared.profile {
            return Err(Error::WrongProfile {
                ledger: self.shared.profile.name(),
                key: key.profile().name(),
            });
        }
        Ok(SignedCheckpoint::sign(&self.checkpoint_claim(), key))
    }

    /// The inclusion proof of record `sequence` in the tree of `tree_size` records.
    ///
    /// On `Err(NoProof)`: `sequence < tree_size <= tree_size()` does not hold.
    pub fn inclusion_proof(&self, sequence: u64, tree_size: u64) -> Result<Vec<Hash>> {
        let tree = lock(&self.shared.tree);
        tree.inclusion_proof(sequence, tree_size).ok_or_else(|| {
            Error::NoProof(format!(
                "record {sequence} is not in a tree of {tree_size} records of the {} this ledger \
                 has",
                tree.size()
            ))
        })
    }

    /// The consistency proof from the tree of `old_size` records to that of `new_size`.
    ///
    /// On `Err(NoProof)`: `0 < old_size <= new_size <= tree_size()` does not hold.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>> {
        let tree = lock(&self.shared.tree);
        tree.consistency_proof(old_size, new_size).ok_or_else(|| {
            Error::NoProof(format!(
                "no consistency proof from {old_size} to {new_size} records (the ledger has {})",
                tree.size()
            ))
        })
    }

    /// The bytes of the durable records `sequences`, in the order asked (read from the journal
    /// file, which is read whole: meant for proofs, not for hot paths).
    ///
    /// On `Err(NoProof)`: a sequence is beyond the durable head.
    pub fn records(&self, sequences: &[u64]) -> Result<Vec<Vec<u8>>> {
        let head = *lock(&self.shared.durable);
        if let Some(beyond) = sequences.iter().find(|&&s| s > head.sequence) {
            return Err(Error::NoProof(format!(
                "record {beyond} is beyond the durable head {}",
                head.sequence
            )));
        }
        let image = self.journal_image(&head)?;
        let bytes = &image.bytes;
        let scan = scan_frames(bytes)?;
        sequences
            .iter()
            .map(|&s| {
                let (offset, len) = scan.frames[s as usize];
                let start = offset as usize;
                Ok(bytes[start..start + len as usize].to_vec())
            })
            .collect()
    }

    /// The tree size and root a proof is made against: `checkpoint`'s (after checking that its
    /// root is this ledger's at that size), or the durable head's.
    ///
    /// On `Err(NoProof)`: the checkpoint is beyond this ledger's head, or of another profile.
    /// On `Err(CheckpointMismatch)`: this ledger's tree of that size has another root: the
    /// checkpoint is of another ledger, or this one was rewritten since.
    fn proof_target(&self, checkpoint: Option<&SignedCheckpoint>) -> Result<(u64, Hash)> {
        let Some(checkpoint) = checkpoint else {
            let claim = self.checkpoint_claim();
            return Ok((claim.tree_size, claim.root));
        };
        if checkpoint.profile != self.shared.profile {
            return Err(Error::NoProof(format!(
                "the checkpoint is of the {} profile and this ledger of {}",
                checkpoint.profile.name(),
                self.shared.profile.name()
            )));
        }
        let head = lock(&self.shared.durable).sequence;
        let root = match checkpoint.tree_size <= head + 1 {
            true => self.tree_root(checkpoint.tree_size),
            false => None,
        }
        .ok_or_else(|| {
            Error::NoProof(format!(
                "the checkpoint covers {} records; this ledger has {}",
                checkpoint.tree_size,
                head + 1
            ))
        })?;
        if root != checkpoint.root {
            return Err(Error::CheckpointMismatch(format!(
                "this ledger's first {} records have root {}, the checkpoint says {}",
                checkpoint.tree_size,
                hex(&root),
                hex(&checkpoint.root)
            )));
        }
        Ok((checkpoint.tree_size, root))
    }

    /// The proof that the record which made `transfer` is in the tree `checkpoint` signs (or,
    /// without one, the tree of the durable head: the caller then signs or publishes the root).
    ///
    /// On `Err(NoProof)`: no such transfer, it came after the checkpoint, or the checkpoint is
    /// beyond this ledger's head or of another profile. On `Err(CheckpointMismatch)`: this
    /// ledger's tree of the checkpoint's size has another root. Otherwise: the index's errors.
    pub fn prove_inclusion(
        &self,
        transfer: TransferId,
        checkpoint: Option<SignedCheckpoint>,
    ) -> Result<InclusionProof> {
        let (tree_size, root) = self.proof_target(checkpoint.as_ref())?;
        let sequence = self
            .transfer_sequence(transfer)?
            .ok_or_else(|| Error::NoProof(format!("no transfer {}", transfer.get())))?;
        if sequence >= tree_size {
            return Err(Error::NoProof(format!(
                "transfer {} is in record {sequence}, after the checkpoint's {tree_size} records",
                transfer.get()
            )));
        }
        let path = self.inclusion_proof(sequence, tree_size)?;
        let record = self.records(&[sequence])?.remove(0);
        Ok(InclusionProof {
            profile: self.shared.profile,
            tree_size,
            root,
            checkpoint,
            transfer: Some(transfer.get()),
            record: RecordProof {
                leaf_index: sequence,
                record,
                path,
            },
        })
    }

    /// The proof that every record holding a transfer of `account` up to the checkpoint (or the
    /// durable head) is in its tree: the member's statement, checkable offline.
    ///
    /// On `Err(NoProof)`: the account has transfers in more than [`STATEMENT_RECORDS_MAX`]
    /// records before the checkpoint (prove them one by one with [`Store::prove_inclusion`]).
    pub fn prove_statement(
        &self,
        account: AccountId,
        checkpoint: Option<SignedCheckpoint>,
    ) -> Result<StatementProof> {
        let (tree_size, root) = self.proof_target(checkpoint.as_ref())?;
        let mut transfers = Vec::new();
        let mut sequences = std::collections::BTreeSet::new();
        let mut after = None;
        loop {
            self.wait_indexed()?;
            let page = self
                .shared
                .index
                .live()
                .history(account, after, HISTORY_PAGE_MAX + 1)?;
            let more = page.len() > HISTORY_PAGE_MAX;
            for &(_, id) in page.iter().take(HISTORY_PAGE_MAX) {
                let Some((sequence, _)) = self.shared.index.live().transfer(id)? else {
                    continue;
                };
                if sequence < tree_size {
                    transfers.push((id.get(), sequence));
                    sequences.insert(sequence);
                }
            }
            if sequences.len() > STATEMENT_RECORDS_MAX {
                return Err(Error::NoProof(format!(
                    "account {} has transfers in more than {STATEMENT_RECORDS_MAX} records",
                    account.get()
                )));
            }
            match (more, page.get(HISTORY_PAGE_MAX - 1)) {
                (true, Some(&last)) => after = Some(last),
                _ => break,
            }
        }
        let sequences: Vec<u64> = sequences.into_iter().collect();
        let bytes = self.records(&sequences)?;
        let records = sequences
            .iter()
            .zip(bytes)
            .map(|(&leaf_index, record)| {
                Ok(RecordProof {
                    leaf_index,
                    record,
                    path: self.inclusion_proof(leaf_index, tree_size)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(StatementProof {
            profile: self.shared.profile,
            tree_size,
            root,
            checkpoint,
            account: account.get(),
            transfers,
            records,
        })
    }

    /// The proof that the tree `new` signs extends the tree `old` signs (both checked against
    /// this ledger as for [`Store::prove_inclusion`]).
    pub fn prove_consistency(
        &self,
        old: SignedCheckpoint,
        new: SignedCheckpoint,
    ) -> Result<ConsistencyProof> {
        let (old_size, old_root) = self.proof_target(Some(&old))?;
        let (new_size, new_root) = self.proof_target(Some(&new))?;
        Ok(ConsistencyProof {
            profile: self.shared.profile,
            old_size,
            new_size,
            old_root,
            new_root,
            path: self.consistency_proof(old_size, new_size)?,
            old_checkpoint: Some(old),
            new_checkpoint: Some(new),
        })
    }
}

/// The Merkle tree over the first `records` records of a verified journal image: leaf *i* is
/// record *i*'s stored hash (replay has checked it).
fn journal_tree(bytes: &[u8], records: u64, hash: TreeHash) -> Result<MerkleTree> {
    let scan = scan_frames(bytes)?;
    let mut tree = MerkleTree::new(hash);
    for &(offset, len) in scan.frames.iter().take(records as usize) {
        let end = (offset + u64::from(len)) as usize;
        tree.push(&bytes[end - HASH_BYTES..end]);
    }
    Ok(tree)
}

/// Adds the records of a durable group (whole records, back to back) to the tree.
fn grow_tree(tree: &mut MerkleTree, group: &[u8]) {
    let mut at = 0;
    while at < group.len() {
        // Invariant: the group holds whole records the writer framed itself.
        let len_bytes = &group[at + OFFSET_LENGTH..at + OFFSET_LENGTH + 4];
        let len = u32::from_le_bytes(len_bytes.try_into().expect("4 bytes")) as usize;
        tree.push(&group[at + len - HASH_BYTES..at + len]);
        at += len;
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Verifies a journal image without a store: checksums, links, sequence numbers, bodies,
/// checkpoint digests (and MACs with a key). A torn tail is reported as corruption here: the
/// ledger was not reopened since the crash.
pub fn verify_bytes(
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    let replayed = replay(bytes, key, progress, &mut |_, _, _, _| {})?;
    report_of(&replayed, key.is_some())
}

/// [`verify_dir_from`] that also compares the sled index (read from a copy, see
/// [`Index::open_copy_of`]) with the replayed state, every key: one replay for the journal and
/// the index, and nothing in `dir` written. `Ok((report, None))` has `index_checked` set;
/// `Ok((report, Some(why)))`: the journal verified but the index was not compared (none, not
/// at the journal's head, or unreadable), and why; opening the store brings it to the head.
/// `Err(Corrupted)` with [`CorruptionReason::Index`]: an index at the head that differs.
pub fn verify_dir_with_index(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(VerifyReport, Option<String>)> {
    let image = read_journal(&OsIo, dir, archives)?;
    let replayed =
        replay(&image.bytes, key, progress, &mut |_, _, _, _| {}).map_err(|e| image.locate(e))?;
    let mut report = report_of(&replayed, key.is_some()).map_err(|e| image.locate(e))?;
    let head = replayed.head;
    let index = match crate::audit_ledger::index_at_head(dir, head)? {
        Ok(index) => index,
        Err(why) => return Ok((report, Some(why))),
    };
    if let Some(diff) = index.live().compare(&replayed.ledger)? {
        return Err(Corruption {
            segment: None,
            sequence: head.sequence,
            offset: head.len,
            reason: CorruptionReason::Index(diff),
        }
        .into());
    }
    report.index_checked = true;
    Ok((report, None))
}

/// The report of a replay; a torn tail still in the image is corruption here.
fn report_of(replayed: &Replayed, macs_checked: bool) -> Result<VerifyReport> {
    if let Some(torn) = &replayed.torn {
        return Err(Corruption {
            segment: None,
            sequence: torn.sequence,
            offset: torn.offset,
            reason: CorruptionReason::TornTail,
        }
        .into());
    }
    Ok(VerifyReport {
        records: replayed.records,
        journal_bytes: replayed.head.len,
        checkpoints_verified: replayed.checkpoints,
        macs_checked,
        head_sequence: replayed.head.sequence,
        head_hash: replayed.head.hash,
        state_digest: replayed.ledger.state_digest(),
        index_checked: false,
    })
}

/// Checks a published checkpoint (see [`Checkpoint::from_text`]) against a journal image: the
/// journal up to record `checkpoint.sequence` verifies, that record's hash is the checkpoint's
/// head hash, the state replayed through it has the checkpoint's digest, and, with the key, the
/// MAC verifies. A rewritten history fails this even without the key.
pub fn verify_published(
    bytes: &[u8],
    checkpoint: &Checkpoint,
    key: Option<&CheckpointKey>,
) -> Result<()> {
    let published = |offset: u64, why| -> Error {
        Corruption {
            segment: None,
            sequence: checkpoint.sequence,
            offset,
            reason: CorruptionReason::Published(why),
        }
        .into()
    };
    if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
        return Err(published(0, "the MAC does not verify under the key"));
    }
    let scan = scan_frames(bytes)?;
    let index = usize::try_from(checkpoint.sequence).unwrap_or(usize::MAX);
    let Some(&(offset, len)) = scan.frames.get(index) else {
        return Err(published(
            bytes.len() as u64,
            "the journal ends before its record",
        ));
    };
    let end = (offset + u64::from(len)) as usize;
    let replayed = replay(&bytes[..end], key, &mut |_| {}, &mut |_, _, _, _| {})?;
    if replayed.torn.is_some() || replayed.head.sequence != checkpoint.sequence {
        return Err(published(offset, "its record does not verify"));
    }
    if replayed.head.hash != checkpoint.head_hash {
        return Err(published(
            offset,
            "the record's hash differs from the published head",
        ));
    }
    if replayed.ledger.state_digest() != checkpoint.state_digest {
        return Err(published(
            offset,
            "the replayed state differs from the published digest",
        ));
    }
    Ok(())
}

/// Verifies the journal in `dir` without opening the store (and without its index): for
/// auditors working on a copy. See [`verify_bytes`].
pub fn verify_dir(
    dir: &Path,
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    verify_dir_from(dir, &[], key, progress)
}

/// [`verify_dir`] with sealed segments read from `archives` too (directories they were moved
/// to); corruption is named by segment and byte offset in its file.
pub fn verify_dir_from(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    let image = read_journal(&OsIo, dir, archives)?;
    verify_bytes(&image.bytes, key, progress).map_err(|e| image.locate(e))
}

fn head_state_of(head: Head, ledger: &Ledger) -> HeadState {
    HeadState {
        head,
        state_digest: ledger.state_digest(),
        accounts: ledger.account_count(),
        transfers: ledger.transfer_count(),
    }
}

/// Checks that `genesis` is exactly one valid genesis record: a well-formed frame filling all
/// of it, its hash matching, then (by replaying it as a whole journal) kind genesis, sequence
/// 0, zero `prev_hash` and a valid policy.
fn check_genesis(genesis: &[u8]) -> Result<()> {
    let invalid = |why: String| Error::InvalidGenesis(why);
    let frame = parse_frame(genesis, 0).map_err(|e| invalid(e.to_string()))?;
    if frame.len() != genesis.len() {
        return Err(invalid(format!(
            "{} bytes follow the {}-byte record",
            genesis.len() - frame.len(),
            frame.len()
        )));
    }
    if !frame.hash_matches() {
        return Err(invalid("its stored hash does not match its bytes".into()));
    }
    replay(genesis, None, &mut |_| {}, &mut |_, _, _, _| {}).map_err(|c| match c.reason {
        CorruptionReason::Policy(e) => Error::Policy(e),
        reason => invalid(reason.to_string()),
    })?;
    Ok(())
}

fn open_index(path: &Path) -> Result<(Index, Option<String>)> {
    // sled creates its files with the umask's modes; a private directory keeps them private.
    create_private_dir(path)?;
    match Index::open(path) {
        Ok(index) => Ok((index, None)),
        // Damage sled itself reports: the index is derived data, so start it afresh.
        Err(e @ (sled::Error::Corruption { .. } | sled::Error::Unsupported(_))) => {
            std::fs::remove_dir_all(path)?;
            create_private_dir(path)?;
            Ok((
                Index::open(path)?,
                Some(format!("sled could not open it: {e}")),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The journal file of a read-only store: the store refuses writes before they reach it.
#[derive(Debug)]
struct ReadOnlyJournal;

impl JournalFile for ReadOnlyJournal {
    fn append(&mut self, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("the store is read-only"))
    }

    fn sync(&mut self) -> std::io::Result<()> {
        Ok(()) // nothing was written
    }

    fn truncate(&mut self, _: u64) -> std::io::Result<()> {
        Err(std::io::Error::other("the store is read-only"))
    }
}

/// Whether an I/O error says the medium refuses writes (read-only, no permission, full).
pub fn is_refusal_to_write(error: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        error.kind(),
        K::PermissionDenied | K::ReadOnlyFilesystem | K::StorageFull | K::QuotaExceeded
    )
}

/// Whether a journal image is what an unfinished creation leaves: no complete record at all
/// (an empty file, or part of a genesis record). Such a journal never acknowledged anything.
/// (The store creates journals whole since it writes them through `create_whole`; earlier
/// versions, and crashes of theirs, could leave these.)
fn is_unfinished_creation(bytes: &[u8]) -> bool {
    scan_frames(bytes).is_ok_and(|scan| scan.frames.is_empty())
}

/// Whether the journal in `dir` is a creation that did not finish: segment 1 alone, without a
/// whole header and genesis record (nothing in it was ever acknowledged).
fn unfinished_creation(io: &dyn JournalIo, dir: &Path) -> Result<bool> {
    let found = find_segments(io, dir, &[])?.unwrap_or_default();
    if found.len() != 1 || found[0].0 != 1 {
        return Ok(false);
    }
    Ok(io.read(&found[0].1)?.is_some_and(|bytes| {
        bytes.len() < SEGMENT_HEADER_BYTES
            || (bytes.starts_with(&crate::segment::SEGMENT_MAGIC)
                && is_unfinished_creation(&bytes[SEGMENT_HEADER_BYTES..]))
    }))
}

/// Whether record `sequence` of the journal image has hash `hash` (checked on the stored hash;
/// replay then checks that the stored hashes are right).
fn marker_matches(bytes: &[u8], sequence: u64, hash: &Hash) -> bool {
    let Ok(scan) = scan_frames(bytes) else {
        return false;
    };
    scan.frames
        .get(sequence as usize)
        .is_some_and(|&(offset, len)| {
            parse_frame(
                &bytes[offset as usize..offset as usize + len as usize],
                offset,
            )
            .is_ok_and(|f| f.sequence() == sequence && f.stored_hash() == *hash)
        })
}

/// Keeps the torn bytes of the newest segment `path`, from its byte `at`, in
/// `<segment file>.torn-<at>` beside it.
fn keep_torn_bytes(options: &StoreOptions, torn: &TornTail, path: &Path, at: u64) -> Result<()> {
    let bytes = options.io.read(path)?.unwrap_or_default();
    let tail = bytes.get(at as usize..).unwrap_or_default();
    debug_assert_eq!(tail.len() as u64, torn.len);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let base = format!("{name}.torn-{at}");
    let dir = path.parent().unwrap_or(Path::new("."));
    // A later crash can tear at the same offset: never overwrite, never drop, what was kept.
    for attempt in 0..TORN_COPIES_MAX {
        let name = match attempt {
            0 => base.clone(),
            n => format!("{base}.{n}"),
        };
        let kept = dir.join(name);
        if options.io.read(&kept)?.as_deref() == Some(tail) {
            return Ok(()); // kept by an earlier open that stopped before cutting
        }
        match options.io.create(&kept) {
            Ok(mut file) => {
                file.append(tail)?;
                file.sync()?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Io(std::io::Error::other(format!(
        "{TORN_COPIES_MAX} torn tails at offset {} are kept already; move them away",
        torn.offset
    ))))
}

/// Index updates gathered during a replay, written in chunks to one generation.
struct CatchUp {
    index: IndexTree,
    from: u64,
    delta: IndexDelta,
    error: Option<sled::Error>,
    /// Accounts and transfers after record `from` (what a mark at `from` must count).
    counts_at_from: (u64, u64),
}

impl CatchUp {
    fn new(index: IndexTree, from: u64) -> Self {
        CatchUp {
            index,
            from,
            delta: IndexDelta::default(),
            error: None,
            counts_at_from: (0, 0),
        }
    }

    fn observe(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &Ledger) {
        if sequence <= self.from {
            self.counts_at_from = (
                ledger.account_count() as u64,
                ledger.transfer_count() as u64,
            );
            return;
        }
        if self.error.is_some() {
            return;
        }
        self.delta.collect(sequence, command, reply, ledger);
        if self.delta.transfers.len() >= REBUILD_CHUNK_TRANSFERS {
            let chunk = IndexDelta {
                transfers: std::mem::take(&mut self.delta.transfers),
                ..IndexDelta::default()
            };
            // No mark: if this stops half way, the next open catches up from the old one.
            if let Err(e) = self.index.apply(&chunk, &[], None) {
                self.error = Some(e);
            }
        }
    }

    /// Writes what is left with the mark of the replayed head.
    fn finish(self, replayed: &Replayed, all_accounts: bool) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        let ledger = &replayed.ledger;
        let accounts: Vec<Account> = if all_accounts || self.delta.all_accounts {
            ledger.accounts().cloned().collect()
        } else {
            let ids = self.delta.accounts.iter();
            ids.filter_map(|id| ledger.account(*id).cloned()).collect()
        };
        let mark = IndexMark::of(replayed.head.sequence, replayed.head.hash, ledger);
        self.index.apply(&self.delta, &accounts, Some(mark))?;
        Ok(())
    }
}

/// Fills a fresh index generation from the journal image `bytes`, checks it against the
/// replayed state, and makes it live. The live generation stays as it was until the swap, so
/// an interruption anywhere leaves a whole index (old or new) behind.
fn rebuild_generation(
    index: &Index,
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    why: &str,
) -> Result<Replayed> {
    let fresh = index.fresh()?;
    let mut catch_up = CatchUp::new(fresh.clone(), 0);
    let replayed = replay(bytes, key, &mut |_| {}, &mut |s, c, r, l| {
        catch_up.observe(s, c, r, l)
    })?;
    catch_up.finish(&replayed, true)?;
    if let Some(diff) = fresh.compare(&replayed.ledger)? {
        return Err(index_damage(
            &replayed,
            format!("after a rebuild ({why}): {diff}"),
        ));
    }
    index.swap_in(fresh)?;
    Ok(replayed)
}

/// The index disagrees with a journal that verifies (never a fault of the journal).
fn index_damage(replayed: &Replayed, why: String) -> Error {
    Corruption {
        segment: None,
        sequence: replayed.head.sequence,
        offset: replayed.head.len,
        reason: CorruptionReason::Index(why),
    }
    .into()
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
                let outcome = match ledger.execute_by(&command, who, now) {
                    Err(e) => Err(Error::Batch(e)),
                    Ok(engine_reply) => {
                        let outcome = outcome_of(&command, &engine_reply, &ledger);
                        let sequence =
                            writer.stage_command_in(now, &command, &outcome, who, version);
                        delta.collect(sequence, &command, &engine_reply, &ledger);
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
                    Some(key) => {
                        let head = writer.staged_head();
                        let checkpoint =
                            Checkpoint::sign(head.sequence, head.hash, ledger.state_digest(), key);
                        writer.stage_checkpoint_in(&checkpoint, version);
                        Ok(checkpoint)
                    }
                };
                answers.push(Answer::Checkpoint(reply, outcome));
            }
        }
    }
    let accounts = if delta.all_accounts {
        ledger.accounts().cloned().collect()
    } else {
        let ids = delta.accounts.iter();
        ids.filter_map(|id| ledger.account(*id).cloned()).collect()
    };
    // Under the write lock: a reader holding the read lock sees the state and this together.
    let applied = writer.staged_head().sequence;
    shared.applied.store(applied, Ordering::Release);
    let counts = (
        ledger.account_count() as u64,
        ledger.transfer_count() as u64,
    );
    (answers, delta, accounts, counts)
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
struct IndexPause<'a>(&'a Shared);

impl<'a> IndexPause<'a> {
    fn new(shared: &'a Shared, at: u64) -> Self {
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
    queue.transfers += job.delta.transfers.len();
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
        if merged.delta.transfers.len() + next.delta.transfers.len() > INDEX_BATCH_TRANSFERS_MAX
            || queue
                .pause_at
                .is_some_and(|pause| next.marker.sequence > pause)
        {
            break;
        }
        let Some(next) = queue.jobs.pop_front() else {
            break;
        };
        merged.delta.transfers.extend(next.delta.transfers);
        // Later groups hold later states of an account: they win.
        accounts.extend(next.accounts.into_iter().map(|a| (a.id, a)));
        merged.marker = next.marker;
    }
    merged.accounts = accounts.into_values().collect();
    queue.transfers = queue.jobs.iter().map(|j| j.delta.transfers.len()).sum();
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

fn is_arrival(command: &Command) -> bool {
    matches!(command, Command::Operate(o) if matches!(o.kind, ledger_core::operation::OperationKind::Arrival(_)))
}
