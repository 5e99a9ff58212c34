//! Where each transfer was journaled, as the sled index stores it: *runs* of up to
//! [`TRANSFER_RUN_MAX`] transfers with consecutive ids, one key per run (FORMAT.md §10).
//!
//! sled writes every key it inserts into its log, and rewrites a leaf page each few inserts
//! into it; a key per transfer, all landing on the last leaf when ids grow, cost about 200
//! bytes of disk each for 33 bytes of data. Hosts number transfers consecutively (the CLI's
//! "next free id", a batch's ids), so a run per 64 ids writes a sixty-fourth of the keys; ids
//! with gaps still work, in runs of one.

use ledger_core::TransferId;

use crate::leb128;

pub const PREFIX_TRANSFER: u8 = b't';
pub const TRANSFER_KEY_BYTES: usize = 17;
/// Transfers in a run at most.
pub const TRANSFER_RUN_MAX: usize = 64;

/// `t` ‖ the run's first transfer id (u128 BE): byte order is id order.
pub fn transfer_key(id: TransferId) -> [u8; TRANSFER_KEY_BYTES] {
    let mut key = [PREFIX_TRANSFER; TRANSFER_KEY_BYTES];
    key[1..].copy_from_slice(&id.get().to_be_bytes());
    key
}

/// Splits `(id, sequence)` pairs (sorted by id, ids distinct) into runs of consecutive ids, at
/// most [`TRANSFER_RUN_MAX`] each: per run its first id and the sequences in id order.
pub fn split_runs(sorted: &[(TransferId, u64)]) -> Vec<(TransferId, Vec<u64>)> {
    let mut runs: Vec<(TransferId, Vec<u64>)> = Vec::new();
    for &(id, sequence) in sorted {
        match runs.last_mut() {
            Some((first, sequences))
                if sequences.len() < TRANSFER_RUN_MAX
                    && first.get().checked_add(sequences.len() as u128) == Some(id.get()) =>
            {
                sequences.push(sequence)
            }
            _ => runs.push((id, vec![sequence])),
        }
    }
    runs
}

/// Per transfer: the sequence of the record that created it, the first as LEB128, each next as
/// the zigzag LEB128 of its difference from the one before.
pub fn encode_run(sequences: &[u64]) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + sequences.len());
    let mut previous = 0u64;
    for (at, &sequence) in sequences.iter().enumerate() {
        let n = match at {
            0 => u128::from(sequence),
            _ => leb128::step(u128::from(previous), u128::from(sequence), 64),
        };
        leb128::put(&mut value, n);
        previous = sequence;
    }
    value
}

/// The sequences of the run stored under `key` with `value`, and its first id, or `None` when
/// either is not well formed (no entry, more than [`TRANSFER_RUN_MAX`], ids past the largest).
pub fn decode_run(key: &[u8], value: &[u8]) -> Option<(TransferId, Vec<u64>)> {
    let key: &[u8; TRANSFER_KEY_BYTES] = key.try_into().ok()?;
    if key[0] != PREFIX_TRANSFER {
        return None;
    }
    let first = TransferId::new(u128::from_be_bytes(key[1..].try_into().ok()?))?;
    let mut rest = value;
    let mut sequences: Vec<u64> = Vec::new();
    while !rest.is_empty() {
        if sequences.len() == TRANSFER_RUN_MAX {
            return None;
        }
        let n = leb128::take(&mut rest, u128::from(u64::MAX))?;
        let sequence = match sequences.last() {
            None => n,
            Some(&previous) => leb128::apply_step(u128::from(previous), n, 64),
        };
        // Invariant: both are at most u64::MAX (take's bound, apply_step's 64 bits).
        sequences.push(sequence as u64);
    }
    let extra = (sequences.len() as u128).checked_sub(1)?;
    first.get().checked_add(extra)?;
    Some((first, sequences))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    #[test]
    fn consecutive_ids_share_a_run_of_at_most_64() {
        let mut pairs: Vec<(TransferId, u64)> =
            (1..=130).map(|i| (tid(i), 7 + i as u64 / 50)).collect();
        pairs.push((tid(200), 3));
        pairs.push((tid(u128::MAX), 9));
        let runs = split_runs(&pairs);
        let shape: Vec<(u128, usize)> = runs.iter().map(|(f, s)| (f.get(), s.len())).collect();
        assert_eq!(
            shape,
            [(1, 64), (65, 64), (129, 2), (200, 1), (u128::MAX, 1)]
        );
        for (first, sequences) in &runs {
            let key = transfer_key(*first);
            let back = decode_run(&key, &encode_run(sequences)).unwrap();
            assert_eq!(back, (*first, sequences.clone()));
        }
    }

    #[test]
    fn sequences_going_back_round_trip_and_malformed_runs_read_as_none() {
        let sequences = vec![u64::MAX, 0, 5, 4, 1 << 40];
        let key = transfer_key(tid(9));
        let value = encode_run(&sequences);
        assert_eq!(decode_run(&key, &value), Some((tid(9), sequences)));
        assert_eq!(decode_run(&key, &[]), None);
        assert_eq!(decode_run(&key, &value[..value.len() - 1]), None);
        assert_eq!(
            decode_run(&key, &[0x80, 0x00]),
            None,
            "not the shortest form"
        );
        assert_eq!(
            decode_run(&transfer_key(tid(u128::MAX)), &[1, 0]),
            None,
            "ids past the largest"
        );
        assert_eq!(decode_run(&key, &[0u8; TRANSFER_RUN_MAX + 1]), None);
        assert_eq!(decode_run(&key[1..], &value), None);
        assert!(transfer_key(tid(1)) < transfer_key(tid(256)));
    }
}
