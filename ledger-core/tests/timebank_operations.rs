//! Operation-level idempotency (docs/DOMAIN.md §3.9, a host retrying after a timeout): a
//! domain operation runs as one command under its request id. Retrying it with the same
//! arguments returns the original outcome whatever the ledger's state now, and changes nothing;
//! the same id with other arguments is refused with a code naming the difference.

mod timebank_support;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::{Booking, Closing, Completion, ServiceRecord};
use ledger_core::{AccountKind, Command, EventResult, Excess, Period, Policy, Reply, ResultCode};
use timebank_support::*;

fn operate(bank: &mut Bank, id: u128, kind: OperationKind) -> Vec<ResultCode> {
    results(bank, id, kind).iter().map(|r| r.code).collect()
}

fn results(bank: &mut Bank, id: u128, kind: OperationKind) -> Vec<EventResult> {
    bank.now += 1_000;
    let command = Command::Operate(Operation { id: tid(id), kind });
    match bank
        .ledger
        .execute(&command, bank.now)
        .expect("a valid command")
    {
        Reply::Events(results) => results,
        Reply::Expired(_) => unreachable!(),
    }
}

fn service(h: &str) -> OperationKind {
    OperationKind::Service(ServiceRecord {
        code: COMPANIONSHIP,
        payer: id(1),
        provider: id(2),
        hours: hours(h),
        served_at: None,
        donation: Some(id(9)),
        points: None,
        user_data: 0,
    })
}

/// Everything a host can see of the books: balances and the transfers made.
fn books(bank: &Bank) -> (Vec<(u128, ledger_core::Decimal)>, usize) {
    let mut balances: Vec<_> = bank
        .ledger
        .accounts()
        .map(|a| {
            (
                a.id.get(),
                a.posted() * ledger_core::Decimal::TEN + a.decimal(a.balances.debits_pending),
            )
        })
        .collect();
    balances.sort();
    (balances, bank.ledger.transfer_count())
}

/// Nanjing: 1,500 hours in all, the excess donated. A fund (1), a volunteer (2), a pool (9).
fn nanjing() -> Bank {
    let policy = policy_with_caps(vec![cap(HOURS, Period::Lifetime, "1500", Excess::Donate)]);
    let mut bank = Bank::new(&policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 8);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    bank
}

#[test]
fn a_retried_split_service_returns_its_outcome_even_after_the_cap_moved() {
    let mut bank = nanjing();
    assert_eq!(operate(&mut bank, 100, service("1499")), [ResultCode::Ok]);
    // 1 hour to the volunteer, 2 to the pool, linked.
    let first = results(&mut bank, 200, service("3"));
    assert_eq!(
        first.iter().map(|r| r.code).collect::<Vec<_>>(),
        [ResultCode::Ok; 2]
    );
    assert_eq!(bank.balance(id(2)), dec("1500"));
    let before = books(&bank);
    // A re-plan now would route all 3 hours to the pool; the retry gets what happened.
    let again = results(&mut bank, 200, service("3"));
    assert_eq!(
        again.iter().map(|r| r.code).collect::<Vec<_>>(),
        [ResultCode::Exists; 2]
    );
    assert_eq!(
        again.iter().map(|r| r.timestamp).collect::<Vec<_>>(),
        first.iter().map(|r| r.timestamp).collect::<Vec<_>>()
    );
    assert_eq!(books(&bank), before);
}

#[test]
fn a_rated_completion_is_one_step_and_its_retry_is_not_already_rated() {
    let mut bank = nanjing();
    let booking = OperationKind::Booking(Booking {
        code: COMPANIONSHIP,
        payer: id(1),
        provider: id(2),
        hours: hours("2"),
        timeout_s: 0,
        user_data: 0,
    });
    assert_eq!(operate(&mut bank, 300, booking), [ResultCode::Ok]);
    let completion = OperationKind::Completion(Completion {
        booking: tid(300),
        hours: None,
        rating: Some(4),
        donation: None,
        served_at: None,
    });
    // The post and the rating in one command.
    assert_eq!(
        operate(&mut bank, 400, completion.clone()),
        [ResultCode::Ok, ResultCode::Ok]
    );
    assert_eq!(
        ledger_core::timebank::rating(&bank.ledger, tid(400)),
        Some(4)
    );
    let before = books(&bank);
    // The booking is no longer pending, yet the retry answers what happened.
    assert_eq!(
        operate(&mut bank, 400, completion),
        [ResultCode::Exists, ResultCode::Exists]
    );
    assert_eq!(books(&bank), before);
}

