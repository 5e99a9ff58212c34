//! The sled index is derived data: deleting it, damaging it, or leaving it behind the journal
//! loses nothing. Reopening rebuilds or catches it up, and the state is unchanged.

mod support;

use ledger_store::{IndexRecovery, Store, INDEX_DIR_NAME};
use support::*;

fn populated(dir: &Scratch) -> (ledger_store::Status, Vec<u128>) {
    let store = new_store(dir.path(), options());
    for b in 0..5u128 {
        store
            .create_transfers(services(1 + b * 40, 40), NOW + b as u64)
            .unwrap();
    }
    store.checkpoint().unwrap();
    let page = store.history(account(101), None, 1000).unwrap();
    let ids = page.transfers.iter().map(|t| t.id().get()).collect();
    let status = durable(store.status());
    store.close().unwrap();
    (status, ids)
}

#[test]
fn deleting_the_index_directory_rebuilds_it_with_the_same_state() {
    let dir = Scratch::new("delete-index");
    let (status, history) = populated(&dir);
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();

    let store = Store::open(dir.path(), options()).unwrap();
    assert!(matches!(
        store.open_report().index,
        IndexRecovery::Rebuilt { .. }
    ));
    assert_eq!(durable(store.status()), status);
    let page = store.history(account(101), None, 1000).unwrap();
    assert_eq!(
        page.transfers
            .iter()
            .map(|t| t.id().get())
            .collect::<Vec<_>>(),
        history
    );
    assert_eq!(
        store.indexed_account(account(101)).unwrap(),
        store.account(account(101))
    );
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn a_damaged_index_is_rebuilt_and_an_explicit_rebuild_matches() {
    let dir = Scratch::new("damage-index");
    let (status, _) = populated(&dir);
    // Overwrite every file sled keeps with garbage.
    for entry in walk(&dir.path().join(INDEX_DIR_NAME)) {
        let len = std::fs::metadata(&entry).unwrap().len() as usize;
        std::fs::write(&entry, vec![0xA5; len.max(64)]).unwrap();
    }
    let store = Store::open(dir.path(), options()).unwrap();
    assert!(matches!(
        store.open_report().index,
        IndexRecovery::Rebuilt { .. }
    ));
    assert_eq!(durable(store.status()), status);
    store.rebuild_index().unwrap();
    store.verify(&mut |_| {}).unwrap();
    assert_eq!(durable(store.status()), status);
}

#[test]
fn an_index_from_an_older_prefix_is_caught_up() {
    let dir = Scratch::new("behind");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 10), NOW).unwrap();
    store.close().unwrap();
    let index_copy = dir.path().join("index-copy");
    copy_dir(&dir.path().join(INDEX_DIR_NAME), &index_copy);

    let store = Store::open(dir.path(), options()).unwrap();
    store.create_transfers(services(11, 10), NOW + 1).unwrap();
    let status = durable(store.status());
    store.close().unwrap();
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
    copy_dir(&index_copy, &dir.path().join(INDEX_DIR_NAME));

    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(
        store.open_report().index,
        IndexRecovery::CaughtUp { from: 2 }
    );
    assert_eq!(durable(store.status()), status);
    assert_eq!(store.transfer_sequence(tid(15)).unwrap(), Some(3));
    store.verify(&mut |_| {}).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn verify_names_an_index_that_disagrees_with_the_journal_and_a_rebuild_fixes_it() {
    use ledger_store::index::{Index, IndexDelta};
    use ledger_store::{CorruptionReason, Error};
    let dir = Scratch::new("index-differs");
    populated(&dir);
    {
        // Change one account in the index behind the store's back, keeping its marker.
        let index = Index::open(&dir.path().join(INDEX_DIR_NAME)).unwrap();
        let mut changed = index.live().account(account(101)).unwrap().unwrap();
        changed.community = 999;
        index
            .live()
            .apply(&IndexDelta::default(), &[changed], None)
            .unwrap();
        index.flush().unwrap();
    }
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.open_report().index, IndexRecovery::UpToDate);
    match store.verify(&mut |_| {}) {
        Err(Error::Corrupted(c)) => assert!(matches!(c.reason, CorruptionReason::Index(_)), "{c}"),
        other => panic!("a wrong index verified: {other:?}"),
    }
    store.rebuild_index().unwrap();
    store.verify(&mut |_| {}).unwrap();
    assert_eq!(
        store.indexed_account(account(101)).unwrap(),
        store.account(account(101))
    );
}

