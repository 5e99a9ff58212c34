//! The sled index: what can be rebuilt from the journal, kept for queries that memory does not
//! answer well (history pages, where a transfer was journaled) and for hosts that read accounts
//! without replaying.
//!
//! The index lives in one sled tree, a *generation* named `index-<n>`; sled's default tree
//! holds only `live`, the name of the generation in use. Every update of the live generation is
//! one atomic `apply_batch` that also moves its mark (the journal sequence reflected), so a
//! generation is always exactly some prefix of the journal. A rebuild never clears the live
//! generation: it fills a fresh one beside it, flushes it, marks it, flushes, and only then
//! points `live` at it and drops the old one. A crash at any point leaves `live` naming a whole
//! generation (the old or the new), never a half-cleared tree that claims to be current.
//!
//! | key | value |
//! |---|---|
//! | `m` | sequence reflected (u64 LE) ++ that record's hash (32 bytes) ++ format (1 byte, 10) ++ accounts (u64 LE) ++ transfers (u64 LE) |
//! | `a` ++ account id (u128 BE) | the account, 118 bytes (see `docs/FORMAT.md` §10) |
//! | `t` ++ a run's first transfer id (u128 BE) | the sequences of the records that created up to 64 transfers of consecutive ids (see `index_transfer`) |
//! | `h` ++ account id (BE) ++ the account's statement lines before the run (u64 BE) ++ its first entry's timestamp (u64 BE) | a run of up to 64 history entries, each what a transfer did to the account, after the posted balance before them (see `index_history`) |
//! | `c` ++ a run's first transfer id (u128 BE) ++ the sequence of the last record applied when it was evicted (u64 BE) | up to 64 versions of transfers of consecutive ids the engine no longer holds, each field of the engine state's transfer encoding a step from the transfer before (see `index_evicted`) |
//! | `o` ++ operation id (u128 BE) ++ the sequence of the last record applied when it was evicted (u64 BE) | an operation the engine no longer holds, in the engine state's encoding (see `index_entries`) |
//! | `f` ++ transfer id (u128 BE) ++ that sequence (u64 BE) | a failed id the engine no longer holds: its result code (u16 LE) |
//! | `r` ++ rated transfer id (u128 BE) ++ that sequence (u64 BE) | a rating the engine no longer holds (one byte, 1 to 5) |
//!
//! Ids and timestamps are big-endian in keys so that sled's byte order is numeric order. The
//! counts in the mark are the index's fingerprint: opening checks them against the journal
//! replayed to the mark, and probes the tree for them, before it trusts the mark.
//!
//! Every call into sled runs inside `contain`: sled 0.34 panics on some I/O errors (an `fsync`
//! failing with EIO unwraps in its log writer); such a panic becomes an error here, so a failing
//! index never takes the process down, and never touches the journal. `contain` is also where
//! sled's errors become [`IndexError`]s: no sled type leaves this module.

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use ledger_core::operation::OperationRecord;
use ledger_core::report::{statement_entry, StatementEntry};
use ledger_core::{
    Account, AccountId, Command, Decimal, Ledger, Reply, ResultCode, TransferId, TransferRecord,
    SWEEP_TRANSFER_ID_BIT,
};

use crate::error::{IndexError, IndexErrorKind};
use crate::history_sum::HistorySum;
use crate::index_account::{decode_account, encode_account, ACCOUNT_VALUE_BYTES};
use crate::index_entries::{
    check_entry, decode_failed, decode_operation, decode_operation_key, decode_rating,
    encode_operation, entry_key, operation_key, PREFIX_FAILED, PREFIX_OPERATION, PREFIX_RATING,
};
use crate::index_evicted::{
    decode_evicted, decode_evicted_key, encode_evicted, evicted_key, evicted_run_len,
    split_evicted_runs, EVICTED_RUN_MAX, PREFIX_EVICTED,
};
use crate::index_history::{
    account_prefix, decode_run, encode_run, run_key, Run, PREFIX_HISTORY, RUN_ENTRIES_MAX,
};
use crate::index_prefetch::prefetch_segment_headers;
use crate::index_transfer::{self, split_runs, transfer_key, PREFIX_TRANSFER};
use crate::record::Hash;

const KEY_META: &[u8] = b"m";
/// In sled's default tree: the name of the live generation.
const KEY_LIVE: &[u8] = b"live";
/// Generations are named this followed by a number.
const GENERATION_PREFIX: &str = "index-";
/// The layout of the values below; an index written in another layout (or before the marker
/// carried one) reads as having no marker, so opening rebuilds it.
const INDEX_FORMAT: u8 = 10;
const MARKER_BYTES: usize = 8 + 32 + 1 + 8 + 8;
const PREFIX_ACCOUNT: u8 = b'a';
/// How often opening retries sled's directory lock (about 2 s in all).
const OPEN_LOCK_ATTEMPTS_MAX: u64 = 60;
/// Transfers (and evicted versions) gathered before a rebuild writes them out, to bound memory
/// (about 250 bytes each while gathered and written). Each write appends a history run per
/// account it touches, so a larger chunk writes fewer, fuller runs, and each key costs sled
/// bytes of its own in its log and in every rewrite of its leaf. Measured at 1 M transfers with
/// eviction (`benches` `scale --resident 100000`): 65,536 left 290 to 302 index bytes a
/// transfer, 262,144 198 to 205, 1,048,576 225 with twice the peak memory.
pub const REBUILD_CHUNK_TRANSFERS: usize = 262_144;

/// What a call into sled fails with inside this module: sled's own error, or damage the index
/// found in its own entries. `contain` turns it into an [`IndexError`].
#[derive(Debug)]
enum Failure {
    Sled(sled::Error),
    Damaged(String),
}

impl From<sled::Error> for Failure {
    fn from(error: sled::Error) -> Failure {
        Failure::Sled(error)
    }
}

impl IndexError {
    fn of(failure: Failure) -> IndexError {
        let error = match failure {
            Failure::Damaged(why) => return IndexError::new(IndexErrorKind::Corrupted, why),
            Failure::Sled(error) => error,
        };
        let kind = match &error {
            sled::Error::Corruption { .. } => IndexErrorKind::Corrupted,
            sled::Error::Unsupported(_) => IndexErrorKind::Unsupported,
            // sled reports its directory lock held by another database as an I/O error.
            sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
                IndexErrorKind::Locked
            }
            sled::Error::Io(_) => IndexErrorKind::Io,
            _ => IndexErrorKind::Failed,
        };
        IndexError::new(kind, error.to_string())
    }
}

/// Runs a call into sled, turning a panic inside it into an error (see the module docs), and
/// sled's errors into [`IndexError`]s.
fn contain<T>(call: impl FnOnce() -> Result<T, Failure>) -> Result<T, IndexError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(IndexError::of),
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(IndexError::new(
                IndexErrorKind::Failed,
                format!("sled panicked ({why}); the journal is unaffected"),
            ))
        }
    }
}

/// The index's high-water mark: the journal record it reflects, and its fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMark {
    /// The sequence number of the last journal record the index reflects.
    pub sequence: u64,
    /// That record's hash (an index built from another journal does not match it).
    pub hash: Hash,
    /// Accounts and transfers in the ledger after record `sequence`.
    pub accounts: u64,
    /// How many transfers the ledger holds after record `sequence`.
    pub transfers: u64,
}

impl IndexMark {
    /// The mark of the state `ledger` after record `sequence` with hash `hash`.
    pub fn of(sequence: u64, hash: Hash, ledger: &Ledger) -> IndexMark {
        IndexMark {
            sequence,
            hash,
            accounts: ledger.account_count() as u64,
            transfers: ledger.transfer_count() as u64,
        }
    }

    fn encode(&self) -> [u8; MARKER_BYTES] {
        let mut value = [0u8; MARKER_BYTES];
        value[..8].copy_from_slice(&self.sequence.to_le_bytes());
        value[8..40].copy_from_slice(&self.hash);
        value[40] = INDEX_FORMAT;
        value[41..49].copy_from_slice(&self.accounts.to_le_bytes());
        value[49..57].copy_from_slice(&self.transfers.to_le_bytes());
        value
    }

    fn decode(bytes: &[u8]) -> Option<IndexMark> {
        if bytes.len() != MARKER_BYTES || bytes[40] != INDEX_FORMAT {
            return None;
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
        Some(IndexMark {
            sequence: word(0),
            hash: bytes[8..40].try_into().ok()?,
            accounts: word(41),
            transfers: word(49),
        })
    }
}

/// A transfer as the index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedTransfer {
    /// The sequence number of the journal record that applied it.
    pub sequence: u64,
    /// The account it credited.
    pub credit: AccountId,
    /// What it did to the account it credited (whose counterparty is the account it debited).
    pub entry: StatementEntry,
}

impl IndexedTransfer {
    /// The transfer's id.
    pub fn id(&self) -> TransferId {
        self.entry.transfer
    }

    /// Its entry in each of its accounts' histories: the debit account's, then the credit
    /// account's.
    pub fn sides(&self) -> [(AccountId, StatementEntry); 2] {
        let debit = StatementEntry {
            counterparty: self.credit,
            amount: -self.entry.amount,
            ..self.entry
        };
        [(self.entry.counterparty, debit), (self.credit, self.entry)]
    }
}

