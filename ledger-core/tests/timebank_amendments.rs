//! Scenarios from docs/DOMAIN.md §3.8: programs change their rules over the years (caps raised,
//! categories added, weights changed, points validity shortened). An amendment takes effect from
//! a time; every service is judged under the rules in force on the day it was done, even when it
//! is recorded after the amendment; history is never judged again.

mod timebank_support;

use ledger_core::report;
use ledger_core::timebank::{self, ServiceRecord};
use ledger_core::{
    AccountKind, Amendment, AmendmentError, Amount, BatchError, CodeRule, Command, Excess, Expiry,
    Ledger, Period, Policy, Purpose, Reply, ResultCode, Transfer, Unit,
};
use timebank_support::*;

const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// 2026-06-15 00:00 in UTC+8.
const JUNE_15: u64 = 1_781_452_800 * NANOS_PER_SECOND;
/// 2026-06-30 00:00 in UTC+8.
const JUNE_30: u64 = 1_782_748_800 * NANOS_PER_SECOND;
/// 2026-07-01 00:00 in UTC+8: the amendments below take effect then.
const JULY_1: u64 = 1_782_835_200 * NANOS_PER_SECOND;
/// 2026-07-02 00:00 in UTC+8.
const JULY_2: u64 = 1_782_921_600 * NANOS_PER_SECOND;
/// A code the amendment adds.
const DIGITAL_HELP: u16 = 107;

/// A fund (1), a volunteer (2), a donation pool (9), an issuer of points (20), a member with
/// points (21), the points expiry account (29).
fn bank(policy: &Policy) -> Bank {
    let mut bank = Bank::new(policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    bank.open(20, POINTS, AccountKind::Issuer, 7);
    bank.open(21, POINTS, AccountKind::Member, 7);
    bank.open(29, POINTS, AccountKind::Expiry, 7);
    bank
}

fn amend(bank: &mut Bank, from: u64, policy: &Policy) -> Result<(), BatchError> {
    bank.tick(1_000);
    let command = Command::AmendPolicy(Amendment {
        from,
        policy: policy.clone(),
    });
    match bank.ledger.execute(&command, bank.now)? {
        Reply::Events(events) => assert_eq!(events[0].code, ResultCode::Ok),
        Reply::Expired(_) => unreachable!("an amendment is one event"),
    }
    Ok(())
}

/// A companionship service (or `code`) paid by the fund, recorded now, done at `served_at`.
fn serve(bank: &mut Bank, code: u16, h: &str, served_at: u64) -> ResultCode {
    bank.tick(1_000);
    let t = Transfer::new(bank.ids(), id(1), id(2), hours(h), HOURS)
        .code(code)
        .served_at(served_at);
    bank.ledger.create_transfers(&[t], bank.now).unwrap()[0].code
}

fn jump_to(bank: &mut Bank, at: u64) {
    assert!(at > bank.now);
    bank.now = at;
}

fn expiry_of_points(lifetime_days: u32) -> Expiry {
    Expiry {
        unit: POINTS,
        lifetime_days,
        account: id(29),
        code: POINTS_EXPIRY,
    }
}

/// The default policy with points expiring after `lifetime_days`.
fn policy_with_points_expiry(lifetime_days: u32) -> Policy {
    let mut policy = Policy::default_policy();
    if policy.code(POINTS_EXPIRY).is_none() {
        policy.codes.push(CodeRule {
            code: POINTS_EXPIRY,
            name: "points expiry".into(),
            unit: POINTS,
            purpose: Purpose::Expiry,
            weight: None,
            points: None,
            rounding: Default::default(),
        });
    }
    policy.expiry = vec![expiry_of_points(lifetime_days)];
    policy.validate().unwrap();
    policy
}

#[test]
fn a_cap_raised_from_1_july_judges_a_service_by_the_day_it_was_done() {
    // Shanghai Changning: 2 credits a day; raised to 4 from 1 July.
    let old = policy_with_caps(vec![cap(HOURS, Period::Day, "2", Excess::Reject)]);
    let new = policy_with_caps(vec![cap(HOURS, Period::Day, "4", Excess::Reject)]);
    let mut bank = bank(&old);
    amend(&mut bank, JULY_1, &new).unwrap();
    jump_to(&mut bank, JULY_2 + 9 * NANOS_PER_HOUR);

    // Recorded on 2 July, done on 30 June: June's cap of 2 applies.
    let late_evening = JULY_1 - NANOS_PER_SECOND;
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "3", late_evening),
        ResultCode::CapExceededDaily
    );
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "2", late_evening),
        ResultCode::Ok
    );
    // Done at the first instant of 1 July, and on 2 July: the new cap of 4.
    assert_eq!(serve(&mut bank, COMPANIONSHIP, "3", JULY_1), ResultCode::Ok);
    assert_eq!(serve(&mut bank, COMPANIONSHIP, "4", JULY_2), ResultCode::Ok);
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "0.01", JULY_2),
        ResultCode::CapExceededDaily
    );
    assert_eq!(bank.balance(id(2)), dec("9"));
    bank.assert_books_balance();
}

