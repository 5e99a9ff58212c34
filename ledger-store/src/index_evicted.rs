//! Transfers the engine no longer holds, as the sled index keeps them (FORMAT.md §10): each
//! eviction writes new *versions* of the records, in runs of consecutive ids, keyed by the
//! run's first id and the journal sequence after which they were evicted, and never rewrites an
//! older one.
//!
//! Versions, not one value per id: a settled transfer can still change once after it was
//! evicted (a reversal sets `reversed_by`), and opening may replay the journal from a snapshot
//! older than the index's mark. A replay at sequence `p` must see the record as it was before
//! `p`, so a lookup takes the newest version whose sequence is below `p`. Runs, not a key per
//! transfer: an eviction lets go of thousands of transfers of mostly consecutive ids at once,
//! and a key costs sled more than the record's bytes do.

use ledger_core::snapshot::{decode_transfer_record, encode_transfer_record};
use ledger_core::{TransferId, TransferRecord};

pub const PREFIX_EVICTED: u8 = b'c';
/// `c`, the run's first id, the sequence.
pub const EVICTED_KEY_BYTES: usize = 1 + 16 + 8;
/// `c` and the first id.
pub const EVICTED_PREFIX_BYTES: usize = 1 + 16;
/// Most records in one run: a lookup of id `x` reads the runs whose first id is `x - 63` to
/// `x`.
pub const EVICTED_RUN_MAX: usize = 64;

