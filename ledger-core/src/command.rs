//! Commands: every request that changes a ledger, in the form the store journals.
//!
//! Replaying the same commands with the same `now` values gives the same ledger.

use serde::{Deserialize, Serialize};

use crate::account::NewAccount;
use crate::amendment::Amendment;
use crate::id::{AccountId, TransferId};
use crate::operation::Operation;
use crate::result::EventResult;
use crate::transfer::Transfer;

/// A family link between two member accounts (symmetric: `a`–`b` is `b`–`a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// One member account of the pair.
    pub a: AccountId,
    /// The other member account of the pair (not the same as `a`).
    pub b: AccountId,
}

/// The date from which an account may pay for care with its hours (`None`: no date, never).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// The account whose date is set.
    pub account: AccountId,
    /// The first moment (nanoseconds since the Unix epoch) it may pay for care; `None` clears the
    /// date, so that under a policy it may not pay for care.
    pub from: Option<u64>,
}

/// A recipient's rating (1 to 5) of a completed service transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// The posted service transfer rated (not a hold, a void or a reversal).
    pub transfer: TransferId,
    /// The rating, 1 to 5; anything else gives `rating_invalid`.
    pub rating: u8,
}

/// A request to the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Opens accounts; each event stands alone ([`crate::Ledger::create_accounts`]).
    CreateAccounts(Vec<NewAccount>),
    /// Applies transfers; linked chains apply all-or-nothing ([`crate::Ledger::create_transfers`]).
    CreateTransfers(Vec<Transfer>),
    /// Release every pending transfer whose timeout has passed (and run the policy's sweeps).
    Expire,
    /// Registers family links, along which gifts may move ([`crate::Ledger::link_accounts`]).
    LinkAccounts(Vec<Link>),
    /// Removes family links ([`crate::Ledger::unlink_accounts`]).
    UnlinkAccounts(Vec<Link>),
    /// Sets or clears care eligibility dates ([`crate::Ledger::set_eligibility`]).
    SetEligibility(Vec<Eligibility>),
    /// Records recipients' ratings of posted transfers, at most one each
    /// ([`crate::Ledger::record_ratings`]).
    RecordRatings(Vec<Rating>),
    /// Close accounts whose balance is zero and that hold nothing pending (an account with a
    /// balance closes by a closing transfer that names where the balance goes).
    CloseAccounts(Vec<AccountId>),
    /// A domain operation, planned and applied by the ledger in one step, idempotent by its
    /// id (see [`crate::operation`]).
    Operate(Operation),
    /// Amends the policy from an effective time on (see [`crate::amendment`]); one event.
    AmendPolicy(Amendment),
}

/// What a [`Command`] returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// One result per event, in the batch's order.
    Events(Vec<EventResult>),
    /// The pending transfers that expired, in the order released; then the expiry sweeps the
    /// policy made (ids with `SWEEP_TRANSFER_ID_BIT` set, in the order applied).
    Expired(Vec<TransferId>),
}
