//! Properties of the time-bank rules over random sequences of domain operations and raw host
//! transfers: caps are never exceeded; the liability report equals the holders' balances; every
//! operation keeps the engine's invariants (books balance per unit, floors hold, a failed plan
//! changes nothing); and replaying the same commands gives the same state.

mod timebank_support;

use std::collections::BTreeMap;

use ledger_core::timebank::{self, Booking, Closing, Completion, Gift, PointsAward, Redemption};
use ledger_core::{
    Account, AccountKind, Amount, Command, Decimal, Excess, Expiry, Ledger, Period, Policy, Reply,
    Transfer, TransferFlags, TransferId, TransferState,
};
use proptest::prelude::*;
use timebank_support::*;

const FUNDS: [u128; 2] = [1, 2];
const MEMBERS: [u128; 6] = [10, 11, 12, 13, 14, 15];
const GROUP: u128 = 20;
const POOL: u128 = 30;
const POINTS_ISSUER: u128 = 40;
const POINTS_MEMBERS: [u128; 3] = [41, 42, 43];
const SHOP: u128 = 50;
const EXPIRY_ACCOUNT: u128 = 60;
const DAY_CAP: &str = "2";
const MONTH_CAP: &str = "20";
const LIFETIME_CAP: &str = "40";
const EARNING_CODES: [u16; 4] = [101, 104, 201, 204];

fn policy() -> Policy {
    let mut policy = policy_with_caps(vec![
        cap(HOURS, Period::Day, DAY_CAP, Excess::Reject),
        cap(HOURS, Period::Month, MONTH_CAP, Excess::Reject),
        cap(HOURS, Period::Lifetime, LIFETIME_CAP, Excess::Donate),
    ]);
    policy.expiry.push(Expiry {
        unit: POINTS,
        lifetime_days: 10,
        account: id(EXPIRY_ACCOUNT),
        code: POINTS_EXPIRY,
    });
    policy.validate().unwrap();
    policy
}

#[derive(Debug, Clone)]
enum Op {
    Serve {
        fund: usize,
        provider: usize,
        quarters: u8,
        personal: bool,
    },
    Care {
        payer: usize,
        provider: usize,
        quarters: u8,
    },
    Gift {
        from: usize,
        to: usize,
        quarters: u8,
    },
    Book {
        payer: usize,
        provider: usize,
        quarters: u8,
        deadline: bool,
    },
    Complete {
        booking: usize,
        quarters: Option<u8>,
        rating: u8,
    },
    Cancel {
        booking: usize,
    },
    Reverse {
        transfer: usize,
    },
    Award {
        member: usize,
        acts: u8,
    },
    Redeem {
        member: usize,
        points: u8,
    },
    Close {
        member: usize,
        heir: usize,
    },
    Raw {
        debit: usize,
        credit: usize,
        code: usize,
        quarters: u8,
    },
    /// Two raw transfers linked: the first applies, then is rolled back if the second fails.
    Chain {
        first: (usize, usize, usize, u8),
        second: (usize, usize, usize, u8),
    },
    Advance {
        hours: u8,
    },
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    let holder = 0usize..7; // six members and the group
    prop_oneof![
        4 => (0usize..2, holder.clone(), 1u8..16, any::<bool>())
            .prop_map(|(fund, provider, quarters, personal)| Op::Serve { fund, provider, quarters, personal }),
        2 => (0usize..6, holder.clone(), 1u8..12).prop_map(|(payer, provider, quarters)| Op::Care { payer, provider, quarters }),
        2 => (holder.clone(), 0usize..8, 1u8..12).prop_map(|(from, to, quarters)| Op::Gift { from, to, quarters }),
        2 => (0usize..6, holder.clone(), 1u8..12, any::<bool>())
            .prop_map(|(payer, provider, quarters, deadline)| Op::Book { payer, provider, quarters, deadline }),
        2 => (any::<usize>(), proptest::option::of(1u8..12), 0u8..7)
            .prop_map(|(booking, quarters, rating)| Op::Complete { booking, quarters, rating }),
        1 => any::<usize>().prop_map(|booking| Op::Cancel { booking }),
        2 => any::<usize>().prop_map(|transfer| Op::Reverse { transfer }),
        2 => (0usize..3, 1u8..4).prop_map(|(member, acts)| Op::Award { member, acts }),
        1 => (0usize..3, 1u8..30).prop_map(|(member, points)| Op::Redeem { member, points }),
        1 => (0usize..6, 0usize..6).prop_map(|(member, heir)| Op::Close { member, heir }),
        3 => (0usize..10, 0usize..10, 0usize..8, 1u8..16)
            .prop_map(|(debit, credit, code, quarters)| Op::Raw { debit, credit, code, quarters }),
        3 => (raw(), raw()).prop_map(|(first, second)| Op::Chain { first, second }),
        3 => (1u8..60).prop_map(|hours| Op::Advance { hours }),
        1 => Just(Op::Expire),
    ]
}

