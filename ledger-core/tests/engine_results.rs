//! One test per result code the engine produces (the time-bank rules' codes are tested with the
//! rules). Each asserts the code and that the refused request changed nothing.

mod engine_support;

use engine_support::*;
use ledger_core::limits::{AMOUNT_WHOLE_MAX, BALANCE_WHOLE_MAX, PENDING_TIMEOUT_S_MAX};
use ledger_core::{
    AccountKind, Amount, BatchError, NewAccount, ResultCode as R, Transfer, TransferFlags,
};

#[test]
fn ok_applies_and_stamps_the_event_with_now() {
    let mut f = Fixture::new();
    let now = f.tick();
    let results = f
        .ledger
        .create_transfers(&[pay(1, ALICE, BOB, "2.25")], now)
        .unwrap();
    assert_eq!(results[0].code, R::Ok);
    assert_eq!(results[0].timestamp, now);
    assert_eq!(f.posted(ALICE), dec("7.75"));
    assert_eq!(f.posted(BOB), dec("7.25"));
    assert_eq!(f.record(1).timestamp, now);
}

#[test]
fn exists_returns_the_original_timestamp_and_changes_nothing() {
    let mut f = Fixture::new();
    let now = f.tick();
    let first = f
        .ledger
        .create_transfers(&[pay(1, ALICE, BOB, "1")], now)
        .unwrap();
    f.refused(&[pay(1, ALICE, BOB, "1")], &[R::Exists]);
    let again = f
        .ledger
        .create_transfers(&[pay(1, ALICE, BOB, "1")], f.now + 1)
        .unwrap();
    assert_eq!(again[0].code, R::Exists);
    assert_eq!(again[0].timestamp, first[0].timestamp);
    assert_eq!(f.posted(ALICE), dec("9"));
}

#[test]
fn id_already_failed_after_a_transient_failure_even_when_it_could_now_apply() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, ALICE, BOB, "11")], &[R::ExceedsFloor]);
    assert_eq!(f.ledger.failed_code(tid(1)), Some(R::ExceedsFloor));
    f.ok(&[pay(2, FUND, ALICE, "5")]);
    // Alice could now pay 11, but the id is spent: a retry never turns into a late success.
    f.refused(&[pay(1, ALICE, BOB, "11")], &[R::IdAlreadyFailed]);
    assert_eq!(f.ledger.failed_code(tid(1)), Some(R::ExceedsFloor));
    assert!(f.ledger.transfer(tid(1)).is_none());
}

#[test]
fn a_failure_that_is_not_transient_does_not_spend_the_id() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, ALICE, ALICE, "1")], &[R::AccountsMustBeDifferent]);
    assert_eq!(f.ledger.failed_code(tid(1)), None);
    f.ok(&[pay(1, ALICE, BOB, "1")]);
}

#[test]
fn flags_reserved() {
    let mut f = Fixture::new();
    let t = pay(1, ALICE, BOB, "1").flags(TransferFlags(1 << 9));
    f.refused(&[t], &[R::FlagsReserved]);
    let t = pay(2, ALICE, BOB, "1").flags(TransferFlags(1 << 15));
    f.refused(&[t], &[R::FlagsReserved]);
}

#[test]
fn flags_are_mutually_exclusive() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "1"), pay(2, ALICE, BOB, "1")]);
    let cases = [
        hold(10, ALICE, BOB, "1").flags(TransferFlags::POST_PENDING),
        hold(11, ALICE, BOB, "1").flags(TransferFlags::REVERSAL),
        Transfer::post(tid(12), tid(1), None).flags(TransferFlags::VOID_PENDING),
        Transfer::post(tid(13), tid(1), None).flags(TransferFlags::BALANCING_DEBIT),
        Transfer::void(tid(14), tid(1)).flags(TransferFlags::CLOSING_CREDIT),
        Transfer::reversal(tid(15), tid(2)).flags(TransferFlags::BALANCING_CREDIT),
        Transfer::reversal(tid(16), tid(2)).flags(TransferFlags::CLOSING_DEBIT),
    ];
    for t in cases {
        f.refused(&[t], &[R::FlagsAreMutuallyExclusive]);
    }
}

