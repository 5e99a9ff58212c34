//! Operations the engine no longer holds, as the sled index keeps them (FORMAT.md §10): one key
//! per operation and eviction, `o` ‖ id ‖ the sequence of the last record applied when it was
//! evicted, whose value is the operation in the engine state's encoding (§16.1).
//!
//! An operation never changes once it ran, so every version of one holds the same bytes; the
//! sequence only says from which record on a replay may see it (a replay applying record `p`
//! takes a version below `p`, as it does for transfers, `index_evicted`).

use ledger_core::operation::OperationRecord;
use ledger_core::snapshot::{decode_operation_record, encode_operation_record};
use ledger_core::TransferId;

pub const PREFIX_OPERATION: u8 = b'o';
/// `o`, the operation's id, the sequence.
pub const OPERATION_KEY_BYTES: usize = 1 + 16 + 8;

/// `o` ‖ operation id (u128 BE) ‖ sequence (u64 BE).
pub fn operation_key(id: TransferId, sequence: u64) -> [u8; OPERATION_KEY_BYTES] {
    let mut key = [PREFIX_OPERATION; OPERATION_KEY_BYTES];
    key[1..17].copy_from_slice(&id.get().to_be_bytes());
    key[17..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// The id and sequence a key names, or `None` when it is not a well-formed `o` key.
pub fn decode_operation_key(key: &[u8]) -> Option<(TransferId, u64)> {
    let key: &[u8; OPERATION_KEY_BYTES] = key.try_into().ok()?;
    if key[0] != PREFIX_OPERATION {
        return None;
    }
    let id = TransferId::new(u128::from_be_bytes(key[1..17].try_into().ok()?))?;
    Some((id, u64::from_be_bytes(key[17..].try_into().ok()?)))
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
    use ledger_core::{EventResult, ResultCode};

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
}
