//! The sled index: what can be rebuilt from the journal, kept for queries that memory does not
//! answer well (history pages, where a transfer was journaled) and for hosts that read accounts
//! without replaying.
//!
//! One sled tree; every update is one atomic `apply_batch` that also moves the "journal
//! sequence reflected" marker, so the index is always exactly some prefix of the journal.
//!
//! | key | value |
//! |---|---|
//! | `m` | sequence reflected (u64 LE) ++ that record's hash (32 bytes) ++ format (1 byte) |
//! | `a` ++ account id (u128 BE) | the account, 118 bytes (see `docs/FORMAT.md` §10) |
//! | `t` ++ transfer id (u128 BE) | sequence of the record that created it (u64 LE) ++ timestamp (u64 LE) |
//! | `h` ++ account id (BE) ++ timestamp (u64 BE) ++ transfer id (BE) | empty |
//!
//! Ids and timestamps are big-endian in keys so that sled's byte order is numeric order.

use std::collections::BTreeSet;
use std::path::Path;

use ledger_core::{
    Account, AccountId, Command, Ledger, Reply, ResultCode, TransferId, TransferRecord,
    SWEEP_TRANSFER_ID_BIT,
};

use crate::index_account::{decode_account, encode_account, ACCOUNT_VALUE_BYTES};
use crate::record::Hash;

const KEY_META: &[u8] = b"m";
/// The layout of the values below; an index written in another layout (or before the marker
/// carried one) reads as having no marker, so opening rebuilds it.
const INDEX_FORMAT: u8 = 2;
const MARKER_BYTES: usize = 8 + 32 + 1;
const PREFIX_ACCOUNT: u8 = b'a';
const PREFIX_TRANSFER: u8 = b't';
const PREFIX_HISTORY: u8 = b'h';
/// How often opening retries sled's directory lock (about 2 s in all).
const OPEN_LOCK_ATTEMPTS_MAX: u64 = 60;
/// Transfers gathered before a rebuild writes them out, to bound memory.
pub const REBUILD_CHUNK_TRANSFERS: usize = 65_536;

/// A transfer as the index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedTransfer {
    pub id: TransferId,
    pub sequence: u64,
    pub timestamp: u64,
    pub debit: AccountId,
    pub credit: AccountId,
}

/// What one or more journal records change in the index.
#[derive(Debug, Default)]
pub struct IndexDelta {
    pub transfers: Vec<IndexedTransfer>,
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
            (Command::LinkAccounts(_) | Command::UnlinkAccounts(_), _) => {}
            (Command::RecordRatings(_), _) => {}
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

    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty() && self.accounts.is_empty() && !self.all_accounts
    }
}

/// The sled index of one ledger.
#[derive(Debug)]
pub struct Index {
    db: sled::Db,
}

