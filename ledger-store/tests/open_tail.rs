//! Opening from a snapshot reads only the journal's tail: the segments from the one that holds
//! the snapshot's record on (docs/FORMAT.md §16.2). The state, the roots and the proofs are a
//! whole open's; the records before the snapshot are read only when a proof first needs them,
//! and a change there is found then, by `verify`, and by an open that reads the whole journal.

mod support;

use std::path::{Path, PathBuf};

use ledger_store::{verify_dir, Error, Store, StoreOptions};
use support::*;

/// Small segments (a few records each), snapshots only when asked for.
fn segmented() -> StoreOptions {
    options()
        .snapshot_after_bytes(u64::MAX)
        .segment_bytes(4_096)
}

/// A ledger of 40 batches of ten services over a dozen segments, a snapshot after batch 30;
/// the snapshot's record.
fn ledger(dir: &Path) -> u64 {
    let store = new_store(dir, segmented());
    let mut snapshot = 0;
    for b in 0..40u128 {
        let batch = services(1_000 + b * 10, 10);
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
        if b == 30 {
            snapshot = store.write_snapshot().unwrap().sequence;
        }
    }
    store.close().unwrap();
    snapshot
}

fn segment(dir: &Path, n: u64) -> PathBuf {
    dir.join("journal").join(format!("{n:08}.tbj"))
}

fn segments(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("journal")).unwrap().count() as u64
}

#[test]
fn an_open_from_a_snapshot_gives_a_whole_opens_state_roots_and_proofs() {
    let dir = Scratch::new("open-tail-same");
    let snapshot = ledger(dir.path());
    assert!(segments(dir.path()) > 8, "the test needs many segments");
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;

    let tail = Store::open(dir.path(), segmented()).unwrap();
    let report = tail.open_report().clone();
    assert_eq!(report.snapshots.used.map(|u| u.sequence), Some(snapshot));
    assert_eq!(tail.state_digest(), digest);
    let size = tail.tree_size();
    assert_eq!(report.records, size);
    // The root of the whole tree and a signed claim come from the frontier alone.
    let claim = tail.checkpoint_claim();
    let root = tail.tree_root(size);
    let roots: Vec<_> = (0..=size).map(|n| tail.tree_root(n)).collect();
    let inclusions: Vec<_> = (0..size)
        .map(|m| tail.inclusion_proof(m, size).unwrap())
        .collect();
    let consistencies: Vec<_> = (1..size)
        .map(|n| tail.consistency_proof(n, size).unwrap())
        .collect();
    tail.close().unwrap();

    let (whole, _copy) = open_whole(dir.path(), segmented());
    assert_eq!(whole.state_digest(), digest);
    assert_eq!(whole.tree_size(), size);
    assert_eq!(root, whole.tree_root(size));
    assert_eq!(claim.root, whole.checkpoint_claim().root);
    for n in 0..=size {
        assert_eq!(roots[n as usize], whole.tree_root(n), "root of {n}");
    }
    for m in 0..size {
        assert_eq!(
            inclusions[m as usize],
            whole.inclusion_proof(m, size).unwrap()
        );
    }
    for n in 1..size {
        let proof = whole.consistency_proof(n, size).unwrap();
        assert_eq!(consistencies[n as usize - 1], proof, "consistency from {n}");
    }
    whole.close().unwrap();

    // The store goes on from the tail as from the whole journal.
    let tail = Store::open(dir.path(), segmented()).unwrap();
    tail.create_transfers(services(9_000, 10), NOW + 100)
        .unwrap();
    let live = (tail.state_digest(), tail.tree_root(tail.tree_size()));
    tail.close().unwrap();
    let (whole, _copy) = open_whole(dir.path(), segmented());
    assert_eq!(
        (whole.state_digest(), whole.tree_root(whole.tree_size())),
        live
    );
}

/// Flips the last byte of the stored hash of the first record of segment `n`.
fn change_a_record_hash(dir: &Path, n: u64) {
    let path = segment(dir, n);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = 88; // the segment header's size
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    bytes[at + len - 1] ^= 1;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_change_before_the_snapshot_is_not_read_by_the_open_and_is_found_by_proofs_and_verify() {
    let dir = Scratch::new("open-tail-changed");
    let snapshot = ledger(dir.path());
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    change_a_record_hash(dir.path(), 2);

    let store = Store::open(dir.path(), segmented()).unwrap();
    assert_eq!(
        store
            .open_report()
            .snapshots
            .used
            .as_ref()
            .map(|u| u.sequence),
        Some(snapshot)
    );
    assert_eq!(store.state_digest(), digest);
    let size = store.tree_size();
    assert!(store.tree_root(size).is_some());
    // The first proof that needs the records before the snapshot reads them, and finds out.
    let err = store.inclusion_proof(1, size).unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
    assert!(err.to_string().contains("Merkle tree of records"), "{err}");
    // What the store had stays: the root and proofs of the tail's records.
    assert!(store.tree_root(size).is_some());
    assert!(store.inclusion_proof(size - 1, size).is_ok());
    store.close().unwrap();

    assert!(matches!(
        verify_dir(dir.path(), Some(&KEY), &mut |_| {}),
        Err(Error::Corrupted(_))
    ));
    // Without the snapshot, an open reads the whole journal and refuses it.
    std::fs::remove_dir_all(dir.path().join("snapshots")).unwrap();
    let err = Store::open(dir.path(), segmented()).unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
}

#[test]
fn a_torn_tail_is_cut_by_an_open_from_a_snapshot_as_by_a_whole_open() {
    let dir = Scratch::new("open-tail-torn");
    let snapshot = ledger(dir.path());
    let last = segment(dir.path(), segments(dir.path()));
    let before = std::fs::metadata(&last).unwrap().len();
    let mut bytes = std::fs::read(&last).unwrap();
    bytes.extend_from_slice(b"TBJR\x00\x10\x00\x00partial");
    std::fs::write(&last, bytes).unwrap();

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.snapshots.used.map(|u| u.sequence), Some(snapshot));
    let torn = report.torn_tail.expect("the torn tail is reported");
    assert_eq!(torn.len, 15);
    assert_eq!(std::fs::metadata(&last).unwrap().len(), before);
    store
        .create_transfers(services(9_000, 10), NOW + 100)
        .unwrap();
    let live = store.state_digest();
    store.close().unwrap();
    let replayed = verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
    assert_eq!(replayed.state_digest, live);
}

