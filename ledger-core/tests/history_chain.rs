//! The transfers enter the state digest through their history chain (FORMAT.md §5.2): the digest
//! is the same however the transfers were batched (so whenever their chunks were hashed), a
//! snapshot decodes to the same digest, and every transfer is covered, also one deep inside a
//! chunk hashed long ago.

mod engine_support;

use engine_support::*;
use ledger_core::history::HISTORY_CHUNK_TRANSFERS;
use ledger_core::snapshot::{decode, decode_digested, digest, encode};
use ledger_core::{Ledger, Transfer, TransferState};

/// Two full chunks and part of a third.
const EVENTS: u128 = 2 * HISTORY_CHUNK_TRANSFERS as u128 + 100;
/// Marks the user data of one early transfer, to find its bytes in a snapshot.
const MARK: u128 = 0x5eed_5eed_5eed_5eed_5eed_5eed_5eed_5eed;

/// Marks the user data of one early hold left pending.
const HOLD_MARK: u128 = 0x401d_401d_401d_401d_401d_401d_401d_401d;

/// Payments and holds; then, in the last chunk, posts and voids of some of the holds and a
/// reversal of the very first payment. The holds left pending include early ones.
fn events() -> Vec<Transfer> {
    let mut events = Vec::new();
    for n in 1..=EVENTS - 60 {
        events.push(match n % 5 {
            0 => hold(n, FUND, BOB, "0.01").user_data(if n == 200 { HOLD_MARK } else { n }),
            2 => pay(n, FUND, ALICE, "0.01").user_data(if n == 2 { MARK } else { n }),
            _ => pay(n, FUND, ALICE, "0.01"),
        });
    }
    for k in 0..30u128 {
        let pending = 5 * (k + 1);
        let id = 1_000_000 + k;
        events.push(if k % 2 == 0 {
            Transfer::post(tid(id), tid(pending), None)
        } else {
            Transfer::void(tid(id), tid(pending))
        });
    }
    events.push(Transfer::reversal(tid(2_000_000), tid(1)));
    events
}

/// A ledger that applied `events` in batches of the sizes `sizes` gives in turn, each batch
/// at the same instant (so the timestamps are the same whatever the batching).
fn applied(sizes: impl Fn(usize) -> usize) -> Ledger {
    let mut f = Fixture::new();
    let events = events();
    let mut at = 0;
    let mut batch = 0;
    while at < events.len() {
        let end = (at + sizes(batch).max(1)).min(events.len());
        let results = f.ledger.create_transfers(&events[at..end], 0).unwrap();
        assert!(results
            .iter()
            .all(|r| r.code == ledger_core::ResultCode::Ok));
        at = end;
        batch += 1;
    }
    f.ledger
}

/// Where the user data `mark` stands in a snapshot's bytes (it must stand there once).
fn where_marked(bytes: &[u8], mark: u128) -> usize {
    let mark = mark.to_le_bytes();
    let found: Vec<usize> = bytes
        .windows(mark.len())
        .enumerate()
        .filter(|(_, w)| *w == mark)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(found.len(), 1, "the mark stands once in the snapshot");
    found[0]
}

#[test]
fn the_digest_does_not_depend_on_the_batches_nor_on_when_chunks_were_hashed() {
    let whole = applied(|_| 8_190);
    let ones = applied(|_| 1);
    let mixed = applied(|b| [1, 4_095, 17, 4_097, 3][b % 5]);
    assert_eq!(whole.transfer_count(), ones.transfer_count());
    assert!(whole.transfer_count() > 2 * HISTORY_CHUNK_TRANSFERS);
    assert_eq!(
        whole.transfer(tid(10)).unwrap().state,
        TransferState::PendingVoided
    );
    assert_eq!(
        whole.transfer(tid(5)).unwrap().state,
        TransferState::PendingPosted
    );
    assert_eq!(
        whole.transfer(tid(200)).unwrap().state,
        TransferState::Pending
    );
    assert_eq!(ones.state_digest(), whole.state_digest());
    assert_eq!(mixed.state_digest(), whole.state_digest());
    assert_eq!(ones.state_digest_v1(), whole.state_digest_v1());

    let bytes = encode(&whole);
    assert_eq!(decode(&bytes).unwrap().state_digest(), whole.state_digest());
    let (decoded, along) = decode_digested(&bytes).unwrap();
    assert_eq!(along, whole.state_digest());
    assert_eq!(decoded.state_digest(), whole.state_digest());
    assert_eq!(digest(&bytes), Ok(whole.state_digest()));
}

#[test]
fn a_change_to_a_transfer_in_an_early_chunk_changes_the_digest() {
    let ledger = applied(|_| 8_190);
    let bytes = encode(&ledger);
    let at = where_marked(&bytes, MARK);
    let mut changed = bytes.clone();
    changed[at] ^= 1;
    let decoded = decode(&changed).expect("user data is not checked when decoding");
    assert_eq!(decoded.transfer(tid(2)).unwrap().user_data(), MARK ^ 1);
    assert_ne!(decoded.state_digest(), ledger.state_digest());
    assert_eq!(digest(&changed), Ok(decoded.state_digest()));
}

#[test]
fn a_hold_in_an_early_chunk_still_pending_is_told_from_one_expired() {
    let ledger = applied(|_| 8_190);
    assert_eq!(
        ledger.transfer(tid(200)).unwrap().state,
        TransferState::Pending
    );
    let bytes = encode(&ledger);
    let at = where_marked(&bytes, HOLD_MARK);
    // After a plain hold's user data: no served_at, its applied fields as requested, then
    // its timestamp and its state (FORMAT.md §16.1).
    let state_at = at + 16 + 8;
    assert_eq!(bytes[state_at], 2, "pending");
    let mut expired = bytes.clone();
    expired[state_at] = 5;
    let decoded = decode(&expired).expect("a state byte alone is not checked against balances");
    assert_eq!(
        decoded.transfer(tid(200)).unwrap().state,
        TransferState::PendingExpired
    );
    assert_ne!(decoded.state_digest(), ledger.state_digest());

    let settled = |last: Transfer| {
        let mut ledger = ledger.clone();
        let results = ledger.create_transfers(&[last], 0).unwrap();
        assert_eq!(results[0].code, ledger_core::ResultCode::Ok);
        ledger.state_digest()
    };
    let posted = settled(Transfer::post(tid(3_000_000), tid(200), None));
    let voided = settled(Transfer::void(tid(3_000_000), tid(200)));
    assert_ne!(posted, voided);
}
