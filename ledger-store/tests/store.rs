//! The store as a host uses it: durable submits from many threads, queries, history pages,
//! checkpoints, reopening to the same state, verification.
//!
//! Guarded bug: expiry sweeps are transfers the engine makes during `Expire`; the index first
//! missed them, so a verified journal came with an index one transfer short per sweep.

mod support;

use std::sync::Arc;

use ledger_core::{Command, ResultCode};
use ledger_store::{Checkpoint, Error, IndexRecovery, SimDisk, Store, StoreOptions};
use support::*;

#[test]
fn concurrent_submitters_all_get_durable_results_and_reopen_gives_the_same_state() {
    let dir = Scratch::new("concurrent");
    let store = new_store(dir.path(), options());
    std::thread::scope(|s| {
        for t in 0..8u128 {
            let store = &store;
            s.spawn(move || {
                for b in 0..10u128 {
                    let first = 1_000 + t * 10_000 + b * 100;
                    let done = store
                        .create_transfers(services(first, 50), NOW + 1)
                        .unwrap();
                    assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
                }
            });
        }
    });
    let status = store.status();
    assert_eq!(status.transfers, 8 * 10 * 50);
    // genesis + accounts + 80 batches
    assert_eq!(status.head_sequence, 81);
    store.close().unwrap();

    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.open_report().torn_tail, None);
    assert_eq!(store.open_report().index, IndexRecovery::UpToDate);
    assert_eq!(durable(store.status()), durable(status));
    let report = store.verify(&mut |_| {}).unwrap();
    assert_eq!(report.records, 82);
    assert!(report.index_checked);
}

#[test]
fn a_refused_batch_journals_nothing_and_time_never_goes_back() {
    let dir = Scratch::new("refused");
    let store = new_store(dir.path(), options());
    let before = store.status();
    assert!(matches!(
        store.submit(Command::CreateTransfers(vec![]), NOW),
        Err(Error::Batch(_))
    ));
    assert_eq!(durable(store.status()), durable(before));

    let later = store.create_transfers(services(1, 1), NOW + 1_000).unwrap();
    // A caller whose clock is behind runs at the last journaled time, not before it.
    let earlier = store.create_transfers(services(2, 1), NOW).unwrap();
    assert_eq!(later.now, NOW + 1_000);
    assert_eq!(earlier.now, NOW + 1_000);
    assert!(
        store.transfer(tid(2)).unwrap().unwrap().timestamp
            > store.transfer(tid(1)).unwrap().unwrap().timestamp
    );
    let digest = store.state_digest();
    store.close().unwrap();
    assert_eq!(
        Store::open(dir.path(), options()).unwrap().state_digest(),
        digest
    );
}

