//! The hook through which the time-bank rules see every transfer before and after it applies.
//!
//! The engine calls [`Rules::check`] once all accounting checks but the limits have passed, and
//! [`Rules::record`] as the transfer applies (the returned undo puts the rules' state back if the
//! transfer's linked chain fails). With no policy, or a policy without codes, every transfer the
//! accounting allows is allowed.
//!
//! The rules keep their own state, all of it derived from applied transfers and host commands:
//! - earnings per member and capped unit (lifetime, and per local day and month of service
//!   still open to late records), counted on credits through service and care codes when they
//!   are earned (a plain transfer or a post, never a hold), decremented by reversals;
//! - lots per holder account of each expiring unit, by expiry (debits consume what expires
//!   soonest first: under one lifetime, the oldest), with
//!   an index of each account's oldest lot so `expire` finds what is due without a scan;
//! - family links, ratings and the number of sweeps made (which numbers sweep transfer ids).
//!
//! A policy may be amended from an effective time ([`crate::amendment`]): the rules keep every
//! version and judge each movement under the one in force when the service was done
//! (`served_at`: codes, kinds, weights, caps, late days, the local day) and its lots under the
//! one in force at its timestamp (expiry).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rust_decimal::Decimal;

use crate::account::{Account, AccountKind};
use crate::account_table::AccountTable;
use crate::amendment::Amendment;
use crate::amount::Amount;
use crate::arrival::{CarriedLot, NO_EXPIRY};
use crate::entry_chain::{rating_entry, RATINGS_CONTEXT};
use crate::evictable::Evictable;
use crate::id::{AccountId, IdMap, TransferId};
use crate::limits::{BATCH_EVENTS_MAX, LINKS_PER_ACCOUNT_MAX, UNIT_SCALE_MAX};
use crate::minor::{self, POW10};
use crate::policy::{Expiry, Period, Policy, Purpose, SWEEP_TRANSFER_ID_BIT};
use crate::result::ResultCode;
use crate::tally::Tally;
use crate::transfer::{Transfer, TransferFlags, TransferRecord};
use crate::transfer_table::TransferTable;
use crate::unit::UnitId;
use crate::weight::Weight;

/// Most sweep transfers one `expire` makes; the rest wait for the next call.
pub const SWEEPS_PER_EXPIRE_MAX: usize = BATCH_EVENTS_MAX;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Which way a transfer moves value, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Movement {
    /// A plain transfer: posted now.
    Posted,
    /// A hold: pending until posted or voided.
    Held,
    /// The post of a hold: posted now.
    PostOfHold,
    /// A reversal of a posted transfer (the context's `served_at` is the original's).
    Reversal,
}

/// What the rules are told about one transfer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleContext<'a> {
    pub movement: Movement,
    pub transfer_id: TransferId,
    pub code: u16,
    /// The flags that shape it (for a post, the hold's).
    pub flags: TransferFlags,
    pub debit: &'a Account,
    pub credit: &'a Account,
    pub amount: Amount,
    pub timestamp: u64,
    /// When the service was done (the event's timestamp unless the request says otherwise; for
    /// a reversal, the original's).
    pub served_at: u64,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        amount: Amount,
        timestamp: u64,
    ) -> Self {
        let movement = if t.flags.contains(TransferFlags::PENDING) {
            Movement::Held
        } else {
            Movement::Posted
        };
        RuleContext {
            movement,
            transfer_id: t.id,
            code: t.code,
            flags: t.flags,
            debit,
            credit,
            amount,
            timestamp,
            served_at: t.served_at.unwrap_or(timestamp),
        }
    }

    pub fn posting(
        pending: &TransferRecord,
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        amount: Amount,
        timestamp: u64,
    ) -> Self {
        RuleContext {
            movement: Movement::PostOfHold,
            transfer_id: t.id,
            code: pending.code,
            flags: pending.flags(),
            debit,
            credit,
            amount,
            timestamp,
            served_at: t.served_at.unwrap_or(timestamp),
        }
    }

    pub fn reversing(
        original: &TransferRecord,
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        timestamp: u64,
    ) -> Self {
        RuleContext {
            movement: Movement::Reversal,
            transfer_id: t.id,
            code: original.code,
            flags: t.flags,
            debit,
            credit,
            amount: original.amount,
            timestamp,
            served_at: original.served_at(),
        }
    }
}

/// Every version of the policy: the one the ledger was created with (in force from time 0) and
/// its amendments, by effective time.
#[derive(Debug, Clone)]
struct Versions {
    base: Compiled,
    /// Ascending by `from`, each after the previous.
    amendments: Vec<Compiled>,
    /// Units whose earnings are counted: those some version caps.
    tracked: BTreeSet<UnitId>,
    /// How many local days back a day's earnings stay open to late records: the largest
    /// `late_days_max` of any version, one more when versions' zones differ (a day boundary
    /// then moves by up to a day).
    open_days: i64,
}

impl Versions {
    /// The version in force at `at`.
    fn at(&self, at: u64) -> &Compiled {
        self.amendments
            .iter()
            .rev()
            .find(|c| c.from <= at)
            .unwrap_or(&self.base)
    }

