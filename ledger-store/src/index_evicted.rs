//! Transfers the engine no longer holds, as the sled index keeps them (FORMAT.md §10): each
//! eviction writes a new *version* of the record, keyed by its id and the journal sequence
//! after which it was evicted, and never rewrites an older one.
//!
//! Versions, not one value per id: a settled transfer can still change once after it was
//! evicted (a reversal sets `reversed_by`), and opening may replay the journal from a snapshot
//! older than the index's mark. A replay at sequence `p` must see the record as it was before
//! `p`, so a lookup takes the newest version whose sequence is below `p`.

use ledger_core::snapshot::{decode_transfer_record, encode_transfer_record};
use ledger_core::{TransferId, TransferRecord};

pub const PREFIX_EVICTED: u8 = b'c';
/// `c`, the id, the sequence.
pub const EVICTED_KEY_BYTES: usize = 1 + 16 + 8;
/// `c` and the id: what every version of one transfer's key starts with.
pub const EVICTED_PREFIX_BYTES: usize = 1 + 16;

/// `c` ‖ transfer id (u128 BE) ‖ sequence (u64 BE): byte order is (id, sequence) order, so the
/// versions of one id are together, oldest first.
pub fn evicted_key(id: TransferId, sequence: u64) -> [u8; EVICTED_KEY_BYTES] {
    let mut key = [PREFIX_EVICTED; EVICTED_KEY_BYTES];
    key[1..EVICTED_PREFIX_BYTES].copy_from_slice(&id.get().to_be_bytes());
    key[EVICTED_PREFIX_BYTES..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// The id and sequence a key names, or `None` when it is not a well-formed `c` key.
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

/// The value of a version: the record in the engine state's transfer encoding (§16.1).
pub fn encode_evicted(record: &TransferRecord) -> Vec<u8> {
    let mut value = Vec::with_capacity(128);
    encode_transfer_record(record, &mut value);
    value
}

/// The version stored under `key` with `value`: its id, sequence and record; or why it is
/// damage (a key not of the layout, a value that is not exactly one record, a record of
/// another id than the key's).
pub fn decode_evicted(
    key: &[u8],
    value: &[u8],
) -> Result<(TransferId, u64, TransferRecord), String> {
    let (id, sequence) = decode_evicted_key(key)
        .ok_or_else(|| format!("evicted transfer key {key:?} is damaged"))?;
    let record = decode_transfer_record(value).map_err(|e| {
        format!(
            "evicted transfer {} (version at sequence {sequence}) is damaged: {e}",
            id.get()
        )
    })?;
    if record.id() != id {
        return Err(format!(
            "evicted transfer {} (version at sequence {sequence}) holds transfer {}",
            id.get(),
            record.id().get()
        ));
    }
    Ok((id, sequence, record))
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
    fn a_version_decodes_only_whole_and_under_its_own_id() {
        let value = encode_evicted(&record(5));
        let (id, sequence, back) = decode_evicted(&evicted_key(tid(5), 9), &value).unwrap();
        assert_eq!((id, sequence, back), (tid(5), 9, record(5)));
        let why = decode_evicted(&evicted_key(tid(6), 9), &value).unwrap_err();
        assert!(why.contains("holds transfer 5"), "{why}");
        let why = decode_evicted(&evicted_key(tid(5), 9), &value[1..]).unwrap_err();
        assert!(why.contains("evicted transfer 5"), "{why}");
        assert!(decode_evicted(&evicted_key(tid(5), 9)[..20], &value).is_err());
    }
}