impl Index {
    /// Opens (or creates) the index. sled releases its directory lock from background threads
    /// shortly after the last handle is dropped, so a reopen in the same process retries the
    /// lock for a bounded time before giving up.
    pub fn open(path: &Path) -> Result<Index, sled::Error> {
        let mut attempt = 0;
        loop {
            // High-throughput mode: the index is written in large batches and read by key.
            let config = sled::Config::new()
                .path(path)
                .mode(sled::Mode::HighThroughput);
            match config.open() {
                Ok(db) => return Ok(Index { db }),
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock")
                        && attempt < OPEN_LOCK_ATTEMPTS_MAX =>
                {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(attempt));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The journal sequence the index reflects and that record's hash, if the marker is there
    /// and well formed.
    pub fn reflected(&self) -> Result<Option<(u64, Hash)>, sled::Error> {
        Ok(self.db.get(KEY_META)?.and_then(|v| {
            let bytes: &[u8] = &v;
            (bytes.len() == MARKER_BYTES && bytes[40] == INDEX_FORMAT).then(|| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(&bytes[8..40]);
                (
                    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default()),
                    hash,
                )
            })
        }))
    }

    /// Removes everything (before a rebuild).
    pub fn clear(&self) -> Result<(), sled::Error> {
        self.db.clear()
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
        marker: Option<(u64, Hash)>,
    ) -> Result<(), sled::Error> {
        let mut batch = sled::Batch::default();
        for t in &delta.transfers {
            let mut value = [0u8; 16];
            value[..8].copy_from_slice(&t.sequence.to_le_bytes());
            value[8..].copy_from_slice(&t.timestamp.to_le_bytes());
            batch.insert(&transfer_key(t.id)[..], &value[..]);
            for account in [t.debit, t.credit] {
                batch.insert(&history_key(account, t.timestamp, t.id)[..], &[][..]);
            }
        }
        let mut value = [0u8; ACCOUNT_VALUE_BYTES];
        for account in accounts {
            encode_account(account, &mut value);
            batch.insert(&account_key(account.id)[..], &value[..]);
        }
        if let Some((sequence, hash)) = marker {
            let mut value = [0u8; MARKER_BYTES];
            value[..8].copy_from_slice(&sequence.to_le_bytes());
            value[8..40].copy_from_slice(&hash);
            value[40] = INDEX_FORMAT;
            batch.insert(KEY_META, &value[..]);
        }
        self.db.apply_batch(batch)
    }

    /// Writes the index's dirty pages out (sled's own flush: not a durability promise, which
    /// is fine for data the journal can rebuild).
    pub fn flush(&self) -> Result<(), sled::Error> {
        self.db.flush().map(|_| ())
    }

    pub fn account(&self, id: AccountId) -> Result<Option<Account>, sled::Error> {
        Ok(self
            .db
            .get(account_key(id))?
            .and_then(|v| decode_account(id, &v)))
    }

    /// The sequence of the record that created a transfer, and its timestamp.
    pub fn transfer(&self, id: TransferId) -> Result<Option<(u64, u64)>, sled::Error> {
        Ok(self.db.get(transfer_key(id))?.and_then(|v| {
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
    ) -> Result<Vec<(u64, TransferId)>, sled::Error> {
        let mut prefix = vec![PREFIX_HISTORY];
        prefix.extend_from_slice(&account.get().to_be_bytes());
        let start = match after {
            Some((timestamp, id)) => {
                let mut key = history_key(account, timestamp, id).to_vec();
                key.push(0); // the smallest key after `after`
                key
            }
            None => prefix.clone(),
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for entry in self.db.range(start..) {
            let (key, _) = entry?;
            if !key.starts_with(&prefix) || out.len() == limit {
                break;
            }
            if let Some(parsed) = parse_history_key(&key) {
                out.push(parsed);
            }
        }
        Ok(out)
    }

    /// Compares the index with a replayed ledger; the first difference, if any.
    pub fn compare(&self, ledger: &Ledger) -> Result<Option<String>, sled::Error> {
        let mut accounts = 0usize;
        for entry in self.db.scan_prefix([PREFIX_ACCOUNT]) {
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
        for entry in self.db.scan_prefix([PREFIX_TRANSFER]) {
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
        let history = self.db.scan_prefix([PREFIX_HISTORY]).count();
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

fn history_key(account: AccountId, timestamp: u64, id: TransferId) -> [u8; 41] {
    let mut key = [PREFIX_HISTORY; 41];
    key[1..17].copy_from_slice(&account.get().to_be_bytes());
    key[17..25].copy_from_slice(&timestamp.to_be_bytes());
    key[25..].copy_from_slice(&id.get().to_be_bytes());
    key
}

fn parse_history_key(key: &[u8]) -> Option<(u64, TransferId)> {
    if key.len() != 41 {
        return None;
    }
    let timestamp = u64::from_be_bytes(key[17..25].try_into().ok()?);
    let id = TransferId::new(u128::from_be_bytes(key[25..].try_into().ok()?))?;
    Some((timestamp, id))
}

fn id_in(key: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(key.get(1..17)?.try_into().ok()?))
}
