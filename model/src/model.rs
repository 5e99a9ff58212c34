//! A reference model of the ledger, written from the documented semantics (the result-code table
//! in `ledger-core/src/lib.rs` and the docs of `Transfer`), as plainly as possible: ordered maps,
//! integer amounts in millionths, and a whole copy of the state to roll a failed chain back
//! (the engine keeps an undo log instead). The model is slow and obvious on purpose; where it and
//! the engine disagree, one of them is wrong. `ledger-core`'s property tests and the fuzz
//! targets both check the engine against it.

use std::collections::{BTreeMap, BTreeSet};

use ledger_core::limits::{BALANCE_WHOLE_MAX, LINKS_PER_ACCOUNT_MAX, PENDING_TIMEOUT_S_MAX};
use ledger_core::{BatchError, ResultCode as R};

use crate::exact::Exact;

/// Every amount and balance of the model, in millionths of a unit (the ledger's largest scale).
pub type Micro = i128;
/// The scale of [`Micro`]: six decimals.
pub const MICRO_SCALE: u32 = 6;
const BALANCE_MAX_MICRO: Micro = BALANCE_WHOLE_MAX as i128 * 1_000_000;

/// The bits of [`Request::flags`], the same as `ledger_core::TransferFlags`'s.
pub mod flag {
    /// Chains the event to the next: the chain applies all or nothing.
    pub const LINKED: u16 = 1 << 0;
    /// A hold: moves pending totals until it is posted, voided or expired.
    pub const PENDING: u16 = 1 << 1;
    /// Posts the hold named by `related`, in full or in part.
    pub const POST: u16 = 1 << 2;
    /// Voids the hold named by `related`.
    pub const VOID: u16 = 1 << 3;
    /// Moves no more than the debit account's floor leaves room for (refused when none).
    pub const BALANCING_DEBIT: u16 = 1 << 4;
    /// Moves no more than the credit account's ceiling leaves room for (refused when none).
    pub const BALANCING_CREDIT: u16 = 1 << 5;
    /// Closes the debit account; refused unless that leaves it empty (for a hold: once posted
    /// in full).
    pub const CLOSING_DEBIT: u16 = 1 << 6;
    /// Closes the credit account, as [`CLOSING_DEBIT`] does the debit account.
    pub const CLOSING_CREDIT: u16 = 1 << 7;
    /// Reverses the posted transfer named by `related`: its amount, its accounts swapped.
    pub const REVERSAL: u16 = 1 << 8;
    /// Every defined bit; a request with any other bit set is refused (`FlagsReserved`).
    pub const ALL: u16 = (1 << 9) - 1;
}

/// `AccountKind::Member` as its number: only two members of one unit can be linked.
pub const KIND_MEMBER: u8 = 1;

/// An account as the host creates it (the engine's `NewAccount` in the model's terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    /// The account id.
    pub id: u128,
    /// Its unit: a key of [`Model::units`], or the account is refused (`UnitNotFound`).
    pub unit: u16,
    /// `AccountKind` as its number ([`KIND_MEMBER`] is 1); only links read it.
    pub kind: u8,
    /// The community it belongs to; stored and compared, never read by a rule.
    pub community: u32,
    /// The host's own data; stored and compared, never read by a rule.
    pub user_data: u128,
    /// The lowest available balance allowed (posted credits less posted and pending debits):
    /// at most 0, at most the unit's scale; `None` for no floor.
    pub floor: Option<Exact>,
    /// The highest potential balance allowed (posted and pending credits less posted debits):
    /// at least 0, at most the unit's scale; `None` for no ceiling.
    pub ceiling: Option<Exact>,
    /// When the account may pay for care, in nanoseconds since the Unix epoch. Not compared when
    /// an account is created again; [`Model::set_eligibility`] moves it.
    pub eligible_from: Option<u64>,
}

/// An account's four totals, in millionths. Posted totals only grow; pending totals grow with
/// a hold and fall when it is posted, voided or expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balances {
    /// Debits of holds not yet resolved.
    pub debits_pending: Micro,
    /// Debits posted.
    pub debits_posted: Micro,
    /// Credits of holds not yet resolved.
    pub credits_pending: Micro,
    /// Credits posted.
    pub credits_posted: Micro,
}

impl Balances {
    fn available(&self) -> Micro {
        self.credits_posted - self.debits_posted - self.debits_pending
    }