#[test]
fn a_retried_closing_is_done_not_nothing_to_close() {
    let mut bank = nanjing();
    assert_eq!(operate(&mut bank, 100, service("5")), [ResultCode::Ok]);
    bank.link(id(2), id(3));
    let closing = OperationKind::Closing(Closing {
        accounts: vec![(id(2), id(3))],
    });
    assert_eq!(operate(&mut bank, 500, closing.clone()), [ResultCode::Ok]);
    assert_eq!(bank.balance(id(3)), dec("5"));
    assert_eq!(operate(&mut bank, 500, closing), [ResultCode::Exists]);
    assert_eq!(bank.balance(id(3)), dec("5"));
}

#[test]
fn a_refusal_is_remembered_and_answered_again() {
    let mut bank = nanjing();
    // Booking 77 does not exist: the planner's refusal is the operation's outcome.
    let completion = OperationKind::Completion(Completion {
        booking: tid(77),
        hours: None,
        rating: None,
        donation: None,
        served_at: None,
    });
    assert_eq!(
        operate(&mut bank, 600, completion.clone()),
        [ResultCode::TransferNotFound]
    );
    assert_eq!(
        operate(&mut bank, 600, completion),
        [ResultCode::TransferNotFound]
    );
    // The ledger refusing the transfers is remembered too, even once it would succeed.
    let gift = OperationKind::Gift(ledger_core::timebank::Gift {
        from: id(2),
        to: id(3),
        amount: hours("1"),
        code: None,
    });
    assert_eq!(operate(&mut bank, 700, service("2")), [ResultCode::Ok]);
    assert_eq!(
        operate(&mut bank, 800, gift.clone()),
        [ResultCode::GiftNotAllowed]
    );
    bank.link(id(2), id(3));
    assert_eq!(operate(&mut bank, 800, gift), [ResultCode::GiftNotAllowed]);
    assert_eq!(bank.balance(id(3)), dec("0"));
}

#[test]
fn the_same_id_with_other_arguments_names_the_difference() {
    let mut bank = nanjing();
    assert_eq!(operate(&mut bank, 100, service("2")), [ResultCode::Ok]);
    let before = books(&bank);
    assert_eq!(
        operate(&mut bank, 100, service("3")),
        [ResultCode::OperationExistsWithDifferentAmount]
    );
    let OperationKind::Service(mut other) = service("2") else {
        unreachable!()
    };
    other.provider = id(3);
    assert_eq!(
        operate(&mut bank, 100, OperationKind::Service(other.clone())),
        [ResultCode::OperationExistsWithDifferentAccounts]
    );
    other.provider = id(2);
    other.served_at = Some(bank.now);
    assert_eq!(
        operate(&mut bank, 100, OperationKind::Service(other)),
        [ResultCode::OperationExistsWithDifferentServedAt]
    );
    let reversal = OperationKind::Reversal { original: tid(100) };
    assert_eq!(
        operate(&mut bank, 100, reversal),
        [ResultCode::OperationExistsWithDifferentKind]
    );
    assert_eq!(books(&bank), before);
}

#[test]
fn an_operation_replays_to_the_same_ledger() {
    let policy = Policy::default_policy();
    let run = || {
        let mut bank = Bank::new(&policy);
        bank.open(1, HOURS, AccountKind::Issuer, 7);
        bank.open(2, HOURS, AccountKind::Member, 7);
        bank.now = START;
        operate(&mut bank, 100, service("2"));
        operate(&mut bank, 100, service("2"));
        operate(
            &mut bank,
            200,
            OperationKind::Reversal { original: tid(100) },
        );
        bank.ledger.state_digest()
    };
    assert_eq!(run(), run());
}