#[test]
fn debit_account_required() {
    let mut f = Fixture::new();
    let mut t = pay(1, ALICE, BOB, "1");
    t.debit_account_id = None;
    f.refused(&[t], &[R::DebitAccountRequired]);
}

#[test]
fn credit_account_required() {
    let mut f = Fixture::new();
    let mut t = hold(1, ALICE, BOB, "1");
    t.credit_account_id = None;
    f.refused(&[t], &[R::CreditAccountRequired]);
}

#[test]
fn accounts_must_be_different() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, ALICE, ALICE, "1")], &[R::AccountsMustBeDifferent]);
}

#[test]
fn amount_required() {
    let mut f = Fixture::new();
    let mut t = pay(1, ALICE, BOB, "1");
    t.amount = None;
    f.refused(&[t], &[R::AmountRequired]);
}

#[test]
fn related_id_invalid() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "1")]);
    let mut post = Transfer::post(tid(2), tid(1), None);
    post.related_id = None;
    let mut reversal = Transfer::reversal(tid(3), tid(1));
    reversal.related_id = None;
    let mut plain = pay(4, ALICE, BOB, "1");
    plain.related_id = Some(tid(1));
    for t in [post, reversal, plain] {
        f.refused(&[t], &[R::RelatedIdInvalid]);
    }
}

#[test]
fn timeout_reserved_for_pending() {
    let mut f = Fixture::new();
    f.refused(
        &[pay(1, ALICE, BOB, "1").timeout_s(60)],
        &[R::TimeoutReservedForPending],
    );
}

#[test]
fn timeout_too_large() {
    let mut f = Fixture::new();
    let t = hold(1, ALICE, BOB, "1").timeout_s(PENDING_TIMEOUT_S_MAX + 1);
    f.refused(&[t], &[R::TimeoutTooLarge]);
    f.ok(&[hold(2, ALICE, BOB, "1").timeout_s(PENDING_TIMEOUT_S_MAX)]);
}

#[test]
fn unit_not_found() {
    let mut f = Fixture::new();
    let mut t = pay(1, ALICE, BOB, "1");
    t.unit = 9;
    f.refused(&[t], &[R::UnitNotFound]);
}

#[test]
fn amount_exceeds_unit_scale() {
    let mut f = Fixture::new();
    // Points have no decimals: half a point is refused, never rounded.
    let half = Amount::parse("0.5").unwrap();
    let t = Transfer::new(tid(1), acc(POINTS_FUND), acc(CAROL), half, POINTS);
    f.refused(&[t], &[R::AmountExceedsUnitScale]);
    let thousandth = Amount::parse("0.001").unwrap();
    let t = Transfer::new(tid(2), acc(ALICE), acc(BOB), thousandth, HOURS);
    f.refused(&[t], &[R::AmountExceedsUnitScale]);
    // A post's amount is checked against the hold's unit too.
    f.ok(&[hold(3, ALICE, BOB, "1")]);
    let post = Transfer::post(tid(4), tid(3), Some(thousandth));
    f.refused(&[post], &[R::AmountExceedsUnitScale]);
}