    fn potential(&self) -> Micro {
        self.credits_posted + self.credits_pending - self.debits_posted
    }

    fn is_empty(&self) -> bool {
        self.available() == 0 && self.potential() == 0
    }
}

/// An account in the model.
#[derive(Debug, Clone)]
pub struct Account {
    /// What it was created with (its eligibility as last set).
    pub spec: AccountSpec,
    /// The timestamp of the event that created it.
    pub timestamp: u64,
    /// Closed by a closing transfer: it takes no new transfer or reversal. Voiding or expiring
    /// the closing hold opens it again.
    pub closed: bool,
    /// Its totals.
    pub balances: Balances,
}

impl Account {
    fn floor(&self) -> Option<Micro> {
        self.spec.floor.map(to_micro)
    }

    fn ceiling(&self) -> Option<Micro> {
        self.spec.ceiling.map(to_micro)
    }
}

/// A limit that was accepted (so its scale is at most the unit's) in millionths.
fn to_micro((mantissa, scale): Exact) -> Micro {
    mantissa * 10i128.pow(MICRO_SCALE - scale)
}

/// A transfer as the host submits it (the engine's `Transfer` in the model's terms;
/// [`request_of`](crate::engine_view::request_of) converts one). Submitted again with the
/// same fields it is `Exists`; with any field different, the first difference's
/// `ExistsWithDifferent...` code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The transfer id.
    pub id: u128,
    /// The account debited: required for a new transfer; for a post, void or reversal it may be
    /// left out, and must match the related transfer's (a reversal's, its credit account).
    pub debit: Option<u128>,
    /// The account credited, as `debit` (a reversal's must be the original's debit account).
    pub credit: Option<u128>,
    /// The amount in millionths: required for a new transfer and within the unit's scale. A
    /// post may leave it out (the whole hold) or post less; a void or reversal may leave it out
    /// or give the related transfer's amount exactly.
    pub amount: Option<Micro>,
    /// The hold a post or void resolves, or the transfer a reversal reverses; present exactly
    /// when one of those flags is set (`RelatedIdInvalid` otherwise).
    pub related: Option<u128>,
    /// The unit: that of both accounts for a new transfer; 0 in a post, void or reversal means
    /// the related transfer's.
    pub unit: u16,
    /// The host's code of the transfer; 0 in a post, void or reversal means the related
    /// transfer's. The model applies no policy: codes are stored, never judged.
    pub code: u16,
    /// [`flag`] bits.
    pub flags: u16,
    /// A hold's timeout in seconds, 0 for none; only a pending request may set one, at most
    /// `PENDING_TIMEOUT_S_MAX`.
    pub timeout_s: u32,
    /// The host's own data; stored and compared, never read by a rule.
    pub user_data: u128,
    /// When the service was done, in nanoseconds since the Unix epoch, if the request says
    /// (plain transfers and posts only; not after the event's own timestamp).
    pub served_at: Option<u64>,
}

/// Where a stored transfer stands (the engine's `TransferState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not a hold: a plain transfer, or the record of a post, void or reversal.
    Posted,
    /// A hold not yet resolved.
    Pending,
    /// A hold that a post resolved.
    PendingPosted,
    /// A hold that a void resolved.
    PendingVoided,
    /// A hold whose timeout passed, released by [`Model::expire`].
    PendingExpired,
}

/// A transfer the model accepted.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// What was submitted, as submitted (a resubmission is compared with it).
    pub request: Request,
    /// The account debited: for a post or void the hold's, for a reversal the original's
    /// credit account.
    pub debit: u128,
    /// The account credited: for a post or void the hold's, for a reversal the original's
    /// debit account.
    pub credit: u128,
    /// The unit (for a post, void or reversal, the related transfer's).
    pub unit: u16,
    /// The code (for a post, void or reversal, the related transfer's).
    pub code: u16,
    /// The amount in millionths: what moved, or what was held; for a post what was posted,
    /// for a void the hold's amount.
    pub amount: Micro,
    /// The timestamp of its event.
    pub timestamp: u64,
    /// Where it stands.
    pub state: State,
    /// The reversal that reversed it, if one did.
    pub reversed_by: Option<u128>,
}

impl Transfer {
    fn expires_at(&self) -> Option<u64> {
        match self.request.timeout_s {
            0 => None,
            t => Some(self.timestamp.saturating_add(u64::from(t) * 1_000_000_000)),
        }
    }
}

