//! A checkpoint holds the state digest of its record's format version (FORMAT.md §5.2 and
//! §5.2.1): one written in version 5 (a journal begun by an earlier binary, or imported in that
//! version) holds the first digest and still verifies, after reopening and in a full
//! verification, beside one written in this version.

mod support;

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