#[test]
fn history_pages_walk_an_account_oldest_first_without_gaps() {
    let dir = Scratch::new("history");
    let store = new_store(dir.path(), options());
    // Member 3 gets every 8th transfer: 25 of 200.
    for b in 0..4u128 {
        store
            .create_transfers(services(1 + b * 50, 50), NOW + b as u64)
            .unwrap();
    }
    let member = account(100 + 3);
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let page = store.history(member, cursor, 7).unwrap();
        assert!(page.transfers.len() <= 7);
        seen.extend(page.transfers.iter().map(|t| t.id().get()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<u128> = (1..=200).filter(|id| id % MEMBERS == 3).collect();
    assert_eq!(seen, expected);
    assert_eq!(store.transfer_sequence(tid(3)).unwrap(), Some(2));
    assert_eq!(store.transfer_sequence(tid(60)).unwrap(), Some(3));
    assert_eq!(store.transfer_sequence(tid(9_999)).unwrap(), None);
    assert_eq!(
        store.indexed_account(member).unwrap(),
        store.account(member)
    );
}

#[test]
fn expiry_is_journaled_and_replays_to_the_same_balances() {
    let dir = Scratch::new("expire");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 8), NOW).unwrap();
    let done = store
        .create_transfers(vec![hold(100, 0, 1, 60)], NOW + 1)
        .unwrap();
    assert_eq!(done.events()[0].code, ResultCode::Ok);
    let held = store.balances(account(100)).unwrap();
    assert_ne!(held.debits_pending, 0);
    store.expire(NOW + 61_000_000_000).unwrap();
    let released = store.balances(account(100)).unwrap();
    assert_eq!(released.debits_pending, 0);
    let digest = store.state_digest();
    store.close().unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.state_digest(), digest);
    assert_eq!(
        store
            .indexed_account(account(100))
            .unwrap()
            .unwrap()
            .balances,
        released
    );
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn a_published_checkpoint_text_verifies_with_the_key_only() {
    let dir = Scratch::new("checkpoint");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 10), NOW).unwrap();
    let checkpoint = store.checkpoint().unwrap();
    let status = store.status();
    assert_eq!(checkpoint.sequence + 1, status.head_sequence);
    assert_eq!(checkpoint.state_digest, status.state_digest);

    let text = checkpoint.to_text();
    let parsed = Checkpoint::from_text(&text).unwrap();
    assert!(parsed.verify_mac(&KEY));
    assert!(!parsed.verify_mac(&[0u8; 32]));

    // Without the key a store cannot make checkpoints, and its data directory never holds it.
    drop(store);
    let keyless = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(matches!(keyless.checkpoint(), Err(Error::NoCheckpointKey)));
    let journal = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    assert!(!journal.windows(32).any(|w| w == KEY));
    // Verification with the key checks the MAC; with a wrong key the checkpoint fails.
    drop(keyless);
    let wrong = StoreOptions::default().checkpoint_key([1; 32]);
    match Store::open(dir.path(), wrong) {
        Err(Error::Corrupted(c)) => assert_eq!(c.sequence, checkpoint.sequence + 1),
        other => panic!("a wrong key opened the store: {other:?}"),
    }
}

#[test]
fn a_failed_sync_poisons_the_store_and_reopening_returns_to_what_is_durable() {
    let dir = Scratch::new("poison");
    let disk = SimDisk::new();
    let opts = options().io(Arc::new(disk.clone()));
    let store = new_store(dir.path(), opts.clone());
    store.create_transfers(services(1, 5), NOW).unwrap();
    let durable = store.status();
    disk.fail_after(1); // the append succeeds, the sync fails
    assert!(matches!(
        store.create_transfers(services(10, 5), NOW),
        Err(Error::OutcomeUnknown { .. })
    ));
    assert!(matches!(
        store.create_transfers(services(20, 5), NOW),
        Err(Error::Poisoned)
    ));
    assert!(matches!(store.verify(&mut |_| {}), Err(Error::Poisoned)));
    drop(store);
    disk.crash(ledger_store::CrashMode::DropUnsynced);
    let store = Store::open(dir.path(), opts).unwrap();
    assert_eq!(store.status().state_digest, durable.state_digest);
    assert!(store.transfer(tid(10)).unwrap().is_none());
}

#[test]
fn opening_a_directory_without_a_ledger_or_creating_twice_is_an_error() {
    let dir = Scratch::new("missing");
    assert!(matches!(
        Store::open(dir.path(), options()),
        Err(Error::NotFound(_))
    ));
    drop(new_store(dir.path(), options()));
    assert!(matches!(
        Store::create(dir.path(), &policy(), NOW, options()),
        Err(Error::AlreadyExists(_))
    ));
}

#[test]
fn verify_reports_progress_up_to_every_record() {
    let dir = Scratch::new("progress");
    let store = new_store(dir.path(), options());
    for b in 0..20u128 {
        store.create_transfers(services(1 + b * 5, 5), NOW).unwrap();
    }
    let mut seen = vec![];
    let report = store.verify(&mut |p| seen.push(p)).unwrap();
    let last = seen.last().unwrap();
    assert_eq!(last.records_done, report.records);
    assert_eq!(last.records_total, report.records);
    assert!(seen
        .windows(2)
        .all(|w| w[0].records_done <= w[1].records_done));
}

#[test]
fn a_store_is_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Store>();
}

