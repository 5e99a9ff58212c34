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
//! and a key costs sled more than the record's bytes do. Steps, not whole records: the
//! transfers of a run share most fields (unit, code, flags, often accounts) and have near
//! timestamps, so each field written as the step from the one before takes a byte or two, and
//! sled writes every byte it keeps about three times (its log, page rewrites, cleaning).

use ledger_core::snapshot::{decode_transfer_record, encode_transfer_record};
use ledger_core::{TransferId, TransferRecord};

use crate::leb128;

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

/// Bits of a transfer's presence byte (§16.1, "A transfer is") that decide which fields follow.
const HAS_DEBIT: u8 = 1 << 0;
const HAS_CREDIT: u8 = 1 << 1;
const HAS_AMOUNT: u8 = 1 << 2;
const HAS_RELATED: u8 = 1 << 3;
const HAS_SERVED_AT: u8 = 1 << 4;
const HAS_REVERSED_BY: u8 = 1 << 5;
const AS_REQUESTED: u8 = 1 << 6;

/// Where a transfer's id ends and its presence byte sits in the §16.1 encoding.
const ID_BYTES: usize = 16;

/// The fields of a transfer's §16.1 encoding after its id and presence byte, in order, each
/// with its width in bytes, whether the run writes it as a step from the same field of the
/// transfer before (else the byte itself), and the presence bits that put it there (all of
/// them set; `AS_REQUESTED` counts when clear).
const FIELDS: [(usize, bool, u8); 20] = [
    (16, true, HAS_DEBIT),       // debit
    (16, true, HAS_CREDIT),      // credit
    (8, true, HAS_AMOUNT),       // amount: mantissa
    (1, false, HAS_AMOUNT),      // amount: scale
    (16, true, HAS_RELATED),     // related id
    (2, true, 0),                // unit
    (2, true, 0),                // code
    (2, true, 0),                // flags
    (4, true, 0),                // timeout_s
    (16, true, 0),               // user_data
    (8, true, HAS_SERVED_AT),    // served_at
    (16, true, AS_REQUESTED),    // applied debit
    (16, true, AS_REQUESTED),    // applied credit
    (2, true, AS_REQUESTED),     // applied unit
    (2, true, AS_REQUESTED),     // applied code
    (8, true, AS_REQUESTED),     // applied amount: mantissa
    (1, false, AS_REQUESTED),    // applied amount: scale
    (8, true, 0),                // timestamp
    (1, false, 0),               // state
    (16, true, HAS_REVERSED_BY), // reversed_by
];

/// Whether the field `(width, step, bit)` of [`FIELDS`] is in a transfer with presence byte
/// `present`.
fn field_present(present: u8, bit: u8) -> bool {
    match bit {
        0 => true,
        AS_REQUESTED => present & AS_REQUESTED == 0,
        bit => present & bit != 0,
    }
}

fn read_le(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .rev()
        .fold(0u128, |n, &byte| (n << 8) | u128::from(byte))
}

/// The value of a run: u8 count, then per record its presence byte and each field its §16.1
/// encoding holds after that byte, a byte field as itself, a wider one as the LEB128 of its
/// step from the same field's last value in the run (0 before any), as FORMAT.md §10 states.
pub fn encode_evicted<'a>(records: impl ExactSizeIterator<Item = &'a TransferRecord>) -> Vec<u8> {
    debug_assert!((1..=EVICTED_RUN_MAX).contains(&records.len()));
    let mut value = Vec::with_capacity(1 + records.len() * 24);
    value.push(records.len() as u8);
    let mut last = [0u128; FIELDS.len()];
    let mut one = Vec::with_capacity(128);
    for record in records {
        one.clear();
        encode_transfer_record(record, &mut one);
        let present = one[ID_BYTES];
        value.push(present);
        let mut at = ID_BYTES + 1;
        for (slot, &(width, stepped, bit)) in FIELDS.iter().enumerate() {
            if !field_present(present, bit) {
                continue;
            }
            let field = &one[at..at + width];
            at += width;
            if stepped {
                let n = read_le(field);
                leb128::put(&mut value, leb128::step(last[slot], n, 8 * width as u32));
                last[slot] = n;
            } else {
                value.extend_from_slice(field);
            }
        }
        debug_assert_eq!(
            at,
            one.len(),
            "every byte of the transfer's encoding written"
        );
    }
    value
}

