//! A month of a city's community time bank, on `ledger-core` alone, sized from the Bengbu report
//! (DOMAIN.md): 227 urban communities, 200 volunteer teams, about 4,000 services a month,
//! 947 citizen requests (bookings) and 1,895 activities (points awards).
//!
//! Volunteers earn hours from their community's fund (services to key elderly) or from the
//! elders' own banked hours (care withdrawals); elders book care, which is held, completed (often
//! for fewer hours than booked) and rated, cancelled, or released when its deadline passes;
//! children give hours to their registered parents; teams donate their hours; activities earn
//! points, spent at the points supermarket. The policy is the shipped default with Nanjing's
//! lifetime cap (1,500 hours, the excess donated) and a monthly cap of 80 hours.
//! At the end it prints the liability report: the hours and points the bank owes its members.
//!
//! Run: `cargo run --release -p examples --bin community_month`

use std::collections::BTreeMap;

use ledger_core::report;
use ledger_core::timebank::{
    self, Booking, Completion, Gift, Plan, PointsAward, Redemption, ServiceRecord,
};
use ledger_core::{
    AccountId, AccountKind, Amount, Cap, Command, Decimal, Eligibility, Excess, Ledger, Link,
    NewAccount, Period, Policy, Reply, ResultCode, TransferId,
};
use timebank_workload::city::{self, fund, points_issuer, pool, shop, team};
use timebank_workload::Dice;

// The report's city, as `timebank simulate` models it (the shared workload crate).
const COMMUNITIES: u32 = city::CITY_COMMUNITIES as u32;
const MEMBERS_PER_COMMUNITY: u32 = 40;
/// Members `ELDERS_FROM..MEMBERS_PER_COMMUNITY` of each community are elders with banked hours.
const ELDERS_FROM: u32 = 30;
const TEAMS: u32 = city::CITY_TEAMS as u32;
const SERVICES_PER_MONTH: u32 = city::CITY_SERVICES_PER_MONTH as u32;
const BOOKINGS_PER_MONTH: u32 = city::CITY_REQUESTS_PER_MONTH as u32;
const ACTIVITIES_PER_MONTH: u32 = city::CITY_ACTIVITIES_PER_MONTH as u32;
const DAYS: u32 = city::DAYS_PER_MONTH as u32;

const HOURS: u16 = 1;
const POINTS: u16 = 2;
const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
/// 2026-03-01 08:00 in UTC+8.
const MONTH_START: u64 = 1_772_323_200 * 1_000_000_000;

/// Member `i` of community `c`: the city's volunteers first, then its elders.
fn member(c: u32, i: u32) -> AccountId {
    if i < ELDERS_FROM {
        city::volunteer(c, i)
    } else {
        city::elder(c, i - ELDERS_FROM)
    }
}
/// Every member's points account (in the city's block of points accounts).
fn member_points(c: u32, i: u32) -> AccountId {
    city::volunteer_points(c, i)
}

struct Bank {
    ledger: Ledger,
    now: u64,
    next_id: std::cell::Cell<u128>,
    outcomes: BTreeMap<ResultCode, u64>,
}

impl Bank {
    /// A fresh first id for a plan (plans use a few consecutive ids).
    fn ids(&self) -> TransferId {
        self.next_id.set(self.next_id.get() + 10);
        TransferId::new(self.next_id.get()).expect("ids start above zero")
    }

    fn run(&mut self, command: Command) -> Vec<ResultCode> {
        self.now += 1_000;
        match self.ledger.execute(&command, self.now) {
            Ok(Reply::Events(results)) => results.iter().map(|r| r.code).collect(),
            Ok(Reply::Expired(_)) => Vec::new(),
            Err(error) => panic!("a well-formed batch was refused: {error}"),
        }
    }

