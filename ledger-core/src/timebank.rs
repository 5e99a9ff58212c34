//! Time-bank operations as plans of engine transfers.
//!
//! Every domain operation (a service record, a booking and its completion or cancellation, a
//! care withdrawal, a gift, a points award or redemption, closing an account, a reversal) becomes
//! ordinary engine transfers, a linked chain where it needs several, so the journal holds one
//! kind of record and the engine's invariants cover everything. The planners here are pure: they
//! read the ledger (and its policy) and return a [`Plan`]; the caller submits it, under the same
//! lock, with [`Ledger::execute`] for each of [`Plan::commands`]. The ledger itself enforces every
//! rule when the transfers apply, so a plan built from a stale view is refused, never half done.
//!
//! A plan numbers its transfers with consecutive ids from the `first_id` it is given
//! (`first_id`, `first_id + 1`, ...); [`Plan::transfers`] says which ids it used.
//!
//! Caps count what a provider earns on the local day (and month) the service was done
//! (`served_at`), when it is earned: a service record, or a booking's completion. A booking only
//! holds the payer's hours. Caps whose policy says `excess = "donate"` make the planners split an
//! earning into the part the provider may still earn and a donation of the rest from the same
//! payer; caps that `reject` are left to the ledger, which refuses the credit.
//!
//! Service and care transfers carry the hours served; the ledger credits `hours × weight`.
//! Every [`PlanError`] has a stable result code ([`PlanError::code`]).
//!
//! ```
//! use ledger_core::timebank::{self, ServiceRecord};
//! use ledger_core::{report, AccountId, AccountKind, Amount, Ledger, NewAccount, Policy,
//!                   TransferId};
//!
//! let mut ledger = Ledger::with_policy(&Policy::default_policy()).unwrap();
//! let (hours, now) = (1, 1_767_225_600_000_000_000);
//! let (fund, volunteer) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
//! ledger.create_accounts(&[
//!     NewAccount::new(fund, hours, AccountKind::Issuer).community(7),
//!     NewAccount::new(volunteer, hours, AccountKind::Member).community(7),
//! ], now).unwrap();
//!
//! // Two hours of companionship (code 101) for a key elder, paid by the community fund.
//! let record = ServiceRecord {
//!     code: 101, payer: fund, provider: volunteer, hours: Amount::parse_in("2", 2).unwrap(),
//!     served_at: None, donation: None, points: None, user_data: 0,
//! };
//! let plan = timebank::plan_service(&ledger, TransferId::new(10).unwrap(), &record, now).unwrap();
//! for command in plan.commands() {
//!     ledger.execute(&command, now + 1).unwrap();
//! }
//! let owed = report::liability(&ledger);
//! assert_eq!(owed.units[0].total.to_string(), "2");
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{Account, AccountKind};
use crate::amount::{Amount, AmountError};
use crate::command::{Command, Rating};
use crate::id::{AccountId, TransferId};
use crate::ledger::Ledger;
use crate::limits::UNIT_SCALE_MAX;
use crate::policy::{Excess, Period, Policy, Purpose};
use crate::result::ResultCode;
use crate::transfer::{Transfer, TransferFlags, TransferRecord, TransferState};
use crate::unit::UnitId;

/// The transfers (and ratings) that carry out one domain operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One batch for `create_transfers`: a linked chain when there are several.
    pub transfers: Vec<Transfer>,
    /// Ratings to record once the transfers applied.
    pub ratings: Vec<Rating>,
    /// Empty accounts to close once the transfers applied (a closing with nothing to move).
    pub closes: Vec<AccountId>,
}

impl Plan {
    fn single(transfer: Transfer) -> Plan {
        Plan {
            transfers: vec![transfer],
            ratings: Vec::new(),
            closes: Vec::new(),
        }
    }

    /// The commands to execute, in order: the transfers, the ratings, the closes (each if any).
    pub fn commands(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.transfers.is_empty() {
            commands.push(Command::CreateTransfers(self.transfers.clone()));
        }
        if !self.ratings.is_empty() {
            commands.push(Command::RecordRatings(self.ratings.clone()));
        }
        if !self.closes.is_empty() {
            commands.push(Command::CloseAccounts(self.closes.clone()));
        }
        commands
    }
}

