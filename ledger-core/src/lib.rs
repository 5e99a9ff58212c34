//! A deterministic double-entry engine for time banks.
//!
//! Volunteers bank the hours they serve and later pay for care with them; communities award
//! points. Every change is a transfer with one debit and one credit, so nothing is created from
//! nothing: per unit, the posted balances of all accounts always sum to zero. Limits hold (a
//! member cannot go below zero unless configured), holds reserve hours until posted or voided,
//! linked chains apply all-or-nothing, ids are idempotency keys, and mistakes are reversed by a
//! new transfer, never deleted. The engine does no I/O, reads no clock and starts no thread: time
//! is an input, and the same requests always give the same state ([`Ledger::state_digest`]).
//!
//! ```
//! use ledger_core::{AccountId, AccountKind, Amount, Ledger, NewAccount, ResultCode, Transfer,
//!                   TransferId, Unit};
//!
//! let hours = 1;
//! let mut ledger = Ledger::new(vec![Unit::new(hours, "hours", 2)]).unwrap();
//! let fund = AccountId::new(1).unwrap();
//! let volunteer = AccountId::new(2).unwrap();
//! let now = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z, in nanoseconds
//! ledger.create_accounts(&[
//!     NewAccount::new(fund, hours, AccountKind::Issuer),
//!     NewAccount::new(volunteer, hours, AccountKind::Member),
//! ], now).unwrap();
//!
//! // Two and a half hours of service, paid by the community fund.
//! let service = Transfer::new(TransferId::new(10).unwrap(), fund, volunteer,
//!                             Amount::parse_in("2.5", 2).unwrap(), hours);
//! let results = ledger.create_transfers(&[service.clone()], now + 1).unwrap();
//! assert_eq!(results[0].code, ResultCode::Ok);
//! assert_eq!(ledger.account(volunteer).unwrap().posted().to_string(), "2.5");
//!
//! // Submitting the same id again changes nothing.
//! let again = ledger.create_transfers(&[service], now + 2).unwrap();
//! assert_eq!(again[0].code, ResultCode::Exists);
//!
//! // A member cannot spend hours they do not have.
//! let overdraw = Transfer::new(TransferId::new(11).unwrap(), volunteer, fund,
//!                              Amount::parse_in("3", 2).unwrap(), hours);
//! assert_eq!(ledger.create_transfers(&[overdraw], now + 3).unwrap()[0].code,
//!            ResultCode::ExceedsFloor);
//! ```
//!
//! # Time-bank rules
//!
//! A [`Policy`] (a TOML or JSON file; the shipped default is [`Policy::default_policy`]) gives
//! transfer codes their meaning and sets caps, gift rules, eligibility and expiry; a ledger made
//! with [`Ledger::with_policy`] enforces it whenever a transfer applies. [`timebank`] plans domain
//! operations (services, bookings, gifts, points, closing, reversals) as transfers;
//! [`Command::Operate`] hands one to the ledger to plan and apply in one step, idempotent by its
//! request id ([`operation`]); [`Command::AmendPolicy`] amends the policy from an effective time
//! on, each service judged under the policy in force on the day it was done ([`amendment`]); and
//! [`report`] gives the outstanding liability, flows per fund and pool, and statements.
//!
//! # Result codes
//!
//! Every event gets one [`ResultCode`]; the numbers are stable and shared by every language.
//! "Transient" codes depend on the ledger's state, so a standalone transfer that fails with one
//! records its id as failed (a retry gets `id_already_failed`, never a late success).
//!
//! | code | name | transient | meaning |
//! |---:|---|:--:|---|
//! | 0 | `ok` | | applied |
//! | 1 | `linked_event_failed` | | another event of the chain failed; this one was not applied |
//! | 2 | `linked_event_chain_open` | | the batch's last event has the linked flag |
//! | 3 | `exists` | | already applied with the same fields (original timestamp returned) |
//! | 4 | `id_already_failed` | | the id failed before with a transient code |
//! | 10 | `flags_reserved` | | an undefined flag bit is set |
//! | 11 | `flags_are_mutually_exclusive` | | pending/post/void/reversal combined, or balancing/closing with a post, void or reversal |
//! | 12 | `debit_account_required` | | plain or pending transfer without a debit account |
//! | 13 | `credit_account_required` | | plain or pending transfer without a credit account |
//! | 14 | `accounts_must_be_different` | | debit and credit are the same account |
//! | 15 | `amount_required` | | plain or pending transfer without an amount |
//! | 16 | `related_id_invalid` | | post/void/reversal without `related_id`, or another transfer with one |
//! | 17 | `timeout_reserved_for_pending` | | a timeout on a transfer that is not pending |
//! | 18 | `timeout_too_large` | | timeout above `PENDING_TIMEOUT_S_MAX` |
//! | 19 | `unit_not_found` | | no such unit |
//! | 20 | `amount_exceeds_unit_scale` | | more decimals than the unit allows |
//! | 21 | `served_at_not_allowed` | | `served_at` on a hold, void or reversal (only plain transfers and posts say when a service was done) |
//! | 22 | `served_at_in_future` | yes | `served_at` after the event's own timestamp |
//! | 30–39 | `exists_with_different_*` | | the id exists; names the first differing field (flags, debit_account_id, credit_account_id, amount, related_id, unit, code, timeout, user_data, served_at) |
//! | 40–45 | `operation_exists_with_different_*` | | an operation id ran before with other arguments; names the first that differs (kind, accounts, amount, code, served_at, details) |
//! | 50 | `debit_account_not_found` | yes | |
//! | 51 | `credit_account_not_found` | yes | |
//! | 52 | `accounts_must_have_the_same_unit` | | |
//! | 53 | `transfer_must_have_the_same_unit_as_accounts` | | |
//! | 54 | `debit_account_closed` | yes | |
//! | 55 | `credit_account_closed` | yes | |
//! | 56 | `closing_leaves_balance` | yes | a closing transfer must empty the account it closes (a closing hold: once posted, so it posts in full or is voided) |
//! | 57 | `account_not_found` | | a link, eligibility date or rating names no account |
//! | 58 | `link_invalid` | | family links join two members of the same unit |
//! | 59 | `too_many_links` | | `LINKS_PER_ACCOUNT_MAX` reached |
//! | 60 | `link_not_found` | | unlinking accounts that are not linked |
//! | 61 | `transfer_not_found` | | a rating names no posted transfer |
//! | 80 | `pending_transfer_not_found` | yes | |
//! | 81 | `pending_transfer_not_pending` | | `related_id` was not a hold |
//! | 82 | `pending_transfer_already_posted` | | a hold resolves at most once |
//! | 83 | `pending_transfer_already_voided` | | |
//! | 84 | `pending_transfer_expired` | | its timeout has passed |
//! | 85–88 | `pending_transfer_has_different_*` | | debit_account_id, credit_account_id, unit, code |
//! | 89 | `exceeds_pending_amount` | | post above the hold, or void with another amount |
//! | 100 | `reversed_transfer_not_found` | yes | |
//! | 101 | `transfer_not_reversible` | | only posted transfers (not holds, voids, reversals) |
//! | 102 | `already_reversed` | | a transfer is reversed at most once |
//! | 103 | `reversal_differs_from_original` | | given fields must mirror the original |
//! | 110 | `exceeds_floor` | yes | debit account would go below its floor (holds included) |
//! | 111 | `exceeds_ceiling` | yes | credit account would go above its ceiling (holds included) |
//! | 112 | `overflows_balance` | yes | a total would pass `BALANCE_WHOLE_MAX` |
//! | 120 | `account_exists_with_different_fields` | | the id exists with other fields (the eligibility date, which `SetEligibility` moves, aside) |
//! | 121 | `account_limits_invalid` | | floor above zero, or ceiling below zero |
//! | 122 | `account_limit_out_of_range` | | a limit has too many decimals or is too large |
//! | 123 | `accounts_full` | yes | `ACCOUNTS_MAX` reached |
//! | 124 | `transfers_full` | yes | `TRANSFERS_MAX` reached |
//! | 200 | `cap_exceeded_daily` | yes | time-bank rule: daily earning cap |
//! | 201 | `cap_exceeded_monthly` | yes | monthly earning cap |
//! | 202 | `cap_exceeded_lifetime` | yes | lifetime earning cap |
//! | 203 | `not_yet_eligible` | yes | paying for care before the eligibility date |
//! | 204 | `gift_not_allowed` | yes | gift outside registered family links |
//! | 205 | `group_may_only_donate` | | a group's hours go only to a donation pool |
//! | 206 | `code_not_allowed` | | the code is not in the policy, or does not fit the accounts' kinds |
//! | 207 | `rating_invalid` | | a rating outside 1–5 |
//! | 208 | `already_rated` | | a transfer is rated at most once |
//! | 209 | `transfer_id_reserved` | | with rules, ids with the top bit set are the ledger's own sweeps |
//! | 210 | `served_at_too_late` | yes | `served_at` more local days back than the policy's `late_days_max` |
//! | 211 | `weighted_amount_inexact` | | hours × weight has more decimals than the unit and the code's `rounding` is `refuse` |
//! | 212 | `closing_destination_not_allowed` | yes | a closing's balance may go to a fund, a pool, or a member the gift rule allows |
//! | 213 | `holds_pending` | yes | planner: an account to close still has holds |
//! | 214 | `not_a_booking` | yes | planner: the transfer named is not a pending booking |
//! | 215 | `donation_account_required` | yes | planner: the earning passes a donate cap and names no pool |
//! | 216 | `acts_invalid` | | planner: a points award for zero acts |
//! | 217 | `reason_required` | | under a policy with rules, a reversal or a closing by an attributed command names no reason |
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod account;
mod account_table;
pub mod amendment;
pub mod amount;
pub mod arrival;
pub mod attribution;
pub mod command;
pub mod digest;
pub mod entry_chain;
mod evictable;
mod eviction;
pub mod history;
pub mod id;
pub mod id_filter;
pub mod ledger;
pub mod limits;
pub mod minor;
pub mod operation;
pub mod policy;
pub mod report;
pub mod result;
mod rules;
pub mod snapshot;
mod tally;
pub mod timebank;
pub mod transfer;
pub mod transfer_table;
pub mod unit;
mod weight;

pub use account::{Account, AccountKind, Balances, NewAccount};
pub use amendment::{Amendment, AmendmentError};
pub use amount::{Amount, AmountError};
pub use arrival::{Arrival, CarriedLot, ARRIVAL_LOTS_MAX, NO_EXPIRY};
pub use attribution::Attribution;
pub use command::{Command, Eligibility, Link, Rating, Reply};
pub use id::{AccountId, TransferId, ZeroId};
pub use id_filter::IdFilter;
pub use ledger::{BatchError, Ledger};
pub use policy::{
    Cap, CodeRule, Excess, Expiry, GiftRules, Period, Policy, PolicyError, Purpose,
    SWEEP_TRANSFER_ID_BIT,
};
pub use report::{FlowReport, LiabilityReport, Statement, StatementError};
pub use result::{EventResult, ResultCode};
pub use rust_decimal::Decimal;
pub use timebank::{Plan, PlanError};
pub use transfer::{Transfer, TransferFlags, TransferRecord, TransferState};
pub use unit::{Unit, UnitError, UnitId};
