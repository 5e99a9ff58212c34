//! Domain operations as one command: planned and applied by the ledger itself, in one step.
//!
//! A host that plans with [`crate::timebank`] and then submits the plan reads the ledger, lets
//! go, and writes: two hosts recording services for one member can both plan "under the cap",
//! and a retry after a timeout re-plans against a ledger that has moved on. A
//! [`crate::Command::Operate`] closes both gaps. The ledger plans the
//! operation against its state at that moment and applies the plan's transfers, ratings and
//! closes within the same command (one journal record in the store, so a completion and its
//! rating are never split), and it remembers the outcome under the operation's id:
//!
//! - the same id with the same arguments returns the original outcome, whatever the ledger's
//!   state now: each event that applied then answers `exists` with its original timestamp, each
//!   refusal answers its original code; nothing changes;
//! - the same id with other arguments is refused, with a code naming the first argument that
//!   differs (`operation_exists_with_different_*`), and nothing changes.
//!
//! The operation's id is also the first of the consecutive transfer ids its plan uses.
//! A refusal by the planner (an unknown account, a transfer that is not a booking) is one event
//! with the planner's result code ([`crate::timebank::PlanError::code`]).

use serde::{Deserialize, Serialize};

use crate::arrival::{Arrival, ARRIVAL_LOTS_MAX};
use crate::command::{Command, Reply};
use crate::entry_chain::OPERATIONS_CONTEXT;
use crate::evictable::Evictable;
use crate::id::{AccountId, TransferId};
use crate::ledger::{BatchError, Ledger};
use crate::limits::BATCH_EVENTS_MAX;
use crate::result::{EventResult, ResultCode};
use crate::timebank::{
    self, Booking, Closing, Completion, Gift, Plan, PlanError, PointsAward, Redemption,
    ServiceRecord,
};

/// One domain operation and the host's request id for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The request id: retries carry the same one. Also the first transfer id of the plan.
    pub id: TransferId,
    /// What the operation does, with its fields.
    pub kind: OperationKind,
}

/// What the operation does (see the planners in [`crate::timebank`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationKind {
    /// A service (or a care withdrawal) done, with optional points for the same act.
    Service(ServiceRecord),
    /// A booking holding the payer's hours.
    Booking(Booking),
    /// A booking's completion with its rating, in one step.
    Completion(Completion),
    /// A booking's cancellation.
    Cancellation {
        /// The booking's hold, voided.
        booking: TransferId,
    },
    /// Hours to family or a pool.
    Gift(Gift),
    /// Points for acts.
    Award(PointsAward),
    /// Points spent.
    Redemption(Redemption),
    /// Accounts closed, their balances moved (or closed empty).
    Closing(Closing),
    /// A posted transfer reversed.
    Reversal {
        /// The posted transfer reversed.
        original: TransferId,
    },
    /// Hours arriving from another ledger, with the state the rules kept for them there
    /// ([`crate::arrival`]).
    Arrival(Arrival),
}

impl OperationKind {
    /// The stable name of the kind, as the CLI and the journal docs use it.
    pub fn name(&self) -> &'static str {
        match self {
            OperationKind::Service(_) => "service",
            OperationKind::Booking(_) => "booking",
            OperationKind::Completion(_) => "completion",
            OperationKind::Cancellation { .. } => "cancellation",
            OperationKind::Gift(_) => "gift",
            OperationKind::Award(_) => "award",
            OperationKind::Redemption(_) => "redemption",
            OperationKind::Closing(_) => "closing",
            OperationKind::Reversal { .. } => "reversal",
            OperationKind::Arrival(_) => "arrival",
        }
    }
}

/// What the ledger remembers of an operation it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRecord {
    /// The operation as first submitted (a retry must match it).
    pub kind: OperationKind,
    /// The outcome as first returned: the plan's transfer events, then its ratings, then its
    /// closes; or one event with the planner's refusal.
    pub results: Vec<EventResult>,
    /// The transfer ids of the plan, in the order of the first results.
    pub transfers: Vec<TransferId>,
    /// The accounts the plan closed empty, in the order of the last results.
    pub closes: Vec<AccountId>,
}