/// Why a plan could not be made. Nothing was submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An account the operation names does not exist.
    #[error("account {0} does not exist")]
    AccountNotFound(AccountId),
    /// The booking, or the transfer to reverse, does not exist.
    #[error("transfer {0} does not exist")]
    TransferNotFound(TransferId),
    /// The booking to complete or cancel is not a hold still pending (it was posted, voided or
    /// expired, or was never a hold).
    #[error("transfer {0} is not a pending booking")]
    NotABooking(TransferId),
    /// The code named is not one of the needed purpose and unit in the policy in force.
    #[error("code {code} is not a {purpose:?} code of unit {unit} in the ledger's policy")]
    Code {
        /// The code named.
        code: u16,
        /// The unit of the accounts.
        unit: UnitId,
        /// The purpose the operation needs (`Service` stands for service or care).
        purpose: Purpose,
    },
    /// No code was named and the policy in force has none of the needed purpose and unit.
    #[error("the policy has no {purpose:?} code for unit {unit}; name one")]
    NoCode {
        /// The unit of the accounts.
        unit: UnitId,
        /// The purpose the operation needs.
        purpose: Purpose,
    },
    /// The hours have more decimals than the unit keeps, or an award's points × acts are
    /// beyond the unit's scale or above the largest amount.
    #[error("the amount is not valid in the unit: {0}")]
    Amount(AmountError),
    /// The earning passes a donate cap and no donation account was named.
    #[error(
        "the earning passes a cap that routes the excess to donation: name a donation account"
    )]
    DonationAccountRequired,
    /// The rating is not 1 to 5.
    #[error("rating {0} is outside 1 to 5")]
    RatingInvalid(u8),
    /// An account to close has pending debits or credits.
    #[error("account {0} has pending holds: post or void them before closing")]
    HoldsPending(AccountId),
    /// The plan's consecutive ids would reach the reserved top bit
    /// ([`crate::policy::SWEEP_TRANSFER_ID_BIT`]).
    #[error("the plan's ids would pass the largest host id")]
    IdsExhausted,
    /// A points award of 0 acts.
    #[error("{0} acts is not a positive number of acts")]
    Acts(u32),
    /// `hours × weight` does not fit the unit's scale under a code that refuses rounding, or
    /// rounds to zero; holds the ledger's code for it.
    #[error("the hours times the code's weight are not exact in the unit: {0}")]
    Inexact(ResultCode),
}

impl PlanError {
    /// The stable result code of this refusal, the same a host would get had the ledger judged
    /// the transfers itself (planner-only refusals have codes of their own).
    pub fn code(&self) -> ResultCode {
        match self {
            PlanError::AccountNotFound(_) => ResultCode::AccountNotFound,
            PlanError::TransferNotFound(_) => ResultCode::TransferNotFound,
            PlanError::NotABooking(_) => ResultCode::NotABooking,
            PlanError::Code { .. } | PlanError::NoCode { .. } => ResultCode::CodeNotAllowed,
            PlanError::Amount(_) => ResultCode::AmountExceedsUnitScale,
            PlanError::DonationAccountRequired => ResultCode::DonationAccountRequired,
            PlanError::RatingInvalid(_) => ResultCode::RatingInvalid,
            PlanError::HoldsPending(_) => ResultCode::HoldsPending,
            PlanError::IdsExhausted => ResultCode::TransferIdReserved,
            PlanError::Acts(_) => ResultCode::ActsInvalid,
            PlanError::Inexact(code) => *code,
        }
    }
}

