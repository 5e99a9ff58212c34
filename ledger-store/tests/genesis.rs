//! Creating a ledger from a given genesis record, byte for byte.
//!
//! Importing an export used to re-create the ledger from the policy parsed out of the export
//! and serialized again, so any change in `Policy`'s JSON form (a new field, another key order)
//! would give another genesis hash and every later record of an old export would no longer
//! link. `Store::create_from_genesis` writes the exported genesis record itself, after checking
//! that it is one valid genesis record.

mod support;

use ledger_store::journal::{genesis_record, scan_frames};
use ledger_store::record::{append_record, RecordHeader, RecordKind};
use ledger_store::{Error, Store};
use support::*;

/// A policy in a JSON form the store's own serializer would not write (spaces, key order).
const HAND_WRITTEN_POLICY: &[u8] = br#"{ "units": [ { "scale": 2, "name": "hours", "id": 1 } ] }"#;

#[test]
fn a_ledger_created_from_a_genesis_record_holds_exactly_those_bytes() {
    let (genesis, head) = genesis_record(HAND_WRITTEN_POLICY, NOW);
    let dir = Scratch::new("genesis-exact");
    let store = Store::create_from_genesis(dir.path(), &genesis, options()).unwrap();
    assert_eq!(store.status().head_hash, head.hash);
    assert_eq!(store.status().head_sequence, 0);
    store.create_accounts(accounts(), NOW).unwrap();
    let done = store.create_transfers(services(1, 2), NOW).unwrap();
    store.close().unwrap();

    let journal = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    assert_eq!(&journal[..genesis.len()], &genesis[..]);
    // Re-serializing the parsed policy would have made another record.
    let parsed =
        ledger_core::Policy::from_json(std::str::from_utf8(HAND_WRITTEN_POLICY).unwrap()).unwrap();
    let reserialized = genesis_record(&serde_json::to_vec(&parsed).unwrap(), NOW).0;
    assert_ne!(reserialized, genesis);
    // The ledger is an ordinary one: it reopens, verifies and keeps what was committed.
    let store = Store::open(dir.path(), options()).unwrap();
    store.verify(&mut |_| {}).unwrap();
    assert!(store.transfer(tid(2)).unwrap().is_some());
    assert_eq!(store.status().head_hash, done.hash);
}

#[test]
fn the_genesis_record_of_a_journal_recreates_its_first_record() {
    let original = Scratch::new("genesis-source");
    drop(new_store(original.path(), options()));
    let journal = support::read_records(original.path().join(JOURNAL_FILE_NAME)).unwrap();
    let (offset, len) = scan_frames(&journal).unwrap().frames[0];
    let genesis = &journal[offset as usize..(offset + u64::from(len)) as usize];

    let copy = Scratch::new("genesis-copy");
    drop(Store::create_from_genesis(copy.path(), genesis, options()).unwrap());
    assert_eq!(
        support::read_records(copy.path().join(JOURNAL_FILE_NAME)).unwrap(),
        genesis
    );
    // A second creation in the same place is refused like `create`'s.
    assert!(matches!(
        Store::create_from_genesis(copy.path(), genesis, options()),
        Err(Error::AlreadyExists(_))
    ));
}

fn record(kind: RecordKind, sequence: u64, prev_hash: [u8; 32], body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let header = RecordHeader {
        kind,
        sequence,
        now: NOW,
        prev_hash,
    };
    append_record(&mut bytes, &header, |b| b.extend_from_slice(body));
    bytes
}

#[test]
fn anything_but_one_valid_genesis_record_is_refused_and_nothing_is_written() {
    let (genesis, head) = genesis_record(HAND_WRITTEN_POLICY, NOW);
    let mut flipped = genesis.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let mut two_records = genesis.clone();
    two_records.extend_from_slice(&record(RecordKind::Checkpoint, 1, head.hash, &[0; 64]));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("cut short", genesis[..genesis.len() - 1].to_vec()),
        ("hash does not match", flipped),
        ("two records", two_records),
        ("trailing byte", [&genesis[..], &[0]].concat()),
        (
            "not genesis",
            record(RecordKind::Checkpoint, 0, [0; 32], &[0; 64]),
        ),
        (
            "sequence 1",
            record(RecordKind::Genesis, 1, [0; 32], HAND_WRITTEN_POLICY),
        ),
        (
            "linked",
            record(RecordKind::Genesis, 0, [7; 32], HAND_WRITTEN_POLICY),
        ),
    ];
    for (what, bytes) in cases {
        let dir = Scratch::new("genesis-bad");
        match Store::create_from_genesis(dir.path(), &bytes, options()) {
            Err(Error::InvalidGenesis(why)) => assert!(!why.is_empty(), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
        assert!(!dir.path().join(JOURNAL_FILE_NAME).exists(), "{what}");
    }
    for bad_policy in [&b"not json"[..], br#"{"units":[]}"#] {
        let dir = Scratch::new("genesis-bad-policy");
        let bytes = record(RecordKind::Genesis, 0, [0; 32], bad_policy);
        let refused = Store::create_from_genesis(dir.path(), &bytes, options());
        assert!(matches!(refused, Err(Error::Policy(_))), "{refused:?}");
        assert!(!dir.path().join(JOURNAL_FILE_NAME).exists());
    }
}
