//! The ledger's transfers: the newest kept in the order they applied, with an index by id; the
//! older ones evicted to the host's store, leaving only a compact filter of their ids.
//!
//! Appending to a vector and indexing it by id is cheaper than a map of whole records, and the
//! records stay in application order (which exports and snapshots want anyway). The index holds
//! only each record's position (4 bytes a slot; the id it answers for is read from the record),
//! so at 100,000 transfers it takes about 650 KB where a map of id and position took 4 MB: a
//! new id's probe stays in the cache, and a record is read only when its slot's hash tag
//! matches. It grows by being built again from the records in order, not by rehashing slots
//! (which would read the records at random). A failed linked chain removes its transfers newest
//! first, so removal is always from the end.
//!
//! Eviction (`TransferTable::evict`) takes settled transfers off the front of the vector once
//! the history chain holds them: a hold still pending is kept aside (it may yet be posted,
//! voided or expired), and every evicted id goes into the filter. A command that names an
//! evicted id needs its record loaded back first (`TransferTable::load`); the ledger checks
//! that before the command changes anything.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault};

use hashbrown::HashTable;

use crate::id::{IdHasher, IdMap, TransferId};
use crate::id_filter::IdFilter;
use crate::transfer::{TransferRecord, TransferState};

/// Most transfers one ledger holds (the index stores positions as `u32`).
pub const TRANSFERS_MAX: usize = u32::MAX as usize;

#[derive(Debug, Default)]
pub(crate) struct TransferTable {
    /// The transfers from position `first` on, in application order.
    records: Vec<TransferRecord>,
    /// The position of `records[0]` in application order (0 until something is evicted).
    first: usize,
    /// The position of every transfer in `records`, found by the hash of its id.
    index: HashTable<u32>,
    /// Holds older than `first` pending when evicted, with their positions (one resolved since
    /// leaves with the next eviction).
    held: IdMap<TransferId, (u32, TransferRecord)>,
    /// Evicted transfers loaded back for a command, and whether a command changed them since.
    loaded: IdMap<TransferId, (TransferRecord, bool)>,
    /// Every id evicted.
    evicted: IdFilter,
    /// Ids the filter names that the host found it never applied, until the next eviction.
    absent: HashSet<TransferId>,
    /// Whether a hold in `held` may have been resolved since the last eviction (so that an
    /// eviction looks through them only then).
    held_touched: bool,
}

/// Where a transfer id stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Held in memory.
    Held,
    /// Never applied (certain).
    Absent,
    /// Evicted, or possibly so: the record must be loaded (or the id declared absent) first.
    Unloaded,
}

/// The hash of a transfer id, as the ledger's other id maps hash it.
fn hash_of(id: &TransferId) -> u64 {
    BuildHasherDefault::<IdHasher>::default().hash_one(id)
}

/// The fewest slots the index is built with.
const INDEX_SLOTS_MIN: usize = 64;

/// A copy keeps the original's spare capacity (as the index map's copy does), so the copy's
/// next insert costs what the original's would: no surprise reallocation of every record.
impl Clone for TransferTable {
    fn clone(&self) -> TransferTable {
        let mut records = Vec::with_capacity(self.records.capacity());
        records.extend_from_slice(&self.records);
        TransferTable {
            records,
            first: self.first,
            index: self.index.clone(),
            held: self.held.clone(),
            loaded: self.loaded.clone(),
            evicted: self.evicted.clone(),
            absent: self.absent.clone(),
            held_touched: self.held_touched,
        }
    }
}

impl TransferTable {
    pub fn get(&self, id: &TransferId) -> Option<&TransferRecord> {
        if let Some(at) = self.position(id) {
            return Some(&self.records[at as usize - self.first]);
        }
        if self.held.is_empty() && self.loaded.is_empty() {
            return None;
        }
        self.get_aside(id)
    }

    /// A transfer older than the vector's first: a hold kept aside, or a record loaded back.
    #[cold]
    fn get_aside(&self, id: &TransferId) -> Option<&TransferRecord> {
        if let Some((_, record)) = self.held.get(id) {
            return Some(record);
        }
        self.loaded.get(id).map(|(record, _)| record)
    }

    /// The transfer, to change its state: a loaded record so changed is evicted again with it.
    pub fn get_mut(&mut self, id: &TransferId) -> Option<&mut TransferRecord> {
        if let Some(at) = self.position(id) {
            return Some(&mut self.records[at as usize - self.first]);
        }
        if let Some((_, record)) = self.held.get_mut(id) {
            self.held_touched = true;
            return Some(record);
        }
        self.loaded.get_mut(id).map(|(record, changed)| {
            *changed = true;
            record
        })
    }