/// A service or a care withdrawal: `provider` earns `hours × weight` of the code's category,
/// paid by `payer` (an issuing fund for a service code, the recipient's own hours for a care
/// code). Optional points for the same act go with it, in the same chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// A service or care code of the provider's unit in the policy in force at `served_at`.
    pub code: u16,
    /// Who pays: an issuing fund or pool for a service code, the recipient member for care.
    pub payer: AccountId,
    /// The member or group that served and earns the credits.
    pub provider: AccountId,
    /// The hours served (the ledger credits `hours × weight`).
    pub hours: Amount,
    /// When the service was done, if earlier than the record (caps count that local day).
    pub served_at: Option<u64>,
    /// Where the excess above a donate cap goes (needed only when a cap is passed).
    pub donation: Option<AccountId>,
    /// Points for the same act, awarded in the same chain.
    pub points: Option<PointsAward>,
    /// The host's reference, carried by the service transfer.
    pub user_data: u128,
}

/// Points for `acts` acts of the award code's kind, from `issuer` to `member`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAward {
    /// An award code of the issuer's unit (its `points` per act apply; 1 per act without a
    /// policy).
    pub code: u16,
    /// The issuing account that pays the points.
    pub issuer: AccountId,
    /// The account that receives them.
    pub member: AccountId,
    /// How many acts, at least 1.
    pub acts: u32,
}

/// A booking: `hours × weight` of the payer's hours held for the provider until completed,
/// cancelled, or released by `expire` after `timeout_s` seconds (0: no deadline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// A service or care code of the provider's unit.
    pub code: u16,
    /// Whose hours are held.
    pub payer: AccountId,
    /// Who will serve and earn them.
    pub provider: AccountId,
    /// The hours booked (the hold is `hours × weight`).
    pub hours: Amount,
    /// Seconds after the booking when `expire` may release it; 0 for no deadline.
    pub timeout_s: u32,
    /// The host's reference, carried by the hold.
    pub user_data: u128,
}

/// The completion of a booking: the hours actually served (at most those booked; `None` for
/// all), and the recipient's rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The booking's hold.
    pub booking: TransferId,
    /// The hours served, at most those booked; `None` for all of them.
    pub hours: Option<Amount>,
    /// The recipient's rating, 1 to 5, recorded on the post.
    pub rating: Option<u8>,
    /// Where the excess above a donate cap goes (needed only when a cap is passed).
    pub donation: Option<AccountId>,
    /// When the service was done, if earlier than the completion is recorded.
    pub served_at: Option<u64>,
}

/// Hours (or points) given by `from` to `to`: a family member or a donation pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gift {
    /// The giver.
    pub from: AccountId,
    /// The receiver: a linked family member (any member where the policy allows) or a
    /// donation pool.
    pub to: AccountId,
    /// How much is given, in the giver's unit.
    pub amount: Amount,
    /// The code; `None` for the policy's gift code (donation code when `to` is a pool).
    pub code: Option<u16>,
}

/// Points spent at a redemption account (a points supermarket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// Who spends the points.
    pub member: AccountId,
    /// The redemption account that receives them.
    pub redemption: AccountId,
    /// How many points.
    pub amount: Amount,
    /// The code; `None` for the policy's first redemption code of the unit.
    pub code: Option<u16>,
}

/// Closing accounts (death, moving away, dormancy): each account's whole balance moves to its
/// named destination by a closing transfer, all in one chain; an empty account simply closes.
/// The destination is a fund, a pool, or a member the gift rule allows (DOMAIN.md §3.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// (account to close, where its balance goes).
    pub accounts: Vec<(AccountId, AccountId)>,
}

/// Plans a service record or a care withdrawal (see [`ServiceRecord`]).
pub fn plan_service(
    ledger: &Ledger,
    first_id: TransferId,
    request: &ServiceRecord,
    now: u64,
) -> Result<Plan, PlanError> {
    let payer = account(ledger, request.payer)?;
    let provider = account(ledger, request.provider)?;
    let served_at = request.served_at.unwrap_or(now);
    let credits = earned_amount(
        ledger,
        request.code,
        provider.unit,
        request.hours,
        served_at,
    )?;
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    let (capped, excess) = split_at_donate_caps(
        ledger,
        provider,
        request.code,
        request.hours,
        credits,
        served_at,
    )?;
    if let Some(capped) = capped {
        let mut t = Transfer::new(ids.next()?, payer.id, provider.id, capped, provider.unit)
            .code(request.code)
            .user_data(request.user_data);
        t.served_at = request.served_at;
        transfers.push(t);
    }
    if let Some(excess) = excess {
        let at = event_time(ledger, now);
        transfers.push(donation(
            ledger,
            &mut ids,
            payer,
            request.donation,
            excess,
            at,
        )?);
    }
    if let Some(points) = &request.points {
        let at = event_time(ledger, now);
        transfers.push(award_transfer(ledger, ids.next()?, points, at)?);
    }
    Ok(chain(transfers, Vec::new()))
}