#[test]
fn a_code_added_from_1_july_is_refused_for_services_done_before() {
    let old = Policy::default_policy();
    let mut new = old.clone();
    new.codes.push(CodeRule {
        code: DIGITAL_HELP,
        name: "help with phones and apps".into(),
        unit: HOURS,
        purpose: Purpose::Service,
        weight: None,
        points: None,
        rounding: Default::default(),
    });
    let mut bank = bank(&old);
    jump_to(&mut bank, JUNE_15);
    amend(&mut bank, JULY_1, &new).unwrap();
    assert_eq!(
        serve(&mut bank, DIGITAL_HELP, "1", JUNE_15),
        ResultCode::CodeNotAllowed,
        "not yet a code in June"
    );
    jump_to(&mut bank, JULY_2);
    assert_eq!(
        serve(&mut bank, DIGITAL_HELP, "1", JUNE_30),
        ResultCode::CodeNotAllowed,
        "recorded in July, done in June"
    );
    assert_eq!(serve(&mut bank, DIGITAL_HELP, "1", JULY_1), ResultCode::Ok);
    // The planner judges by the same day.
    let record = |served_at| ServiceRecord {
        code: DIGITAL_HELP,
        payer: id(1),
        provider: id(2),
        hours: hours("1"),
        served_at: Some(served_at),
        donation: None,
        points: None,
        user_data: 0,
    };
    let refused = timebank::plan_service(&bank.ledger, bank.ids(), &record(JUNE_30), bank.now);
    assert_eq!(refused.unwrap_err().code(), ResultCode::CodeNotAllowed);
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record(JULY_1), bank.now).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("2"));
}

#[test]
fn a_weight_changed_from_1_july_credits_each_service_at_its_days_weight() {
    // Personal care weighs 1 until 30 June and 2 from 1 July (Fureai Kippu's body care).
    let old = Policy::default_policy();
    let mut new = old.clone();
    let care = new
        .codes
        .iter_mut()
        .find(|c| c.code == PERSONAL_CARE)
        .unwrap();
    care.weight = Some(dec("2"));
    let mut bank = bank(&old);
    amend(&mut bank, JULY_1, &new).unwrap();
    jump_to(&mut bank, JULY_2);
    assert_eq!(
        serve(&mut bank, PERSONAL_CARE, "1.5", JUNE_30),
        ResultCode::Ok
    );
    assert_eq!(bank.balance(id(2)), dec("1.5"));
    assert_eq!(
        serve(&mut bank, PERSONAL_CARE, "1.5", JULY_1),
        ResultCode::Ok
    );
    assert_eq!(bank.balance(id(2)), dec("4.5"));
    // What is owed counts the credits, not the hours.
    assert_eq!(report::liability(&bank.ledger).units[0].total, dec("4.5"));
}

#[test]
fn a_lifetime_cap_added_later_counts_what_was_earned_before_it() {
    // No cap until 30 June; Nanjing's lifetime cap (here 12 hours) from 1 July.
    let old = Policy::default_policy();
    let new = policy_with_caps(vec![cap(HOURS, Period::Lifetime, "12", Excess::Reject)]);
    let mut bank = bank(&old);
    jump_to(&mut bank, JUNE_15);
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "10", JUNE_15),
        ResultCode::Ok
    );
    amend(&mut bank, JULY_1, &new).unwrap();
    jump_to(&mut bank, JULY_2);
    // Done in June: no cap then.
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "5", JUNE_30),
        ResultCode::Ok
    );
    // Done in July: 15 earned already, above 12.
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "0.01", JULY_1),
        ResultCode::CapExceededLifetime
    );
    assert_eq!(bank.balance(id(2)), dec("15"));
}

