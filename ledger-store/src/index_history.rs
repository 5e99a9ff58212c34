//! An account's history as the sled index stores it: runs of up to [`BUCKET_ENTRIES_MAX`]
//! entries (timestamp, transfer id) per sled value, so that an index batch writes each touched
//! account's history once rather than two keys per transfer (FORMAT.md §10). sled's cost is per
//! key written, so this is most of the index's speed when it catches up on many records at once.

use ledger_core::{AccountId, TransferId};

pub const PREFIX_HISTORY: u8 = b'h';
/// Entries in a full bucket: big enough that a catch-up writes few keys, small enough that
/// rewriting an account's last bucket after each small group stays cheap.
pub const BUCKET_ENTRIES_MAX: usize = 64;
const ENTRY_BYTES: usize = 8 + 16;
pub const BUCKET_KEY_BYTES: usize = 1 + 16 + 8 + 16;

/// One history entry: the transfer's timestamp and id (their order is the history's order).
pub type Entry = (u64, TransferId);

/// `h` ‖ account (u128 BE) ‖ timestamp (u64 BE) ‖ transfer id (u128 BE) of the bucket's first
/// entry: byte order is the history's order.
pub fn bucket_key(account: AccountId, (timestamp, id): Entry) -> [u8; BUCKET_KEY_BYTES] {
    let mut key = [PREFIX_HISTORY; BUCKET_KEY_BYTES];
    key[1..17].copy_from_slice(&account.get().to_be_bytes());
    key[17..25].copy_from_slice(&timestamp.to_be_bytes());
    key[25..].copy_from_slice(&id.get().to_be_bytes());
    key
}

/// `h` ‖ account: what every bucket key of the account starts with.
pub fn account_prefix(account: AccountId) -> [u8; 17] {
    let mut prefix = [PREFIX_HISTORY; 17];
    prefix[1..].copy_from_slice(&account.get().to_be_bytes());
    prefix
}

/// The entries of a bucket value (each timestamp u64 LE ‖ transfer id u128 LE, ascending), or
/// `None` when the value is not a well-formed bucket.
pub fn decode_bucket(value: &[u8]) -> Option<Vec<Entry>> {
    if value.is_empty() || !value.len().is_multiple_of(ENTRY_BYTES) {
        return None;
    }
    let entries: Option<Vec<Entry>> = value
        .chunks_exact(ENTRY_BYTES)
        .map(|chunk| {
            let timestamp = u64::from_le_bytes(chunk[..8].try_into().ok()?);
            let id = TransferId::new(u128::from_le_bytes(chunk[8..].try_into().ok()?))?;
            Some((timestamp, id))
        })
        .collect();
    let entries = entries?;
    entries
        .windows(2)
        .all(|w| key_order(w[0]) < key_order(w[1]))
        .then_some(entries)
}

pub fn encode_bucket(entries: &[Entry]) -> Vec<u8> {
    let mut value = Vec::with_capacity(entries.len() * ENTRY_BYTES);
    for (timestamp, id) in entries {
        value.extend_from_slice(&timestamp.to_le_bytes());
        value.extend_from_slice(&id.get().to_le_bytes());
    }
    value
}

/// The order of entries (and of bucket keys).
pub fn key_order((timestamp, id): Entry) -> (u64, u128) {
    (timestamp, id.get())
}

/// Splits a sorted run of entries into buckets of at most [`BUCKET_ENTRIES_MAX`], full ones
/// first; each is written under its first entry.
pub fn split_buckets(entries: &[Entry]) -> impl Iterator<Item = &[Entry]> {
    entries.chunks(BUCKET_ENTRIES_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    #[test]
    fn a_bucket_round_trips_and_refuses_disorder_and_odd_lengths() {
        let entries = vec![(5, tid(9)), (5, tid(10)), (7, tid(1))];
        let value = encode_bucket(&entries);
        assert_eq!(decode_bucket(&value), Some(entries.clone()));
        assert_eq!(decode_bucket(&value[1..]), None);
        assert_eq!(decode_bucket(&[]), None);
        let disordered = encode_bucket(&[entries[1], entries[0]]);
        assert_eq!(decode_bucket(&disordered), None);
    }

    #[test]
    fn bucket_keys_sort_as_the_history() {
        let a = AccountId::new(3).unwrap();
        assert!(bucket_key(a, (1, tid(u128::MAX))) < bucket_key(a, (2, tid(1))));
        assert!(bucket_key(a, (2, tid(1))) < bucket_key(a, (2, tid(2))));
        assert!(bucket_key(a, (9, tid(9))).starts_with(&account_prefix(a)));
    }
}
