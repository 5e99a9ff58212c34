//! Scenarios from docs/DOMAIN.md §3.2: a provider earns hours served times the category's
//! weight (Fureai Kippu: body care 2 an hour, shopping 1), and the ledger computes it, so no
//! host can credit a weight-2 hour as 1. When hours × weight does not fit the unit's scale, the
//! code's `rounding` decides: refuse (the default) or round half to even; never silently.

mod timebank_support;

use ledger_core::policy::Rounding;
use ledger_core::timebank::{self, Booking, Completion, ServiceRecord};
use ledger_core::{
    AccountKind, Decimal, Excess, Period, Policy, PolicyError, ResultCode, Transfer, TransferFlags,
};
use timebank_support::*;

const SHOPPING: u16 = 103;

/// Body care (104, 204) weighs 2; shopping (103) 1.5, rounded as `rounding` says.
fn fureai_kippu(rounding: Rounding, caps: Vec<ledger_core::Cap>) -> Policy {
    let mut policy = policy_with_caps(caps);
    for rule in &mut policy.codes {
        match rule.code {
            104 | 204 => rule.weight = Some(Decimal::from(2)),
            SHOPPING => {
                rule.weight = Some(dec("1.5"));
                rule.rounding = rounding;
            }
            _ => {}
        }
    }
    policy.validate().expect("a valid policy");
    policy
}

/// A fund (1), a volunteer (2), an elder (3), a donation pool (9).
fn bank(policy: &Policy) -> Bank {
    let mut bank = Bank::new(policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 7);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    bank
}

fn raw(bank: &mut Bank, code: u16, h: &str) -> ResultCode {
    let t = Transfer::new(bank.ids(), id(1), id(2), hours(h), HOURS).code(code);
    bank.now += 1_000;
    bank.ledger.create_transfers(&[t], bank.now).unwrap()[0].code
}

#[test]
fn a_raw_transfer_of_an_hour_of_body_care_credits_two() {
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, vec![]));
    assert_eq!(raw(&mut bank, PERSONAL_CARE, "1"), ResultCode::Ok);
    assert_eq!(bank.balance(id(2)), dec("2"));
    assert_eq!(bank.balance(id(1)), dec("-2"));
    // An hour of companionship (weight 1) is one credit.
    assert_eq!(raw(&mut bank, COMPANIONSHIP, "1"), ResultCode::Ok);
    assert_eq!(bank.balance(id(2)), dec("3"));
}

#[test]
fn credits_that_do_not_fit_the_scale_are_refused_or_rounded_half_even_as_the_code_says() {
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, vec![]));
    // 0.15 h × 1.5 = 0.225: three decimals for a unit of two.
    assert_eq!(
        raw(&mut bank, SHOPPING, "0.15"),
        ResultCode::WeightedAmountInexact
    );
    assert_eq!(bank.balance(id(2)), dec("0"));
    assert_eq!(raw(&mut bank, SHOPPING, "0.5"), ResultCode::Ok);
    assert_eq!(bank.balance(id(2)), dec("0.75"));

    let mut bank = bank_rounding();
    assert_eq!(raw(&mut bank, SHOPPING, "0.15"), ResultCode::Ok);
    assert_eq!(bank.balance(id(2)), dec("0.22"), "0.225 to even");
    assert_eq!(raw(&mut bank, SHOPPING, "0.05"), ResultCode::Ok);
    assert_eq!(bank.balance(id(2)), dec("0.30"), "0.075 to even: 0.08");
}

fn bank_rounding() -> Bank {
    bank(&fureai_kippu(Rounding::HalfEven, vec![]))
}

#[test]
fn rounding_is_only_for_weighted_codes() {
    let mut policy = Policy::default_policy();
    let gift = policy.codes.iter_mut().find(|c| c.code == GIFT).unwrap();
    gift.rounding = Rounding::HalfEven;
    assert!(matches!(
        policy.validate(),
        Err(PolicyError::CodeField { code: GIFT, .. })
    ));
}