#[test]
fn expiry_sweeps_made_by_the_engine_are_journaled_indexed_and_replayed() {
    use ledger_core::policy::Expiry;
    use ledger_core::timebank::{plan_award, PointsAward};
    use ledger_core::{AccountKind, NewAccount, Policy, SWEEP_TRANSFER_ID_BIT};
    const POINTS: u16 = 2;
    const DAY_NS: u64 = 86_400_000_000_000;
    let dir = Scratch::new("sweeps");
    let mut policy = Policy::default_policy();
    policy.expiry.push(Expiry {
        unit: POINTS,
        lifetime_days: 30,
        account: account(9),
        code: 504,
    });
    let store = Store::create(dir.path(), &policy, NOW, options()).unwrap();
    store
        .create_accounts(
            vec![
                NewAccount::new(account(1), POINTS, AccountKind::Issuer),
                NewAccount::new(account(2), POINTS, AccountKind::Member),
                NewAccount::new(account(9), POINTS, AccountKind::Expiry),
            ],
            NOW,
        )
        .unwrap();
    let award = PointsAward {
        code: 401,
        issuer: account(1),
        member: account(2),
        acts: 3,
    };
    let plan = store.read(|l| plan_award(l, tid(10), &award)).unwrap();
    for command in plan.commands() {
        let done = store.submit(command, NOW + 1).unwrap();
        assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    }
    let swept = store.expire(NOW + 31 * DAY_NS).unwrap();
    let sweep = tid(SWEEP_TRANSFER_ID_BIT | 1);
    assert_eq!(swept.reply, ledger_core::Reply::Expired(vec![sweep]));
    assert_eq!(
        store.transfer_sequence(sweep).unwrap(),
        Some(swept.sequence)
    );
    let history = store.history(account(2), None, 10).unwrap();
    let ids: Vec<_> = history.transfers.iter().map(|t| t.id()).collect();
    assert_eq!(ids, [tid(10), sweep]);
    store.verify(&mut |_| {}).unwrap();
    let digest = store.state_digest();
    store.close().unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.state_digest(), digest);
    store.verify(&mut |_| {}).unwrap();
}

/// Waits (without a deadline: a hang is a failure the harness reports) until `ready` holds.
fn wait_until(ready: impl Fn() -> bool) {
    while !ready() {
        std::thread::yield_now();
    }
}

#[test]
fn submitters_queued_behind_a_sync_share_writes_and_syncs() {
    let dir = Scratch::new("group");
    let disk = SimDisk::new();
    let store = new_store(dir.path(), options().io(Arc::new(disk.clone())));
    let syncs_before = disk.sync_count();
    disk.hold_syncs();
    std::thread::scope(|s| {
        let store = &store;
        let first = s.spawn(move || store.create_transfers(services(1, 1), NOW).unwrap());
        wait_until(|| disk.syncs_waiting() == 1);
        let rest: Vec<_> = (0..15u128)
            .map(|t| s.spawn(move || store.create_transfers(services(10 + t, 1), NOW).unwrap()))
            .collect();
        wait_until(|| store.pending() == 16);
        disk.release_syncs();
        let first = first.join().unwrap();
        let rest: Vec<_> = rest.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(rest.iter().all(|c| c.sequence > first.sequence));
    });
    // While the first group synced, at most one more group waited for the disk and one was
    // being handed over; everything else queued and went out as a single group after them.
    let syncs = disk.sync_count() - syncs_before;
    assert!(syncs <= 4, "16 commands took {syncs} syncs");
    assert_eq!(store.status().head_sequence, 1 + 16);
    assert_eq!(store.pending(), 0);
}

#[test]
fn verify_runs_while_commits_go_on() {
    let dir = Scratch::new("verify-live");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 50), NOW).unwrap();
    std::thread::scope(|s| {
        let store = &store;
        let writer = s.spawn(move || {
            for b in 1..40u128 {
                store
                    .create_transfers(services(1 + b * 50, 50), NOW)
                    .unwrap();
            }
        });
        for _ in 0..3 {
            let report = store.verify(&mut |_| {}).unwrap();
            assert!(report.index_checked);
        }
        writer.join().unwrap();
    });
    assert_eq!(store.status().transfers, 40 * 50);
    store.verify(&mut |_| {}).unwrap();
}