fn raw() -> impl Strategy<Value = (usize, usize, usize, u8)> {
    (0usize..10, 0usize..10, 0usize..8, 1u8..16)
}

fn raw_transfer(id: TransferId, (debit, credit, code, q): (usize, usize, usize, u8)) -> Transfer {
    Transfer::new(
        id,
        ledger_core::AccountId::new(HOURS_ACCOUNTS[debit]).unwrap(),
        ledger_core::AccountId::new(HOURS_ACCOUNTS[credit]).unwrap(),
        quarters(q),
        HOURS,
    )
    .code(RAW_CODES[code])
}

/// Every hours account a raw transfer may name.
const HOURS_ACCOUNTS: [u128; 10] = [1, 2, 10, 11, 12, 13, 14, 15, 20, 30];
const RAW_CODES: [u16; 8] = [101, 201, 301, 302, 303, 999, 104, 305];

fn quarters(q: u8) -> Amount {
    Amount::from_minor(u64::from(q) * 25, 2).unwrap()
}

fn holder(i: usize) -> u128 {
    if i < MEMBERS.len() {
        MEMBERS[i]
    } else {
        GROUP
    }
}

struct World {
    bank: Bank,
    bookings: Vec<TransferId>,
    applied: Vec<TransferId>,
    journal: Vec<(Command, u64)>,
}

impl World {
    fn new() -> World {
        let mut bank = Bank::new(&policy());
        for (i, n) in FUNDS.iter().enumerate() {
            bank.open(*n, HOURS, AccountKind::Issuer, i as u32 + 1);
        }
        for (i, n) in MEMBERS.iter().enumerate() {
            bank.open(*n, HOURS, AccountKind::Member, (i % 2) as u32 + 1);
        }
        bank.open(GROUP, HOURS, AccountKind::Group, 1);
        // The pool takes at most 30 hours: donations beyond are refused, and chains with them.
        let pool = ledger_core::NewAccount::new(id(POOL), HOURS, AccountKind::Donation)
            .ceiling(Some(dec("30")));
        bank.ledger.create_accounts(&[pool], bank.now).unwrap();
        bank.open(POINTS_ISSUER, POINTS, AccountKind::Issuer, 0);
        for n in POINTS_MEMBERS {
            bank.open(n, POINTS, AccountKind::Member, 1);
        }
        bank.open(SHOP, POINTS, AccountKind::Redemption, 0);
        bank.open(EXPIRY_ACCOUNT, POINTS, AccountKind::Expiry, 0);
        bank.link(id(10), id(11));
        bank.eligible_from(id(10), Some(START));
        bank.eligible_from(id(11), Some(START));
        World {
            bank,
            bookings: Vec::new(),
            applied: Vec::new(),
            journal: Vec::new(),
        }
    }