#[test]
fn a_booking_holds_hours_times_weight_and_its_completion_posts_what_was_served() {
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, vec![]));
    let booking = Booking {
        code: PERSONAL_CARE,
        payer: id(1),
        provider: id(2),
        hours: hours("1.5"),
        timeout_s: 0,
        user_data: 0,
    };
    let hold = bank.ids();
    bank.apply(&timebank::plan_booking(&bank.ledger, hold, &booking).unwrap());
    assert_eq!(bank.available(id(1)), dec("-3"), "3 credits held");
    let completion = Completion {
        booking: hold,
        hours: Some(hours("1")),
        rating: None,
        donation: None,
        served_at: None,
    };
    let plan = timebank::plan_completion(&bank.ledger, bank.ids(), &completion, bank.now).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("2"));
    assert_eq!(
        bank.available(id(1)),
        dec("-2"),
        "the other credit released"
    );
    // A raw post cannot claim more hours than were booked.
    let hold = bank.ids();
    bank.apply(&timebank::plan_booking(&bank.ledger, hold, &booking).unwrap());
    let post = Transfer::post(bank.ids(), hold, Some(hours("2")));
    bank.now += 1_000;
    let r = bank.ledger.create_transfers(&[post], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::ExceedsPendingAmount);
}

#[test]
fn care_paid_with_own_hours_costs_hours_times_weight() {
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, vec![]));
    assert_eq!(raw(&mut bank, COMPANIONSHIP, "5"), ResultCode::Ok);
    bank.eligible_from(id(2), Some(0));
    let care = ServiceRecord {
        code: 204,
        payer: id(2),
        provider: id(3),
        hours: hours("2"),
        served_at: None,
        donation: None,
        points: None,
        user_data: 0,
    };
    bank.apply(&timebank::plan_service(&bank.ledger, bank.ids(), &care, bank.now).unwrap());
    assert_eq!(bank.balance(id(2)), dec("1"));
    assert_eq!(bank.balance(id(3)), dec("4"));
}

#[test]
fn the_excess_of_a_weighted_service_above_a_donate_cap_goes_to_the_pool() {
    let caps = vec![cap(HOURS, Period::Lifetime, "3", Excess::Donate)];
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, caps));
    assert_eq!(raw(&mut bank, COMPANIONSHIP, "2"), ResultCode::Ok);
    // 1 credit of room; 1.5 h of body care is worth 3: half an hour is earned, 2 donated.
    let service = ServiceRecord {
        code: PERSONAL_CARE,
        payer: id(1),
        provider: id(2),
        hours: hours("1.5"),
        served_at: None,
        donation: Some(id(9)),
        points: None,
        user_data: 0,
    };
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &service, bank.now).unwrap();
    assert_eq!(plan.transfers[0].amount, Some(hours("0.5")));
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("3"));
    assert_eq!(bank.balance(id(9)), dec("2"));
    assert_eq!(bank.balance(id(1)), dec("-5"));
    bank.assert_books_balance();
}

#[test]
fn a_hold_keeps_its_flags_when_weighted() {
    // A weighted hold is still a hold: balancing and pending flags keep their meaning.
    let mut bank = bank(&fureai_kippu(Rounding::Refuse, vec![]));
    let hold = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS)
        .code(PERSONAL_CARE)
        .flags(TransferFlags::PENDING);
    bank.now += 1_000;
    let r = bank
        .ledger
        .create_transfers(std::slice::from_ref(&hold), bank.now)
        .unwrap();
    assert_eq!(r[0].code, ResultCode::Ok);
    assert_eq!(bank.ledger.transfer(hold.id).unwrap().amount, hours("2"));
    // Resubmitting the same request is `exists`, whatever the ledger computed from it.
    bank.now += 1_000;
    let r = bank.ledger.create_transfers(&[hold], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::Exists);
}
