//! The store's side of eviction (docs/FORMAT.md §16.4): the engine lets its old settled
//! transfers and its old operations go, the index keeps each as a version (`c` and `o` keys,
//! §10), and before each command the store loads back what the command names.
//!
//! A version is keyed by the sequence of the record after which it was evicted; a command at
//! record *p* loads the newest version below *p*. The committer evicts on a schedule (every
//! `max(keep, HISTORY_CHUNK_TRANSFERS)` transfers, down to the newest `keep`); a replay evicts
//! after every command instead, so that whatever the run that wrote a snapshot evicted, an index
//! a replay filled holds each transfer's state as of every record after it settled and was
//! chained. Versions wait in [`Unindexed`] until the indexer has written them, so a lookup never
//! misses one in flight.

use std::collections::{HashMap, VecDeque};

use ledger_core::history::HISTORY_CHUNK_TRANSFERS;
use ledger_core::operation::OperationRecord;
use ledger_core::{Command, Ledger, ResultCode, TransferId, TransferRecord};

use crate::error::IndexError;
use crate::index::{IndexDelta, IndexTree};
use crate::load_evicted::{load_named, Evicted};

/// Evicted versions the indexer has not written yet, by id, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Unindexed {
    versions: HashMap<TransferId, Vec<(u64, TransferRecord)>>,
    /// (sequence, id) in the order added, to drop what the indexer wrote.
    order: VecDeque<(u64, TransferId)>,
    /// Evicted operations, failed ids and ratings (by rated transfer).
    pub operations: UnindexedEntries<OperationRecord>,
    pub failed: UnindexedEntries<ResultCode>,
    pub ratings: UnindexedEntries<u8>,
}

/// Evicted entries of one kind the indexer has not written yet, each with the sequence of the
/// record it was first evicted after (an entry never changes, so that version serves every
/// later record).
#[derive(Debug)]
pub(crate) struct UnindexedEntries<V> {
    entries: HashMap<TransferId, (u64, V)>,
    /// (sequence, id) in the order added.
    order: VecDeque<(u64, TransferId)>,
}

