//! `audit_ledger`, what `timebank verify` does by default: the journal at hash speed, without
//! the engine, and the index's accounts against the balances summed from the outcomes. It
//! reads only: a torn tail is reported, never cut; an index that is behind is said to be, and
//! one that names another history is index damage (never journal damage).

mod support;

use std::path::Path;

use ledger_store::audit_ledger::{audit_ledger, IndexCheck};
use ledger_store::{CorruptionReason, Error, Store, INDEX_DIR_NAME};
use support::*;

fn populated(dir: &Path, batches: u128, hundredths: u64) -> ledger_store::Status {
    let store = new_store(dir, options());
    for b in 0..batches {
        let mut batch = services(1 + b * 40, 40);
        if b == batches - 1 {
            batch[0] = service(1 + b * 40, 1, hundredths);
        }
        store.create_transfers(batch, NOW + b as u64).unwrap();
    }
    store.checkpoint().unwrap();
    let status = durable(store.status());
    store.close().unwrap();
    status
}

#[test]
fn an_intact_ledger_audits_with_the_index_matching_its_balances() {
    let dir = Scratch::new("audit-intact");
    let status = populated(dir.path(), 4, 150);
    let audit = audit_ledger(dir.path(), Some(&KEY), true).unwrap();
    assert_eq!(audit.head.sequence, status.head_sequence);
    assert_eq!(audit.head.hash, status.head_hash);
    assert_eq!(audit.journal_bytes, status.journal_bytes);
    assert_eq!(audit.accounts, status.accounts as u64);
    assert_eq!(audit.checkpoints, 1);
    assert!(audit.macs_checked);
    assert_eq!(audit.index, IndexCheck::Matches);
    let journal_only = audit_ledger(dir.path(), None, false).unwrap();
    assert!(matches!(journal_only.index, IndexCheck::NotChecked(_)));
    assert!(!journal_only.macs_checked);
}

#[test]
fn an_index_behind_the_journal_is_not_checked_and_says_so() {
    let dir = Scratch::new("audit-behind");
    populated(dir.path(), 2, 150);
    let older = dir.path().join("index-older");
    copy_dir(&dir.path().join(INDEX_DIR_NAME), &older);
    let store = Store::open(dir.path(), options()).unwrap();
    store.create_transfers(services(500, 10), NOW + 10).unwrap();
    store.close().unwrap();
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
    std::fs::rename(&older, dir.path().join(INDEX_DIR_NAME)).unwrap();
    match audit_ledger(dir.path(), None, true).unwrap().index {
        IndexCheck::NotChecked(why) => assert!(why.contains("catches it up"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Opening catches the index up; then it matches.
    Store::open(dir.path(), options()).unwrap().close().unwrap();
    let audit = audit_ledger(dir.path(), None, true).unwrap();
    assert_eq!(audit.index, IndexCheck::Matches);
}

#[test]
fn an_index_of_another_history_is_index_damage_not_journal_damage() {
    let dir = Scratch::new("audit-foreign-index");
    let other = Scratch::new("audit-foreign-index-other");
    populated(dir.path(), 3, 150);
    // The same commands but one amount: the same number of records, another history.
    populated(other.path(), 3, 275);
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
    copy_dir(
        &other.path().join(INDEX_DIR_NAME),
        &dir.path().join(INDEX_DIR_NAME),
    );
    let journal = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    match audit_ledger(dir.path(), None, true) {
        Err(Error::Corrupted(c)) => {
            assert!(c.is_index_only(), "{c}");
            assert!(matches!(c.reason, CorruptionReason::Index(_)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        journal,
        support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap()
    );
}

#[test]
fn a_torn_tail_is_reported_and_left_in_place() {
    let dir = Scratch::new("audit-torn");
    populated(dir.path(), 2, 150);
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let whole = bytes.len() as u64;
    bytes.extend_from_slice(&[0x42; 37]);
    std::fs::write(&path, &bytes).unwrap();
    match audit_ledger(dir.path(), None, true) {
        Err(Error::Corrupted(c)) => {
            assert_eq!(c.reason, CorruptionReason::TornTail);
            let place = c.segment.expect("the segment is named");
            assert_eq!((place.index, place.offset), (1, whole));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing is cut");
}

#[test]
fn a_ledger_without_an_index_audits_its_journal() {
    let dir = Scratch::new("audit-no-index");
    populated(dir.path(), 1, 150);
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
    match audit_ledger(dir.path(), None, true).unwrap().index {
        IndexCheck::NotChecked(why) => assert!(why.contains("no index"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(
        !dir.path().join(INDEX_DIR_NAME).exists(),
        "nothing is created"
    );
}

#[test]
fn an_index_account_whose_balances_differ_under_a_current_mark_is_index_damage() {
    use ledger_store::index::{Index, IndexDelta};
    let dir = Scratch::new("audit-balance-differs");
    populated(dir.path(), 2, 150);
    {
        // Change one account's balance in the index behind the store's back, keeping its mark.
        let index = Index::open(&dir.path().join(INDEX_DIR_NAME)).unwrap();
        let mut changed = index.live().account(account(101)).unwrap().unwrap();
        changed.balances.credits_posted += 1; // one hundredth
        index
            .live()
            .apply(&IndexDelta::default(), &[changed], None)
            .unwrap();
        index.flush().unwrap();
    }
    match audit_ledger(dir.path(), None, true) {
        Err(Error::Corrupted(c)) => match &c.reason {
            CorruptionReason::Index(why) => assert!(why.contains("account 101"), "{why}"),
            other => panic!("{other:?}"),
        },
        other => panic!("a wrong index verified: {other:?}"),
    }
}