    /// Whether `id` is held, certainly absent, or must be loaded before a command may name it.
    pub fn presence(&self, id: &TransferId) -> Presence {
        if self.get(id).is_some() {
            Presence::Held
        } else if self.evicted.may_contain(*id) && !self.absent.contains(id) {
            Presence::Unloaded
        } else {
            Presence::Absent
        }
    }

    /// Whether any transfer was ever evicted (until then every id is held or absent).
    pub fn has_evicted(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// Where `id` stands in application order (0 for the oldest), if it is in the vector.
    pub fn position(&self, id: &TransferId) -> Option<u32> {
        let (records, first) = (&self.records, self.first);
        self.index
            .find(hash_of(id), |&at| records[at as usize - first].id() == *id)
            .copied()
    }

    /// Makes room for `additional` more transfers at once (a snapshot being decoded).
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve_exact(additional);
        if self.index.capacity() - self.index.len() < additional {
            self.rebuild_index(self.records.len() + additional);
        }
    }

    /// Builds the index again, with room for `transfers` positions, from the records in order
    /// (reading them one after the other, where a rehash would read them at random); it also
    /// drops the slots removed entries left.
    fn rebuild_index(&mut self, transfers: usize) {
        let (records, first) = (&self.records, self.first);
        let mut index = HashTable::with_capacity(transfers.max(INDEX_SLOTS_MIN));
        for (offset, record) in records.iter().enumerate() {
            index.insert_unique(hash_of(&record.id()), (first + offset) as u32, |_| {
                unreachable!("the index is built with room for every record")
            });
        }
        self.index = index;
    }

    /// Removes `id`'s position from the index (its record is still in `records`).
    fn unindex(&mut self, id: &TransferId) {
        let (records, first) = (&self.records, self.first);
        if let Ok(entry) = self
            .index
            .find_entry(hash_of(id), |&at| records[at as usize - first].id() == *id)
        {
            entry.remove();
        }
    }

    /// How many transfers were ever applied (evicted ones included).
    pub fn len(&self) -> usize {
        self.first + self.records.len()
    }

    /// How many transfers are in memory.
    pub fn resident(&self) -> usize {
        self.records.len() + self.held.len() + self.loaded.len()
    }

    pub fn is_full(&self) -> bool {
        self.len() >= TRANSFERS_MAX
    }

    /// The position of the first transfer of [`TransferTable::records`].
    pub fn first(&self) -> usize {
        self.first
    }

    /// The transfers from [`TransferTable::first`] on, oldest first.
    pub fn records(&self) -> &[TransferRecord] {
        &self.records
    }

    /// The holds older than [`TransferTable::first`] still pending, oldest first.
    pub fn held(&self) -> Vec<(u32, &TransferRecord)> {
        let mut held: Vec<_> = self
            .held
            .values()
            .filter(|(_, t)| t.state == TransferState::Pending)
            .map(|(at, t)| (*at, t))
            .collect();
        held.sort_unstable_by_key(|(at, _)| *at);
        held
    }

    /// The records older than [`TransferTable::first`] that the host's store holds older
    /// versions of, or none: loaded back and changed, or held aside and resolved since. In id
    /// order (a snapshot keeps them; the next eviction returns them).
    pub fn changed(&self) -> Vec<&TransferRecord> {
        let resolved = self
            .held
            .values()
            .map(|(_, t)| t)
            .filter(|t| t.state != TransferState::Pending);
        let loaded = self
            .loaded
            .values()
            .filter(|(_, changed)| *changed)
            .map(|(t, _)| t);
        let mut changed: Vec<_> = resolved.chain(loaded).collect();
        changed.sort_unstable_by_key(|t| t.id());
        changed
    }

    /// The filter of evicted ids.
    pub fn evicted(&self) -> &IdFilter {
        &self.evicted
    }

    /// Every transfer in memory: the vector oldest first, then the holds and loaded records.
    pub fn iter(&self) -> impl Iterator<Item = &TransferRecord> {
        self.records
            .iter()
            .chain(self.held.values().map(|(_, t)| t))
            .chain(self.loaded.values().map(|(t, _)| t))
    }

