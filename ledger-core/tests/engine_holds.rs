//! Holds (pending transfers): posted fully or partly, voided, expired, resolved at most once;
//! and balancing transfers that move only what the limits allow.

mod engine_support;

use engine_support::*;
use ledger_core::{ResultCode as R, Transfer, TransferFlags, TransferState};

#[test]
fn a_hold_reserves_and_a_full_post_moves_it() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "4")]);
    assert_eq!(f.posted(ALICE), dec("10"));
    assert_eq!(f.available(ALICE), dec("6"));
    assert_eq!(f.account(BOB).potential(), dec("9"));
    assert_eq!(f.ledger.pending_count(), 1);
    f.ok(&[Transfer::post(tid(2), tid(1), None)]);
    assert_eq!(f.posted(ALICE), dec("6"));
    assert_eq!(f.available(ALICE), dec("6"));
    assert_eq!(f.posted(BOB), dec("9"));
    assert_eq!(f.account(BOB).balances.credits_pending, 0);
    assert_eq!(f.record(1).state, TransferState::PendingPosted);
    assert_eq!(f.record(2).state, TransferState::Posted);
    assert_eq!(f.record(2).amount, hours("4"));
    assert_eq!(f.ledger.pending_count(), 0);
}

#[test]
fn a_partial_post_releases_the_remainder() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "4").code(9)]);
    f.ok(&[Transfer::post(tid(2), tid(1), Some(hours("1.5")))]);
    assert_eq!(f.posted(ALICE), dec("8.5"));
    assert_eq!(f.account(ALICE).balances.debits_pending, 0);
    assert_eq!(f.posted(BOB), dec("6.5"));
    assert_eq!(f.account(BOB).balances.credits_pending, 0);
    let post = f.record(2);
    assert_eq!((post.amount, post.code), (hours("1.5"), 9));
    assert_eq!(
        (post.debit_account_id, post.credit_account_id),
        (acc(ALICE), acc(BOB))
    );
}

#[test]
fn a_void_releases_the_whole_hold() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "4")]);
    f.ok(&[Transfer::void(tid(2), tid(1))]);
    assert_eq!(f.available(ALICE), dec("10"));
    assert_eq!(f.posted(BOB), dec("5"));
    assert_eq!(f.account(BOB).potential(), dec("5"));
    assert_eq!(f.record(1).state, TransferState::PendingVoided);
    // The void is recorded (as the hold it released) and can be retried idempotently.
    assert_eq!(f.record(2).amount, hours("4"));
    f.refused(&[Transfer::void(tid(2), tid(1))], &[R::Exists]);
}

#[test]
fn expire_releases_only_holds_whose_timeout_passed_oldest_first() {
    let mut f = Fixture::new();
    let start = f.now + SECOND;
    f.ok(&[
        hold(1, ALICE, BOB, "1").timeout_s(100),
        hold(2, ALICE, BOB, "1").timeout_s(10),
        hold(3, ALICE, BOB, "1"),
        hold(4, FUND, CAPPED, "5").timeout_s(50),
    ]);
    assert_eq!(f.ledger.expire(start + 9 * SECOND).unwrap(), vec![]);
    assert_eq!(
        f.ledger.expire(start + 60 * SECOND).unwrap(),
        vec![tid(2), tid(4)]
    );
    assert_eq!(f.record(2).state, TransferState::PendingExpired);
    assert_eq!(f.record(4).state, TransferState::PendingExpired);
    assert_eq!(f.record(1).state, TransferState::Pending);
    assert_eq!(f.available(ALICE), dec("8"));
    assert_eq!(f.account(CAPPED).potential(), dec("0"));
    // Expiring is itself idempotent: nothing is released twice.
    let digest = f.ledger.state_digest();
    assert_eq!(f.ledger.expire(start + 61 * SECOND).unwrap(), vec![]);
    assert_ne!(
        f.ledger.state_digest(),
        digest,
        "expire is an event: the clock moves"
    );
    assert_eq!(f.available(ALICE), dec("8"));
    // A hold without a timeout never expires.
    assert_eq!(f.ledger.expire(u64::MAX - 1).unwrap(), vec![tid(1)]);
    assert_eq!(f.record(3).state, TransferState::Pending);
}