/// One event's outcome: a code and a timestamp (0 unless `Ok` or `Exists`).
pub type Outcome = (R, u64);

/// The model ledger: everything of the engine's state that the checks compare.
#[derive(Debug, Clone)]
pub struct Model {
    /// Unit id to scale.
    pub units: BTreeMap<u16, u32>,
    /// Accounts by id.
    pub accounts: BTreeMap<u128, Account>,
    /// Accepted transfers by id.
    pub transfers: BTreeMap<u128, Transfer>,
    /// Ids of standalone transfers refused with a transient code, and the code: submitting one
    /// again is `IdAlreadyFailed`.
    pub failed: BTreeMap<u128, R>,
    /// Family links, each as (smaller id, larger id).
    pub links: BTreeSet<(u128, u128)>,
    /// Ratings (1 to 5) by transfer id.
    pub ratings: BTreeMap<u128, u8>,
    /// The last timestamp given (0 at first). A batch's events get consecutive timestamps from
    /// the later of its `now` and `clock + 1`.
    pub clock: u64,
}

fn fits_scale(micro: Micro, scale: u32) -> bool {
    micro % 10i128.pow(MICRO_SCALE - scale) == 0
}

fn add_total(total: Micro, amount: Micro) -> Result<Micro, R> {
    let sum = total + amount;
    if sum > BALANCE_MAX_MICRO {
        return Err(R::OverflowsBalance);
    }
    Ok(sum)
}

fn has(flags: u16, f: u16) -> bool {
    flags & f == f
}

impl Model {
    /// An empty model with these units, each `(unit id, scale)`, and its clock at 0.
    pub fn new(units: &[(u16, u32)]) -> Model {
        Model {
            units: units.iter().copied().collect(),
            accounts: BTreeMap::new(),
            transfers: BTreeMap::new(),
            failed: BTreeMap::new(),
            links: BTreeSet::new(),
            ratings: BTreeMap::new(),
            clock: 0,
        }
    }

    fn reserve(&mut self, now: u64, count: usize) -> Result<u64, BatchError> {
        if count == 0 {
            return Err(BatchError::Empty);
        }
        let first = now.max(
            self.clock
                .checked_add(1)
                .ok_or(BatchError::ClockExhausted)?,
        );
        let last = first
            .checked_add(count as u64 - 1)
            .ok_or(BatchError::ClockExhausted)?;
        self.clock = last;
        Ok(first)
    }

    /// Standalone events: each gets `Ok` with its timestamp or its code with timestamp 0.
    fn each<T>(
        &mut self,
        batch: &[T],
        now: u64,
        mut apply: impl FnMut(&mut Model, &T, u64) -> Result<(), R>,
    ) -> Result<Vec<Outcome>, BatchError> {
        let first = self.reserve(now, batch.len())?;
        let mut out = Vec::new();
        for (i, item) in batch.iter().enumerate() {
            let ts = first + i as u64;
            out.push(match apply(self, item, ts) {
                Ok(()) => (R::Ok, ts),
                Err(code) => (code, 0),
            });
        }
        Ok(out)
    }

    // ---------------------------------------------------------------------------------------
    // Accounts

    /// Opens accounts, each event on its own: `Ok` with its timestamp; `Exists` with the
    /// original timestamp when the same account (eligibility aside) is there; otherwise a code
    /// with timestamp 0. `Err` only for an empty batch or an exhausted clock (the model does not
    /// cap a batch's size).
    pub fn create_accounts(
        &mut self,
        batch: &[AccountSpec],
        now: u64,
    ) -> Result<Vec<Outcome>, BatchError> {
        let first = self.reserve(now, batch.len())?;
        let mut out = Vec::new();
        for (i, spec) in batch.iter().enumerate() {
            let ts = first + i as u64;
            out.push(self.create_account(spec, ts));
        }
        Ok(out)
    }