    fn plan(&self, op: &Op) -> Option<timebank::Plan> {
        let (ledger, now, first) = (&self.bank.ledger, self.bank.now, self.bank.ids());
        let pick = |list: &[TransferId], i: usize| (!list.is_empty()).then(|| list[i % list.len()]);
        let plan = match *op {
            Op::Serve {
                fund,
                provider,
                quarters: q,
                personal,
            } => {
                let record = timebank::ServiceRecord {
                    served_at: None,
                    code: if personal {
                        PERSONAL_CARE
                    } else {
                        COMPANIONSHIP
                    },
                    payer: id(FUNDS[fund]),
                    provider: id(holder(provider)),
                    hours: quarters(q),
                    donation: Some(id(POOL)),
                    points: None,
                    user_data: 0,
                };
                timebank::plan_service(ledger, first, &record, now)
            }
            Op::Care {
                payer,
                provider,
                quarters: q,
            } => timebank::plan_withdrawal(
                ledger,
                first,
                CARE_COMPANIONSHIP,
                id(MEMBERS[payer]),
                id(holder(provider)),
                quarters(q),
                now,
            ),
            Op::Gift {
                from,
                to,
                quarters: q,
            } => {
                let to = if to < 7 { holder(to) } else { POOL };
                let gift = Gift {
                    from: id(holder(from)),
                    to: id(to),
                    amount: quarters(q),
                    code: None,
                };
                timebank::plan_gift(ledger, first, &gift)
            }
            Op::Book {
                payer,
                provider,
                quarters: q,
                deadline,
            } => {
                let booking = Booking {
                    code: CARE_COMPANIONSHIP,
                    payer: id(MEMBERS[payer]),
                    provider: id(holder(provider)),
                    hours: quarters(q),
                    timeout_s: if deadline { 7_200 } else { 0 },
                    user_data: 0,
                };
                timebank::plan_booking(ledger, first, &booking)
            }
            Op::Complete {
                booking,
                quarters: q,
                rating,
            } => {
                let completion = Completion {
                    served_at: None,
                    booking: pick(&self.bookings, booking)?,
                    hours: q.map(quarters),
                    rating: (rating > 0).then_some(rating),
                    donation: Some(id(POOL)),
                };
                timebank::plan_completion(ledger, first, &completion, now)
            }
            Op::Cancel { booking } => {
                timebank::plan_cancellation(ledger, first, pick(&self.bookings, booking)?)
            }
            Op::Reverse { transfer } => {
                timebank::plan_reversal(ledger, first, pick(&self.applied, transfer)?)
            }
            Op::Award { member, acts } => {
                let award = PointsAward {
                    code: VOLUNTEERING_POINTS,
                    issuer: id(POINTS_ISSUER),
                    member: id(POINTS_MEMBERS[member]),
                    acts: u32::from(acts),
                };
                timebank::plan_award(ledger, first, &award)
            }
            Op::Redeem { member, points } => {
                let request = Redemption {
                    member: id(POINTS_MEMBERS[member]),
                    redemption: id(SHOP),
                    amount: Amount::from_minor(u64::from(points), 0).unwrap(),
                    code: None,
                };
                timebank::plan_redemption(ledger, first, &request)
            }
            Op::Close { member, heir } => {
                let closing = Closing {
                    accounts: vec![(id(MEMBERS[member]), id(MEMBERS[heir]))],
                };
                timebank::plan_closing(ledger, first, &closing)
            }
            Op::Raw {
                debit,
                credit,
                code,
                quarters: q,
            } => {
                let t = raw_transfer(first, (debit, credit, code, q));
                Ok(timebank::Plan {
                    closes: Vec::new(),
                    transfers: vec![t],
                    ratings: vec![],
                })
            }
            Op::Chain {
                first: a,
                second: b,
            } => {
                let second = tid(first.get() + 1);
                let a = raw_transfer(first, a).flags(TransferFlags::LINKED);
                Ok(timebank::Plan {
                    closes: Vec::new(),
                    transfers: vec![a, raw_transfer(second, b)],
                    ratings: vec![],
                })
            }
            Op::Advance { .. } | Op::Expire => return None,
        };
        plan.ok()
    }