/// Plans a care withdrawal: the member pays `hours × weight` of its own hours to the provider.
/// The same as [`plan_service`] with a care code and the member as payer.
pub fn plan_withdrawal(
    ledger: &Ledger,
    first_id: TransferId,
    code: u16,
    member: AccountId,
    provider: AccountId,
    hours: Amount,
    now: u64,
) -> Result<Plan, PlanError> {
    let request = ServiceRecord {
        code,
        payer: member,
        provider,
        hours,
        served_at: None,
        donation: None,
        points: None,
        user_data: 0,
    };
    let unit = account(ledger, member)?.unit;
    expect_purpose(ledger, code, unit, Purpose::Care, now)?;
    plan_service(ledger, first_id, &request, now)
}

/// Plans a booking: one pending transfer holding `hours × weight` of the payer's hours. The
/// provider's caps are not consulted: they are judged when the booking is completed.
pub fn plan_booking(ledger: &Ledger, id: TransferId, booking: &Booking) -> Result<Plan, PlanError> {
    plan_booking_at(ledger, id, booking, next_event_time(ledger))
}

/// [`plan_booking`] judged under the policy in force at `at` (the event's time).
pub(crate) fn plan_booking_at(
    ledger: &Ledger,
    id: TransferId,
    booking: &Booking,
    at: u64,
) -> Result<Plan, PlanError> {
    let payer = account(ledger, booking.payer)?;
    let provider = account(ledger, booking.provider)?;
    earned_amount(ledger, booking.code, provider.unit, booking.hours, at)?;
    Ok(Plan::single(
        Transfer::new(id, payer.id, provider.id, booking.hours, provider.unit)
            .code(booking.code)
            .flags(TransferFlags::PENDING)
            .timeout_s(booking.timeout_s)
            .user_data(booking.user_data),
    ))
}

/// Plans a booking's completion: posts the hours served (the rest of the hold is released),
/// routes any excess above a donate cap to donation, and records the rating of the post.
pub fn plan_completion(
    ledger: &Ledger,
    first_id: TransferId,
    completion: &Completion,
    now: u64,
) -> Result<Plan, PlanError> {
    let hold = booking(ledger, completion.booking)?;
    if let Some(r) = completion.rating {
        if !(1..=5).contains(&r) {
            return Err(PlanError::RatingInvalid(r));
        }
    }
    let payer = account(ledger, hold.debit_account_id)?;
    let provider = account(ledger, hold.credit_account_id)?;
    // A booking's request holds the hours booked; the hold itself, their credits.
    let booked = hold.request().amount.unwrap_or(hold.amount);
    let hours = completion.hours.unwrap_or(booked);
    let served_at = completion.served_at.unwrap_or(now);
    let credits = match completion.hours {
        Some(hours) => earned_amount(ledger, hold.code, hold.unit, hours, served_at)?,
        None => hold.amount,
    };
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    let (capped, excess) =
        split_at_donate_caps(ledger, provider, hold.code, hours, credits, served_at)?;
    let first = ids.next()?;
    transfers.push(match capped {
        Some(capped) if completion.hours.is_none() && capped == booked => {
            let mut post = Transfer::post(first, hold.id(), None);
            post.served_at = completion.served_at;
            post
        }
        Some(capped) => {
            let mut post = Transfer::post(first, hold.id(), Some(capped));
            post.served_at = completion.served_at;
            post
        }
        None => Transfer::void(first, hold.id()),
    });
    if let Some(excess) = excess {
        transfers.push(donation(
            ledger,
            &mut ids,
            payer,
            completion.donation,
            excess,
            event_time(ledger, now),
        )?);
    }
    let ratings = completion
        .rating
        .map(|rating| Rating {
            transfer: first,
            rating,
        })
        .into_iter()
        .collect();
    Ok(chain(transfers, ratings))
}

