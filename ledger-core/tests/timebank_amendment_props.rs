//! Random sequences of services (some typed in days after they were done), amendments of the
//! daily cap and the passing of time, against a model written from the rule (DOMAIN.md §3.3,
//! §3.8): a service is refused exactly when the credits of its local day, with it, would pass
//! the cap of the policy in force when it was done. Replaying the same commands gives the same
//! ledger.

mod timebank_support;

use std::collections::BTreeMap;

use proptest::prelude::*;

use ledger_core::{
    AccountKind, Amendment, Amount, BatchError, Command, Decimal, Excess, Ledger, NewAccount,
    Period, Policy, Reply, ResultCode, Transfer,
};
use timebank_support::*;

const MEMBERS: u128 = 4;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

#[derive(Debug, Clone)]
enum Op {
    /// `quarters` hours for member `member`, done `back_hours` before it is recorded.
    Serve {
        member: u128,
        quarters: u8,
        back_hours: u64,
    },
    /// The daily cap becomes `cap` hours, `after_hours` from now.
    Amend {
        cap: u8,
        after_hours: u64,
    },
    Wait {
        hours: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..MEMBERS, 1u8..12, 0u64..72).prop_map(|(member, quarters, back_hours)| {
            Op::Serve { member, quarters, back_hours }
        }),
        1 => (1u8..5, 1u64..48).prop_map(|(cap, after_hours)| Op::Amend { cap, after_hours }),
        2 => (1u64..30).prop_map(|hours| Op::Wait { hours }),
    ]
}

fn policy_with_day_cap(hours: u8) -> Policy {
    policy_with_caps(vec![cap(
        HOURS,
        Period::Day,
        &hours.to_string(),
        Excess::Reject,
    )])
}

/// The local day (UTC+8, the shipped policy's zone) of a time.
fn local_day(at: u64) -> i64 {
    ((at / NANOS_PER_SECOND) as i64 + 8 * 3_600).div_euclid(86_400)
}

/// The rule, as a host reads it: caps by effective time, credits per member and local day.
struct Model {
    caps: Vec<(u64, Decimal)>,
    days: BTreeMap<(u128, i64), Decimal>,
}

impl Model {
    fn cap_at(&self, at: u64) -> Decimal {
        self.caps
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .map(|(_, cap)| *cap)
            .expect("the first policy is in force from 0")
    }
}

fn run(ops: &[Op]) {
    let mut ledger = Ledger::with_policy(&policy_with_day_cap(2)).unwrap();
    let mut journal: Vec<(Command, u64)> = Vec::new();
    let mut now = START;
    let mut execute = |ledger: &mut Ledger, command: Command, now: u64| {
        let reply = ledger.execute(&command, now);
        if reply.is_ok() {
            journal.push((command, now));
        }
        reply
    };
    let mut accounts = vec![NewAccount::new(id(1), HOURS, AccountKind::Issuer)];
    accounts.extend((0..MEMBERS).map(|m| NewAccount::new(id(10 + m), HOURS, AccountKind::Member)));
    execute(&mut ledger, Command::CreateAccounts(accounts), now).unwrap();
    let mut model = Model {
        caps: vec![(0, Decimal::from(2))],
        days: BTreeMap::new(),
    };
    let mut next_id = 100u128;
    for op in ops {
        now += 1_000;
        match op {
            Op::Serve {
                member,
                quarters,
                back_hours,
            } => {
                next_id += 1;
                let served_at = now - back_hours * NANOS_PER_HOUR;
                let amount = Amount::from_minor(u64::from(*quarters) * 25, 2).unwrap();
                let t = Transfer::new(tid(next_id), id(1), id(10 + member), amount, HOURS)
                    .code(COMPANIONSHIP)
                    .served_at(served_at);
                let reply = execute(&mut ledger, Command::CreateTransfers(vec![t]), now);
                let Ok(Reply::Events(events)) = reply else {
                    panic!("{reply:?}")
                };
                let cap = model.cap_at(served_at);
                let day = model
                    .days
                    .entry((*member, local_day(served_at)))
                    .or_default();
                let fits = *day + amount.value() <= cap;
                let expected = if fits {
                    ResultCode::Ok
                } else {
                    ResultCode::CapExceededDaily
                };
                assert_eq!(events[0].code, expected, "{op:?} at {now}");
                if fits {
                    *day += amount.value();
                }
            }
            Op::Amend { cap, after_hours } => {
                let from = now + after_hours * NANOS_PER_HOUR;
                let amendment = Command::AmendPolicy(Amendment {
                    from,
                    policy: policy_with_day_cap(*cap),
                });
                let last = model.caps.last().map(|(from, _)| *from).unwrap();
                match execute(&mut ledger, amendment, now) {
                    Ok(_) => {
                        assert!(from > last);
                        model.caps.push((from, Decimal::from(*cap)));
                    }
                    Err(BatchError::Amendment(_)) => assert!(from <= last, "{op:?}"),
                    Err(e) => panic!("{e}"),
                }
            }
            Op::Wait { hours } => now += hours * NANOS_PER_HOUR,
        }
    }
    let mut replayed = Ledger::with_policy(&policy_with_day_cap(2)).unwrap();
    for (command, at) in &journal {
        replayed.execute(command, *at).unwrap();
    }
    assert_eq!(replayed.state_digest(), ledger.state_digest());
    // Every policy version survives a snapshot: the same state, the same encoding.
    let bytes = ledger_core::snapshot::encode(&ledger);
    let restored = ledger_core::snapshot::decode(&bytes).unwrap();
    assert_eq!(restored.state_digest(), ledger.state_digest());
    assert_eq!(ledger_core::snapshot::encode(&restored), bytes);
}

/// 64 sequences by default; 2,000 with `TIMEBANK_LONG=1`.
fn cases() -> u32 {
    if std::env::var_os("TIMEBANK_LONG").is_some() {
        2_000
    } else {
        64
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn services_meet_the_cap_in_force_on_the_day_they_were_done(
        ops in proptest::collection::vec(op(), 1..120)
    ) {
        run(&ops);
    }
}
