//! An open that cannot start from a snapshot replays the whole journal read in pieces, never
//! holding its image (docs/FORMAT.md §16.2): the state, the index, the roots and the proofs
//! are those of an open that reads the journal whole; a torn tail is found and cut as that
//! whole read does, and anything else a clean journal does not have is left to that whole
//! read, which names it.

mod support;

use std::path::Path;

use ledger_core::TransferId;
use ledger_store::{verify_dir, IndexRecovery, JournalRead, Store, StoreOptions};
use support::*;

/// Segments of a few records each, no snapshot unless asked for.
fn segmented() -> StoreOptions {
    options()
        .snapshot_after_bytes(u64::MAX)
        .segment_bytes(4_096)
}

/// 40 batches of ten services over a dozen segments; with `snapshot`, one after batch 30.
fn ledger(dir: &Path, snapshot: bool) {
    ledger_of(dir, snapshot, 10);
}

/// 40 batches of `per_batch` services.
fn ledger_of(dir: &Path, snapshot: bool, per_batch: usize) {
    let store = new_store(dir, segmented());
    for b in 0..40u128 {
        let batch = services(1_000 + b * per_batch as u128, per_batch);
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
        if snapshot && b == 30 {
            store.write_snapshot().unwrap();
        }
    }
    store.close().unwrap();
}

/// What a reader sees of the ledger: its digest, the tree's roots and proofs, an account's
/// statement, an old transfer.
fn seen(store: &Store) -> impl PartialEq + std::fmt::Debug {
    let size = store.tree_size();
    let roots: Vec<_> = (0..=size).map(|n| store.tree_root(n)).collect();
    let proofs: Vec<_> = (0..size)
        .map(|m| store.inclusion_proof(m, size).unwrap())
        .collect();
    let statement = store.statement(account(103), 0, 100).unwrap();
    let old = store.transfer(TransferId::new(1_003).unwrap()).unwrap();
    (
        store.state_digest(),
        roots,
        proofs,
        format!("{statement:?}"),
        old,
    )
}

#[test]
fn an_open_without_a_snapshot_reads_the_journal_in_pieces_and_sees_what_a_whole_read_does() {
    let dir = Scratch::new("open-pieces-same");
    ledger(dir.path(), false);
    assert!(
        std::fs::read_dir(dir.path().join("journal"))
            .unwrap()
            .count()
            > 8
    );
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;

    let pieces = Store::open(dir.path(), segmented()).unwrap();
    let report = pieces.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert_eq!(report.index, IndexRecovery::UpToDate);
    assert_eq!(report.snapshots.used, None);
    assert_eq!(pieces.state_digest(), digest);
    let by_pieces = seen(&pieces);
    // It goes on as any open does.
    pieces
        .create_transfers(services(9_000, 10), NOW + 100)
        .unwrap();
    let live = pieces.state_digest();
    pieces.close().unwrap();

    // Read-only, it reads in pieces too, and catches up a private copy of the index.
    let read_only = Store::open(dir.path(), segmented().read_only()).unwrap();
    assert_eq!(read_only.open_report().journal_read, JournalRead::Pieces);
    assert_eq!(read_only.open_report().index, IndexRecovery::Temporary);
    assert_eq!(read_only.state_digest(), live);
    read_only.close().unwrap();
    let (whole, _copy) = open_whole(dir.path(), segmented());
    assert_eq!(whole.state_digest(), live);
    whole.close().unwrap();
    let again = Store::open(dir.path(), segmented()).unwrap();
    assert_eq!(again.state_digest(), live);
    again.close().unwrap();

    // The same ledger before the last batch, opened whole, sees what the open in pieces saw.
    let dir = Scratch::new("open-pieces-same-whole");
    ledger(dir.path(), false);
    let (whole, _copy) = open_whole(dir.path(), segmented());
    assert_eq!(seen(&whole), by_pieces);
    whole.close().unwrap();
}

#[test]
fn an_index_rebuilt_at_open_and_by_rebuild_index_comes_from_the_journal_in_pieces() {
    let dir = Scratch::new("open-pieces-rebuild");
    // More transfers than a chunk of the history chain, so that a replay lets some go.
    ledger_of(dir.path(), false, 150);
    let store = Store::open(dir.path(), segmented()).unwrap();
    let before = seen(&store);
    store.close().unwrap();

    std::fs::remove_dir_all(dir.path().join("index.sled")).unwrap();
    let store = Store::open(dir.path(), segmented().resident_transfers(16)).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert!(
        matches!(&report.index, IndexRecovery::Rebuilt { why } if why.contains("empty or missing")),
        "{:?}",
        report.index
    );
    assert!(store.read(|l| l.evicted_transfer_count()) > 0);
    assert_eq!(seen(&store), before);
    store.rebuild_index().unwrap();
    assert_eq!(seen(&store), before);
    store.close().unwrap();
    verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
}

