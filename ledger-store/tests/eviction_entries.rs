//! A store that evicts (`StoreOptions::resident_transfers`) lets its old operations, failed ids
//! and ratings go too: it holds about the newest in memory, and answers every retry of an old
//! operation id, of a failed id and of a rating, every lookup (`Store::operation`,
//! `Store::failed_code`, `Store::rating`) and the highest id used as one that keeps them all,
//! after a reopen from a snapshot, after a full replay, and after the index was rebuilt.

mod support;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{
    Amount, Command, EventResult, Ledger, Policy, Rating, ResultCode, Transfer, TransferId,
};
use ledger_store::replay_spill::{replay_spilling, Spilling};
use ledger_store::snapshot::SNAPSHOT_DIR_NAME;
use ledger_store::{verify_dir_with_index, Store, StoreOptions, INDEX_DIR_NAME};
use support::*;

/// Operations the evicting store keeps in memory: beyond KEEP + 4,096 it evicts down to KEEP.
const KEEP: usize = 10;
/// Enough operations that the evicting store evicts some (KEEP + 4,096 and more).
const OPERATIONS: u128 = 4_900;
/// Failed ids, in one batch (more than KEEP + 4,096, so the committer evicts them).
const FAILURES: u128 = 4_200;
/// The first failed id.
const FAILED_FROM: u128 = 100_000;

/// A service of `hundredths` hours from the fund to a member, under the operation id `id`
/// (its plan's transfer takes the same id).
fn service(id: u128, hundredths: u64) -> Command {
    Command::Operate(Operation {
        id: tid(id),
        kind: OperationKind::Service(ServiceRecord {
            code: 101,
            payer: account(FUND),
            provider: account(100 + id % MEMBERS),
            hours: Amount::from_minor(hundredths, 2).unwrap(),
            served_at: None,
            donation: None,
            points: None,
            user_data: 0,
        }),
    })
}

/// Operation `id`'s service, or (every seventh id) one the planner refuses: a code the policy
/// does not define.
fn nth(id: u128) -> Command {
    let Command::Operate(mut operation) = service(id, 1 + (id % 50) as u64) else {
        unreachable!()
    };
    if id.is_multiple_of(7) {
        let OperationKind::Service(s) = &mut operation.kind else {
            unreachable!()
        };
        s.code = 9_999;
    }
    Command::Operate(operation)
}

fn create(dir: &std::path::Path, options: StoreOptions) -> Store {
    let store = Store::create(dir, &Policy::default_policy(), NOW, options).unwrap();
    store.create_accounts(accounts(), NOW).unwrap();
    store
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, options().resident_transfers(KEEP)).unwrap()
}

/// A transfer that fails with a transient code (its credit account does not exist).
fn failing(id: u128) -> Transfer {
    Transfer::new(
        tid(id),
        account(FUND),
        account(999),
        Amount::from_minor(1, 2).unwrap(),
        HOURS,
    )
}

/// The rating of service `id`'s transfer.
fn rating(id: u128) -> Command {
    Command::RecordRatings(vec![Rating {
        transfer: tid(id),
        rating: 1 + (id % 5) as u8,
    }])
}

/// Submits `command` to both stores: the same results, and the same state after.
fn both(evicting: &Store, keeping: &Store, command: Command, at: u64) -> Vec<EventResult> {
    let a = evicting.submit(command.clone(), at).unwrap();
    let b = keeping.submit(command, at).unwrap();
    assert_eq!(a.events(), b.events());
    assert_eq!(
        evicting.status().state_digest,
        keeping.status().state_digest
    );
    a.events().to_vec()
}

/// Ids spread over the history: the oldest (evicted), some in between, the newest.
fn probes() -> Vec<u128> {
    vec![1_000, 1_001, 1_007, 2_100, 3_000, 1_000 + OPERATIONS - 1]
}

/// Every probe's record is the same in both stores, and a retry of each answers alike.
/// The operations, failed ids and ratings `ledger` holds in memory.
fn held(ledger: &Ledger) -> [usize; 3] {
    [
        ledger.operations_held(),
        ledger.failed_held(),
        ledger.ratings_held(),
    ]
}

