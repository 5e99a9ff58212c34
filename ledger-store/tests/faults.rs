//! A failed write or `fdatasync` at every point of a workload, then power loss.
//!
//! Each run makes the simulated disk fail exactly one append, sync or creation (the n-th of its
//! kind, for every n the workload reaches), keeps submitting until the store refuses, crashes
//! the disk (dropping what was not synced, or keeping part of it) and reopens. Every case
//! checks: no acknowledged commit is lost; a command answered "outcome unknown" is either
//! wholly there or wholly absent; commands after the failure are refused as never written
//! (`Poisoned`); no panic; and the reopened ledger verifies, index included.

mod support;

use std::sync::Arc;

use ledger_store::{CrashMode, Error, SimDisk, SimOp, Store};
use support::*;

/// Commits in the workload (after the accounts).
const COMMITS: u128 = 6;
/// Transfers per commit.
const PER_COMMIT: u128 = 3;

/// What the workload learned about each commit.
#[derive(Debug, Default)]
struct Answers {
    acked: Vec<u128>,
    unknown: Vec<u128>,
    refused: Vec<u128>,
}

/// Creates a ledger and commits the workload on `disk`, recording every answer.
fn workload(dir: &Scratch, disk: &SimDisk) -> (Answers, bool) {
    let mut answers = Answers::default();
    let opts = options().io(Arc::new(disk.clone()));
    let store = match Store::create(dir.path(), &policy(), NOW, opts) {
        Ok(store) => store,
        // A failed creation acknowledged nothing.
        Err(Error::Io(_)) => return (answers, false),
        Err(e) => panic!("creating failed with {e:?}"),
    };
    let accounts = store.create_accounts(accounts(), NOW);
    let accounts_ok = match accounts {
        Ok(_) => true,
        Err(Error::OutcomeUnknown { .. }) => false,
        Err(e) => panic!("opening the accounts failed with {e:?}"),
    };
    for c in 0..COMMITS {
        let first = 1 + c * PER_COMMIT;
        let ids: Vec<u128> = (first..first + PER_COMMIT).collect();
        match store.create_transfers(services(first, PER_COMMIT as usize), NOW + 1 + c as u64) {
            Ok(_) => answers.acked.extend(&ids),
            Err(Error::OutcomeUnknown { .. }) => answers.unknown.extend(&ids),
            Err(Error::Poisoned) => answers.refused.extend(&ids),
            Err(e) => panic!("commit {c} failed with {e:?}"),
        }
    }
    drop(store);
    (answers, accounts_ok)
}

/// Reopens after the crash and checks every promise.
fn check_after_crash(dir: &Scratch, disk: &SimDisk, answers: &Answers, case: &str) {
    let opts = options().io(Arc::new(disk.clone()));
    let store = match Store::open(dir.path(), opts) {
        Ok(store) => store,
        // Creation failed: it left no journal at all (it is written whole), and creating
        // again succeeds.
        Err(Error::NotFound(_)) if answers.acked.is_empty() => {
            let opts = options().io(Arc::new(disk.clone()));
            Store::create(dir.path(), &policy(), NOW, opts)
                .unwrap_or_else(|e| panic!("{case}: creating again failed with {e:?}"));
            return;
        }
        Err(e) => panic!("{case}: reopening failed with {e:?}"),
    };
    for &id in &answers.acked {
        assert!(
            store.transfer(tid(id)).unwrap().is_some(),
            "{case}: acked {id} lost"
        );
    }
    for &id in &answers.refused {
        assert!(
            store.transfer(tid(id)).unwrap().is_none(),
            "{case}: refused {id} is there"
        );
    }
    // A commit of unknown outcome is all there or all absent.
    for group in answers.unknown.chunks(PER_COMMIT as usize) {
        let present = group
            .iter()
            .filter(|&&id| store.transfer(tid(id)).unwrap().is_some());
        let count = present.count();
        assert!(count == 0 || count == group.len(), "{case}: half a commit");
    }
    let report = store
        .verify(&mut |_| {})
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(report.index_checked, "{case}");
}

fn sweep(op: SimOp) -> usize {
    // How many operations of this kind a whole run makes.
    let probe_dir = Scratch::new("faults-probe");
    let probe = SimDisk::new();
    let (answers, _) = workload(&probe_dir, &probe);
    assert_eq!(answers.acked.len() as u128, COMMITS * PER_COMMIT);
    let total = probe.started(op);
    assert!(total > 0, "{op:?} never happens");
    let mut cases = 0;
    for index in 0..total {
        for mode in [CrashMode::DropUnsynced, CrashMode::KeepUnsynced(usize::MAX)] {
            let dir = Scratch::new("faults");
            let disk = SimDisk::new();
            disk.fail_at(op, index);
            let (answers, _) = workload(&dir, &disk);
            disk.crash(mode);
            let case = format!("{op:?} number {index}, then {mode:?}");
            check_after_crash(&dir, &disk, &answers, &case);
            cases += 1;
        }
    }
    cases
}

#[test]
fn a_failed_sync_at_every_point_loses_no_acknowledged_commit() {
    assert!(sweep(SimOp::Sync) >= 2 * (COMMITS as usize + 2));
}