    /// Adds a transfer whose id is not in the table (the engine checks before it inserts).
    pub fn push(&mut self, record: TransferRecord) {
        debug_assert!(!self.is_full());
        debug_assert!(
            self.position(&record.id()).is_none(),
            "a transfer id is inserted once"
        );
        if self.index.len() == self.index.capacity() {
            self.rebuild_index(2 * self.records.len() + 1);
        }
        let at = self.len() as u32;
        let hash = hash_of(&record.id());
        self.records.push(record);
        self.index.insert_unique(hash, at, |_| {
            unreachable!("the index is rebuilt before it fills")
        });
    }

    /// Removes the newest transfer, which must be `id` (rollback of a linked chain).
    pub fn pop(&mut self, id: TransferId) {
        let newest = self.records.last().map(|r| r.id());
        assert_eq!(newest, Some(id), "rollback removes transfers newest first");
        self.unindex(&id);
        self.records.pop();
    }

    /// Puts back a record the host's store keeps for an evicted id, for the next command.
    /// Ignored when the id is held already (the memory copy is the current one) or was never
    /// evicted.
    pub fn load(&mut self, record: TransferRecord) {
        let id = record.id();
        if self.get(&id).is_none() && self.evicted.may_contain(id) {
            self.loaded.insert(id, (record, false));
        }
    }

    /// Declares that an id the filter names was never applied (the host's store has no record).
    pub fn load_absent(&mut self, id: TransferId) {
        if self.get(&id).is_none() {
            self.absent.insert(id);
        }
    }

    /// Evicts the settled transfers before position `before` (at most the chained ones: the
    /// caller bounds it), keeping the pending holds aside; then every record loaded back.
    /// Returns what the store must keep: each evicted transfer as it stands now, and each loaded
    /// record a command changed since it was loaded (its new state), oldest first: appended
    /// to `out`.
    pub fn evict(&mut self, before: usize, out: &mut Vec<TransferRecord>) {
        let count = before.saturating_sub(self.first).min(self.records.len());
        out.reserve(count + self.held.len());
        let mut still_held = Vec::new();
        for at in 0..count {
            let id = self.records[at].id();
            self.unindex(&id);
        }
        for (offset, record) in self.records.drain(..count).enumerate() {
            let id = record.id();
            if record.state == TransferState::Pending {
                still_held.push(((self.first + offset) as u32, record));
            } else {
                self.evicted.insert(id);
                out.push(record);
            }
        }
        self.first += count;
        self.absent.clear();
        let mut settled: Vec<(u32, TransferRecord)> = Vec::new();
        if std::mem::take(&mut self.held_touched) {
            self.held.retain(|_, (at, record)| {
                let pending = record.state == TransferState::Pending;
                if !pending {
                    settled.push((*at, record.clone()));
                }
                pending
            });
        }
        settled.sort_unstable_by_key(|(at, _)| *at);
        for (_, record) in settled {
            self.evicted.insert(record.id());
            out.push(record);
        }
        for (at, record) in still_held {
            self.held.insert(record.id(), (at, record));
        }
        let mut changed: Vec<TransferRecord> = self
            .loaded
            .drain()
            .filter(|(_, (_, changed))| *changed)
            .map(|(_, (record, _))| record)
            .collect();
        changed.sort_unstable_by_key(|t| t.id());
        // Most are in the filter already; a hold a snapshot wrote as resolved aside is not.
        for record in &changed {
            self.evicted.insert(record.id());
        }
        out.extend(changed);
    }

    /// An empty table for a snapshot's transfers: `first` were evicted or kept aside, and the
    /// filter names the evicted ids; the rest follow through the `restore_*` calls and `push`.
    pub fn restore(first: usize, evicted: IdFilter) -> TransferTable {
        TransferTable {
            first,
            evicted,
            ..TransferTable::default()
        }
    }

    /// A snapshot's hold before `first` still pending; false when its id is in the table.
    pub fn restore_held(&mut self, at: u32, record: TransferRecord) -> bool {
        debug_assert_eq!(record.state, TransferState::Pending);
        if self.get(&record.id()).is_some() {
            return false;
        }
        self.held.insert(record.id(), (at, record));
        true
    }

    /// A snapshot's record loaded back and changed; false when its id is in the table.
    pub fn restore_changed(&mut self, record: TransferRecord) -> bool {
        if self.get(&record.id()).is_some() {
            return false;
        }
        self.loaded.insert(record.id(), (record, true));
        true
    }
}

impl std::ops::Index<&TransferId> for TransferTable {
    type Output = TransferRecord;

    fn index(&self, id: &TransferId) -> &TransferRecord {
        self.get(id).expect("the transfer exists")
    }
}
