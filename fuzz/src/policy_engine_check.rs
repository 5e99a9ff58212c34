//! `engine_policy`: the engine under a time-bank policy (the shipped default, with caps, open
//! gifts and expiring points chosen by the input), driven by the same scenarios as
//! `engine_model` with transfer codes drawn from the policy. The reference model knows no
//! policy, so here the checks are the ones every ledger obeys (balanced units, balances equal
//! to their transfers, limits, closed accounts empty, failures change nothing, replay gives the
//! same digest) plus the caps: no member's counted earnings ever pass a cap.

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use ledger_core::policy::{Cap, Excess, Expiry, Period};
use ledger_core::{timebank, AccountKind, Command, Decimal, Ledger, Policy};

use crate::engine_check::{
    apply, check_failure_changed_nothing, check_invariants, check_replay_from, Log,
};
use crate::model::Model;
use crate::scenario::{
    AccountRef, AccountSpec, LimitSpec, Op, Scenario, Step, TimeStep, UnitRef, NOW_START, STEPS_MAX,
};

#[derive(Arbitrary, Debug)]
pub struct PolicyScenario {
    /// Daily, monthly and lifetime caps on hours (whole hours, 1 to 16), each optional.
    pub caps: [Option<(u8, bool)>; 3],
    pub any_member: bool,
    /// Points expire after 1 to 4 days.
    pub points_expire: Option<u8>,
    pub scenario: Scenario,
}

/// The points expiry account, outside the ids scenarios use most.
const EXPIRY_ACCOUNT: AccountRef = AccountRef(0xC9);

fn policy(input: &PolicyScenario) -> Policy {
    let mut policy = Policy::default_policy();
    for (cap, period) in input
        .caps
        .iter()
        .zip([Period::Day, Period::Month, Period::Lifetime])
    {
        if let Some((limit, donate)) = cap {
            policy.caps.push(Cap {
                unit: 1,
                period,
                limit: Decimal::from(limit % 16 + 1),
                excess: if *donate {
                    Excess::Donate
                } else {
                    Excess::Reject
                },
            });
        }
    }
    policy.gifts.any_member = input.any_member;
    if let Some(days) = input.points_expire {
        policy.expiry.push(Expiry {
            unit: 2,
            lifetime_days: u32::from(days % 4 + 1),
            account: EXPIRY_ACCOUNT.id(),
            code: 504,
        });
    }
    policy
        .validate()
        .expect("the default policy with these rules is valid");
    policy
}

/// Hours: an issuing fund, two members, a group and a donation pool; points: an issuer, a
/// member, a supermarket and the expiry account.
fn accounts() -> Vec<AccountSpec> {
    const HOURS: UnitRef = UnitRef(6);
    const POINTS: UnitRef = UnitRef(2);
    let kind = |k: AccountKind| {
        AccountKind::ALL
            .iter()
            .position(|x| *x == k)
            .expect("a kind") as u8
    };
    let spec = |id: AccountRef, unit, k| AccountSpec {
        id,
        unit,
        kind: kind(k),
        community: id.0 % 2,
        user_data: 0,
        floor: None,
        ceiling: None::<LimitSpec>,
        eligible_from: Some(0),
    };
    vec![
        spec(AccountRef(0), HOURS, AccountKind::Issuer),
        spec(AccountRef(1), HOURS, AccountKind::Member),
        spec(AccountRef(2), HOURS, AccountKind::Member),
        spec(AccountRef(3), HOURS, AccountKind::Group),
        spec(AccountRef(4), HOURS, AccountKind::Donation),
        spec(AccountRef(5), POINTS, AccountKind::Issuer),
        spec(AccountRef(6), POINTS, AccountKind::Member),
        spec(AccountRef(7), POINTS, AccountKind::Redemption),
        spec(EXPIRY_ACCOUNT, POINTS, AccountKind::Expiry),
    ]
}

pub fn run(input: &PolicyScenario) {
    let policy = policy(input);
    let codes: Vec<u16> = policy.codes.iter().map(|c| c.code).collect();
    let mut ledger = Ledger::with_policy(&policy).expect("a valid policy");
    // The model is only consulted for ids and units; its replies are not compared here.
    let units: Vec<(u16, u32)> = policy.units.iter().map(|u| (u.id, u.scale)).collect();
    let mut model = Model::new(&units);
    let mut ids = BTreeSet::new();
    let mut log: Log = Vec::new();
    let mut now = NOW_START;
    let setup = Step {
        time: TimeStep::Same,
        op: Op::CreateAccounts(accounts()),
    };
    for step in std::iter::once(&setup).chain(input.scenario.steps.iter().take(STEPS_MAX)) {
        now = step.time.apply(now);
        let before = ledger.clone();
        let (command, got, _) = apply(&mut ledger, &mut model, &step.op, now, &mut ids, &codes);
        check_invariants(&ledger);
        // Expiry may run the policy's sweeps, which take timestamps even when none applies.
        if command != Command::Expire {
            check_failure_changed_nothing(&before, &ledger, &command, &got, now);
        }
        check_caps(&ledger, &policy, now);
        log.push((command, now, got));
    }
    check_replay_from(Ledger::with_policy(&policy).expect("valid"), &ledger, &log);
    if std::env::var_os("TIMEBANK_FUZZ_STATS").is_some() {
        crate::engine_check::print_stats(&log);
    }
}

fn check_caps(ledger: &Ledger, policy: &Policy, now: u64) {
    for account in ledger.accounts().filter(|a| a.kind == AccountKind::Member) {
        let earned = timebank::earnings(ledger, account.id, now);
        for cap in policy.caps.iter().filter(|c| c.unit == account.unit) {
            let counted = match cap.period {
                Period::Day => earned.day,
                Period::Month => earned.month,
                Period::Lifetime => earned.lifetime,
            };
            assert!(
                counted <= cap.limit,
                "{:?} earned {counted} against a {:?} cap of {}",
                account.id,
                cap.period,
                cap.limit
            );
        }
    }
}