    /// Submits a plan, counting what happened to each of its events.
    fn submit(&mut self, plan: Result<Plan, timebank::PlanError>) -> bool {
        let Ok(plan) = plan else { return false };
        let mut ok = true;
        for command in plan.commands() {
            for code in self.run(command) {
                *self.outcomes.entry(code).or_default() += 1;
                ok &= code == ResultCode::Ok;
            }
        }
        ok
    }
}

fn policy() -> Policy {
    let mut policy = Policy::default_policy();
    let cap = |period, limit: u32, excess| Cap {
        unit: HOURS,
        period,
        limit: Decimal::from(limit),
        excess,
    };
    policy.caps = vec![
        cap(Period::Month, 80, Excess::Reject),
        cap(Period::Lifetime, 1_500, Excess::Donate),
    ];
    policy.validate().expect("the example's policy is valid");
    policy
}

fn open_accounts(bank: &mut Bank) {
    let mut specs = Vec::new();
    for c in 1..=COMMUNITIES {
        specs.push(NewAccount::new(fund(c), HOURS, AccountKind::Issuer).community(c));
        specs.push(NewAccount::new(pool(c), HOURS, AccountKind::Donation).community(c));
        specs.push(NewAccount::new(points_issuer(c), POINTS, AccountKind::Issuer).community(c));
        specs.push(NewAccount::new(shop(c), POINTS, AccountKind::Redemption).community(c));
        for i in 0..MEMBERS_PER_COMMUNITY {
            specs.push(NewAccount::new(member(c, i), HOURS, AccountKind::Member).community(c));
            specs.push(
                NewAccount::new(member_points(c, i), POINTS, AccountKind::Member).community(c),
            );
        }
    }
    for t in 0..TEAMS {
        specs.push(
            NewAccount::new(team(t), HOURS, AccountKind::Group).community(t % COMMUNITIES + 1),
        );
    }
    for batch in specs.chunks(8_000) {
        let codes = bank.run(Command::CreateAccounts(batch.to_vec()));
        assert!(codes.iter().all(|c| *c == ResultCode::Ok));
    }
}

/// Elders banked hours in earlier years; they may pay for care from this month; each has a
/// child registered as family.
fn earlier_years(bank: &mut Bank, dice: &mut Dice) {
    bank.now = MONTH_START - 365 * NANOS_PER_DAY;
    for c in 1..=COMMUNITIES {
        for i in ELDERS_FROM..MEMBERS_PER_COMMUNITY {
            let banked =
                Amount::from_minor(2_000 + u64::from(dice.below(40)) * 100, 2).expect("hours");
            let record = ServiceRecord {
                served_at: None,
                code: 101,
                payer: fund(c),
                provider: member(c, i),
                hours: banked,
                donation: Some(pool(c)),
                points: None,
                user_data: 0,
            };
            let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now);
            assert!(bank.submit(plan), "opening balances apply");
        }
    }
    bank.now = MONTH_START;
    let mut eligible = Vec::new();
    let mut links = Vec::new();
    for c in 1..=COMMUNITIES {
        for i in ELDERS_FROM..MEMBERS_PER_COMMUNITY {
            eligible.push(Eligibility {
                account: member(c, i),
                from: Some(MONTH_START),
            });
            links.push(Link {
                a: member(c, i - ELDERS_FROM),
                b: member(c, i),
            });
        }
    }
    bank.run(Command::SetEligibility(eligible));
    bank.run(Command::LinkAccounts(links));
    bank.outcomes.clear();
}

