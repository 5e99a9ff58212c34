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
//! Caps whose policy says `excess = "donate"` make the planners split an earning into the part
//! the provider may still earn and a donation of the rest from the same payer; caps that
//! `reject` are left to the ledger, which refuses the credit.
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
//!     donation: None, points: None, user_data: 0,
//! };
//! let plan = timebank::plan_service(&ledger, TransferId::new(10).unwrap(), &record, now).unwrap();
//! for command in plan.commands() {
//!     ledger.execute(&command, now + 1).unwrap();
//! }
//! let owed = report::liability(&ledger);
//! assert_eq!(owed.units[0].total.to_string(), "2");
//! ```

use rust_decimal::Decimal;

use crate::account::{Account, AccountKind};
use crate::amount::{Amount, AmountError};
use crate::command::{Command, Rating};
use crate::id::{AccountId, TransferId};
use crate::ledger::Ledger;
use crate::limits::UNIT_SCALE_MAX;
use crate::policy::{Excess, Period, Policy, Purpose};
use crate::transfer::{Transfer, TransferFlags, TransferState};
use crate::unit::UnitId;

/// The transfers (and ratings) that carry out one domain operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One batch for `create_transfers`: a linked chain when there are several.
    pub transfers: Vec<Transfer>,
    /// Ratings to record once the transfers applied.
    pub ratings: Vec<Rating>,
}

impl Plan {
    fn single(transfer: Transfer) -> Plan {
        Plan {
            transfers: vec![transfer],
            ratings: Vec::new(),
        }
    }

    /// The commands to execute, in order: the transfers, then the ratings (each if any).
    pub fn commands(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.transfers.is_empty() {
            commands.push(Command::CreateTransfers(self.transfers.clone()));
        }
        if !self.ratings.is_empty() {
            commands.push(Command::RecordRatings(self.ratings.clone()));
        }
        commands
    }
}

/// Why a plan could not be made. Nothing was submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error("account {0} does not exist")]
    AccountNotFound(AccountId),
    #[error("transfer {0} does not exist")]
    TransferNotFound(TransferId),
    #[error("transfer {0} is not a pending booking")]
    NotABooking(TransferId),
    #[error("code {code} is not a {purpose:?} code of unit {unit} in the ledger's policy")]
    Code {
        code: u16,
        unit: UnitId,
        purpose: Purpose,
    },
    #[error("the policy has no {purpose:?} code for unit {unit}; name one")]
    NoCode { unit: UnitId, purpose: Purpose },
    #[error("the amount is not valid in the unit: {0}")]
    Amount(AmountError),
    #[error(
        "the earning passes a cap that routes the excess to donation: name a donation account"
    )]
    DonationAccountRequired,
    #[error("rating {0} is outside 1 to 5")]
    RatingInvalid(u8),
    #[error("account {0} has a zero balance: nothing to move before closing")]
    NothingToClose(AccountId),
    #[error("account {0} has pending holds: post or void them before closing")]
    HoldsPending(AccountId),
    #[error("the plan's ids would pass the largest host id")]
    IdsExhausted,
    #[error("{0} acts is not a positive number of acts")]
    Acts(u32),
}

/// A service or a care withdrawal: `provider` earns `hours × weight` of the code's category,
/// paid by `payer` (an issuing fund for a service code, the recipient's own hours for a care
/// code). Optional points for the same act go with it, in the same chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    pub code: u16,
    pub payer: AccountId,
    pub provider: AccountId,
    pub hours: Amount,
    /// Where the excess above a donate cap goes (needed only when a cap is passed).
    pub donation: Option<AccountId>,
    pub points: Option<PointsAward>,
    pub user_data: u128,
}

/// Points for `acts` acts of the award code's kind, from `issuer` to `member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsAward {
    pub code: u16,
    pub issuer: AccountId,
    pub member: AccountId,
    pub acts: u32,
}

/// A booking: `hours × weight` of the payer's hours held for the provider until completed,
/// cancelled, or released by `expire` after `timeout_s` seconds (0: no deadline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub code: u16,
    pub payer: AccountId,
    pub provider: AccountId,
    pub hours: Amount,
    pub timeout_s: u32,
    pub user_data: u128,
}

/// The completion of a booking: the hours actually served (at most those booked; `None` for
/// all), and the recipient's rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub booking: TransferId,
    pub hours: Option<Amount>,
    pub rating: Option<u8>,
    pub donation: Option<AccountId>,
}

/// Hours (or points) given by `from` to `to`: a family member or a donation pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Amount,
    /// The code; `None` for the policy's gift code (donation code when `to` is a pool).
    pub code: Option<u16>,
}

