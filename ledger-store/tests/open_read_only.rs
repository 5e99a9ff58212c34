//! A read-only open (an auditor's copy, a read-only mount, a full disk) reads the journal as a
//! writable open does, from the newest snapshot or in pieces, and answers from a private copy
//! of the index: its memory and time grow with the accounts and the tail, not with the history,
//! and nothing in the data directory changes. It used to read the whole journal into memory and
//! build a temporary index from every record.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ledger_core::ResultCode;
use ledger_store::{verify_dir, Error, IndexRecovery, JournalRead, Store, StoreOptions};
use support::*;

/// Small segments, the newest 100 transfers in memory, no snapshot unless written.
fn evicting() -> StoreOptions {
    options()
        .any_time()
        .segment_bytes(64 << 10)
        .snapshot_after_bytes(u64::MAX)
        .resident_transfers(100)
}

/// 9,000 services in three batches (eviction runs twice), a snapshot, then 20 more.
fn ledger(dir: &Path) {
    let store = new_store(dir, evicting());
    for batch in 0..3u128 {
        let done = store
            .create_transfers(services(1 + batch * 3_000, 3_000), NOW + 1 + batch as u64)
            .unwrap();
        assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    }
    store.write_snapshot().unwrap();
    store
        .create_transfers(services(9_001, 20), NOW + 10)
        .unwrap();
    store.close().unwrap();
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.insert(path, bytes);
            }
        }
    }
    found
}

/// The copies of an index this process has in the system's temporary directory.
fn index_copies() -> Vec<PathBuf> {
    let prefix = format!("timebank-index-copy-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect()
}

#[test]
fn a_read_only_open_starts_from_the_snapshot_with_a_copy_of_the_index_and_writes_nothing() {
    let dir = Scratch::new("read-only-tail");
    ledger(dir.path());
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    let before = files(dir.path());
    assert!(before
        .keys()
        .any(|p| p.starts_with(dir.path().join("index.sled"))));

    let store = Store::open(dir.path(), evicting().read_only()).unwrap();
    let report = store.open_report().clone();
    assert!(report.read_only);
    assert_eq!(report.journal_read, JournalRead::Tail);
    assert!(report.snapshots.used.is_some());
    assert_eq!(report.index, IndexRecovery::Temporary);
    assert_eq!(store.state_digest(), digest);
    assert_eq!(
        index_copies().len(),
        1,
        "the index is read from one private copy"
    );
    // An evicted transfer is loaded from the copy; a statement reads its runs.
    assert!(store.read(|l| l.transfer(tid(12)).is_none()));
    let old = store
        .transfer(tid(12))
        .unwrap()
        .expect("an evicted transfer");
    assert_eq!(old.id(), tid(12));
    let lines = store.statement_lines(account(101)).unwrap();
    assert!(lines > 0);
    assert!(!store
        .statement(account(101), 0, 50)
        .unwrap()
        .lines
        .is_empty());
    assert!(matches!(
        store.create_transfers(services(20_000, 1), NOW + 20),
        Err(Error::ReadOnly)
    ));
    drop(store);

    assert_eq!(
        files(dir.path()),
        before,
        "a read-only open changed the data directory"
    );
    // Gone when the store is: a process that exits next leaves no copy behind.
    assert_eq!(index_copies(), Vec::<PathBuf>::new(), "the copy is removed");
}

#[test]
fn a_read_only_open_without_an_index_rebuilds_one_elsewhere_from_the_journal_in_pieces() {
    let dir = Scratch::new("read-only-no-index");
    ledger(dir.path());
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    std::fs::remove_dir_all(dir.path().join("index.sled")).unwrap();
    let before = files(dir.path());

    let store = Store::open(dir.path(), evicting().read_only()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert_eq!(report.index, IndexRecovery::Temporary);
    assert_eq!(store.state_digest(), digest);
    assert_eq!(
        store.transfer(tid(12)).unwrap().map(|t| t.id()),
        Some(tid(12))
    );
    drop(store);
    assert_eq!(files(dir.path()), before);
    assert!(!dir.path().join("index.sled").exists());
}