    fn all(&self) -> impl Iterator<Item = &Compiled> {
        std::iter::once(&self.base).chain(&self.amendments)
    }

    fn summarize(&mut self) {
        self.tracked = self.all().flat_map(|c| c.caps.keys().copied()).collect();
        let late = self.all().map(|c| c.policy.late_days_max).max();
        let zones: BTreeSet<i64> = self.all().map(|c| c.offset_s).collect();
        self.open_days = i64::from(late.unwrap_or(0)) + i64::from(zones.len() > 1);
    }
}

/// A policy compiled for fast look-ups on the apply path.
#[derive(Debug, Clone)]
struct Compiled {
    /// When it takes effect (0 for the policy the ledger was created with).
    from: u64,
    policy: Policy,
    /// Code -> (unit, purpose).
    codes: BTreeMap<u16, (UnitId, Purpose)>,
    /// Service and care codes whose credits are not simply the hours (weight other than 1).
    weighted: BTreeMap<u16, Weight>,
    caps: BTreeMap<UnitId, UnitCaps>,
    expiry: BTreeMap<UnitId, Expiry>,
    offset_s: i64,
}

/// A unit's caps in millionths of the unit, as the earnings they bound.
#[derive(Debug, Clone, Copy, Default)]
struct UnitCaps {
    day: Option<i128>,
    month: Option<i128>,
    lifetime: Option<i128>,
}

/// What one member has earned in one capped unit: in all, and per local day and month of
/// service still open to records (a service may be recorded up to the policy's
/// `late_days_max` days after it was done, and caps count the day it was done).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Earnings {
    pub lifetime: Tally,
    /// Local day (days since 1970-01-01 in the policy's offset) -> earned on services that day.
    pub days: BTreeMap<i64, Tally>,
    /// Local month (years × 12 + month − 1) -> earned on services that month.
    pub months: BTreeMap<i64, Tally>,
}

/// What a member earned in the local day and month of one moment, and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Earned {
    pub day: Tally,
    pub month: Tally,
    pub lifetime: Tally,
}

/// Part of a holder's balance in an expiring unit, and when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lot {
    pub expires_at: u64,
    pub remaining: Tally,
}

/// The rules' own state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    compiled: Option<Box<Versions>>,
    /// Family links, each stored once as (smaller id, larger id).
    pub(crate) links: BTreeSet<(AccountId, AccountId)>,
    pub(crate) links_per_account: IdMap<AccountId, usize>,
    /// The ratings by rated transfer; their chain is in the state digest's part 6.
    pub(crate) ratings: Evictable<u8>,
    pub(crate) earnings: IdMap<AccountId, Earnings>,
    pub(crate) lots: IdMap<AccountId, VecDeque<Lot>>,
    /// (expiry of the oldest lot, account) for every account with lots.
    pub(crate) lot_heads: BTreeSet<(u64, AccountId)>,
    pub(crate) sweeps_made: u64,
    /// Set by the ledger while it applies its own sweep transfers (reserved ids).
    pub sweeping: bool,
    /// Set by the ledger while it applies an arrival: the credit's id and the expiries its
    /// parts had at home (`crate::arrival`).
    carried: Option<(TransferId, Vec<CarriedLot>)>,
}

/// Puts the rules' state back as it was before one [`Rules::record`].
#[derive(Debug, Clone, Default)]
pub(crate) struct RulesUndo {
    earnings: Option<(AccountId, Option<Earnings>)>,
    lots: Vec<(AccountId, Option<VecDeque<Lot>>)>,
}

impl Rules {
    /// The rules of `policy` (none when it defines no codes). The policy is validated.
    pub fn from_policy(policy: &Policy) -> Rules {
        if !policy.has_rules() {
            return Rules::default();
        }
        let mut versions = Versions {
            base: Compiled::new(0, policy),
            amendments: Vec::new(),
            tracked: BTreeSet::new(),
            open_days: 0,
        };
        versions.summarize();
        Rules {
            compiled: Some(Box::new(versions)),
            ..Rules::default()
        }
    }

    /// The policy the ledger was created with, if it has rules.
    pub fn policy(&self) -> Option<&Policy> {
        self.compiled.as_ref().map(|v| &v.base.policy)
    }

    /// The policy in force at `at`, if the ledger has rules.
    pub fn policy_at(&self, at: u64) -> Option<&Policy> {
        self.compiled.as_ref().map(|v| &v.at(at).policy)
    }

    /// Every version of the policy with its effective time (0 for the first), in order.
    pub fn versions(&self) -> Vec<(u64, &Policy)> {
        self.compiled
            .iter()
            .flat_map(|v| v.all().map(|c| (c.from, &c.policy)))
            .collect()
    }