#[test]
fn exists_with_different_fields_names_the_first_differing_field() {
    let mut f = Fixture::new();
    let original = hold(1, ALICE, BOB, "1").code(7).timeout_s(60).user_data(42);
    f.ok(std::slice::from_ref(&original));
    let with = |change: fn(&mut Transfer)| {
        let mut t = original.clone();
        change(&mut t);
        t
    };
    let cases: [(Transfer, R); 9] = [
        (
            with(|t| t.flags = TransferFlags::PENDING | TransferFlags::BALANCING_DEBIT),
            R::ExistsWithDifferentFlags,
        ),
        (
            with(|t| t.debit_account_id = Some(acc(FUND))),
            R::ExistsWithDifferentDebitAccountId,
        ),
        (
            with(|t| t.credit_account_id = Some(acc(CAPPED))),
            R::ExistsWithDifferentCreditAccountId,
        ),
        (
            with(|t| t.amount = Some(hours("2"))),
            R::ExistsWithDifferentAmount,
        ),
        (
            with(|t| t.related_id = Some(tid(9001))),
            R::RelatedIdInvalid,
        ),
        (with(|t| t.unit = POINTS), R::ExistsWithDifferentUnit),
        (with(|t| t.code = 8), R::ExistsWithDifferentCode),
        (with(|t| t.timeout_s = 61), R::ExistsWithDifferentTimeout),
        (with(|t| t.user_data = 43), R::ExistsWithDifferentUserData),
    ];
    for (t, code) in cases {
        f.refused(&[t], &[code]);
    }
    // The first differing field in the documented order wins.
    let two = with(|t| {
        t.amount = Some(hours("2"));
        t.user_data = 1;
    });
    f.refused(&[two], &[R::ExistsWithDifferentAmount]);
}

#[test]
fn exists_with_different_related_id() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "1"), hold(2, ALICE, BOB, "1")]);
    f.ok(&[Transfer::void(tid(3), tid(1))]);
    f.refused(
        &[Transfer::void(tid(3), tid(2))],
        &[R::ExistsWithDifferentRelatedId],
    );
    f.refused(&[Transfer::void(tid(3), tid(1))], &[R::Exists]);
}

#[test]
fn debit_account_not_found() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, 99, BOB, "1")], &[R::DebitAccountNotFound]);
}

#[test]
fn credit_account_not_found() {
    let mut f = Fixture::new();
    f.refused(&[hold(1, ALICE, 99, "1")], &[R::CreditAccountNotFound]);
}

#[test]
fn accounts_must_have_the_same_unit() {
    let mut f = Fixture::new();
    f.refused(
        &[pay(1, ALICE, CAROL, "1")],
        &[R::AccountsMustHaveTheSameUnit],
    );
}

#[test]
fn transfer_must_have_the_same_unit_as_accounts() {
    let mut f = Fixture::new();
    let t = Transfer::new(tid(1), acc(ALICE), acc(BOB), hours("1"), POINTS);
    f.refused(&[t], &[R::TransferMustHaveTheSameUnitAsAccounts]);
}

/// Puts one hour on `EMPTY` and closes it by paying the hour back to the fund.
fn close_empty(f: &mut Fixture) {
    f.ok(&[pay(100, FUND, EMPTY, "1")]);
    f.ok(&[pay(101, EMPTY, FUND, "1").flags(TransferFlags::CLOSING_DEBIT)]);
    assert!(f.account(EMPTY).closed);
    assert_eq!(f.posted(EMPTY), dec("0"));
}

#[test]
fn debit_account_closed() {
    let mut f = Fixture::new();
    close_empty(&mut f);
    f.refused(&[pay(1, EMPTY, BOB, "1")], &[R::DebitAccountClosed]);
}

#[test]
fn credit_account_closed() {
    let mut f = Fixture::new();
    close_empty(&mut f);
    f.refused(&[pay(1, ALICE, EMPTY, "1")], &[R::CreditAccountClosed]);
    f.refused(&[hold(2, FUND, EMPTY, "1")], &[R::CreditAccountClosed]);
}

#[test]
fn closing_leaves_balance() {
    let mut f = Fixture::new();
    // Alice holds 10: paying 3 and closing would strand 7 hours on a closed account.
    let t = pay(1, ALICE, BOB, "3").flags(TransferFlags::CLOSING_DEBIT);
    f.refused(&[t], &[R::ClosingLeavesBalance]);
    let t = pay(2, FUND, BOB, "1").flags(TransferFlags::CLOSING_CREDIT);
    f.refused(&[t], &[R::ClosingLeavesBalance]);
    // A hold on the account counts: it is not empty while something is reserved on it.
    f.ok(&[hold(3, ALICE, BOB, "1")]);
    let t = pay(4, ALICE, FUND, "9").flags(TransferFlags::CLOSING_DEBIT);
    f.refused(&[t], &[R::ClosingLeavesBalance]);
    assert!(!f.account(ALICE).closed);
}

