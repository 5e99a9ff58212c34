//! A ledger that evicts its old operations (`Ledger::evict_operations`), failed ids and ratings
//! (`evict_failed`, `evict_ratings`) keeps the state digest
//! of one that holds them all, refuses a retry of an evicted one until its host loads it back,
//! then answers it exactly as the other ledger does; its snapshot carries the filter of the
//! evicted ids and decodes to the same state.

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::snapshot::{decode, digest, encode};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{
    AccountId, AccountKind, Amount, BatchError, Command, Ledger, NewAccount, Policy, TransferId,
};

const NOW: u64 = 1_767_225_600_000_000_000;
const OPERATIONS: u128 = 40;

fn service(id: u128, hundredths: u64) -> Command {
    Command::Operate(Operation {
        id: TransferId::new(id).unwrap(),
        kind: OperationKind::Service(ServiceRecord {
            code: 101,
            payer: AccountId::new(1).unwrap(),
            provider: AccountId::new(2 + id % 3).unwrap(),
            hours: Amount::from_minor(hundredths, 2).unwrap(),
            served_at: None,
            donation: None,
            points: None,
            user_data: 0,
        }),
    })
}

fn ledger_with_operations() -> Ledger {
    let mut ledger = Ledger::with_policy(&Policy::default_policy()).unwrap();
    let mut accounts = vec![NewAccount::new(
        AccountId::new(1).unwrap(),
        1,
        AccountKind::Issuer,
    )];
    for m in 2..5 {
        accounts.push(NewAccount::new(
            AccountId::new(m).unwrap(),
            1,
            AccountKind::Member,
        ));
    }
    ledger.create_accounts(&accounts, NOW).unwrap();
    for id in 100..100 + OPERATIONS {
        ledger.execute(&service(id, 25), NOW + id as u64).unwrap();
    }
    ledger
}

#[test]
fn evicted_operations_keep_the_digest_and_answer_retries_once_loaded() {
    let mut keeping = ledger_with_operations();
    let mut evicting = keeping.clone();
    let evicted = evicting.evict_operations(5);
    assert_eq!(evicted.len(), OPERATIONS as usize - 5);
    assert_eq!(evicting.operations_held(), 5);
    assert_eq!(evicting.evicted_operation_count(), OPERATIONS as u64 - 5);
    // The oldest go first.
    assert_eq!(evicted[0].0.get(), 100);
    assert_eq!(evicting.state_digest(), keeping.state_digest());
    // The earlier digests write every operation: an evicting ledger cannot give them.
    assert!(evicting.state_digest_v2().is_none());
    assert!(evicting.state_digest_v1().is_none());
    assert!(keeping.state_digest_v2().is_some());

    let bytes = encode(&evicting);
    let restored = decode(&bytes).unwrap();
    assert_eq!(encode(&restored), bytes);
    assert_eq!(restored.state_digest(), keeping.state_digest());
    assert_eq!(digest(&bytes).unwrap(), keeping.state_digest());
    assert_eq!(restored.operations_held(), 5);

    // A retry of an evicted operation is refused, changing nothing, until it is loaded.
    let (id, record) = evicted[0].clone();
    let retry = service(id.get(), 25);
    let now = NOW + 1_000_000;
    assert_eq!(evicting.operation_to_load(&retry), Some(id));
    assert!(evicting.operation(id).is_none());
    let before = evicting.state_digest();
    assert_eq!(
        evicting.execute(&retry, now),
        Err(BatchError::NotLoaded { id })
    );
    assert_eq!(evicting.state_digest(), before);
    evicting.load_operation(id, record);
    assert_eq!(evicting.operation_to_load(&retry), None);
    assert_eq!(evicting.execute(&retry, now), keeping.execute(&retry, now));
    assert_eq!(evicting.state_digest(), keeping.state_digest());

    // An id the filter may name but that never ran, once declared absent, runs as new.
    let fresh = service(10_000, 50);
    if let Some(id) = evicting.operation_to_load(&fresh) {
        evicting.load_operation_absent(id);
    }
    let now = now + 1_000_000;
    assert_eq!(evicting.execute(&fresh, now), keeping.execute(&fresh, now));
    assert_eq!(evicting.state_digest(), keeping.state_digest());

    // The next eviction drops what was loaded back and returns only what ran since.
    let again = evicting.evict_operations(0);
    assert_eq!(again.len(), 6);
    assert!(again.iter().all(|(id, _)| id.get() != 100));
    assert_eq!(evicting.state_digest(), keeping.state_digest());
}