    fn run(&mut self, op: &Op) {
        match *op {
            Op::Advance { hours } => return self.bank.tick(u64::from(hours) * NANOS_PER_HOUR),
            Op::Expire => {
                self.bank.tick(1_000);
                let now = self.bank.now;
                self.journal.push((Command::Expire, now));
                self.bank.ledger.expire(now).unwrap();
                return;
            }
            _ => {}
        }
        let Some(plan) = self.plan(op) else { return };
        let before = snapshot(&self.bank.ledger);
        for command in plan.commands() {
            self.bank.tick(1_000);
            let now = self.bank.now;
            self.journal.push((command.clone(), now));
            let Reply::Events(results) = self.bank.ledger.execute(&command, now).unwrap() else {
                unreachable!("plans hold transfers and ratings");
            };
            let Command::CreateTransfers(transfers) = &command else {
                continue;
            };
            if results.iter().all(|r| r.is_ok()) {
                for t in transfers {
                    if t.flags.contains(TransferFlags::PENDING) {
                        self.bookings.push(t.id);
                    } else {
                        self.applied.push(t.id);
                    }
                }
            } else {
                assert_eq!(
                    snapshot(&self.bank.ledger),
                    before,
                    "a failed plan changed the ledger: {op:?}"
                );
                break;
            }
        }
    }
}

/// Everything a failed event must leave alone: accounts, transfers, and what members earned.
fn snapshot(ledger: &Ledger) -> (Vec<Account>, usize, usize, Vec<(u128, Decimal)>) {
    let mut accounts: Vec<Account> = ledger.accounts().cloned().collect();
    accounts.sort_by_key(|a| a.id);
    let earned = MEMBERS
        .iter()
        .map(|n| {
            (
                *n,
                timebank::earnings(ledger, id(*n), ledger.clock()).lifetime,
            )
        })
        .collect();
    (
        accounts,
        ledger.transfer_count(),
        ledger.pending_count(),
        earned,
    )
}

/// Local (UTC+8) day and month of a timestamp, computed independently of the library.
fn local_day_month(timestamp: u64) -> (i64, i64) {
    let day = ((timestamp / 1_000_000_000) as i64 + 8 * 3600).div_euclid(86_400);
    // Civil-from-days (Howard Hinnant), years × 12 + month − 1.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (day, year * 12 + month - 1)
}

/// Recounts from the transfers what each member earned per day, month and in all (reversals
/// counted back in the period of the original, while that period lasts) and checks the caps.
fn assert_caps_hold(ledger: &Ledger) {
    let mut days: BTreeMap<(u128, i64), Decimal> = BTreeMap::new();
    let mut months: BTreeMap<(u128, i64), Decimal> = BTreeMap::new();
    let mut lifetime: BTreeMap<u128, Decimal> = BTreeMap::new();
    let is_member = |a| {
        ledger
            .account(a)
            .is_some_and(|a| a.kind == AccountKind::Member)
    };
    for r in ledger.transfers() {
        let moved =
            r.state == TransferState::Posted && !r.flags().contains(TransferFlags::VOID_PENDING);
        if !moved || !EARNING_CODES.contains(&r.code) {
            continue;
        }
        if r.flags().contains(TransferFlags::REVERSAL) {
            let original = ledger.transfer(r.related_id().unwrap()).unwrap();
            let member = r.debit_account_id;
            if !is_member(member) {
                continue;
            }
            let (day, month) = local_day_month(original.timestamp);
            let (rday, rmonth) = local_day_month(r.timestamp);
            let m = member.get();
            *lifetime.entry(m).or_default() -= r.amount.value();
            if day == rday {
                *days.entry((m, day)).or_default() -= r.amount.value();
            }
            if month == rmonth {
                *months.entry((m, month)).or_default() -= r.amount.value();
            }
        } else if is_member(r.credit_account_id) {
            let (day, month) = local_day_month(r.timestamp);
            let m = r.credit_account_id.get();
            *lifetime.entry(m).or_default() += r.amount.value();
            *days.entry((m, day)).or_default() += r.amount.value();
            *months.entry((m, month)).or_default() += r.amount.value();
        }
    }
    assert!(
        days.values().all(|v| *v <= dec(DAY_CAP)),
        "day cap passed: {days:?}"
    );
    assert!(
        months.values().all(|v| *v <= dec(MONTH_CAP)),
        "month cap passed: {months:?}"
    );
    assert!(
        lifetime.values().all(|v| *v <= dec(LIFETIME_CAP)),
        "lifetime cap passed: {lifetime:?}"
    );
}