/// The operations a ledger ran (see [`crate::evictable`]).
pub(crate) type Operations = Evictable<OperationRecord>;

impl Evictable<OperationRecord> {
    /// Remembers an operation the ledger ran.
    pub fn insert_operation(&mut self, id: TransferId, record: OperationRecord) {
        let entry = digest_entry(id, &record);
        self.insert(id, record, OPERATIONS_CONTEXT, &entry);
    }

    /// Feeds the operations into the state digest: their chain, or (`whole`, the digests
    /// before the third) every operation in id order, which only a ledger that evicted none
    /// can give; nothing when there are none, so a ledger that never ran one keeps the digest
    /// it always had.
    pub fn digest(&self, h: &mut crate::digest::Digester, whole: bool) {
        if self.chain.count == 0 {
            return;
        }
        if !whole {
            self.chain.write(h);
            return;
        }
        h.update(&(self.len() as u64).to_le_bytes());
        for (id, record) in self.sorted() {
            h.update(&digest_entry(id, record));
        }
    }
}

/// An operation as the state digest writes it: id u128 ‖ the kind's name (ASCII) ‖ result count
/// u64 ‖ per result: code u16 ‖ timestamp u64.
fn digest_entry(id: TransferId, record: &OperationRecord) -> Vec<u8> {
    let name = record.kind.name().as_bytes();
    let mut e = Vec::with_capacity(16 + name.len() + 8 + 10 * record.results.len());
    e.extend_from_slice(&id.get().to_le_bytes());
    e.extend_from_slice(name);
    e.extend_from_slice(&(record.results.len() as u64).to_le_bytes());
    for r in &record.results {
        e.extend_from_slice(&u16::from(r.code).to_le_bytes());
        e.extend_from_slice(&r.timestamp.to_le_bytes());
    }
    e
}

impl Ledger {
    /// Runs a domain operation at `now` (see the module docs): plans it against the ledger as it
    /// is, applies the plan, and remembers the outcome under the operation's id.
    pub fn operate(
        &mut self,
        operation: &Operation,
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        // A closing names 1 to BATCH_EVENTS_MAX accounts, as a batch holds events.
        if let OperationKind::Closing(c) = &operation.kind {
            match c.accounts.len() {
                0 => return Err(BatchError::Empty),
                len if len > BATCH_EVENTS_MAX => return Err(BatchError::TooLarge { len }),
                _ => {}
            }
        }
        // An arrival's credit is split into 1 to ARRIVAL_LOTS_MAX parts.
        if let OperationKind::Arrival(a) = &operation.kind {
            match a.lots.len() {
                0 => return Err(BatchError::Empty),
                len if len > ARRIVAL_LOTS_MAX => return Err(BatchError::TooLarge { len }),
                _ => {}
            }
        }
        if let Some(record) = self.operations.get(&operation.id) {
            let results = match first_difference(&record.kind, &operation.kind) {
                None => retried(&record.results),
                Some(code) => vec![EventResult { code, timestamp: 0 }],
            };
            // Like every command, a retry takes a timestamp, so the clock says it was asked.
            self.reserve_one(now)?;
            return Ok(results);
        }
        // A correction needs a reason; refused before anything is remembered, so the host can
        // send it again under the same id with one.
        if matches!(
            operation.kind,
            OperationKind::Reversal { .. } | OperationKind::Closing(_)
        ) {
            if let Err(code) = self.check_reason() {
                self.reserve_one(now)?;
                return Ok(vec![EventResult { code, timestamp: 0 }]);
            }
        }
        let at = now.max(self.clock().saturating_add(1));
        let (results, plan) = match plan(self, operation, at) {
            Err(error) => {
                self.reserve_one(now)?;
                let refused = EventResult {
                    code: error.code(),
                    timestamp: 0,
                };
                (vec![refused], None)
            }
            Ok(plan) => {
                let results = match &operation.kind {
                    OperationKind::Arrival(a) => self.apply_arrival(&plan, a, now)?,
                    _ => self.apply_plan(&plan, now)?,
                };
                (results, Some(plan))
            }
        };
        let (transfers, closes) = plan
            .map(|p| (p.transfers.iter().map(|t| t.id).collect(), p.closes))
            .unwrap_or_default();
        self.operations.insert_operation(
            operation.id,
            OperationRecord {
                kind: operation.kind.clone(),
                results: results.clone(),
                transfers,
                closes,
            },
        );
        Ok(results)
    }