fn one_day(bank: &mut Bank, dice: &mut Dice, bookings: &mut Vec<TransferId>) {
    let volunteer = |dice: &mut Dice, c: u32| member(c, dice.below(ELDERS_FROM));
    let elder = |dice: &mut Dice, c: u32| {
        member(
            c,
            ELDERS_FROM + dice.below(MEMBERS_PER_COMMUNITY - ELDERS_FROM),
        )
    };
    for _ in 0..SERVICES_PER_MONTH / DAYS {
        let c = 1 + dice.below(COMMUNITIES);
        let category = dice.below(5) as u16 + 1;
        let by_team = dice.below(10) == 0;
        let provider = if by_team {
            team(dice.below(TEAMS))
        } else {
            volunteer(dice, c)
        };
        // Key elderly are served at the fund's expense; others pay with their banked hours.
        let (code, payer) = if dice.below(10) < 6 {
            (100 + category, fund(c))
        } else {
            (200 + category, elder(dice, c))
        };
        let record = ServiceRecord {
            served_at: None,
            code,
            payer,
            provider,
            hours: dice.hours(),
            donation: Some(pool(c)),
            points: None,
            user_data: 0,
        };
        let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now);
        bank.submit(plan);
    }
    for _ in 0..BOOKINGS_PER_MONTH / DAYS {
        let c = 1 + dice.below(COMMUNITIES);
        let booking = Booking {
            code: 201 + dice.below(5) as u16,
            payer: elder(dice, c),
            provider: volunteer(dice, c),
            hours: dice.hours(),
            timeout_s: 2 * 86_400,
            user_data: 0,
        };
        let id = bank.ids();
        if bank.submit(timebank::plan_booking(&bank.ledger, id, &booking)) {
            bookings.push(id);
        }
    }
    // Yesterday's bookings: most are done (some took less time) and rated, some cancelled, and
    // a few are forgotten until `expire` releases them.
    let due = bookings
        .len()
        .saturating_sub((BOOKINGS_PER_MONTH / DAYS) as usize);
    for booking in bookings.drain(..due).collect::<Vec<_>>() {
        let roll = dice.below(100);
        let plan = if roll < 85 {
            let completion = Completion {
                served_at: None,
                booking,
                hours: (roll < 25).then(|| Amount::from_minor(50, 2).expect("half an hour")),
                rating: Some(if dice.below(10) == 0 {
                    3
                } else {
                    4 + dice.below(2) as u8
                }),
                donation: None,
            };
            timebank::plan_completion(&bank.ledger, bank.ids(), &completion, bank.now)
        } else if roll < 95 {
            timebank::plan_cancellation(&bank.ledger, bank.ids(), booking)
        } else {
            continue;
        };
        bank.submit(plan);
    }
    for _ in 0..ACTIVITIES_PER_MONTH / DAYS {
        let c = 1 + dice.below(COMMUNITIES);
        let code = 401 + dice.below(3) as u16;
        for _ in 0..5 {
            let award = PointsAward {
                code,
                issuer: points_issuer(c),
                member: member_points(c, dice.below(MEMBERS_PER_COMMUNITY)),
                acts: 1,
            };
            let plan = timebank::plan_award(&bank.ledger, bank.ids(), &award);
            bank.submit(plan);
        }
    }
    for _ in 0..40 {
        let c = 1 + dice.below(COMMUNITIES);
        let spender = member_points(c, dice.below(MEMBERS_PER_COMMUNITY));
        let balance = bank
            .ledger
            .account(spender)
            .map_or(Decimal::ZERO, |a| a.available());
        if balance >= Decimal::from(20) {
            let request = Redemption {
                member: spender,
                redemption: shop(c),
                amount: Amount::from_minor(20, 0).expect("points"),
                code: None,
            };
            let plan = timebank::plan_redemption(&bank.ledger, bank.ids(), &request);
            bank.submit(plan);
        }
    }
    // Children give an hour to their registered parent; a few try a neighbour (refused).
    for _ in 0..5 {
        let c = 1 + dice.below(COMMUNITIES);
        let child = dice.below(MEMBERS_PER_COMMUNITY - ELDERS_FROM);
        let to = if dice.below(5) == 0 {
            ELDERS_FROM + (child + 1) % 10
        } else {
            ELDERS_FROM + child
        };
        let gift = Gift {
            from: member(c, child),
            to: member(c, to),
            amount: Amount::from_minor(100, 2).expect("an hour"),
            code: None,
        };
        let plan = timebank::plan_gift(&bank.ledger, bank.ids(), &gift);
        bank.submit(plan);
    }
    bank.now += 1_000;
    bank.ledger.expire(bank.now).expect("the clock has room");
}