#[test]
fn a_damaged_only_snapshot_is_reported_and_the_journal_replayed_in_pieces() {
    let dir = Scratch::new("open-pieces-damaged");
    ledger(dir.path(), true);
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    let snapshots = dir.path().join("snapshots");
    let file = std::fs::read_dir(&snapshots)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&file, bytes).unwrap();

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert_eq!(report.snapshots.used, None);
    assert_eq!(report.snapshots.skipped.len(), 1, "{:?}", report.snapshots);
    let name = file.file_name().unwrap().to_string_lossy();
    assert_eq!(report.snapshots.skipped[0].file, name);
    assert!(report.snapshots.skipped[0].why.contains("damaged"));
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
}

/// The newest segment of a fresh copy of the 40-batch ledger, and its path.
fn newest_segment(dir: &Path) -> std::path::PathBuf {
    let journal = dir.join("journal");
    let newest = (std::fs::read_dir(&journal).unwrap().count()) as u64;
    journal.join(format!("{newest:08}.tbj"))
}

/// A crash that left half a record: the open in pieces finds the torn tail in the newest
/// segment as the whole read does, stops before it and cuts it (it once gave way to a read of
/// the whole journal into memory, as large as the journal).
#[test]
fn a_torn_tail_is_cut_by_the_open_in_pieces_as_by_the_whole_read() {
    let dir = Scratch::new("open-pieces-torn");
    ledger(dir.path(), false);
    let digest = verify_dir(dir.path(), Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest;
    let last = newest_segment(dir.path());
    let mut bytes = std::fs::read(&last).unwrap();
    let whole_len = bytes.len();
    bytes.extend_from_slice(b"TBJR\x00\x10\x00\x00partial");
    std::fs::write(&last, bytes).unwrap();
    let (whole, _copy) = open_whole(dir.path(), segmented());
    let expected = whole.open_report().torn_tail.clone();
    whole.close().unwrap();

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert_eq!(report.torn_tail.as_ref().map(|t| t.len), Some(15));
    assert_eq!(report.torn_tail, expected);
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
    assert_eq!(std::fs::metadata(&last).unwrap().len() as usize, whole_len);
    // Cut, the journal is clean again.
    let store = Store::open(dir.path(), segmented()).unwrap();
    assert_eq!(store.open_report().journal_read, JournalRead::Pieces);
    assert_eq!(store.open_report().torn_tail, None);
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
}

/// A torn write can leave a record of its full length whose bytes are not all there: its
/// checksum fails and nothing whole follows it. The open in pieces cuts it as the whole read
/// does; bad bytes with a whole record after them are damage, which it leaves to the whole
/// read to name.
#[test]
fn a_last_record_whose_checksum_fails_is_torn_and_an_earlier_one_is_damage() {
    let dir = Scratch::new("open-pieces-torn-checksum");
    ledger(dir.path(), false);
    let last = newest_segment(dir.path());
    let bytes = std::fs::read(&last).unwrap();
    // The segment's last byte is the last record's stored hash's.
    let mut torn = bytes.clone();
    *torn.last_mut().unwrap() ^= 1;
    std::fs::write(&last, &torn).unwrap();
    let (whole, _copy) = open_whole(dir.path(), segmented());
    let expected = (whole.open_report().torn_tail.clone(), whole.state_digest());
    whole.close().unwrap();
    assert!(expected.0.is_some());

    let store = Store::open(dir.path(), segmented()).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.journal_read, JournalRead::Pieces);
    assert_eq!((report.torn_tail, store.state_digest()), expected);
    store.close().unwrap();

    // The first record of the newest segment changed, whole records after it: damage.
    let dir = Scratch::new("open-pieces-damage");
    ledger(dir.path(), false);
    let last = newest_segment(dir.path());
    let mut damaged = std::fs::read(&last).unwrap();
    damaged[88 + 20] ^= 1; // a byte of the first record's body (the header is 88 bytes)
    std::fs::write(&last, &damaged).unwrap();
    match Store::open(dir.path(), segmented()) {
        Err(ledger_store::Error::Corrupted(c)) => assert!(c.to_string().contains("checksum")),
        other => panic!(
            "expected damage, got {:?}",
            other.map(|s| s.open_report().clone())
        ),
    }
}