    /// The operations the ledger holds in memory, in the order they ran: every one it ran,
    /// unless the host evicts them ([`Ledger::evict_operations`]); then the newest, and those
    /// loaded back since the last eviction are not among them.
    pub fn operations(&self) -> impl Iterator<Item = (TransferId, &OperationRecord)> {
        self.operations.in_order()
    }

    /// How many operations the ledger holds in memory (those loaded back aside).
    pub fn operations_held(&self) -> usize {
        self.operations.len()
    }

    /// How many failed ids the ledger holds in memory (those loaded back aside).
    pub fn failed_held(&self) -> usize {
        self.failed.len()
    }

    /// How many ratings the ledger holds in memory (those loaded back aside).
    pub fn ratings_held(&self) -> usize {
        self.rules.ratings.len()
    }

    /// How many operations were evicted ([`Ledger::evict_operations`]) over the ledger's life.
    pub fn evicted_operation_count(&self) -> u64 {
        self.operations.evicted().len()
    }

    /// The outcome of the operation with this id, if the ledger ran one and holds it in memory
    /// (one evicted and not loaded back gives `None`: its host's store keeps it).
    pub fn operation(&self, id: TransferId) -> Option<&OperationRecord> {
        self.operations.get(&id)
    }

    /// Applies an arrival's credit with its parts' expiries, then (when it applied) the moved
    /// member's earnings and eligibility date.
    fn apply_arrival(
        &mut self,
        plan: &Plan,
        arrival: &Arrival,
        now: u64,
    ) -> Result<Vec<EventResult>, BatchError> {
        let credit = plan.transfers[0].id;
        self.rules.carry_lots(credit, &arrival.lots);
        let results = self.apply_plan(plan, now);
        self.rules.carry_lots_done();
        let results = results?;
        if results.iter().all(EventResult::is_ok) {
            if let Some(earned) = arrival.earned_lifetime {
                self.rules
                    .carry_earnings(arrival.member, arrival.unit, earned);
            }
            if let Some(home) = arrival.eligible_from {
                // Invariant: the credit applied, so the member's account exists.
                let account = self.accounts.get_mut(&arrival.member).expect("credited");
                account.eligible_from = Some(account.eligible_from.map_or(home, |e| e.min(home)));
            }
        }
        Ok(results)
    }

    /// Applies a plan's commands in order; ratings and closes only when every transfer applied
    /// (they are refused with `linked_event_failed` otherwise, and change nothing).
    fn apply_plan(&mut self, plan: &Plan, now: u64) -> Result<Vec<EventResult>, BatchError> {
        let mut results = Vec::new();
        for command in plan.commands() {
            let failed = results.iter().any(|r: &EventResult| !r.is_ok());
            let size = match &command {
                Command::CreateTransfers(v) => v.len(),
                Command::RecordRatings(v) => v.len(),
                Command::CloseAccounts(v) => v.len(),
                _ => 0,
            };
            if failed {
                let skipped = EventResult {
                    code: ResultCode::LinkedEventFailed,
                    timestamp: 0,
                };
                results.extend(std::iter::repeat_n(skipped, size));
                continue;
            }
            match self.dispatch(&command, now)? {
                Reply::Events(events) => results.extend(events),
                Reply::Expired(_) => unreachable!("a plan never expires holds"),
            }
        }
        Ok(results)
    }
}

