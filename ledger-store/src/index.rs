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
//! | `m` | sequence reflected (u64 LE) ++ that record's hash (32 bytes) ++ format (1 byte) ++ accounts (u64 LE) ++ transfers (u64 LE) |
//! | `a` ++ account id (u128 BE) | the account, 118 bytes (see `docs/FORMAT.md` §10) |
//! | `t` ++ transfer id (u128 BE) | sequence of the record that created it (u64 LE) ++ timestamp (u64 LE) |
//! | `h` ++ account id (BE) ++ first entry's timestamp (u64 BE) ++ its transfer id (BE) | up to 64 history entries (see `index_history`) |
//!
//! Ids and timestamps are big-endian in keys so that sled's byte order is numeric order. The
//! counts in the mark are the index's fingerprint: opening checks them against the journal
//! replayed to the mark, and probes the tree for them, before it trusts the mark.
//!
//! Every call into sled runs inside `contain`: sled 0.34 panics on some I/O errors (an `fsync`
//! failing with EIO unwraps in its log writer); such a panic becomes an error here, so a failing
//! index never takes the process down, and never touches the journal. `contain` is also where
//! sled's errors become [`IndexError`]s: no sled type leaves this module.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use ledger_core::{
    Account, AccountId, Command, Ledger, Reply, ResultCode, TransferId, TransferRecord,
    SWEEP_TRANSFER_ID_BIT,
};

use crate::error::{IndexError, IndexErrorKind};
use crate::index_account::{decode_account, encode_account, ACCOUNT_VALUE_BYTES};
use crate::index_history::{
    account_prefix, bucket_key, decode_bucket, encode_bucket, key_order, split_buckets, Entry,
    BUCKET_ENTRIES_MAX, PREFIX_HISTORY,
};
use crate::record::Hash;

const KEY_META: &[u8] = b"m";
/// In sled's default tree: the name of the live generation.
const KEY_LIVE: &[u8] = b"live";
/// Generations are named this followed by a number.
const GENERATION_PREFIX: &str = "index-";
/// The layout of the values below; an index written in another layout (or before the marker
/// carried one) reads as having no marker, so opening rebuilds it.
const INDEX_FORMAT: u8 = 4;
const MARKER_BYTES: usize = 8 + 32 + 1 + 8 + 8;
const PREFIX_ACCOUNT: u8 = b'a';
const PREFIX_TRANSFER: u8 = b't';
/// How often opening retries sled's directory lock (about 2 s in all).
const OPEN_LOCK_ATTEMPTS_MAX: u64 = 60;
/// Transfers gathered before a rebuild writes them out, to bound memory.
pub const REBUILD_CHUNK_TRANSFERS: usize = 65_536;

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
    /// The transfer's id.
    pub id: TransferId,
    /// The sequence number of the journal record that applied it.
    pub sequence: u64,
    /// The timestamp the ledger gave it (nanoseconds since the Unix epoch).
    pub timestamp: u64,
    /// The account it debited.
    pub debit: AccountId,
    /// The account it credited.
    pub credit: AccountId,
}

/// What one or more journal records change in the index.
#[derive(Debug, Default)]
pub struct IndexDelta {
    /// Transfers to add, in the order applied.
    pub transfers: Vec<IndexedTransfer>,
    /// Accounts whose stored copy must be refreshed from the ledger.
    pub accounts: BTreeSet<AccountId>,
    /// Set when a reply's shape did not say which accounts changed: refresh them all.
    pub all_accounts: bool,
}