#[test]
fn a_missing_or_archived_segment_is_named_as_when_the_whole_journal_is_read() {
    let dir = Scratch::new("open-tail-segments");
    ledger(dir.path());
    // A segment before the snapshot's, gone: not read by a tail open, but its absence is seen.
    let second = std::fs::read(segment(dir.path(), 2)).unwrap();
    std::fs::remove_file(segment(dir.path(), 2)).unwrap();
    let err = Store::open(dir.path(), segmented()).unwrap_err();
    assert!(
        err.to_string().contains("segment 00000002 is missing"),
        "{err}"
    );
    std::fs::write(segment(dir.path(), 2), second).unwrap();

    // The newest segment moved to an archive directory: it is written, so it must stay.
    let archive = Scratch::new("open-tail-archive");
    let newest = segments(dir.path());
    let name = format!("{newest:08}.tbj");
    std::fs::rename(segment(dir.path(), newest), archive.path().join(&name)).unwrap();
    let err = Store::open(dir.path(), segmented().segments_from(archive.path())).unwrap_err();
    assert!(
        err.to_string().contains("is not in the data directory"),
        "{err}"
    );
    std::fs::rename(archive.path().join(&name), segment(dir.path(), newest)).unwrap();
    Store::open(dir.path(), segmented())
        .unwrap()
        .close()
        .unwrap();
}

#[test]
fn a_damaged_newest_snapshot_falls_back_to_an_older_one_from_a_longer_tail() {
    let dir = Scratch::new("open-tail-older");
    let store = new_store(dir.path(), segmented());
    let mut snapshots = Vec::new();
    for b in 0..40u128 {
        let batch = services(1_000 + b * 10, 10);
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
        if b == 20 || b == 30 {
            snapshots.push(store.write_snapshot().unwrap().sequence);
        }
    }
    store.close().unwrap();
    let (older, newest) = (snapshots[0], snapshots[1]);
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    let name = |sequence: u64| format!("{sequence:020}.tbs");
    let damage = |sequence: u64| {
        let path = dir.path().join("snapshots").join(name(sequence));
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x10;
        std::fs::write(&path, bytes).unwrap();
    };
    damage(newest);
    // A record before both snapshots changes: only a read of the whole journal sees it.
    change_a_record_hash(dir.path(), 2);

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used.as_ref().map(|u| u.sequence), Some(older));
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].file, name(newest));
    assert!(report.skipped[0].why.contains("damaged"), "{report:?}");
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();

    // With no snapshot left to check, the open reads the whole journal and finds the change.
    damage(older);
    let err = Store::open(dir.path(), segmented()).unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
}

#[test]
fn a_snapshot_after_the_index_mark_is_passed_over_for_one_at_or_before_it() {
    let dir = Scratch::new("open-tail-ahead");
    let older = ledger(dir.path());
    // The index as that close left it, caught up to the head: its mark is after `older`.
    let index = dir.path().join(ledger_store::INDEX_DIR_NAME);
    let kept = Scratch::new("open-tail-ahead-index");
    copy_dir(&index, kept.path());
    let store = Store::open(dir.path(), segmented()).unwrap();
    for b in 40..50u128 {
        let batch = services(1_000 + b * 10, 10);
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
    }
    let newest = store.write_snapshot().unwrap().sequence;
    store.close().unwrap();
    // The index lags as after a crash before it caught up: its mark is before `newest`.
    std::fs::remove_dir_all(&index).unwrap();
    copy_dir(kept.path(), &index);
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, ledger_store::JournalRead::Tail);
    let snapshots = report.snapshots;
    assert_eq!(snapshots.used.as_ref().map(|u| u.sequence), Some(older));
    assert_eq!(snapshots.skipped.len(), 1, "{snapshots:?}");
    assert_eq!(snapshots.skipped[0].file, format!("{newest:020}.tbs"));
    assert!(snapshots.skipped[0].why.contains("where the index stands"));
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
}