    fn create_account(&mut self, spec: &AccountSpec, ts: u64) -> Outcome {
        if let Some(existing) = self.accounts.get(&spec.id) {
            // The eligibility date is not part of what an account is: the host moves it later
            // (`SetEligibility`), and a retried creation still finds its account.
            let same = AccountSpec {
                eligible_from: spec.eligible_from,
                ..existing.spec.clone()
            };
            return if same == *spec {
                (R::Exists, existing.timestamp)
            } else {
                (R::AccountExistsWithDifferentFields, 0)
            };
        }
        let Some(&scale) = self.units.get(&spec.unit) else {
            return (R::UnitNotFound, 0);
        };
        let whole_max = i128::from(BALANCE_WHOLE_MAX);
        for (mantissa, s) in [spec.floor, spec.ceiling].into_iter().flatten() {
            let too_large = mantissa.abs() > whole_max * 10i128.pow(s);
            if s > scale || too_large {
                return (R::AccountLimitOutOfRange, 0);
            }
        }
        if spec.floor.is_some_and(|(m, _)| m > 0) || spec.ceiling.is_some_and(|(m, _)| m < 0) {
            return (R::AccountLimitsInvalid, 0);
        }
        let account = Account {
            spec: spec.clone(),
            timestamp: ts,
            closed: false,
            balances: Balances::default(),
        };
        self.accounts.insert(spec.id, account);
        (R::Ok, ts)
    }

    // ---------------------------------------------------------------------------------------
    // Transfers

    /// Applies transfers in order. A standalone event succeeds or fails on its own (an id
    /// refused with a transient code goes into [`Model::failed`]); a chain of linked events
    /// applies all or nothing: on its first failure the state is rolled back, that event keeps
    /// its code and every other event of the chain gets `LinkedEventFailed`, and a chain still
    /// open at the batch's end fails with `LinkedEventChainOpen`. `Ok` carries the event's
    /// timestamp, `Exists` the original's, a failure 0. `Err` as for
    /// [`Model::create_accounts`].
    pub fn create_transfers(
        &mut self,
        batch: &[Request],
        now: u64,
    ) -> Result<Vec<Outcome>, BatchError> {
        let first = self.reserve(now, batch.len())?;
        let mut out: Vec<Outcome> = Vec::new();
        let mut start = 0;
        while start < batch.len() {
            // A chain runs to the first event without the linked flag (or to the batch's end).
            let mut end = start;
            while has(batch[end].flags, flag::LINKED) && end + 1 < batch.len() {
                end += 1;
            }
            let chain = end > start || has(batch[start].flags, flag::LINKED);
            if !chain {
                let outcome = self.create_transfer(&batch[start], first + start as u64);
                if outcome.0.is_transient() {
                    self.failed.insert(batch[start].id, outcome.0);
                }
                out.push(outcome);
            } else {
                self.apply_chain(&batch[start..=end], start, batch.len(), first, &mut out);
            }
            start = end + 1;
        }
        Ok(out)
    }

    fn apply_chain(
        &mut self,
        chain: &[Request],
        offset: usize,
        batch_len: usize,
        first: u64,
        out: &mut Vec<Outcome>,
    ) {
        let saved = self.clone();
        let chain_start = out.len();
        let mut failed = false;
        for (i, request) in chain.iter().enumerate() {
            let index = offset + i;
            if failed {
                out.push((R::LinkedEventFailed, 0));
                continue;
            }
            let outcome = if has(request.flags, flag::LINKED) && index + 1 == batch_len {
                (R::LinkedEventChainOpen, 0)
            } else {
                self.create_transfer(request, first + index as u64)
            };
            if outcome.0 != R::Ok {
                *self = saved.clone();
                for earlier in &mut out[chain_start..] {
                    *earlier = (R::LinkedEventFailed, 0);
                }
                failed = true;
            }
            out.push(outcome);
        }
    }

    fn create_transfer(&mut self, t: &Request, ts: u64) -> Outcome {
        let result = self.shape(t).and_then(|()| {
            if let Some(existing) = self.transfers.get(&t.id) {
                return match first_difference(&existing.request, t) {
                    None => Ok(Some(existing.timestamp)),
                    Some(code) => Err(code),
                };
            }
            if self.failed.contains_key(&t.id) {
                return Err(R::IdAlreadyFailed);
            }
            if t.served_at.is_some_and(|at| at > ts) {
                return Err(R::ServedAtInFuture);
            }
            if has(t.flags, flag::POST) || has(t.flags, flag::VOID) {
                self.resolve(t, ts)?;
            } else if has(t.flags, flag::REVERSAL) {
                self.reverse(t, ts)?;
            } else {
                self.apply_new(t, ts)?;
            }
            Ok(None)
        });
        match result {
            Ok(None) => (R::Ok, ts),
            Ok(Some(original)) => (R::Exists, original),
            Err(code) => (code, 0),
        }
    }