#[test]
fn a_first_cap_is_refused_once_the_history_it_recounts_was_evicted() {
    let old = Policy::default_policy();
    let new = policy_with_caps(vec![cap(HOURS, Period::Lifetime, "12", Excess::Reject)]);
    let mut bank = bank(&old);
    jump_to(&mut bank, JUNE_15);
    let services: Vec<Transfer> = (0..ledger_core::history::HISTORY_CHUNK_TRANSFERS)
        .map(|_| Transfer::new(bank.ids(), id(1), id(2), hours("0.01"), HOURS).code(COMPANIONSHIP))
        .collect();
    for batch in services.chunks(1000) {
        bank.tick(1_000);
        let results = bank.ledger.create_transfers(batch, bank.now).unwrap();
        assert!(results.iter().all(|r| r.code == ResultCode::Ok));
    }
    let mut kept = bank.ledger.clone();
    assert!(!bank.ledger.evict_transfers(0).is_empty());
    let digest = bank.ledger.state_digest();
    assert_eq!(
        amend(&mut bank, JULY_1, &new),
        Err(BatchError::HistoryEvicted)
    );
    assert_eq!(bank.ledger.state_digest(), digest);
    // With every transfer in memory it applies, and counts what was earned before it.
    bank.ledger = std::mem::replace(&mut kept, Ledger::with_policy(&old).unwrap());
    amend(&mut bank, JULY_1, &new).unwrap();
}

#[test]
fn points_validity_shortened_keeps_the_expiry_each_credit_was_given() {
    let old = policy_with_points_expiry(365);
    let new = policy_with_points_expiry(30);
    let mut bank = bank(&old);
    jump_to(&mut bank, JUNE_15);
    let award = |bank: &mut Bank, n: &str| {
        bank.tick(1_000);
        let t = Transfer::new(
            bank.ids(),
            id(20),
            id(21),
            Amount::parse_in(n, 0).unwrap(),
            2,
        )
        .code(VOLUNTEERING_POINTS);
        assert_eq!(
            bank.ledger.create_transfers(&[t], bank.now).unwrap()[0].code,
            ResultCode::Ok
        );
    };
    // The default award code gives points per act; a raw transfer names the amount.
    award(&mut bank, "10");
    amend(&mut bank, JULY_1, &new).unwrap();
    jump_to(&mut bank, JULY_2);
    award(&mut bank, "5");
    // 31 days later the July points are gone, the June ones are not (they keep 365 days).
    jump_to(&mut bank, JULY_2 + 31 * NANOS_PER_DAY);
    let swept = bank.expire();
    assert_eq!(swept.len(), 1);
    assert_eq!(bank.balance(id(21)), dec("10"));
    assert_eq!(bank.balance(id(29)), dec("5"));
}

