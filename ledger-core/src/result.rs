//! Result codes: one per event, with stable numbers.
//!
//! The table below is the reference for hosts in every language (the C header, the Python and
//! Java packages mirror it). "Transient" codes depend on the ledger's state at that moment, so the
//! same request might succeed later; to keep ids idempotent, a standalone transfer that fails with
//! a transient code records its id as failed, and any resubmission gets `IdAlreadyFailed`.

use serde::{Deserialize, Serialize};

macro_rules! result_codes {
    ($( $(#[$doc:meta])* $name:ident = $num:literal, $snake:literal, $transient:literal; )*) => {
        /// What happened to one event of a batch.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(into = "u16", try_from = "u16")]
        #[repr(u16)]
        #[non_exhaustive]
        pub enum ResultCode {
            $( $(#[$doc])* $name = $num, )*
        }

        impl ResultCode {
            /// Every code, in numeric order.
            pub const ALL: &'static [ResultCode] = &[$(ResultCode::$name,)*];

            /// The stable snake_case name (as in the C header and the host packages).
            pub fn name(self) -> &'static str {
                match self { $(ResultCode::$name => $snake,)* }
            }

            /// Whether a later attempt with the same request could succeed (see the module docs).
            pub fn is_transient(self) -> bool {
                match self { $(ResultCode::$name => $transient,)* }
            }

            /// The code with this number.
            pub fn from_u16(value: u16) -> Option<ResultCode> {
                match value { $($num => Some(ResultCode::$name),)* _ => None }
            }
        }
    };
}

result_codes! {
    /// Applied.
    Ok = 0, "ok", false;
    /// Another event of its linked chain failed, so this one was not applied.
    LinkedEventFailed = 1, "linked_event_failed", false;
    /// The last event of the batch has the linked flag: the chain never closed.
    LinkedEventChainOpen = 2, "linked_event_chain_open", false;
    /// Already applied with exactly these fields; the result carries the original timestamp.
    Exists = 3, "exists", false;
    /// This id failed before with a transient code; ids are never reused.
    IdAlreadyFailed = 4, "id_already_failed", false;

    /// A flag bit that has no meaning yet.
    FlagsReserved = 10, "flags_reserved", false;
    /// More than one of pending, post, void and reversal; or balancing with post, void or reversal.
    FlagsAreMutuallyExclusive = 11, "flags_are_mutually_exclusive", false;
    /// A plain or pending transfer without a debit account.
    DebitAccountRequired = 12, "debit_account_required", false;
    /// A plain or pending transfer without a credit account.
    CreditAccountRequired = 13, "credit_account_required", false;
    /// Debit and credit are the same account.
    AccountsMustBeDifferent = 14, "accounts_must_be_different", false;
    /// A plain, pending or balancing transfer without an amount.
    AmountRequired = 15, "amount_required", false;
    /// A post, void or reversal without `related_id`; or `related_id` on any other transfer.
    RelatedIdInvalid = 16, "related_id_invalid", false;
    /// A timeout on a transfer that is not pending.
    TimeoutReservedForPending = 17, "timeout_reserved_for_pending", false;
    /// A timeout above the maximum.
    TimeoutTooLarge = 18, "timeout_too_large", false;
    /// No unit with this number (0 is only allowed for a post, void or reversal).
    UnitNotFound = 19, "unit_not_found", false;
    /// The amount has more decimal places than the unit allows.
    AmountExceedsUnitScale = 20, "amount_exceeds_unit_scale", false;
    /// `served_at` on a hold, a void or a reversal (only a service's credit, a plain transfer or
    /// a post, says when the service was done).
    ServedAtNotAllowed = 21, "served_at_not_allowed", false;
    /// `served_at` is after the time the ledger gives the event: a service not yet done.
    ServedAtInFuture = 22, "served_at_in_future", true;

    /// The id exists with other flags.
    ExistsWithDifferentFlags = 30, "exists_with_different_flags", false;
    /// The id exists with another debit account.
    ExistsWithDifferentDebitAccountId = 31, "exists_with_different_debit_account_id", false;
    /// The id exists with another credit account.
    ExistsWithDifferentCreditAccountId = 32, "exists_with_different_credit_account_id", false;
    /// The id exists with another amount.
    ExistsWithDifferentAmount = 33, "exists_with_different_amount", false;
    /// The id exists with another `related_id`.
    ExistsWithDifferentRelatedId = 34, "exists_with_different_related_id", false;
    /// The id exists with another unit.
    ExistsWithDifferentUnit = 35, "exists_with_different_unit", false;
    /// The id exists with another code.
    ExistsWithDifferentCode = 36, "exists_with_different_code", false;
    /// The id exists with another timeout.
    ExistsWithDifferentTimeout = 37, "exists_with_different_timeout", false;
    /// The id exists with other user data.
    ExistsWithDifferentUserData = 38, "exists_with_different_user_data", false;
    /// The id exists with another `served_at`.
    ExistsWithDifferentServedAt = 39, "exists_with_different_served_at", false;
    /// An operation id ran before as another kind of operation.
    OperationExistsWithDifferentKind = 40, "operation_exists_with_different_kind", false;
    /// An operation id ran before naming other accounts (or another booking or original).
    OperationExistsWithDifferentAccounts = 41, "operation_exists_with_different_accounts", false;
    /// An operation id ran before with other hours, amount or acts.
    OperationExistsWithDifferentAmount = 42, "operation_exists_with_different_amount", false;
    /// An operation id ran before with another code.
    OperationExistsWithDifferentCode = 43, "operation_exists_with_different_code", false;
    /// An operation id ran before with another `served_at`.
    OperationExistsWithDifferentServedAt = 44, "operation_exists_with_different_served_at", false;
    /// An operation id ran before with other details (rating, points, timeout, user data).
    OperationExistsWithDifferentDetails = 45, "operation_exists_with_different_details", false;

    /// The debit account does not exist.
    DebitAccountNotFound = 50, "debit_account_not_found", true;
    /// The credit account does not exist.
    CreditAccountNotFound = 51, "credit_account_not_found", true;
    /// The two accounts keep different units.
    AccountsMustHaveTheSameUnit = 52, "accounts_must_have_the_same_unit", false;
    /// The transfer's unit is not the accounts' unit.
    TransferMustHaveTheSameUnitAsAccounts = 53, "transfer_must_have_the_same_unit_as_accounts", false;
    /// The debit account is closed.
    DebitAccountClosed = 54, "debit_account_closed", true;
    /// The credit account is closed.
    CreditAccountClosed = 55, "credit_account_closed", true;
    /// A closing transfer would leave a non-zero balance on the account it closes (a closing
    /// hold is judged as posted, and may only be posted in full).
    ClosingLeavesBalance = 56, "closing_leaves_balance", true;
    /// A link, eligibility date or rating names an account that does not exist.
    AccountNotFound = 57, "account_not_found", false;
    /// A family link between accounts that are not both members of the same unit.
    LinkInvalid = 58, "link_invalid", false;
    /// An account already has `LINKS_PER_ACCOUNT_MAX` links.
    TooManyLinks = 59, "too_many_links", false;
    /// An unlink of accounts that are not linked.
    LinkNotFound = 60, "link_not_found", false;
    /// A rating names no posted transfer.
    TransferNotFound = 61, "transfer_not_found", false;

    /// `related_id` of a post or void names no transfer.
    PendingTransferNotFound = 80, "pending_transfer_not_found", true;
    /// `related_id` names a transfer that was not made pending.
    PendingTransferNotPending = 81, "pending_transfer_not_pending", false;
    /// The hold was already posted.
    PendingTransferAlreadyPosted = 82, "pending_transfer_already_posted", false;
    /// The hold was already voided.
    PendingTransferAlreadyVoided = 83, "pending_transfer_already_voided", false;
    /// The hold's timeout has passed, whether or not `expire` has released it yet.
    PendingTransferExpired = 84, "pending_transfer_expired", false;
    /// The post or void names a debit account other than the hold's.
    PendingTransferHasDifferentDebitAccountId = 85, "pending_transfer_has_different_debit_account_id", false;
    /// The post or void names a credit account other than the hold's.
    PendingTransferHasDifferentCreditAccountId = 86, "pending_transfer_has_different_credit_account_id", false;
    /// The post or void names a unit other than the hold's.
    PendingTransferHasDifferentUnit = 87, "pending_transfer_has_different_unit", false;
    /// The post or void names a code other than the hold's.
    PendingTransferHasDifferentCode = 88, "pending_transfer_has_different_code", false;
    /// A post of more than the hold, or a void with an amount other than the hold's.
    ExceedsPendingAmount = 89, "exceeds_pending_amount", false;

    /// `related_id` of a reversal names no transfer.
    ReversedTransferNotFound = 100, "reversed_transfer_not_found", true;
    /// Only a posted plain transfer, post or balancing transfer can be reversed (not a hold, a
    /// void or another reversal).
    TransferNotReversible = 101, "transfer_not_reversible", false;
    /// The original was already reversed (a transfer is reversed at most once).
    AlreadyReversed = 102, "already_reversed", false;
    /// The reversal names accounts, a unit, a code or an amount other than the original's.
    ReversalDiffersFromOriginal = 103, "reversal_differs_from_original", false;

    /// The debit account would go below its floor (pending debits included).
    ExceedsFloor = 110, "exceeds_floor", true;
    /// The credit account would go above its ceiling (pending credits included).
    ExceedsCeiling = 111, "exceeds_ceiling", true;
    /// A balance total would pass the ledger's maximum.
    OverflowsBalance = 112, "overflows_balance", true;

    /// An account with this id exists with other fields.
    AccountExistsWithDifferentFields = 120, "account_exists_with_different_fields", false;
    /// The floor is above zero, or above the ceiling; the ceiling is below zero.
    AccountLimitsInvalid = 121, "account_limits_invalid", false;
    /// A limit has more decimals than the unit allows or is past the ledger's maximum.
    AccountLimitOutOfRange = 122, "account_limit_out_of_range", false;
    /// The ledger holds its maximum number of accounts.
    AccountsFull = 123, "accounts_full", true;
    /// The ledger holds its maximum number of transfers.
    TransfersFull = 124, "transfers_full", true;

    /// The credit would take the account past a daily earning cap (rejecting caps).
    CapExceededDaily = 200, "cap_exceeded_daily", true;
    /// The credit would take the account past a monthly earning cap.
    CapExceededMonthly = 201, "cap_exceeded_monthly", true;
    /// The credit would take the account past its lifetime earning cap.
    CapExceededLifetime = 202, "cap_exceeded_lifetime", true;
    /// The account may not pay for care before its eligibility date (or has none).
    NotYetEligible = 203, "not_yet_eligible", true;
    /// A gift between members who are not linked as family, where the policy requires it.
    GiftNotAllowed = 204, "gift_not_allowed", true;
    /// A group account's hours may only go to a donation pool.
    GroupMayOnlyDonate = 205, "group_may_only_donate", false;
    /// The transfer's code is not defined by the policy, or the accounts' kinds do not fit it.
    CodeNotAllowed = 206, "code_not_allowed", false;
    /// A service rating outside 1 to 5.
    RatingInvalid = 207, "rating_invalid", false;
    /// The transfer already has a rating.
    AlreadyRated = 208, "already_rated", false;
    /// A transfer id with the top bit set, which a ledger with rules keeps for its own sweeps.
    TransferIdReserved = 209, "transfer_id_reserved", false;
    /// `served_at` is more local days before the event than the policy's `late_days_max`.
    ServedAtTooLate = 210, "served_at_too_late", true;
    /// Hours times the code's weight has more decimals than the unit, and the code's
    /// `rounding` is `"refuse"`.
    WeightedAmountInexact = 211, "weighted_amount_inexact", false;
    /// A closing names a member the gift rule does not allow (not family, where the policy
    /// requires it) as the destination of the balance.
    ClosingDestinationNotAllowed = 212, "closing_destination_not_allowed", true;
    /// An account to close has pending holds (planner): post or void them first.
    HoldsPending = 213, "holds_pending", true;
    /// The transfer named as a booking is not a pending booking (planner).
    NotABooking = 214, "not_a_booking", true;
    /// An earning passes a cap whose excess goes to donation, and no donation pool was named
    /// (planner).
    DonationAccountRequired = 215, "donation_account_required", true;
    /// Zero acts for a points award (planner).
    ActsInvalid = 216, "acts_invalid", false;
    /// Under a policy with rules, a reversal or a closing (a closing transfer, closing an empty
    /// account, or those operations) by a command with an operator gives no reason code.
    ReasonRequired = 217, "reason_required", false;
}

impl From<ResultCode> for u16 {
    fn from(code: ResultCode) -> u16 {
        code as u16
    }
}

impl TryFrom<u16> for ResultCode {
    type Error = String;
    fn try_from(value: u16) -> Result<Self, String> {
        ResultCode::from_u16(value).ok_or_else(|| format!("unknown result code {value}"))
    }
}

impl std::fmt::Display for ResultCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of one event: a code, and for `Ok` and `Exists` the timestamp the ledger gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResult {
    /// What happened to the event.
    pub code: ResultCode,
    /// The event's timestamp (for `Exists`, the original one).
    pub timestamp: u64,
}

impl EventResult {
    /// Whether the event was applied now (`Ok`; not `Exists`).
    pub fn is_ok(&self) -> bool {
        self.code == ResultCode::Ok
    }
}