    fn shape(&self, t: &Request) -> Result<(), R> {
        if t.flags & !flag::ALL != 0 {
            return Err(R::FlagsReserved);
        }
        let kinds = [flag::PENDING, flag::POST, flag::VOID, flag::REVERSAL];
        if kinds.iter().filter(|k| has(t.flags, **k)).count() > 1 {
            return Err(R::FlagsAreMutuallyExclusive);
        }
        let resolving = t.flags & (flag::POST | flag::VOID | flag::REVERSAL) != 0;
        let shaping = flag::BALANCING_DEBIT
            | flag::BALANCING_CREDIT
            | flag::CLOSING_DEBIT
            | flag::CLOSING_CREDIT;
        if resolving && t.flags & shaping != 0 {
            return Err(R::FlagsAreMutuallyExclusive);
        }
        if resolving != t.related.is_some() {
            return Err(R::RelatedIdInvalid);
        }
        let no_service = t.flags & (flag::PENDING | flag::VOID | flag::REVERSAL) != 0;
        if t.served_at.is_some() && no_service {
            return Err(R::ServedAtNotAllowed);
        }
        if t.timeout_s != 0 && !has(t.flags, flag::PENDING) {
            return Err(R::TimeoutReservedForPending);
        }
        if t.timeout_s > PENDING_TIMEOUT_S_MAX {
            return Err(R::TimeoutTooLarge);
        }
        Ok(())
    }

    fn apply_new(&mut self, t: &Request, ts: u64) -> Result<(), R> {
        let debit_id = t.debit.ok_or(R::DebitAccountRequired)?;
        let credit_id = t.credit.ok_or(R::CreditAccountRequired)?;
        if debit_id == credit_id {
            return Err(R::AccountsMustBeDifferent);
        }
        let requested = t.amount.ok_or(R::AmountRequired)?;
        let scale = *self.units.get(&t.unit).ok_or(R::UnitNotFound)?;
        if !fits_scale(requested, scale) {
            return Err(R::AmountExceedsUnitScale);
        }
        let debit = self
            .accounts
            .get(&debit_id)
            .ok_or(R::DebitAccountNotFound)?;
        let credit = self
            .accounts
            .get(&credit_id)
            .ok_or(R::CreditAccountNotFound)?;
        if debit.spec.unit != credit.spec.unit {
            return Err(R::AccountsMustHaveTheSameUnit);
        }
        if t.unit != debit.spec.unit {
            return Err(R::TransferMustHaveTheSameUnitAsAccounts);
        }
        if debit.closed {
            return Err(R::DebitAccountClosed);
        }
        if credit.closed {
            return Err(R::CreditAccountClosed);
        }
        let mut amount = requested;
        if has(t.flags, flag::BALANCING_DEBIT) {
            if let Some(floor) = debit.floor() {
                let room = debit.balances.available() - floor;
                amount = shrink(amount, room).ok_or(R::ExceedsFloor)?;
            }
        }
        if has(t.flags, flag::BALANCING_CREDIT) {
            if let Some(ceiling) = credit.ceiling() {
                let room = ceiling - credit.balances.potential();
                amount = shrink(amount, room).ok_or(R::ExceedsCeiling)?;
            }
        }
        let pending = has(t.flags, flag::PENDING);
        let mut d = debit.balances;
        let mut c = credit.balances;
        if pending {
            d.debits_pending = add_total(d.debits_pending, amount)?;
            c.credits_pending = add_total(c.credits_pending, amount)?;
        } else {
            d.debits_posted = add_total(d.debits_posted, amount)?;
            c.credits_posted = add_total(c.credits_posted, amount)?;
        }
        if debit.floor().is_some_and(|f| d.available() < f) {
            return Err(R::ExceedsFloor);
        }
        if credit.ceiling().is_some_and(|c_max| c.potential() > c_max) {
            return Err(R::ExceedsCeiling);
        }
        let close_debit = has(t.flags, flag::CLOSING_DEBIT);
        let close_credit = has(t.flags, flag::CLOSING_CREDIT);
        if close_debit || close_credit {
            // A closing hold is judged by what it leaves once posted in full.
            let (mut d_settled, mut c_settled) = (d, c);
            if pending {
                d_settled = debit.balances;
                c_settled = credit.balances;
                d_settled.debits_posted = add_total(d_settled.debits_posted, amount)?;
                c_settled.credits_posted = add_total(c_settled.credits_posted, amount)?;
            }
            if (close_debit && !d_settled.is_empty()) || (close_credit && !c_settled.is_empty()) {
                return Err(R::ClosingLeavesBalance);
            }
        }
        let debit = self.accounts.get_mut(&debit_id).expect("checked above");
        debit.balances = d;
        debit.closed |= close_debit;
        let credit = self.accounts.get_mut(&credit_id).expect("checked above");
        credit.balances = c;
        credit.closed |= close_credit;
        let state = if pending {
            State::Pending
        } else {
            State::Posted
        };
        self.insert(t, debit_id, credit_id, t.unit, t.code, amount, ts, state);
        Ok(())
    }

