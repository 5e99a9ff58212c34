//! Linked chains: all-or-nothing, later events see earlier ones, the first failure keeps its
//! code and the rest get `linked_event_failed`, and a chain left open at the batch's end fails.

mod engine_support;

use engine_support::*;
use ledger_core::{ResultCode as R, Transfer, TransferState};

#[test]
fn a_chain_applies_in_full() {
    let mut f = Fixture::new();
    f.ok(&[linked(pay(1, ALICE, BOB, "4")), pay(2, BOB, CAPPED, "9")]);
    assert_eq!(f.posted(ALICE), dec("6"));
    assert_eq!(f.posted(BOB), dec("0"));
    assert_eq!(f.posted(CAPPED), dec("9"));
}

#[test]
fn later_events_of_a_chain_see_earlier_ones() {
    let mut f = Fixture::new();
    // Bob holds 5: he can pass on 14 only because the first event paid him 10.
    f.ok(&[
        linked(pay(1, ALICE, BOB, "10")),
        linked(hold(2, BOB, CAPPED, "10")),
        Transfer::post(tid(3), tid(2), Some(hours("4"))),
    ]);
    assert_eq!(f.posted(BOB), dec("11"));
    assert_eq!(f.posted(CAPPED), dec("4"));
}

#[test]
fn the_first_failure_keeps_its_code_and_the_rest_of_the_chain_fails_with_it() {
    let mut f = Fixture::new();
    f.refused(
        &[
            linked(pay(1, ALICE, BOB, "4")),
            linked(pay(2, BOB, CAPPED, "20")),
            linked(pay(3, FUND, BOB, "1")),
            pay(4, BOB, ALICE, "1"),
        ],
        &[
            R::LinkedEventFailed,
            R::ExceedsFloor,
            R::LinkedEventFailed,
            R::LinkedEventFailed,
        ],
    );
    // A failure inside a chain does not spend the id: the transient code was the chain's.
    for id in 1..=4 {
        assert_eq!(f.ledger.failed_code(tid(id)), None);
    }
    f.ok(&[pay(2, BOB, CAPPED, "5")]);
}

#[test]
fn a_failing_last_event_undoes_every_kind_of_event_before_it() {
    let mut f = Fixture::new();
    f.ok(&[
        hold(1, ALICE, BOB, "2").timeout_s(10),
        hold(2, ALICE, BOB, "2"),
        pay(3, FUND, CAPPED, "3"),
    ]);
    let before = f.ledger.clone();
    f.refused(
        &[
            linked(Transfer::post(tid(10), tid(1), Some(hours("1")))),
            linked(Transfer::void(tid(11), tid(2))),
            linked(Transfer::reversal(tid(12), tid(3))),
            linked(hold(13, BOB, ALICE, "1").timeout_s(5)),
            linked(pay(14, FUND, EMPTY, "1")),
            linked(pay(16, EMPTY, FUND, "1").flags(ledger_core::TransferFlags::CLOSING_DEBIT)),
            pay(15, ALICE, BOB, "100"),
        ],
        &[
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::ExceedsFloor,
        ],
    );
    assert_same_books(&before, &f.ledger);
    assert_eq!(f.record(1).state, TransferState::Pending);
    assert_eq!(f.record(3).reversed_by, None);
    assert!(!f.account(EMPTY).closed);
    // The timeout index was restored too: hold 1 still expires, hold 13 never existed.
    let released = f.ledger.expire(f.now + 60 * SECOND).unwrap();
    assert_eq!(released, vec![tid(1)]);
}

#[test]
fn a_chain_open_at_the_end_of_the_batch_fails() {
    let mut f = Fixture::new();
    f.refused(
        &[linked(pay(1, ALICE, BOB, "1"))],
        &[R::LinkedEventChainOpen],
    );
    f.refused(
        &[
            linked(pay(2, ALICE, BOB, "1")),
            linked(pay(3, ALICE, BOB, "1")),
        ],
        &[R::LinkedEventFailed, R::LinkedEventChainOpen],
    );
}

#[test]
fn events_outside_a_failed_chain_still_apply() {
    let mut f = Fixture::new();
    let codes = f.submit(&[
        pay(1, ALICE, BOB, "1"),
        linked(pay(2, ALICE, BOB, "1")),
        pay(3, ALICE, BOB, "100"),
        pay(4, ALICE, BOB, "2"),
        linked(pay(5, ALICE, BOB, "1")),
        pay(6, ALICE, BOB, "1"),
    ]);
    assert_eq!(
        codes,
        [
            R::Ok,
            R::LinkedEventFailed,
            R::ExceedsFloor,
            R::Ok,
            R::Ok,
            R::Ok
        ]
    );
    assert_eq!(f.posted(ALICE), dec("5"));
    // Only events of the failed chain were refused; no id was spent.
    assert_eq!(f.ledger.failed_code(tid(3)), None);
}

#[test]
fn a_chain_is_refused_whole_when_one_event_has_a_bad_shape() {
    let mut f = Fixture::new();
    f.refused(
        &[linked(pay(1, ALICE, BOB, "1")), pay(2, ALICE, ALICE, "1")],
        &[R::LinkedEventFailed, R::AccountsMustBeDifferent],
    );
}

#[test]
fn a_chain_resubmitted_after_it_applied_fails_at_its_first_event_with_exists() {
    let mut f = Fixture::new();
    let chain = [linked(pay(1, ALICE, BOB, "1")), pay(2, BOB, ALICE, "2")];
    let now = f.tick();
    let first = f.ledger.create_transfers(&chain, now).unwrap();
    assert!(first.iter().all(|r| r.code == R::Ok));
    // As in TigerBeetle, `exists` is not `ok`: it breaks the chain. It keeps the original
    // timestamp; nothing is applied twice.
    let now = f.tick();
    let again = f.ledger.create_transfers(&chain, now).unwrap();
    assert_eq!(
        (again[0].code, again[0].timestamp),
        (R::Exists, first[0].timestamp)
    );
    assert_eq!(again[1].code, R::LinkedEventFailed);
    assert_eq!(f.posted(ALICE), dec("11"));
}