fn teams_donate(bank: &mut Bank) {
    for t in 0..TEAMS {
        let Some(held) = bank.ledger.account(team(t)).map(|a| a.available()) else {
            continue;
        };
        let Ok(amount) = Amount::from_decimal_in(held, 2) else {
            continue;
        };
        let gift = Gift {
            from: team(t),
            to: pool(t % COMMUNITIES + 1),
            amount,
            code: None,
        };
        let plan = timebank::plan_gift(&bank.ledger, bank.ids(), &gift);
        bank.submit(plan);
    }
}

fn main() {
    let mut bank = Bank {
        ledger: Ledger::with_policy(&policy()).expect("a valid policy"),
        now: MONTH_START - 366 * NANOS_PER_DAY,
        next_id: std::cell::Cell::new(0),
        outcomes: BTreeMap::new(),
    };
    let mut dice = Dice::new(2024);
    open_accounts(&mut bank);
    earlier_years(&mut bank, &mut dice);
    let mut bookings = Vec::new();
    for day in 0..DAYS {
        bank.now = MONTH_START + u64::from(day) * NANOS_PER_DAY;
        one_day(&mut bank, &mut dice, &mut bookings);
    }
    bank.now = MONTH_START + u64::from(DAYS) * NANOS_PER_DAY;
    teams_donate(&mut bank);
    bank.ledger
        .expire(bank.now + 3 * NANOS_PER_DAY)
        .expect("the clock has room");

    println!(
        "A month of a community time bank: {} communities, {} volunteer teams, {} accounts, {} transfers",
        COMMUNITIES,
        TEAMS,
        bank.ledger.account_count(),
        bank.ledger.transfer_count()
    );
    println!("\nWhat happened to each event this month:");
    for (code, count) in &bank.outcomes {
        println!("  {:<28} {count:>7}", code.name());
    }
    print_liability(&report::liability(&bank.ledger));
    println!("\nFlows this month and before (net of reversals):");
    for (unit, flows) in report::flows(&bank.ledger)
        .expect("the example keeps every transfer in memory")
        .units
    {
        println!(
            "  unit {unit}: issued {}, withdrawn {}, donated {}, redeemed {}, expired {}",
            flows.issued, flows.withdrawn, flows.donated, flows.redeemed, flows.expired
        );
    }
    println!("state digest {}", hex(&bank.ledger.state_digest()));
    assert_books_balance(&bank.ledger);
}

/// The example doubles as a check: per unit the books balance and the liability report equals
/// what members and groups hold.
fn assert_books_balance(ledger: &Ledger) {
    let liability = report::liability(ledger);
    for unit in ledger.units() {
        let in_unit = || ledger.accounts().filter(|a| a.unit == unit.id);
        let sum: Decimal = in_unit().map(|a| a.posted()).sum();
        assert!(sum.is_zero(), "unit {} does not balance", unit.name);
        let held: Decimal = in_unit()
            .filter(|a| a.kind.is_holder())
            .map(|a| a.posted())
            .sum();
        let reported = liability.units.iter().find(|u| u.unit == unit.id);
        assert_eq!(reported.map(|u| u.total), Some(held));
    }
}

/// The report, with the ten communities owed the most (the full list has one line per community).
fn print_liability(liability: &report::LiabilityReport) {
    println!();
    for unit in &liability.units {
        println!(
            "Outstanding liability, {}: {} (members {}, groups {}) across {} communities",
            unit.unit_name,
            unit.total,
            unit.members,
            unit.groups,
            unit.by_community.len()
        );
        let mut largest = unit.by_community.clone();
        largest.sort_by(|a, b| b.total.cmp(&a.total).then(a.community.cmp(&b.community)));
        for c in largest.iter().take(10) {
            println!(
                "    community {:>4}: {:>10} ({} holders)",
                c.community, c.total, c.holders
            );
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