impl<V> Default for UnindexedEntries<V> {
    fn default() -> UnindexedEntries<V> {
        UnindexedEntries {
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<V> UnindexedEntries<V> {
    fn add(&mut self, sequence: u64, id: TransferId, value: V) {
        self.order.push_back((sequence, id));
        self.entries.entry(id).or_insert((sequence, value));
    }

    /// The entry `id` if it was evicted before record `before`.
    pub fn find(&self, id: TransferId, before: u64) -> Option<&V> {
        self.entries
            .get(&id)
            .filter(|(at, _)| *at < before)
            .map(|(_, value)| value)
    }

    /// The highest id below `limit` waiting here.
    pub fn highest_below(&self, limit: TransferId) -> Option<TransferId> {
        self.entries.keys().filter(|id| **id < limit).max().copied()
    }

    /// Forgets what was evicted after records up to `sequence`: the index holds it now.
    fn indexed_through(&mut self, sequence: u64) {
        while let Some(&(at, id)) = self.order.front() {
            if at > sequence {
                break;
            }
            self.order.pop_front();
            if self.entries.get(&id).is_some_and(|(v, _)| *v <= sequence) {
                self.entries.remove(&id);
            }
        }
    }
}

impl Unindexed {
    fn add(&mut self, sequence: u64, record: TransferRecord) {
        self.order.push_back((sequence, record.id()));
        self.versions
            .entry(record.id())
            .or_default()
            .push((sequence, record));
    }

    /// The newest version of `id` evicted before record `before`.
    pub fn find(&self, id: TransferId, before: u64) -> Option<&TransferRecord> {
        let versions = self.versions.get(&id)?;
        versions
            .iter()
            .rev()
            .find(|(at, _)| *at < before)
            .map(|(_, record)| record)
    }

    /// Forgets the versions of records up to `sequence`: the index holds them now.
    pub fn indexed_through(&mut self, sequence: u64) {
        self.operations.indexed_through(sequence);
        self.failed.indexed_through(sequence);
        self.ratings.indexed_through(sequence);
        while let Some(&(at, id)) = self.order.front() {
            if at > sequence {
                break;
            }
            self.order.pop_front();
            if let Some(versions) = self.versions.get_mut(&id) {
                versions.retain(|(v, _)| *v > sequence);
                if versions.is_empty() {
                    self.versions.remove(&id);
                }
            }
        }
    }
}

/// When a ledger evicts, and the versions it evicted that are not in the index yet.
#[derive(Debug)]
pub(crate) struct Eviction {
    /// `None`: never evict (transfers evicted by an earlier run are still loaded back).
    keep: Option<usize>,
    /// Evicts only after this record: a replay of a journal whose record here needs every
    /// transfer in memory (an amendment recounting the history) holds them all up to it.
    after_record: u64,
    /// The record that needed every transfer in memory when some were evicted, if any.
    pub needs_history_at: Option<u64>,
    /// The ledger's transfer count at the last eviction.
    evicted_at: usize,
    pub unindexed: Unindexed,
}

impl Eviction {
    /// The committer's schedule, for a ledger of `transfers`: down to the newest `keep`
    /// transfers in memory.
    pub fn live(keep: Option<usize>, transfers: usize) -> Eviction {
        Eviction {
            keep,
            after_record: 0,
            needs_history_at: None,
            evicted_at: transfers,
            unindexed: Unindexed::default(),
        }
    }

    /// A replay's: after every command after record `after_record`, when the store evicts at
    /// all.
    pub fn replay(keep: Option<usize>, after_record: u64) -> Eviction {
        Eviction {
            after_record,
            ..Eviction::live(keep.map(|_| 0), 0)
        }
    }

    /// Loads into `ledger` what `command`, about to be applied as record `sequence` at `now`,
    /// names of the transfers it evicted: from the versions in flight, else from `index`.
    pub fn prepare(
        &mut self,
        ledger: &mut Ledger,
        command: &Command,
        now: u64,
        sequence: u64,
        index: &IndexTree,
    ) -> Result<(), IndexError> {
        if ledger.needs_evicted_history(command) {
            // The engine refuses it; a replay notes where, to start again without evicting.
            self.needs_history_at = Some(sequence);
        }
        let mut from = InFlightOrIndex {
            unindexed: &self.unindexed,
            sequence,
            index,
        };
        load_named(ledger, command, now, &mut from)
    }

    /// After the command at record `sequence`: evicts when the schedule says so, keeping the
    /// versions for the index (`delta`) and for lookups until the index has them.
    pub fn after(&mut self, ledger: &mut Ledger, sequence: u64, delta: &mut IndexDelta) {
        let Some(keep) = self.keep.filter(|_| sequence > self.after_record) else {
            return;
        };
        // Operations on the same kind of schedule, counted by those held.
        if keep == 0 || ledger.operations_held() >= keep + keep.max(HISTORY_CHUNK_TRANSFERS) {
            for (id, record) in ledger.evict_operations(keep) {
                self.unindexed.operations.add(sequence, id, record.clone());
                delta.evicted_operations.push((sequence, id, record));
            }
        }
        if keep == 0 || ledger.failed_held() >= keep + keep.max(HISTORY_CHUNK_TRANSFERS) {
            for (id, code) in ledger.evict_failed(keep) {
                self.unindexed.failed.add(sequence, id, code);
                delta.evicted_failed.push((sequence, id, code));
            }
        }
        if keep == 0 || ledger.ratings_held() >= keep + keep.max(HISTORY_CHUNK_TRANSFERS) {
            for (transfer, rating) in ledger.evict_ratings(keep) {
                self.unindexed.ratings.add(sequence, transfer, rating);
                delta.evicted_ratings.push((sequence, transfer, rating));
            }
        }
        // A replay evicts after every command, even one that adds no transfer (an expiry
        // resolves holds): each change is in the index as of the record that made it.
        if keep > 0 && ledger.transfer_count() < self.evicted_at + keep.max(HISTORY_CHUNK_TRANSFERS)
        {
            return;
        }
        self.evicted_at = ledger.transfer_count();
        for record in ledger.evict_transfers(keep) {
            self.unindexed.add(sequence, record.clone());
            delta.evicted.push((sequence, record));
        }
    }
}

/// What the committer and a replay load from: the versions the indexer has not written yet,
/// else the index, each as of record `sequence`.
struct InFlightOrIndex<'a> {
    unindexed: &'a Unindexed,
    sequence: u64,
    index: &'a IndexTree,
}

impl Evicted for InFlightOrIndex<'_> {
    type Error = IndexError;

    fn operation(&mut self, id: TransferId) -> Result<Option<OperationRecord>, IndexError> {
        match self.unindexed.operations.find(id, self.sequence) {
            Some(record) => Ok(Some(record.clone())),
            None => self.index.evicted_operation(id, self.sequence),
        }
    }

    fn transfer(&mut self, id: TransferId) -> Result<Option<TransferRecord>, IndexError> {
        match self.unindexed.find(id, self.sequence) {
            Some(record) => Ok(Some(record.clone())),
            None => self.index.evicted_transfer(id, self.sequence),
        }
    }

    fn failed(&mut self, id: TransferId) -> Result<Option<ResultCode>, IndexError> {
        match self.unindexed.failed.find(id, self.sequence) {
            Some(code) => Ok(Some(*code)),
            None => self.index.evicted_failed(id, self.sequence),
        }
    }

    fn rating(&mut self, transfer: TransferId) -> Result<Option<u8>, IndexError> {
        match self.unindexed.ratings.find(transfer, self.sequence) {
            Some(rating) => Ok(Some(*rating)),
            None => self.index.evicted_rating(transfer, self.sequence),
        }
    }
}