#[test]
fn pending_transfer_not_found() {
    let mut f = Fixture::new();
    f.refused(
        &[Transfer::post(tid(1), tid(77), None)],
        &[R::PendingTransferNotFound],
    );
    f.refused(
        &[Transfer::void(tid(2), tid(77))],
        &[R::PendingTransferNotFound],
    );
}

#[test]
fn pending_transfer_not_pending() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "1")]);
    f.refused(
        &[Transfer::post(tid(2), tid(1), None)],
        &[R::PendingTransferNotPending],
    );
    f.refused(
        &[Transfer::void(tid(3), tid(1))],
        &[R::PendingTransferNotPending],
    );
}

#[test]
fn pending_transfer_already_posted() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2")]);
    f.ok(&[Transfer::post(tid(2), tid(1), None)]);
    f.refused(
        &[Transfer::post(tid(3), tid(1), None)],
        &[R::PendingTransferAlreadyPosted],
    );
    f.refused(
        &[Transfer::void(tid(4), tid(1))],
        &[R::PendingTransferAlreadyPosted],
    );
}

#[test]
fn pending_transfer_already_voided() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2")]);
    f.ok(&[Transfer::void(tid(2), tid(1))]);
    f.refused(
        &[Transfer::post(tid(3), tid(1), None)],
        &[R::PendingTransferAlreadyVoided],
    );
    f.refused(
        &[Transfer::void(tid(4), tid(1))],
        &[R::PendingTransferAlreadyVoided],
    );
}

#[test]
fn pending_transfer_expired() {
    let mut f = Fixture::new();
    f.ok(&[
        hold(1, ALICE, BOB, "2").timeout_s(10),
        hold(2, ALICE, BOB, "2").timeout_s(10),
    ]);
    f.now += 20 * SECOND;
    // Timed out but not yet released by `expire`: a post is refused all the same.
    f.refused(
        &[Transfer::post(tid(3), tid(1), None)],
        &[R::PendingTransferExpired],
    );
    assert_eq!(f.available(ALICE), dec("6"));
    let now = f.tick();
    assert_eq!(f.ledger.expire(now).unwrap(), vec![tid(1), tid(2)]);
    f.refused(
        &[Transfer::void(tid(4), tid(2))],
        &[R::PendingTransferExpired],
    );
    f.refused(
        &[Transfer::post(tid(5), tid(2), None)],
        &[R::PendingTransferExpired],
    );
}

#[test]
fn pending_transfer_has_different_fields() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2").code(5)]);
    let post = || Transfer::post(tid(2), tid(1), None);
    let mut t = post();
    t.debit_account_id = Some(acc(FUND));
    f.refused(&[t], &[R::PendingTransferHasDifferentDebitAccountId]);
    let mut t = post();
    t.credit_account_id = Some(acc(CAPPED));
    f.refused(&[t], &[R::PendingTransferHasDifferentCreditAccountId]);
    let mut t = post();
    t.unit = POINTS;
    f.refused(&[t], &[R::PendingTransferHasDifferentUnit]);
    f.refused(&[post().code(6)], &[R::PendingTransferHasDifferentCode]);
    // Fields given equal to the hold's are accepted.
    let mut t = post().code(5);
    t.debit_account_id = Some(acc(ALICE));
    t.credit_account_id = Some(acc(BOB));
    t.unit = HOURS;
    f.ok(&[t]);
}

#[test]
fn exceeds_pending_amount() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2")]);
    f.refused(
        &[Transfer::post(tid(2), tid(1), Some(hours("2.01")))],
        &[R::ExceedsPendingAmount],
    );
    let mut void = Transfer::void(tid(3), tid(1));
    void.amount = Some(hours("1"));
    f.refused(&[void], &[R::ExceedsPendingAmount]);
    // A void naming the hold's own amount is fine.
    let mut void = Transfer::void(tid(4), tid(1));
    void.amount = Some(hours("2"));
    f.ok(&[void]);
}

