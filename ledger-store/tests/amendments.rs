//! Policy amendments are journaled (command tag 10) and replayed: a ledger reopened after an
//! amendment judges services as it did before it closed, under the policy in force on the day
//! each was done; a refused amendment writes nothing.

mod support;

use ledger_core::timebank;
use ledger_core::{
    AccountKind, Amendment, AmendmentError, Amount, BatchError, Cap, Command, Decimal, Excess,
    NewAccount, Period, Policy, ResultCode, Transfer,
};
use ledger_store::record::{FORMAT_VERSION, OFFSET_VERSION};
use ledger_store::{verify_dir, Error, Store, StoreOptions};
use support::{account, tid, Scratch, JOURNAL_FILE_NAME, NOW};

const DAY: u64 = 86_400 * 1_000_000_000;
/// The amendment takes effect ten days after the ledger's creation.
const FROM: u64 = NOW + 10 * DAY;

fn policy_with_day_cap(limit: i64) -> Policy {
    let mut policy = Policy::default_policy();
    policy.caps = vec![Cap {
        unit: 1,
        period: Period::Day,
        limit: Decimal::from(limit),
        excess: Excess::Reject,
    }];
    policy.validate().unwrap();
    policy
}

fn service(id: u128, h: &str, served_at: u64) -> Transfer {
    Transfer::new(
        tid(id),
        account(1),
        account(2),
        Amount::parse_in(h, 2).unwrap(),
        1,
    )
    .code(101)
    .served_at(served_at)
}

fn code(store: &Store, t: Transfer, now: u64) -> ResultCode {
    store.create_transfers(vec![t], now).unwrap().events()[0].code
}

#[test]
fn amendments_are_journaled_replayed_and_survive_reopening() {
    let dir = Scratch::new("amendments");
    let (old, new) = (policy_with_day_cap(2), policy_with_day_cap(4));
    let store = Store::create(dir.path(), &old, NOW, StoreOptions::default()).unwrap();
    store
        .create_accounts(
            vec![
                NewAccount::new(account(1), 1, AccountKind::Issuer),
                NewAccount::new(account(2), 1, AccountKind::Member),
            ],
            NOW + 1,
        )
        .unwrap();
    let journal = dir.path().join(JOURNAL_FILE_NAME);
    let before = std::fs::read(&journal).unwrap();

    // Effective before the ledger's last event: refused, and nothing is written.
    let early = Command::AmendPolicy(Amendment {
        from: NOW,
        policy: new.clone(),
    });
    match store.submit(early, NOW + 2) {
        Err(Error::Batch(BatchError::Amendment(AmendmentError::NotAfterClock { .. }))) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(std::fs::read(&journal).unwrap(), before);

    let amendment = Command::AmendPolicy(Amendment {
        from: FROM,
        policy: new.clone(),
    });
    let committed = store.submit(amendment, NOW + 3).unwrap();
    assert_eq!(committed.events()[0].code, ResultCode::Ok);
    let bytes = std::fs::read(&journal).unwrap();
    assert_eq!(bytes[before.len() + OFFSET_VERSION], FORMAT_VERSION);

    // A day after the amendment: a service done the day before it is judged under the old cap.
    let now = FROM + DAY;
    assert_eq!(
        code(&store, service(10, "3", FROM - DAY), now),
        ResultCode::CapExceededDaily
    );
    assert_eq!(
        code(&store, service(11, "3", FROM), now + 1),
        ResultCode::Ok
    );
    let digest = store.state_digest();
    store.close().unwrap();

    let reopened = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(reopened.state_digest(), digest);
    reopened.read(|ledger| {
        assert_eq!(timebank::policy_at(ledger, FROM - 1), Some(&old));
        assert_eq!(timebank::policy_at(ledger, FROM), Some(&new));
    });
    // After reopening, the rules are the same: the old cap for the old day, the new one after.
    assert_eq!(
        code(&reopened, service(12, "3", FROM - DAY), now + 2),
        ResultCode::CapExceededDaily
    );
    assert_eq!(
        code(&reopened, service(13, "1", FROM), now + 3),
        ResultCode::Ok
    );
    assert_eq!(
        code(&reopened, service(14, "0.01", FROM), now + 4),
        ResultCode::CapExceededDaily
    );
    reopened.verify(&mut |_| {}).unwrap();
    reopened.close().unwrap();
    verify_dir(dir.path(), None, &mut |_| {}).unwrap();
}