/// The sled directory's live generation, opened with sled directly (to damage it as a crash or
/// a failing disk could). sled releases its directory lock from background threads shortly
/// after a store closes, so the open retries the lock for a while, as `Index::open` does.
fn live_tree(dir: &Scratch) -> (sled::Db, sled::Tree) {
    let path = dir.path().join(INDEX_DIR_NAME);
    let mut attempt = 0;
    let db = loop {
        match sled::open(&path) {
            Ok(db) => break db,
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock") && attempt < 200 =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("the index does not open: {e}"),
        }
    };
    let name = db.get(b"live").unwrap().expect("a live generation");
    let tree = db.open_tree(name).unwrap();
    (db, tree)
}

/// A kill early in `rebuild-index` once left sled's `clear()` half done with the "up to date"
/// mark still there: `status` said the index was current, `verify` blamed the journal. Now a
/// rebuild fills a fresh generation and swaps, and a tree that lacks what its mark counts is
/// found on open and rebuilt.
#[test]
fn an_index_that_lost_data_under_its_mark_is_found_on_open_and_rebuilt() {
    let dir = Scratch::new("index-diverged");
    let (status, history) = populated(&dir);
    {
        // What a half-done clear leaves: accounts and history gone, the mark kept.
        let (db, tree) = live_tree(&dir);
        for entry in tree.iter() {
            let (key, _) = entry.unwrap();
            if key[0] == b'a' || key[0] == b'h' {
                tree.remove(key).unwrap();
            }
        }
        assert!(tree.get(b"m").unwrap().is_some());
        db.flush().unwrap();
    }
    let store = Store::open(dir.path(), options()).unwrap();
    match &store.open_report().index {
        IndexRecovery::Rebuilt { why } => assert!(why.contains("diverged"), "{why}"),
        other => panic!("a diverged index was trusted: {other:?}"),
    }
    assert_eq!(durable(store.status()), status);
    let page = store.history(account(101), None, 1000).unwrap();
    let ids: Vec<u128> = page.transfers.iter().map(|t| t.id().get()).collect();
    assert_eq!(ids, history);
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn a_rebuild_interrupted_before_its_swap_leaves_the_old_index_whole_and_in_use() {
    use ledger_store::index::{Index, IndexDelta};
    let dir = Scratch::new("rebuild-interrupted");
    let (status, _) = populated(&dir);
    {
        // A rebuild that wrote part of a fresh generation and stopped (a kill).
        let index = Index::open(&dir.path().join(INDEX_DIR_NAME)).unwrap();
        let fresh = index.fresh().unwrap();
        fresh.apply(&IndexDelta::default(), &[], None).unwrap();
        index.flush().unwrap();
    }
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.open_report().index, IndexRecovery::UpToDate);
    assert_eq!(durable(store.status()), status);
    store.verify(&mut |_| {}).unwrap();
    store.rebuild_index().unwrap();
    store.close().unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.open_report().index, IndexRecovery::UpToDate);
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn an_index_that_disagrees_with_the_journal_is_blamed_not_the_journal() {
    let dir = Scratch::new("index-blamed");
    populated(&dir);
    {
        // One transfer key gone: the mark's counts and the probe cannot see it, verify can.
        let (db, tree) = live_tree(&dir);
        let key = tree.scan_prefix(b"t").keys().next().unwrap().unwrap();
        tree.remove(key).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path(), options()).unwrap();
    let error = store.verify(&mut |_| {}).unwrap_err().to_string();
    assert!(
        error.contains("the index disagrees with the journal"),
        "{error}"
    );
    assert!(error.contains("the journal verifies"), "{error}");
    store.rebuild_index().unwrap();
    store.verify(&mut |_| {}).unwrap();
}
