//! The ledger's accounts: each record in a hash table keyed by its own id.
//!
//! A transfer looks each of its two accounts up once, by id, and keeps the bucket it found: its
//! checks, its changes and their undo reach the records again without hashing the id or probing.
//! Buckets stay put while no account is added, and no account is added while transfers apply.
//! The record holds its id, so no separate key is stored beside it. Accounts are never removed.

use std::hash::{BuildHasher, BuildHasherDefault};

use hashbrown::HashTable;

use crate::account::Account;
use crate::id::{AccountId, IdHasher};

/// A bucket of the table, valid until the next account is added.
pub(crate) type Bucket = usize;

#[derive(Debug, Default, Clone)]
pub(crate) struct AccountTable {
    table: HashTable<Account>,
}

/// The hash of an id, as the ledger's other id maps hash it.
fn hash_of(id: &AccountId) -> u64 {
    BuildHasherDefault::<IdHasher>::default().hash_one(id)
}

impl AccountTable {
    fn hash(&self, id: &AccountId) -> u64 {
        hash_of(id)
    }

    pub fn get(&self, id: &AccountId) -> Option<&Account> {
        self.table.find(self.hash(id), |a| a.id == *id)
    }

    pub fn get_mut(&mut self, id: &AccountId) -> Option<&mut Account> {
        let hash = self.hash(id);
        self.table.find_mut(hash, |a| a.id == *id)
    }

    /// The bucket that holds `id`, for [`AccountTable::at`] and [`AccountTable::at_mut`].
    pub fn bucket(&self, id: &AccountId) -> Option<Bucket> {
        self.table.find_bucket_index(self.hash(id), |a| a.id == *id)
    }

    /// The account in a bucket [`AccountTable::bucket`] gave since the last insert.
    pub fn at(&self, bucket: Bucket) -> &Account {
        self.table
            .get_bucket(bucket)
            .expect("a bucket found since the last insert")
    }

    pub fn at_mut(&mut self, bucket: Bucket) -> &mut Account {
        self.table
            .get_bucket_mut(bucket)
            .expect("a bucket found since the last insert")
    }

    /// Adds `account` under `id` (its own id); an id already there gets the new record, and the
    /// old one is returned.
    pub fn insert(&mut self, id: AccountId, account: Account) -> Option<Account> {
        debug_assert_eq!(id, account.id);
        let hash = self.hash(&id);
        match self.table.entry(hash, |a| a.id == id, |a| hash_of(&a.id)) {
            hashbrown::hash_table::Entry::Occupied(mut entry) => {
                Some(std::mem::replace(entry.get_mut(), account))
            }
            hashbrown::hash_table::Entry::Vacant(entry) => {
                entry.insert(account);
                None
            }
        }
    }

    pub fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional, |a| hash_of(&a.id));
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Every account, in no particular order.
    pub fn values(&self) -> hashbrown::hash_table::Iter<'_, Account> {
        self.table.iter()
    }

    /// Every account's id, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &AccountId> {
        self.table.iter().map(|a| &a.id)
    }
}

impl std::ops::Index<&AccountId> for AccountTable {
    type Output = Account;

    fn index(&self, id: &AccountId) -> &Account {
        self.get(id).expect("the account exists")
    }
}
