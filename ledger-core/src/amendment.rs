//! Policy amendments: a policy that takes over from an effective time.
//!
//! Programs change their rules over the years (DOMAIN.md §3.8): caps are raised, categories
//! added, points validity shortened. An amendment is a whole new policy, validated like one,
//! in force from `from` (nanoseconds since the Unix epoch) until the next amendment. Every event
//! is judged under the policy in force at its time: a service (or a care withdrawal, or the post
//! of a booking) at its `served_at`, anything else at its timestamp. So a service done on 30 June
//! and recorded on 2 July is judged under June's caps, weights and codes even when an amendment
//! took effect on 1 July.
//!
//! What an amendment may not change, because it is fixed for the ledger's life or already
//! promised:
//! - the units (ids, names, scales): amounts already journaled are in them;
//! - that the ledger has time-bank rules: an amendment defines codes, and only a ledger created
//!   with rules can be amended;
//! - an expiry rule already in force: credits given under it were promised to expire, so a unit
//!   that expires keeps an expiry rule (its lifetime, account and code may change; credits keep
//!   the expiry date they were given).
//!
//! Its effective time is after every event already applied (the ledger's clock) and after every
//! earlier amendment's: history is never judged again.

use serde::{Deserialize, Serialize};

use crate::id::AccountId;
use crate::policy::{Policy, PolicyError};
use crate::unit::UnitId;

/// A policy in force from `from` (nanoseconds since the Unix epoch) on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// The effective time (nanoseconds since the Unix epoch): events at or after it are judged
    /// under `policy`. It must be after the ledger's last event and after any earlier amendment's.
    pub from: u64,
    /// The whole policy in force from `from`, validated like a ledger's policy.
    pub policy: Policy,
}

/// Why an amendment is refused. Nothing changed and nothing was journaled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmendmentError {
    /// The policy fails its own validation (the reason is inside).
    #[error("the amended policy is not valid: {0}")]
    Invalid(PolicyError),
    /// The ledger was created without time-bank rules, so there is nothing to amend.
    #[error("the ledger has no time-bank rules to amend (it was created without codes)")]
    LedgerWithoutRules,
    /// The amended policy defines no codes: a ledger's rules cannot be dropped.
    #[error("an amended policy must define codes: the ledger's rules cannot be removed")]
    RulesRemoved,
    /// The amended policy's units differ from the ledger's in id, name or scale.
    #[error("an amended policy keeps the ledger's units exactly (ids, names and scales)")]
    UnitsChanged,
    /// The unit expires under the policy in force, and the amended policy has no expiry rule for it.
    #[error(
        "unit {0} expires under the policy in force: an amended policy keeps an expiry rule for it"
    )]
    ExpiryDropped(UnitId),
    /// The amended policy's expiry account does not exist as an expiry account of its unit.
    #[error("the expiry account {0} of the amended policy is not an expiry account of its unit")]
    ExpiryAccountNotFound(AccountId),
    /// The effective time is not after the ledger's last applied event.
    #[error(
        "the effective time {from} is not after the ledger's last event ({clock}): an amendment \
         never judges history again"
    )]
    NotAfterClock {
        /// The refused effective time (nanoseconds since the Unix epoch).
        from: u64,
        /// The timestamp of the ledger's last applied event.
        clock: u64,
    },
    /// The effective time is not after the previous amendment's.
    #[error("the effective time {from} is not after the previous amendment's ({previous})")]
    NotAfterPreviousAmendment {
        /// The refused effective time (nanoseconds since the Unix epoch).
        from: u64,
        /// The effective time of the latest amendment already recorded.
        previous: u64,
    },
}