/// Plans a booking's cancellation: the hold is voided, releasing the payer's hours.
pub fn plan_cancellation(
    ledger: &Ledger,
    id: TransferId,
    booking_id: TransferId,
) -> Result<Plan, PlanError> {
    booking(ledger, booking_id)?;
    Ok(Plan::single(Transfer::void(id, booking_id)))
}

/// Plans a gift (to a family member, or to a donation pool).
pub fn plan_gift(ledger: &Ledger, id: TransferId, gift: &Gift) -> Result<Plan, PlanError> {
    plan_gift_at(ledger, id, gift, next_event_time(ledger))
}

/// [`plan_gift`] under the policy in force at `at` (the event's time).
pub(crate) fn plan_gift_at(
    ledger: &Ledger,
    id: TransferId,
    gift: &Gift,
    at: u64,
) -> Result<Plan, PlanError> {
    let from = account(ledger, gift.from)?;
    let to = account(ledger, gift.to)?;
    let purpose = if to.kind == AccountKind::Donation {
        Purpose::Donation
    } else {
        Purpose::Gift
    };
    let code = code_or_default(ledger, gift.code, from.unit, purpose, at)?;
    Ok(Plan::single(
        Transfer::new(id, from.id, to.id, gift.amount, from.unit).code(code),
    ))
}

/// Plans a points award: `points per act × acts` from the issuer to the member.
pub fn plan_award(ledger: &Ledger, id: TransferId, award: &PointsAward) -> Result<Plan, PlanError> {
    plan_award_at(ledger, id, award, next_event_time(ledger))
}

/// [`plan_award`] under the policy in force at `at` (the event's time).
pub(crate) fn plan_award_at(
    ledger: &Ledger,
    id: TransferId,
    award: &PointsAward,
    at: u64,
) -> Result<Plan, PlanError> {
    Ok(Plan::single(award_transfer(ledger, id, award, at)?))
}

/// Plans a points redemption.
pub fn plan_redemption(
    ledger: &Ledger,
    id: TransferId,
    request: &Redemption,
) -> Result<Plan, PlanError> {
    plan_redemption_at(ledger, id, request, next_event_time(ledger))
}

/// [`plan_redemption`] under the policy in force at `at` (the event's time).
pub(crate) fn plan_redemption_at(
    ledger: &Ledger,
    id: TransferId,
    request: &Redemption,
    at: u64,
) -> Result<Plan, PlanError> {
    let member = account(ledger, request.member)?;
    let shop = account(ledger, request.redemption)?;
    let code = code_or_default(ledger, request.code, member.unit, Purpose::Redemption, at)?;
    Ok(Plan::single(
        Transfer::new(id, member.id, shop.id, request.amount, member.unit).code(code),
    ))
}

/// Plans closing accounts into their destinations, one linked chain.
pub fn plan_closing(
    ledger: &Ledger,
    first_id: TransferId,
    closing: &Closing,
) -> Result<Plan, PlanError> {
    plan_closing_at(ledger, first_id, closing, next_event_time(ledger))
}

/// [`plan_closing`] under the policy in force at `at` (the event's time).
pub(crate) fn plan_closing_at(
    ledger: &Ledger,
    first_id: TransferId,
    closing: &Closing,
    at: u64,
) -> Result<Plan, PlanError> {
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    let mut empty = Vec::new();
    for &(closed, destination) in &closing.accounts {
        let from = account(ledger, closed)?;
        account(ledger, destination)?;
        let b = from.balances;
        if b.debits_pending != 0 || b.credits_pending != 0 {
            return Err(PlanError::HoldsPending(closed));
        }
        let Ok(amount) = Amount::from_decimal_in(from.posted(), UNIT_SCALE_MAX) else {
            // Nothing to move: the account closes as it is.
            empty.push(closed);
            continue;
        };
        let code = code_or_default(ledger, None, from.unit, Purpose::Closing, at)?;
        transfers.push(
            Transfer::new(ids.next()?, closed, destination, amount, from.unit)
                .code(code)
                .flags(TransferFlags::CLOSING_DEBIT),
        );
    }
    let mut plan = chain(transfers, Vec::new());
    plan.closes = empty;
    Ok(plan)
}

