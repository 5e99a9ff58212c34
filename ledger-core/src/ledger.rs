//! The engine: a deterministic state machine over accounts and transfers.
//!
//! Every request carries the caller's `now`; the ledger turns it into strictly increasing event
//! timestamps and never reads a clock. The same requests in the same order give the same results
//! and the same [`Ledger::state_digest`].

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::account::{Account, AccountKind, Balances, NewAccount};
use crate::account_table::{AccountTable, Bucket};
use crate::amendment::{Amendment, AmendmentError};
use crate::amount::Amount;
use crate::attribution::{Attribution, Attributions};
use crate::command::{Command, Eligibility, Link, Rating, Reply};
use crate::entry_chain::{failed_entry, FAILED_IDS_CONTEXT};
use crate::evictable::Evictable;
use crate::history::History;
use crate::id::{AccountId, TransferId};
use crate::limits::{
    ACCOUNTS_MAX, BALANCE_WHOLE_MAX, BATCH_EVENTS_MAX, EXPIRED_PER_EXPIRE_MAX,
    PENDING_TIMEOUT_S_MAX, UNITS_MAX, UNIT_SCALE_MAX,
};
use crate::minor::{self, POW10};
use crate::operation::Operations;
use crate::policy::{Policy, PolicyError};
use crate::result::{EventResult, ResultCode};
use crate::rules::{RuleContext, Rules, RulesUndo};
use crate::transfer::{Transfer, TransferFlags, TransferRecord, TransferState};
use crate::transfer_table::TransferTable;
use crate::unit::{Unit, UnitError, UnitId};

/// A whole batch refused before any event in it was looked at. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The batch holds no event.
    #[error("a batch must hold at least one event")]
    Empty,
    /// The batch holds more than [`crate::limits::BATCH_EVENTS_MAX`] events.
    #[error("a batch holds at most {max} events, not {len}", max = BATCH_EVENTS_MAX)]
    TooLarge {
        /// How many events the batch held.
        len: usize,
    },
    /// The batch's timestamps would pass `u64::MAX` nanoseconds.
    #[error("the ledger's clock would pass the largest timestamp")]
    ClockExhausted,
    /// The command amends the policy and the amendment is refused.
    #[error(transparent)]
    Amendment(#[from] AmendmentError),
    /// The command names a transfer or an operation the ledger evicted from memory and the
    /// host has not loaded back ([`Ledger::transfers_to_load`],
    /// [`Ledger::operation_to_load`]).
    #[error("transfer or operation {id} is not in memory: load it before the command")]
    NotLoaded {
        /// The first such id (of a transfer, or of the operation the command retries).
        id: TransferId,
    },
    /// The amendment caps a unit no version capped before, which counts the earnings of every
    /// transfer ever applied in it, and some were evicted from memory.
    #[error("the amendment caps a unit for the first time, which needs every transfer in memory, and some were evicted")]
    HistoryEvicted,
}

/// What to put back if a linked chain fails. Every mutation of a chain pushes one entry first.
#[derive(Debug, Clone)]
enum Undo {
    Account {
        at: Bucket,
        balances: Balances,
        closed: bool,
    },
    TransferInserted(TransferId),
    TransferState {
        id: TransferId,
        state: TransferState,
        reversed_by: Option<TransferId>,
    },
    TimeoutInserted((u64, TransferId)),
    TimeoutRemoved((u64, TransferId)),
    Rules(RulesUndo),
}

/// Events of a transfer batch whose accounts are looked up together (see `look_ahead`).
const LOOKAHEAD: usize = 16;

/// Which side of a transfer an account is on.
#[derive(Debug, Clone, Copy)]
enum Side {
    Debit,
    Credit,
}

/// Where a transfer's debit and credit accounts are in the accounts table (`None`: not named,
/// or no such account).
#[derive(Debug, Clone, Copy, Default)]
struct Resolved {
    debit: Option<Bucket>,
    credit: Option<Bucket>,
}

/// A ledger: units, accounts, transfers and the rules that guard them.
///
/// Every change goes through [`Ledger::execute`] (or the methods it calls) with the time it
/// happens; the same commands at the same times always give the same state.
///
/// ```
/// use ledger_core::{AccountId, AccountKind, Amount, Command, Ledger, NewAccount, Policy, Reply,
///                   ResultCode, Transfer, TransferId};
///
/// let policy = Policy::default_policy();
/// let mut ledger = Ledger::with_policy(&policy).unwrap();
/// let (fund, member) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
/// let open = Command::CreateAccounts(vec![NewAccount::new(fund, 1, AccountKind::Issuer),
///                                         NewAccount::new(member, 1, AccountKind::Member)]);
/// ledger.execute(&open, 1_000).unwrap();
///
/// // Under the default policy a transfer needs a code the policy defines (101: a service).
/// let uncoded = Transfer::new(TransferId::new(1).unwrap(), fund, member,
///                             Amount::parse("1").unwrap(), 1);
/// let service = Transfer::new(TransferId::new(2).unwrap(), fund, member,
///                             Amount::parse("1").unwrap(), 1).code(101);
/// let Reply::Events(results) =
///     ledger.execute(&Command::CreateTransfers(vec![uncoded, service]), 2_000).unwrap()
/// else { unreachable!() };
/// assert_eq!(results[0].code, ResultCode::CodeNotAllowed);
/// assert_eq!(results[1].code, ResultCode::Ok);
/// assert_eq!(ledger.account(member).unwrap().posted().to_string(), "1");
/// assert_eq!(ledger.clock(), 2_001); // one timestamp per event, strictly increasing
/// ```
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) units: BTreeMap<UnitId, Unit>,
    pub(crate) accounts: AccountTable,
    pub(crate) transfers: TransferTable,
    /// The hash chain over the transfers' full chunks (see [`crate::history`]).
    pub(crate) history: History,
    /// Ids whose standalone transfer failed with a transient code: never applied later. Their
    /// chain is the state digest's part 4.
    pub(crate) failed: Evictable<ResultCode>,
    /// Pending transfers with a timeout, by when they expire.
    pub(crate) timeouts: BTreeSet<(u64, TransferId)>,
    /// The last timestamp given to an event.
    pub(crate) clock: u64,
    pub(crate) rules: Rules,
    pub(crate) operations: Operations,
    /// Who ran each command (see [`crate::attribution`]).
    pub(crate) attributions: Attributions,
    /// The attribution of the command being applied.
    acting: Attribution,
    undo: Vec<Undo>,
    /// Whether the event being applied is linked to the next, so that its changes may have to
    /// be undone. A standalone event refuses before it changes anything: it needs no undo log.
    in_chain: bool,
}

impl Ledger {
    /// An empty ledger keeping the given units, with no time-bank rules (every transfer that the
    /// accounting allows is allowed).
    pub fn new(units: Vec<Unit>) -> Result<Ledger, UnitError> {
        Self::with_rules(units, Rules::default())
    }

    /// An empty ledger under `policy`: its units, and the time-bank rules it enforces.
    pub fn with_policy(policy: &Policy) -> Result<Ledger, PolicyError> {
        policy.validate()?;
        Ok(Self::with_rules(
            policy.units.clone(),
            Rules::from_policy(policy),
        )?)
    }