/// `c` ‖ first transfer id (u128 BE) ‖ sequence (u64 BE): byte order is (first id, sequence)
/// order.
pub fn evicted_key(id: TransferId, sequence: u64) -> [u8; EVICTED_KEY_BYTES] {
    let mut key = [PREFIX_EVICTED; EVICTED_KEY_BYTES];
    key[1..EVICTED_PREFIX_BYTES].copy_from_slice(&id.get().to_be_bytes());
    key[EVICTED_PREFIX_BYTES..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// The first id and sequence a key names, or `None` when it is not a well-formed `c` key.
pub fn decode_evicted_key(key: &[u8]) -> Option<(TransferId, u64)> {
    let key: &[u8; EVICTED_KEY_BYTES] = key.try_into().ok()?;
    if key[0] != PREFIX_EVICTED {
        return None;
    }
    let id = TransferId::new(u128::from_be_bytes(
        key[1..EVICTED_PREFIX_BYTES].try_into().ok()?,
    ))?;
    let sequence = u64::from_be_bytes(key[EVICTED_PREFIX_BYTES..].try_into().ok()?);
    Some((id, sequence))
}

/// The runs `evicted` (sequence, record) is written as: records evicted after the same record
/// whose ids follow each other, at most [`EVICTED_RUN_MAX`] to a run, in the order given.
pub fn split_evicted_runs(
    evicted: &[(u64, TransferRecord)],
) -> Vec<(u64, &[(u64, TransferRecord)])> {
    let mut runs = Vec::new();
    let mut start = 0;
    for at in 1..=evicted.len() {
        let ends = at == evicted.len() || at - start == EVICTED_RUN_MAX || {
            let (previous, next) = (&evicted[at - 1], &evicted[at]);
            previous.0 != next.0 || previous.1.id().get().checked_add(1) != Some(next.1.id().get())
        };
        if ends {
            runs.push((evicted[start].0, &evicted[start..at]));
            start = at;
        }
    }
    runs
}

/// The value of a run: u8 count, then per record u16 length (LE) ‖ the record in the engine
/// state's transfer encoding (§16.1).
pub fn encode_evicted<'a>(records: impl ExactSizeIterator<Item = &'a TransferRecord>) -> Vec<u8> {
    debug_assert!((1..=EVICTED_RUN_MAX).contains(&records.len()));
    let mut value = Vec::with_capacity(1 + records.len() * 100);
    value.push(records.len() as u8);
    let mut one = Vec::with_capacity(128);
    for record in records {
        one.clear();
        encode_transfer_record(record, &mut one);
        value.extend_from_slice(&(one.len() as u16).to_le_bytes());
        value.extend_from_slice(&one);
    }
    value
}

/// How many records the run `value` says it holds (its first byte), without decoding them.
pub fn evicted_run_len(value: &[u8]) -> usize {
    value.first().map_or(0, |&n| usize::from(n))
}

/// The run stored under `key` with `value`: its first id, sequence and records; or why it is
/// damage (a key not of the layout, a count of 0 or above 64, a record that is not whole, a
/// record whose id is not the run's first plus its place, bytes after the last).
pub fn decode_evicted(
    key: &[u8],
    value: &[u8],
) -> Result<(TransferId, u64, Vec<TransferRecord>), String> {
    let (first, sequence) = decode_evicted_key(key)
        .ok_or_else(|| format!("evicted transfer key {key:?} is damaged"))?;
    let damaged = |why: &str| {
        format!(
            "evicted transfer {} (version at sequence {sequence}) is damaged: {why}",
            first.get()
        )
    };
    let count = evicted_run_len(value);
    if !(1..=EVICTED_RUN_MAX).contains(&count) {
        return Err(damaged("a run of 1 to 64 records"));
    }
    let mut records = Vec::with_capacity(count);
    let mut at = 1;
    for place in 0..count {
        let len = value
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| damaged("cut short"))?;
        let bytes = value
            .get(at + 2..at + 2 + len)
            .ok_or_else(|| damaged("cut short"))?;
        let record = decode_transfer_record(bytes).map_err(|e| damaged(&e.to_string()))?;
        let expected = first.get() + place as u128;
        if record.id().get() != expected {
            return Err(format!(
                "evicted transfer {expected} (version at sequence {sequence}) holds transfer {}",
                record.id().get()
            ));
        }
        records.push(record);
        at += 2 + len;
    }
    if at != value.len() {
        return Err(damaged("bytes after the last record"));
    }
    Ok((first, sequence, records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{AccountId, Amount, Transfer};

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    fn record(id: u128) -> TransferRecord {
        let debit = AccountId::new(1).unwrap();
        let credit = AccountId::new(2).unwrap();
        let amount: Amount = "1.5".parse().unwrap();
        let request = Transfer::new(tid(id), debit, credit, amount, 1);
        TransferRecord::new(&request, debit, credit, 1, 0, amount, 1_000)
    }

    #[test]
    fn keys_order_by_id_then_sequence_and_round_trip() {
        let keys = [
            evicted_key(tid(1), u64::MAX),
            evicted_key(tid(256), 0),
            evicted_key(tid(256), 1),
            evicted_key(tid(256), 256),
            evicted_key(tid(u128::MAX), 7),
        ];
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(decode_evicted_key(&keys[3]), Some((tid(256), 256)));
        assert_eq!(decode_evicted_key(&keys[3][..24]), None);
        assert_eq!(decode_evicted_key(&[PREFIX_EVICTED; 26]), None);
        assert_eq!(
            decode_evicted_key(&[
                PREFIX_EVICTED,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                9
            ]),
            None,
            "id zero"
        );
    }

    #[test]
    fn a_run_decodes_only_whole_and_under_its_own_ids() {
        let value = encode_evicted([record(5), record(6)].iter());
        let (id, sequence, back) = decode_evicted(&evicted_key(tid(5), 9), &value).unwrap();
        assert_eq!(
            (id, sequence, back),
            (tid(5), 9, vec![record(5), record(6)])
        );
        let why = decode_evicted(&evicted_key(tid(6), 9), &value).unwrap_err();
        assert!(why.contains("holds transfer 5"), "{why}");
        let why = decode_evicted(&evicted_key(tid(5), 9), &value[1..]).unwrap_err();
        assert!(why.contains("evicted transfer 5"), "{why}");
        for cut in 1..value.len() {
            assert!(decode_evicted(&evicted_key(tid(5), 9), &value[..cut]).is_err());
        }
        let longer = [&value[..], &[0]].concat();
        assert!(decode_evicted(&evicted_key(tid(5), 9), &longer).is_err());
        assert!(decode_evicted(&evicted_key(tid(5), 9), &[0]).is_err());
        assert!(decode_evicted(&evicted_key(tid(5), 9)[..20], &value).is_err());
    }

    #[test]
    fn runs_hold_consecutive_ids_evicted_together_at_most_64() {
        let mut evicted: Vec<(u64, TransferRecord)> = (1..=130).map(|n| (4, record(n))).collect();
        evicted.push((4, record(200)));
        evicted.push((5, record(201)));
        let runs: Vec<(u64, u128, usize)> = split_evicted_runs(&evicted)
            .iter()
            .map(|(at, run)| (*at, run[0].1.id().get(), run.len()))
            .collect();
        assert_eq!(
            runs,
            [
                (4, 1, 64),
                (4, 65, 64),
                (4, 129, 2),
                (4, 200, 1),
                (5, 201, 1)
            ]
        );
        assert!(split_evicted_runs(&[]).is_empty());
    }
}
