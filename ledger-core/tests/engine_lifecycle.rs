//! Closing accounts, reversals and the ledger's clock.

mod engine_support;

use engine_support::*;
use ledger_core::{AccountKind, NewAccount, ResultCode as R, Transfer, TransferFlags};

#[test]
fn a_closing_transfer_empties_and_closes_the_account() {
    let mut f = Fixture::new();
    let close = pay(1, ALICE, BOB, "10").flags(TransferFlags::CLOSING_DEBIT);
    f.ok(&[close]);
    assert!(f.account(ALICE).closed);
    assert_eq!(f.posted(ALICE), dec("0"));
    assert_eq!(f.posted(BOB), dec("15"));
    f.refused(&[pay(2, BOB, ALICE, "1")], &[R::CreditAccountClosed]);
    // An issuer in debt closes by being paid back what it issued.
    let close_credit = pay(4, BOB, FUND, "15").flags(TransferFlags::CLOSING_CREDIT);
    f.ok(&[close_credit]);
    assert!(f.account(FUND).closed);
    assert_eq!(f.posted(FUND), dec("0"));
}

/// closing_hold_can_close_an_account: a pending closing transfer could never apply. The check
/// that the closed account is left empty looked at its balances with the hold still pending,
/// where a hold of the whole balance leaves the posted balance untouched, so every pending
/// closing transfer failed with `closing_leaves_balance` and "a void reopens the account" could
/// not happen. The check now looks at the balances the hold leaves once posted.
#[test]
fn closing_hold_can_close_an_account() {
    let mut f = Fixture::new();
    let close = hold(1, ALICE, BOB, "10").flags(TransferFlags::CLOSING_DEBIT);
    f.ok(&[close]);
    assert!(f.account(ALICE).closed);
    assert_eq!(f.available(ALICE), dec("0"));
    f.refused(&[pay(2, FUND, ALICE, "1")], &[R::CreditAccountClosed]);
    // Voiding the closing hold reopens the account with its hours.
    f.ok(&[Transfer::void(tid(3), tid(1))]);
    assert!(!f.account(ALICE).closed);
    assert_eq!(f.available(ALICE), dec("10"));
    f.ok(&[pay(4, FUND, ALICE, "1")]);
}

#[test]
fn a_posted_closing_hold_leaves_the_account_closed_and_empty() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, BOB, FUND, "5").flags(TransferFlags::CLOSING_DEBIT)]);
    f.ok(&[Transfer::post(tid(2), tid(1), None)]);
    assert!(f.account(BOB).closed);
    assert_eq!(f.posted(BOB), dec("0"));
    assert_eq!(f.account(BOB).balances.debits_pending, 0);
}

/// closing_hold_is_posted_in_full: posting part of a closing hold released the rest onto an
/// account that stayed closed, stranding hours that no transfer could move again. A closing
/// hold is now posted in full or voided.
#[test]
fn closing_hold_is_posted_in_full() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, BOB, FUND, "5").flags(TransferFlags::CLOSING_DEBIT)]);
    f.refused(
        &[Transfer::post(tid(2), tid(1), Some(hours("4")))],
        &[R::ClosingLeavesBalance],
    );
    assert!(f.account(BOB).closed);
    f.ok(&[Transfer::post(tid(3), tid(1), Some(hours("5")))]);
    assert_eq!(f.posted(BOB), dec("0"));
}

#[test]
fn an_expired_closing_hold_reopens_the_account() {
    let mut f = Fixture::new();
    let close = hold(1, FUND, ALICE, "1")
        .flags(TransferFlags::CLOSING_DEBIT)
        .timeout_s(10);
    // The fund is 15 in debt, so a hold of 1 cannot empty it.
    f.refused(&[close], &[R::ClosingLeavesBalance]);
    let close = hold(2, BOB, ALICE, "5")
        .flags(TransferFlags::CLOSING_DEBIT)
        .timeout_s(10);
    f.ok(&[close]);
    assert!(f.account(BOB).closed);
    let released = f.ledger.expire(f.now + 11 * SECOND).unwrap();
    assert_eq!(released, vec![tid(2)]);
    assert!(!f.account(BOB).closed);
    assert_eq!(f.available(BOB), dec("5"));
}

#[test]
fn a_closing_hold_needs_no_other_hold_on_the_account() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "1")]);
    let close = hold(2, ALICE, FUND, "9").flags(TransferFlags::CLOSING_DEBIT);
    f.refused(&[close], &[R::ClosingLeavesBalance]);
    let close = hold(3, BOB, FUND, "5").flags(TransferFlags::CLOSING_DEBIT);
    f.refused(&[close], &[R::ClosingLeavesBalance]);
}