#[test]
fn a_hold_may_be_posted_until_its_timeout_and_not_at_it() {
    let mut f = Fixture::new();
    let now = f.tick();
    let placed = f
        .ledger
        .create_transfers(
            &[
                hold(1, ALICE, BOB, "1").timeout_s(10),
                hold(2, ALICE, BOB, "1").timeout_s(10),
            ],
            now,
        )
        .unwrap();
    let expires_at = placed[0].timestamp + 10 * SECOND;
    let results = f
        .ledger
        .create_transfers(&[Transfer::post(tid(3), tid(1), None)], expires_at - 1)
        .unwrap();
    assert_eq!(results[0].code, R::Ok);
    // Hold 2 was placed one nanosecond later, so it times out at `expires_at + 1`.
    f.now = expires_at + 1;
    f.now -= SECOND;
    f.refused(
        &[Transfer::post(tid(4), tid(2), None)],
        &[R::PendingTransferExpired],
    );
    assert_eq!(f.record(2).state, TransferState::Pending);
}

#[test]
fn a_hold_resolves_at_most_once_even_within_one_batch() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2")]);
    let codes = f.submit(&[
        Transfer::post(tid(2), tid(1), Some(hours("1"))),
        Transfer::post(tid(3), tid(1), Some(hours("1"))),
        Transfer::void(tid(4), tid(1)),
    ]);
    assert_eq!(
        codes,
        [
            R::Ok,
            R::PendingTransferAlreadyPosted,
            R::PendingTransferAlreadyPosted
        ]
    );
    assert_eq!(f.posted(ALICE), dec("9"));
    assert_eq!(f.available(ALICE), dec("9"));
}

#[test]
fn a_post_is_idempotent() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "2")]);
    f.ok(&[Transfer::post(tid(2), tid(1), None)]);
    f.refused(&[Transfer::post(tid(2), tid(1), None)], &[R::Exists]);
    f.refused(
        &[Transfer::post(tid(2), tid(1), Some(hours("2")))],
        &[R::ExistsWithDifferentAmount],
    );
    assert_eq!(f.posted(BOB), dec("7"));
}

#[test]
fn balancing_debit_moves_what_the_floor_allows() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "3")]);
    let sweep = pay(2, ALICE, FUND, "100").flags(TransferFlags::BALANCING_DEBIT);
    f.ok(std::slice::from_ref(&sweep));
    assert_eq!(f.record(2).amount, hours("7"));
    assert_eq!(f.record(2).request().amount, Some(hours("100")));
    assert_eq!(f.available(ALICE), dec("0"));
    // Nothing left to move: refused, not a transfer of zero.
    let again = pay(3, ALICE, FUND, "1").flags(TransferFlags::BALANCING_DEBIT);
    f.refused(&[again], &[R::ExceedsFloor]);
    // An amount below what the floor allows moves in full.
    let small = pay(4, BOB, FUND, "1").flags(TransferFlags::BALANCING_DEBIT);
    f.ok(&[small]);
    assert_eq!(f.record(4).amount, hours("1"));
    f.refused(&[sweep], &[R::Exists]);
}

#[test]
fn balancing_credit_moves_what_the_ceiling_allows() {
    let mut f = Fixture::new();
    f.ok(&[pay(1, FUND, CAPPED, "2.5")]);
    let top_up = pay(2, FUND, CAPPED, "50").flags(TransferFlags::BALANCING_CREDIT);
    f.ok(&[top_up]);
    assert_eq!(f.record(2).amount, hours("7.5"));
    assert_eq!(f.posted(CAPPED), dec("10"));
    let full = pay(3, FUND, CAPPED, "1").flags(TransferFlags::BALANCING_CREDIT);
    f.refused(&[full], &[R::ExceedsCeiling]);
}

#[test]
fn a_balancing_hold_reserves_what_is_available() {
    let mut f = Fixture::new();
    let flags = TransferFlags::BALANCING_DEBIT | TransferFlags::BALANCING_CREDIT;
    f.ok(&[hold(1, BOB, CAPPED, "8").flags(flags)]);
    assert_eq!(f.record(1).amount, hours("5"));
    assert_eq!(f.available(BOB), dec("0"));
    f.ok(&[Transfer::post(tid(2), tid(1), None)]);
    assert_eq!(f.posted(CAPPED), dec("5"));
    assert_eq!(f.posted(BOB), dec("0"));
}