/// Plans the reversal of a posted transfer: a new transfer that moves its amount back and
/// references it (at most once; the ledger refuses a second).
pub fn plan_reversal(
    ledger: &Ledger,
    id: TransferId,
    original: TransferId,
) -> Result<Plan, PlanError> {
    ledger
        .transfer(original)
        .ok_or(PlanError::TransferNotFound(original))?;
    Ok(Plan::single(Transfer::reversal(id, original)))
}

/// What `account` may still earn on a service done at `now` before the first cap of `excess`
/// kind (any kind when `None`); `None` when no such cap applies. Members only: caps count a
/// person's earnings.
pub fn headroom(
    ledger: &Ledger,
    account: AccountId,
    excess: Option<Excess>,
    now: u64,
) -> Option<Decimal> {
    headroom_at(ledger, account, excess, now)
}

/// What `account` may still earn on a service done at `served_at` (see [`headroom`]).
fn headroom_at(
    ledger: &Ledger,
    account: AccountId,
    excess: Option<Excess>,
    served_at: u64,
) -> Option<Decimal> {
    let policy = ledger.rules.policy_at(served_at)?;
    let holder = ledger.account(account)?;
    if holder.kind != AccountKind::Member {
        return None;
    }
    let earned = ledger.rules.earnings(account, served_at);
    policy
        .caps
        .iter()
        .filter(|cap| cap.unit == holder.unit && excess.is_none_or(|e| e == cap.excess))
        .map(|cap| {
            let so_far = match cap.period {
                Period::Day => earned.day,
                Period::Month => earned.month,
                Period::Lifetime => earned.lifetime,
            }
            .decimal();
            (cap.limit - so_far).max(Decimal::ZERO)
        })
        .min()
}

/// What `account` has earned through service and care codes (on services of the local day and
/// month of `served_at`, and in all), counted only for units with caps.
pub fn earnings(ledger: &Ledger, account: AccountId, served_at: u64) -> EarningsSummary {
    let e = ledger.rules.earnings(account, served_at);
    EarningsSummary {
        day: e.day.decimal(),
        month: e.month.decimal(),
        lifetime: e.lifetime.decimal(),
    }
}

/// What a member has earned, as counted against caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarningsSummary {
    /// Earned on services done on the local day of the time asked about.
    pub day: Decimal,
    /// Earned on services done in that local month.
    pub month: Decimal,
    /// Earned in all.
    pub lifetime: Decimal,
}

/// The policy the ledger was created with (`None` when it has no time-bank rules); see
/// [`policy_at`] for the one in force at a time.
pub fn policy(ledger: &Ledger) -> Option<&Policy> {
    ledger.rules.policy()
}

/// The policy in force at `at` (`None` when the ledger has no time-bank rules): the last
/// amendment whose effective time is at or before `at`, else the policy the ledger was created
/// with ([`crate::amendment`]).
pub fn policy_at(ledger: &Ledger, at: u64) -> Option<&Policy> {
    ledger.rules.policy_at(at)
}

/// Every version of the ledger's policy with its effective time (0 for the policy the ledger
/// was created with), in order; empty without time-bank rules.
pub fn policy_versions(ledger: &Ledger) -> Vec<(u64, &Policy)> {
    ledger.rules.versions()
}

/// Whether two accounts are linked as family.
pub fn linked(ledger: &Ledger, a: AccountId, b: AccountId) -> bool {
    ledger.rules.linked(a, b)
}