/// How many records the run `value` says it holds (its first byte), without decoding them.
pub fn evicted_run_len(value: &[u8]) -> usize {
    value.first().map_or(0, |&n| usize::from(n))
}

/// The run stored under `key` with `value`: its first id, sequence and records; or why it is
/// damage (a key not of the layout, a count of 0 or above 64, a record cut short, a step not
/// in its shortest LEB128 form or wider than its field, a record the engine's decoder refuses,
/// bytes after the last).
pub fn decode_evicted(
    key: &[u8],
    value: &[u8],
) -> Result<(TransferId, u64, Vec<TransferRecord>), String> {
    let (first, sequence) = decode_evicted_key(key)
        .ok_or_else(|| format!("evicted transfer key {key:?} is damaged"))?;
    let count = evicted_run_len(value);
    let mut records = Vec::with_capacity(count);
    let mut last = [0u128; FIELDS.len()];
    let mut rest = value.get(1..).unwrap_or_default();
    let mut one = Vec::with_capacity(128);
    let damaged = |place: usize, why: &str| {
        let id = first.get().saturating_add(place as u128);
        format!("evicted transfer {id} (version at sequence {sequence}) is damaged: {why}")
    };
    if !(1..=EVICTED_RUN_MAX).contains(&count) {
        return Err(damaged(0, "a run of 1 to 64 records"));
    }
    for place in 0..count {
        let id = first
            .get()
            .checked_add(place as u128)
            .ok_or_else(|| damaged(place, "ids past the largest"))?;
        let (&present, after) = rest
            .split_first()
            .ok_or_else(|| damaged(place, "cut short"))?;
        rest = after;
        one.clear();
        one.extend_from_slice(&id.to_le_bytes());
        one.push(present);
        for (slot, &(width, stepped, bit)) in FIELDS.iter().enumerate() {
            if !field_present(present, bit) {
                continue;
            }
            if stepped {
                let bits = 8 * width as u32;
                let step = leb128::take(&mut rest, leb128::field_max(bits))
                    .ok_or_else(|| damaged(place, "a field cut short or out of its form"))?;
                let n = leb128::apply_step(last[slot], step, bits);
                one.extend_from_slice(&n.to_le_bytes()[..width]);
                last[slot] = n;
            } else {
                let (&byte, after) = rest
                    .split_first()
                    .ok_or_else(|| damaged(place, "cut short"))?;
                rest = after;
                one.push(byte);
            }
        }
        let record = decode_transfer_record(&one).map_err(|e| damaged(place, &e.to_string()))?;
        records.push(record);
    }
    if !rest.is_empty() {
        return Err(damaged(count - 1, "bytes after the last record"));
    }
    Ok((first, sequence, records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{AccountId, Amount, Transfer, TransferFlags, TransferState};

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

    /// Transfers of every shape the encoding has: plain, a hold, a post naming its hold with
    /// applied fields of its own, a late service, a reversed one, with large ids and fields
    /// that step back.
    fn varied(first: u128) -> Vec<TransferRecord> {
        let account = |n: u128| AccountId::new(n).unwrap();
        let amount = |s: &str| -> Amount { s.parse().unwrap() };
        let mut plain = record(first);
        plain.state = TransferState::Posted;
        let mut hold = Transfer::new(
            tid(first + 1),
            account(u128::MAX),
            account(3),
            amount("2"),
            7,
        );
        hold.flags = TransferFlags::PENDING;
        hold.timeout_s = 3_600;
        hold.user_data = u128::MAX - 5;
        hold.code = 40_000;
        let mut held = TransferRecord::new(
            &hold,
            account(u128::MAX),
            account(3),
            7,
            40_000,
            amount("2"),
            900,
        );
        held.state = TransferState::PendingPosted;
        let post = Transfer::post(tid(first + 2), tid(first + 1), Some(amount("1.25")));
        let posted = TransferRecord::new(
            &post,
            account(u128::MAX),
            account(3),
            7,
            40_000,
            amount("1.25"),
            901,
        );
        let mut late = Transfer::new(
            tid(first + 3),
            account(2),
            account(1),
            amount("0.000001"),
            1,
        );
        late.served_at = Some(500);
        let mut reversed = TransferRecord::new(
            &late,
            account(2),
            account(1),
            1,
            0,
            amount("0.000001"),
            u64::MAX,
        );
        reversed.reversed_by = Some(tid(u128::MAX));
        vec![plain, held, posted, reversed, record(first + 4)]
    }

    #[test]
    fn a_run_round_trips_every_shape_of_transfer_in_fewer_bytes() {
        let records = varied(5);
        let value = encode_evicted(records.iter());
        let (id, sequence, back) = decode_evicted(&evicted_key(tid(5), 9), &value).unwrap();
        assert_eq!((id, sequence, &back), (tid(5), 9, &records));
        let mut one = Vec::new();
        let full: usize = records
            .iter()
            .map(|r| {
                one.clear();
                encode_transfer_record(r, &mut one);
                2 + one.len()
            })
            .sum();
        assert!(
            value.len() * 2 < full,
            "{} bytes against {full}",
            value.len()
        );
        // A run of plain transfers differing in id and timestamp: a few bytes each.
        let plain: Vec<TransferRecord> = (100..164).map(record).collect();
        let value = encode_evicted(plain.iter());
        assert!(value.len() < 1 + 64 * 16, "{} bytes", value.len());
        let back = decode_evicted(&evicted_key(tid(100), 1), &value).unwrap().2;
        assert_eq!(back, plain);
    }

    #[test]
    fn a_damaged_run_is_refused_naming_an_id_never_a_panic() {
        let records = varied(5);
        let value = encode_evicted(records.iter());
        let key = evicted_key(tid(5), 9);
        // The key gives the ids: the same bytes under another first id are the same transfers
        // with ids from that one on.
        let moved = decode_evicted(&evicted_key(tid(6), 9), &value).unwrap().2;
        assert_eq!(moved[0].id(), tid(6));
        // Every cut, every byte flipped, a byte added: an error naming an id of the run, or
        // (a flip that still reads as transfers) a run of other transfers; never a panic.
        for cut in 0..value.len() {
            let why = decode_evicted(&key, &value[..cut]).unwrap_err();
            assert!(why.contains("evicted transfer "), "{why}");
        }
        for at in 0..value.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = value.clone();
                bad[at] ^= flip;
                if let Err(why) = decode_evicted(&key, &bad) {
                    assert!(why.starts_with("evicted transfer "), "{why}");
                }
            }
        }
        let longer = [&value[..], &[0]].concat();
        let why = decode_evicted(&key, &longer).unwrap_err();
        assert!(why.contains("bytes after the last"), "{why}");
        assert!(decode_evicted(&key, &[0]).is_err());
        assert!(decode_evicted(&key, &[65]).is_err());
        assert!(decode_evicted(&key[..20], &value).is_err());
        // A step not in its shortest form, and one wider than its field (unit is 16 bits).
        let plain = encode_evicted([record(5)].iter());
        let mut long = plain.clone();
        long.splice(2..3, [plain[2] | 0x80, 0x00]);
        let why = decode_evicted(&key, &long).unwrap_err();
        assert!(why.contains("out of its form"), "{why}");
        let unit_at = {
            // count, presence, debit, credit, mantissa, scale, then the unit.
            let mut rest = &plain[2..];
            for _ in 0..3 {
                leb128::take(&mut rest, u128::MAX).unwrap();
            }
            plain.len() - rest.len() + 1
        };
        let mut wide = plain.clone();
        wide.splice(unit_at..unit_at + 1, [0x80, 0x80, 0x04]);
        let why = decode_evicted(&key, &wide).unwrap_err();
        assert!(why.contains("out of its form"), "{why}");
        // A presence byte with its undefined bit: the engine's decoder refuses the record.
        let mut undefined = plain.clone();
        undefined[1] |= 0x80;
        let why = decode_evicted(&key, &undefined).unwrap_err();
        assert!(why.contains("evicted transfer 5"), "{why}");
        // The last id: a run may not pass it.
        let last = decode_evicted(
            &evicted_key(tid(u128::MAX), 1),
            &encode_evicted([record(9), record(10)].iter()),
        );
        assert!(last.unwrap_err().contains("past the largest"));
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