    fn resolve(&mut self, t: &Request, ts: u64) -> Result<(), R> {
        let pending_id = t.related.ok_or(R::RelatedIdInvalid)?;
        let p = self
            .transfers
            .get(&pending_id)
            .ok_or(R::PendingTransferNotFound)?;
        if !has(p.request.flags, flag::PENDING) {
            return Err(R::PendingTransferNotPending);
        }
        match p.state {
            State::Pending => {}
            State::PendingPosted => return Err(R::PendingTransferAlreadyPosted),
            State::PendingVoided => return Err(R::PendingTransferAlreadyVoided),
            State::PendingExpired | State::Posted => return Err(R::PendingTransferExpired),
        }
        if t.debit.is_some_and(|id| id != p.debit) {
            return Err(R::PendingTransferHasDifferentDebitAccountId);
        }
        if t.credit.is_some_and(|id| id != p.credit) {
            return Err(R::PendingTransferHasDifferentCreditAccountId);
        }
        if t.unit != 0 && t.unit != p.unit {
            return Err(R::PendingTransferHasDifferentUnit);
        }
        if t.code != 0 && t.code != p.code {
            return Err(R::PendingTransferHasDifferentCode);
        }
        if p.expires_at().is_some_and(|at| at <= ts) {
            return Err(R::PendingTransferExpired);
        }
        let post = has(t.flags, flag::POST);
        let amount = match t.amount {
            None => p.amount,
            Some(a) if a > p.amount || (!post && a != p.amount) => {
                return Err(R::ExceedsPendingAmount)
            }
            Some(a) => a,
        };
        if !fits_scale(amount, self.units[&p.unit]) {
            return Err(R::AmountExceedsUnitScale);
        }
        let closing = p.request.flags & (flag::CLOSING_DEBIT | flag::CLOSING_CREDIT) != 0;
        if post && closing && amount != p.amount {
            return Err(R::ClosingLeavesBalance);
        }
        let p = p.clone();
        let mut d = self.accounts[&p.debit].balances;
        let mut c = self.accounts[&p.credit].balances;
        d.debits_pending -= p.amount;
        c.credits_pending -= p.amount;
        if post {
            d.debits_posted = add_total(d.debits_posted, amount)?;
            c.credits_posted = add_total(c.credits_posted, amount)?;
        }
        let reopen_debit = !post && has(p.request.flags, flag::CLOSING_DEBIT);
        let reopen_credit = !post && has(p.request.flags, flag::CLOSING_CREDIT);
        let debit = self
            .accounts
            .get_mut(&p.debit)
            .expect("pending names an account");
        debit.balances = d;
        debit.closed &= !reopen_debit;
        let credit = self
            .accounts
            .get_mut(&p.credit)
            .expect("pending names an account");
        credit.balances = c;
        credit.closed &= !reopen_credit;
        self.transfers
            .get_mut(&pending_id)
            .expect("found above")
            .state = if post {
            State::PendingPosted
        } else {
            State::PendingVoided
        };
        self.insert(
            t,
            p.debit,
            p.credit,
            p.unit,
            p.code,
            amount,
            ts,
            State::Posted,
        );
        Ok(())
    }