#[test]
fn a_failed_append_at_every_point_loses_no_acknowledged_commit() {
    assert!(sweep(SimOp::Append) >= 2 * (COMMITS as usize + 2));
}

#[test]
fn a_failed_creation_leaves_no_ledger_and_no_acknowledgement() {
    sweep(SimOp::Create);
}

#[test]
fn a_sync_failure_is_an_unknown_outcome_and_later_commits_are_refused_unwritten() {
    let dir = Scratch::new("faults-unknown");
    let disk = SimDisk::new();
    let store = new_store(dir.path(), options().io(Arc::new(disk.clone())));
    let syncs = disk.started(SimOp::Sync);
    disk.fail_at(SimOp::Sync, syncs);
    match store.create_transfers(services(1, 2), NOW) {
        Err(Error::OutcomeUnknown { sequence, .. }) => assert_eq!(sequence, 2),
        other => panic!("{other:?}"),
    }
    // The disk works again, but the store never writes after a hole.
    assert!(matches!(
        store.create_transfers(services(10, 2), NOW),
        Err(Error::Poisoned)
    ));
    drop(store);
    // The sync failed after the append: the record is whole on disk and comes back.
    disk.crash(CrashMode::KeepUnsynced(usize::MAX));
    let store = Store::open(dir.path(), options().io(Arc::new(disk.clone()))).unwrap();
    assert!(store.transfer(tid(1)).unwrap().is_some());
    assert!(store.transfer(tid(10)).unwrap().is_none());
}

/// A crash during `create` once left an empty (or half-written) journal: `create` then said "a
/// ledger already exists" and every other call failed as damage. Now a journal is created whole
/// (written aside, synced, renamed), and a journal left unfinished by an earlier version is
/// named as such on open and cleared by the next `create`.
#[test]
fn an_unfinished_creation_is_named_on_open_and_cleared_by_creating_again() {
    let dir = Scratch::new("faults-unfinished");
    let journal = dir.path().join(support::JOURNAL_FILE_NAME);
    let disk = SimDisk::new();
    let made = Store::create(
        dir.path(),
        &policy(),
        NOW,
        options().io(Arc::new(disk.clone())),
    );
    drop(made.unwrap());
    let genesis_len = disk.contents(&journal).unwrap().len();
    let full = disk.contents(&journal).unwrap();
    for cut in [0, 1, genesis_len / 2] {
        let disk = SimDisk::new();
        disk.set_contents(&journal, full[..cut].to_vec());
        let opts = options().io(Arc::new(disk.clone()));
        match Store::open(dir.path(), opts.clone()) {
            Err(e @ Error::UnfinishedCreation(_)) => {
                assert!(e.to_string().contains("create the ledger again"), "{e}")
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
        assert_eq!(
            disk.contents(&journal).unwrap().len(),
            cut,
            "open changed it"
        );
        let store = Store::create(dir.path(), &policy(), NOW, opts).unwrap();
        assert_eq!(store.status().head_sequence, 0);
    }
    // A complete ledger is never cleared.
    let disk = SimDisk::new();
    disk.set_contents(&journal, full);
    let opts = options().io(Arc::new(disk.clone()));
    assert!(matches!(
        Store::create(dir.path(), &policy(), NOW, opts),
        Err(Error::AlreadyExists(_))
    ));
}

/// A read-only store writes nothing: a torn tail is reported and left, the index is a
/// temporary one built from the journal, and every write is refused.
#[test]
fn a_read_only_store_answers_from_the_journal_and_writes_nothing() {
    let dir = Scratch::new("faults-read-only");
    let disk = SimDisk::new();
    let store = new_store(dir.path(), options().io(Arc::new(disk.clone())));
    store.create_transfers(services(1, 5), NOW).unwrap();
    let status = durable(store.status());
    drop(store);
    let journal = dir.path().join(support::JOURNAL_FILE_NAME);
    let mut bytes = disk.contents(&journal).unwrap();
    bytes.extend_from_slice(b"half a record");
    disk.set_contents(&journal, bytes.clone());
    std::fs::remove_dir_all(dir.path().join(ledger_store::INDEX_DIR_NAME)).unwrap();
    let store = Store::open(dir.path(), options().io(Arc::new(disk.clone())).read_only()).unwrap();
    let report = store.open_report();
    assert!(report.read_only && report.torn_tail.is_some());
    assert_eq!(report.index, ledger_store::IndexRecovery::Temporary);
    assert_eq!(durable(store.status()), status);
    let page = store.history(account(101), None, 100).unwrap();
    assert!(!page.transfers.is_empty());
    assert!(matches!(
        store.create_transfers(services(50, 1), NOW),
        Err(Error::ReadOnly)
    ));
    assert!(matches!(store.rebuild_index(), Err(Error::ReadOnly)));
    // The records before the tail verify, index included.
    assert!(store.verify(&mut |_| {}).unwrap().index_checked);
    drop(store);
    assert_eq!(
        disk.contents(&journal).unwrap(),
        bytes,
        "the journal changed"
    );
    assert!(!dir.path().join(ledger_store::INDEX_DIR_NAME).exists());
}
