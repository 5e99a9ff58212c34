//! Scenarios from docs/DOMAIN.md §3.3 and §3.8: caps count what a person earns, on the day the
//! service was done, when it is earned (a service recorded or a booking completed); a booking
//! only reserves the payer's hours. Services may be recorded later than they were done, within
//! the policy's `late_days_max`, never before they were done.

mod timebank_support;

use ledger_core::report;
use ledger_core::timebank::{self, Booking, Completion, ServiceRecord};
use ledger_core::{AccountKind, Excess, Period, Policy, ResultCode, Transfer, TransferFlags};
use timebank_support::*;

/// 2026-03-02 20:00 in UTC+8, the evening of START's local day.
const EVENING: u64 = START + 19 * NANOS_PER_HOUR;

fn record(payer: u128, provider: u128, h: &str, served_at: Option<u64>) -> ServiceRecord {
    ServiceRecord {
        code: COMPANIONSHIP,
        payer: id(payer),
        provider: id(provider),
        hours: hours(h),
        served_at,
        donation: None,
        points: None,
        user_data: 0,
    }
}

fn book(bank: &mut Bank, payer: u128, provider: u128, h: &str) -> ledger_core::TransferId {
    let booking = Booking {
        code: COMPANIONSHIP,
        payer: id(payer),
        provider: id(provider),
        hours: hours(h),
        timeout_s: 0,
        user_data: 0,
    };
    let first = bank.ids();
    let plan = timebank::plan_booking(&bank.ledger, first, &booking).expect("a plan");
    bank.apply(&plan);
    first
}

fn complete(
    bank: &mut Bank,
    booking: ledger_core::TransferId,
    served_at: Option<u64>,
) -> Vec<ResultCode> {
    let completion = Completion {
        booking,
        hours: None,
        rating: Some(5),
        donation: Some(id(9)),
        served_at,
    };
    let plan =
        timebank::plan_completion(&bank.ledger, bank.ids(), &completion, bank.now).expect("a plan");
    bank.submit(&plan)
}

fn serve(bank: &mut Bank, h: &str, served_at: Option<u64>) -> Vec<ResultCode> {
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &record(1, 2, h, served_at),
        bank.now,
    )
    .expect("a plan");
    bank.submit(&plan)
}

/// A fund (1), a volunteer (2), an elder paying with banked hours (3), a donation pool (9).
fn bank(policy: &Policy) -> Bank {
    let mut bank = Bank::new(policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 7);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    bank
}

fn changning() -> Policy {
    let mut policy = policy_with_caps(vec![
        cap(HOURS, Period::Day, "2", Excess::Reject),
        cap(HOURS, Period::Lifetime, "600", Excess::Reject),
    ]);
    policy.late_days_max = 30;
    policy
}

#[test]
fn a_volunteer_at_the_daily_cap_can_be_booked_for_tomorrow() {
    let mut bank = bank(&changning());
    assert_eq!(serve(&mut bank, "2", None), [ResultCode::Ok]);
    bank.now = EVENING;
    // The booking reserves the fund's hours: the volunteer's caps are not its business.
    let booking = book(&mut bank, 1, 2, "1.5");
    assert_eq!(bank.balance(id(2)), dec("2"));
    // Completed tomorrow morning, for a service done tomorrow: a new day, room again.
    bank.now = EVENING + 12 * NANOS_PER_HOUR;
    assert_eq!(
        complete(&mut bank, booking, None),
        [ResultCode::Ok, ResultCode::Ok]
    );
    assert_eq!(bank.balance(id(2)), dec("3.5"));
    assert_eq!(
        timebank::earnings(&bank.ledger, id(2), bank.now).day,
        dec("1.5")
    );
}

#[test]
fn a_completion_on_the_day_of_the_cap_is_refused_and_changes_nothing() {
    let mut bank = bank(&changning());
    let booking = book(&mut bank, 1, 2, "1");
    assert_eq!(serve(&mut bank, "2", None), [ResultCode::Ok]);
    let codes = complete(&mut bank, booking, None);
    assert_eq!(codes[0], ResultCode::CapExceededDaily);
    assert_eq!(
        bank.ledger.transfer(booking).unwrap().state,
        ledger_core::TransferState::Pending
    );
    assert_eq!(bank.balance(id(2)), dec("2"));
    // Balances, holds and earnings are as before.
    assert_eq!(
        timebank::earnings(&bank.ledger, id(2), bank.now).day,
        dec("2")
    );
    assert_eq!(bank.available(id(1)), dec("-3"));
}

