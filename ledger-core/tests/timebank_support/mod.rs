//! A small time bank for the scenario and property tests: a ledger under a policy, a clock, ids.
#![allow(dead_code)] // Each test file uses a different part.

use ledger_core::report::{self, StatementLine};
use ledger_core::timebank::Plan;
use ledger_core::{
    AccountId, AccountKind, Amount, Cap, Command, Decimal, Eligibility, Excess, Ledger, Link,
    NewAccount, Period, Policy, Reply, ResultCode, TransferId,
};

pub const HOURS: u16 = 1;
pub const POINTS: u16 = 2;
pub const COMPANIONSHIP: u16 = 101;
pub const PERSONAL_CARE: u16 = 104;
pub const CARE_COMPANIONSHIP: u16 = 201;
pub const GIFT: u16 = 301;
pub const DONATION: u16 = 302;
pub const VOLUNTEERING_POINTS: u16 = 401;
pub const POINTS_EXPIRY: u16 = 504;

pub const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
pub const NANOS_PER_HOUR: u64 = 3_600 * 1_000_000_000;
/// 2026-03-02 01:00 in UTC+8.
pub const START: u64 = 1_772_384_400 * 1_000_000_000;

pub fn id(n: u128) -> AccountId {
    AccountId::new(n).expect("non-zero")
}

pub fn tid(n: u128) -> TransferId {
    TransferId::new(n).expect("non-zero")
}

pub fn hours(text: &str) -> Amount {
    Amount::parse_in(text, 2).expect("hours")
}

pub fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

pub fn cap(unit: u16, period: Period, limit: &str, excess: Excess) -> Cap {
    Cap {
        unit,
        period,
        limit: dec(limit),
        excess,
    }
}

/// The default policy with these caps added.
pub fn policy_with_caps(caps: Vec<Cap>) -> Policy {
    let mut policy = Policy::default_policy();
    policy.caps = caps;
    policy.validate().expect("a valid policy");
    policy
}

pub struct Bank {
    pub ledger: Ledger,
    pub now: u64,
    next_id: std::cell::Cell<u128>,
}

impl Bank {
    pub fn new(policy: &Policy) -> Bank {
        Bank {
            ledger: Ledger::with_policy(policy).expect("a valid policy"),
            now: START,
            next_id: std::cell::Cell::new(1_000_000),
        }
    }

    /// A fresh transfer id; plans use consecutive ids, so leave room.
    pub fn ids(&self) -> TransferId {
        self.next_id.set(self.next_id.get() + 100);
        tid(self.next_id.get())
    }

    pub fn open(&mut self, n: u128, unit: u16, kind: AccountKind, community: u32) -> AccountId {
        let spec = NewAccount::new(id(n), unit, kind).community(community);
        let results = self
            .ledger
            .create_accounts(&[spec], self.now)
            .expect("a batch");
        assert_eq!(results[0].code, ResultCode::Ok);
        id(n)
    }

    pub fn tick(&mut self, nanos: u64) {
        self.now += nanos;
    }

    /// Executes a plan's commands and returns every result code, in order.
    pub fn submit(&mut self, plan: &Plan) -> Vec<ResultCode> {
        let mut codes = Vec::new();
        for command in plan.commands() {
            self.now += 1_000;
            match self
                .ledger
                .execute(&command, self.now)
                .expect("a valid batch")
            {
                Reply::Events(results) => codes.extend(results.iter().map(|r| r.code)),
                Reply::Expired(_) => unreachable!("plans do not expire"),
            }
        }
        codes
    }

    /// Submits a plan that must apply in full.
    pub fn apply(&mut self, plan: &Plan) {
        let codes = self.submit(plan);
        assert!(codes.iter().all(|c| *c == ResultCode::Ok), "{codes:?}");
    }

    /// Submits a plan expected to fail; returns the first code that is not `linked_event_failed`.
    pub fn refused(&mut self, plan: &Plan) -> ResultCode {
        let codes = self.submit(plan);
        let first = codes
            .iter()
            .copied()
            .find(|c| *c != ResultCode::LinkedEventFailed)
            .expect("a result");
        assert_ne!(first, ResultCode::Ok, "{codes:?}");
        first
    }

    pub fn balance(&self, account: AccountId) -> Decimal {
        self.ledger.account(account).expect("account").posted()
    }

    pub fn available(&self, account: AccountId) -> Decimal {
        self.ledger.account(account).expect("account").available()
    }

    pub fn link(&mut self, a: AccountId, b: AccountId) {
        self.now += 1_000;
        let r = self
            .ledger
            .link_accounts(&[Link { a, b }], self.now)
            .expect("a batch");
        assert_eq!(r[0].code, ResultCode::Ok);
    }

    pub fn eligible_from(&mut self, account: AccountId, from: Option<u64>) {
        self.now += 1_000;
        let command = Command::SetEligibility(vec![Eligibility { account, from }]);
        self.ledger.execute(&command, self.now).expect("a batch");
    }

    pub fn expire(&mut self) -> Vec<TransferId> {
        self.now += 1_000;
        self.ledger.expire(self.now).expect("expire")
    }

    /// Per unit, the posted balances of all accounts sum to zero.
    pub fn assert_books_balance(&self) {
        for unit in self.ledger.units() {
            let sum: Decimal = self
                .ledger
                .accounts()
                .filter(|a| a.unit == unit.id)
                .map(|a| a.posted())
                .sum();
            assert_eq!(sum, Decimal::ZERO, "unit {} does not balance", unit.name);
        }
    }
}

/// `account`'s statement lines as a store shows them: the entries of its transfers that moved
/// its posted balance (`report::statement_entry`), in the order applied, each with the running
/// balance and the attribution of the command that made it.
pub fn statement_lines(ledger: &Ledger, account: AccountId) -> Vec<StatementLine> {
    let mut balance = Decimal::ZERO;
    ledger
        .transfers()
        .filter_map(|record| report::statement_entry(record, account))
        .filter(|entry| entry.posted)
        .map(|entry| {
            balance += entry.amount;
            entry.line(balance, ledger.attribution_at(entry.timestamp))
        })
        .collect()
}
