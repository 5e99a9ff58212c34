//! Random request sequences against the engine and against a reference model.
//!
//! The model below keeps accounts, transfers and holds in `BTreeMap`s with balances as integers
//! of millionths, applies the documented semantics one rule at a time, and undoes a failed
//! linked chain by restoring a copy of itself taken when the chain began. The engine must agree
//! with it on every result and on the whole state after every request, and must keep the
//! invariants: per unit, posted balances sum to zero and pending debits equal pending credits; no
//! floor or ceiling is crossed (holds included); a refused request changes nothing; a replay gives
//! the same results and the same `state_digest()`.
//!
//! `TIMEBANK_LONG=1` runs many more cases (or set `PROPTEST_CASES`).

use std::collections::BTreeMap;

use ledger_core::limits::{BALANCE_WHOLE_MAX, BATCH_EVENTS_MAX, PENDING_TIMEOUT_S_MAX};
use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, EventResult, Ledger, NewAccount, ResultCode as R,
    Transfer, TransferFlags as F, TransferId, TransferState as S, Unit, UnitId,
};
use proptest::prelude::*;

const HOURS: UnitId = 1;
const POINTS: UnitId = 2;
const T0: u64 = 1_767_225_600_000_000_000;
const SECOND: u64 = 1_000_000_000;
/// Balances in the model are integers of millionths (the largest scale a unit may have).
const MICRO: i128 = 1_000_000;
/// Transfer ids the random requests use at most (they count up from 1).
const IDS: u128 = 300;
/// Account ids the random requests use: 1 to 6 exist, 7 does not.
const ACCOUNTS: u128 = 7;

fn scale_of(unit: UnitId) -> Option<u32> {
    match unit {
        HOURS => Some(2),
        POINTS => Some(0),
        _ => None,
    }
}

fn micro(value: Decimal) -> i128 {
    let v = value.normalize();
    assert!(v.scale() <= 6, "a balance finer than a millionth: {v}");
    v.mantissa() * 10i128.pow(6 - v.scale())
}

fn decimal_scale(value: Decimal) -> u32 {
    value.normalize().scale()
}

fn account_specs() -> Vec<NewAccount> {
    let id = |n| AccountId::new(n).unwrap();
    let d = |s: &str| Some(s.parse::<Decimal>().unwrap());
    vec![
        NewAccount::new(id(1), HOURS, AccountKind::Issuer),
        NewAccount::new(id(2), HOURS, AccountKind::Member),
        NewAccount::new(id(3), HOURS, AccountKind::Member).ceiling(d("30")),
        NewAccount::new(id(4), HOURS, AccountKind::Clearing)
            .floor(d("-5"))
            .ceiling(d("40")),
        NewAccount::new(id(5), POINTS, AccountKind::Issuer),
        NewAccount::new(id(6), POINTS, AccountKind::Member).ceiling(d("500")),
    ]
}

/// Money on the members before the random requests (ids above the random ones).
fn funding() -> Vec<Transfer> {
    let t = |id, debit, credit, amount: &str, unit| {
        Transfer::new(
            TransferId::new(id).unwrap(),
            AccountId::new(debit).unwrap(),
            AccountId::new(credit).unwrap(),
            Amount::parse(amount).unwrap(),
            unit,
        )
    };
    vec![
        t(1001, 1, 2, "20", HOURS),
        t(1002, 1, 3, "10", HOURS),
        t(1003, 5, 6, "100", POINTS),
    ]
}

// -------------------------------------------------------------------------------------------
// The reference model

#[derive(Debug, Clone, PartialEq, Eq)]
struct MAccount {
    unit: UnitId,
    floor: Option<i128>,
    ceiling: Option<i128>,
    debits_pending: i128,
    debits_posted: i128,
    credits_pending: i128,
    credits_posted: i128,
    closed: bool,
}