impl IndexDelta {
    /// Adds what the command at `sequence` changed, reading the ledger right after it ran.
    pub fn collect(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &Ledger) {
        match (command, reply) {
            (Command::CreateAccounts(items), Reply::Events(results)) => {
                for (item, result) in items.iter().zip(results) {
                    if result.code == ResultCode::Ok {
                        self.accounts.insert(item.id);
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
                        self.accounts.insert(record.debit_account_id);
                        self.accounts.insert(record.credit_account_id);
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
                    self.accounts.insert(record.debit_account_id);
                    self.accounts.insert(record.credit_account_id);
                }
            }
            (Command::SetEligibility(items), _) => {
                self.accounts.extend(items.iter().map(|e| e.account));
            }
            (Command::CloseAccounts(items), _) => {
                self.accounts.extend(items.iter().copied());
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
                        self.accounts.insert(transfer.debit_account_id);
                        self.accounts.insert(transfer.credit_account_id);
                    }
                }
                let closes = results.len().saturating_sub(record.closes.len());
                for (account, result) in record.closes.iter().zip(&results[closes..]) {
                    if result.code == ResultCode::Ok {
                        self.accounts.insert(*account);
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

    fn push_transfer(&mut self, sequence: u64, record: &TransferRecord) {
        self.transfers.push(IndexedTransfer {
            id: record.id(),
            sequence,
            timestamp: record.timestamp,
            debit: record.debit_account_id,
            credit: record.credit_account_id,
        });
    }

    /// Whether the delta changes nothing in the index.
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty() && self.accounts.is_empty() && !self.all_accounts
    }
}

/// The sled index of one ledger: the database and its live generation.
#[derive(Debug)]
pub struct Index {
    /// `None` only while dropping (see `Drop`).
    open: Option<OpenIndex>,
}

#[derive(Debug)]
struct OpenIndex {
    db: sled::Db,
    live: RwLock<IndexTree>,
}

/// One generation of the index (a sled tree). Cheap to clone.
#[derive(Debug, Clone)]
pub struct IndexTree {
    name: String,
    tree: sled::Tree,
}

impl Index {
    /// Opens (or creates) the index, and drops generations an interrupted rebuild left behind.
    /// sled releases its directory lock from background threads shortly after the last handle
    /// is dropped, so a reopen in the same process retries the lock for a bounded time.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let mut attempt = 0;
        let db = loop {
            // High-throughput mode: the index is written in large batches and read by key.
            let config = sled::Config::new()
                .path(path)
                .mode(sled::Mode::HighThroughput);
            match contain(|| Ok(config.open()?)) {
                Ok(db) => break db,
                Err(e)
                    if e.kind() == IndexErrorKind::Locked && attempt < OPEN_LOCK_ATTEMPTS_MAX =>
                {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(attempt));
                }
                Err(e) => return Err(e),
            }
        };
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
                live: RwLock::new(IndexTree { name, tree }),
            }),
        };
        index.drop_other_generations()?;
        Ok(index)
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
                live: RwLock::new(IndexTree { name, tree }),
            }),
        })
    }

    /// A temporary index, in memory where the system allows (sled's temporary mode keeps it in
    /// `/dev/shm` on Linux) and removed when dropped: for a store that must not write its data
    /// directory.
    pub fn open_temporary() -> Result<Index, IndexError> {
        let config = sled::Config::new()
            .temporary(true)
            .mode(sled::Mode::HighThroughput);
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
                    .path(path)
                    .temporary(true)
                    .mode(sled::Mode::HighThroughput);
                contain(|| Ok(config.open()?))?
            }
        };
        let name = format!("{GENERATION_PREFIX}1");
        let tree = contain(|| Ok(db.open_tree(&name)?))?;
        Ok(Index {
            open: Some(OpenIndex {
                db,
                live: RwLock::new(IndexTree { name, tree }),
            }),
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
            Ok(IndexTree {
                tree: db.open_tree(&name)?,
                name: name.clone(),
            })
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

impl Drop for Index {
    fn drop(&mut self) {
        // sled flushes when its last handle goes, and may panic doing so on an I/O error.
        let open = self.open.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(open)));
    }
}