// The indexer's queue holds one per transfer, and an evicted version (with the request, boxed,
// when it is not the plain one) per eviction (see `INDEX_LAG_TRANSFERS_MAX`).
const _: () = assert!(std::mem::size_of::<IndexedTransfer>() <= 112);
const _: () = assert!(std::mem::size_of::<(u64, TransferRecord)>() <= 144);

/// A page of an account's statement as the index reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStatement {
    /// The account's posted balance before the page's first line (after its last line when the
    /// page starts past it).
    pub opening_balance: Decimal,
    /// The page's lines, each with the posted balance after it.
    pub lines: Vec<(StatementEntry, Decimal)>,
    /// Whether another line follows the page.
    pub more: bool,
}

/// The fewest account entries a delta gathers before it first sorts them.
const COMPACT_ACCOUNTS_MIN: usize = 1 << 16;

/// What one or more journal records change in the index.
#[derive(Debug, Default)]
pub struct IndexDelta {
    /// Transfers to add, in the order applied.
    pub transfers: Vec<IndexedTransfer>,
    /// Accounts whose stored copy must be refreshed from the ledger, with repeats and in no
    /// order until [`IndexDelta::touched_accounts`] sorts them (pushing is what the commit path
    /// can afford per transfer; a tree insert per account side cost a fifth of it).
    pub accounts: Vec<AccountId>,
    /// When `accounts` is next sorted and deduplicated as it grows, so that a delta gathering a
    /// whole journal (an index rebuild) holds at most about twice the accounts it touched.
    pub(crate) compact_at: usize,
    /// Set when a reply's shape did not say which accounts changed: refresh them all.
    pub all_accounts: bool,
    /// Transfers the engine let go of, each with the sequence of the last record applied when
    /// it did: written as a new version (`c` key) beside the versions already there.
    pub evicted: Vec<(u64, TransferRecord)>,
    /// Operations the engine let go of, each with the sequence of the last record applied when
    /// it did (`o` keys).
    pub evicted_operations: Vec<(u64, TransferId, OperationRecord)>,
    /// Failed ids the engine let go of, likewise (`f` keys).
    pub evicted_failed: Vec<(u64, TransferId, ResultCode)>,
    /// Ratings the engine let go of, by rated transfer, likewise (`r` keys).
    pub evicted_ratings: Vec<(u64, TransferId, u8)>,
}

impl IndexDelta {
    /// Adds what the command at `sequence` changed, reading the ledger right after it ran.
    pub fn collect(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &Ledger) {
        match (command, reply) {
            (Command::CreateAccounts(items), Reply::Events(results)) => {
                for (item, result) in items.iter().zip(results) {
                    if result.code == ResultCode::Ok {
                        self.touch(item.id);
                    }
                }
            }
            (Command::CreateTransfers(items), Reply::Events(results)) => {
                for (item, result) in items.iter().zip(results) {
                    if result.code != ResultCode::Ok {
                        continue;
                    }
                    if let Some(record) = ledger.transfer(item.id) {
                        self.push_transfer(sequence, record);
                        self.touch(record.debit_account_id);
                        self.touch(record.credit_account_id);
                    }
                }
            }
            (Command::Expire, Reply::Expired(ids)) => {
                // Released holds change balances; expiry sweeps are new transfers the engine
                // made (their ids carry SWEEP_TRANSFER_ID_BIT) and are indexed like any other.
                for record in ids.iter().filter_map(|id| ledger.transfer(*id)) {
                    if record.id().get() & SWEEP_TRANSFER_ID_BIT != 0 {
                        self.push_transfer(sequence, record);
                    }
                    self.touch(record.debit_account_id);
                    self.touch(record.credit_account_id);
                }
            }
            (Command::SetEligibility(items), _) => {
                items.iter().for_each(|e| self.touch(e.account));
            }
            (Command::CloseAccounts(items), _) => {
                items.iter().for_each(|&id| self.touch(id));
            }
            (Command::Operate(operation), Reply::Events(results)) => {
                // The results are the plan's transfers, ratings, then closes; a retry answers
                // `exists` and indexes nothing again.
                let Some(record) = ledger.operation(operation.id) else {
                    return;
                };
                for (id, result) in record.transfers.iter().zip(results) {
                    if result.code != ResultCode::Ok {
                        continue;
                    }
                    if let Some(transfer) = ledger.transfer(*id) {
                        self.push_transfer(sequence, transfer);
                        self.touch(transfer.debit_account_id);
                        self.touch(transfer.credit_account_id);
                    }
                }
                let closes = results.len().saturating_sub(record.closes.len());
                for (account, result) in record.closes.iter().zip(&results[closes..]) {
                    if result.code == ResultCode::Ok {
                        self.touch(*account);
                    }
                }
            }
            (Command::LinkAccounts(_) | Command::UnlinkAccounts(_), _) => {}
            (Command::RecordRatings(_), _) => {}
            (Command::AmendPolicy(_), _) => {}
            // A reply of a shape this code does not know: be safe, refresh every account.
            _ => self.all_accounts = true,
        }
    }

    /// Notes that `account` changed.
    fn touch(&mut self, account: AccountId) {
        self.accounts.push(account);
        if self.accounts.len() >= self.compact_at {
            self.touched_accounts();
            self.compact_at = (2 * self.accounts.len()).max(COMPACT_ACCOUNTS_MIN);
        }
    }

    /// The accounts changed, in ascending id order, each once.
    pub fn touched_accounts(&mut self) -> &[AccountId] {
        self.accounts.sort_unstable();
        self.accounts.dedup();
        &self.accounts
    }

    fn push_transfer(&mut self, sequence: u64, record: &TransferRecord) {
        let credit = record.credit_account_id;
        if let Some(entry) = statement_entry(record, credit) {
            self.transfers.push(IndexedTransfer {
                sequence,
                credit,
                entry,
            });
        }
    }

    /// Whether the delta changes nothing in the index.
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
            && self.evicted.is_empty()
            && self.evicted_operations.is_empty()
            && self.evicted_failed.is_empty()
            && self.evicted_ratings.is_empty()
            && self.accounts.is_empty()
            && !self.all_accounts
    }

    /// The transfers it adds and the evicted versions it writes: what a queue of deltas, or a
    /// batch merged from them, counts against its bound.
    pub fn transfer_entries(&self) -> usize {
        self.transfers.len()
            + self.evicted.len()
            + self.evicted_operations.len()
            + self.evicted_failed.len()
            + self.evicted_ratings.len()
    }

    /// Moves `later`'s transfers and evicted versions (a delta of later records) after this
    /// one's; its accounts are left behind, for the caller, which reads them from the ledger.
    pub fn append_transfers(&mut self, later: &mut IndexDelta) {
        self.transfers.append(&mut later.transfers);
        self.evicted.append(&mut later.evicted);
        self.evicted_operations
            .append(&mut later.evicted_operations);
        self.evicted_failed.append(&mut later.evicted_failed);
        self.evicted_ratings.append(&mut later.evicted_ratings);
    }
}

/// The sled index of one ledger: the database and its live generation.
#[derive(Debug)]
pub struct Index {
    /// `None` only while dropping (see `Drop`).
    open: Option<OpenIndex>,
    /// The directory of a copy or of a temporary index placed by this code, removed on drop.
    scratch: Option<PathBuf>,
}

#[derive(Debug)]
struct OpenIndex {
    db: sled::Db,
    live: RwLock<IndexTree>,
}

/// One generation of the index (a sled tree). Cheap to clone: clones share the tree and its
/// history ends.
#[derive(Debug, Clone)]
pub struct IndexTree {
    name: String,
    tree: sled::Tree,
    ends: HistoryEnds,
}

/// Where each account's history ends in one generation, as written: what appending to it carries
/// on, so that adding a batch reads no run back (each touched account's last run was a tree
/// read per batch, a quarter of the indexer's time). An account's end is read from the tree
/// the first time it is needed and kept from then on; its entries are bounded by the accounts,
/// not the history. Emptied when a batch fails, since the tree's state is then not known here.
/// Damage to a last run is found when that run is read: by the first append after opening, by
/// statements and history pages, and by verification.
#[derive(Debug, Clone, Default)]
struct HistoryEnds(Arc<Mutex<HashMap<AccountId, HistoryEnd>>>);

/// The end of one account's history: its line count, the posted balance after its last line,
/// and that line's timestamp (none before the first).
#[derive(Debug, Clone, Copy, PartialEq)]
struct HistoryEnd {
    lines: u64,
    balance: Decimal,
    last: Option<u64>,
}