#[test]
fn a_snapshot_whose_operation_counts_disagree_is_refused() {
    let mut ledger = ledger_with_operations();
    ledger.evict_operations(5);
    let bytes = encode(&ledger);
    let good = decode(&bytes).unwrap().state_digest();
    assert_eq!(good, ledger.state_digest());
    // Find the chain's count (OPERATIONS, as u64) right after the five operations in memory,
    // and make it claim one more.
    let count = (OPERATIONS as u64).to_le_bytes();
    let at = bytes
        .windows(8)
        .rposition(|w| w == count)
        .expect("the operations' count");
    let mut bad = bytes.clone();
    bad[at] += 1;
    let error = decode(&bad).unwrap_err();
    assert_eq!(error.field, "operations", "{error}");
}

/// Failed ids and ratings go the same way: the digest stays, a command that looks one up is
/// refused until it is loaded back, then answers as the ledger that kept it.
#[test]
fn evicted_failed_ids_and_ratings_answer_once_loaded() {
    use ledger_core::{Rating, ResultCode, Transfer};
    let mut keeping = ledger_with_operations();
    let failing = |id: u128| {
        Transfer::new(
            TransferId::new(id).unwrap(),
            AccountId::new(1).unwrap(),
            AccountId::new(99).unwrap(),
            Amount::from_minor(1, 2).unwrap(),
            1,
        )
    };
    let now = NOW + 10_000_000;
    let batch: Vec<Transfer> = (500..520).map(failing).collect();
    keeping.create_transfers(&batch, now).unwrap();
    let ratings: Vec<Rating> = (100..110)
        .map(|t| Rating {
            transfer: TransferId::new(t).unwrap(),
            rating: 4,
        })
        .collect();
    keeping
        .execute(&Command::RecordRatings(ratings), now + 1_000)
        .unwrap();
    let mut evicting = keeping.clone();
    assert_eq!(evicting.evict_failed(2).len(), 18);
    assert_eq!(evicting.evict_ratings(2).len(), 8);
    assert_eq!((evicting.failed_held(), evicting.ratings_held()), (2, 2));
    assert_eq!(evicting.state_digest(), keeping.state_digest());
    assert!(evicting.state_digest_v2().is_none());
    let bytes = encode(&evicting);
    assert_eq!(
        decode(&bytes).unwrap().state_digest(),
        keeping.state_digest()
    );

    let retry = Command::CreateTransfers(vec![failing(500)]);
    let id = TransferId::new(500).unwrap();
    let at = now + 2_000;
    assert_eq!(evicting.failed_to_load(&retry, at), vec![id]);
    assert_eq!(
        evicting.execute(&retry, at),
        Err(BatchError::NotLoaded { id })
    );
    evicting.load_failed(id, ResultCode::CreditAccountNotFound);
    assert_eq!(evicting.execute(&retry, at), keeping.execute(&retry, at));
    assert_eq!(evicting.state_digest(), keeping.state_digest());

    let transfer = TransferId::new(100).unwrap();
    let again = Command::RecordRatings(vec![Rating {
        transfer,
        rating: 2,
    }]);
    let at = at + 1_000;
    assert_eq!(evicting.ratings_to_load(&again, at), vec![transfer]);
    assert_eq!(
        evicting.execute(&again, at),
        Err(BatchError::NotLoaded { id: transfer })
    );
    evicting.load_rating(transfer, 4);
    let answered = evicting.execute(&again, at);
    assert_eq!(answered, keeping.execute(&again, at));
    let Ok(ledger_core::Reply::Events(results)) = answered else {
        panic!("events")
    };
    assert_eq!(results[0].code, ResultCode::AlreadyRated);
    assert_eq!(evicting.state_digest(), keeping.state_digest());
}