    /// The rules of a snapshot's policy versions (`versions` as [`Rules::versions`] gave them),
    /// compiled without recounting: the snapshot carries the earnings the amendments counted.
    /// `None` when the first version has no rules but others follow (never written).
    pub fn restore(versions: &[(u64, Policy)]) -> Option<Rules> {
        let Some(((_, base), amendments)) = versions.split_first() else {
            return Some(Rules::default());
        };
        let mut rules = Rules::from_policy(base);
        let compiled = rules.compiled.as_mut()?;
        for (from, policy) in amendments {
            compiled.amendments.push(Compiled::new(*from, policy));
        }
        compiled.summarize();
        Some(rules)
    }

    /// The effective time of the last amendment, if any.
    pub fn last_amendment(&self) -> Option<u64> {
        self.compiled.as_ref()?.amendments.last().map(|c| c.from)
    }

    /// Whether `amendment` caps a unit no version capped before: applying it counts the
    /// earnings of every transfer ever applied in that unit.
    pub fn amendment_recounts(&self, amendment: &Amendment) -> bool {
        let Some(versions) = self.compiled.as_ref() else {
            return false;
        };
        amendment
            .policy
            .caps
            .iter()
            .any(|cap| !versions.tracked.contains(&cap.unit))
    }

    /// Adds an amendment the ledger checked ([`crate::amendment`]). A unit no earlier version
    /// capped has its earnings counted from the ledger's history now, so a new lifetime cap
    /// counts what was earned before it.
    pub fn amend(
        &mut self,
        amendment: &Amendment,
        transfers: &TransferTable,
        accounts: &AccountTable,
    ) {
        let Some(mut versions) = self.compiled.take() else {
            return;
        };
        let before = versions.tracked.clone();
        versions
            .amendments
            .push(Compiled::new(amendment.from, &amendment.policy));
        versions.summarize();
        for &unit in versions.tracked.difference(&before) {
            self.recount_earnings(&versions, unit, transfers, accounts);
        }
        self.compiled = Some(versions);
    }

    /// Counts the earnings in `unit` from the ledger's posted transfers, in the order applied.
    fn recount_earnings(
        &mut self,
        versions: &Versions,
        unit: UnitId,
        transfers: &TransferTable,
        accounts: &AccountTable,
    ) {
        debug_assert!(!transfers.has_evicted(), "a recount reads every transfer");
        for record in transfers.records().iter().filter(|r| r.unit == unit) {
            let flags = record.flags();
            let (movement, served_at) = if flags.contains(TransferFlags::PENDING)
                || flags.contains(TransferFlags::VOID_PENDING)
            {
                continue;
            } else if flags.contains(TransferFlags::REVERSAL) {
                let original = record.related_id().and_then(|id| transfers.get(&id));
                let served_at = original.map_or(record.timestamp, TransferRecord::served_at);
                (Movement::Reversal, served_at)
            } else if flags.contains(TransferFlags::POST_PENDING) {
                (Movement::PostOfHold, record.served_at())
            } else {
                (Movement::Posted, record.served_at())
            };
            let (Some(debit), Some(credit)) = (
                accounts.get(&record.debit_account_id),
                accounts.get(&record.credit_account_id),
            ) else {
                continue;
            };
            let context = RuleContext {
                movement,
                transfer_id: record.id(),
                code: record.code,
                flags,
                debit,
                credit,
                amount: record.amount,
                timestamp: record.timestamp,
                served_at,
            };
            self.record_earnings(versions, &context, false);
        }
    }
}

impl Compiled {
    fn new(from: u64, policy: &Policy) -> Compiled {
        let codes = policy
            .codes
            .iter()
            .map(|c| (c.code, (c.unit, c.purpose)))
            .collect();
        let mut caps: BTreeMap<UnitId, UnitCaps> = BTreeMap::new();
        for cap in &policy.caps {
            let entry = caps.entry(cap.unit).or_default();
            let slot = match cap.period {
                Period::Day => &mut entry.day,
                Period::Month => &mut entry.month,
                Period::Lifetime => &mut entry.lifetime,
            };
            // A validated limit is positive and within its unit's scale, so whole millionths.
            *slot = Some(
                minor::from_decimal(cap.limit, UNIT_SCALE_MAX)
                    .expect("a validated cap is within the unit's scale"),
            );
        }
        let expiry = policy.expiry.iter().map(|e| (e.unit, e.clone())).collect();
        let weighted = policy
            .codes
            .iter()
            .filter(|c| c.purpose.is_weighted() && c.weight() != Decimal::ONE)
            .map(|c| (c.code, Weight::of(c)))
            .collect();
        Compiled {
            from,
            policy: policy.clone(),
            codes,
            weighted,
            caps,
            expiry,
            offset_s: i64::from(policy.utc_offset_minutes) * 60,
        }
    }
}

impl Rules {
    /// Refuses a host's new transfer (of any kind: a void too) whose id has the sweep bit, under
    /// a policy with rules.
    /// Whether a policy's rules are in force: without them `check`, `credits` and `record`
    /// change nothing, and the engine skips them.
    #[inline]
    pub fn enforced(&self) -> bool {
        self.compiled.is_some()
    }

    pub fn check_id(&self, id: TransferId) -> Result<(), ResultCode> {
        let reserved = id.get() & SWEEP_TRANSFER_ID_BIT != 0;
        if reserved && self.compiled.is_some() && !self.sweeping {
            return Err(ResultCode::TransferIdReserved);
        }
        Ok(())
    }

