//! Entries a ledger only ever adds, keyed by a transfer id (the operations it ran, the ids that
//! failed, the ratings of transfers): the newest in memory in the order added, the older ones
//! evicted to the host's store, leaving only a compact filter of their ids (as the transfer
//! table does for transfers, [`crate::transfer_table`]).
//!
//! An entry never changes once added, so eviction hands each to the host once, and one loaded
//! back for a command is simply dropped again at the next eviction. The state digest takes each
//! kind through its chain ([`crate::entry_chain`]), so it is the same whatever was evicted.

use std::collections::{HashSet, VecDeque};

use crate::entry_chain::EntryChain;
use crate::id::{IdMap, TransferId};
use crate::id_filter::IdFilter;
use crate::transfer_table::Presence;

/// Entries of one kind, by id.
#[derive(Debug, Clone)]
pub(crate) struct Evictable<V> {
    /// The entries in memory, by id.
    by_id: IdMap<TransferId, V>,
    /// Their ids in the order added (the oldest go first when the host evicts).
    order: VecDeque<TransferId>,
    /// Evicted entries loaded back for a command, until the next eviction.
    loaded: IdMap<TransferId, V>,
    /// Every id evicted.
    evicted: IdFilter,
    /// Ids the filter names that the host found it never added, until the next eviction.
    absent: HashSet<TransferId>,
    /// The chain over every entry in the order added (a part of the state digest).
    pub chain: EntryChain,
}

impl<V> Default for Evictable<V> {
    fn default() -> Evictable<V> {
        Evictable {
            by_id: IdMap::default(),
            order: VecDeque::new(),
            loaded: IdMap::default(),
            evicted: IdFilter::default(),
            absent: HashSet::new(),
            chain: EntryChain::default(),
        }
    }
}

impl<V: Clone> Evictable<V> {
    /// Adds an entry, and its bytes (`entry`) to the chain under `context`.
    pub fn insert(&mut self, id: TransferId, value: V, context: &str, entry: &[u8]) {
        self.chain.push(context, entry);
        self.by_id.insert(id, value);
        self.order.push_back(id);
    }

    /// The entry of `id`, when it is in memory (added since the last eviction kept it, or
    /// loaded back).
    pub fn get(&self, id: &TransferId) -> Option<&V> {
        self.by_id.get(id).or_else(|| self.loaded.get(id))
    }

    /// Whether `id` is held, certainly never added, or must be loaded before a command may
    /// name it.
    pub fn presence(&self, id: &TransferId) -> Presence {
        if self.get(id).is_some() {
            Presence::Held
        } else if self.evicted.may_contain(*id) && !self.absent.contains(id) {
            Presence::Unloaded
        } else {
            Presence::Absent
        }
    }

    /// The ids among `ids` that are not in memory and that the filter may hold, in order and
    /// each once: what must be loaded (or declared absent) before a command may look them up.
    pub fn unloaded(&self, ids: impl IntoIterator<Item = TransferId>) -> Vec<TransferId> {
        let mut wanted = Vec::new();
        for id in ids {
            if self.presence(&id) == Presence::Unloaded && !wanted.contains(&id) {
                wanted.push(id);
            }
        }
        wanted
    }

    /// The entries in memory (loaded ones aside), in the order added.
    pub fn in_order(&self) -> impl Iterator<Item = (TransferId, &V)> {
        self.order.iter().map(|id| (*id, &self.by_id[id]))
    }

    /// The entries in memory (loaded ones aside), by id.
    pub fn sorted(&self) -> Vec<(TransferId, &V)> {
        let mut all: Vec<_> = self.in_order().collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }

    /// How many are in memory (loaded ones aside).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The filter of every evicted id.
    pub fn evicted(&self) -> &IdFilter {
        &self.evicted
    }

    /// Whether any entry was ever evicted (until then every id is held or absent).
    pub fn has_evicted(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// Evicts all but the newest `keep`, oldest first, into `out`; drops what was loaded
    /// back and forgets the ids declared absent.
    pub fn evict(&mut self, keep: usize, out: &mut Vec<(TransferId, V)>) {
        self.loaded.clear();
        self.absent.clear();
        while self.order.len() > keep {
            let id = self.order.pop_front().expect("more than keep");
            let value = self.by_id.remove(&id).expect("every id in order is held");
            self.evicted.insert(id);
            out.push((id, value));
        }
    }

    /// Puts back an evicted entry (ignored when `id` is in memory already).
    pub fn load(&mut self, id: TransferId, value: V) {
        if self.get(&id).is_none() {
            self.loaded.insert(id, value);
        }
    }

    /// Declares that `id` was never added, although the filter names it.
    pub fn load_absent(&mut self, id: TransferId) {
        self.absent.insert(id);
    }

    /// Rebuilds the entries from a snapshot: those in memory in the order added, the filter of
    /// those evicted, and the chain over all of them.
    pub fn restore(
        in_memory: Vec<(TransferId, V)>,
        evicted: IdFilter,
        chain: EntryChain,
    ) -> Result<Evictable<V>, &'static str> {
        let mut entries = Evictable {
            evicted,
            chain,
            ..Evictable::default()
        };
        for (id, value) in in_memory {
            if entries.by_id.insert(id, value).is_some() {
                return Err("an id twice");
            }
            entries.order.push_back(id);
        }
        if entries.order.len() as u64 + entries.evicted.len() != chain.count {
            return Err("the chain's count is not those in memory and those evicted");
        }
        Ok(entries)
    }
}