impl MAccount {
    fn available(&self) -> i128 {
        self.credits_posted - self.debits_posted - self.debits_pending
    }
    fn potential(&self) -> i128 {
        self.credits_posted + self.credits_pending - self.debits_posted
    }
    fn is_empty(&self) -> bool {
        self.available() == 0 && self.potential() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MTransfer {
    request: Transfer,
    debit: u128,
    credit: u128,
    unit: UnitId,
    code: u16,
    amount: i128,
    timestamp: u64,
    state: S,
    reversed_by: Option<u128>,
}

impl MTransfer {
    fn expires_at(&self) -> Option<u64> {
        match self.request.timeout_s {
            0 => None,
            t => Some(self.timestamp.saturating_add(u64::from(t) * SECOND)),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Model {
    accounts: BTreeMap<u128, MAccount>,
    transfers: BTreeMap<u128, MTransfer>,
    failed: BTreeMap<u128, R>,
    clock: u64,
}

fn total_ok(total: i128) -> Result<i128, R> {
    if total <= i128::from(BALANCE_WHOLE_MAX) * MICRO {
        Ok(total)
    } else {
        Err(R::OverflowsBalance)
    }
}

/// Refusals that need only the request, in the documented order.
fn shape(t: &Transfer) -> Result<(), R> {
    let has = |f: F| t.flags.contains(f);
    if t.flags.0 & !F::ALL.0 != 0 {
        return Err(R::FlagsReserved);
    }
    let kinds = [F::PENDING, F::POST_PENDING, F::VOID_PENDING, F::REVERSAL];
    if kinds.iter().filter(|k| has(**k)).count() > 1 {
        return Err(R::FlagsAreMutuallyExclusive);
    }
    let resolving = has(F::POST_PENDING) || has(F::VOID_PENDING) || has(F::REVERSAL);
    let shaping = [
        F::BALANCING_DEBIT,
        F::BALANCING_CREDIT,
        F::CLOSING_DEBIT,
        F::CLOSING_CREDIT,
    ];
    if resolving && shaping.iter().any(|f| has(*f)) {
        return Err(R::FlagsAreMutuallyExclusive);
    }
    if resolving != t.related_id.is_some() {
        return Err(R::RelatedIdInvalid);
    }
    // Only a plain transfer or a post says when a service was done.
    if t.served_at.is_some() && (has(F::PENDING) || has(F::VOID_PENDING) || has(F::REVERSAL)) {
        return Err(R::ServedAtNotAllowed);
    }
    if t.timeout_s != 0 && !has(F::PENDING) {
        return Err(R::TimeoutReservedForPending);
    }
    if t.timeout_s > PENDING_TIMEOUT_S_MAX {
        return Err(R::TimeoutTooLarge);
    }
    Ok(())
}

fn first_difference(a: &Transfer, b: &Transfer) -> Option<R> {
    let checks = [
        (a.flags != b.flags, R::ExistsWithDifferentFlags),
        (
            a.debit_account_id != b.debit_account_id,
            R::ExistsWithDifferentDebitAccountId,
        ),
        (
            a.credit_account_id != b.credit_account_id,
            R::ExistsWithDifferentCreditAccountId,
        ),
        (a.amount != b.amount, R::ExistsWithDifferentAmount),
        (
            a.related_id != b.related_id,
            R::ExistsWithDifferentRelatedId,
        ),
        (a.unit != b.unit, R::ExistsWithDifferentUnit),
        (a.code != b.code, R::ExistsWithDifferentCode),
        (a.timeout_s != b.timeout_s, R::ExistsWithDifferentTimeout),
        (a.user_data != b.user_data, R::ExistsWithDifferentUserData),
        (a.served_at != b.served_at, R::ExistsWithDifferentServedAt),
    ];
    checks
        .into_iter()
        .find(|(differs, _)| *differs)
        .map(|(_, code)| code)
}

impl Model {
    fn new(ledger: &Ledger) -> Model {
        let mut m = Model::default();
        for a in ledger.accounts() {
            let b = a.balances;
            m.accounts.insert(
                a.id.get(),
                MAccount {
                    unit: a.unit,
                    floor: a.floor.map(micro),
                    ceiling: a.ceiling.map(micro),
                    debits_pending: micro(b.debits_pending),
                    debits_posted: micro(b.debits_posted),
                    credits_pending: micro(b.credits_pending),
                    credits_posted: micro(b.credits_posted),
                    closed: a.closed,
                },
            );
        }
        m.clock = ledger.clock();
        m
    }

    fn reserve(&mut self, now: u64, count: usize) -> u64 {
        let first = now.max(self.clock + 1);
        self.clock = first + count as u64 - 1;
        first
    }

    fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<EventResult> {
        assert!(!batch.is_empty() && batch.len() <= BATCH_EVENTS_MAX);
        let first = self.reserve(now, batch.len());
        let linked = |i: usize| batch[i].flags.contains(F::LINKED);
        let refused = |code| EventResult { code, timestamp: 0 };
        let mut results = Vec::with_capacity(batch.len());
        let mut i = 0;
        while i < batch.len() {
            let stamp = |k: usize| first + k as u64;
            if !linked(i) {
                let result = self.apply(&batch[i], stamp(i));
                if result.code.is_transient() {
                    self.failed.insert(batch[i].id.get(), result.code);
                }
                results.push(result);
                i += 1;
                continue;
            }
            // A chain: from i to the first event without the linked flag, or to the batch's end.
            let end = (i..batch.len())
                .find(|k| !linked(*k))
                .unwrap_or(batch.len() - 1);
            let open = linked(end);
            let before = self.clone();
            let mut chain = Vec::new();
            let mut failure = None;
            for (k, t) in batch.iter().enumerate().take(end + 1).skip(i) {
                let result = if open && k == end {
                    refused(R::LinkedEventChainOpen)
                } else {
                    self.apply(t, stamp(k))
                };
                if result.code != R::Ok {
                    // The first failure keeps its whole result (`exists` keeps its timestamp).
                    failure = Some((k, result));
                    break;
                }
                chain.push(result);
            }
            match failure {
                None => results.extend(chain),
                Some((failed_at, failure)) => {
                    *self = before;
                    for k in i..=end {
                        results.push(if k == failed_at {
                            failure
                        } else {
                            refused(R::LinkedEventFailed)
                        });
                    }
                }
            }
            i = end + 1;
        }
        results
    }

    fn apply(&mut self, t: &Transfer, timestamp: u64) -> EventResult {
        let outcome = shape(t).and_then(|()| {
            if let Some(existing) = self.transfers.get(&t.id.get()) {
                return match first_difference(&existing.request, t) {
                    None => Ok(existing.timestamp),
                    Some(code) => Err(code),
                };
            }
            if self.failed.contains_key(&t.id.get()) {
                return Err(R::IdAlreadyFailed);
            }
            if t.served_at.is_some_and(|at| at > timestamp) {
                return Err(R::ServedAtInFuture);
            }
            if t.flags.contains(F::POST_PENDING) || t.flags.contains(F::VOID_PENDING) {
                self.resolve(t, timestamp)?;
            } else if t.flags.contains(F::REVERSAL) {
                self.reverse(t, timestamp)?;
            } else {
                self.transfer(t, timestamp)?;
            }
            Ok(timestamp)
        });
        match outcome {
            Ok(at) if at == timestamp => EventResult {
                code: R::Ok,
                timestamp,
            },
            Ok(original) => EventResult {
                code: R::Exists,
                timestamp: original,
            },
            Err(code) => EventResult { code, timestamp: 0 },
        }
    }

    fn transfer(&mut self, t: &Transfer, timestamp: u64) -> Result<(), R> {
        let debit_id = t.debit_account_id.ok_or(R::DebitAccountRequired)?.get();
        let credit_id = t.credit_account_id.ok_or(R::CreditAccountRequired)?.get();
        if debit_id == credit_id {
            return Err(R::AccountsMustBeDifferent);
        }
        let requested = t.amount.ok_or(R::AmountRequired)?.value();
        let scale = scale_of(t.unit).ok_or(R::UnitNotFound)?;
        if decimal_scale(requested) > scale {
            return Err(R::AmountExceedsUnitScale);
        }
        let debit = self
            .accounts
            .get(&debit_id)
            .ok_or(R::DebitAccountNotFound)?
            .clone();
        let credit = self
            .accounts
            .get(&credit_id)
            .ok_or(R::CreditAccountNotFound)?
            .clone();
        if debit.unit != credit.unit {
            return Err(R::AccountsMustHaveTheSameUnit);
        }
        if t.unit != debit.unit {
            return Err(R::TransferMustHaveTheSameUnitAsAccounts);
        }
        if debit.closed {
            return Err(R::DebitAccountClosed);
        }
        if credit.closed {
            return Err(R::CreditAccountClosed);
        }
        // Balancing: move at most the request, as much as the limits leave room for.
        let mut amount = micro(requested);
        if let (true, Some(floor)) = (t.flags.contains(F::BALANCING_DEBIT), debit.floor) {
            let room = debit.available() - floor;
            if room <= 0 {
                return Err(R::ExceedsFloor);
            }
            amount = amount.min(room);
        }
        if let (true, Some(ceiling)) = (t.flags.contains(F::BALANCING_CREDIT), credit.ceiling) {
            let room = ceiling - credit.potential();
            if room <= 0 {
                return Err(R::ExceedsCeiling);
            }
            amount = amount.min(room);
        }
        let pending = t.flags.contains(F::PENDING);
        let (mut d, mut c) = (debit.clone(), credit.clone());
        if pending {
            d.debits_pending = total_ok(d.debits_pending + amount)?;
            c.credits_pending = total_ok(c.credits_pending + amount)?;
        } else {
            d.debits_posted = total_ok(d.debits_posted + amount)?;
            c.credits_posted = total_ok(c.credits_posted + amount)?;
        }
        if debit.floor.is_some_and(|floor| d.available() < floor) {
            return Err(R::ExceedsFloor);
        }
        if credit
            .ceiling
            .is_some_and(|ceiling| c.potential() > ceiling)
        {
            return Err(R::ExceedsCeiling);
        }
        let (close_debit, close_credit) = (
            t.flags.contains(F::CLOSING_DEBIT),
            t.flags.contains(F::CLOSING_CREDIT),
        );
        if close_debit || close_credit {
            // Judged as if the transfer (or hold) were posted.
            let (mut ds, mut cs) = (debit.clone(), credit.clone());
            ds.debits_posted = total_ok(ds.debits_posted + amount)?;
            cs.credits_posted = total_ok(cs.credits_posted + amount)?;
            if (close_debit && !ds.is_empty()) || (close_credit && !cs.is_empty()) {
                return Err(R::ClosingLeavesBalance);
            }
        }
        d.closed |= close_debit;
        c.closed |= close_credit;
        self.accounts.insert(debit_id, d);
        self.accounts.insert(credit_id, c);
        let state = if pending { S::Pending } else { S::Posted };
        self.insert(
            t, debit_id, credit_id, t.unit, t.code, amount, timestamp, state,
        );
        Ok(())
    }

    fn resolve(&mut self, t: &Transfer, timestamp: u64) -> Result<(), R> {
        let pending_id = t.related_id.expect("shape checked").get();
        let hold = self
            .transfers
            .get(&pending_id)
            .ok_or(R::PendingTransferNotFound)?
            .clone();
        if !hold.request.flags.contains(F::PENDING) {
            return Err(R::PendingTransferNotPending);
        }
        match hold.state {
            S::Pending => {}
            S::PendingPosted => return Err(R::PendingTransferAlreadyPosted),
            S::PendingVoided => return Err(R::PendingTransferAlreadyVoided),
            S::PendingExpired | S::Posted => return Err(R::PendingTransferExpired),
        }
        if t.debit_account_id.is_some_and(|a| a.get() != hold.debit) {
            return Err(R::PendingTransferHasDifferentDebitAccountId);
        }
        if t.credit_account_id.is_some_and(|a| a.get() != hold.credit) {
            return Err(R::PendingTransferHasDifferentCreditAccountId);
        }
        if t.unit != 0 && t.unit != hold.unit {
            return Err(R::PendingTransferHasDifferentUnit);
        }
        if t.code != 0 && t.code != hold.code {
            return Err(R::PendingTransferHasDifferentCode);
        }
        if hold.expires_at().is_some_and(|at| at <= timestamp) {
            return Err(R::PendingTransferExpired);
        }
        let post = t.flags.contains(F::POST_PENDING);
        let amount = match t.amount.map(|a| a.value()) {
            None => hold.amount,
            Some(a) if micro(a) > hold.amount || (!post && micro(a) != hold.amount) => {
                return Err(R::ExceedsPendingAmount)
            }
            Some(a) if decimal_scale(a) > scale_of(hold.unit).expect("a known unit") => {
                return Err(R::AmountExceedsUnitScale)
            }
            Some(a) => micro(a),
        };
        let closing = hold.request.flags.contains(F::CLOSING_DEBIT)
            || hold.request.flags.contains(F::CLOSING_CREDIT);
        if post && closing && amount != hold.amount {
            return Err(R::ClosingLeavesBalance);
        }
        let mut d = self.accounts[&hold.debit].clone();
        let mut c = self.accounts[&hold.credit].clone();
        d.debits_pending -= hold.amount;
        c.credits_pending -= hold.amount;
        if post {
            d.debits_posted = total_ok(d.debits_posted + amount)?;
            c.credits_posted = total_ok(c.credits_posted + amount)?;
        } else {
            // Voiding a closing hold reopens what it closed.
            d.closed &= !hold.request.flags.contains(F::CLOSING_DEBIT);
            c.closed &= !hold.request.flags.contains(F::CLOSING_CREDIT);
        }
        self.accounts.insert(hold.debit, d);
        self.accounts.insert(hold.credit, c);
        let state = if post {
            S::PendingPosted
        } else {
            S::PendingVoided
        };
        self.transfers.get_mut(&pending_id).unwrap().state = state;
        self.insert(
            t,
            hold.debit,
            hold.credit,
            hold.unit,
            hold.code,
            amount,
            timestamp,
            S::Posted,
        );
        Ok(())
    }

    fn reverse(&mut self, t: &Transfer, timestamp: u64) -> Result<(), R> {
        let original_id = t.related_id.expect("shape checked").get();
        let original = self
            .transfers
            .get(&original_id)
            .ok_or(R::ReversedTransferNotFound)?
            .clone();
        let flags = original.request.flags;
        if original.state != S::Posted
            || flags.contains(F::VOID_PENDING)
            || flags.contains(F::REVERSAL)
        {
            return Err(R::TransferNotReversible);
        }
        if original.reversed_by.is_some() {
            return Err(R::AlreadyReversed);
        }
        let differs = t
            .debit_account_id
            .is_some_and(|a| a.get() != original.credit)
            || t.credit_account_id
                .is_some_and(|a| a.get() != original.debit)
            || (t.unit != 0 && t.unit != original.unit)
            || (t.code != 0 && t.code != original.code)
            || t.amount
                .is_some_and(|a| micro(a.value()) != original.amount);
        if differs {
            return Err(R::ReversalDiffersFromOriginal);
        }
        // The amount moves back: the original's credit account pays.
        let (debit_id, credit_id) = (original.credit, original.debit);
        let mut d = self.accounts[&debit_id].clone();
        let mut c = self.accounts[&credit_id].clone();
        if d.closed {
            return Err(R::DebitAccountClosed);
        }
        if c.closed {
            return Err(R::CreditAccountClosed);
        }
        d.debits_posted = total_ok(d.debits_posted + original.amount)?;
        c.credits_posted = total_ok(c.credits_posted + original.amount)?;
        if d.floor.is_some_and(|floor| d.available() < floor) {
            return Err(R::ExceedsFloor);
        }
        if c.ceiling.is_some_and(|ceiling| c.potential() > ceiling) {
            return Err(R::ExceedsCeiling);
        }
        self.accounts.insert(debit_id, d);
        self.accounts.insert(credit_id, c);
        self.transfers.get_mut(&original_id).unwrap().reversed_by = Some(t.id.get());
        let (unit, code, amount) = (original.unit, original.code, original.amount);
        self.insert(
            t,
            debit_id,
            credit_id,
            unit,
            code,
            amount,
            timestamp,
            S::Posted,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        t: &Transfer,
        debit: u128,
        credit: u128,
        unit: UnitId,
        code: u16,
        amount: i128,
        timestamp: u64,
        state: S,
    ) {
        let record = MTransfer {
            request: t.clone(),
            debit,
            credit,
            unit,
            code,
            amount,
            timestamp,
            state,
            reversed_by: None,
        };
        assert!(self.transfers.insert(t.id.get(), record).is_none());
    }

    fn expire(&mut self, now: u64) -> Vec<TransferId> {
        let at = self.reserve(now, 1);
        let mut due: Vec<(u64, u128)> = self
            .transfers
            .iter()
            .filter(|(_, t)| t.state == S::Pending)
            .filter_map(|(id, t)| t.expires_at().filter(|e| *e <= at).map(|e| (e, *id)))
            .collect();
        due.sort_unstable();
        for (_, id) in &due {
            let hold = self.transfers.get_mut(id).unwrap();
            hold.state = S::PendingExpired;
            let hold = hold.clone();
            let d = self.accounts.get_mut(&hold.debit).unwrap();
            d.debits_pending -= hold.amount;
            d.closed &= !hold.request.flags.contains(F::CLOSING_DEBIT);
            let c = self.accounts.get_mut(&hold.credit).unwrap();
            c.credits_pending -= hold.amount;
            c.closed &= !hold.request.flags.contains(F::CLOSING_CREDIT);
        }
        due.into_iter()
            .map(|(_, id)| TransferId::new(id).unwrap())
            .collect()
    }

    /// The model's view of the engine's state, for comparison.
    fn of_ledger(ledger: &Ledger) -> Model {
        let mut m = Model::new(ledger);
        for t in ledger.transfers() {
            m.transfers.insert(
                t.id().get(),
                MTransfer {
                    request: t.request.clone(),
                    debit: t.debit_account_id.get(),
                    credit: t.credit_account_id.get(),
                    unit: t.unit,
                    code: t.code,
                    amount: micro(t.amount.value()),
                    timestamp: t.timestamp,
                    state: t.state,
                    reversed_by: t.reversed_by.map(|r| r.get()),
                },
            );
        }
        for id in (1..=IDS).chain(998..=1003) {
            if let Some(code) = ledger.failed_code(TransferId::new(id).unwrap()) {
                m.failed.insert(id, code);
            }
        }
        m
    }

    fn assert_same(&self, other: &Model) {
        assert_eq!(self.accounts, other.accounts, "accounts differ");
        assert_eq!(self.transfers, other.transfers, "transfers differ");
        assert_eq!(self.failed, other.failed, "failed ids differ");
        assert_eq!(self.clock, other.clock, "clocks differ");
    }
}

// -------------------------------------------------------------------------------------------
// Invariants of the engine's state

fn assert_invariants(ledger: &Ledger) {
    let mut posted: BTreeMap<UnitId, Decimal> = BTreeMap::new();
    let mut pending: BTreeMap<UnitId, (Decimal, Decimal)> = BTreeMap::new();
    for a in ledger.accounts() {
        let b = a.balances;
        *posted.entry(a.unit).or_default() += b.posted();
        let p = pending.entry(a.unit).or_default();
        p.0 += b.debits_pending;
        p.1 += b.credits_pending;
        if let Some(floor) = a.floor {
            assert!(b.available() >= floor, "account {} below its floor", a.id);
        }
        if let Some(ceiling) = a.ceiling {
            assert!(
                b.potential() <= ceiling,
                "account {} above its ceiling",
                a.id
            );
        }
        for total in [
            b.debits_pending,
            b.debits_posted,
            b.credits_pending,
            b.credits_posted,
        ] {
            assert!(total >= Decimal::ZERO);
        }
        if a.closed {
            // Once every hold on it posts, a closed account holds nothing.
            let settled = b.posted() - b.debits_pending + b.credits_pending;
            assert!(settled.is_zero(), "closed account {} holds {settled}", a.id);
        }
    }
    for (unit, sum) in posted {
        assert!(sum.is_zero(), "unit {unit}: posted balances sum to {sum}");
    }
    for (unit, (debits, credits)) in pending {
        assert_eq!(
            debits, credits,
            "unit {unit}: pending debits and credits differ"
        );
    }
}

// -------------------------------------------------------------------------------------------
// Random requests
//
// Requests are drawn as recipes and turned into transfers as they run, so that posts, voids,
// reversals and resubmissions mostly name transfers that were really submitted before.

#[derive(Debug, Clone)]
enum Op {
    /// A batch, `dt_s` seconds after (or before, when negative) the previous request.
    Transfers {
        dt_s: i64,
        batch: Vec<Event>,
    },
    Expire {
        dt_s: i64,
    },
}

#[derive(Debug, Clone)]
enum Event {
    New(Recipe),
    /// An earlier transfer again (`back` picks which), with one field changed or none.
    Resubmit {
        back: usize,
        change: Option<u8>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Plain,
    Pending,
    Post,
    Void,
    Reversal,
    /// Any flag bits, reserved ones included.
    Raw(u16),
}

#[derive(Debug, Clone)]
struct Recipe {
    kind: Kind,
    extra: F,
    linked: bool,
    /// `None`: a fresh id; otherwise an earlier id, picked like `back`.
    reuse_id: Option<usize>,
    unit: UnitId,
    /// Picks of the debit and credit account: 0 none, 1 an unknown id, 2 the other unit's
    /// account, anything else one of the unit's accounts.
    debit: u8,
    credit: u8,
    amount: Option<Amount>,
    /// Which earlier hold or transfer a post, void or reversal names.
    related: usize,
    /// For a post, void or reversal: which of the related transfer's fields to repeat (bits:
    /// debit, credit, unit, code), and whether to get one of them wrong.
    repeat: u8,
    wrong: bool,
    code: u16,
    timeout_s: u32,
    user_data: u128,
}

fn units_accounts(unit: UnitId) -> &'static [u128] {
    match unit {
        POINTS => &[5, 6],
        _ => &[1, 2, 3, 4],
    }
}

/// What the run has submitted so far, to aim later requests at.
#[derive(Debug, Default)]
struct History {
    all: Vec<Transfer>,
    holds: Vec<Transfer>,
    moves: Vec<Transfer>,
    next_id: u128,
}

fn pick<T: Clone>(items: &[T], k: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[k % items.len()].clone())
}

impl History {
    fn account(&self, unit: UnitId, choice: u8) -> Option<AccountId> {
        let id = match choice {
            0 => return None,
            1 => ACCOUNTS,
            2 => units_accounts(if unit == POINTS { HOURS } else { POINTS })[0],
            n => {
                let pool = units_accounts(unit);
                pool[n as usize % pool.len()]
            }
        };
        Some(AccountId::new(id).unwrap())
    }

    fn make(&mut self, event: &Event) -> Transfer {
        let t = match event {
            Event::Resubmit { back, change } => match pick(&self.all, *back) {
                Some(earlier) => changed(earlier, *change),
                None => self.fresh_plain(),
            },
            Event::New(r) => self.recipe(r),
        };
        self.all.push(t.clone());
        t
    }

    /// Remembers the holds and moves that applied, for later posts, voids and reversals.
    fn applied(&mut self, batch: &[Transfer], results: &[EventResult]) {
        for (t, r) in batch.iter().zip(results) {
            if r.code != R::Ok {
                continue;
            }
            if t.flags.contains(F::PENDING) {
                self.holds.push(t.clone());
            } else if t.related_id.is_none() || t.flags.contains(F::POST_PENDING) {
                self.moves.push(t.clone());
            }
        }
    }

    fn fresh_id(&mut self) -> TransferId {
        self.next_id += 1;
        TransferId::new(self.next_id).unwrap()
    }

    fn fresh_plain(&mut self) -> Transfer {
        let id = self.fresh_id();
        let acc = |n| AccountId::new(n).unwrap();
        Transfer::new(id, acc(1), acc(2), Amount::parse("1").unwrap(), HOURS)
    }

    fn recipe(&mut self, r: &Recipe) -> Transfer {
        let id = match r.reuse_id.and_then(|k| pick(&self.all, k)) {
            Some(earlier) => earlier.id,
            None => self.fresh_id(),
        };
        let mut flags = match r.kind {
            Kind::Plain => r.extra,
            Kind::Pending => F::PENDING | r.extra,
            Kind::Post => F::POST_PENDING,
            Kind::Void => F::VOID_PENDING,
            Kind::Reversal => F::REVERSAL,
            Kind::Raw(bits) => F(bits),
        };
        if r.linked {
            flags = flags | F::LINKED;
        }
        let debit = self.account(r.unit, r.debit);
        let mut credit = self.account(r.unit, r.credit);
        if debit == credit && !r.credit.is_multiple_of(8) {
            // Mostly two different accounts of the unit.
            credit = self.account(r.unit, r.credit.wrapping_add(1).max(3));
        }
        let mut t = Transfer {
            id,
            debit_account_id: debit,
            credit_account_id: credit,
            amount: r.amount,
            related_id: None,
            unit: r.unit,
            code: r.code,
            flags,
            timeout_s: r.timeout_s,
            user_data: r.user_data,
            // `repeat` shapes only posts, voids and reversals; here it says, now and then, that
            // the service was done at the start (in the past) or at the end of time (ahead).
            served_at: match (r.kind, r.repeat % 16) {
                (Kind::Post | Kind::Void | Kind::Reversal, _) => None,
                (_, 0) => Some(T0),
                (_, 1) => Some(u64::MAX),
                _ => None,
            },
        };
        let related = match r.kind {
            // Now and then any earlier transfer, whatever it was.
            Kind::Post | Kind::Void | Kind::Reversal | Kind::Raw(_)
                if r.related.is_multiple_of(10) =>
            {
                pick(&self.all, r.related / 10)
            }
            Kind::Post | Kind::Void => pick(&self.holds, r.related),
            Kind::Reversal => pick(&self.moves, r.related),
            _ => None,
        };
        if let Some(related) = related {
            t.related_id = Some(related.id);
            let bit = |n: u8| r.repeat & (1 << n) != 0;
            let reversal = matches!(r.kind, Kind::Reversal);
            // A reversal's accounts mirror the original's.
            let (debit, credit) = if reversal {
                (related.credit_account_id, related.debit_account_id)
            } else {
                (related.debit_account_id, related.credit_account_id)
            };
            t.debit_account_id = debit.filter(|_| bit(0));
            t.credit_account_id = credit.filter(|_| bit(1));
            t.unit = if bit(2) { related.unit } else { 0 };
            t.code = if bit(3) { related.code } else { 0 };
            if r.wrong {
                t.code = related.code + 1;
            }
            if !matches!(r.kind, Kind::Post) && !bit(4) {
                t.amount = None;
            }
        } else if matches!(r.kind, Kind::Post | Kind::Void | Kind::Reversal) {
            // Nothing to name yet: a made-up id.
            t.related_id = Some(TransferId::new(999).unwrap());
        }
        t
    }
}

/// An earlier request with one field changed (`None`: exactly the same request).
fn changed(mut t: Transfer, change: Option<u8>) -> Transfer {
    let other = |a: Option<AccountId>| match a.map(AccountId::get) {
        Some(2) => AccountId::new(3),
        _ => AccountId::new(2),
    };
    match change {
        None => {}
        Some(0) => t.flags = F(t.flags.0 ^ F::BALANCING_DEBIT.0),
        Some(1) => t.debit_account_id = other(t.debit_account_id),
        Some(2) => t.credit_account_id = other(t.credit_account_id),
        Some(3) => t.amount = Some(Amount::parse("7").unwrap()),
        Some(4) => t.related_id = TransferId::new(998),
        Some(5) => t.unit = if t.unit == POINTS { HOURS } else { POINTS },
        Some(6) => t.code += 1,
        Some(7) => t.timeout_s += 1,
        Some(8) => t.served_at = Some(t.served_at.map_or(T0, |at| at ^ 1)),
        Some(_) => t.user_data += 1,
    }
    t
}

fn amount_in(unit: UnitId) -> impl Strategy<Value = Option<Amount>> {
    let make = |m: i64, s: u32| Some(Amount::try_from(Decimal::new(m, s)).unwrap());
    let fine = if unit == POINTS { 1 } else { 3 };
    let usual = if unit == POINTS { 0 } else { 2 };
    prop_oneof![
        1 => Just(None),
        20 => (1i64..=800).prop_map(move |m| make(m, usual)),
        3 => (50i64..=400).prop_map(move |m| make(m, 0)),
        1 => (1i64..=99).prop_map(move |m| make(m * 10 + 1, fine)),
    ]
}

fn recipe() -> impl Strategy<Value = Recipe> {
    let kind = prop_oneof![
        40 => Just(Kind::Plain),
        25 => Just(Kind::Pending),
        12 => Just(Kind::Post),
        6 => Just(Kind::Void),
        8 => Just(Kind::Reversal),
        2 => (0u16..1 << 10).prop_map(Kind::Raw),
    ];
    let extra = prop_oneof![
        60 => Just(F::NONE),
        5 => Just(F::BALANCING_DEBIT),
        3 => Just(F::BALANCING_CREDIT),
        2 => Just(F::CLOSING_DEBIT),
        2 => Just(F::CLOSING_CREDIT),
        // Sweeping a member's whole balance away closes it.
        4 => Just(F::BALANCING_DEBIT | F::CLOSING_DEBIT),
    ];
    let unit = prop_oneof![15 => Just(HOURS), 4 => Just(POINTS), 1 => Just(3u16)];
    let account = prop_oneof![1 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 30 => 3u8..=255];
    let timeout = prop_oneof![
        10 => Just(0u32),
        9 => 1u32..=40,
        1 => Just(PENDING_TIMEOUT_S_MAX + 1),
    ];
    let reuse = prop_oneof![12 => Just(None), 1 => any::<usize>().prop_map(Some)];
    let shape = (kind, extra, prop::bool::weighted(0.12), reuse);
    let accounts = (unit, account.clone(), account);
    let resolving = (any::<usize>(), any::<u8>(), prop::bool::weighted(0.05));
    let rest = (0u16..=2, timeout, 0u128..=1, prop::bool::weighted(0.04));
    (shape, accounts, resolving, rest)
        .prop_flat_map(|(shape, accounts, resolving, rest)| {
            (
                Just((shape, accounts, resolving, rest)),
                amount_in(accounts.0),
            )
        })
        .prop_map(
            |(
                (
                    (kind, extra, linked, reuse_id),
                    (unit, debit, credit),
                    (related, repeat, wrong),
                    (code, timeout, user_data, stray_timeout),
                ),
                amount,
            )| {
                let pending = matches!(kind, Kind::Pending);
                Recipe {
                    kind,
                    extra,
                    linked,
                    reuse_id,
                    unit,
                    debit,
                    credit,
                    amount,
                    related,
                    repeat,
                    wrong,
                    code,
                    timeout_s: if pending || stray_timeout { timeout } else { 0 },
                    user_data,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        14 => recipe().prop_map(Event::New),
        1 => (any::<usize>(), prop_oneof![1 => Just(None), 1 => (0u8..=9).prop_map(Some)])
            .prop_map(|(back, change)| Event::Resubmit { back, change }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![1 => -30i64..0, 6 => 0i64..=15];
    prop_oneof![
        8 => (dt.clone(), prop::collection::vec(event(), 1..=6))
            .prop_map(|(dt_s, batch)| Op::Transfers { dt_s, batch }),
        1 => dt.prop_map(|dt_s| Op::Expire { dt_s }),
    ]
}

fn new_ledger() -> Ledger {
    let mut ledger = Ledger::new(vec![
        Unit::new(HOURS, "hours", 2),
        Unit::new(POINTS, "points", 0),
    ])
    .unwrap();
    let results = ledger.create_accounts(&account_specs(), T0).unwrap();
    assert!(results.iter().all(|r| r.code == R::Ok));
    let results = ledger.create_transfers(&funding(), T0 + SECOND).unwrap();
    assert!(results.iter().all(|r| r.code == R::Ok));
    ledger
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Events(Vec<EventResult>),
    Expired(Vec<TransferId>),
}

/// Runs the requests, checking the invariants and the model after each; returns the outcomes.
fn run(ops: &[Op], ledger: &mut Ledger, mut model: Option<&mut Model>) -> Vec<Outcome> {
    let mut now = T0 + 10 * SECOND;
    let mut outcomes = Vec::new();
    let mut history = History::default();
    for op in ops {
        let dt_s = match op {
            Op::Transfers { dt_s, .. } | Op::Expire { dt_s } => *dt_s,
        };
        now = now.saturating_add_signed(dt_s * SECOND as i64);
        let before = ledger.clone();
        let outcome = match op {
            Op::Transfers { batch, .. } => {
                let batch: Vec<Transfer> = batch.iter().map(|e| history.make(e)).collect();
                let batch = &batch;
                let results = ledger.create_transfers(batch, now).unwrap();
                history.applied(batch, &results);
                if let Some(model) = model.as_deref_mut() {
                    assert_eq!(
                        results,
                        model.create_transfers(batch, now),
                        "results differ"
                    );
                }
                if results.iter().all(|r| r.code != R::Ok) {
                    // Nothing applied: the books are as they were.
                    let accounts = |l: &Ledger| {
                        let mut v: Vec<_> = l.accounts().cloned().collect();
                        v.sort_by_key(|a| a.id);
                        v
                    };
                    assert_eq!(accounts(&before), accounts(ledger));
                    assert_eq!(before.transfer_count(), ledger.transfer_count());
                    for t in before.transfers() {
                        assert_eq!(Some(t), ledger.transfer(t.id()));
                    }
                }
                Outcome::Events(results)
            }
            Op::Expire { .. } => {
                let expired = ledger.expire(now).unwrap();
                if let Some(model) = model.as_deref_mut() {
                    assert_eq!(expired, model.expire(now), "expired holds differ");
                }
                Outcome::Expired(expired)
            }
        };
        if let Some(model) = model.as_deref_mut() {
            model.assert_same(&Model::of_ledger(ledger));
        }
        assert_invariants(ledger);
        outcomes.push(outcome);
    }
    outcomes
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    let long = std::env::var("TIMEBANK_LONG").is_ok_and(|v| v == "1");
    if long && std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 20_000;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn engine_agrees_with_the_model_and_keeps_its_invariants(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let mut ledger = new_ledger();
        let mut model = Model::of_ledger(&ledger);
        let outcomes = run(&ops, &mut ledger, Some(&mut model));

        // A replay into a fresh ledger gives the same results and the same state.
        let mut replayed = new_ledger();
        let again = run(&ops, &mut replayed, None);
        prop_assert_eq!(outcomes, again);
        prop_assert_eq!(ledger.state_digest(), replayed.state_digest());
    }
}