impl IndexTree {
    /// The mark, if there and well formed.
    pub fn mark(&self) -> Result<Option<IndexMark>, IndexError> {
        contain(|| Ok(self.tree.get(KEY_META)?.and_then(|v| IndexMark::decode(&v))))
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
        let mut histories: BTreeMap<AccountId, Vec<Entry>> = BTreeMap::new();
        for t in &delta.transfers {
            let mut value = [0u8; 16];
            value[..8].copy_from_slice(&t.sequence.to_le_bytes());
            value[8..].copy_from_slice(&t.timestamp.to_le_bytes());
            batch.insert(&transfer_key(t.id)[..], &value[..]);
            for account in [t.debit, t.credit] {
                histories
                    .entry(account)
                    .or_default()
                    .push((t.timestamp, t.id));
            }
        }
        for (account, mut entries) in histories {
            entries.sort_by_key(|e| key_order(*e));
            entries.dedup();
            self.add_history(&mut batch, account, &entries)?;
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
        Ok(self.tree.apply_batch(batch)?)
    }

    /// Adds `entries` (sorted, new) to `account`'s history in `batch`: each run of them goes
    /// into the bucket that holds its first entry, which is rewritten (split when over
    /// [`BUCKET_ENTRIES_MAX`]). Entries arrive in timestamp order, so normally this appends to
    /// the account's last bucket, or starts a new one when that is full.
    fn add_history(
        &self,
        batch: &mut sled::Batch,
        account: AccountId,
        entries: &[Entry],
    ) -> Result<(), Failure> {
        let prefix = account_prefix(account);
        let mut rest = entries;
        while let Some(&first) = rest.first() {
            let first_key = bucket_key(account, first);
            let holder = self
                .tree
                .range(&prefix[..]..=&first_key[..])
                .next_back()
                .transpose()?;
            let after = match &holder {
                Some((key, _)) => Bound::Excluded(key.to_vec()),
                None => Bound::Included(prefix.to_vec()),
            };
            let next_key = self
                .tree
                .range::<Vec<u8>, _>((after, Bound::Unbounded))
                .next()
                .transpose()?
                .map(|(key, _)| key)
                .filter(|key| key.starts_with(&prefix));
            let run = match &next_key {
                Some(next) => rest
                    .iter()
                    .take_while(|e| bucket_key(account, **e)[..] < next[..])
                    .count(),
                None => rest.len(),
            };
            let mut merged = match holder {
                Some((_, value)) => decode_bucket(&value).ok_or_else(|| {
                    Failure::Damaged(format!(
                        "the index's history of account {} is damaged; rebuild the index",
                        account.get()
                    ))
                })?,
                None => Vec::new(),
            };
            // A full bucket that the run only follows stays as it is.
            if merged.len() >= BUCKET_ENTRIES_MAX
                && merged.last().map(|e| key_order(*e)) < Some(key_order(first))
            {
                merged.clear();
            }
            merged.extend_from_slice(&rest[..run]);
            merged.sort_by_key(|e| key_order(*e));
            merged.dedup();
            for bucket in split_buckets(&merged) {
                batch.insert(&bucket_key(account, bucket[0])[..], encode_bucket(bucket));
            }
            rest = &rest[run..];
        }
        Ok(())
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

    /// The sequence of the record that created a transfer, and its timestamp.
    pub fn transfer(&self, id: TransferId) -> Result<Option<(u64, u64)>, IndexError> {
        contain(|| self.transfer_uncontained(id))
    }

    fn transfer_uncontained(&self, id: TransferId) -> Result<Option<(u64, u64)>, Failure> {
        Ok(self.tree.get(transfer_key(id))?.and_then(|v| {
            let bytes: &[u8] = &v;
            (bytes.len() == 16).then(|| {
                let word = |at: usize| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(&bytes[at..at + 8]);
                    u64::from_le_bytes(w)
                };
                (word(0), word(8))
            })
        }))
    }

    /// Up to `limit` history entries of `account` after `after` (exclusive), oldest first.
    pub fn history(
        &self,
        account: AccountId,
        after: Option<(u64, TransferId)>,
        limit: usize,
    ) -> Result<Vec<(u64, TransferId)>, IndexError> {
        contain(|| self.history_uncontained(account, after, limit))
    }

    fn history_uncontained(
        &self,
        account: AccountId,
        after: Option<(u64, TransferId)>,
        limit: usize,
    ) -> Result<Vec<(u64, TransferId)>, Failure> {
        let prefix = account_prefix(account);
        // Start at the bucket that holds `after` (the last one keyed at or before it).
        let start = match after {
            Some(entry) => self
                .tree
                .range(&prefix[..]..=&bucket_key(account, entry)[..])
                .next_back()
                .transpose()?
                .map_or_else(|| prefix.to_vec(), |(key, _)| key.to_vec()),
            None => prefix.to_vec(),
        };
        let after = after.map(key_order);
        let mut out = Vec::with_capacity(limit.min(1024));
        for bucket in self.tree.range(start..) {
            let (key, value) = bucket?;
            if !key.starts_with(&prefix) || out.len() == limit {
                break;
            }
            let entries = decode_bucket(&value).unwrap_or_default();
            let newer = entries
                .into_iter()
                .filter(|e| after.is_none_or(|after| key_order(*e) > after));
            out.extend(newer.take(limit - out.len()));
        }
        Ok(out)
    }

    /// Compares the index with a replayed ledger; the first difference, if any.
    pub fn compare(&self, ledger: &Ledger) -> Result<Option<String>, IndexError> {
        contain(|| self.compare_uncontained(ledger))
    }

    fn compare_uncontained(&self, ledger: &Ledger) -> Result<Option<String>, Failure> {
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
        let mut transfers = 0usize;
        for entry in self.tree.scan_prefix([PREFIX_TRANSFER]) {
            let (key, _) = entry?;
            transfers += 1;
            let id = id_in(&key).and_then(TransferId::new);
            if id.and_then(|id| ledger.transfer(id)).is_none() {
                return Ok(Some(format!(
                    "transfer {id:?} is indexed but not in the journal"
                )));
            }
        }
        if transfers != ledger.transfer_count() {
            return Ok(Some(format!(
                "{transfers} transfers indexed, {} in the journal",
                ledger.transfer_count()
            )));
        }
        let mut history = 0usize;
        for bucket in self.tree.scan_prefix([PREFIX_HISTORY]) {
            let (key, value) = bucket?;
            let entries = decode_bucket(&value).filter(|entries| {
                let first = id_in(&key)
                    .and_then(AccountId::new)
                    .map(|a| bucket_key(a, entries[0]));
                first.is_some_and(|first| first[..] == key[..])
            });
            match entries {
                Some(entries) => history += entries.len(),
                None => return Ok(Some(format!("history bucket {key:?} is damaged"))),
            }
        }
        if history != 2 * transfers {
            return Ok(Some(format!(
                "{history} history entries for {transfers} transfers (expected two each)"
            )));
        }
        Ok(None)
    }
}

fn account_key(id: AccountId) -> [u8; 17] {
    let mut key = [PREFIX_ACCOUNT; 17];
    key[1..].copy_from_slice(&id.get().to_be_bytes());
    key
}

fn transfer_key(id: TransferId) -> [u8; 17] {
    let mut key = [PREFIX_TRANSFER; 17];
    key[1..].copy_from_slice(&id.get().to_be_bytes());
    key
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

    fn delta(transfers: impl IntoIterator<Item = (u64, u128)>) -> IndexDelta {
        IndexDelta {
            transfers: transfers
                .into_iter()
                .map(|(timestamp, id)| IndexedTransfer {
                    id: tid(id),
                    sequence: 1,
                    timestamp,
                    debit: aid(1),
                    credit: aid(2 + id % 2),
                })
                .collect(),
            ..IndexDelta::default()
        }
    }

    /// Every page of `limit` after every possible cursor, against the expected history.
    fn assert_pages(index: &IndexTree, account: AccountId, expected: &[(u64, TransferId)]) {
        for limit in [1, 7, BUCKET_ENTRIES_MAX, 1000] {
            for skip in 0..=expected.len() {
                let after = skip.checked_sub(1).map(|i| expected[i]);
                let page = index.history(account, after, limit).unwrap();
                let end = (skip + limit).min(expected.len());
                assert_eq!(page, expected[skip..end], "after {after:?}, limit {limit}");
            }
        }
    }

    #[test]
    fn history_spans_buckets_and_pages_like_one_sorted_list() {
        let dir = std::env::temp_dir().join(format!("ledger-index-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        // 300 transfers in groups of uneven size (some groups fill and split buckets), then
        // entries older than what is stored (they go into the bucket that holds them).
        let mut groups: Vec<Vec<(u64, u128)>> = vec![];
        let mut id = 1u128;
        for size in [1usize, 5, 63, 64, 65, 2, 100] {
            groups.push(
                (0..size)
                    .map(|_| (1000 + id as u64 * 10, next(&mut id)))
                    .collect(),
            );
        }
        groups.push(vec![
            (1005, 9001),
            (1505, 9002),
            (1000 + 10 * 250 + 5, 9003),
        ]);
        for group in &groups {
            index
                .apply(&delta(group.iter().copied()), &[], None)
                .unwrap();
        }
        let mut all: Vec<(u64, TransferId)> = groups
            .iter()
            .flatten()
            .map(|&(ts, id)| (ts, tid(id)))
            .collect();
        all.sort_by_key(|e| key_order(*e));
        assert_pages(&index, aid(1), &all);
        let buckets = index.tree.scan_prefix(account_prefix(aid(1))).count();
        assert!(
            buckets > all.len() / BUCKET_ENTRIES_MAX,
            "{buckets} buckets"
        );
        let odd: Vec<_> = all
            .iter()
            .copied()
            .filter(|(_, id)| id.get() % 2 == 1)
            .collect();
        assert_pages(&index, aid(3), &odd);
        assert_eq!(index.history(aid(4), None, 10).unwrap(), vec![]);
        drop((index, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_panic_inside_sled_is_an_error() {
        let result: Result<(), IndexError> = contain(|| panic!("EIO in the log writer"));
        let error = result.unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Failed);
        assert!(error.message().contains("EIO"), "{error}");
    }

    #[test]
    fn a_damaged_history_bucket_is_a_corrupted_index_error_and_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("ledger-index-bucket-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = Index::open(&dir).unwrap();
        let index = db.live();
        index.apply(&delta([(10, 1), (20, 2)]), &[], None).unwrap();
        let key = bucket_key(aid(1), (10, tid(1)));
        index.tree.insert(&key[..], &b"not a bucket"[..]).unwrap();
        let error = index.apply(&delta([(30, 3)]), &[], None).unwrap_err();
        assert_eq!(error.kind(), IndexErrorKind::Corrupted, "{error}");
        assert!(error.message().contains("history of account 1"), "{error}");
        assert_eq!(
            index.transfer(tid(3)).unwrap(),
            None,
            "the batch was not applied"
        );
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
        assert_eq!(index.live().transfer(tid(3)).unwrap(), Some((1, 3)));
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
        assert_eq!(index.live().transfer(tid(4)).unwrap(), Some((1, 4)));
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

    fn next(id: &mut u128) -> u128 {
        *id += 1;
        *id - 1
    }
}