/// Points spent at a redemption account (a points supermarket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub member: AccountId,
    pub redemption: AccountId,
    pub amount: Amount,
    pub code: Option<u16>,
}

/// Closing accounts (death, moving away, dormancy): each account's whole balance moves to its
/// named destination (an heir, a pool, a fund) by a closing transfer; all in one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    let amount = earned_amount(ledger, request.code, provider.unit, request.hours)?;
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    let (capped, excess) = split_at_donate_caps(ledger, provider, amount, now);
    if let Some(capped) = capped {
        transfers.push(
            Transfer::new(ids.next()?, payer.id, provider.id, capped, provider.unit)
                .code(request.code)
                .user_data(request.user_data),
        );
    }
    if let Some(excess) = excess {
        transfers.push(donation(ledger, &mut ids, payer, request.donation, excess)?);
    }
    if let Some(points) = &request.points {
        transfers.push(award_transfer(ledger, ids.next()?, points)?);
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
        donation: None,
        points: None,
        user_data: 0,
    };
    expect_purpose(ledger, code, account(ledger, member)?.unit, Purpose::Care)?;
    plan_service(ledger, first_id, &request, now)
}

/// Plans a booking: one pending transfer holding the payer's hours.
pub fn plan_booking(ledger: &Ledger, id: TransferId, booking: &Booking) -> Result<Plan, PlanError> {
    let payer = account(ledger, booking.payer)?;
    let provider = account(ledger, booking.provider)?;
    let amount = earned_amount(ledger, booking.code, provider.unit, booking.hours)?;
    Ok(Plan::single(
        Transfer::new(id, payer.id, provider.id, amount, provider.unit)
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
    let amount = match completion.hours {
        Some(hours) => earned_amount(ledger, hold.code, hold.unit, hours)?,
        None => hold.amount,
    };
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    let (capped, excess) = split_at_donate_caps(ledger, provider, amount, now);
    let first = ids.next()?;
    transfers.push(match capped {
        Some(capped) => Transfer::post(first, hold.id(), Some(capped)),
        None => Transfer::void(first, hold.id()),
    });
    if let Some(excess) = excess {
        transfers.push(donation(
            ledger,
            &mut ids,
            payer,
            completion.donation,
            excess,
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
    let from = account(ledger, gift.from)?;
    let to = account(ledger, gift.to)?;
    let purpose = if to.kind == AccountKind::Donation {
        Purpose::Donation
    } else {
        Purpose::Gift
    };
    let code = code_or_default(ledger, gift.code, from.unit, purpose)?;
    Ok(Plan::single(
        Transfer::new(id, from.id, to.id, gift.amount, from.unit).code(code),
    ))
}

/// Plans a points award: `points per act × acts` from the issuer to the member.
pub fn plan_award(ledger: &Ledger, id: TransferId, award: &PointsAward) -> Result<Plan, PlanError> {
    Ok(Plan::single(award_transfer(ledger, id, award)?))
}

/// Plans a points redemption.
pub fn plan_redemption(
    ledger: &Ledger,
    id: TransferId,
    request: &Redemption,
) -> Result<Plan, PlanError> {
    let member = account(ledger, request.member)?;
    let shop = account(ledger, request.redemption)?;
    let code = code_or_default(ledger, request.code, member.unit, Purpose::Redemption)?;
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
    let mut ids = Ids::new(first_id);
    let mut transfers = Vec::new();
    for &(closed, destination) in &closing.accounts {
        let from = account(ledger, closed)?;
        account(ledger, destination)?;
        let b = from.balances;
        if !b.debits_pending.is_zero() || !b.credits_pending.is_zero() {
            return Err(PlanError::HoldsPending(closed));
        }
        let amount = Amount::from_decimal_in(b.posted(), UNIT_SCALE_MAX)
            .map_err(|_| PlanError::NothingToClose(closed))?;
        let code = code_or_default(ledger, None, from.unit, Purpose::Closing)?;
        transfers.push(
            Transfer::new(ids.next()?, closed, destination, amount, from.unit)
                .code(code)
                .flags(TransferFlags::CLOSING_DEBIT),
        );
    }
    Ok(chain(transfers, Vec::new()))
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

/// What `account` may still earn before the first cap of `excess` kind (any kind when `None`)
/// at `now`; `None` when no such cap applies. Members only: caps count a person's earnings.
pub fn headroom(
    ledger: &Ledger,
    account: AccountId,
    excess: Option<Excess>,
    now: u64,
) -> Option<Decimal> {
    let policy = ledger.rules.policy()?;
    let holder = ledger.account(account)?;
    if holder.kind != AccountKind::Member {
        return None;
    }
    let at = now.max(ledger.clock().saturating_add(1));
    let earned = ledger.rules.earnings(account, at);
    policy
        .caps
        .iter()
        .filter(|cap| cap.unit == holder.unit && excess.is_none_or(|e| e == cap.excess))
        .map(|cap| {
            let so_far = match cap.period {
                Period::Day => earned.day_total,
                Period::Month => earned.month_total,
                Period::Lifetime => earned.lifetime,
            };
            (cap.limit - so_far).max(Decimal::ZERO)
        })
        .min()
}

/// What `account` has earned through service and care codes (local day and month of `now`, and
/// in all), counted only for units with caps.
pub fn earnings(ledger: &Ledger, account: AccountId, now: u64) -> EarningsSummary {
    let at = now.max(ledger.clock().saturating_add(1));
    let e = ledger.rules.earnings(account, at);
    EarningsSummary {
        day: e.day_total,
        month: e.month_total,
        lifetime: e.lifetime,
    }
}

/// What a member has earned, as counted against caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarningsSummary {
    pub day: Decimal,
    pub month: Decimal,
    pub lifetime: Decimal,
}

/// The policy the ledger enforces (`None` when it has no time-bank rules).
pub fn policy(ledger: &Ledger) -> Option<&Policy> {
    ledger.rules.policy()
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
        .map(|lot| (lot.expires_at, lot.remaining))
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
    Plan { transfers, ratings }
}

fn account(ledger: &Ledger, id: AccountId) -> Result<&Account, PlanError> {
    ledger.account(id).ok_or(PlanError::AccountNotFound(id))
}

fn booking(ledger: &Ledger, id: TransferId) -> Result<&crate::transfer::TransferRecord, PlanError> {
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
) -> Result<(), PlanError> {
    match ledger.rules.policy() {
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
) -> Result<u16, PlanError> {
    match code {
        Some(code) => Ok(code),
        None => ledger
            .rules
            .policy()
            .and_then(|p| p.code_for(unit, purpose))
            .map(|rule| rule.code)
            .ok_or(PlanError::NoCode { unit, purpose }),
    }
}

/// `hours × weight` of a service or care code, exact in the unit's scale (never rounded).
fn earned_amount(
    ledger: &Ledger,
    code: u16,
    unit: UnitId,
    hours: Amount,
) -> Result<Amount, PlanError> {
    let scale = ledger.unit(unit).map_or(UNIT_SCALE_MAX, |u| u.scale);
    let weight = match ledger.rules.policy() {
        Some(policy) => match policy.code(code) {
            Some(rule) if rule.unit == unit && rule.purpose.is_weighted() => rule.weight(),
            _ => {
                return Err(PlanError::Code {
                    code,
                    unit,
                    purpose: Purpose::Service,
                })
            }
        },
        None => Decimal::ONE,
    };
    let value = hours.value().checked_mul(weight).unwrap_or(Decimal::MAX);
    Amount::from_decimal_in(value, scale).map_err(PlanError::Amount)
}

/// Splits an earning at the donate caps: (what the provider may earn, the excess).
fn split_at_donate_caps(
    ledger: &Ledger,
    provider: &Account,
    amount: Amount,
    now: u64,
) -> (Option<Amount>, Option<Amount>) {
    let Some(room) = headroom(ledger, provider.id, Some(Excess::Donate), now) else {
        return (Some(amount), None);
    };
    if room >= amount.value() {
        return (Some(amount), None);
    }
    // Room and amount are in the unit's scale, so both parts are too.
    let capped = Amount::from_decimal_in(room, UNIT_SCALE_MAX).ok();
    let excess = Amount::from_decimal_in(amount.value() - room, UNIT_SCALE_MAX).ok();
    (capped, excess)
}

fn donation(
    ledger: &Ledger,
    ids: &mut Ids,
    payer: &Account,
    pool: Option<AccountId>,
    excess: Amount,
) -> Result<Transfer, PlanError> {
    let pool = pool.ok_or(PlanError::DonationAccountRequired)?;
    account(ledger, pool)?;
    let code = code_or_default(ledger, None, payer.unit, Purpose::Donation)?;
    Ok(Transfer::new(ids.next()?, payer.id, pool, excess, payer.unit).code(code))
}

fn award_transfer(
    ledger: &Ledger,
    id: TransferId,
    award: &PointsAward,
) -> Result<Transfer, PlanError> {
    let issuer = account(ledger, award.issuer)?;
    account(ledger, award.member)?;
    if award.acts == 0 {
        return Err(PlanError::Acts(award.acts));
    }
    let unit = issuer.unit;
    let per_act = match ledger.rules.policy() {
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