    pub fn check(
        &self,
        context: &RuleContext<'_>,
        _accounts: &AccountTable,
    ) -> Result<(), ResultCode> {
        let Some(versions) = &self.compiled else {
            return Ok(());
        };
        // A reversal undoes a transfer the rules allowed; it is never refused by them.
        if context.movement == Movement::Reversal {
            return Ok(());
        }
        // Judged under the policy in force when the service was done.
        let p = versions.at(context.served_at);
        let (debit, credit) = (context.debit, context.credit);
        let purpose = match p.codes.get(&context.code) {
            Some((unit, purpose)) if *unit == debit.unit => *purpose,
            _ => return Err(ResultCode::CodeNotAllowed),
        };
        if debit.kind == AccountKind::Group && !group_may(purpose, credit.kind) {
            return Err(ResultCode::GroupMayOnlyDonate);
        }
        if !kinds_fit(purpose, debit.kind, credit.kind) {
            return Err(ResultCode::CodeNotAllowed);
        }
        if purpose == Purpose::Closing && !context.flags.contains(TransferFlags::CLOSING_DEBIT) {
            return Err(ResultCode::CodeNotAllowed);
        }
        if purpose == Purpose::Gift
            && credit.kind == AccountKind::Member
            && !p.policy.gifts.any_member
            && !self.linked(debit.id, credit.id)
        {
            return Err(ResultCode::GiftNotAllowed);
        }
        // A closing's balance goes where a gift could (DOMAIN.md §3.11): a fund or pool, or a
        // member the gift rule allows.
        if purpose == Purpose::Closing
            && credit.kind == AccountKind::Member
            && !p.policy.gifts.any_member
            && !self.linked(debit.id, credit.id)
        {
            return Err(ResultCode::ClosingDestinationNotAllowed);
        }
        let held = context.movement == Movement::Held;
        if !held {
            let late =
                local_day(context.timestamp, p.offset_s) - local_day(context.served_at, p.offset_s);
            if late > i64::from(p.policy.late_days_max) {
                return Err(ResultCode::ServedAtTooLate);
            }
        }
        // Care is judged on the day it was received; a booking, on the day it is made.
        if purpose == Purpose::Care
            && debit.kind == AccountKind::Member
            && debit
                .eligible_from
                .is_none_or(|from| from > context.served_at)
        {
            return Err(ResultCode::NotYetEligible);
        }
        // Caps count what a person earns, when it is earned (DOMAIN.md §3.3): a booking only
        // reserves the payer's hours, and its completion is judged on the day served.
        if !held && purpose.is_earning() && credit.kind == AccountKind::Member {
            self.check_caps(p, credit, context.amount.micros(), context.served_at)?;
        }
        Ok(())
    }

    /// The credits a transfer of `code` moves for `requested` hours: hours × the code's weight
    /// (DOMAIN.md §3.2), so no host credits a weight-2 hour as 1. Codes of weight 1 and codes
    /// without a weight move what was asked.
    #[inline]
    pub fn credits(
        &self,
        code: u16,
        unit: UnitId,
        requested: Amount,
        scale: u32,
        served_at: u64,
    ) -> Result<Amount, ResultCode> {
        match &self.compiled {
            None => Ok(requested),
            Some(v) => Self::weighted_credits(v, code, unit, requested, scale, served_at),
        }
    }

    fn weighted_credits(
        v: &Versions,
        code: u16,
        unit: UnitId,
        requested: Amount,
        scale: u32,
        served_at: u64,
    ) -> Result<Amount, ResultCode> {
        let weighted = v.at(served_at).weighted.get(&code);
        // A code of another unit is refused by `check` (`code_not_allowed`).
        let Some(weight) = weighted.filter(|weight| weight.unit == unit) else {
            return Ok(requested);
        };
        if !requested.fits_scale(scale) {
            return Err(ResultCode::AmountExceedsUnitScale);
        }
        weight.credits(requested, scale)
    }

    fn check_caps(
        &self,
        p: &Compiled,
        credit: &Account,
        amount: u64,
        timestamp: u64,
    ) -> Result<(), ResultCode> {
        let Some(caps) = p.caps.get(&credit.unit) else {
            return Ok(());
        };
        let earned = self.earned_at(p, credit.id, timestamp);
        let checks = [
            (caps.day, earned.day, ResultCode::CapExceededDaily),
            (caps.month, earned.month, ResultCode::CapExceededMonthly),
            (
                caps.lifetime,
                earned.lifetime,
                ResultCode::CapExceededLifetime,
            ),
        ];
        for (limit, so_far, code) in checks {
            if limit.is_some_and(|limit| so_far.micros() + i128::from(amount) > limit) {
                return Err(code);
            }
        }
        Ok(())
    }