    pub(crate) fn with_rules(units: Vec<Unit>, rules: Rules) -> Result<Ledger, UnitError> {
        if units.is_empty() || units.len() > UNITS_MAX {
            return Err(UnitError::Count(UNITS_MAX));
        }
        let mut map = BTreeMap::new();
        for unit in units {
            unit.validate()?;
            let id = unit.id;
            if map.insert(id, unit).is_some() {
                return Err(UnitError::Duplicate(id));
            }
        }
        Ok(Ledger {
            units: map,
            accounts: AccountTable::default(),
            transfers: TransferTable::default(),
            history: History::default(),
            failed: Evictable::default(),
            timeouts: BTreeSet::new(),
            clock: 0,
            rules,
            operations: Operations::default(),
            attributions: Attributions::default(),
            acting: Attribution::NONE,
            undo: Vec::new(),
            in_chain: false,
        })
    }

    /// Applies one command at `now` (nanoseconds since the Unix epoch), without attribution
    /// (operator 0); see [`Ledger::execute_by`].
    pub fn execute(&mut self, command: &Command, now: u64) -> Result<Reply, BatchError> {
        self.execute_by(command, Attribution::NONE, now)
    }

    /// Applies one command at `now` on behalf of `who`: every event it makes keeps that
    /// attribution ([`Ledger::attribution_at`]); under a policy with rules, a reversal or a
    /// closing by a command with an operator needs a reason (`reason_required`).
    pub fn execute_by(
        &mut self,
        command: &Command,
        who: Attribution,
        now: u64,
    ) -> Result<Reply, BatchError> {
        self.check_loaded(command, now)?;
        self.execute_unchecked(command, who, now)
    }

    /// [`Ledger::execute_by`] once the command is known to name nothing left to load.
    pub(crate) fn execute_unchecked(
        &mut self,
        command: &Command,
        who: Attribution,
        now: u64,
    ) -> Result<Reply, BatchError> {
        let first = now.max(self.clock.saturating_add(1));
        self.acting = who;
        let reply = self.dispatch(command, now);
        self.acting = Attribution::NONE;
        if reply.is_ok() && self.clock >= first {
            self.attributions.record(first, who);
        }
        reply
    }

    /// The attribution of the command that gave the event at `timestamp`.
    pub fn attribution_at(&self, timestamp: u64) -> Attribution {
        self.attributions.at(timestamp)
    }

    /// Refuses a reversal or a closing without a reason, by a command with an operator under a
    /// policy with rules.
    pub(crate) fn check_reason(&self) -> Result<(), ResultCode> {
        let required = self.acting.is_given() && self.rules.policy().is_some();
        if required && self.acting.reason.is_none() {
            return Err(ResultCode::ReasonRequired);
        }
        Ok(())
    }