#[test]
fn reversed_transfer_not_found() {
    let mut f = Fixture::new();
    f.refused(
        &[Transfer::reversal(tid(1), tid(77))],
        &[R::ReversedTransferNotFound],
    );
}

#[test]
fn transfer_not_reversible() {
    let mut f = Fixture::new();
    f.ok(&[
        hold(1, ALICE, BOB, "1"),
        hold(2, ALICE, BOB, "1"),
        pay(3, ALICE, BOB, "1"),
    ]);
    f.ok(&[
        Transfer::void(tid(4), tid(2)),
        Transfer::reversal(tid(5), tid(3)),
    ]);
    // A hold (resolved or not), a void and a reversal cannot be reversed.
    for (id, related) in [(10, 1), (11, 2), (12, 4), (13, 5)] {
        f.refused(
            &[Transfer::reversal(tid(id), tid(related))],
            &[R::TransferNotReversible],
        );
    }
}

#[test]
fn already_reversed() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "1")]);
    f.ok(&[Transfer::reversal(tid(2), tid(1))]);
    f.refused(&[Transfer::reversal(tid(3), tid(1))], &[R::AlreadyReversed]);
    assert_eq!(f.posted(ALICE), dec("10"));
    assert_eq!(f.record(1).reversed_by, Some(tid(2)));
}

#[test]
fn reversal_differs_from_original() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, ALICE, BOB, "1").code(3)]);
    let r = || Transfer::reversal(tid(2), tid(1));
    let mut same_direction = r();
    same_direction.debit_account_id = Some(acc(ALICE));
    let mut other_amount = r();
    other_amount.amount = Some(hours("0.5"));
    let mut other_unit = r();
    other_unit.unit = POINTS;
    for t in [same_direction, other_amount, other_unit, r().code(4)] {
        f.refused(&[t], &[R::ReversalDiffersFromOriginal]);
    }
    let mut mirrored = r().code(3);
    mirrored.debit_account_id = Some(acc(BOB));
    mirrored.credit_account_id = Some(acc(ALICE));
    mirrored.amount = Some(hours("1"));
    f.ok(&[mirrored]);
}

#[test]
fn exceeds_floor() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, ALICE, BOB, "10.01")], &[R::ExceedsFloor]);
    // Holds count against the floor.
    f.ok(&[hold(2, ALICE, BOB, "8")]);
    f.refused(&[pay(3, ALICE, BOB, "2.01")], &[R::ExceedsFloor]);
    f.refused(&[hold(4, ALICE, BOB, "2.01")], &[R::ExceedsFloor]);
    f.ok(&[pay(5, ALICE, BOB, "2")]);
    assert_eq!(f.available(ALICE), dec("0"));
}

#[test]
fn exceeds_ceiling() {
    let mut f = Fixture::new();
    f.refused(&[pay(1, FUND, CAPPED, "10.01")], &[R::ExceedsCeiling]);
    // Pending credits count against the ceiling.
    f.ok(&[hold(2, FUND, CAPPED, "8")]);
    f.refused(&[pay(3, FUND, CAPPED, "2.01")], &[R::ExceedsCeiling]);
    f.ok(&[pay(4, FUND, CAPPED, "2")]);
    assert_eq!(f.account(CAPPED).potential(), dec("10"));
}