fn retries_answer_alike(evicting: &Store, keeping: &Store, at: &mut u64) {
    for id in probes() {
        let record = keeping.operation(tid(id)).unwrap().expect("ran");
        assert_eq!(evicting.operation(tid(id)).unwrap(), Some(record.clone()));
        *at += 1_000;
        let results = both(evicting, keeping, nth(id), *at);
        // A retry answers the first outcome again: `exists` for what applied.
        let first: Vec<ResultCode> = record.results.iter().map(|r| r.code).collect();
        let again: Vec<ResultCode> = results.iter().map(|r| r.code).collect();
        let expected: Vec<ResultCode> = first
            .iter()
            .map(|c| match c {
                ResultCode::Ok => ResultCode::Exists,
                other => *other,
            })
            .collect();
        assert_eq!(again, expected, "retry of {id}");
        // The same id with other arguments is refused, naming what differs.
        *at += 1_000;
        let other = both(evicting, keeping, service(id, 777), *at);
        assert!(!other.iter().any(|r| r.code == ResultCode::Ok), "{other:?}");
    }
    for id in [FAILED_FROM, FAILED_FROM + 1, FAILED_FROM + FAILURES - 1] {
        let code = keeping.failed_code(tid(id)).unwrap();
        assert_eq!(code, Some(ResultCode::CreditAccountNotFound));
        assert_eq!(evicting.failed_code(tid(id)).unwrap(), code);
        *at += 1_000;
        let again = both(
            evicting,
            keeping,
            Command::CreateTransfers(vec![failing(id)]),
            *at,
        );
        assert_eq!(again[0].code, ResultCode::IdAlreadyFailed);
    }
    for id in [1_002, 1_003, 2_101, 1_000 + OPERATIONS - 2] {
        let rated = keeping.rating(tid(id)).unwrap();
        assert_eq!(rated, Some(1 + (id % 5) as u8));
        assert_eq!(evicting.rating(tid(id)).unwrap(), rated);
        *at += 1_000;
        let again = both(evicting, keeping, rating(id), *at);
        assert_eq!(again[0].code, ResultCode::AlreadyRated);
    }
    let never = tid(999);
    assert_eq!(evicting.operation(never).unwrap(), None);
    assert_eq!(evicting.failed_code(never).unwrap(), None);
    assert_eq!(evicting.rating(never).unwrap(), None);
    let limit = TransferId::new(u128::MAX >> 1).unwrap();
    assert_eq!(
        evicting.highest_operation_id_below(limit).unwrap(),
        keeping.highest_operation_id_below(limit).unwrap()
    );
}

#[test]
fn an_evicting_store_answers_old_operations_as_one_that_keeps_them() {
    let (a, b) = (Scratch::new("ops-evicting"), Scratch::new("ops-keeping"));
    let mut evicting = create(a.path(), options().resident_transfers(KEEP));
    let keeping = create(b.path(), options());
    let mut at = NOW;
    for id in 1_000..1_000 + OPERATIONS {
        at += 1_000;
        let results = both(&evicting, &keeping, nth(id), at);
        if results.iter().all(|r| r.code == ResultCode::Ok) {
            at += 1_000;
            both(&evicting, &keeping, rating(id), at);
        }
    }
    at += 1_000;
    let failures = (FAILED_FROM..FAILED_FROM + FAILURES).map(failing).collect();
    both(&evicting, &keeping, Command::CreateTransfers(failures), at);
    at += 1_000;
    both(&evicting, &keeping, nth(1_000 + OPERATIONS), at);
    let in_memory = evicting.read(held);
    assert!(
        in_memory.iter().all(|&n| n <= KEEP + 4_096),
        "{in_memory:?} in memory"
    );
    assert!(evicting.read(|ledger| ledger.evicted_operation_count()) > 0);
    assert_eq!(
        keeping.read(|ledger| ledger.operations_held()),
        OPERATIONS as usize + 1
    );
    retries_answer_alike(&evicting, &keeping, &mut at);

    // From a snapshot that holds only the newest operations and the filter of the others.
    evicting.write_snapshot().unwrap();
    evicting.close().unwrap();
    evicting = open(a.path());
    assert!(evicting.open_report().snapshots.used.is_some());
    retries_answer_alike(&evicting, &keeping, &mut at);

    // By a full replay, which evicts as it goes.
    evicting.close().unwrap();
    std::fs::remove_dir_all(a.path().join(SNAPSHOT_DIR_NAME)).unwrap();
    evicting = open(a.path());
    retries_answer_alike(&evicting, &keeping, &mut at);

    // With the index deleted: rebuilt by a replay, the evicted operations are found again.
    evicting.close().unwrap();
    std::fs::remove_dir_all(a.path().join(INDEX_DIR_NAME)).unwrap();
    evicting = open(a.path());
    retries_answer_alike(&evicting, &keeping, &mut at);

    evicting.write_snapshot().unwrap();
    evicting.close().unwrap();
    let key = options().checkpoint_key;
    let (_, index_difference) =
        verify_dir_with_index(a.path(), &[], key.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(index_difference, None);

    // `verify --replay`'s replay lets them go too, to scratch runs of its own, and
    // answers the retries the journal holds as the store did (it checks every outcome).
    let image = read_records(a.path().join(JOURNAL_FILE_NAME)).unwrap();
    let spilling = Spilling {
        resident_transfers: KEEP,
        ..Spilling::default()
    };
    let (replayed, spilled) = replay_spilling(
        &image,
        key.as_ref(),
        &spilling,
        &mut |_| {},
        &mut |_, _, _, _| {},
    )
    .unwrap();
    assert!(spilled.report.entries_evicted > 0, "{:?}", spilled.report);
    let ledger = &replayed.ledger;
    let in_memory = held(ledger);
    assert!(
        in_memory.iter().all(|&n| n <= KEEP + 4_096),
        "{in_memory:?} in memory"
    );
    assert!(ledger.evicted_operation_count() > 0);
    assert_eq!(ledger.state_digest(), keeping.status().state_digest);
}