/// The rating recorded for a transfer.
pub fn rating(ledger: &Ledger, transfer: TransferId) -> Option<u8> {
    ledger.rules.rating(transfer)
}

/// The credits of an expiring unit that `account` still holds, oldest first:
/// (when they expire, how much).
pub fn expiring_credits(ledger: &Ledger, account: AccountId) -> Vec<(u64, Decimal)> {
    ledger
        .rules
        .lots(account)
        .map(|lot| (lot.expires_at, lot.remaining.decimal()))
        .collect()
}

// ---------------------------------------------------------------------------------------------

/// Consecutive transfer ids from a first one.
struct Ids {
    next: Option<u128>,
}

impl Ids {
    fn new(first: TransferId) -> Ids {
        Ids {
            next: Some(first.get()),
        }
    }

    fn next(&mut self) -> Result<TransferId, PlanError> {
        let id = self
            .next
            .filter(|n| n & crate::policy::SWEEP_TRANSFER_ID_BIT == 0)
            .and_then(TransferId::new)
            .ok_or(PlanError::IdsExhausted)?;
        self.next = id.get().checked_add(1);
        Ok(id)
    }
}

/// Links every transfer to the next, so the plan applies all-or-nothing.
fn chain(mut transfers: Vec<Transfer>, ratings: Vec<Rating>) -> Plan {
    let last = transfers.len().saturating_sub(1);
    for t in &mut transfers[..last] {
        t.flags = t.flags | TransferFlags::LINKED;
    }
    Plan {
        transfers,
        ratings,
        closes: Vec::new(),
    }
}

fn account(ledger: &Ledger, id: AccountId) -> Result<&Account, PlanError> {
    ledger.account(id).ok_or(PlanError::AccountNotFound(id))
}

/// The time a planner that is given none judges by: the ledger's next event (a plan applies
/// after every event so far). `Command::Operate` gives the planners its own time instead.
fn next_event_time(ledger: &Ledger) -> u64 {
    ledger.clock().saturating_add(1)
}

/// When an event asked for at `now` happens: never before the ledger's next event.
fn event_time(ledger: &Ledger, now: u64) -> u64 {
    now.max(next_event_time(ledger))
}

fn booking(ledger: &Ledger, id: TransferId) -> Result<&TransferRecord, PlanError> {
    let hold = ledger.transfer(id).ok_or(PlanError::TransferNotFound(id))?;
    if hold.state != TransferState::Pending {
        return Err(PlanError::NotABooking(id));
    }
    Ok(hold)
}

/// Checks that `code` has `purpose` in `unit` (when the ledger has a policy).
fn expect_purpose(
    ledger: &Ledger,
    code: u16,
    unit: UnitId,
    purpose: Purpose,
    at: u64,
) -> Result<(), PlanError> {
    match ledger.rules.policy_at(at) {
        Some(policy) => match policy.code(code) {
            Some(rule) if rule.unit == unit && rule.purpose == purpose => Ok(()),
            _ => Err(PlanError::Code {
                code,
                unit,
                purpose,
            }),
        },
        None => Ok(()),
    }
}

fn code_or_default(
    ledger: &Ledger,
    code: Option<u16>,
    unit: UnitId,
    purpose: Purpose,
    at: u64,
) -> Result<u16, PlanError> {
    match code {
        Some(code) => Ok(code),
        None => ledger
            .rules
            .policy_at(at)
            .and_then(|p| p.code_for(unit, purpose))
            .map(|rule| rule.code)
            .ok_or(PlanError::NoCode { unit, purpose }),
    }
}

/// The credits `hours` of a service or care code earn (`hours × weight`, as the ledger
/// computes them), checking that the code is one and the hours fit the unit.
fn earned_amount(
    ledger: &Ledger,
    code: u16,
    unit: UnitId,
    hours: Amount,
    served_at: u64,
) -> Result<Amount, PlanError> {
    let scale = ledger.unit(unit).map_or(UNIT_SCALE_MAX, |u| u.scale);
    if let Some(policy) = ledger.rules.policy_at(served_at) {
        match policy.code(code) {
            Some(rule) if rule.unit == unit && rule.purpose.is_weighted() => {}
            _ => {
                return Err(PlanError::Code {
                    code,
                    unit,
                    purpose: Purpose::Service,
                })
            }
        }
    }
    let hours = Amount::from_decimal_in(hours.value(), scale).map_err(PlanError::Amount)?;
    ledger
        .rules
        .credits(code, unit, hours, scale, served_at)
        .map_err(PlanError::Inexact)
}