    /// What `account` has earned on services of the local day and month of `served_at`, and
    /// in all.
    fn earned_at(&self, p: &Compiled, account: AccountId, served_at: u64) -> Earned {
        let (day, month) = local_day_and_month(served_at, p.offset_s);
        let Some(e) = self.earnings.get(&account) else {
            return Earned::default();
        };
        Earned {
            day: e.days.get(&day).copied().unwrap_or_default(),
            month: e.months.get(&month).copied().unwrap_or_default(),
            lifetime: e.lifetime,
        }
    }

    /// Headroom query for planners: what `account` earned (day, month, lifetime) on services
    /// of the local day and month of `served_at`; zeros without a policy. [`Tally::decimal`]
    /// gives each as a decimal.
    pub fn earnings(&self, account: AccountId, served_at: u64) -> Earned {
        match &self.compiled {
            Some(v) => self.earned_at(v.at(served_at), account, served_at),
            None => Earned::default(),
        }
    }

    ///
    /// With `keep_undo` false (a transfer outside a linked chain, which refuses before it changes
    /// anything and so is never rolled back) no copy of the state before is made, and the undo
    /// returned is empty.
    pub fn record(&mut self, context: &RuleContext<'_>, keep_undo: bool) -> RulesUndo {
        let mut undo = RulesUndo::default();
        let Some(p) = self.compiled.take() else {
            return undo;
        };
        self.record_with(&p, context, keep_undo, &mut undo);
        self.compiled = Some(p);
        undo
    }

    fn record_with(
        &mut self,
        v: &Versions,
        context: &RuleContext<'_>,
        keep_undo: bool,
        undo: &mut RulesUndo,
    ) {
        if context.movement == Movement::Held {
            return;
        }
        let (debit, credit) = (context.debit, context.credit);
        let amount = Tally::of(context.amount);
        undo.earnings = self.record_earnings(v, context, keep_undo);
        // Lots follow the policy in force when the credit is made.
        let p = v.at(context.timestamp);
        if let Some(expiry) = p.expiry.get(&debit.unit) {
            if debit.kind.is_holder() {
                if keep_undo {
                    undo.lots
                        .push((debit.id, self.lots.get(&debit.id).cloned()));
                }
                self.consume_lots(debit.id, amount);
            }
            if credit.kind.is_holder() {
                if keep_undo {
                    undo.lots
                        .push((credit.id, self.lots.get(&credit.id).cloned()));
                }
                let expires_at = lot_expiry(context.timestamp, p.offset_s, expiry.lifetime_days);
                match self.carried_for(context.transfer_id) {
                    // Arriving hours keep the expiry they had at home, never a later one than
                    // this ledger gives a credit now.
                    Some(parts) => {
                        for part in parts {
                            let home = part.expires_at;
                            let at = if home == NO_EXPIRY {
                                expires_at
                            } else {
                                home.min(expires_at)
                            };
                            self.add_lot(credit.id, at, Tally::of(part.amount));
                        }
                    }
                    None => self.add_lot(credit.id, expires_at, amount),
                }
            }
        }
    }

    /// Counts an earning (or gives one back, for a reversal) under the policy in force when the
    /// service was done; returns what to put back (with `keep_undo`).
    fn record_earnings(
        &mut self,
        v: &Versions,
        context: &RuleContext<'_>,
        keep_undo: bool,
    ) -> Option<(AccountId, Option<Earnings>)> {
        let (debit, credit) = (context.debit, context.credit);
        let amount = Tally::of(context.amount);
        let p = v.at(context.served_at);
        let purpose = p.codes.get(&context.code).map(|(_, purpose)| *purpose);
        let earning = purpose.is_some_and(Purpose::is_earning) && v.tracked.contains(&debit.unit);
        let mut undo = None;
        match context.movement {
            Movement::Held => {}
            Movement::Posted | Movement::PostOfHold => {
                if earning && credit.kind == AccountKind::Member {
                    // Changed in place: the undo entry is the one copy.
                    if keep_undo {
                        undo = Some((credit.id, self.earnings.get(&credit.id).cloned()));
                    }
                    let e = self.earnings.entry(credit.id).or_default();
                    let (day, month) = local_day_and_month(context.served_at, p.offset_s);
                    let day = e.days.entry(day).or_default();
                    *day = day.plus(amount);
                    let month = e.months.entry(month).or_default();
                    *month = month.plus(amount);
                    e.lifetime = e.lifetime.plus(amount);
                    forget_closed_periods(e, v, context.timestamp);
                }
            }
            Movement::Reversal => {
                // The reversal debits the account the original credited, and gives back the
                // room in the day and month the original was served, while they are open.
                if earning && debit.kind == AccountKind::Member {
                    if let Some(e) = self.earnings.get_mut(&debit.id) {
                        if keep_undo {
                            undo = Some((debit.id, Some(e.clone())));
                        }
                        let (day, month) = local_day_and_month(context.served_at, p.offset_s);
                        let less = |total: &mut Tally| *total = total.minus_down_to_zero(amount);
                        less(&mut e.lifetime);
                        if let Some(total) = e.days.get_mut(&day) {
                            less(total);
                        }
                        if let Some(total) = e.months.get_mut(&month) {
                            less(total);
                        }
                    }
                }
            }
        }
        undo
    }