impl HistoryEnds {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, HistoryEnd>> {
        // The map holds plain values: one a panic interrupted is emptied below, not trusted.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl IndexTree {
    fn new(name: String, tree: sled::Tree) -> IndexTree {
        IndexTree {
            name,
            tree,
            ends: HistoryEnds::default(),
        }
    }
}

impl Index {
    /// Opens (or creates) the index, and drops generations an interrupted rebuild left behind.
    /// sled releases its directory lock from background threads shortly after the last handle
    /// is dropped, so a reopen in the same process retries the lock for a bounded time.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        // The headers sled reads first are read ahead from many threads meanwhile (on a cold
        // page cache, most of a large index's open).
        let db = std::thread::scope(|s| {
            // Without a thread to be had, sled reads its headers alone.
            let _ = std::thread::Builder::new()
                .name("ledger-index-prefetch".into())
                .spawn_scoped(s, || prefetch_segment_headers(&path.join("db")));
            Self::open_sled(path)
        })?;
        let name = match contain(|| Ok(db.get(KEY_LIVE)?))? {
            Some(name) => String::from_utf8_lossy(&name).into_owned(),
            // A new index, or one of a layout before generations: it starts at generation 1,
            // which has no mark, so opening rebuilds it.
            None => format!("{GENERATION_PREFIX}1"),
        };
        let tree = contain(|| Ok(db.open_tree(&name)?))?;
        let index = Index {
            open: Some(OpenIndex {
                db,
                live: RwLock::new(IndexTree::new(name, tree)),
            }),
            scratch: None,
        };
        index.drop_other_generations()?;
        Ok(index)
    }

    /// sled's database at `path`, retrying its lock for a bounded time.
    fn open_sled(path: &Path) -> Result<sled::Db, IndexError> {
        let mut attempt = 0;
        loop {
            // High-throughput mode: the index is written in large batches and read by key.
            let config = sled::Config::new()
                .path(path)
                .mode(sled::Mode::HighThroughput);
            match contain(|| Ok(config.open()?)) {
                Ok(db) => return Ok(db),
                Err(e)
                    if e.kind() == IndexErrorKind::Locked && attempt < OPEN_LOCK_ATTEMPTS_MAX =>
                {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(attempt));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens a private copy of the index at `path` for reading, and writes nothing under
    /// `path`: for an audit, which must not change the directory it checks (a read-only mount
    /// included). sled 0.34 has no read-only open: opening takes a write lock on its `db` file
    /// (so it opens it for writing) and may write recovery state and a snapshot, so the files
    /// are copied into a fresh directory under the system's temporary directory, and that copy
    /// is opened. The copy is removed when the index is dropped (or at once on an error); it
    /// takes as much space there as the index takes in the data directory. The caller holds
    /// the data directory's lock, so no store writes the files while they are copied.
    pub fn open_copy_of(path: &Path) -> Result<Index, IndexError> {
        let copy = std::env::temp_dir().join(format!(
            "timebank-index-copy-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let opened = copy_dir(path, &copy)
            .map_err(|e| IndexError::new(IndexErrorKind::Io, e.to_string()))
            .and_then(|()| {
                // Temporary: sled removes the copy when the database is dropped.
                let config = sled::Config::new()
                    .path(&copy)
                    .temporary(true)
                    .mode(sled::Mode::HighThroughput);
                contain(|| Ok(config.open()?))
            });
        let db = match opened {
            Ok(db) => db,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&copy);
                return Err(e);
            }
        };
        let name = match contain(|| Ok(db.get(KEY_LIVE)?))? {
            Some(name) => String::from_utf8_lossy(&name).into_owned(),
            None => format!("{GENERATION_PREFIX}1"),
        };
        let tree = contain(|| Ok(db.open_tree(&name)?))?;
        Ok(Index {
            open: Some(OpenIndex {
                db,
                live: RwLock::new(IndexTree::new(name, tree)),
            }),
            scratch: Some(copy),
        })
    }

    /// A temporary index, in memory where the system allows (sled's temporary mode keeps it in
    /// `/dev/shm` on Linux) and removed when dropped: for a store that must not write its data
    /// directory.
    pub fn open_temporary() -> Result<Index, IndexError> {
        let config = sled::Config::new()
            .temporary(true)
            .mode(sled::Mode::HighThroughput);
        let mut scratch = None;
        let db = match contain(|| Ok(config.open()?)) {
            Ok(db) => db,
            // No usable /dev/shm: the system's temporary directory.
            Err(_) => {
                let path = std::env::temp_dir().join(format!(
                    "timebank-index-{}-{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos())
                ));
                let config = sled::Config::new()
                    .path(&path)
                    .temporary(true)
                    .mode(sled::Mode::HighThroughput);
                scratch = Some(path);
                contain(|| Ok(config.open()?))?
            }
        };
        let name = format!("{GENERATION_PREFIX}1");
        let tree = contain(|| Ok(db.open_tree(&name)?))?;
        Ok(Index {
            open: Some(OpenIndex {
                db,
                live: RwLock::new(IndexTree::new(name, tree)),
            }),
            scratch,
        })
    }

    fn inner(&self) -> &OpenIndex {
        // Invariant: `open` is taken only in `drop`.
        self.open.as_ref().expect("the index is open")
    }

    fn db(&self) -> &sled::Db {
        &self.inner().db
    }

    /// The live generation.
    pub fn live(&self) -> IndexTree {
        self.live_guard().clone()
    }

    fn live_guard(&self) -> RwLockReadGuard<'_, IndexTree> {
        // The guarded value is a handle; a panic while holding it leaves it whole.
        self.inner().live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A new, empty generation beside the live one, to rebuild into; the live one is
    /// untouched until [`Index::swap_in`].
    pub fn fresh(&self) -> Result<IndexTree, IndexError> {
        let live = self.live();
        let number: u64 = live
            .name
            .strip_prefix(GENERATION_PREFIX)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let name = format!("{GENERATION_PREFIX}{}", number + 1);
        let db = self.db();
        contain(|| {
            db.drop_tree(&name)?; // a leftover of an interrupted rebuild
            Ok(IndexTree::new(name.clone(), db.open_tree(&name)?))
        })
    }

    /// Makes `fresh` (filled and marked) the live generation: flushes it, points `live` at it,
    /// flushes again, then drops the old generation. On `Err` the live generation is the old
    /// one or the new one, each whole.
    pub fn swap_in(&self, fresh: IndexTree) -> Result<(), IndexError> {
        let db = self.db();
        contain(|| {
            db.flush()?;
            db.insert(KEY_LIVE, fresh.name.as_bytes())?;
            db.flush()?;
            Ok(())
        })?;
        *self.inner().live.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        self.drop_other_generations()
    }

    /// Drops every generation but the live one, and what an index of the layout before
    /// generations kept in the default tree.
    fn drop_other_generations(&self) -> Result<(), IndexError> {
        let live = self.live().name;
        let db = self.db();
        contain(|| {
            for name in db.tree_names() {
                let name = String::from_utf8_lossy(&name).into_owned();
                if name.starts_with(GENERATION_PREFIX) && name != live {
                    db.drop_tree(name.as_bytes())?;
                }
            }
            let stale: Vec<sled::IVec> = db
                .iter()
                .keys()
                .filter(|k| k.as_ref().map_or(true, |k| &k[..] != KEY_LIVE))
                .collect::<Result<_, _>>()?;
            for key in stale {
                db.remove(key)?;
            }
            Ok(())
        })
    }

    /// Writes the index's dirty pages out (sled's own flush: not a durability promise, which
    /// is fine for data the journal can rebuild).
    pub fn flush(&self) -> Result<(), IndexError> {
        contain(|| Ok(self.db().flush().map(|_| ())?))
    }
}

/// Copies the directory tree `from` (directories and regular files, as sled keeps) to `to`,
/// which must not exist; reads `from` only.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            // Not `fs::copy`, which would keep a read-only source's mode and leave sled a copy
            // it cannot open: a new file of the owner's alone.
            let mut source = std::fs::File::open(entry.path())?;
            let mut copy = crate::file::private_file(&mut std::fs::OpenOptions::new())
                .write(true)
                .create_new(true)
                .open(&target)?;
            std::io::copy(&mut source, &mut copy)?;
        }
    }
    Ok(())
}

/// How long dropping a copied or temporary index waits for sled to remove its directory before
/// removing it itself.
const SCRATCH_REMOVAL_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

