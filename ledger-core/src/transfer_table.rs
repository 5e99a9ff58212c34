//! The ledger's transfers: kept in the order they applied, with an index by id.
//!
//! Appending to a vector and indexing it with a small map is cheaper than a map of whole records:
//! when the index grows it moves 32-byte entries, not 200-byte records, and the records stay in
//! application order (which exports and snapshots want anyway). A failed linked chain removes
//! its transfers newest first, so removal is always from the end.

use crate::id::{IdMap, TransferId};
use crate::transfer::TransferRecord;

/// Most transfers one ledger holds (the index stores positions as `u32`).
pub const TRANSFERS_MAX: usize = u32::MAX as usize;

#[derive(Debug, Default)]
pub(crate) struct TransferTable {
    records: Vec<TransferRecord>,
    index: IdMap<TransferId, u32>,
}

/// A copy keeps the original's spare capacity (as the index map's copy does), so the copy's
/// next insert costs what the original's would: no surprise reallocation of every record.
impl Clone for TransferTable {
    fn clone(&self) -> TransferTable {
        let mut records = Vec::with_capacity(self.records.capacity());
        records.extend_from_slice(&self.records);
        TransferTable {
            records,
            index: self.index.clone(),
        }
    }
}

impl TransferTable {
    pub fn get(&self, id: &TransferId) -> Option<&TransferRecord> {
        self.index.get(id).map(|&at| &self.records[at as usize])
    }

    pub fn get_mut(&mut self, id: &TransferId) -> Option<&mut TransferRecord> {
        self.index.get(id).map(|&at| &mut self.records[at as usize])
    }

    /// Where `id` stands in application order (0 for the oldest).
    pub fn position(&self, id: &TransferId) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Makes room for `additional` more transfers at once (a snapshot being decoded).
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve_exact(additional);
        self.index.reserve(additional);
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_full(&self) -> bool {
        self.records.len() >= TRANSFERS_MAX
    }

    /// Every transfer, oldest first, as a slice (the history chain takes them in chunks).
    pub fn records(&self) -> &[TransferRecord] {
        &self.records
    }

    /// Every transfer, oldest first.
    pub fn iter(&self) -> std::slice::Iter<'_, TransferRecord> {
        self.records.iter()
    }

    /// Adds a transfer whose id is not in the table (the engine checks before it inserts).
    pub fn push(&mut self, record: TransferRecord) {
        debug_assert!(!self.is_full());
        let previous = self.index.insert(record.id(), self.records.len() as u32);
        debug_assert!(previous.is_none(), "a transfer id is inserted once");
        self.records.push(record);
    }

    /// Removes the newest transfer, which must be `id` (rollback of a linked chain).
    pub fn pop(&mut self, id: TransferId) {
        let removed = self.records.pop().map(|r| r.id());
        assert_eq!(removed, Some(id), "rollback removes transfers newest first");
        self.index.remove(&id);
    }
}

impl std::ops::Index<&TransferId> for TransferTable {
    type Output = TransferRecord;

    fn index(&self, id: &TransferId) -> &TransferRecord {
        self.get(id).expect("the transfer exists")
    }
}