#[test]
fn overflows_balance() {
    let mut f = Fixture::new();
    let (payer, payee) = (60, 61);
    let now = f.tick();
    let issuers = [
        NewAccount::new(acc(payer), HOURS, AccountKind::Issuer),
        NewAccount::new(acc(payee), HOURS, AccountKind::Issuer),
    ];
    f.ledger.create_accounts(&issuers, now).unwrap();
    let most = Amount::parse(&AMOUNT_WHOLE_MAX.to_string()).unwrap();
    let fill = (BALANCE_WHOLE_MAX / AMOUNT_WHOLE_MAX) as u128;
    // The payer's debits and the payee's credits reach the largest total exactly.
    let ids: Vec<u128> = (1_000_000..1_000_000 + fill).collect();
    for chunk in ids.chunks(ledger_core::limits::BATCH_EVENTS_MAX) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|id| Transfer::new(tid(*id), acc(payer), acc(payee), most, HOURS))
            .collect();
        let now = f.tick();
        let results = f.ledger.create_transfers(&batch, now).unwrap();
        assert!(results.iter().all(|r| r.code == R::Ok));
    }
    // The ledger holds a million transfers: check what changed by its accounts and counts
    // rather than by copying it.
    let refused = |f: &mut Fixture, t: Transfer| {
        let accounts = books_of_accounts(&f.ledger);
        let count = f.ledger.transfer_count();
        let id = t.id;
        assert_eq!(f.submit(&[t]), [R::OverflowsBalance]);
        assert_eq!(books_of_accounts(&f.ledger), accounts);
        assert_eq!(f.ledger.transfer_count(), count);
        assert_eq!(f.ledger.failed_code(id), Some(R::OverflowsBalance));
    };
    refused(&mut f, pay(1, payer, FUND, "0.01"));
    refused(&mut f, pay(2, FUND, payee, "0.01"));
    // Holds have their own totals, far from the maximum; posting one would pass the maximum.
    f.ok(&[hold(3, payer, payee, "0.01")]);
    refused(&mut f, Transfer::post(tid(4), tid(3), None));
}

fn books_of_accounts(ledger: &ledger_core::Ledger) -> Vec<ledger_core::Account> {
    let mut accounts: Vec<_> = ledger.accounts().cloned().collect();
    accounts.sort_by_key(|a| a.id);
    accounts
}

// ---------------------------------------------------------------------------------------------
// Batches

#[test]
fn batch_errors_change_nothing_not_even_the_clock() {
    let mut f = Fixture::new();
    let before = f.ledger.state_digest();
    let now = f.tick();
    assert_eq!(f.ledger.create_transfers(&[], now), Err(BatchError::Empty));
    assert_eq!(f.ledger.create_accounts(&[], now), Err(BatchError::Empty));
    let max = ledger_core::limits::BATCH_EVENTS_MAX;
    let too_many: Vec<_> = (0..=max as u128)
        .map(|n| pay(n + 1, FUND, BOB, "0.01"))
        .collect();
    assert_eq!(
        f.ledger.create_transfers(&too_many, now),
        Err(BatchError::TooLarge { len: max + 1 })
    );
    let specs = vec![account_specs()[0].clone(); max + 1];
    assert_eq!(
        f.ledger.create_accounts(&specs, now),
        Err(BatchError::TooLarge { len: max + 1 })
    );
    assert_eq!(f.ledger.state_digest(), before);
    // The largest batch is accepted.
    let results = f.ledger.create_transfers(&too_many[..max], now).unwrap();
    assert_eq!(results.len(), max);
    let refused: Vec<_> = results.iter().filter(|r| r.code != R::Ok).collect();
    assert!(refused.is_empty(), "{:?}", &refused[..refused.len().min(3)]);
}

#[test]
fn clock_exhausted_changes_nothing() {
    let mut f = Fixture::new();
    let last = f
        .ledger
        .create_transfers(&[pay(1, ALICE, BOB, "1")], u64::MAX)
        .unwrap();
    assert_eq!((last[0].code, last[0].timestamp), (R::Ok, u64::MAX));
    let before = f.ledger.state_digest();
    assert_eq!(
        f.ledger
            .create_transfers(&[pay(2, ALICE, BOB, "1")], u64::MAX),
        Err(BatchError::ClockExhausted)
    );
    assert_eq!(f.ledger.expire(u64::MAX), Err(BatchError::ClockExhausted));
    assert_eq!(f.ledger.state_digest(), before);
}

// ---------------------------------------------------------------------------------------------
// Account creation

