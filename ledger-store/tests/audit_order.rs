//! The audit (no engine, two halves checked at once) names the same first bad record as a
//! replay: the first in journal order, whichever half found it; and it keeps the sums of every
//! record before a torn tail.

mod support;

use ledger_store::audit::{audit, Totals};
use ledger_store::journal::scan_frames;
use ledger_store::record::{record_hash, HASH_BYTES, OFFSET_SEQUENCE};
use ledger_store::{verify_bytes, CorruptionReason, Error, Store};
use support::*;

/// A closed ledger of a dozen records, and its journal's bytes.
fn journal(name: &str) -> (Scratch, Vec<u8>) {
    let dir = Scratch::new(name);
    let store = new_store(dir.path(), options());
    for batch in 0..10 {
        store
            .create_transfers(services(1 + batch * 3, 3), NOW + batch as u64)
            .unwrap();
    }
    store.close().unwrap();
    let bytes = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    (dir, bytes)
}

#[test]
fn an_early_wrong_sequence_number_is_named_before_a_later_bad_checksum() {
    let (_dir, mut bytes) = journal("audit-order");
    let frames = scan_frames(&bytes).unwrap().frames;
    assert!(frames.len() >= 10);
    // Record 2 rehashed with a wrong sequence number: its hash matches, so only the chain
    // check finds it (in order, after the halves were hashed).
    let (offset, len) = (frames[2].0 as usize, frames[2].1 as usize);
    bytes[offset + OFFSET_SEQUENCE] ^= 0x40;
    let hash = record_hash(&bytes[offset..offset + len - HASH_BYTES]);
    bytes[offset + len - HASH_BYTES..offset + len].copy_from_slice(&hash);
    // A byte flipped in a record of the second half, with whole records after it.
    let late = frames.len() - 2;
    bytes[frames[late].0 as usize + 61] ^= 1;

    let audited = audit(&bytes, None).unwrap_err();
    let Err(Error::Corrupted(replayed)) = verify_bytes(&bytes, None, &mut |_| {}) else {
        panic!("the replay passed a damaged journal");
    };
    assert_eq!(replayed.sequence, 2);
    assert!(matches!(replayed.reason, CorruptionReason::Sequence { .. }));
    assert_eq!(audited, replayed);
}

#[test]
fn the_sums_before_a_torn_tail_are_the_engines() {
    let (dir, bytes) = journal("audit-torn-sums");
    let frames = scan_frames(&bytes).unwrap().frames;
    let (last, _) = *frames.last().unwrap();
    // The last record whole but with a byte its hash does not cover (a torn write of its
    // middle): the audit reports a torn tail and sums every record before it, in both halves.
    let mut torn = bytes.clone();
    torn[last as usize + 61] ^= 1;
    let torn = &torn[..];
    let audited = audit(torn, None).unwrap();
    assert_eq!(
        audited.torn.as_ref().unwrap().sequence,
        frames.len() as u64 - 1
    );
    assert_eq!(audited.records, frames.len() as u64 - 1);
    support::write_records(dir.path().join(JOURNAL_FILE_NAME), torn).unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    for (id, (_, totals)) in &audited.accounts {
        let account = store.account(*id).unwrap();
        assert_eq!(Totals::of(&account), *totals, "account {id:?}");
    }
    assert_eq!(audited.transfers, store.status().transfers as u64);
    store.close().unwrap();
}