/// Splits an earning of `hours` (worth `credits`) at the donate caps on the day it was served:
/// (the hours the provider is credited for, the credits above the cap that go to donation).
/// With a weight, the provider's part is the most hours whose credits stay within the room.
fn split_at_donate_caps(
    ledger: &Ledger,
    provider: &Account,
    code: u16,
    hours: Amount,
    credits: Amount,
    served_at: u64,
) -> Result<(Option<Amount>, Option<Amount>), PlanError> {
    let Some(room) = headroom_at(ledger, provider.id, Some(Excess::Donate), served_at) else {
        return Ok((Some(hours), None));
    };
    if room >= credits.value() {
        return Ok((Some(hours), None));
    }
    let scale = ledger
        .unit(provider.unit)
        .map_or(UNIT_SCALE_MAX, |u| u.scale);
    let rule = ledger.rules.policy_at(served_at).and_then(|p| p.code(code));
    let weight = rule.map_or(Decimal::ONE, |r| r.weight());
    // Start from room / weight truncated to the scale and step down one minor unit at a time
    // until the credits fit (a weight has at most 4 decimals: a few steps at most).
    let minor = Decimal::new(1, scale);
    let mut part = (room / weight).trunc_with_scale(scale);
    let mut earned = Decimal::ZERO;
    while part > Decimal::ZERO {
        match rule.map_or(Some(part), |r| r.credits(part, scale)) {
            Some(c) if c <= room => {
                earned = c;
                break;
            }
            _ => part -= minor,
        }
    }
    let capped = Amount::from_decimal_in(part, scale).ok();
    if capped.is_none() {
        earned = Decimal::ZERO;
    }
    // Both totals are in the unit's scale, so the excess is too.
    let excess = Amount::from_decimal_in(credits.value() - earned, scale).ok();
    Ok((capped, excess))
}

fn donation(
    ledger: &Ledger,
    ids: &mut Ids,
    payer: &Account,
    pool: Option<AccountId>,
    excess: Amount,
    at: u64,
) -> Result<Transfer, PlanError> {
    let pool = pool.ok_or(PlanError::DonationAccountRequired)?;
    account(ledger, pool)?;
    let code = code_or_default(ledger, None, payer.unit, Purpose::Donation, at)?;
    Ok(Transfer::new(ids.next()?, payer.id, pool, excess, payer.unit).code(code))
}

fn award_transfer(
    ledger: &Ledger,
    id: TransferId,
    award: &PointsAward,
    at: u64,
) -> Result<Transfer, PlanError> {
    let issuer = account(ledger, award.issuer)?;
    account(ledger, award.member)?;
    if award.acts == 0 {
        return Err(PlanError::Acts(award.acts));
    }
    let unit = issuer.unit;
    let per_act = match ledger.rules.policy_at(at) {
        Some(policy) => match policy.code(award.code) {
            Some(rule) if rule.unit == unit && rule.purpose == Purpose::Award => {
                rule.points.unwrap_or(Decimal::ONE)
            }
            _ => {
                return Err(PlanError::Code {
                    code: award.code,
                    unit,
                    purpose: Purpose::Award,
                })
            }
        },
        None => Decimal::ONE,
    };
    let scale = ledger.unit(unit).map_or(0, |u| u.scale);
    let value = per_act
        .checked_mul(Decimal::from(award.acts))
        .unwrap_or(Decimal::MAX);
    let amount = Amount::from_decimal_in(value, scale).map_err(PlanError::Amount)?;
    Ok(Transfer::new(id, issuer.id, award.member, amount, unit).code(award.code))
}
