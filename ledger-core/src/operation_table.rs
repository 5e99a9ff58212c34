//! The operations a ledger ran: the newest in memory in the order they ran, the older ones
//! evicted to the host's store, leaving only a compact filter of their ids (as the transfer
//! table does for transfers, [`crate::transfer_table`]).
//!
//! An operation never changes once it ran, so eviction hands each record to the host once, and
//! one loaded back for a retry is simply dropped again at the next eviction. The state digest
//! takes the operations through their chain ([`crate::entry_chain`]), so it is the same
//! whatever was evicted.

use std::collections::{HashSet, VecDeque};

use crate::entry_chain::{EntryChain, OPERATIONS_CONTEXT};
use crate::id::{IdMap, TransferId};
use crate::id_filter::IdFilter;
use crate::operation::OperationRecord;
use crate::transfer_table::Presence;

/// The operations a ledger ran.
#[derive(Debug, Clone, Default)]
pub(crate) struct Operations {
    /// The operations in memory, by id.
    by_id: IdMap<TransferId, OperationRecord>,
    /// Their ids in the order they ran (the oldest go first when the host evicts).
    order: VecDeque<TransferId>,
    /// Evicted operations loaded back for a command, until the next eviction.
    loaded: IdMap<TransferId, OperationRecord>,
    /// Every id evicted.
    evicted: IdFilter,
    /// Ids the filter names that the host found it never ran, until the next eviction.
    absent: HashSet<TransferId>,
    /// The chain over the operations in the order they ran (the state digest's part 8).
    pub chain: EntryChain,
}

impl Operations {
    /// Remembers an operation the ledger ran.
    pub fn insert(&mut self, id: TransferId, record: OperationRecord) {
        self.chain
            .push(OPERATIONS_CONTEXT, &digest_entry(id, &record));
        self.by_id.insert(id, record);
        self.order.push_back(id);
    }

    /// The record of `id`, when it is in memory (ran since the last eviction kept it, or
    /// loaded back).
    pub fn get(&self, id: &TransferId) -> Option<&OperationRecord> {
        self.by_id.get(id).or_else(|| self.loaded.get(id))
    }

    /// Whether `id` is held, certainly never ran, or must be loaded before a command may name
    /// it.
    pub fn presence(&self, id: &TransferId) -> Presence {
        if self.get(id).is_some() {
            Presence::Held
        } else if self.evicted.may_contain(*id) && !self.absent.contains(id) {
            Presence::Unloaded
        } else {
            Presence::Absent
        }
    }

    /// The operations in memory (loaded ones aside), in the order they ran.
    pub fn in_order(&self) -> impl Iterator<Item = (TransferId, &OperationRecord)> {
        self.order.iter().map(|id| (*id, &self.by_id[id]))
    }

    /// How many are in memory (loaded ones aside).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The filter of every evicted id.
    pub fn evicted(&self) -> &IdFilter {
        &self.evicted
    }

    /// Evicts all but the newest `keep`, oldest first, into `out`; drops what was loaded
    /// back and forgets the ids declared absent.
    pub fn evict(&mut self, keep: usize, out: &mut Vec<(TransferId, OperationRecord)>) {
        self.loaded.clear();
        self.absent.clear();
        while self.order.len() > keep {
            let id = self.order.pop_front().expect("more than keep");
            let record = self.by_id.remove(&id).expect("every id in order is held");
            self.evicted.insert(id);
            out.push((id, record));
        }
    }

    /// Puts back an evicted record (ignored when `id` is in memory already).
    pub fn load(&mut self, id: TransferId, record: OperationRecord) {
        if self.get(&id).is_none() {
            self.loaded.insert(id, record);
        }
    }

    /// Declares that `id` never ran, although the filter names it.
    pub fn load_absent(&mut self, id: TransferId) {
        self.absent.insert(id);
    }

    /// Rebuilds the operations from a snapshot: those in memory in the order they ran, the
    /// filter of those evicted, and the chain over all of them.
    pub fn restore(
        in_memory: Vec<(TransferId, OperationRecord)>,
        evicted: IdFilter,
        chain: EntryChain,
    ) -> Result<Operations, &'static str> {
        let mut operations = Operations {
            evicted,
            chain,
            ..Operations::default()
        };
        for (id, record) in in_memory {
            if operations.by_id.insert(id, record).is_some() {
                return Err("an id twice");
            }
            operations.order.push_back(id);
        }
        if operations.order.len() as u64 + operations.evicted.len() != chain.count {
            return Err("the chain's count is not those in memory and those evicted");
        }
        Ok(operations)
    }

    /// Whether any operation was ever evicted (until then every id is held or absent).
    pub fn has_evicted(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// Feeds the operations into the state digest: their chain, or (`whole`, the digests
    /// before the third) every operation in id order, which only a ledger that evicted none
    /// can give; nothing when there are none, so a ledger that never ran one keeps the digest
    /// it always had.
    pub fn digest(&self, h: &mut crate::digest::Digester, whole: bool) {
        if self.chain.count == 0 {
            return;
        }
        if !whole {
            self.chain.write(h);
            return;
        }
        let mut ids: Vec<_> = self.order.iter().copied().collect();
        ids.sort_unstable();
        h.update(&(ids.len() as u64).to_le_bytes());
        for id in ids {
            h.update(&digest_entry(id, &self.by_id[&id]));
        }
    }
}

/// An operation as the state digest writes it: id u128 ‖ the kind's name (ASCII) ‖ result count
/// u64 ‖ per result: code u16 ‖ timestamp u64.
fn digest_entry(id: TransferId, record: &OperationRecord) -> Vec<u8> {
    let name = record.kind.name().as_bytes();
    let mut e = Vec::with_capacity(16 + name.len() + 8 + 10 * record.results.len());
    e.extend_from_slice(&id.get().to_le_bytes());
    e.extend_from_slice(name);
    e.extend_from_slice(&(record.results.len() as u64).to_le_bytes());
    for r in &record.results {
        e.extend_from_slice(&u16::from(r.code).to_le_bytes());
        e.extend_from_slice(&r.timestamp.to_le_bytes());
    }
    e
}