/// Plans the operation against the ledger at `at` (under the policy in force then), exactly as
/// [`Ledger::operate`] does: a host that checks an operation before submitting it (the C ABI
/// does, so a refusal it can foresee is not journaled) gets the same answer the ledger would.
pub fn plan(ledger: &Ledger, operation: &Operation, at: u64) -> Result<Plan, PlanError> {
    let id = operation.id;
    match &operation.kind {
        OperationKind::Service(r) => timebank::plan_service(ledger, id, r, at),
        OperationKind::Booking(b) => timebank::plan_booking_at(ledger, id, b, at),
        OperationKind::Completion(c) => timebank::plan_completion(ledger, id, c, at),
        OperationKind::Cancellation { booking } => {
            timebank::plan_cancellation(ledger, id, *booking)
        }
        OperationKind::Gift(g) => timebank::plan_gift_at(ledger, id, g, at),
        OperationKind::Award(a) => timebank::plan_award_at(ledger, id, a, at),
        OperationKind::Redemption(r) => timebank::plan_redemption_at(ledger, id, r, at),
        OperationKind::Closing(c) => timebank::plan_closing_at(ledger, id, c, at),
        OperationKind::Reversal { original } => timebank::plan_reversal(ledger, id, *original),
        OperationKind::Arrival(a) => crate::arrival::plan_arrival(id, a),
    }
}

/// The outcome a retry gets: what applied answers `exists` (with its original timestamp),
/// a refusal its original code.
fn retried(results: &[EventResult]) -> Vec<EventResult> {
    results
        .iter()
        .map(|r| match r.code {
            ResultCode::Ok => EventResult {
                code: ResultCode::Exists,
                timestamp: r.timestamp,
            },
            _ => *r,
        })
        .collect()
}

/// The first argument in which a retried operation differs from the one first run.
fn first_difference(stored: &OperationKind, new: &OperationKind) -> Option<ResultCode> {
    use OperationKind as K;
    use ResultCode as R;
    if stored == new {
        return None;
    }
    let differs = |accounts: bool, amount: bool, code: bool, served: bool| {
        Some(if accounts {
            R::OperationExistsWithDifferentAccounts
        } else if amount {
            R::OperationExistsWithDifferentAmount
        } else if code {
            R::OperationExistsWithDifferentCode
        } else if served {
            R::OperationExistsWithDifferentServedAt
        } else {
            R::OperationExistsWithDifferentDetails
        })
    };
    match (stored, new) {
        (K::Service(a), K::Service(b)) => differs(
            (a.payer, a.provider, a.donation) != (b.payer, b.provider, b.donation),
            a.hours != b.hours,
            a.code != b.code,
            a.served_at != b.served_at,
        ),
        (K::Booking(a), K::Booking(b)) => differs(
            (a.payer, a.provider) != (b.payer, b.provider),
            a.hours != b.hours,
            a.code != b.code,
            false,
        ),
        (K::Completion(a), K::Completion(b)) => differs(
            (a.booking, a.donation) != (b.booking, b.donation),
            a.hours != b.hours,
            false,
            a.served_at != b.served_at,
        ),
        (K::Gift(a), K::Gift(b)) => differs(
            (a.from, a.to) != (b.from, b.to),
            a.amount != b.amount,
            a.code != b.code,
            false,
        ),
        (K::Award(a), K::Award(b)) => differs(
            (a.issuer, a.member) != (b.issuer, b.member),
            a.acts != b.acts,
            a.code != b.code,
            false,
        ),
        (K::Redemption(a), K::Redemption(b)) => differs(
            (a.member, a.redemption) != (b.member, b.redemption),
            a.amount != b.amount,
            a.code != b.code,
            false,
        ),
        (K::Arrival(a), K::Arrival(b)) => differs(
            (a.clearing, a.member) != (b.clearing, b.member),
            a.amount() != b.amount(),
            (a.unit, a.code) != (b.unit, b.code),
            false,
        ),
        (K::Closing(_), K::Closing(_))
        | (K::Cancellation { .. }, K::Cancellation { .. })
        | (K::Reversal { .. }, K::Reversal { .. }) => differs(true, false, false, false),
        _ => Some(R::OperationExistsWithDifferentKind),
    }
}
