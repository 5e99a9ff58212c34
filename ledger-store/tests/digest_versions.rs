//! A checkpoint holds the state digest of its record's format version (FORMAT.md §5.2, §5.2.1
//! and §5.2.2): one written in version 5 or 6 (a journal begun by an earlier binary, or
//! imported in that version) holds the first or the second digest and still verifies, after
//! reopening and in a full verification, beside one written in this version.

mod support;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{Amount, Command, Rating, ResultCode, Transfer};
use ledger_store::{verify_dir, Checkpoint, Store};
use support::*;

#[test]
fn checkpoints_of_both_digest_versions_verify_beside_each_other() {
    let dir = Scratch::new("digest-versions");
    let store = new_store(dir.path(), options());
    // More than one chunk of the history chain (4,096 transfers), so the chain is not empty.
    for first in (1..=5_000u128).step_by(1_000) {
        store.create_transfers(services(first, 1_000), NOW).unwrap();
    }
    let old = store.checkpoint_in(5).unwrap();
    store.create_transfers(services(10_001, 10), NOW).unwrap();
    let new = store.checkpoint().unwrap();
    assert_eq!(new.state_digest, store.status().state_digest);
    assert_ne!(old.state_digest, new.state_digest);
    store.verify(&mut |_| {}).unwrap();
    // A line published from either verifies against the journal.
    store.verify_published(&old).unwrap();
    store.verify_published(&new).unwrap();
    let mut forged = Checkpoint::from_text(&old.to_text()).unwrap();
    forged.state_digest[0] ^= 1;
    assert!(store.verify_published(&forged).is_err());
    store.close().unwrap();

    // Opening replays both checkpoints against their own digests; so does an auditor's check.
    let reopened = Store::open(dir.path(), options()).unwrap();
    assert_eq!(reopened.status().state_digest, new.state_digest);
    reopened.close().unwrap();
    verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
}

/// The second digest writes every failed id, rating and operation; the third takes them
/// through chains. Both checkpoints are signed at the same state, so their digests differ only
/// by the version.
#[test]
fn checkpoints_of_the_second_and_third_digests_verify_beside_each_other() {
    let dir = Scratch::new("digest-versions-2-3");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 10), NOW).unwrap();
    let nowhere = Transfer::new(
        tid(50),
        account(FUND),
        account(999),
        Amount::from_minor(1, 2).unwrap(),
        HOURS,
    );
    let failed = store.create_transfers(vec![nowhere], NOW).unwrap();
    let ledger_core::Reply::Events(results) = failed.reply else {
        panic!("a batch of transfers answers with events");
    };
    assert_eq!(results[0].code, ResultCode::CreditAccountNotFound);
    let rating = Rating {
        transfer: tid(1),
        rating: 5,
    };
    store
        .submit(Command::RecordRatings(vec![rating]), NOW)
        .unwrap();
    let service = Operation {
        id: tid(60),
        kind: OperationKind::Service(ServiceRecord {
            code: 1,
            payer: account(FUND),
            provider: account(100),
            hours: Amount::from_minor(100, 2).unwrap(),
            served_at: None,
            donation: None,
            points: None,
            user_data: 0,
        }),
    };
    store.submit(Command::Operate(service), NOW).unwrap();

    let second = store.checkpoint_in(6).unwrap();
    let third = store.checkpoint().unwrap();
    assert_eq!(third.state_digest, store.status().state_digest);
    assert_ne!(second.state_digest, third.state_digest);
    store.verify(&mut |_| {}).unwrap();
    store.verify_published(&second).unwrap();
    store.verify_published(&third).unwrap();
    let mut forged = Checkpoint::from_text(&second.to_text()).unwrap();
    forged.state_digest[31] ^= 1;
    assert!(store.verify_published(&forged).is_err());
    store.close().unwrap();

    let reopened = Store::open(dir.path(), options()).unwrap();
    assert_eq!(reopened.status().state_digest, third.state_digest);
    reopened.close().unwrap();
    verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
}

/// A replay that lets transfers go cannot compute the first two digests, which hash every
/// transfer (or failed id, rating, operation): it keeps them all up to the last checkpoint of
/// an earlier format, and lets them go after it. `verify` (whose replay keeps 16,384) and an
/// open that replays with `resident_transfers` both check such a journal.
#[test]
fn a_replay_that_evicts_still_checks_checkpoints_of_the_earlier_digests() {
    let dir = Scratch::new("digest-versions-evicting");
    let store = new_store(dir.path(), options().snapshot_after_bytes(u64::MAX));
    for first in (1..=30_000u128).step_by(1_000) {
        store.create_transfers(services(first, 1_000), NOW).unwrap();
    }
    store.checkpoint_in(5).unwrap();
    for first in (40_001..=50_000u128).step_by(1_000) {
        store.create_transfers(services(first, 1_000), NOW).unwrap();
    }
    store.checkpoint_in(6).unwrap();
    for first in (60_001..=80_000u128).step_by(1_000) {
        store.create_transfers(services(first, 1_000), NOW).unwrap();
    }
    let digest = store.checkpoint().unwrap().state_digest;
    store.close().unwrap();

    let verified = verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
    assert_eq!(verified.state_digest, digest);
    // An open that rebuilds the index replays the journal, evicting as it goes.
    std::fs::remove_dir_all(dir.path().join("index.sled")).unwrap();
    let evicting = options()
        .snapshot_after_bytes(u64::MAX)
        .resident_transfers(100);
    let store = Store::open(dir.path(), evicting.clone()).unwrap();
    assert_eq!(store.status().state_digest, digest);
    assert!(store.read(|l| l.evicted_transfer_count()) > 0);
    store.verify(&mut |_| {}).unwrap();
    store.close().unwrap();
    let store = Store::open(dir.path(), evicting).unwrap();
    assert_eq!(store.status().state_digest, digest);
    store.close().unwrap();
}