    pub fn undo(&mut self, undo: RulesUndo) {
        for (account, lots) in undo.lots.into_iter().rev() {
            self.set_lots(account, lots.unwrap_or_default());
        }
        if let Some((account, earnings)) = undo.earnings {
            match earnings {
                Some(e) => self.earnings.insert(account, e),
                None => self.earnings.remove(&account),
            };
        }
    }

    /// The parts of an arrival's credit `id`, while the ledger applies it.
    fn carried_for(&self, id: TransferId) -> Option<Vec<CarriedLot>> {
        self.carried
            .as_ref()
            .filter(|(credit, _)| *credit == id)
            .map(|(_, parts)| parts.clone())
    }

    /// Makes the credit `id` (about to be applied) keep the expiries of `parts`.
    pub fn carry_lots(&mut self, id: TransferId, parts: &[CarriedLot]) {
        self.carried = Some((id, parts.to_vec()));
    }

    pub fn carry_lots_done(&mut self) {
        self.carried = None;
    }

    /// Adds what a member who moved earned at home to their lifetime counter here, in a unit
    /// some version of the policy caps (earnings of other units are not counted).
    pub fn carry_earnings(&mut self, account: AccountId, unit: UnitId, earned: Amount) {
        let tracked = self
            .compiled
            .as_ref()
            .is_some_and(|v| v.tracked.contains(&unit));
        if tracked {
            let e = self.earnings.entry(account).or_default();
            e.lifetime = e.lifetime.plus(Tally::of(earned));
        }
    }

    fn consume_lots(&mut self, account: AccountId, amount: Tally) {
        if !self.lots.contains_key(&account) {
            return;
        }
        self.change_lots(account, |lots| {
            let mut left = amount;
            while left.micros() > 0 {
                let Some(front) = lots.front_mut() else { break };
                let used = front.remaining.min(left);
                front.remaining = front.remaining.minus(used);
                left = left.minus(used);
                if front.remaining.is_zero() {
                    lots.pop_front();
                }
            }
        });
    }

    /// Adds a lot in order of expiry, so debits spend what expires soonest first. Under one
    /// lifetime that is the order credited; after an amendment shortens it, a newer lot may
    /// expire before an older one.
    fn add_lot(&mut self, account: AccountId, expires_at: u64, amount: Tally) {
        self.change_lots(account, |lots| {
            let at = lots.partition_point(|lot| lot.expires_at < expires_at);
            match lots.get_mut(at) {
                // Credits expiring on one local midnight share a lot, which bounds the lots per
                // account.
                Some(lot) if lot.expires_at == expires_at => {
                    lot.remaining = lot.remaining.plus(amount)
                }
                _ => lots.insert(
                    at,
                    Lot {
                        expires_at,
                        remaining: amount,
                    },
                ),
            }
        });
    }

    /// Changes an account's lots in place (the undo entry holds the one copy), keeping the
    /// index of oldest lots in step when the oldest changes.
    fn change_lots(&mut self, account: AccountId, change: impl FnOnce(&mut VecDeque<Lot>)) {
        let lots = self.lots.entry(account).or_default();
        let head_before = lots.front().map(|lot| lot.expires_at);
        change(lots);
        let head_after = lots.front().map(|lot| lot.expires_at);
        if head_after.is_none() {
            self.lots.remove(&account);
        }
        if head_before != head_after {
            if let Some(at) = head_before {
                self.lot_heads.remove(&(at, account));
            }
            if let Some(at) = head_after {
                self.lot_heads.insert((at, account));
            }
        }
    }

    /// Replaces an account's lots, keeping the index of oldest lots in step.
    fn set_lots(&mut self, account: AccountId, lots: VecDeque<Lot>) {
        if let Some(head) = self.lots.get(&account).and_then(|l| l.front()) {
            self.lot_heads.remove(&(head.expires_at, account));
        }
        match lots.front() {
            Some(head) => {
                self.lot_heads.insert((head.expires_at, account));
                self.lots.insert(account, lots);
            }
            None => {
                self.lots.remove(&account);
            }
        }
    }

    /// The sweep transfers due at `now`: per holder with lots expired by then, the expired
    /// amount (at most what the account has available, so holds stay covered) to the unit's
    /// expiry account. Sweep ids are `SWEEP_TRANSFER_ID_BIT | n` for the n-th sweep the ledger
    /// makes (counted from 1), so they never meet a host's id.
    pub fn due_sweeps(&mut self, now: u64, accounts: &AccountTable) -> Vec<Transfer> {
        let Some(versions) = &self.compiled else {
            return Vec::new();
        };
        let p = versions.at(now);
        let mut sweeps = Vec::new();
        for &(head, account_id) in &self.lot_heads {
            if head > now || sweeps.len() >= SWEEPS_PER_EXPIRE_MAX {
                break;
            }
            let (Some(account), Some(lots)) =
                (accounts.get(&account_id), self.lots.get(&account_id))
            else {
                continue;
            };
            let Some(rule) = p.expiry.get(&account.unit) else {
                continue;
            };
            let due: i128 = lots
                .iter()
                .take_while(|lot| lot.expires_at <= now)
                .map(|lot| lot.remaining.micros())
                .sum();
            // At most what the account has available (in millionths, as the lots) and the
            // largest amount; nothing when that is not positive.
            let step = i128::from(POW10[(UNIT_SCALE_MAX - u32::from(account.scale)) as usize]);
            let available = account.balances.available().saturating_mul(step);
            let amount = due.min(available).min(i128::from(Amount::MAX.micros()));
            let Ok(micros) = u64::try_from(amount) else {
                continue;
            };
            let Ok(amount) = Amount::from_minor(micros, UNIT_SCALE_MAX) else {
                continue;
            };
            let number = self.sweeps_made + sweeps.len() as u64 + 1;
            let id = TransferId::new(SWEEP_TRANSFER_ID_BIT | u128::from(number))
                .expect("the sweep bit makes the id non-zero");
            sweeps.push(
                Transfer::new(id, account_id, rule.account, amount, account.unit).code(rule.code),
            );
        }
        self.sweeps_made += sweeps.len() as u64;
        sweeps
    }