    fn reverse(&mut self, t: &Request, ts: u64) -> Result<(), R> {
        let original_id = t.related.ok_or(R::RelatedIdInvalid)?;
        let o = self
            .transfers
            .get(&original_id)
            .ok_or(R::ReversedTransferNotFound)?;
        let reversible = o.state == State::Posted
            && !has(o.request.flags, flag::VOID)
            && !has(o.request.flags, flag::REVERSAL);
        if !reversible {
            return Err(R::TransferNotReversible);
        }
        if o.reversed_by.is_some() {
            return Err(R::AlreadyReversed);
        }
        let differs = t.debit.is_some_and(|id| id != o.credit)
            || t.credit.is_some_and(|id| id != o.debit)
            || (t.unit != 0 && t.unit != o.unit)
            || (t.code != 0 && t.code != o.code)
            || t.amount.is_some_and(|a| a != o.amount);
        if differs {
            return Err(R::ReversalDiffersFromOriginal);
        }
        let o = o.clone();
        // The reversal debits the original's credit account and credits its debit account.
        let debit = &self.accounts[&o.credit];
        let credit = &self.accounts[&o.debit];
        if debit.closed {
            return Err(R::DebitAccountClosed);
        }
        if credit.closed {
            return Err(R::CreditAccountClosed);
        }
        let mut d = debit.balances;
        let mut c = credit.balances;
        d.debits_posted = add_total(d.debits_posted, o.amount)?;
        c.credits_posted = add_total(c.credits_posted, o.amount)?;
        if debit.floor().is_some_and(|f| d.available() < f) {
            return Err(R::ExceedsFloor);
        }
        if credit.ceiling().is_some_and(|c_max| c.potential() > c_max) {
            return Err(R::ExceedsCeiling);
        }
        self.accounts.get_mut(&o.credit).expect("exists").balances = d;
        self.accounts.get_mut(&o.debit).expect("exists").balances = c;
        self.transfers
            .get_mut(&original_id)
            .expect("exists")
            .reversed_by = Some(t.id);
        self.insert(
            t,
            o.credit,
            o.debit,
            o.unit,
            o.code,
            o.amount,
            ts,
            State::Posted,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        t: &Request,
        debit: u128,
        credit: u128,
        unit: u16,
        code: u16,
        amount: Micro,
        timestamp: u64,
        state: State,
    ) {
        let record = Transfer {
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
        assert!(self.transfers.insert(t.id, record).is_none());
    }

    // ---------------------------------------------------------------------------------------
    // Expiry

    /// Takes one timestamp (the later of `now` and `clock + 1`) and expires every hold whose
    /// timeout ends at or before it: its pending totals are released, and an account its
    /// closing flag closed opens again. Returns their ids, earliest expiry first (then by id).
    /// `Err` for an exhausted clock.
    pub fn expire(&mut self, now: u64) -> Result<Vec<u128>, BatchError> {
        let ts = self.reserve(now, 1)?;
        let mut due: Vec<(u64, u128)> = self
            .transfers
            .values()
            .filter(|t| t.state == State::Pending)
            .filter_map(|t| t.expires_at().map(|at| (at, t.request.id)))
            .filter(|(at, _)| *at <= ts)
            .collect();
        due.sort_unstable();
        for &(_, id) in &due {
            let t = self.transfers.get_mut(&id).expect("collected above");
            t.state = State::PendingExpired;
            let (debit, credit, amount, flags) = (t.debit, t.credit, t.amount, t.request.flags);
            let d = self.accounts.get_mut(&debit).expect("known account");
            d.balances.debits_pending -= amount;
            d.closed &= !has(flags, flag::CLOSING_DEBIT);
            let c = self.accounts.get_mut(&credit).expect("known account");
            c.balances.credits_pending -= amount;
            c.closed &= !has(flags, flag::CLOSING_CREDIT);
        }
        Ok(due.into_iter().map(|(_, id)| id).collect())
    }

    // ---------------------------------------------------------------------------------------
    // Links, eligibility, ratings

    fn check_link(&self, a: u128, b: u128) -> Result<(), R> {
        if a == b {
            return Err(R::AccountsMustBeDifferent);
        }
        let a = self.accounts.get(&a).ok_or(R::AccountNotFound)?;
        let b = self.accounts.get(&b).ok_or(R::AccountNotFound)?;
        let members = a.spec.kind == KIND_MEMBER && b.spec.kind == KIND_MEMBER;
        if !members || a.spec.unit != b.spec.unit {
            return Err(R::LinkInvalid);
        }
        Ok(())
    }

    fn link_count(&self, id: u128) -> usize {
        self.links
            .iter()
            .filter(|(a, b)| *a == id || *b == id)
            .count()
    }

    /// Links pairs of accounts, each event on its own: the two must differ
    /// (`AccountsMustBeDifferent`), exist (`AccountNotFound`) and be members of one unit
    /// (`LinkInvalid`); a pair already linked is `Exists` (with
    /// timestamp 0), and an account with `LINKS_PER_ACCOUNT_MAX` links already is
    /// `TooManyLinks`. `Err` as for [`Model::create_accounts`].
    pub fn link(&mut self, batch: &[(u128, u128)], now: u64) -> Result<Vec<Outcome>, BatchError> {
        self.each(batch, now, |m, &(a, b), _| {
            m.check_link(a, b)?;
            let key = (a.min(b), a.max(b));
            if m.links.contains(&key) {
                return Err(R::Exists);
            }
            if m.link_count(a) >= LINKS_PER_ACCOUNT_MAX || m.link_count(b) >= LINKS_PER_ACCOUNT_MAX
            {
                return Err(R::TooManyLinks);
            }
            m.links.insert(key);
            Ok(())
        })
    }

    /// Removes links, each event on its own, with the checks of [`Model::link`]; a pair not
    /// linked is `LinkNotFound`.
    pub fn unlink(&mut self, batch: &[(u128, u128)], now: u64) -> Result<Vec<Outcome>, BatchError> {
        self.each(batch, now, |m, &(a, b), _| {
            m.check_link(a, b)?;
            if !m.links.remove(&(a.min(b), a.max(b))) {
                return Err(R::LinkNotFound);
            }
            Ok(())
        })
    }

    /// Sets (or, with `None`, clears) each account's eligibility date; an unknown account is
    /// `AccountNotFound`. `Err` as for [`Model::create_accounts`].
    pub fn set_eligibility(
        &mut self,
        batch: &[(u128, Option<u64>)],
        now: u64,
    ) -> Result<Vec<Outcome>, BatchError> {
        self.each(batch, now, |m, &(id, from), _| {
            let account = m.accounts.get_mut(&id).ok_or(R::AccountNotFound)?;
            account.spec.eligible_from = from;
            Ok(())
        })
    }

    /// Rates transfers 1 to 5 (`RatingInvalid` otherwise), each event on its own. Only a posted
    /// transfer that is not a void's or a reversal's record can be rated (`TransferNotFound`
    /// otherwise), and once (`AlreadyRated`). `Err` as for [`Model::create_accounts`].
    pub fn rate(&mut self, batch: &[(u128, u8)], now: u64) -> Result<Vec<Outcome>, BatchError> {
        self.each(batch, now, |m, &(id, rating), _| {
            if !(1..=5).contains(&rating) {
                return Err(R::RatingInvalid);
            }
            let t = m.transfers.get(&id).ok_or(R::TransferNotFound)?;
            // Only what moved value for a service is rated: not a void's record, not a reversal.
            let resolving = t.request.flags & (flag::VOID | flag::REVERSAL) != 0;
            if t.state != State::Posted || resolving {
                return Err(R::TransferNotFound);
            }
            if m.ratings.contains_key(&id) {
                return Err(R::AlreadyRated);
            }
            m.ratings.insert(id, rating);
            Ok(())
        })
    }
}

/// How much a balancing transfer may move given the room its limit leaves.
fn shrink(amount: Micro, room: Micro) -> Option<Micro> {
    if room >= amount {
        Some(amount)
    } else if room > 0 {
        Some(room)
    } else {
        None
    }
}

fn first_difference(stored: &Request, new: &Request) -> Option<R> {
    let checks = [
        (stored.flags != new.flags, R::ExistsWithDifferentFlags),
        (
            stored.debit != new.debit,
            R::ExistsWithDifferentDebitAccountId,
        ),
        (
            stored.credit != new.credit,
            R::ExistsWithDifferentCreditAccountId,
        ),
        (stored.amount != new.amount, R::ExistsWithDifferentAmount),
        (
            stored.related != new.related,
            R::ExistsWithDifferentRelatedId,
        ),
        (stored.unit != new.unit, R::ExistsWithDifferentUnit),
        (stored.code != new.code, R::ExistsWithDifferentCode),
        (
            stored.timeout_s != new.timeout_s,
            R::ExistsWithDifferentTimeout,
        ),
        (
            stored.user_data != new.user_data,
            R::ExistsWithDifferentUserData,
        ),
        (
            stored.served_at != new.served_at,
            R::ExistsWithDifferentServedAt,
        ),
    ];
    checks
        .into_iter()
        .find(|(differs, _)| *differs)
        .map(|(_, code)| code)
}