fn refused_accounts(f: &mut Fixture, specs: &[NewAccount], expected: &[R]) {
    let before = f.ledger.clone();
    let mut twin = before.clone();
    let now = f.tick();
    twin.create_accounts(&vec![account_specs()[0].clone(); specs.len()], now)
        .unwrap();
    let results = f.ledger.create_accounts(specs, now).unwrap();
    let codes: Vec<_> = results.iter().map(|r| r.code).collect();
    assert_eq!(codes, expected);
    assert_same_books(&before, &f.ledger);
    assert_eq!(f.ledger.state_digest(), twin.state_digest());
}

#[test]
fn account_ok_and_exists_with_the_original_timestamp() {
    let mut f = Fixture::new();
    let spec = NewAccount::new(acc(50), HOURS, AccountKind::Member)
        .community(3)
        .user_data(9);
    let now = f.tick();
    let created = f
        .ledger
        .create_accounts(std::slice::from_ref(&spec), now)
        .unwrap();
    assert_eq!(created[0].code, R::Ok);
    assert_eq!(created[0].timestamp, now);
    assert_eq!(f.account(50).timestamp, now);
    refused_accounts(&mut f, std::slice::from_ref(&spec), &[R::Exists]);
    let again = f.ledger.create_accounts(&[spec], f.now + 5).unwrap();
    assert_eq!(again[0].code, R::Exists);
    assert_eq!(again[0].timestamp, now);
}

#[test]
fn account_exists_with_different_fields() {
    let mut f = Fixture::new();
    let spec = account_specs()[1].clone();
    let changes = [
        spec.clone().community(1),
        spec.clone().user_data(1),
        spec.clone().floor(None),
        spec.clone().ceiling(Some(dec("5"))),
        // Not the eligibility date: the host moves it later with `SetEligibility`, and a
        // retried creation must still find its account (see fuzz_regressions.rs).
        NewAccount {
            kind: AccountKind::Group,
            ..spec.clone()
        },
        NewAccount {
            unit: POINTS,
            ..spec.clone()
        },
    ];
    for changed in changes {
        refused_accounts(&mut f, &[changed], &[R::AccountExistsWithDifferentFields]);
    }
}

#[test]
fn account_unit_not_found() {
    let mut f = Fixture::new();
    let spec = NewAccount::new(acc(50), 9, AccountKind::Member);
    refused_accounts(&mut f, &[spec], &[R::UnitNotFound]);
}

#[test]
fn account_limits_invalid() {
    let mut f = Fixture::new();
    let above_zero = NewAccount::new(acc(50), HOURS, AccountKind::Member).floor(Some(dec("1")));
    let below_zero = NewAccount::new(acc(51), HOURS, AccountKind::Member).ceiling(Some(dec("-1")));
    refused_accounts(
        &mut f,
        &[above_zero, below_zero],
        &[R::AccountLimitsInvalid; 2],
    );
}

#[test]
fn account_limit_out_of_range() {
    let mut f = Fixture::new();
    let too_fine = NewAccount::new(acc(50), HOURS, AccountKind::Member).floor(Some(dec("-0.001")));
    let too_large = NewAccount::new(acc(51), HOURS, AccountKind::Issuer).floor(Some(
        -ledger_core::Decimal::from(BALANCE_WHOLE_MAX) - dec("1"),
    ));
    let points = NewAccount::new(acc(52), POINTS, AccountKind::Member).ceiling(Some(dec("1.5")));
    refused_accounts(
        &mut f,
        &[too_fine, too_large, points],
        &[R::AccountLimitOutOfRange; 3],
    );
}

#[test]
fn account_batch_events_stand_alone() {
    let mut f = Fixture::new();
    let good = NewAccount::new(acc(50), HOURS, AccountKind::Member);
    let bad = NewAccount::new(acc(51), 9, AccountKind::Member);
    let now = f.tick();
    let results = f.ledger.create_accounts(&[bad, good], now).unwrap();
    assert_eq!(results[0].code, R::UnitNotFound);
    assert_eq!(results[1].code, R::Ok);
    assert_eq!(results[1].timestamp, now + 1);
    assert!(f.ledger.account(acc(51)).is_none());
}