    /// The credits of `account` not yet expired or spent, oldest first.
    pub fn lots(&self, account: AccountId) -> impl Iterator<Item = &Lot> {
        self.lots.get(&account).into_iter().flatten()
    }

    pub fn link(&mut self, a: AccountId, b: AccountId) -> Result<(), ResultCode> {
        let key = (a.min(b), a.max(b));
        if self.links.contains(&key) {
            return Err(ResultCode::Exists);
        }
        let count = |id| self.links_per_account.get(&id).copied().unwrap_or(0);
        if count(a) >= LINKS_PER_ACCOUNT_MAX || count(b) >= LINKS_PER_ACCOUNT_MAX {
            return Err(ResultCode::TooManyLinks);
        }
        self.links.insert(key);
        *self.links_per_account.entry(a).or_default() += 1;
        *self.links_per_account.entry(b).or_default() += 1;
        Ok(())
    }

    pub fn unlink(&mut self, a: AccountId, b: AccountId) -> Result<(), ResultCode> {
        if !self.links.remove(&(a.min(b), a.max(b))) {
            return Err(ResultCode::LinkNotFound);
        }
        for id in [a, b] {
            if let Some(n) = self.links_per_account.get_mut(&id) {
                *n -= 1;
            }
        }
        Ok(())
    }

    pub fn linked(&self, a: AccountId, b: AccountId) -> bool {
        self.links.contains(&(a.min(b), a.max(b)))
    }

    pub fn rate(&mut self, transfer: TransferId, rating: u8) -> Result<(), ResultCode> {
        if self.ratings.get(&transfer).is_some() {
            return Err(ResultCode::AlreadyRated);
        }
        let entry = rating_entry(transfer.get(), rating);
        self.ratings
            .insert(transfer, rating, RATINGS_CONTEXT, &entry);
        Ok(())
    }

    pub fn rating(&self, transfer: TransferId) -> Option<u8> {
        self.ratings.get(&transfer).copied()
    }

    /// Feeds the rules' state into the ledger's state digest: the ratings as their chain, or
    /// (`whole`, the digests before the third) every rating in transfer id order.
    pub fn digest(&self, h: &mut crate::digest::Digester, whole: bool) {
        h.update(&(self.links.len() as u64).to_le_bytes());
        for (a, b) in &self.links {
            h.update(&a.get().to_le_bytes());
            h.update(&b.get().to_le_bytes());
        }
        if whole {
            let ratings = self.ratings.sorted();
            h.update(&(ratings.len() as u64).to_le_bytes());
            for (t, r) in ratings {
                h.update(&rating_entry(t.get(), *r));
            }
        } else {
            self.ratings.chain.write(h);
        }
        let Some(versions) = &self.compiled else {
            return;
        };
        h.update(versions.base.policy.to_json().as_bytes());
        h.update(&self.sweeps_made.to_le_bytes());
        let earnings: BTreeMap<_, _> = self.earnings.iter().collect();
        h.update(&(earnings.len() as u64).to_le_bytes());
        for (id, e) in earnings {
            h.update(&id.get().to_le_bytes());
            h.update(&e.lifetime.decimal().normalize().serialize());
            for periods in [&e.days, &e.months] {
                h.update(&(periods.len() as u64).to_le_bytes());
                for (period, total) in periods {
                    h.update(&period.to_le_bytes());
                    h.update(&total.decimal().normalize().serialize());
                }
            }
        }
        let lots: BTreeMap<_, _> = self.lots.iter().collect();
        h.update(&(lots.len() as u64).to_le_bytes());
        for (id, list) in lots {
            h.update(&id.get().to_le_bytes());
            h.update(&(list.len() as u64).to_le_bytes());
            for lot in list {
                h.update(&lot.expires_at.to_le_bytes());
                h.update(&lot.remaining.decimal().normalize().serialize());
            }
        }
        // Only an amended policy adds this part, so a ledger never amended keeps its digest.
        if !versions.amendments.is_empty() {
            h.update(&(versions.amendments.len() as u64).to_le_bytes());
            for amendment in &versions.amendments {
                h.update(&amendment.from.to_le_bytes());
                h.update(amendment.policy.to_json().as_bytes());
            }
        }
    }
}