#[test]
fn nanjings_excess_above_the_lifetime_cap_of_a_booking_goes_to_the_pool() {
    let mut policy = policy_with_caps(vec![cap(HOURS, Period::Lifetime, "1500", Excess::Donate)]);
    policy.late_days_max = 30;
    let mut bank = bank(&policy);
    assert_eq!(serve(&mut bank, "1499", None), [ResultCode::Ok]);
    // At 1,499 of 1,500 the volunteer can still be booked for 3 hours.
    let booking = book(&mut bank, 1, 2, "3");
    assert_eq!(complete(&mut bank, booking, None), [ResultCode::Ok; 3]);
    assert_eq!(bank.balance(id(2)), dec("1500"));
    assert_eq!(bank.balance(id(9)), dec("2"), "the 2 hours above the cap");
    assert_eq!(bank.balance(id(1)), dec("-1502"));
    assert_eq!(
        report::liability(&bank.ledger).units[0].members,
        dec("1500")
    );
    bank.assert_books_balance();
}

#[test]
fn a_service_typed_in_later_counts_on_the_day_it_was_done() {
    let mut bank = bank(&changning());
    let yesterday = bank.now - NANOS_PER_DAY;
    assert_eq!(serve(&mut bank, "2", Some(yesterday)), [ResultCode::Ok]);
    // Yesterday is full; today is not.
    assert_eq!(
        serve(&mut bank, "0.5", Some(yesterday + NANOS_PER_HOUR)),
        [ResultCode::CapExceededDaily]
    );
    assert_eq!(serve(&mut bank, "2", None), [ResultCode::Ok]);
    assert_eq!(bank.balance(id(2)), dec("4"));
    // The statement says when each service was done, besides when it was recorded.
    let lines = statement_lines(&bank.ledger, id(2));
    assert_eq!(lines[0].served_at, yesterday);
    assert!(lines[0].timestamp > bank.now - NANOS_PER_HOUR);
    assert_eq!(lines[1].served_at, lines[1].timestamp);
}

#[test]
fn a_record_too_late_or_in_the_future_is_refused() {
    let mut bank = bank(&changning());
    // 31 local days back is past the policy's 30.
    let too_old = bank.now - 31 * NANOS_PER_DAY;
    assert_eq!(
        serve(&mut bank, "1", Some(too_old)),
        [ResultCode::ServedAtTooLate]
    );
    assert_eq!(
        serve(&mut bank, "1", Some(too_old + NANOS_PER_DAY)),
        [ResultCode::Ok]
    );
    let tomorrow = bank.now + NANOS_PER_DAY;
    assert_eq!(
        serve(&mut bank, "1", Some(tomorrow)),
        [ResultCode::ServedAtInFuture]
    );
    // A booking is not a service done: it says nothing of when.
    let hold = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS)
        .code(COMPANIONSHIP)
        .flags(TransferFlags::PENDING)
        .served_at(bank.now);
    let r = bank.ledger.create_transfers(&[hold], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::ServedAtNotAllowed);
    assert_eq!(bank.balance(id(2)), dec("1"));
}

#[test]
fn without_late_days_a_service_is_recorded_the_same_local_day() {
    let mut policy = Policy::default_policy();
    policy.late_days_max = 0;
    let mut bank = bank(&policy);
    let now = bank.now;
    // START is 01:00 local: 30 minutes ago is the same day, 2 hours ago is yesterday.
    assert_eq!(
        serve(&mut bank, "1", Some(now - NANOS_PER_HOUR / 2)),
        [ResultCode::Ok]
    );
    assert_eq!(
        serve(&mut bank, "1", Some(now - 2 * NANOS_PER_HOUR)),
        [ResultCode::ServedAtTooLate]
    );
}

#[test]
fn care_is_judged_on_the_day_it_was_received() {
    let mut bank = bank(&changning());
    assert_eq!(serve(&mut bank, "2", None), [ResultCode::Ok]);
    let eligible = bank.now + NANOS_PER_DAY;
    bank.eligible_from(id(2), Some(eligible));
    bank.now = eligible + NANOS_PER_DAY;
    let care = |served_at| ServiceRecord {
        code: CARE_COMPANIONSHIP,
        ..record(2, 3, "1", Some(served_at))
    };
    // Received before the eligibility date, typed in after it: refused.
    let plan =
        timebank::plan_service(&bank.ledger, bank.ids(), &care(eligible - 1), bank.now).unwrap();
    assert_eq!(bank.refused(&plan), ResultCode::NotYetEligible);
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &care(eligible), bank.now).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(id(3)), dec("1"));
}

#[test]
fn a_retried_late_record_is_the_same_record() {
    let mut bank = bank(&changning());
    let yesterday = bank.now - NANOS_PER_DAY;
    let first = bank.ids();
    let plan = timebank::plan_service(
        &bank.ledger,
        first,
        &record(1, 2, "1", Some(yesterday)),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    assert_eq!(bank.submit(&plan), [ResultCode::Exists]);
    assert_eq!(bank.balance(id(2)), dec("1"));
    // The same id saying another day is another request.
    let mut other = plan.transfers[0].clone();
    other.served_at = Some(yesterday - NANOS_PER_DAY);
    let r = bank
        .ledger
        .create_transfers(&[other], bank.now + 1)
        .unwrap();
    assert_eq!(r[0].code, ResultCode::ExistsWithDifferentServedAt);
}
