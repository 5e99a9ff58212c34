//! Entries the engine no longer holds besides transfers, as the sled index keeps them
//! (FORMAT.md §10): one key per entry and eviction, a prefix (`o` operations, `f` failed ids,
//! `r` ratings) ‖ id ‖ the sequence of the last record applied when it was evicted. An
//! operation's value is its encoding in the engine state (§16.1), a failed id's its result code
//! (u16 LE), a rating's the rating (one byte, 1 to 5).
//!
//! An entry never changes once added, so every version of one holds the same bytes; the
//! sequence only says from which record on a replay may see it (a replay applying record `p`
//! takes a version below `p`, as it does for transfers, `index_evicted`).

use ledger_core::operation::OperationRecord;
use ledger_core::snapshot::{decode_operation_record, encode_operation_record};
use ledger_core::{ResultCode, TransferId};

pub const PREFIX_OPERATION: u8 = b'o';
pub const PREFIX_FAILED: u8 = b'f';
pub const PREFIX_RATING: u8 = b'r';
/// The prefix, the entry's id, the sequence.
pub const ENTRY_KEY_BYTES: usize = 1 + 16 + 8;

/// `prefix` ‖ id (u128 BE) ‖ sequence (u64 BE).
pub fn entry_key(prefix: u8, id: TransferId, sequence: u64) -> [u8; ENTRY_KEY_BYTES] {
    let mut key = [prefix; ENTRY_KEY_BYTES];
    key[1..17].copy_from_slice(&id.get().to_be_bytes());
    key[17..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// `o` ‖ operation id (u128 BE) ‖ sequence (u64 BE).
pub fn operation_key(id: TransferId, sequence: u64) -> [u8; ENTRY_KEY_BYTES] {
    entry_key(PREFIX_OPERATION, id, sequence)
}

/// The id and sequence a key of `prefix` names, or `None` when it is not a well-formed one.
pub fn decode_entry_key(prefix: u8, key: &[u8]) -> Option<(TransferId, u64)> {
    let key: &[u8; ENTRY_KEY_BYTES] = key.try_into().ok()?;
    if key[0] != prefix {
        return None;
    }
    let id = TransferId::new(u128::from_be_bytes(key[1..17].try_into().ok()?))?;
    Some((id, u64::from_be_bytes(key[17..].try_into().ok()?)))
}

/// The id and sequence an `o` key names.
pub fn decode_operation_key(key: &[u8]) -> Option<(TransferId, u64)> {
    decode_entry_key(PREFIX_OPERATION, key)
}

/// A failed id's code, as its `f` value holds it: a known transient code.
pub fn decode_failed(value: &[u8]) -> Result<ResultCode, String> {
    let bytes: [u8; 2] = value.try_into().map_err(|_| {
        format!(
            "an evicted failed id's code is {} bytes, not 2",
            value.len()
        )
    })?;
    ResultCode::from_u16(u16::from_le_bytes(bytes))
        .filter(|code| code.is_transient())
        .ok_or_else(|| "an evicted failed id's code is not a transient result code".to_string())
}

/// A rating, as its `r` value holds it: one byte, 1 to 5.
pub fn decode_rating(value: &[u8]) -> Result<u8, String> {
    match value {
        [rating @ 1..=5] => Ok(*rating),
        _ => Err(format!(
            "an evicted rating is not one byte from 1 to 5: {value:?}"
        )),
    }
}

/// Checks one key and value of `prefix` (`f` or `r`): the first fault, if any.
pub fn check_entry(prefix: u8, key: &[u8], value: &[u8]) -> Option<String> {
    let what = if prefix == PREFIX_FAILED {
        "failed id"
    } else {
        "rating"
    };
    if decode_entry_key(prefix, key).is_none() {
        return Some(format!("evicted {what} key {key:?} is damaged"));
    }
    let decoded = match prefix {
        PREFIX_FAILED => decode_failed(value).map(|_| ()),
        _ => decode_rating(value).map(|_| ()),
    };
    decoded.err()
}

/// The value of an operation's key.
pub fn encode_operation(id: TransferId, record: &OperationRecord) -> Vec<u8> {
    let mut out = Vec::new();
    encode_operation_record(id, record, &mut out);
    out
}

/// The operation a key and value hold, checked: the value decodes as exactly one operation,
/// under the key's id.
pub fn decode_operation(
    key: &[u8],
    value: &[u8],
) -> Result<(TransferId, u64, OperationRecord), String> {
    let (id, sequence) = decode_operation_key(key)
        .ok_or_else(|| format!("evicted operation key {key:?} is damaged"))?;
    let (inner, record) = decode_operation_record(value)
        .map_err(|e| format!("evicted operation {}: {e}", id.get()))?;
    if inner != id {
        return Err(format!(
            "evicted operation {} is kept under the id {}",
            inner.get(),
            id.get()
        ));
    }
    Ok((id, sequence, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::operation::OperationKind;
    use ledger_core::EventResult;

    fn record() -> OperationRecord {
        OperationRecord {
            kind: OperationKind::Cancellation {
                booking: TransferId::new(9).unwrap(),
            },
            results: vec![EventResult {
                code: ResultCode::Ok,
                timestamp: 77,
            }],
            transfers: vec![TransferId::new(10).unwrap()],
            closes: Vec::new(),
        }
    }

    #[test]
    fn a_key_and_value_read_back_and_refuse_another_id() {
        let id = TransferId::new(300).unwrap();
        let key = operation_key(id, 12);
        assert_eq!(decode_operation_key(&key), Some((id, 12)));
        let value = encode_operation(id, &record());
        assert_eq!(decode_operation(&key, &value).unwrap(), (id, 12, record()));
        let elsewhere = operation_key(TransferId::new(301).unwrap(), 12);
        assert!(decode_operation(&elsewhere, &value)
            .unwrap_err()
            .contains("under the id 301"));
        assert!(decode_operation(&key, &value[..value.len() - 1]).is_err());
        assert_eq!(decode_operation_key(&key[..24]), None);
    }

    #[test]
    fn failed_ids_and_ratings_read_back_checked() {
        let key = entry_key(PREFIX_FAILED, TransferId::new(5).unwrap(), 3);
        assert_eq!(
            decode_entry_key(PREFIX_FAILED, &key),
            Some((TransferId::new(5).unwrap(), 3))
        );
        assert_eq!(decode_entry_key(PREFIX_RATING, &key), None);
        let code = u16::from(ResultCode::CreditAccountNotFound).to_le_bytes();
        assert_eq!(decode_failed(&code), Ok(ResultCode::CreditAccountNotFound));
        assert!(decode_failed(&u16::from(ResultCode::Ok).to_le_bytes()).is_err());
        assert!(decode_failed(&[1]).is_err());
        assert_eq!(check_entry(PREFIX_FAILED, &key, &code), None);
        let rating = entry_key(PREFIX_RATING, TransferId::new(5).unwrap(), 3);
        assert_eq!(decode_rating(&[4]), Ok(4));
        assert!(decode_rating(&[0]).is_err() && decode_rating(&[6]).is_err());
        assert!(check_entry(PREFIX_RATING, &rating, &[9]).is_some());
        assert!(check_entry(PREFIX_RATING, &key, &[3]).is_some());
    }
}