impl Drop for Index {
    fn drop(&mut self) {
        // sled flushes when its last handle goes, and may panic doing so on an I/O error.
        let open = self.open.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(open)));
        // sled removes a temporary database from its own threads once their last handle goes,
        // which a process that exits right after does not wait for: the copy (as large as the
        // index) would stay behind. Give sled a moment, then remove what is left.
        if let Some(dir) = self.scratch.take() {
            let deadline = std::time::Instant::now() + SCRATCH_REMOVAL_WAIT;
            while dir.exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

impl IndexTree {
    /// The mark, if there and well formed.
    pub fn mark(&self) -> Result<Option<IndexMark>, IndexError> {
        contain(|| Ok(self.tree.get(KEY_META)?.and_then(|v| IndexMark::decode(&v))))
    }

    /// Per kind of key (its first byte, in byte order): how many keys the tree holds and their
    /// bytes, keys and values together. What the index keeps, to set against the bytes sled
    /// takes on disk for it (its log, rewritten pages and their headers). A full scan.
    pub fn payload_by_kind(&self) -> Result<Vec<(u8, u64, u64)>, IndexError> {
        contain(|| {
            let mut kinds: BTreeMap<u8, (u64, u64)> = BTreeMap::new();
            for found in self.tree.iter() {
                let (key, value) = found?;
                let kind = kinds.entry(key.first().copied().unwrap_or(0)).or_default();
                kind.0 += 1;
                kind.1 += (key.len() + value.len()) as u64;
            }
            Ok(kinds
                .into_iter()
                .map(|(kind, (keys, bytes))| (kind, keys, bytes))
                .collect())
        })
    }

    /// A cheap check that the tree holds what its mark claims: keys of each kind where the
    /// mark counts any. The first difference, if any.
    pub fn probe(&self, mark: &IndexMark) -> Result<Option<String>, IndexError> {
        let has = |prefix: u8| -> Result<bool, IndexError> {
            contain(|| {
                Ok(self
                    .tree
                    .scan_prefix([prefix])
                    .next()
                    .transpose()?
                    .is_some())
            })
        };
        for (prefix, what, counted) in [
            (PREFIX_ACCOUNT, "accounts", mark.accounts),
            (PREFIX_TRANSFER, "transfers", mark.transfers),
            (PREFIX_HISTORY, "history entries", mark.transfers),
        ] {
            if has(prefix)? != (counted > 0) {
                return Ok(Some(format!(
                    "its mark counts {counted} {what} but the tree {} any",
                    if counted > 0 { "lacks" } else { "holds" }
                )));
            }
        }
        Ok(None)
    }

    /// Applies `delta` and moves the marker to `(sequence, hash)`, atomically. Account values
    /// are read from `ledger`, which must be the state after record `sequence`.
    ///
    /// On `Ok` the index reflects the journal through `sequence` (not yet flushed to disk: a
    /// crash may take the index back to an earlier prefix, which the next open catches up).
    /// On `Err` the index is unchanged.
    pub fn apply(
        &self,
        delta: &IndexDelta,
        accounts: &[Account],
        mark: Option<IndexMark>,
    ) -> Result<(), IndexError> {
        contain(|| self.apply_uncontained(delta, accounts, mark))
    }

    fn apply_uncontained(
        &self,
        delta: &IndexDelta,
        accounts: &[Account],
        mark: Option<IndexMark>,
    ) -> Result<(), Failure> {
        let mut batch = sled::Batch::default();
        let mut histories: BTreeMap<AccountId, Vec<StatementEntry>> = BTreeMap::new();
        let mut sequences: Vec<(TransferId, u64)> = Vec::with_capacity(delta.transfers.len());
        for t in &delta.transfers {
            sequences.push((t.id(), t.sequence));
            for (account, entry) in t.sides() {
                histories.entry(account).or_default().push(entry);
            }
        }
        sequences.sort_unstable_by_key(|(id, _)| *id);
        for (first, run) in split_runs(&sequences) {
            batch.insert(&transfer_key(first)[..], index_transfer::encode_run(&run));
        }
        let mut ends = Vec::with_capacity(histories.len());
        for (account, mut entries) in histories {
            entries.sort_by_key(|e| e.timestamp);
            ends.push((account, self.add_history(&mut batch, account, &entries)?));
        }
        for (sequence, run) in split_evicted_runs(&delta.evicted) {
            batch.insert(
                &evicted_key(run[0].1.id(), sequence)[..],
                encode_evicted(run.iter().map(|(_, record)| record)),
            );
        }
        for (sequence, id, record) in &delta.evicted_operations {
            batch.insert(
                &operation_key(*id, *sequence)[..],
                encode_operation(*id, record),
            );
        }
        for (sequence, id, code) in &delta.evicted_failed {
            let key = entry_key(PREFIX_FAILED, *id, *sequence);
            batch.insert(&key[..], &u16::from(*code).to_le_bytes()[..]);
        }
        for (sequence, id, rating) in &delta.evicted_ratings {
            let key = entry_key(PREFIX_RATING, *id, *sequence);
            batch.insert(&key[..], &[*rating][..]);
        }
        let mut value = [0u8; ACCOUNT_VALUE_BYTES];
        for account in accounts {
            encode_account(account, &mut value);
            batch.insert(&account_key(account.id)[..], &value[..]);
        }
        // In the same atomic batch as the data it covers: the mark never runs ahead of it.
        if let Some(mark) = mark {
            batch.insert(KEY_META, &mark.encode()[..]);
        }
        let applied = self.tree.apply_batch(batch);
        let mut known = self.ends.lock();
        match applied {
            Ok(()) => known.extend(ends),
            Err(_) => known.clear(),
        }
        Ok(applied?)
    }

    /// Appends `entries` (in timestamp order) to `account`'s history in `batch` as new runs of
    /// up to [`RUN_ENTRIES_MAX`], carrying the line count and posted balance on from the
    /// account's last run (one read). Entries not after that run's last are already indexed
    /// and are skipped, so applying a delta again adds nothing.
    fn add_history(
        &self,
        batch: &mut sled::Batch,
        account: AccountId,
        entries: &[StatementEntry],
    ) -> Result<HistoryEnd, Failure> {
        let known = self.ends.lock().get(&account).copied();
        let end = match known {
            Some(end) => end,
            None => self.history_end(account)?,
        };
        let HistoryEnd {
            mut lines,
            mut balance,
            mut last,
        } = end;
        let new = entries
            .iter()
            .position(|e| end.last.is_none_or(|after| e.timestamp > after))
            .unwrap_or(entries.len());
        for chunk in entries[new..].chunks(RUN_ENTRIES_MAX) {
            let run = Run {
                lines_before: lines,
                opening_balance: balance,
                entries: chunk.to_vec(),
            };
            (lines, balance) = run.end().ok_or_else(|| damaged(account))?;
            last = run.entries.last().map(|e| e.timestamp);
            if let Some(key) = run.key(account) {
                batch.insert(&key[..], encode_run(&run));
            }
        }
        Ok(HistoryEnd {
            lines,
            balance,
            last,
        })
    }

    /// Where the account's history ends, read from its last run.
    fn history_end(&self, account: AccountId) -> Result<HistoryEnd, Failure> {
        Ok(match self.last_run(account)? {
            Some(last) => {
                let (lines, balance) = last.end().ok_or_else(|| damaged(account))?;
                HistoryEnd {
                    lines,
                    balance,
                    last: last.entries.last().map(|e| e.timestamp),
                }
            }
            None => HistoryEnd {
                lines: 0,
                balance: Decimal::ZERO,
                last: None,
            },
        })
    }

    /// The account's last run, if any.
    fn last_run(&self, account: AccountId) -> Result<Option<Run>, Failure> {
        match self.tree.scan_prefix(account_prefix(account)).next_back() {
            Some(found) => {
                let (key, value) = found?;
                decoded(account, &key, &value).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The account's runs from the last one keyed at or before `(lines, timestamp)` on (from
    /// the first when none is), in order.
    fn runs_from(
        &self,
        account: AccountId,
        lines: u64,
        timestamp: u64,
    ) -> Result<impl Iterator<Item = Result<Run, Failure>> + '_, Failure> {
        let prefix = account_prefix(account);
        let at = run_key(account, lines, timestamp);
        let start = match self.tree.range(&prefix[..]..=&at[..]).next_back() {
            Some(found) => found?.0.to_vec(),
            None => prefix.to_vec(),
        };
        Ok(self
            .tree
            .range(start..)
            .take_while(move |found| {
                found
                    .as_ref()
                    .map_or(true, |(key, _)| key.starts_with(&prefix))
            })
            .map(move |found| {
                let (key, value) = found?;
                decoded(account, &key, &value)
            }))
    }

    /// The account as the index stores it (fields and balances as of the mark), if indexed.
    pub fn account(&self, id: AccountId) -> Result<Option<Account>, IndexError> {
        contain(|| {
            Ok(self
                .tree
                .get(account_key(id))?
                .and_then(|v| decode_account(id, &v)))
        })
    }

    /// The sequence of the record that created a transfer: from the run that holds its id (the
    /// last one keyed at or before it), if that run reaches it.
    pub fn transfer(&self, id: TransferId) -> Result<Option<u64>, IndexError> {
        contain(|| self.transfer_uncontained(id))
    }

    fn transfer_uncontained(&self, id: TransferId) -> Result<Option<u64>, Failure> {
        let key = transfer_key(id);
        let Some(found) = self
            .tree
            .range(&[PREFIX_TRANSFER][..]..=&key[..])
            .next_back()
        else {
            return Ok(None);
        };
        let (key, value) = found?;
        let (first, sequences) = index_transfer::decode_run(&key, &value).ok_or_else(|| {
            Failure::Damaged(format!(
                "the index's run of transfers from {:?} is damaged; rebuild the index",
                id_in(&key)
            ))
        })?;
        let at = id.get() - first.get();
        Ok(usize::try_from(at)
            .ok()
            .and_then(|at| sequences.get(at).copied()))
    }

    /// The highest transfer id below `limit` that a transfer run holds, if any: one seek back
    /// from `limit` to the last run keyed before it (a run of consecutive ids may reach past
    /// `limit`; its ids from `limit` on do not count).
    pub fn highest_transfer_below(
        &self,
        limit: TransferId,
    ) -> Result<Option<TransferId>, IndexError> {
        contain(|| {
            let key = transfer_key(limit);
            let Some(found) = self
                .tree
                .range(&[PREFIX_TRANSFER][..]..&key[..])
                .next_back()
            else {
                return Ok(None);
            };
            let (key, value) = found?;
            let (first, sequences) = index_transfer::decode_run(&key, &value).ok_or_else(|| {
                Failure::Damaged(format!(
                    "the index's run of transfers from {:?} is damaged; rebuild the index",
                    id_in(&key)
                ))
            })?;
            // A run holds 1 to 64 ids (decode_run checks), so the sum cannot pass u128.
            let last = first.get() + sequences.len() as u128 - 1;
            Ok(TransferId::new(last.min(limit.get() - 1)))
        })
    }

    /// The transfer `id` as it was evicted last before record `before`: the newest version
    /// whose sequence is below `before` (what a replay applying record `before` must see), if
    /// any. A damaged version is an error of kind `Corrupted` that names the id.
    pub fn evicted_transfer(
        &self,
        id: TransferId,
        before: u64,
    ) -> Result<Option<TransferRecord>, IndexError> {
        contain(|| self.evicted_transfer_uncontained(id, before))
    }

    fn evicted_transfer_uncontained(
        &self,
        id: TransferId,
        before: u64,
    ) -> Result<Option<TransferRecord>, Failure> {
        if before == 0 {
            return Ok(None);
        }
        // The runs that can hold `id` start at most 63 ids before it.
        let lowest = TransferId::new(id.get().saturating_sub(EVICTED_RUN_MAX as u128 - 1).max(1))
            .expect("at least 1");
        let (start, end) = (evicted_key(lowest, 0), evicted_key(id, before));
        let damaged = |why: String| {
            Failure::Damaged(format!(
                "the index's record of evicted transfer {}: {why}; rebuild the index",
                id.get()
            ))
        };
        let mut newest: Option<(u64, TransferRecord)> = None;
        for found in self.tree.range(&start[..]..&end[..]) {
            let (key, value) = found?;
            // A damaged key sorting in the range is refused, as the run it would be.
            let (first, sequence) = decode_evicted_key(&key)
                .ok_or_else(|| damaged(format!("evicted transfer key {key:?} is damaged")))?;
            let covers = first.get() + evicted_run_len(&value) as u128 > id.get();
            let newer = newest.as_ref().is_none_or(|(at, _)| sequence > *at);
            if sequence >= before || !covers || !newer {
                continue;
            }
            let (_, _, mut records) = decode_evicted(&key, &value).map_err(damaged)?;
            let record = records.swap_remove((id.get() - first.get()) as usize);
            newest = Some((sequence, record));
        }
        Ok(newest.map(|(_, record)| record))
    }

    /// The operation `id` if it was evicted before record `before` (a version whose sequence
    /// is below `before`: what a replay applying record `before` may see). A damaged version
    /// is an error of kind `Corrupted` that names the id.
    pub fn evicted_operation(
        &self,
        id: TransferId,
        before: u64,
    ) -> Result<Option<OperationRecord>, IndexError> {
        self.evicted_entry(PREFIX_OPERATION, id, before, "operation", |key, value| {
            decode_operation(key, value).map(|(_, _, record)| record)
        })
    }

    /// The code `id` failed with, if that failure was evicted before record `before`.
    pub fn evicted_failed(
        &self,
        id: TransferId,
        before: u64,
    ) -> Result<Option<ResultCode>, IndexError> {
        self.evicted_entry(PREFIX_FAILED, id, before, "failed id", |_, value| {
            decode_failed(value)
        })
    }

    /// The rating of `transfer`, if it was evicted before record `before`.
    pub fn evicted_rating(
        &self,
        transfer: TransferId,
        before: u64,
    ) -> Result<Option<u8>, IndexError> {
        self.evicted_entry(PREFIX_RATING, transfer, before, "rating", |_, value| {
            decode_rating(value)
        })
    }

    /// A version below `before` of the entry `id` of `prefix`, decoded (any one: an entry
    /// never changes).
    fn evicted_entry<V>(
        &self,
        prefix: u8,
        id: TransferId,
        before: u64,
        what: &str,
        decode: impl Fn(&[u8], &[u8]) -> Result<V, String>,
    ) -> Result<Option<V>, IndexError> {
        contain(|| {
            let (start, end) = (entry_key(prefix, id, 0), entry_key(prefix, id, before));
            let Some(found) = self.tree.range(&start[..]..&end[..]).next() else {
                return Ok(None);
            };
            let (key, value) = found?;
            match decode(&key, &value) {
                Ok(entry) => Ok(Some(entry)),
                Err(why) => Err(Failure::Damaged(format!(
                    "the index's record of evicted {what} {}: {why}; rebuild the index",
                    id.get()
                ))),
            }
        })
    }

    /// The highest id below `limit` of an operation evicted, if any.
    pub fn highest_evicted_operation_below(
        &self,
        limit: TransferId,
    ) -> Result<Option<TransferId>, IndexError> {
        contain(|| {
            let end = operation_key(limit, 0);
            let Some(found) = self
                .tree
                .range(&[PREFIX_OPERATION][..]..&end[..])
                .next_back()
            else {
                return Ok(None);
            };
            let (key, _) = found?;
            let (id, _) = decode_operation_key(&key).ok_or_else(|| {
                Failure::Damaged(format!(
                    "evicted operation key {key:?} is damaged; rebuild the index"
                ))
            })?;
            Ok(Some(id))
        })
    }

    /// Up to `limit` history entries of `account` after `after` (exclusive: the statement
    /// lines through an entry, and its timestamp), oldest first, each with the lines through
    /// it.
    pub fn history(
        &self,
        account: AccountId,
        after: Option<(u64, u64)>,
        limit: usize,
    ) -> Result<Vec<(u64, StatementEntry)>, IndexError> {
        contain(|| self.history_uncontained(account, after, limit))
    }

    fn history_uncontained(
        &self,
        account: AccountId,
        after: Option<(u64, u64)>,
        limit: usize,
    ) -> Result<Vec<(u64, StatementEntry)>, Failure> {
        let (lines, timestamp) = after.unwrap_or((0, 0));
        let mut out = Vec::with_capacity(limit.min(1024));
        // The run holding the entry `after` names is the last one keyed at or before it.
        for run in self.runs_from(account, lines, timestamp)? {
            let run = run?;
            let mut lines = run.lines_before;
            for entry in run.entries {
                lines += u64::from(entry.posted);
                if after.is_some_and(|(_, after)| entry.timestamp <= after) {
                    continue;
                }
                if out.len() == limit {
                    return Ok(out);
                }
                out.push((lines, entry));
            }
        }
        Ok(out)
    }

    /// How many lines `account`'s statement holds (its posted movements).
    pub fn statement_lines(&self, account: AccountId) -> Result<u64, IndexError> {
        contain(|| Ok(self.history_end(account)?.lines))
    }

    /// Lines `from .. from + limit` (counting from 0) of `account`'s statement, the posted
    /// balance before them, and whether more follow: a seek to the run holding line `from`,
    /// then a forward read.
    pub fn statement(
        &self,
        account: AccountId,
        from: u64,
        limit: usize,
    ) -> Result<IndexStatement, IndexError> {
        contain(|| self.statement_uncontained(account, from, limit))
    }

    fn statement_uncontained(
        &self,
        account: AccountId,
        from: u64,
        limit: usize,
    ) -> Result<IndexStatement, Failure> {
        // The run holding line `from` is the last one with at most `from` lines before it (when
        // `from` is past the last line: the account's last run).
        let mut opening_balance = None;
        let mut balance = Decimal::ZERO;
        let mut lines = Vec::with_capacity(limit.min(1024));
        for run in self.runs_from(account, from, u64::MAX)? {
            let run = run?;
            let mut count = run.lines_before;
            balance = run.opening_balance;
            if count == from {
                opening_balance.get_or_insert(balance);
            }
            for entry in run.entries.iter().filter(|e| e.posted) {
                balance = balance
                    .checked_add(entry.amount)
                    .ok_or_else(|| damaged(account))?;
                // This is line `count`.
                if count >= from {
                    if lines.len() == limit {
                        return Ok(IndexStatement {
                            opening_balance: opening_balance.unwrap_or(Decimal::ZERO),
                            lines,
                            more: true,
                        });
                    }
                    lines.push((*entry, balance));
                }
                count += 1;
                if count == from {
                    opening_balance = Some(balance);
                }
            }
        }
        Ok(IndexStatement {
            // Past the last line: the balance after it.
            opening_balance: opening_balance.unwrap_or(balance),
            lines,
            more: false,
        })
    }

    /// Checks every evicted version on its own: it decodes, under its own id, and that id is a
    /// transfer the `t` runs place at or before the version's sequence (an evicted transfer
    /// was journaled before it was evicted). The first fault, if any.
    fn compare_evicted(&self) -> Result<Option<String>, Failure> {
        for found in self.tree.scan_prefix([PREFIX_EVICTED]) {
            let (key, value) = found?;
            let (_, sequence, records) = match decode_evicted(&key, &value) {
                Ok(run) => run,
                Err(why) => return Ok(Some(why)),
            };
            for id in records.iter().map(TransferRecord::id) {
                if let Some(diff) = self.check_evicted_version(id, sequence)? {
                    return Ok(Some(diff));
                }
            }
        }
        Ok(None)
    }

    /// Checks every evicted operation, failed id and rating on its own: its key and value
    /// decode (an operation under its key's id). The first fault, if any.
    fn compare_evicted_operations(&self) -> Result<Option<String>, Failure> {
        for found in self.tree.scan_prefix([PREFIX_OPERATION]) {
            let (key, value) = found?;
            if let Err(why) = decode_operation(&key, &value) {
                return Ok(Some(why));
            }
        }
        for prefix in [PREFIX_FAILED, PREFIX_RATING] {
            for found in self.tree.scan_prefix([prefix]) {
                let (key, value) = found?;
                if let Some(why) = check_entry(prefix, &key, &value) {
                    return Ok(Some(why));
                }
            }
        }
        Ok(None)
    }

    /// An evicted version of `id` at `sequence` names a transfer the `t` runs place at or
    /// before it.
    fn check_evicted_version(
        &self,
        id: TransferId,
        sequence: u64,
    ) -> Result<Option<String>, Failure> {
        {
            match self.transfer_uncontained(id)? {
                None => {
                    return Ok(Some(format!(
                        "transfer {} is kept as evicted but not indexed as journaled",
                        id.get()
                    )))
                }
                Some(at) if at > sequence => {
                    return Ok(Some(format!(
                        "transfer {} is kept as evicted at sequence {sequence}, before record \
                         {at} created it",
                        id.get()
                    )))
                }
                Some(_) => {}
            }
        }
        Ok(None)
    }

    /// Compares the index with a replayed ledger; the first difference, if any. Transfers a
    /// ledger evicted are checked through the counts, the balances and the evicted versions'
    /// own check only (a seek each would cost what the rebuild did); `verify` compares the
    /// index with a replay that keeps every transfer.
    pub fn compare(&self, ledger: &Ledger) -> Result<Option<String>, IndexError> {
        contain(|| self.compare_uncontained(ledger, None))
    }

    /// [`IndexTree::compare`] with a ledger replayed by
    /// [`crate::replay_spill::replay_spilling`]: the history entries of the transfers it does
    /// not hold are compared, as a sum, with `spilled` (the entries of the transfers it let
    /// go), so every entry is checked against the journal, as with a ledger that holds them all.
    pub fn compare_spilled(
        &self,
        ledger: &Ledger,
        spilled: &HistorySum,
    ) -> Result<Option<String>, IndexError> {
        contain(|| self.compare_uncontained(ledger, Some(spilled)))
    }

    fn compare_uncontained(
        &self,
        ledger: &Ledger,
        spilled: Option<&HistorySum>,
    ) -> Result<Option<String>, Failure> {
        let mut accounts = 0usize;
        for entry in self.tree.scan_prefix([PREFIX_ACCOUNT]) {
            let (key, value) = entry?;
            accounts += 1;
            let id = id_in(&key).and_then(AccountId::new);
            let stored = id.and_then(|id| decode_account(id, &value));
            match (id.and_then(|id| ledger.account(id)), stored) {
                (Some(live), Some(stored)) if *live == stored => {}
                _ => return Ok(Some(format!("account {:?} differs", id))),
            }
        }
        if accounts != ledger.account_count() {
            return Ok(Some(format!(
                "{accounts} accounts indexed, {} in the journal",
                ledger.account_count()
            )));
        }
        // A ledger that evicted transfers (a replay that evicted, as an index rebuild's) holds
        // only some: the others are checked through the counts, the balances the history runs
        // end at and the evicted versions' own check, not one index seek each.
        let partial = ledger.evicted_transfer_count() > 0;
        let mut transfers = 0usize;
        for entry in self.tree.scan_prefix([PREFIX_TRANSFER]) {
            let (key, value) = entry?;
            let Some((first, sequences)) = index_transfer::decode_run(&key, &value) else {
                return Ok(Some(format!("transfer run {key:?} is damaged")));
            };
            transfers += sequences.len();
            for at in 0..sequences.len() as u128 {
                let id = TransferId::new(first.get() + at);
                let known = match id {
                    None => false,
                    Some(id) => ledger.transfer(id).is_some() || partial,
                };
                if !known {
                    return Ok(Some(format!(
                        "transfer {id:?} is indexed but not in the journal"
                    )));
                }
            }
        }
        if transfers != ledger.transfer_count() {
            return Ok(Some(format!(
                "{transfers} transfers indexed, {} in the journal",
                ledger.transfer_count()
            )));
        }
        if let Some(diff) = self.compare_evicted()? {
            return Ok(Some(diff));
        }
        if let Some(diff) = self.compare_evicted_operations()? {
            return Ok(Some(diff));
        }
        let mut history = 0usize;
        let mut not_held = spilled.map(HistorySum::empty_like);
        // Each account's runs in order: what its transfers did, and the running count of lines
        // and posted balance (carried exactly, scale included), ending at the account's posted
        // balance.
        let mut running: Option<(AccountId, u64, Decimal, u64)> = None;
        let mut ends: Vec<(AccountId, Decimal)> = Vec::new();
        for found in self.tree.scan_prefix([PREFIX_HISTORY]) {
            let (key, value) = found?;
            let Some((account, run)) = id_in(&key)
                .and_then(AccountId::new)
                .and_then(|account| Some((account, decode_run(&key, &value)?)))
            else {
                return Ok(Some(format!("history run {key:?} is damaged")));
            };
            history += run.entries.len();
            let (lines, balance, after) = match running {
                Some((previous, lines, balance, after)) if previous == account => {
                    (lines, balance, after)
                }
                Some((previous, _, balance, _)) => {
                    ends.push((previous, balance));
                    (0, Decimal::ZERO, 0)
                }
                None => (0, Decimal::ZERO, 0),
            };
            let first = run.entries.first().map_or(0, |e| e.timestamp);
            let carried = run.lines_before == lines
                && run.opening_balance == balance
                && run.opening_balance.scale() == balance.scale()
                && first > after;
            if !carried {
                return Ok(Some(format!(
                    "the history of account {} does not carry its lines, balance or order on \
                     into the run at transfer {}",
                    account.get(),
                    run.entries[0].transfer.get()
                )));
            }
            for entry in &run.entries {
                let record = ledger.transfer(entry.transfer);
                if record.is_none() && partial {
                    if let Some(sum) = not_held.as_mut() {
                        sum.add(account, entry);
                    }
                    continue;
                }
                let expected = record.and_then(|record| statement_entry(record, account));
                if expected != Some(*entry) {
                    return Ok(Some(format!(
                        "the history of account {} holds transfer {} as the journal does not",
                        account.get(),
                        entry.transfer.get()
                    )));
                }
            }
            let Some((lines, balance)) = run.end() else {
                return Ok(Some(format!("history run {key:?} is damaged")));
            };
            let last = run.entries.last().map_or(0, |e| e.timestamp);
            running = Some((account, lines, balance, last));
        }
        ends.extend(running.map(|(account, _, balance, _)| (account, balance)));
        for (account, balance) in ends {
            let posted = ledger.account(account).map(|a| a.posted());
            if posted != Some(balance) {
                return Ok(Some(format!(
                    "the history of account {} ends at {balance}, its posted balance is {posted:?}",
                    account.get()
                )));
            }
        }
        if history != 2 * transfers {
            return Ok(Some(format!(
                "{history} history entries for {transfers} transfers (expected two each)"
            )));
        }
        if let (Some(expected), Some(found)) = (spilled, &not_held) {
            if !found.same_as(expected) {
                return Ok(Some(format!(
                    "the history entries of the transfers the replay let go are not the \
                     journal's ({} entries in the index, {} expected, or some differ)",
                    found.entries(),
                    expected.entries()
                )));
            }
        }
        Ok(None)
    }
}

fn account_key(id: AccountId) -> [u8; 17] {
    let mut key = [PREFIX_ACCOUNT; 17];
    key[1..].copy_from_slice(&id.get().to_be_bytes());
    key
}

/// The run under `key`, read as a run of `account`'s history, or a damage error.
fn decoded(account: AccountId, key: &[u8], value: &[u8]) -> Result<Run, Failure> {
    decode_run(key, value).ok_or_else(|| damaged(account))
}

fn damaged(account: AccountId) -> Failure {
    Failure::Damaged(format!(
        "the index's history of account {} is damaged; rebuild the index",
        account.get()
    ))
}

fn id_in(key: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(key.get(1..17)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aid(n: u128) -> AccountId {
        AccountId::new(n).unwrap()
    }

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    /// A transfer `id` at `timestamp` from account 1 to account 2 or 3 (by the id's parity)
    /// of `id` hundredths; every fifth id a hold (it moves no posted balance).
    fn transfer(timestamp: u64, id: u128) -> IndexedTransfer {
        IndexedTransfer {
            sequence: 1,
            credit: aid(2 + id % 2),
            entry: StatementEntry {
                transfer: tid(id),
                timestamp,
                served_at: timestamp - id as u64 % 3,
                code: 101,
                counterparty: aid(1),
                amount: Decimal::new(id as i64, 2),
                reversal: id.is_multiple_of(7),
                posted: !id.is_multiple_of(5),
            },
        }
    }

    fn delta(transfers: impl IntoIterator<Item = (u64, u128)>) -> IndexDelta {
        IndexDelta {
            transfers: transfers
                .into_iter()
                .map(|(timestamp, id)| transfer(timestamp, id))
                .collect(),
            ..IndexDelta::default()
        }
    }

    /// Every history page and statement page of `account`, from every start, against the
    /// entries expected (in order) and the running balance summed here.
    fn assert_pages(index: &IndexTree, account: AccountId, expected: &[StatementEntry]) {
        let mut balance = Decimal::ZERO;
        let mut keyed = Vec::new();
        let mut lines = Vec::new();
        for entry in expected {
            if entry.posted {
                balance += entry.amount;
                lines.push((*entry, balance));
            }
            keyed.push((lines.len() as u64, entry.timestamp));
        }
        for limit in [1, 7, 64, 1000] {
            for skip in 0..=expected.len() {
                let after = skip.checked_sub(1).map(|i| keyed[i]);
                let page = index.history(account, after, limit).unwrap();
                let end = (skip + limit).min(expected.len());
                let got: Vec<StatementEntry> = page.iter().map(|(_, e)| *e).collect();
                let lines: Vec<u64> = page.iter().map(|(l, _)| *l).collect();
                let keyed_lines: Vec<u64> = keyed[skip..end].iter().map(|k| k.0).collect();
                assert_eq!(lines, keyed_lines, "after {after:?}, limit {limit}");
                assert_eq!(got, expected[skip..end], "after {after:?}, limit {limit}");
            }
            for from in 0..=lines.len() + 1 {
                let page = index.statement(account, from as u64, limit).unwrap();
                let end = (from + limit).min(lines.len());
                let opening = match from.min(lines.len()) {
                    0 => Decimal::ZERO,
                    n => lines[n - 1].1,
                };
                assert_eq!(page.opening_balance, opening, "from {from}");
                assert_eq!(
                    page.lines,
                    lines[from.min(end)..end],
                    "from {from}, limit {limit}"
                );
                assert_eq!(page.more, end < lines.len(), "from {from}, limit {limit}");
            }
        }
    }

    #[test]
    fn history_and_statements_page_across_many_keys_and_batches() {
        let dir = std::env::temp_dir().join(format!("ledger-index-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        // 300 transfers in groups of uneven size; every group is applied twice (the second
        // time adds nothing).
        let mut groups: Vec<Vec<(u64, u128)>> = vec![];
        let mut id = 1u128;
        for size in [1usize, 5, 63, 64, 65, 2, 100] {
            groups.push(
                (0..size)
                    .map(|_| (1000 + id as u64 * 10, next(&mut id)))
                    .collect(),
            );
        }
        for group in &groups {
            for _ in 0..2 {
                index
                    .apply(&delta(group.iter().copied()), &[], None)
                    .unwrap();
            }
        }
        let all: Vec<IndexedTransfer> = groups
            .iter()
            .flatten()
            .map(|&(timestamp, id)| transfer(timestamp, id))
            .collect();
        let side = |account: AccountId| -> Vec<StatementEntry> {
            all.iter()
                .flat_map(|t| t.sides())
                .filter(|(a, _)| *a == account)
                .map(|(_, e)| e)
                .collect()
        };
        let debits = side(aid(1));
        assert_eq!(debits.len(), all.len());
        assert!(debits.iter().all(|e| e.amount.is_sign_negative()));
        assert_pages(&index, aid(1), &debits);
        assert_pages(&index, aid(3), &side(aid(3)));
        assert_eq!(index.history(aid(4), None, 10).unwrap(), vec![]);
        let empty = index.statement(aid(4), 0, 10).unwrap();
        assert_eq!(
            (empty.opening_balance, empty.lines.len(), empty.more),
            (Decimal::ZERO, 0, false)
        );
        let beyond = index.statement(aid(1), u64::MAX, 10).unwrap();
        assert_eq!(
            beyond.opening_balance,
            debits
                .iter()
                .filter(|e| e.posted)
                .map(|e| e.amount)
                .sum::<Decimal>()
        );
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The history ends kept in memory write what reading each account's last run wrote: the
    /// same groups applied through one handle (ends known after the first) and through a new
    /// handle each time (ends read from the tree) leave the same keys and values.
    #[test]
    fn appending_with_known_history_ends_writes_what_reading_them_writes() {
        let base = std::env::temp_dir().join(format!("ledger-index-ends-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut id = 1u128;
        let groups: Vec<Vec<(u64, u128)>> = [3usize, 64, 1, 70, 129, 5]
            .iter()
            .map(|&size| {
                (0..size)
                    .map(|_| (1000 + id as u64 * 10, next(&mut id)))
                    .collect()
            })
            .collect();
        let contents = |cold: bool| {
            let dir = base.join(if cold { "cold" } else { "warm" });
            let db = Index::open(&dir).unwrap();
            let warm = db.live();
            for group in &groups {
                let index = if cold {
                    IndexTree::new(warm.name.clone(), warm.tree.clone())
                } else {
                    warm.clone()
                };
                // Twice: the second time adds nothing, whichever way the end was found.
                for _ in 0..2 {
                    index
                        .apply(&delta(group.iter().copied()), &[], None)
                        .unwrap();
                }
            }
            let all: Vec<(Vec<u8>, Vec<u8>)> = warm
                .tree
                .iter()
                .map(|kv| {
                    let (k, v) = kv.unwrap();
                    (k.to_vec(), v.to_vec())
                })
                .collect();
            all
        };
        let warm = contents(false);
        assert!(warm.len() > 10, "{} keys", warm.len());
        assert_eq!(contents(true), warm);
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_panic_inside_sled_is_an_error() {
        let result: Result<(), IndexError> = contain(|| panic!("EIO in the log writer"));
        let error = result.unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Failed);
        assert!(error.message().contains("EIO"), "{error}");
    }

    #[test]
    fn a_damaged_history_run_is_a_corrupted_index_error_and_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("ledger-index-entry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        index.apply(&delta([(10, 1), (20, 2)]), &[], None).unwrap();
        let key = run_key(aid(1), 0, 10);
        assert!(index.tree.get(key).unwrap().is_some());
        index.tree.insert(&key[..], &b"not a run"[..]).unwrap();
        // Damage found on disk: a handle that has not appended to the account yet reads its
        // last run (one that has carries the end on from memory; reads and verify find it).
        let index = IndexTree::new(index.name.clone(), index.tree.clone());
        let error = index.apply(&delta([(30, 3)]), &[], None).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Corrupted, "{error}");
        assert!(error.message().contains("history of account 1"), "{error}");
        assert_eq!(
            index.transfer(tid(3)).unwrap(),
            None,
            "the batch was not applied"
        );
        let error = index.statement(aid(1), 1, 10).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Corrupted, "{error}");
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_index_another_database_holds_is_a_locked_index_error() {
        let dir = std::env::temp_dir().join(format!("ledger-index-locked-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = Index::open(&dir).unwrap();
        let error = Index::open(&dir).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Locked, "{error}");
        drop(first);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_rebuild_fills_a_fresh_generation_and_the_live_one_changes_only_at_the_swap() {
        let dir = std::env::temp_dir().join(format!("ledger-index-swap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mark = |sequence| IndexMark {
            sequence,
            hash: [sequence as u8; 32],
            accounts: 0,
            transfers: 3,
        };
        let index = Index::open(&dir).unwrap();
        index
            .live()
            .apply(&delta([(1, 1), (2, 2), (3, 3)]), &[], Some(mark(5)))
            .unwrap();
        // A rebuild interrupted before its swap leaves the live generation as it was.
        let fresh = index.fresh().unwrap();
        fresh.apply(&delta([(1, 1)]), &[], None).unwrap();
        drop(fresh);
        drop(index);
        let index = Index::open(&dir).unwrap();
        assert_eq!(index.live().mark().unwrap(), Some(mark(5)));
        assert_eq!(index.live().transfer(tid(3)).unwrap(), Some(1));
        // A finished rebuild is live after the swap, and after a reopen.
        let fresh = index.fresh().unwrap();
        fresh
            .apply(&delta([(1, 1), (2, 2), (3, 3), (4, 4)]), &[], Some(mark(6)))
            .unwrap();
        index.swap_in(fresh).unwrap();
        assert_eq!(index.live().mark().unwrap(), Some(mark(6)));
        drop(index);
        let index = Index::open(&dir).unwrap();
        assert_eq!(index.live().mark().unwrap(), Some(mark(6)));
        assert_eq!(index.live().transfer(tid(4)).unwrap(), Some(1));
        let generations = index
            .db()
            .tree_names()
            .into_iter()
            .filter(|n| n.starts_with(GENERATION_PREFIX.as_bytes()))
            .count();
        assert_eq!(generations, 1, "the old generation was dropped");
        // The probe sees a tree that lacks what its mark counts.
        let empty = index.fresh().unwrap();
        assert!(empty.probe(&mark(6)).unwrap().is_some());
        assert!(index.live().probe(&mark(6)).unwrap().is_none());
        drop((empty, index));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A settled transfer `id` from account 1 to account 2 of 1.5, as the engine records it.
    fn settled(id: u128) -> TransferRecord {
        let amount: ledger_core::Amount = "1.5".parse().unwrap();
        let request = ledger_core::Transfer::new(tid(id), aid(1), aid(2), amount, 1);
        TransferRecord::new(&request, aid(1), aid(2), 1, 101, amount, 1_000 + id as u64)
    }

    fn temporary(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ledger-index-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Two transfers of consecutive ids, one evicted, and a mark: one transfer run, a history
    /// run per account, one version run, the mark; each with its keys' and values' bytes.
    #[test]
    fn the_payload_counts_keys_and_their_bytes_per_kind() {
        let dir = temporary("payload");
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        assert_eq!(index.payload_by_kind().unwrap(), []);
        let mut applied = delta([(1_000, 5), (1_001, 6)]);
        applied.evicted.push((3, settled(5)));
        let mark = IndexMark {
            sequence: 3,
            hash: [7; 32],
            accounts: 0,
            transfers: 2,
        };
        index.apply(&applied, &[], Some(mark)).unwrap();
        let version = crate::index_evicted::encode_evicted(std::iter::once(&settled(5)));
        let kinds = index.payload_by_kind().unwrap();
        let shape: Vec<(u8, u64)> = kinds.iter().map(|&(kind, keys, _)| (kind, keys)).collect();
        assert_eq!(shape, [(b'c', 1), (b'h', 3), (b'm', 1), (b't', 1)]);
        assert_eq!(
            kinds[0].2,
            (crate::index_evicted::EVICTED_KEY_BYTES + version.len()) as u64
        );
        assert!(kinds[1].2 > 3 * 33, "{kinds:?}");
        assert_eq!(kinds[2].2, 1 + MARKER_BYTES as u64);
        // `t` ‖ id 5, then the sequences 1 and 1: LEB128 1, then a step of 0.
        assert_eq!(kinds[3].2, 17 + 2);
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A transfer evicted at 10 and, reversed since, again at 30: a lookup before a sequence
    /// sees the version written last before it, and no other id's.
    #[test]
    fn an_evicted_lookup_takes_the_newest_version_before_the_sequence_asked() {
        let dir = temporary("evicted-versions");
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        let x = 0x0100u128;
        let before_reversal = settled(x);
        let mut reversed = settled(x);
        reversed.reversed_by = Some(tid(0x0200));
        // Ids whose keys share their first 15 or 16 bytes with x's, on both sides of it: a
        // lookup bounded wrongly on either side would read one of theirs.
        let neighbours = [x - 1, x + 1, x + 0x100];
        let mut evicted = vec![(10, before_reversal.clone()), (30, reversed.clone())];
        for (at, &n) in neighbours.iter().enumerate() {
            evicted.push((1 + at as u64, settled(n)));
            evicted.push((20 + at as u64, settled(n)));
            evicted.push((u64::MAX, settled(n)));
        }
        let delta = IndexDelta {
            evicted,
            ..IndexDelta::default()
        };
        index.apply(&delta, &[], None).unwrap();
        for (before, expected) in [
            (0, None),
            (5, None),
            (10, None),
            (11, Some(&before_reversal)),
            (30, Some(&before_reversal)),
            (31, Some(&reversed)),
            (u64::MAX, Some(&reversed)),
        ] {
            let found = index.evicted_transfer(tid(x), before).unwrap();
            assert_eq!(found.as_ref(), expected, "before {before}");
        }
        assert_eq!(index.evicted_transfer(tid(x + 2), u64::MAX).unwrap(), None);
        assert_eq!(
            index.evicted_transfer(tid(x - 1), 21).unwrap(),
            Some(settled(x - 1))
        );
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Two queued deltas merged as the indexer merges them, applied with a mark, are there
    /// after the index is closed and opened again.
    #[test]
    fn evicted_versions_merged_and_applied_with_a_mark_survive_a_reopen() {
        let dir = temporary("evicted-reopen");
        let mut first = delta([(1_000, 1), (1_010, 2)]);
        first.evicted.push((4, settled(1)));
        let mut later = delta([(1_020, 3)]);
        later.evicted.push((7, settled(2)));
        let mut reversed = settled(1);
        reversed.reversed_by = Some(tid(3));
        later.evicted.push((7, reversed.clone()));
        assert_eq!((first.transfer_entries(), later.transfer_entries()), (3, 3));
        first.append_transfers(&mut later);
        assert!(later.is_empty());
        assert_eq!(first.transfer_entries(), 6);
        let mark = IndexMark {
            sequence: 7,
            hash: [7; 32],
            accounts: 0,
            transfers: 3,
        };
        let db = Index::open(&dir).unwrap();
        db.live().apply(&first, &[], Some(mark)).unwrap();
        db.flush().unwrap();
        drop(db);
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        assert_eq!(index.mark().unwrap(), Some(mark));
        assert_eq!(index.evicted_transfer(tid(1), 7).unwrap(), Some(settled(1)));
        assert_eq!(index.evicted_transfer(tid(1), 8).unwrap(), Some(reversed));
        assert_eq!(index.evicted_transfer(tid(2), 7).unwrap(), None);
        assert_eq!(index.evicted_transfer(tid(2), 8).unwrap(), Some(settled(2)));
        assert_eq!(index.compare_evicted().unwrap(), None);
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A version that does not decode is damage to the lookup
    /// and to the check against the ledger; a version of a transfer never journaled, or from
    /// before it was, is reported by the check.
    #[test]
    fn a_damaged_evicted_version_is_a_corrupted_index_error_and_a_difference() {
        let dir = temporary("evicted-damage");
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        let mut applied = delta([(1_000, 5)]);
        applied.transfers[0].sequence = 3;
        applied.evicted.push((3, settled(5)));
        index.apply(&applied, &[], None).unwrap();
        assert_eq!(index.compare_evicted().unwrap(), None);
        let check = |tree: &sled::Tree, key: &[u8], value: &[u8], says: &str| {
            tree.insert(key, value).unwrap();
            let diff = index.compare_evicted().unwrap();
            assert!(
                diff.as_deref().is_some_and(|d| d.contains(says)),
                "{diff:?}"
            );
            tree.remove(key).unwrap();
        };
        let tree = index.tree.clone();
        let mut cut = crate::index_evicted::encode_evicted(std::iter::once(&settled(5)));
        cut.pop();
        let key = evicted_key(tid(5), 9);
        check(
            &tree,
            &key,
            &cut,
            "evicted transfer 5 (version at sequence 9) is damaged",
        );
        // A transfer the engine's decoder refuses (an undefined presence bit).
        let mut refused = crate::index_evicted::encode_evicted(std::iter::once(&settled(5)));
        refused[1] |= 0x80;
        check(
            &tree,
            &key,
            &refused,
            "evicted transfer 5 (version at sequence 9)",
        );
        let other = crate::index_evicted::encode_evicted(std::iter::once(&settled(6)));
        check(&tree, &key[..24], &other, "is damaged");
        let good = crate::index_evicted::encode_evicted(std::iter::once(&settled(6)));
        check(
            &tree,
            &evicted_key(tid(6), 9),
            &good,
            "not indexed as journaled",
        );
        let early = crate::index_evicted::encode_evicted(std::iter::once(&settled(5)));
        check(
            &tree,
            &evicted_key(tid(5), 2),
            &early,
            "before record 3 created it",
        );
        // The lookup refuses the damaged version it would take, and takes an older whole one.
        tree.insert(&key[..], &cut[..]).unwrap();
        let error = index.evicted_transfer(tid(5), 10).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Corrupted, "{error}");
        assert!(error.message().contains("evicted transfer 5"), "{error}");
        assert_eq!(index.evicted_transfer(tid(5), 9).unwrap(), Some(settled(5)));
        tree.remove(&key[..]).unwrap();
        // A key longer than the layout's, sorting among the id's versions.
        let longer = [&key[..], &[0]].concat();
        tree.insert(&longer[..], &early[..]).unwrap();
        let error = index.evicted_transfer(tid(5), 10).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Corrupted, "{error}");
        assert!(error.message().contains("evicted transfer 5"), "{error}");
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `compare` (what verify and a rebuild run) reports a damaged version found by the
    /// evicted check, on a tree that agrees with the ledger otherwise.
    #[test]
    fn compare_reports_a_damaged_evicted_version() {
        let dir = temporary("evicted-compare");
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        let ledger = Ledger::new(vec![ledger_core::Unit::new(1, "hours", 2)]).unwrap();
        assert_eq!(index.compare(&ledger).unwrap(), None);
        index
            .tree
            .insert(&evicted_key(tid(5), 9)[..], &b"not a transfer"[..])
            .unwrap();
        let diff = index.compare(&ledger).unwrap();
        assert!(
            diff.as_deref()
                .is_some_and(|d| d.contains("evicted transfer 5")),
            "{diff:?}"
        );
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn next(id: &mut u128) -> u128 {
        *id += 1;
        *id - 1
    }
}