/// Whether a group's account may be debited for `purpose` towards an account of `credit` kind:
/// group-earned hours may only be donated (or expire, or close into a pool).
fn group_may(purpose: Purpose, credit: AccountKind) -> bool {
    match purpose {
        Purpose::Donation | Purpose::Expiry => true,
        Purpose::Closing | Purpose::Gift => credit == AccountKind::Donation,
        _ => false,
    }
}

/// Whether a code of `purpose` may move value from a `debit` account to a `credit` account.
fn kinds_fit(purpose: Purpose, debit: AccountKind, credit: AccountKind) -> bool {
    use AccountKind::*;
    let fund = |k: AccountKind| matches!(k, Issuer | Guarantee | Donation);
    match purpose {
        Purpose::Service => fund(debit) && credit.is_holder(),
        Purpose::Care => {
            matches!(debit, Member | Guarantee | Donation)
                && matches!(credit, Member | Group | Issuer | Guarantee)
        }
        Purpose::Gift => debit.is_holder() && matches!(credit, Member | Donation),
        Purpose::Donation => (debit.is_holder() || fund(debit)) && credit == Donation,
        Purpose::Award => debit == Issuer && credit.is_holder(),
        Purpose::Redemption => debit.is_holder() && credit == Redemption,
        Purpose::Expiry => (debit.is_holder() || debit == Donation) && credit == Expiry,
        Purpose::Closing => {
            debit.is_holder() && matches!(credit, Member | Donation | Issuer | Guarantee)
        }
        Purpose::Clearing => {
            (debit == Clearing || credit == Clearing)
                && !matches!(debit, Redemption | Expiry)
                && !matches!(credit, Redemption | Expiry)
        }
        Purpose::Funding => !debit.is_holder() && !credit.is_holder(),
    }
}

/// Drops the days and months no service can be recorded for any more at `timestamp` (more than
/// `late_days_max` local days back): they can take no more credits, and a reversal of a service
/// done then no longer gives room back.
fn forget_closed_periods(e: &mut Earnings, v: &Versions, timestamp: u64) {
    let oldest_day = local_day(timestamp, v.at(timestamp).offset_s) - v.open_days;
    let (_, oldest_month) = month_of_day(oldest_day);
    e.days.retain(|day, _| *day >= oldest_day);
    e.months.retain(|month, _| *month >= oldest_month);
}

/// The local day (days since 1970-01-01) of a timestamp, at `offset_s` seconds east of UTC;
/// without its month, whose calendar arithmetic costs several times the day's.
fn local_day(timestamp: u64, offset_s: i64) -> i64 {
    let seconds = (timestamp / NANOS_PER_SECOND as u64) as i64 + offset_s;
    seconds.div_euclid(SECONDS_PER_DAY)
}

fn month_of_day(day: i64) -> (i64, i64) {
    let (year, month) = civil_from_days(day);
    (day, year * 12 + month - 1)
}

/// The local day (days since 1970-01-01) and month (year × 12 + month − 1) of a timestamp in
/// nanoseconds since the Unix epoch, at `offset_s` seconds east of UTC.
pub(crate) fn local_day_and_month(timestamp: u64, offset_s: i64) -> (i64, i64) {
    month_of_day(local_day(timestamp, offset_s))
}

/// When a credit made at `timestamp` expires: at local midnight starting the day
/// `lifetime_days` after the day it was credited.
fn lot_expiry(timestamp: u64, offset_s: i64, lifetime_days: u32) -> u64 {
    let (day, _) = local_day_and_month(timestamp, offset_s);
    let seconds = (day + i64::from(lifetime_days)) * SECONDS_PER_DAY - offset_s;
    u64::try_from(seconds.max(0))
        .unwrap_or(0)
        .saturating_mul(NANOS_PER_SECOND as u64)
}

/// The proleptic Gregorian (year, month 1–12) of a day count from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_and_months_follow_the_offset() {
        // 2026-01-31T16:30:00Z is 2026-02-01 00:30 in UTC+8.
        let ts = 1_769_877_000 * 1_000_000_000u64;
        let (utc_day, utc_month) = local_day_and_month(ts, 0);
        let (cn_day, cn_month) = local_day_and_month(ts, 8 * 3600);
        assert_eq!(cn_day, utc_day + 1);
        assert_eq!(utc_month, 2026 * 12);
        assert_eq!(cn_month, 2026 * 12 + 1);
        assert_eq!(civil_from_days(0), (1970, 1));
        assert_eq!(civil_from_days(59), (1970, 3));
    }

    #[test]
    fn lots_expire_at_local_midnight() {
        let offset = 8 * 3600;
        let ts = 1_769_877_000 * 1_000_000_000u64; // 2026-02-01 00:30 local
        let at = lot_expiry(ts, offset, 1);
        // 2026-02-02 00:00 local is 2026-02-01T16:00:00Z.
        assert_eq!(at, 1_769_961_600 * 1_000_000_000);
    }
}