fn assert_invariants(world: &World) {
    let ledger = &world.bank.ledger;
    world.bank.assert_books_balance();
    for a in ledger.accounts() {
        if let Some(floor) = a.floor {
            assert!(
                a.balances.available() >= floor,
                "account {} below its floor",
                a.id
            );
        }
        if let Some(ceiling) = a.ceiling {
            assert!(
                a.balances.potential() <= ceiling,
                "account {} above its ceiling",
                a.id
            );
        }
    }
    assert_caps_hold(ledger);
    let report = ledger_core::report::liability(ledger);
    for unit in &report.units {
        let held: Decimal = ledger
            .accounts()
            .filter(|a| a.unit == unit.unit && a.kind.is_holder())
            .map(|a| a.posted())
            .sum();
        assert_eq!(unit.total, held);
        assert_eq!(
            unit.by_community.iter().map(|c| c.total).sum::<Decimal>(),
            held
        );
    }
}

/// 48 sequences by default; 2,000 with `TIMEBANK_LONG=1`.
fn cases() -> u32 {
    if std::env::var_os("TIMEBANK_LONG").is_some() {
        2_000
    } else {
        48
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn rules_and_invariants_hold_whatever_the_sequence(ops in proptest::collection::vec(op(), 1..80)) {
        let mut world = World::new();
        let setup_now = world.bank.now;
        for op in &ops {
            world.run(op);
            assert_invariants(&world);
        }
        // Statements end at each account's balance.
        for a in world.bank.ledger.accounts() {
            let lines = statement_lines(&world.bank.ledger, a.id);
            let last = lines.last().map_or(Decimal::ZERO, |line| line.balance);
            prop_assert_eq!(last, a.posted());
        }
        // Replaying the same commands gives the same state.
        let mut replay = World::new();
        prop_assert_eq!(replay.bank.now, setup_now);
        for (command, now) in &world.journal {
            replay.bank.ledger.execute(command, *now).unwrap();
        }
        prop_assert_eq!(replay.bank.ledger.state_digest(), world.bank.ledger.state_digest());
        // The ledger rebuilt from its snapshot holds the same state (lots and earnings
        // included), gives the same statements, and sweeps the same lots a year on.
        let bytes = ledger_core::snapshot::encode(&world.bank.ledger);
        let mut restored = ledger_core::snapshot::decode(&bytes).unwrap();
        prop_assert_eq!(restored.state_digest(), world.bank.ledger.state_digest());
        prop_assert_eq!(ledger_core::snapshot::encode(&restored), bytes);
        for a in world.bank.ledger.accounts() {
            prop_assert_eq!(
                statement_lines(&restored, a.id),
                statement_lines(&world.bank.ledger, a.id)
            );
        }
        let later = world.bank.now + 400 * NANOS_PER_DAY;
        prop_assert_eq!(
            restored.execute(&Command::Expire, later),
            world.bank.ledger.execute(&Command::Expire, later)
        );
        prop_assert_eq!(restored.state_digest(), world.bank.ledger.state_digest());
    }
}