    /// Applies a command under the attribution in `self.acting`.
    pub(crate) fn dispatch(&mut self, command: &Command, now: u64) -> Result<Reply, BatchError> {
        match command {
            Command::CreateAccounts(batch) => self.create_accounts(batch, now).map(Reply::Events),
            Command::CreateTransfers(batch) => self.create_transfers(batch, now).map(Reply::Events),
            Command::Expire => self.expire(now).map(Reply::Expired),
            Command::LinkAccounts(batch) => self.link_accounts(batch, now).map(Reply::Events),
            Command::UnlinkAccounts(batch) => self.unlink_accounts(batch, now).map(Reply::Events),
            Command::SetEligibility(batch) => self.set_eligibility(batch, now).map(Reply::Events),
            Command::RecordRatings(batch) => self.record_ratings(batch, now).map(Reply::Events),
            Command::CloseAccounts(batch) => self.close_accounts(batch, now).map(Reply::Events),
            Command::Operate(operation) => self.operate(operation, now).map(Reply::Events),
            Command::AmendPolicy(amendment) => self.amend_policy(amendment, now).map(Reply::Events),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Queries

    /// The units the ledger keeps, in id order; fixed for the ledger's life.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The unit with this id, if the ledger keeps it.
    pub fn unit(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(&id)
    }

    /// The account with this id, with its current balances, if it was created.
    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// The transfer with this id as applied (its current state included), if it is in memory;
    /// `None` when it was never applied (including an id that failed, [`Ledger::failed_code`])
    /// or when it was evicted ([`Ledger::evict_transfers`]) and not loaded back.
    pub fn transfer(&self, id: TransferId) -> Option<&TransferRecord> {
        self.transfers.get(&id)
    }

    /// Every account, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Every transfer in memory: all of them, in the order applied, until some are evicted
    /// ([`Ledger::evict_transfers`]); then the newest in the order applied, followed by the
    /// older holds still pending and the records loaded back, in no particular order.
    pub fn transfers(&self) -> impl Iterator<Item = &TransferRecord> {
        self.transfers.iter()
    }

    /// How many accounts were created (closed ones included).
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// How many transfers were applied, in every state (a post or a void is a transfer of its
    /// own; failed ids are not counted), evicted ones included.
    pub fn transfer_count(&self) -> usize {
        self.transfers.len()
    }

    /// How many transfers are in memory (all of them until some are evicted).
    pub fn resident_transfer_count(&self) -> usize {
        self.transfers.resident()
    }

    /// How many transfers were evicted from memory, counting each eviction (a record loaded
    /// back, changed and evicted again counts twice).
    pub fn evicted_transfer_count(&self) -> u64 {
        self.transfers.evicted().len()
    }

    /// Pending transfers not yet posted, voided or expired (always in memory).
    pub fn pending_count(&self) -> usize {
        self.transfers
            .iter()
            .filter(|t| t.state == TransferState::Pending)
            .count()
    }

    /// The last timestamp the ledger gave an event (0 before the first).
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// The code an id failed with, if it did (see [`ResultCode::is_transient`]) and the ledger
    /// holds it in memory (one evicted, [`Ledger::evict_failed`], and not loaded back gives
    /// `None`: its host's store keeps it).
    pub fn failed_code(&self, id: TransferId) -> Option<ResultCode> {
        self.failed.get(&id).copied()
    }

    /// A blake3 hash of the whole state in a canonical order: equal digests mean equal ledgers
    /// (docs/FORMAT.md §5.2). Its cost grows with the accounts and the rule state, not with the
    /// history: the transfers enter through their hash chain ([`crate::history`]), and the
    /// failed ids, ratings and operations through chains of their own
    /// ([`crate::entry_chain`]).
    pub fn state_digest(&self) -> [u8; 32] {
        crate::digest::state_digest(self)
    }

    /// The second state digest, which checkpoints of record format version 6 hold
    /// (docs/FORMAT.md §5.2.2): as [`Ledger::state_digest`], but with every failed id, rating
    /// and operation written out, so it costs what those do. Use [`Ledger::state_digest`] for
    /// anything new.
    ///
    /// `None` once operations were evicted ([`Ledger::evict_operations`]): the second digest
    /// cannot be computed without them.
    pub fn state_digest_v2(&self) -> Option<[u8; 32]> {
        crate::digest::state_digest_v2(self)
    }

    /// The first state digest, which journals of record format version 5 and before hold in
    /// their checkpoints (docs/FORMAT.md §5.2.1): it hashes every transfer, so it costs what
    /// the history does. Use [`Ledger::state_digest`] for anything new.
    ///
    /// `None` once transfers were evicted ([`Ledger::evict_transfers`]): the first digest
    /// cannot be computed without them.
    pub fn state_digest_v1(&self) -> Option<[u8; 32]> {
        crate::digest::state_digest_v1(self)
    }

    /// Hashes into the history chain every full chunk of transfers not in it yet: at the end of
    /// each command that adds transfers, once none of them can be rolled back.
    pub(crate) fn extend_history(&mut self) {
        self.history
            .absorb(self.transfers.first(), self.transfers.records());
    }

    // ---------------------------------------------------------------------------------------
    // Time

    /// Reserves `count` timestamps for a batch at `now`: strictly after every earlier one.
    fn reserve_timestamps(&mut self, now: u64, count: usize) -> Result<u64, BatchError> {
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

    /// Reserves one timestamp at `now` (a command that makes no event still moves the clock).
    pub(crate) fn reserve_one(&mut self, now: u64) -> Result<u64, BatchError> {
        self.reserve_timestamps(now, 1)
    }

    fn check_batch(len: usize) -> Result<(), BatchError> {
        match len {
            0 => Err(BatchError::Empty),
            n if n > BATCH_EVENTS_MAX => Err(BatchError::TooLarge { len: n }),
            _ => Ok(()),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Accounts

    /// Opens accounts. Each event stands alone; an id that exists with the same fields returns
    /// `Exists`, with other fields `AccountExistsWithDifferentFields`.
    pub fn create_accounts(
        &mut self,
        batch: &[NewAccount],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        Self::check_batch(batch.len())?;
        let first = self.reserve_timestamps(now, batch.len())?;
        let results = batch
            .iter()
            // Inclusive: a batch may end at u64::MAX, and `first..` would overflow computing the
            // successor of that last timestamp.
            .zip(first..=u64::MAX)
            .map(
                |(spec, timestamp)| match self.create_account(spec, timestamp) {
                    Ok(()) => EventResult {
                        code: ResultCode::Ok,
                        timestamp,
                    },
                    Err((code, timestamp)) => EventResult { code, timestamp },
                },
            )
            .collect();
        Ok(results)
    }

    fn create_account(
        &mut self,
        spec: &NewAccount,
        timestamp: u64,
    ) -> Result<(), (ResultCode, u64)> {
        if let Some(existing) = self.accounts.get(&spec.id) {
            // The eligibility date may have moved since (`SetEligibility`); a retried creation
            // is the same account whatever date it carries.
            let mut stored = existing.spec();
            stored.eligible_from = spec.eligible_from;
            return Err(if stored == *spec {
                (ResultCode::Exists, existing.timestamp)
            } else {
                (ResultCode::AccountExistsWithDifferentFields, 0)
            });
        }
        let unit = self
            .units
            .get(&spec.unit)
            .ok_or((ResultCode::UnitNotFound, 0))?;
        check_account_limits(spec, unit.scale).map_err(|code| (code, 0))?;
        if self.accounts.len() >= ACCOUNTS_MAX {
            return Err((ResultCode::AccountsFull, 0));
        }
        self.accounts
            .insert(spec.id, Account::open(spec, unit.scale, timestamp));
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Transfers

    /// Applies a batch of transfers, one result per event. Linked chains apply all-or-nothing:
    /// the first failure keeps its own code and the rest of its chain gets `LinkedEventFailed`.
    pub fn create_transfers(
        &mut self,
        batch: &[Transfer],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        Self::check_batch(batch.len())?;
        let first = self.reserve_timestamps(now, batch.len())?;
        let mut results = Vec::with_capacity(batch.len());
        let mut chain_start: Option<usize> = None;
        let mut chain_failed = false;
        self.undo.clear();
        let mut resolved = [Resolved::default(); LOOKAHEAD];
        for (index, transfer) in batch.iter().enumerate() {
            if index % LOOKAHEAD == 0 {
                self.look_ahead(
                    &batch[index..batch.len().min(index + LOOKAHEAD)],
                    &mut resolved,
                );
            }
            let timestamp = first + index as u64;
            let linked = transfer.flags.contains(TransferFlags::LINKED);
            if chain_start.is_none() && linked {
                chain_start = Some(index);
                chain_failed = false;
            }
            let result = if chain_failed {
                EventResult {
                    code: ResultCode::LinkedEventFailed,
                    timestamp: 0,
                }
            } else if linked && index + 1 == batch.len() {
                EventResult {
                    code: ResultCode::LinkedEventChainOpen,
                    timestamp: 0,
                }
            } else {
                self.in_chain = linked;
                let result = self.create_transfer(transfer, timestamp, resolved[index % LOOKAHEAD]);
                self.in_chain = false;
                result
            };
            let failed = result.code != ResultCode::Ok;
            match chain_start {
                Some(start) if failed && !chain_failed => {
                    self.rollback();
                    for earlier in &mut results[start..index] {
                        *earlier = EventResult {
                            code: ResultCode::LinkedEventFailed,
                            timestamp: 0,
                        };
                    }
                    chain_failed = true;
                }
                None if failed && result.code.is_transient() => {
                    let entry = failed_entry(transfer.id.get(), u16::from(result.code));
                    self.failed
                        .insert(transfer.id, result.code, FAILED_IDS_CONTEXT, &entry);
                }
                _ => {}
            }
            results.push(result);
            if !linked {
                chain_start = None;
                chain_failed = false;
                self.undo.clear();
            }
        }
        debug_assert!(self.undo.is_empty() || chain_start.is_some());
        self.undo.clear();
        self.extend_history();
        Ok(results)
    }

    fn rollback(&mut self) {
        while let Some(entry) = self.undo.pop() {
            match entry {
                Undo::Account {
                    at,
                    balances,
                    closed,
                } => {
                    // The account existed when the entry was pushed; accounts are never removed.
                    let account = self.accounts.at_mut(at);
                    account.balances = balances;
                    account.closed = closed;
                }
                Undo::TransferInserted(id) => {
                    self.transfers.pop(id);
                }
                Undo::TransferState {
                    id,
                    state,
                    reversed_by,
                } => {
                    let record = self
                        .transfers
                        .get_mut(&id)
                        .expect("undo of a known transfer");
                    record.state = state;
                    record.reversed_by = reversed_by;
                }
                Undo::TimeoutInserted(key) => {
                    self.timeouts.remove(&key);
                }
                Undo::TimeoutRemoved(key) => {
                    self.timeouts.insert(key);
                }
                Undo::Rules(undo) => self.rules.undo(undo),
            }
        }
    }

    /// Looks up the accounts of the next events together, before any of them applies: the
    /// lookups do not depend on each other, so the processor overlaps their cache misses instead
    /// of waiting for each in turn; it also brings the records, their ids' slots of the
    /// transfer index and the transfers that posts and voids name into the cache. No account
    /// is added while transfers apply, so the buckets stay valid; what applies is decided
    /// later, as without the look-ahead.
    fn look_ahead(&self, next: &[Transfer], resolved: &mut [Resolved; LOOKAHEAD]) {
        for (slot, transfer) in resolved.iter_mut().zip(next) {
            *slot = self.resolve(transfer);
            // Finding the bucket read each record's first line (floor, id, unit, closed); read
            // one field of each further line the checks read (`Account`'s layout), so that
            // their misses overlap here too: the totals of both, the credit's ceiling.
            if let Some(at) = slot.debit {
                std::hint::black_box(self.accounts.at(at).balances.debits_pending);
            }
            if let Some(at) = slot.credit {
                let a = self.accounts.at(at);
                std::hint::black_box((a.balances.debits_pending, a.ceiling.is_some()));
            }
        }
        for transfer in next {
            std::hint::black_box(self.transfers.position(&transfer.id));
            // A post, void or reversal reads the transfer it names: two lines of a record
            // anywhere in the table.
            if let Some(related) = transfer.related_id {
                std::hint::black_box(self.transfers.get(&related).map(|r| r.state));
            }
        }
    }

    /// The buckets of a transfer's debit and credit accounts, where it names them and they exist.
    fn resolve(&self, transfer: &Transfer) -> Resolved {
        let bucket = |id: Option<AccountId>| id.and_then(|id| self.accounts.bucket(&id));
        Resolved {
            debit: bucket(transfer.debit_account_id),
            credit: bucket(transfer.credit_account_id),
        }
    }

    fn create_transfer(
        &mut self,
        transfer: &Transfer,
        timestamp: u64,
        resolved: Resolved,
    ) -> EventResult {
        let outcome = check_shape(transfer).and_then(|()| {
            if let Some(existing) = self.transfers.get(&transfer.id) {
                return Err(match first_difference(&existing.request(), transfer) {
                    None => return Ok(Some(existing.timestamp)),
                    Some(code) => code,
                });
            }
            if self.failed.get(&transfer.id).is_some() {
                return Err(ResultCode::IdAlreadyFailed);
            }
            if self.transfers.is_full() {
                return Err(ResultCode::TransfersFull);
            }
            if transfer.served_at.is_some_and(|at| at > timestamp) {
                return Err(ResultCode::ServedAtInFuture);
            }
            self.rules.check_id(transfer.id)?;
            let flags = transfer.flags;
            let closing = flags.contains(TransferFlags::CLOSING_DEBIT)
                || flags.contains(TransferFlags::CLOSING_CREDIT);
            if closing || flags.contains(TransferFlags::REVERSAL) {
                self.check_reason()?;
            }
            if flags.contains(TransferFlags::POST_PENDING)
                || flags.contains(TransferFlags::VOID_PENDING)
            {
                self.resolve_pending(transfer, timestamp)?;
            } else if flags.contains(TransferFlags::REVERSAL) {
                self.reverse(transfer, timestamp)?;
            } else {
                self.apply_new(transfer, timestamp, resolved)?;
            }
            Ok(None)
        });
        match outcome {
            Ok(None) => EventResult {
                code: ResultCode::Ok,
                timestamp,
            },
            Ok(Some(original)) => EventResult {
                code: ResultCode::Exists,
                timestamp: original,
            },
            Err(code) => EventResult { code, timestamp: 0 },
        }
    }

    /// A plain or pending transfer (possibly balancing or closing).
    fn apply_new(
        &mut self,
        t: &Transfer,
        timestamp: u64,
        resolved: Resolved,
    ) -> Result<(), ResultCode> {
        let debit_id = t.debit_account_id.ok_or(ResultCode::DebitAccountRequired)?;
        let credit_id = t
            .credit_account_id
            .ok_or(ResultCode::CreditAccountRequired)?;
        if debit_id == credit_id {
            return Err(ResultCode::AccountsMustBeDifferent);
        }
        let requested = t.amount.ok_or(ResultCode::AmountRequired)?;
        let unit = self.units.get(&t.unit).ok_or(ResultCode::UnitNotFound)?;
        if !requested.fits_scale(unit.scale) {
            return Err(ResultCode::AmountExceedsUnitScale);
        }
        // Looked up once, ahead (`resolve`): what follows reaches both accounts by bucket.
        let debit_at = resolved.debit.ok_or(ResultCode::DebitAccountNotFound)?;
        let credit_at = resolved.credit.ok_or(ResultCode::CreditAccountNotFound)?;
        let (debit, credit) = (self.accounts.at(debit_at), self.accounts.at(credit_at));
        if debit.unit != credit.unit {
            return Err(ResultCode::AccountsMustHaveTheSameUnit);
        }
        if t.unit != debit.unit {
            return Err(ResultCode::TransferMustHaveTheSameUnitAsAccounts);
        }
        if debit.closed {
            return Err(ResultCode::DebitAccountClosed);
        }
        if credit.closed {
            return Err(ResultCode::CreditAccountClosed);
        }
        let scale = unit.scale;
        let served_at = t.served_at.unwrap_or(timestamp);
        let requested = self
            .rules
            .credits(t.code, t.unit, requested, scale, served_at)?;
        let amount = balanced_amount(t.flags, requested, debit, credit, scale)?;
        let pending = t.flags.contains(TransferFlags::PENDING);
        if self.rules.enforced() {
            let context = RuleContext::new(t, debit, credit, amount, timestamp);
            self.rules.check(&context, &self.accounts)?;
        }
        let minor = amount_minor(amount, scale);
        // One total changes on each side: the pending ones for a hold, else the posted ones.
        let (debit_before, credit_before) = if pending {
            (
                debit.balances.debits_pending,
                credit.balances.credits_pending,
            )
        } else {
            (debit.balances.debits_posted, credit.balances.credits_posted)
        };
        let debit_after = add_total(debit_before, minor, scale)?;
        let credit_after = add_total(credit_before, minor, scale)?;
        // Either debit total lowers what the account may spend by `minor`; either credit total
        // raises the highest it could reach by as much.
        if debit
            .floor
            .is_some_and(|floor| debit.balances.available() - minor < floor)
        {
            return Err(ResultCode::ExceedsFloor);
        }
        if credit
            .ceiling
            .is_some_and(|ceiling| credit.balances.potential() + minor > ceiling)
        {
            return Err(ResultCode::ExceedsCeiling);
        }
        let close_debit = t.flags.contains(TransferFlags::CLOSING_DEBIT);
        let close_credit = t.flags.contains(TransferFlags::CLOSING_CREDIT);
        if close_debit || close_credit {
            // A closing hold empties the account when it posts: judge the balances it leaves
            // then (with the hold still pending, the posted balance has not moved yet).
            let mut debit_settled = debit.balances;
            let mut credit_settled = credit.balances;
            debit_settled.debits_posted = add_total(debit_settled.debits_posted, minor, scale)?;
            credit_settled.credits_posted = add_total(credit_settled.credits_posted, minor, scale)?;
            if (close_debit && !settles_empty(&debit_settled))
                || (close_credit && !settles_empty(&credit_settled))
            {
                return Err(ResultCode::ClosingLeavesBalance);
            }
        }

        if self.rules.enforced() {
            let context = RuleContext::new(t, debit, credit, amount, timestamp);
            let rules_undo = self.rules.record(&context, self.in_chain);
            self.push_undo(Undo::Rules(rules_undo));
        }
        self.set_total(debit_at, Side::Debit, pending, debit_after, close_debit);
        self.set_total(credit_at, Side::Credit, pending, credit_after, close_credit);
        let mut record =
            TransferRecord::new(t, debit_id, credit_id, t.unit, t.code, amount, timestamp);
        if pending {
            record.state = TransferState::Pending;
        }
        if pending {
            if let Some(at) = record.expires_at() {
                self.timeouts.insert((at, t.id));
                self.push_undo(Undo::TimeoutInserted((at, t.id)));
            }
        }
        self.insert_transfer(record);
        Ok(())
    }

    /// A post or a void of a pending transfer.
    fn resolve_pending(&mut self, t: &Transfer, timestamp: u64) -> Result<(), ResultCode> {
        // check_shape guarantees a related id for posts and voids.
        let pending_id = t.related_id.ok_or(ResultCode::RelatedIdInvalid)?;
        let pending = self
            .transfers
            .get(&pending_id)
            .ok_or(ResultCode::PendingTransferNotFound)?;
        if !pending.flags().contains(TransferFlags::PENDING) {
            return Err(ResultCode::PendingTransferNotPending);
        }
        match pending.state {
            TransferState::Pending => {}
            TransferState::PendingPosted => return Err(ResultCode::PendingTransferAlreadyPosted),
            TransferState::PendingVoided => return Err(ResultCode::PendingTransferAlreadyVoided),
            TransferState::PendingExpired | TransferState::Posted => {
                return Err(ResultCode::PendingTransferExpired)
            }
        }
        if t.debit_account_id
            .is_some_and(|id| id != pending.debit_account_id)
        {
            return Err(ResultCode::PendingTransferHasDifferentDebitAccountId);
        }
        if t.credit_account_id
            .is_some_and(|id| id != pending.credit_account_id)
        {
            return Err(ResultCode::PendingTransferHasDifferentCreditAccountId);
        }
        if t.unit != 0 && t.unit != pending.unit {
            return Err(ResultCode::PendingTransferHasDifferentUnit);
        }
        if t.code != 0 && t.code != pending.code {
            return Err(ResultCode::PendingTransferHasDifferentCode);
        }
        if pending.expires_at().is_some_and(|at| at <= timestamp) {
            return Err(ResultCode::PendingTransferExpired);
        }
        let post = t.flags.contains(TransferFlags::POST_PENDING);
        // A stored transfer's unit exists: units are fixed for the ledger's life.
        let scale = self.units.get(&pending.unit).map_or(0, |u| u.scale);
        // A post names the hours served (the ledger credits hours × weight), a void the
        // amount held.
        let amount = match t.amount {
            None => pending.amount,
            Some(a) if post => {
                let served_at = t.served_at.unwrap_or(timestamp);
                self.rules
                    .credits(pending.code, pending.unit, a, scale, served_at)?
            }
            Some(a) => a,
        };
        if amount > pending.amount || (!post && amount != pending.amount) {
            return Err(ResultCode::ExceedsPendingAmount);
        }
        if !amount.fits_scale(scale) {
            return Err(ResultCode::AmountExceedsUnitScale);
        }
        // Posting part of a closing hold would release the rest onto a closed account.
        let closing = pending.flags().contains(TransferFlags::CLOSING_DEBIT)
            || pending.flags().contains(TransferFlags::CLOSING_CREDIT);
        if post && closing && amount != pending.amount {
            return Err(ResultCode::ClosingLeavesBalance);
        }
        let pending = pending.clone();
        // A stored transfer's accounts exist: accounts are never removed.
        let debit_at = self.accounts.bucket(&pending.debit_account_id);
        let credit_at = self.accounts.bucket(&pending.credit_account_id);
        let (Some(debit_at), Some(credit_at)) = (debit_at, credit_at) else {
            unreachable!("a stored transfer's accounts exist");
        };
        let (debit, credit) = (self.accounts.at(debit_at), self.accounts.at(credit_at));
        let held = amount_minor(pending.amount, scale);
        let (mut debit_after, mut credit_after) = (debit.balances, credit.balances);
        release_from(&mut debit_after.debits_pending, held);
        release_from(&mut credit_after.credits_pending, held);
        let mut rules_undo = None;
        if post {
            let minor = amount_minor(amount, scale);
            add_to(&mut debit_after.debits_posted, minor, scale)?;
            add_to(&mut credit_after.credits_posted, minor, scale)?;
            let context = RuleContext::posting(&pending, t, debit, credit, amount, timestamp);
            self.rules.check(&context, &self.accounts)?;
            rules_undo = Some(self.rules.record(&context, self.in_chain));
        }
        if let Some(undo) = rules_undo {
            self.push_undo(Undo::Rules(undo));
        }
        // Posting keeps a closed account closed; voiding a closing transfer reopens it.
        let reopen_debit = !post && pending.flags().contains(TransferFlags::CLOSING_DEBIT);
        let reopen_credit = !post && pending.flags().contains(TransferFlags::CLOSING_CREDIT);
        let debit_closed = self.accounts.at(debit_at).closed && !reopen_debit;
        let credit_closed = self.accounts.at(credit_at).closed && !reopen_credit;
        self.set_account_state(debit_at, debit_after, debit_closed);
        self.set_account_state(credit_at, credit_after, credit_closed);
        let new_state = if post {
            TransferState::PendingPosted
        } else {
            TransferState::PendingVoided
        };
        self.set_transfer_state(pending_id, new_state, None);
        if let Some(at) = pending.expires_at() {
            self.timeouts.remove(&(at, pending_id));
            self.push_undo(Undo::TimeoutRemoved((at, pending_id)));
        }
        self.insert_transfer(TransferRecord::new(
            t,
            pending.debit_account_id,
            pending.credit_account_id,
            pending.unit,
            pending.code,
            amount,
            timestamp,
        ));
        Ok(())
    }

    /// A reversal: the original's amount moves back, and the original is marked reversed.
    fn reverse(&mut self, t: &Transfer, timestamp: u64) -> Result<(), ResultCode> {
        let original_id = t.related_id.ok_or(ResultCode::RelatedIdInvalid)?;
        let original = self
            .transfers
            .get(&original_id)
            .ok_or(ResultCode::ReversedTransferNotFound)?;
        let reversible = original.state == TransferState::Posted
            && !original.flags().contains(TransferFlags::VOID_PENDING)
            && !original.flags().contains(TransferFlags::REVERSAL);
        if !reversible {
            return Err(ResultCode::TransferNotReversible);
        }
        if original.reversed_by.is_some() {
            return Err(ResultCode::AlreadyReversed);
        }
        let differs = t
            .debit_account_id
            .is_some_and(|id| id != original.credit_account_id)
            || t.credit_account_id
                .is_some_and(|id| id != original.debit_account_id)
            || (t.unit != 0 && t.unit != original.unit)
            || (t.code != 0 && t.code != original.code)
            || t.amount.is_some_and(|a| a != original.amount);
        if differs {
            return Err(ResultCode::ReversalDiffersFromOriginal);
        }
        let original = original.clone();
        let (Some(debit_at), Some(credit_at)) = (
            self.accounts.bucket(&original.credit_account_id),
            self.accounts.bucket(&original.debit_account_id),
        ) else {
            unreachable!("a stored transfer's accounts exist");
        };
        let (debit, credit) = (self.accounts.at(debit_at), self.accounts.at(credit_at));
        if debit.closed {
            return Err(ResultCode::DebitAccountClosed);
        }
        if credit.closed {
            return Err(ResultCode::CreditAccountClosed);
        }
        let amount = original.amount;
        let context = RuleContext::reversing(&original, t, debit, credit, timestamp);
        self.rules.check(&context, &self.accounts)?;
        let scale = self.units.get(&original.unit).map_or(0, |u| u.scale);
        let minor = amount_minor(amount, scale);
        let (mut debit_after, mut credit_after) = (debit.balances, credit.balances);
        add_to(&mut debit_after.debits_posted, minor, scale)?;
        add_to(&mut credit_after.credits_posted, minor, scale)?;
        check_floor(debit, &debit_after)?;
        check_ceiling(credit, &credit_after)?;
        let rules_undo = self.rules.record(&context, self.in_chain);
        self.push_undo(Undo::Rules(rules_undo));
        self.set_account(debit_at, debit_after, false);
        self.set_account(credit_at, credit_after, false);
        self.set_transfer_state(original_id, original.state, Some(t.id));
        self.insert_transfer(TransferRecord::new(
            t,
            original.credit_account_id,
            original.debit_account_id,
            original.unit,
            original.code,
            amount,
            timestamp,
        ));
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Relations the host registers: family links, eligibility dates, ratings

    /// Registers family links (symmetric) between member accounts, along which gifts may move.
    pub fn link_accounts(
        &mut self,
        batch: &[Link],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.each_event(batch, now, |ledger, link| {
            ledger.check_link(link)?;
            ledger.rules.link(link.a, link.b)
        })
    }

    /// Removes family links.
    pub fn unlink_accounts(
        &mut self,
        batch: &[Link],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.each_event(batch, now, |ledger, link| {
            ledger.check_link(link)?;
            ledger.rules.unlink(link.a, link.b)
        })
    }

    /// Sets (or clears) the date from which an account may pay for care.
    pub fn set_eligibility(
        &mut self,
        batch: &[Eligibility],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.each_event(batch, now, |ledger, e| {
            let account = ledger
                .accounts
                .get_mut(&e.account)
                .ok_or(ResultCode::AccountNotFound)?;
            account.eligible_from = e.from;
            Ok(())
        })
    }

    /// Records the recipient's rating (1 to 5) of a posted transfer, at most once.
    pub fn record_ratings(
        &mut self,
        batch: &[Rating],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.each_event(batch, now, |ledger, r| {
            if !(1..=5).contains(&r.rating) {
                return Err(ResultCode::RatingInvalid);
            }
            let record = ledger
                .transfers
                .get(&r.transfer)
                .ok_or(ResultCode::TransferNotFound)?;
            // Only what moved value for a service can be rated: not a hold (its post is rated),
            // not the record of a void, not a reversal.
            let flags = record.flags();
            if record.state != TransferState::Posted
                || flags.contains(TransferFlags::VOID_PENDING)
                || flags.contains(TransferFlags::REVERSAL)
            {
                return Err(ResultCode::TransferNotFound);
            }
            ledger.rules.rate(r.transfer, r.rating)
        })
    }

    /// Closes empty accounts: the balance zero, nothing pending (DOMAIN.md §3.11: a dormant
    /// account closes, its history kept). An account already closed gives `Exists`.
    pub fn close_accounts(
        &mut self,
        batch: &[AccountId],
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.each_event(batch, now, |ledger, id| {
            let known = ledger.accounts.get(id);
            if known.ok_or(ResultCode::AccountNotFound)?.closed {
                return Err(ResultCode::Exists);
            }
            ledger.check_reason()?;
            let account = ledger
                .accounts
                .get_mut(id)
                .ok_or(ResultCode::AccountNotFound)?;
            if !account.balances.is_empty() {
                return Err(ResultCode::ClosingLeavesBalance);
            }
            account.closed = true;
            Ok(())
        })
    }

    fn check_link(&self, link: &Link) -> Result<(), ResultCode> {
        if link.a == link.b {
            return Err(ResultCode::AccountsMustBeDifferent);
        }
        let a = self
            .accounts
            .get(&link.a)
            .ok_or(ResultCode::AccountNotFound)?;
        let b = self
            .accounts
            .get(&link.b)
            .ok_or(ResultCode::AccountNotFound)?;
        if a.kind != crate::account::AccountKind::Member
            || b.kind != crate::account::AccountKind::Member
            || a.unit != b.unit
        {
            return Err(ResultCode::LinkInvalid);
        }
        Ok(())
    }

    /// Applies a standalone (never linked) event to each item of a batch.
    fn each_event<T>(
        &mut self,
        batch: &[T],
        now: u64,
        mut apply: impl FnMut(&mut Ledger, &T) -> Result<(), ResultCode>,
    ) -> Result<Vec<EventResult>, BatchError> {
        Self::check_batch(batch.len())?;
        let first = self.reserve_timestamps(now, batch.len())?;
        Ok(batch
            .iter()
            // Inclusive: a batch may end at u64::MAX, and `first..` would overflow computing the
            // successor of that last timestamp.
            .zip(first..=u64::MAX)
            .map(|(item, timestamp)| match apply(self, item) {
                Ok(()) => EventResult {
                    code: ResultCode::Ok,
                    timestamp,
                },
                Err(code) => EventResult { code, timestamp: 0 },
            })
            .collect())
    }

    // ---------------------------------------------------------------------------------------
    // Policy amendments

    /// Amends the policy from `amendment.from` on ([`crate::amendment`]): one event, or the
    /// whole command refused with [`BatchError::Amendment`] (nothing changed, the clock
    /// included).
    pub fn amend_policy(
        &mut self,
        amendment: &Amendment,
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        self.check_amendment(amendment)?;
        let timestamp = self.reserve_one(now)?;
        self.rules.amend(amendment, &self.transfers, &self.accounts);
        Ok(vec![EventResult {
            code: ResultCode::Ok,
            timestamp,
        }])
    }

    fn check_amendment(&self, amendment: &Amendment) -> Result<(), AmendmentError> {
        let current = self
            .rules
            .policy_at(u64::MAX)
            .ok_or(AmendmentError::LedgerWithoutRules)?;
        let new = &amendment.policy;
        new.validate().map_err(AmendmentError::Invalid)?;
        if !new.has_rules() {
            return Err(AmendmentError::RulesRemoved);
        }
        let mut units = new.units.clone();
        units.sort_by_key(|u| u.id);
        if units.iter().ne(self.units.values()) {
            return Err(AmendmentError::UnitsChanged);
        }
        if let Some(dropped) = current
            .expiry
            .iter()
            .find(|old| new.expiry.iter().all(|e| e.unit != old.unit))
        {
            return Err(AmendmentError::ExpiryDropped(dropped.unit));
        }
        for expiry in &new.expiry {
            match self.accounts.get(&expiry.account) {
                Some(a) if a.kind == AccountKind::Expiry && a.unit == expiry.unit => {}
                _ => return Err(AmendmentError::ExpiryAccountNotFound(expiry.account)),
            }
        }
        if amendment.from <= self.clock {
            return Err(AmendmentError::NotAfterClock {
                from: amendment.from,
                clock: self.clock,
            });
        }
        if let Some(previous) = self.rules.last_amendment() {
            if amendment.from <= previous {
                return Err(AmendmentError::NotAfterPreviousAmendment {
                    from: amendment.from,
                    previous,
                });
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Expiry

    /// Releases the pending transfers whose timeout has passed by `now`, oldest first (at most
    /// `EXPIRED_PER_EXPIRE_MAX`; the rest wait for the next call); then,
    /// under a policy whose units expire, sweeps the credits past their lifetime to the unit's
    /// expiry account. Returns the released holds, then the sweep transfers applied (their ids
    /// have `SWEEP_TRANSFER_ID_BIT` set).
    pub fn expire(&mut self, now: u64) -> Result<Vec<TransferId>, BatchError> {
        let timestamp = self.reserve_timestamps(now, 1)?;
        let mut expired = Vec::new();
        while let Some(&(at, id)) = self.timeouts.first() {
            if at > timestamp || expired.len() >= EXPIRED_PER_EXPIRE_MAX {
                break;
            }
            self.timeouts.remove(&(at, id));
            let record = self.transfers[&id].clone();
            let scale = self.units.get(&record.unit).map_or(0, |u| u.scale);
            let held = amount_minor(record.amount, scale);
            let mut debit = self.accounts[&record.debit_account_id].balances;
            let mut credit = self.accounts[&record.credit_account_id].balances;
            release_from(&mut debit.debits_pending, held);
            release_from(&mut credit.credits_pending, held);
            let reopen_debit = record.flags().contains(TransferFlags::CLOSING_DEBIT);
            let reopen_credit = record.flags().contains(TransferFlags::CLOSING_CREDIT);
            let account = self
                .accounts
                .get_mut(&record.debit_account_id)
                .expect("known account");
            account.balances = debit;
            account.closed &= !reopen_debit;
            let account = self
                .accounts
                .get_mut(&record.credit_account_id)
                .expect("known account");
            account.balances = credit;
            account.closed &= !reopen_credit;
            let stored = self.transfers.get_mut(&id).expect("known transfer");
            stored.state = TransferState::PendingExpired;
            expired.push(id);
        }
        self.sweep(timestamp, &mut expired);
        self.extend_history();
        Ok(expired)
    }

    /// Applies the rules' due sweeps, each standalone; one that fails (its account closed or
    /// missing) changes nothing and is tried again by the next `expire`.
    fn sweep(&mut self, at: u64, applied: &mut Vec<TransferId>) {
        let sweeps = self.rules.due_sweeps(at, &self.accounts);
        if sweeps.is_empty() {
            return;
        }
        // Past the year 2554 the clock is exhausted: no sweep then, rather than a partial one.
        let Ok(first) = self.reserve_timestamps(at, sweeps.len()) else {
            return;
        };
        self.rules.sweeping = true;
        for (sweep, timestamp) in sweeps.iter().zip(first..=u64::MAX) {
            self.undo.clear();
            let resolved = self.resolve(sweep);
            if self.create_transfer(sweep, timestamp, resolved).code == ResultCode::Ok {
                applied.push(sweep.id);
            }
        }
        self.rules.sweeping = false;
        self.undo.clear();
    }

    // ---------------------------------------------------------------------------------------
    // Mutations (each pushes its undo entry first)

    fn push_undo(&mut self, entry: Undo) {
        if self.in_chain {
            self.undo.push(entry);
        }
    }

    fn set_account(&mut self, at: Bucket, balances: Balances, close: bool) {
        self.update_account(at, balances, |closed| closed || close);
    }

    /// Sets the one total of an account a new transfer changes (its side's pending or posted
    /// total), and closes the account when `close`: only that total is written, not all four.
    fn set_total(&mut self, at: Bucket, side: Side, pending: bool, value: i128, close: bool) {
        let account = self.account_to_change(at);
        let b = &mut account.balances;
        *match (side, pending) {
            (Side::Debit, true) => &mut b.debits_pending,
            (Side::Debit, false) => &mut b.debits_posted,
            (Side::Credit, true) => &mut b.credits_pending,
            (Side::Credit, false) => &mut b.credits_posted,
        } = value;
        account.closed |= close;
    }

    /// The account at `at`, to be changed; inside a linked chain, what it was is kept first
    /// so that a failed chain puts it back.
    fn account_to_change(&mut self, at: Bucket) -> &mut Account {
        let account = self.accounts.at_mut(at);
        if self.in_chain {
            self.undo.push(Undo::Account {
                at,
                balances: account.balances,
                closed: account.closed,
            });
        }
        account
    }

    fn set_account_state(&mut self, at: Bucket, balances: Balances, closed: bool) {
        self.update_account(at, balances, |_| closed);
    }

    /// No lookup per account change (the bucket came from the transfer's checks): this is the
    /// hot path of every transfer.
    fn update_account(&mut self, at: Bucket, balances: Balances, closed: impl Fn(bool) -> bool) {
        let account = self.account_to_change(at);
        account.balances = balances;
        account.closed = closed(account.closed);
    }

    fn set_transfer_state(
        &mut self,
        id: TransferId,
        state: TransferState,
        reversed_by: Option<TransferId>,
    ) {
        let record = self
            .transfers
            .get_mut(&id)
            .expect("transfers are checked before mutation");
        if self.in_chain {
            self.undo.push(Undo::TransferState {
                id,
                state: record.state,
                reversed_by: record.reversed_by,
            });
        }
        record.state = state;
        if reversed_by.is_some() {
            record.reversed_by = reversed_by;
        }
    }

    fn insert_transfer(&mut self, record: TransferRecord) {
        let id = record.id();
        self.push_undo(Undo::TransferInserted(id));
        self.transfers.push(record);
    }
}

/// Checks that need nothing but the request itself.
fn check_shape(t: &Transfer) -> Result<(), ResultCode> {
    let flags = t.flags;
    // Most requests are plain transfers and holds: of the checks below only those of the
    // service date and the timeout can refuse one.
    let plain = TransferFlags::LINKED.union(TransferFlags::PENDING);
    if flags.without(plain).is_empty() && t.related_id.is_none() {
        let pending = flags.contains(TransferFlags::PENDING);
        return match (pending, t.timeout_s) {
            (true, _) if t.served_at.is_some() => Err(ResultCode::ServedAtNotAllowed),
            (true, timeout) if timeout > PENDING_TIMEOUT_S_MAX => Err(ResultCode::TimeoutTooLarge),
            (false, timeout) if timeout != 0 => Err(ResultCode::TimeoutReservedForPending),
            _ => Ok(()),
        };
    }
    if flags.0 & !TransferFlags::ALL.0 != 0 {
        return Err(ResultCode::FlagsReserved);
    }
    let kinds = [
        TransferFlags::PENDING,
        TransferFlags::POST_PENDING,
        TransferFlags::VOID_PENDING,
        TransferFlags::REVERSAL,
    ];
    if kinds.iter().filter(|k| flags.contains(**k)).count() > 1 {
        return Err(ResultCode::FlagsAreMutuallyExclusive);
    }
    let resolving = flags.contains(TransferFlags::POST_PENDING)
        || flags.contains(TransferFlags::VOID_PENDING)
        || flags.contains(TransferFlags::REVERSAL);
    let shaping = [
        TransferFlags::BALANCING_DEBIT,
        TransferFlags::BALANCING_CREDIT,
        TransferFlags::CLOSING_DEBIT,
        TransferFlags::CLOSING_CREDIT,
    ];
    if resolving && shaping.iter().any(|f| flags.contains(*f)) {
        return Err(ResultCode::FlagsAreMutuallyExclusive);
    }
    if resolving != t.related_id.is_some() {
        return Err(ResultCode::RelatedIdInvalid);
    }
    let no_service = flags.contains(TransferFlags::PENDING)
        || flags.contains(TransferFlags::VOID_PENDING)
        || flags.contains(TransferFlags::REVERSAL);
    if t.served_at.is_some() && no_service {
        return Err(ResultCode::ServedAtNotAllowed);
    }
    if t.timeout_s != 0 && !flags.contains(TransferFlags::PENDING) {
        return Err(ResultCode::TimeoutReservedForPending);
    }
    if t.timeout_s > PENDING_TIMEOUT_S_MAX {
        return Err(ResultCode::TimeoutTooLarge);
    }
    Ok(())
}

/// The first field in which a resubmitted request differs from the stored one.
fn first_difference(stored: &Transfer, new: &Transfer) -> Option<ResultCode> {
    if stored.flags != new.flags {
        Some(ResultCode::ExistsWithDifferentFlags)
    } else if stored.debit_account_id != new.debit_account_id {
        Some(ResultCode::ExistsWithDifferentDebitAccountId)
    } else if stored.credit_account_id != new.credit_account_id {
        Some(ResultCode::ExistsWithDifferentCreditAccountId)
    } else if stored.amount != new.amount {
        Some(ResultCode::ExistsWithDifferentAmount)
    } else if stored.related_id != new.related_id {
        Some(ResultCode::ExistsWithDifferentRelatedId)
    } else if stored.unit != new.unit {
        Some(ResultCode::ExistsWithDifferentUnit)
    } else if stored.code != new.code {
        Some(ResultCode::ExistsWithDifferentCode)
    } else if stored.timeout_s != new.timeout_s {
        Some(ResultCode::ExistsWithDifferentTimeout)
    } else if stored.user_data != new.user_data {
        Some(ResultCode::ExistsWithDifferentUserData)
    } else if stored.served_at != new.served_at {
        Some(ResultCode::ExistsWithDifferentServedAt)
    } else {
        None
    }
}

fn check_account_limits(spec: &NewAccount, scale: u32) -> Result<(), ResultCode> {
    let max = BALANCE_MAX_MINOR[scale as usize];
    for limit in [spec.floor, spec.ceiling].into_iter().flatten() {
        match minor::from_decimal(limit, scale) {
            Some(m) if m.abs() <= max => {}
            _ => return Err(ResultCode::AccountLimitOutOfRange),
        }
    }
    let floor_ok = spec.floor.is_none_or(|f| f <= Decimal::ZERO);
    let ceiling_ok = spec.ceiling.is_none_or(|c| c >= Decimal::ZERO);
    if !floor_ok || !ceiling_ok {
        return Err(ResultCode::AccountLimitsInvalid);
    }
    Ok(())
}

/// The largest total a balance may reach, in minor units of each scale.
const BALANCE_MAX_MINOR: [i128; UNIT_SCALE_MAX as usize + 1] = {
    let mut table = [0i128; UNIT_SCALE_MAX as usize + 1];
    let mut i = 0;
    while i < table.len() {
        table[i] = BALANCE_WHOLE_MAX as i128 * POW10[i] as i128;
        i += 1;
    }
    table
};

/// An amount in minor units of `scale`: its millionths divided by the step of the scale. Every
/// amount the engine moves fits its unit's scale (checked on entry), so nothing is truncated.
fn amount_minor(amount: Amount, scale: u32) -> i128 {
    debug_assert!(amount.fits_scale(scale));
    i128::from(minor::div_rem_pow10(amount.micros(), UNIT_SCALE_MAX - scale).0)
}

/// Adds `amount` (minor units) to one total, refused past `BALANCE_WHOLE_MAX` (checked
/// arithmetic: an overflow in a ledger is never wrapped or saturated).
fn add_to(total: &mut i128, amount: i128, scale: u32) -> Result<(), ResultCode> {
    *total = add_total(*total, amount, scale)?;
    Ok(())
}

/// Takes a released hold (minor units) off one pending total.
fn release_from(total: &mut i128, amount: i128) {
    debug_assert!(*total >= amount, "a hold is released at most once");
    *total -= amount;
}

/// `total + amount`, refused past `BALANCE_WHOLE_MAX`.
fn add_total(total: i128, amount: i128, scale: u32) -> Result<i128, ResultCode> {
    total
        .checked_add(amount)
        .filter(|t| *t <= BALANCE_MAX_MINOR[scale as usize])
        .ok_or(ResultCode::OverflowsBalance)
}

/// The amount a (possibly balancing) transfer moves: the request, or less where a balancing
/// flag lets the limits decide.
fn balanced_amount(
    flags: TransferFlags,
    requested: Amount,
    debit: &Account,
    credit: &Account,
    scale: u32,
) -> Result<Amount, ResultCode> {
    let mut amount = requested;
    if flags.contains(TransferFlags::BALANCING_DEBIT) {
        if let Some(floor) = debit.floor {
            let room = debit.balances.available() - floor;
            amount = shrink_to(amount, room, scale).ok_or(ResultCode::ExceedsFloor)?;
        }
    }
    if flags.contains(TransferFlags::BALANCING_CREDIT) {
        if let Some(ceiling) = credit.ceiling {
            let room = ceiling - credit.balances.potential();
            amount = shrink_to(amount, room, scale).ok_or(ResultCode::ExceedsCeiling)?;
        }
    }
    Ok(amount)
}

fn shrink_to(amount: Amount, room: i128, scale: u32) -> Option<Amount> {
    if room >= amount_minor(amount, scale) {
        return Some(amount);
    }
    // Here 0 < room < amount, so it fits u64; at or below zero nothing can move.
    let room = u64::try_from(room).ok()?;
    Amount::from_minor(room, scale).ok()
}

/// Debits may only grow where the floor allows (pending debits count against it).
fn check_floor(account: &Account, after: &Balances) -> Result<(), ResultCode> {
    match account.floor {
        Some(floor) if after.available() < floor => Err(ResultCode::ExceedsFloor),
        _ => Ok(()),
    }
}

/// Credits may only grow where the ceiling allows (pending credits count against it).
fn check_ceiling(account: &Account, after: &Balances) -> Result<(), ResultCode> {
    match account.ceiling {
        Some(ceiling) if after.potential() > ceiling => Err(ResultCode::ExceedsCeiling),
        _ => Ok(()),
    }
}

/// Whether totals leave nothing on the account once its holds settle: nothing to spend and
/// nothing to come.
fn settles_empty(b: &Balances) -> bool {
    b.available() == 0 && b.potential() == 0
}
