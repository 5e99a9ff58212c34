//! Shared fixture of the engine tests: a ledger with hours (2 decimals) and points (0), a few
//! accounts with money on them, and assertions that a refused request changed nothing.
#![allow(dead_code)] // Each test file uses part of the support.

use ledger_core::{
    Account, AccountId, AccountKind, Amount, Decimal, Ledger, NewAccount, ResultCode, Transfer,
    TransferFlags, TransferId, TransferRecord, Unit, UnitId,
};

pub const HOURS: UnitId = 1;
pub const POINTS: UnitId = 2;
/// 2026-01-01T00:00:00Z in nanoseconds.
pub const T0: u64 = 1_767_225_600_000_000_000;
pub const SECOND: u64 = 1_000_000_000;

pub const FUND: u128 = 1;
pub const ALICE: u128 = 2;
pub const BOB: u128 = 3;
/// A member whose balance may not pass 10 hours.
pub const CAPPED: u128 = 4;
pub const POINTS_FUND: u128 = 5;
pub const CAROL: u128 = 6;
/// Accounts with no money on them, free to be closed.
pub const EMPTY: u128 = 7;

pub fn acc(n: u128) -> AccountId {
    AccountId::new(n).expect("test ids are non-zero")
}

pub fn tid(n: u128) -> TransferId {
    TransferId::new(n).expect("test ids are non-zero")
}

pub fn hours(text: &str) -> Amount {
    Amount::parse_in(text, 2).expect("a valid amount of hours")
}

pub fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// A plain transfer of hours.
pub fn pay(id: u128, debit: u128, credit: u128, amount: &str) -> Transfer {
    Transfer::new(tid(id), acc(debit), acc(credit), hours(amount), HOURS)
}

/// A hold of hours.
pub fn hold(id: u128, debit: u128, credit: u128, amount: &str) -> Transfer {
    pay(id, debit, credit, amount).flags(TransferFlags::PENDING)
}

pub fn linked(t: Transfer) -> Transfer {
    t.flags(TransferFlags::LINKED)
}

pub fn account_specs() -> Vec<NewAccount> {
    vec![
        NewAccount::new(acc(FUND), HOURS, AccountKind::Issuer),
        NewAccount::new(acc(ALICE), HOURS, AccountKind::Member),
        NewAccount::new(acc(BOB), HOURS, AccountKind::Member),
        NewAccount::new(acc(CAPPED), HOURS, AccountKind::Member).ceiling(Some(dec("10"))),
        NewAccount::new(acc(POINTS_FUND), POINTS, AccountKind::Issuer),
        NewAccount::new(acc(CAROL), POINTS, AccountKind::Member),
        NewAccount::new(acc(EMPTY), HOURS, AccountKind::Member),
    ]
}

/// A ledger under test and the caller's clock.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub ledger: Ledger,
    pub now: u64,
}

impl Fixture {
    /// Accounts opened; Alice holds 10 hours, Bob 5, Carol 100 points (transfers 9001..9003).
    pub fn new() -> Fixture {
        let ledger = Ledger::new(vec![
            Unit::new(HOURS, "hours", 2),
            Unit::new(POINTS, "points", 0),
        ])
        .expect("valid units");
        let mut f = Fixture { ledger, now: T0 };
        let results = f.ledger.create_accounts(&account_specs(), f.now).unwrap();
        assert!(results.iter().all(|r| r.code == ResultCode::Ok));
        f.ok(&[
            pay(9001, FUND, ALICE, "10"),
            pay(9002, FUND, BOB, "5"),
            Transfer::new(
                tid(9003),
                acc(POINTS_FUND),
                acc(CAROL),
                Amount::parse_in("100", 0).unwrap(),
                POINTS,
            ),
        ]);
        f
    }

    pub fn tick(&mut self) -> u64 {
        self.now += SECOND;
        self.now
    }

    /// Submits a batch one second later and returns the codes.
    pub fn submit(&mut self, batch: &[Transfer]) -> Vec<ResultCode> {
        let now = self.tick();
        self.ledger
            .create_transfers(batch, now)
            .expect("a valid batch")
            .iter()
            .map(|r| r.code)
            .collect()
    }

    /// Submits a batch that must apply in full.
    pub fn ok(&mut self, batch: &[Transfer]) {
        let codes = self.submit(batch);
        assert!(
            codes.iter().all(|c| *c == ResultCode::Ok),
            "expected every event to apply, got {codes:?}"
        );
    }

    /// Submits a batch that must be refused with `expected`, and asserts that it changed
    /// nothing but the clock and, for a standalone event refused with a transient code, the
    /// failed-id set (which then records exactly that code for that id).
    pub fn refused(&mut self, batch: &[Transfer], expected: &[ResultCode]) {
        let before = self.ledger.clone();
        let failed_before: Vec<_> = batch.iter().map(|t| before.failed_code(t.id)).collect();
        // A twin advances its clock exactly as far with a batch of no-op account events.
        let mut twin = before.clone();
        let existing = account_specs()[0].clone();
        let now = self.tick();
        twin.create_accounts(&vec![existing; batch.len()], now)
            .unwrap();
        let results = self
            .ledger
            .create_transfers(batch, now)
            .expect("a valid batch");
        let codes: Vec<_> = results.iter().map(|r| r.code).collect();
        assert_eq!(codes, expected);
        for r in &results {
            if r.code != ResultCode::Exists {
                assert_eq!(r.timestamp, 0, "a refused event gets no timestamp");
            }
        }
        assert_same_books(&before, &self.ledger);
        assert_eq!(self.ledger.clock(), twin.clock());
        let mut recorded = false;
        let mut in_chain = false;
        for ((t, code), failed_before) in batch.iter().zip(&codes).zip(failed_before) {
            let standalone = !in_chain && !t.flags.contains(TransferFlags::LINKED);
            in_chain = t.flags.contains(TransferFlags::LINKED);
            let newly_failed = standalone && code.is_transient() && failed_before.is_none();
            if newly_failed {
                recorded = true;
                assert_eq!(self.ledger.failed_code(t.id), Some(*code));
            } else {
                assert_eq!(self.ledger.failed_code(t.id), failed_before);
            }
        }
        if !recorded {
            assert_eq!(self.ledger.state_digest(), twin.state_digest());
        }
    }

    pub fn account(&self, id: u128) -> &Account {
        self.ledger.account(acc(id)).expect("a known account")
    }

    pub fn posted(&self, id: u128) -> Decimal {
        self.account(id).posted()
    }

    pub fn available(&self, id: u128) -> Decimal {
        self.account(id).available()
    }

    pub fn record(&self, id: u128) -> &TransferRecord {
        self.ledger.transfer(tid(id)).expect("a known transfer")
    }
}

/// Every account and every transfer, in id order.
pub fn books(ledger: &Ledger) -> (Vec<Account>, Vec<TransferRecord>) {
    let mut accounts: Vec<_> = ledger.accounts().cloned().collect();
    accounts.sort_by_key(|a| a.id);
    let mut transfers: Vec<_> = ledger.transfers().cloned().collect();
    transfers.sort_by_key(|t| t.id());
    (accounts, transfers)
}

pub fn assert_same_books(before: &Ledger, after: &Ledger) {
    let (accounts_before, transfers_before) = books(before);
    let (accounts_after, transfers_after) = books(after);
    assert_eq!(accounts_before, accounts_after, "accounts changed");
    assert_eq!(transfers_before, transfers_after, "transfers changed");
}
