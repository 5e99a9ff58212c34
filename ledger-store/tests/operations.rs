//! Domain operations submitted by concurrent hosts get the results a serial run would: the
//! ledger plans each one under the committer's lock, so two hosts recording services for one
//! member never both plan "under the cap". A retried operation answers its first outcome and
//! changes nothing, and the journal replays to the same ledger.

mod support;

use std::collections::BTreeSet;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{
    AccountId, AccountKind, Amount, Cap, Command, Decimal, Excess, NewAccount, Period, Policy,
    ResultCode, TransferId,
};
use ledger_store::{Store, StoreOptions};
use support::{Scratch, NOW};

const HOSTS: u128 = 4;
const SERVICES_PER_HOST: u128 = 12;

fn account(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

/// Nanjing's rule at a small scale: 10 hours in all, the excess donated.
fn policy() -> Policy {
    let mut policy = Policy::default_policy();
    policy.caps.push(Cap {
        unit: 1,
        period: Period::Lifetime,
        limit: Decimal::from(10),
        excess: Excess::Donate,
    });
    policy.validate().unwrap();
    policy
}

fn service(host: u128, n: u128) -> Operation {
    Operation {
        // Two ids per plan at most (the capped part and the donation).
        id: TransferId::new(1_000 + (host * SERVICES_PER_HOST + n) * 2).unwrap(),
        kind: OperationKind::Service(ServiceRecord {
            code: 101,
            payer: account(1),
            provider: account(2),
            hours: Amount::parse_in("1", 2).unwrap(),
            served_at: None,
            donation: Some(account(9)),
            points: None,
            user_data: 0,
        }),
    }
}

#[test]
fn concurrent_hosts_get_the_results_of_a_serial_run() {
    let dir = Scratch::new("operations");
    let store = Store::create(dir.path(), &policy(), NOW, StoreOptions::default()).unwrap();
    store
        .create_accounts(
            vec![
                NewAccount::new(account(1), 1, AccountKind::Issuer),
                NewAccount::new(account(2), 1, AccountKind::Member),
                NewAccount::new(account(9), 1, AccountKind::Donation),
            ],
            NOW + 1,
        )
        .unwrap();
    std::thread::scope(|s| {
        for host in 0..HOSTS {
            let store = &store;
            s.spawn(move || {
                for n in 0..SERVICES_PER_HOST {
                    let op = service(host, n);
                    let now = NOW + 1_000 + n as u64;
                    let first = store.submit(Command::Operate(op.clone()), now).unwrap();
                    // Whatever the plan became (all earned, split, all donated), it applied.
                    assert!(first.events().iter().all(|r| r.code == ResultCode::Ok));
                    // A retry after a timeout: the same outcome, nothing more.
                    let again = store.submit(Command::Operate(op), now + 1).unwrap();
                    assert_eq!(again.events().len(), first.events().len());
                    assert!(again.events().iter().all(|r| r.code == ResultCode::Exists));
                }
            });
        }
    });
    let balance = |id| store.account(account(id)).unwrap().posted();
    let served = Decimal::from((HOSTS * SERVICES_PER_HOST) as u64);
    // Exactly the cap earned, the rest donated, never a refusal: as if run one after another.
    assert_eq!(balance(2), Decimal::from(10));
    assert_eq!(balance(9), served - Decimal::from(10));
    assert_eq!(balance(1), -served);
    // One transfer per service: 1 hour earned, or 1 hour donated (the cap falls on a whole
    // hour, so no service is split).
    let ids: BTreeSet<_> = store.read(|l| l.transfers().map(|t| t.id()).collect());
    assert_eq!(ids.len() as u128, HOSTS * SERVICES_PER_HOST);
    let digest = store.state_digest();
    store.close().unwrap();
    // The journal, replayed in commit order (a serial run), gives the same ledger.
    let reopened = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(reopened.state_digest(), digest);
    reopened.verify(&mut |_| {}).unwrap();
}