#[test]
fn amendments_that_would_judge_history_again_or_break_the_ledger_are_refused_and_change_nothing() {
    let old = policy_with_points_expiry(365);
    let mut bank = bank(&old);
    jump_to(&mut bank, JUNE_15);
    assert_eq!(
        serve(&mut bank, COMPANIONSHIP, "1", JUNE_15),
        ResultCode::Ok
    );
    let digest = bank.ledger.state_digest();
    let clock = bank.ledger.clock();
    let refused = |ledger: &mut Ledger, from: u64, policy: &Policy| {
        let command = Command::AmendPolicy(Amendment {
            from,
            policy: policy.clone(),
        });
        match ledger.execute(&command, clock + 1_000_000) {
            Err(BatchError::Amendment(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    let ledger = &mut bank.ledger;
    // Effective at or before the last event: history would be judged again.
    assert_eq!(
        refused(ledger, clock, &old),
        AmendmentError::NotAfterClock { from: clock, clock }
    );
    assert!(matches!(
        refused(ledger, JUNE_15, &old),
        AmendmentError::NotAfterClock { .. }
    ));
    // Units are fixed for the ledger's life.
    let mut units = old.clone();
    units.units[0] = Unit::new(HOURS, "hours", 3);
    assert_eq!(
        refused(ledger, JULY_1, &units),
        AmendmentError::UnitsChanged
    );
    // Credits already given were promised to expire.
    let mut no_expiry = old.clone();
    no_expiry.expiry.clear();
    assert_eq!(
        refused(ledger, JULY_1, &no_expiry),
        AmendmentError::ExpiryDropped(POINTS)
    );
    // The rules cannot be removed; an invalid policy is refused with its own error.
    let units_only = Policy::units_only(old.units.clone());
    assert_eq!(
        refused(ledger, JULY_1, &units_only),
        AmendmentError::RulesRemoved
    );
    let mut invalid = old.clone();
    invalid.late_days_max = 10_000;
    assert!(matches!(
        refused(ledger, JULY_1, &invalid),
        AmendmentError::Invalid(_)
    ));
    // The expiry account must exist (and be an expiry account of the unit).
    let mut elsewhere = old.clone();
    elsewhere.expiry[0].account = id(9);
    assert_eq!(
        refused(ledger, JULY_1, &elsewhere),
        AmendmentError::ExpiryAccountNotFound(id(9))
    );
    assert_eq!(ledger.state_digest(), digest, "a refusal changes nothing");
    assert_eq!(ledger.clock(), clock, "not even the clock");

    // One in order is accepted; the next must take effect after it.
    amend(&mut bank, JULY_1, &old).unwrap();
    let e = amend(&mut bank, JULY_1, &old).unwrap_err();
    assert_eq!(
        e,
        BatchError::Amendment(AmendmentError::NotAfterPreviousAmendment {
            from: JULY_1,
            previous: JULY_1
        })
    );
    amend(&mut bank, JULY_2, &old).unwrap();

    // A ledger created without rules has none to amend.
    let mut plain = Ledger::new(vec![Unit::new(HOURS, "hours", 2)]).unwrap();
    let command = Command::AmendPolicy(Amendment {
        from: JULY_1,
        policy: Policy::default_policy(),
    });
    assert_eq!(
        plain.execute(&command, START).unwrap_err(),
        BatchError::Amendment(AmendmentError::LedgerWithoutRules)
    );
}

#[test]
fn the_policy_in_force_is_the_last_amendment_at_or_before_the_time_asked() {
    let old = Policy::default_policy();
    let mut zone = old.clone();
    zone.utc_offset_minutes = 0;
    let mut bank = bank(&old);
    amend(&mut bank, JULY_1, &zone).unwrap();
    let ledger = &bank.ledger;
    assert_eq!(timebank::policy_at(ledger, JULY_1 - 1), Some(&old));
    assert_eq!(timebank::policy_at(ledger, JULY_1), Some(&zone));
    assert_eq!(
        timebank::policy(ledger),
        Some(&old),
        "the policy it was created with"
    );
    let versions = timebank::policy_versions(ledger);
    assert_eq!(versions, vec![(0, &old), (JULY_1, &zone)]);

    // Replaying the same commands gives the same ledger, amendment included.
    let mut replayed = Ledger::with_policy(&old).unwrap();
    let mut other = Ledger::with_policy(&old).unwrap();
    for ledger in [&mut replayed, &mut other] {
        ledger
            .execute(
                &Command::AmendPolicy(Amendment {
                    from: JULY_1,
                    policy: zone.clone(),
                }),
                START,
            )
            .unwrap();
    }
    assert_eq!(replayed.state_digest(), other.state_digest());
    assert_ne!(
        replayed.state_digest(),
        Ledger::with_policy(&old).unwrap().state_digest(),
        "the digest covers amendments"
    );
}

#[test]
fn an_operation_uses_the_default_codes_of_the_policy_in_force_when_it_runs() {
    // From 1 July the gift of hours has a new code (311): the old one (301) is dropped.
    let old = Policy::default_policy();
    let mut new = old.clone();
    let gift = new.codes.iter_mut().find(|c| c.code == GIFT).unwrap();
    gift.code = 311;
    let mut bank = bank(&old);
    bank.tick(1_000);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &ServiceRecord {
            code: COMPANIONSHIP,
            payer: id(1),
            provider: id(2),
            hours: hours("3"),
            served_at: None,
            donation: None,
            points: None,
            user_data: 0,
        },
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    bank.open(3, HOURS, AccountKind::Member, 7);
    bank.link(id(2), id(3));
    amend(&mut bank, JULY_1, &new).unwrap();
    // The ledger's last event is in March; the gift runs on 2 July, under the new codes.
    jump_to(&mut bank, JULY_2);
    let gift = Command::Operate(ledger_core::operation::Operation {
        id: bank.ids(),
        kind: ledger_core::operation::OperationKind::Gift(timebank::Gift {
            from: id(2),
            to: id(3),
            amount: hours("1"),
            code: None,
        }),
    });
    match bank.ledger.execute(&gift, bank.now).unwrap() {
        Reply::Events(events) => assert_eq!(events[0].code, ResultCode::Ok),
        Reply::Expired(_) => unreachable!(),
    }
    let last = bank.ledger.transfers().last().unwrap();
    assert_eq!(last.code, 311);
    assert_eq!(bank.balance(id(3)), dec("1"));
}
