//! Scenarios from docs/DOMAIN.md §3.11 and §3.5: a dormant account closes, its history kept; an
//! empty one simply closes; a remaining balance goes where a gift could: a fund, a pool, or a
//! member the gift rule allows (family, or anyone where the policy says so).

mod timebank_support;

use ledger_core::timebank::{self, Closing, PlanError};
use ledger_core::{AccountKind, Command, Policy, Reply, ResultCode, Transfer, TransferFlags};
use timebank_support::*;

/// A fund (1), a member with 5 hours (2), a stranger (3), a relative (4), a pool (9).
fn bank(policy: &Policy) -> Bank {
    let mut bank = Bank::new(policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 7);
    bank.open(4, HOURS, AccountKind::Member, 8);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    let t = Transfer::new(bank.ids(), id(1), id(2), hours("5"), HOURS).code(COMPANIONSHIP);
    bank.now += 1_000;
    assert!(bank.ledger.create_transfers(&[t], bank.now).unwrap()[0].is_ok());
    bank.link(id(2), id(4));
    bank
}

fn close(bank: &mut Bank, account: u128, to: u128) -> Vec<ResultCode> {
    let closing = Closing {
        accounts: vec![(id(account), id(to))],
    };
    let plan = timebank::plan_closing(&bank.ledger, bank.ids(), &closing).expect("a plan");
    bank.submit(&plan)
}

#[test]
fn an_empty_dormant_account_closes() {
    let mut bank = bank(&Policy::default_policy());
    assert_eq!(close(&mut bank, 3, 9), [ResultCode::Ok]);
    assert!(bank.ledger.account(id(3)).unwrap().closed);
    // Closed: it earns nothing more.
    let t = Transfer::new(bank.ids(), id(1), id(3), hours("1"), HOURS).code(COMPANIONSHIP);
    bank.now += 1_000;
    let r = bank.ledger.create_transfers(&[t], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::CreditAccountClosed);
    // Closing it again changes nothing.
    bank.now += 1_000;
    let r = bank
        .ledger
        .execute(&Command::CloseAccounts(vec![id(3)]), bank.now)
        .unwrap();
    assert_eq!(
        r,
        Reply::Events(vec![ledger_core::EventResult {
            code: ResultCode::Exists,
            timestamp: 0
        }])
    );
}

#[test]
fn an_account_with_hours_does_not_close_without_saying_where_they_go() {
    let mut bank = bank(&Policy::default_policy());
    bank.now += 1_000;
    let r = bank
        .ledger
        .execute(&Command::CloseAccounts(vec![id(2)]), bank.now)
        .unwrap();
    let Reply::Events(r) = r else {
        panic!("events")
    };
    assert_eq!(r[0].code, ResultCode::ClosingLeavesBalance);
    assert!(!bank.ledger.account(id(2)).unwrap().closed);
}

#[test]
fn the_balance_goes_to_family_a_pool_or_a_fund_never_to_a_stranger() {
    let mut bank = bank(&Policy::default_policy());
    assert_eq!(
        close(&mut bank, 2, 3),
        [ResultCode::ClosingDestinationNotAllowed]
    );
    assert_eq!(bank.balance(id(2)), dec("5"));
    assert!(!bank.ledger.account(id(2)).unwrap().closed);
    assert_eq!(close(&mut bank, 2, 4), [ResultCode::Ok]);
    assert_eq!(bank.balance(id(4)), dec("5"));

    for destination in [9, 1] {
        let mut bank = self::bank(&Policy::default_policy());
        assert_eq!(close(&mut bank, 2, destination), [ResultCode::Ok]);
        assert!(bank.ledger.account(id(2)).unwrap().closed);
    }
}

#[test]
fn where_friends_may_receive_gifts_a_friend_may_inherit() {
    let mut policy = Policy::default_policy();
    policy.gifts.any_member = true;
    let mut bank = bank(&policy);
    assert_eq!(close(&mut bank, 2, 3), [ResultCode::Ok]);
    assert_eq!(bank.balance(id(3)), dec("5"));
}

#[test]
fn a_raw_closing_transfer_to_a_stranger_is_refused_too() {
    let mut bank = bank(&Policy::default_policy());
    let t = Transfer::new(bank.ids(), id(2), id(3), hours("5"), HOURS)
        .code(303)
        .flags(TransferFlags::CLOSING_DEBIT);
    bank.now += 1_000;
    let r = bank.ledger.create_transfers(&[t], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::ClosingDestinationNotAllowed);
}

#[test]
fn closing_with_holds_is_refused_by_the_planner_with_a_result_code() {
    let mut bank = bank(&Policy::default_policy());
    let hold = Transfer::new(bank.ids(), id(2), id(3), hours("1"), HOURS)
        .code(CARE_COMPANIONSHIP)
        .flags(TransferFlags::PENDING);
    bank.eligible_from(id(2), Some(0));
    bank.now += 1_000;
    assert!(bank.ledger.create_transfers(&[hold], bank.now).unwrap()[0].is_ok());
    let closing = Closing {
        accounts: vec![(id(2), id(4))],
    };
    let err = timebank::plan_closing(&bank.ledger, bank.ids(), &closing).unwrap_err();
    assert_eq!(err, PlanError::HoldsPending(id(2)));
    assert_eq!(err.code(), ResultCode::HoldsPending);
}