#[test]
fn a_reversal_moves_the_amount_back_once() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "3").code(4)]);
    f.ok(&[Transfer::reversal(tid(2), tid(1))]);
    assert_eq!(f.posted(ALICE), dec("10"));
    assert_eq!(f.posted(BOB), dec("5"));
    let reversal = f.record(2);
    assert_eq!(
        (reversal.debit_account_id, reversal.credit_account_id),
        (acc(BOB), acc(ALICE))
    );
    assert_eq!((reversal.amount, reversal.code), (hours("3"), 4));
    assert_eq!(f.record(1).reversed_by, Some(tid(2)));
    f.refused(&[Transfer::reversal(tid(2), tid(1))], &[R::Exists]);
}

#[test]
fn a_post_and_a_balancing_transfer_are_reversed_by_what_they_moved() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "4")]);
    f.ok(&[Transfer::post(tid(2), tid(1), Some(hours("1")))]);
    f.ok(&[pay(3, BOB, CAPPED, "50").flags(TransferFlags::BALANCING_DEBIT)]);
    f.ok(&[Transfer::reversal(tid(4), tid(3))]);
    f.ok(&[Transfer::reversal(tid(5), tid(2))]);
    assert_eq!(f.posted(ALICE), dec("10"));
    assert_eq!(f.posted(BOB), dec("5"));
    assert_eq!(f.posted(CAPPED), dec("0"));
}

#[test]
fn a_reversal_respects_limits_and_closed_accounts() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "3")]);
    f.ok(&[pay(2, BOB, CAPPED, "8")]);
    // Bob spent the hours: moving them back would take him below zero.
    f.refused(&[Transfer::reversal(tid(3), tid(1))], &[R::ExceedsFloor]);
    f.ok(&[pay(4, FUND, EMPTY, "1")]);
    f.ok(&[pay(5, EMPTY, FUND, "1").flags(TransferFlags::CLOSING_DEBIT)]);
    f.refused(
        &[Transfer::reversal(tid(6), tid(4))],
        &[R::DebitAccountClosed],
    );
}

#[test]
fn timestamps_strictly_increase_even_when_now_goes_backwards() {
    let mut f = Fixture::new();
    let late = f.now + 1_000 * SECOND;
    let first = f
        .ledger
        .create_transfers(&[pay(1, ALICE, BOB, "1"), pay(2, ALICE, BOB, "1")], late)
        .unwrap();
    assert_eq!((first[0].timestamp, first[1].timestamp), (late, late + 1));
    let earlier = late - 500 * SECOND;
    let second = f
        .ledger
        .create_transfers(&[pay(3, ALICE, BOB, "1")], earlier)
        .unwrap();
    assert_eq!(second[0].timestamp, late + 2);
    let accounts = f
        .ledger
        .create_accounts(
            &[NewAccount::new(acc(50), HOURS, AccountKind::Member)],
            earlier,
        )
        .unwrap();
    assert_eq!(accounts[0].timestamp, late + 3);
    // A refused event still uses up its timestamp, so the next one is later still.
    let refused = f
        .ledger
        .create_transfers(&[pay(4, ALICE, ALICE, "1"), pay(5, ALICE, BOB, "1")], 0)
        .unwrap();
    assert_eq!(refused[0].timestamp, 0);
    assert_eq!(refused[1].timestamp, late + 5);
    f.ledger.expire(0).unwrap();
    assert_eq!(f.ledger.clock(), late + 6);
    let stamps: Vec<_> = [1, 2, 3, 5]
        .iter()
        .map(|id| f.record(*id).timestamp)
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_hold_times_out_by_the_ledgers_clock_not_the_callers() {
    let mut f = Fixture::new();
    let placed = f
        .ledger
        .create_transfers(&[hold(1, ALICE, BOB, "1").timeout_s(10)], f.now + SECOND)
        .unwrap();
    let late = placed[0].timestamp + 20 * SECOND;
    f.ledger
        .create_transfers(&[pay(2, ALICE, BOB, "1")], late)
        .unwrap();
    // The caller's clock went back, but the ledger's did not: the hold has timed out.
    let results = f
        .ledger
        .create_transfers(&[Transfer::post(tid(3), tid(1), None)], f.now)
        .unwrap();
    assert_eq!(results[0].code, R::PendingTransferExpired);
    assert_eq!(f.ledger.expire(f.now).unwrap(), vec![tid(1)]);
}
