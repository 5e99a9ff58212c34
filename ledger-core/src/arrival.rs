//! Hours arriving from another ledger with the state the rules kept for them there.
//!
//! A credit from a clearing account is a new credit as far as the rules can see: in a unit whose
//! credits expire it would start a lot with a fresh expiry, so hours moved between ledgers could
//! outlive what they had at home; a member who moves would start with no lifetime earnings and
//! no eligibility date. An [`Arrival`] carries that state with the credit (an operation,
//! [`crate::operation::OperationKind::Arrival`], so it is one journal record, idempotent by its
//! id):
//!
//! - `lots`: the credit split by when each part expires at home. Each part becomes a lot that
//!   expires at the earlier of that time and what this ledger's own rule gives a credit made now
//!   ([`NO_EXPIRY`]: no expiry at home, so this ledger's rule alone). Under a unit that does not
//!   expire here the parts make no lots. The credit's amount is the parts' sum.
//! - `earned_lifetime` (a member who moves): what the member earned at home in the unit, added
//!   to the lifetime counter of every unit this ledger caps, so moving never resets a cap.
//! - `eligible_from` (a member who moves): the member's eligibility date for care at home; the
//!   account here keeps the earlier of it and its own.
//!
//! The state is taken only when the credit applies; a refused credit changes nothing.

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::id::{AccountId, TransferId};
use crate::timebank::{Plan, PlanError};
use crate::transfer::Transfer;
use crate::unit::UnitId;

/// Most parts an arrival's credit is split into (by expiry at home).
pub const ARRIVAL_LOTS_MAX: usize = 16;

/// The expiry of a part that does not expire at home.
pub const NO_EXPIRY: u64 = u64::MAX;

/// A part of an arriving credit and when it expires at home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedLot {
    /// Nanoseconds since the Unix epoch; [`NO_EXPIRY`] when it does not expire at home.
    pub expires_at: u64,
    /// How much of the credit expires then.
    pub amount: Amount,
}

/// A credit from the clearing account for another ledger, with the state the rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// The clearing account debited.
    pub clearing: AccountId,
    /// The member (or care provider) credited.
    pub member: AccountId,
    /// The unit of both accounts on this ledger.
    pub unit: UnitId,
    /// The clearing code of the unit.
    pub code: u16,
    /// The host's data on the credit (the exchange number).
    pub user_data: u128,
    /// 1 to [`ARRIVAL_LOTS_MAX`] parts, by expiry at home; their sum is the credit.
    pub lots: Vec<CarriedLot>,
    /// A member who moves: what they earned at home in the unit, in all.
    pub earned_lifetime: Option<Amount>,
    /// A member who moves: their eligibility date for care at home.
    pub eligible_from: Option<u64>,
}

impl Arrival {
    /// The credit's amount: the sum of the parts, or `None` when it passes the largest amount.
    pub fn amount(&self) -> Option<Amount> {
        let sum = self
            .lots
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |sum, lot| {
                sum.checked_add(lot.amount.value())
            })?;
        Amount::from_decimal_in(sum, crate::limits::UNIT_SCALE_MAX).ok()
    }

    /// The credit: transfer `id` from the clearing account to the member.
    pub fn credit(&self, id: TransferId) -> Result<Transfer, PlanError> {
        let amount = self
            .amount()
            .ok_or(PlanError::Amount(crate::AmountError::TooLarge(
                "the sum of the arriving parts".into(),
            )))?;
        Ok(
            Transfer::new(id, self.clearing, self.member, amount, self.unit)
                .code(self.code)
                .user_data(self.user_data),
        )
    }
}

/// The plan of an arrival: its one credit (the engine judges it as any transfer).
pub(crate) fn plan_arrival(id: TransferId, arrival: &Arrival) -> Result<Plan, PlanError> {
    Ok(Plan {
        transfers: vec![arrival.credit(id)?],
        ratings: Vec::new(),
        closes: Vec::new(),
    })
}
