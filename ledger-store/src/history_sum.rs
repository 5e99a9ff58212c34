//! An order-independent, keyed sum of statement entries (a multiset hash): how `timebank verify
//! --replay` checks the index's history entries of the transfers its replay let go, without
//! holding those transfers or looking each one up.
//!
//! Each (account, entry) pair is hashed with SipHash under a key drawn at random for the
//! verification, and the hashes are added (wrapping) into a 64-bit sum beside a count. Two
//! sums of the same key are equal when they hold the same pairs, in any order; a pair changed,
//! added or left out changes the sum except with probability about 2^-64, whatever the index
//! holds, since its writer cannot know the key.

use std::hash::{BuildHasher, Hasher, RandomState};

use ledger_core::report::{statement_entry, StatementEntry};
use ledger_core::{AccountId, TransferRecord};

/// A sum of (account, statement entry) pairs under one pair of keys.
#[derive(Clone, Debug)]
pub struct HistorySum {
    key: RandomState,
    sum: u64,
    entries: u64,
}

impl Default for HistorySum {
    fn default() -> HistorySum {
        HistorySum::new()
    }
}

impl HistorySum {
    /// An empty sum under fresh random keys.
    pub fn new() -> HistorySum {
        HistorySum {
            key: RandomState::new(),
            sum: 0,
            entries: 0,
        }
    }

    /// An empty sum under this one's keys, to be compared with it.
    pub fn empty_like(&self) -> HistorySum {
        HistorySum {
            key: self.key.clone(),
            sum: 0,
            entries: 0,
        }
    }

    /// How many entries are in the sum.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Adds the entry `entry` of `account`'s history.
    pub fn add(&mut self, account: AccountId, entry: &StatementEntry) {
        self.sum = self.sum.wrapping_add(self.hash(account, entry));
        // Wrapping: a sum may take an entry out before another adds it in (the parts are
        // merged in any order).
        self.entries = self.entries.wrapping_add(1);
    }

    fn remove(&mut self, account: AccountId, entry: &StatementEntry) {
        self.sum = self.sum.wrapping_sub(self.hash(account, entry));
        self.entries = self.entries.wrapping_sub(1);
    }

    /// Adds the entries `record` makes in its two accounts' histories.
    pub fn add_transfer(&mut self, record: &TransferRecord) {
        for account in [record.debit_account_id, record.credit_account_id] {
            if let Some(entry) = statement_entry(record, account) {
                self.add(account, &entry);
            }
        }
    }

    /// Takes out what [`HistorySum::add_transfer`] of `record` (or of another version of the
    /// same settled transfer, whose entries are the same) added.
    pub fn remove_transfer(&mut self, record: &TransferRecord) {
        for account in [record.debit_account_id, record.credit_account_id] {
            if let Some(entry) = statement_entry(record, account) {
                self.remove(account, &entry);
            }
        }
    }

    /// Adds another sum of the same keys.
    pub fn merge(&mut self, other: &HistorySum) {
        self.sum = self.sum.wrapping_add(other.sum);
        self.entries = self.entries.wrapping_add(other.entries);
    }

    /// Whether the two sums hold the same pairs (they must share keys: one made by
    /// [`HistorySum::empty_like`] of the other).
    pub fn same_as(&self, other: &HistorySum) -> bool {
        self.sum == other.sum && self.entries == other.entries
    }

    fn hash(&self, account: AccountId, entry: &StatementEntry) -> u64 {
        let mut h = self.key.build_hasher();
        h.write_u128(account.get());
        h.write_u128(entry.transfer.get());
        h.write_u64(entry.timestamp);
        h.write_u64(entry.served_at);
        h.write_u16(entry.code);
        h.write_u128(entry.counterparty.get());
        // One value, one encoding: 2.5 and 2.50 are the same amount.
        h.write(&entry.amount.normalize().serialize());
        h.write_u8(u8::from(entry.reversal) | (u8::from(entry.posted) << 1));
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{Amount, Transfer, TransferId};

    fn record(id: u128, amount: u64) -> TransferRecord {
        let (debit, credit) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
        let amount = Amount::from_minor(amount, 2).unwrap();
        let request = Transfer::new(TransferId::new(id).unwrap(), debit, credit, amount, 1);
        TransferRecord::new(&request, debit, credit, 1, 0, amount, 1_000 + id as u64)
    }

    #[test]
    fn sums_of_the_same_entries_in_any_order_agree_and_any_change_shows() {
        let mut forward = HistorySum::new();
        let mut backward = forward.empty_like();
        (1..=100).for_each(|n| forward.add_transfer(&record(n, 250)));
        (1..=100)
            .rev()
            .for_each(|n| backward.add_transfer(&record(n, 250)));
        assert!(forward.same_as(&backward));
        assert_eq!(forward.entries(), 200);

        let mut changed = forward.empty_like();
        (1..=100).for_each(|n| changed.add_transfer(&record(n, if n == 50 { 251 } else { 250 })));
        assert!(!forward.same_as(&changed));

        let mut twice = forward.clone();
        twice.add_transfer(&record(7, 250));
        assert!(!forward.same_as(&twice));
        twice.remove_transfer(&record(7, 250));
        assert!(forward.same_as(&twice));

        // Taken out before it is added (parts merged in any order): the same as neither.
        let mut early = forward.empty_like();
        early.remove_transfer(&record(7, 250));
        early.add_transfer(&record(7, 250));
        assert!(early.same_as(&forward.empty_like()));

        // Under other keys the same entries do not sum the same.
        let mut other = HistorySum::new();
        (1..=100).for_each(|n| other.add_transfer(&record(n, 250)));
        assert!(!forward.same_as(&other));
    }
}
