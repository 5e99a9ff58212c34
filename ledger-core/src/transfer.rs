//! Transfers: one debit, one credit, one amount. The only way a balance ever changes.

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::id::{AccountId, TransferId};
use crate::unit::UnitId;

/// Flags that say what kind of event a transfer is. Stored as a `u16` bit set; the numbers are
/// stable (they are written to the journal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransferFlags(pub u16);

impl TransferFlags {
    /// No flag: a plain transfer that applies at once.
    pub const NONE: TransferFlags = TransferFlags(0);
    /// This event and the next one succeed or fail together. A chain ends at the first event
    /// without the flag.
    pub const LINKED: TransferFlags = TransferFlags(1 << 0);
    /// A hold: the amount is reserved (pending) until posted, voided or expired.
    pub const PENDING: TransferFlags = TransferFlags(1 << 1);
    /// Posts the pending transfer `related_id`, fully or partly; the remainder is released.
    pub const POST_PENDING: TransferFlags = TransferFlags(1 << 2);
    /// Voids the pending transfer `related_id`, releasing the whole hold.
    pub const VOID_PENDING: TransferFlags = TransferFlags(1 << 3);
    /// Moves at most `amount`: as much as the debit account's floor allows.
    pub const BALANCING_DEBIT: TransferFlags = TransferFlags(1 << 4);
    /// Moves at most `amount`: as much as the credit account's ceiling allows.
    pub const BALANCING_CREDIT: TransferFlags = TransferFlags(1 << 5);
    /// Closes the debit account; its balance must be zero afterwards (so the transfer names
    /// where the rest went).
    pub const CLOSING_DEBIT: TransferFlags = TransferFlags(1 << 6);
    /// Closes the credit account; its balance must be zero afterwards.
    pub const CLOSING_CREDIT: TransferFlags = TransferFlags(1 << 7);
    /// Reverses the posted transfer `related_id`: moves its amount back, at most once.
    pub const REVERSAL: TransferFlags = TransferFlags(1 << 8);

    /// Every defined bit; the rest are reserved and refused.
    pub const ALL: TransferFlags = TransferFlags((1 << 9) - 1);

    /// Whether every bit of `other` is set in `self` (true for an empty `other`).
    pub const fn contains(self, other: TransferFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits of both.
    pub const fn union(self, other: TransferFlags) -> TransferFlags {
        TransferFlags(self.0 | other.0)
    }

    /// The bits of `self` without those of `other`.
    pub const fn without(self, other: TransferFlags) -> TransferFlags {
        TransferFlags(self.0 & !other.0)
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for TransferFlags {
    type Output = TransferFlags;
    fn bitor(self, rhs: TransferFlags) -> TransferFlags {
        self.union(rhs)
    }
}

/// A transfer request. Its `id` is the idempotency key.
///
/// For a post or a void, `debit_account_id`, `credit_account_id`, `unit`, `code` and `amount`
/// may be left empty (`None` / 0) to mean "as in the pending transfer"; when given they must
/// match it (the amount of a post may be smaller: the rest is released).
///
/// ```
/// use ledger_core::{AccountId, AccountKind, Amount, Ledger, NewAccount, ResultCode, Transfer,
///                   TransferFlags, TransferId, TransferState, Unit};
///
/// let mut ledger = Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap();
/// let (fund, member) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
/// ledger.create_accounts(&[NewAccount::new(fund, 1, AccountKind::Issuer),
///                          NewAccount::new(member, 1, AccountKind::Member)], 1_000).unwrap();
///
/// // Hold 3 hours for a booking, then post 2 of them: the third hour is released.
/// let (hold, post) = (TransferId::new(1).unwrap(), TransferId::new(2).unwrap());
/// let booking = Transfer::new(hold, fund, member, Amount::parse("3").unwrap(), 1)
///     .flags(TransferFlags::PENDING)
///     .timeout_s(3600);
/// let done = Transfer::post(post, hold, Some(Amount::parse("2").unwrap()));
/// let results = ledger.create_transfers(&[booking, done], 2_000).unwrap();
/// assert!(results.iter().all(|r| r.code == ResultCode::Ok));
/// assert_eq!(ledger.transfer(hold).unwrap().state, TransferState::PendingPosted);
/// let account = ledger.account(member).unwrap();
/// assert_eq!(account.posted().to_string(), "2");
/// assert_eq!(account.balances.posted(), 200); // minor units: hundredths of an hour
/// assert_eq!(account.balances.credits_pending, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The transfer's id (not zero): the idempotency key. Submitting it again with the same fields
    /// gives `exists`; with other fields, `exists_with_different_*`.
    pub id: TransferId,
    /// The account debited (its balance goes down); `None` only for a post, void or reversal.
    pub debit_account_id: Option<AccountId>,
    /// The account credited (its balance goes up); `None` only for a post, void or reversal.
    pub credit_account_id: Option<AccountId>,
    /// How much moves, in `unit`, within the unit's scale; `None` only for a post (all of the
    /// hold), a void or a reversal (the whole original).
    pub amount: Option<Amount>,
    /// For a post or void: the pending transfer. For a reversal: the transfer reversed.
    pub related_id: Option<TransferId>,
    /// The unit of `amount`; it must be the unit of both accounts; 0 only for a post, void or
    /// reversal ("as in the related transfer").
    pub unit: UnitId,
    /// Purpose, such as a service category; the time-bank rules give codes their meaning.
    pub code: u16,
    /// What kind of event this is ([`TransferFlags`]); undefined bits are refused.
    pub flags: TransferFlags,
    /// For a pending transfer: seconds after its timestamp when `expire` may release it;
    /// 0 for never.
    pub timeout_s: u32,
    /// The host's own reference (never personal data).
    pub user_data: u128,
    /// When the service this transfer pays for was done, in nanoseconds since the Unix epoch,
    /// if not at the event's own time (a sign-in sheet typed in later). Plain transfers and
    /// posts only. Caps count the local day of this time, statements show it; the policy's
    /// `late_days_max` bounds how far back it may be, and it may not be after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_at: Option<u64>,
}

impl Transfer {
    /// A plain transfer of `amount` from `debit` to `credit`.
    pub fn new(
        id: TransferId,
        debit: AccountId,
        credit: AccountId,
        amount: Amount,
        unit: UnitId,
    ) -> Transfer {
        Transfer {
            id,
            debit_account_id: Some(debit),
            credit_account_id: Some(credit),
            amount: Some(amount),
            related_id: None,
            unit,
            code: 0,
            flags: TransferFlags::NONE,
            timeout_s: 0,
            user_data: 0,
            served_at: None,
        }
    }

    /// Posts the pending transfer `pending`: all of it when `amount` is `None`.
    pub fn post(id: TransferId, pending: TransferId, amount: Option<Amount>) -> Transfer {
        Transfer::resolving(id, pending, amount, TransferFlags::POST_PENDING)
    }

    /// Voids the pending transfer `pending`.
    pub fn void(id: TransferId, pending: TransferId) -> Transfer {
        Transfer::resolving(id, pending, None, TransferFlags::VOID_PENDING)
    }

    /// Reverses the posted transfer `original`, moving its amount back.
    pub fn reversal(id: TransferId, original: TransferId) -> Transfer {
        Transfer::resolving(id, original, None, TransferFlags::REVERSAL)
    }

    fn resolving(
        id: TransferId,
        related: TransferId,
        amount: Option<Amount>,
        flags: TransferFlags,
    ) -> Transfer {
        Transfer {
            id,
            debit_account_id: None,
            credit_account_id: None,
            amount,
            related_id: Some(related),
            unit: 0,
            code: 0,
            flags,
            timeout_s: 0,
            user_data: 0,
            served_at: None,
        }
    }

    /// Sets the code (its meaning comes from the policy; 0 means none, or for a post, void or
    /// reversal "as in the related transfer").
    pub fn code(mut self, code: u16) -> Self {
        self.code = code;
        self
    }

    /// Adds `flags` to those already set (bitwise or).
    pub fn flags(mut self, flags: TransferFlags) -> Self {
        self.flags = self.flags | flags;
        self
    }

    /// Sets the hold's timeout in seconds (pending transfers only; 0 for never; at most
    /// [`crate::limits::PENDING_TIMEOUT_S_MAX`]).
    pub fn timeout_s(mut self, timeout_s: u32) -> Self {
        self.timeout_s = timeout_s;
        self
    }

    /// Sets the host's own 128-bit reference (never personal data).
    pub fn user_data(mut self, user_data: u128) -> Self {
        self.user_data = user_data;
        self
    }

    /// Says when the service was done (the field `served_at`).
    pub fn served_at(mut self, served_at: u64) -> Self {
        self.served_at = Some(served_at);
        self
    }
}

/// Where a stored transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Applied to posted balances (a plain transfer, a post, a void's record, a reversal).
    Posted,
    /// A hold not yet resolved.
    Pending,
    /// A hold that a post resolved (the post is its own transfer).
    PendingPosted,
    /// A hold that a void released.
    PendingVoided,
    /// A hold that `expire` released after its timeout.
    PendingExpired,
}

/// A transfer as the ledger keeps it: the request as given, plus what the ledger decided.
///
/// The ledger holds one for every transfer it ever applied, so its size is most of the
/// engine's memory and of what applying a transfer writes. Most requests are plain (both
/// accounts, the amount, unit and code given as applied, no related transfer, no `served_at`):
/// for those the request is rebuilt from the applied fields ([`TransferRecord::request`]) instead
/// of kept twice; any other request is kept whole, boxed. Its serde form is unchanged: the
/// request, then the applied fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RecordFields", into = "RecordFields")]
pub struct TransferRecord {
    /// The accounts, unit and code it applied to (filled from the pending or original transfer
    /// for a post, void or reversal).
    pub debit_account_id: AccountId,
    /// The account credited, as applied.
    pub credit_account_id: AccountId,
    /// The request's `user_data`.
    user_data: u128,
    /// The reversal that undid this transfer, if any.
    pub reversed_by: Option<TransferId>,
    /// The request's id.
    id: TransferId,
    /// What moved (or was held, or released by a void).
    pub amount: Amount,
    /// Assigned by the ledger: nanoseconds since the Unix epoch, strictly increasing.
    pub timestamp: u64,
    /// The request, when it is not the plain one the applied fields give back.
    unusual: Option<Box<Transfer>>,
    /// The request's `timeout_s`.
    timeout_s: u32,
    /// The unit, as applied.
    pub unit: UnitId,
    /// The code, as applied.
    pub code: u16,
    /// The request's flags.
    flags: TransferFlags,
    /// Where the transfer stands now (a hold moves on when posted, voided or expired).
    pub state: TransferState,
}

impl TransferRecord {
    /// The record of `request` applied as given (`Posted`, not reversed; a hold sets `state`).
    pub fn new(
        request: &Transfer,
        debit_account_id: AccountId,
        credit_account_id: AccountId,
        unit: UnitId,
        code: u16,
        amount: Amount,
        timestamp: u64,
    ) -> TransferRecord {
        let plain = request.debit_account_id == Some(debit_account_id)
            && request.credit_account_id == Some(credit_account_id)
            && request.amount == Some(amount)
            && request.related_id.is_none()
            && request.unit == unit
            && request.code == code
            && request.served_at.is_none();
        TransferRecord {
            debit_account_id,
            credit_account_id,
            user_data: request.user_data,
            reversed_by: None,
            id: request.id,
            amount,
            timestamp,
            unusual: (!plain).then(|| Box::new(request.clone())),
            timeout_s: request.timeout_s,
            unit,
            code,
            flags: request.flags,
            state: TransferState::Posted,
        }
    }

    /// The request exactly as submitted (for idempotent resubmission checks).
    pub fn request(&self) -> Transfer {
        match &self.unusual {
            Some(request) => (**request).clone(),
            None => Transfer {
                id: self.id,
                debit_account_id: Some(self.debit_account_id),
                credit_account_id: Some(self.credit_account_id),
                amount: Some(self.amount),
                related_id: None,
                unit: self.unit,
                code: self.code,
                flags: self.flags,
                timeout_s: self.timeout_s,
                user_data: self.user_data,
                served_at: None,
            },
        }
    }

    /// Whether the request is the plain one the applied fields give back (see
    /// [`TransferRecord::request`]): both accounts, the amount, unit and code as applied, no
    /// related transfer, no `served_at`.
    pub(crate) fn request_is_plain(&self) -> bool {
        self.unusual.is_none()
    }

    /// The transfer's id (the request's id).
    pub fn id(&self) -> TransferId {
        self.id
    }

    /// The flags of the request as submitted.
    pub fn flags(&self) -> TransferFlags {
        self.flags
    }

    /// For a post or void, the pending transfer; for a reversal, the transfer reversed.
    pub fn related_id(&self) -> Option<TransferId> {
        self.unusual.as_ref().and_then(|r| r.related_id)
    }

    /// The host's own reference, as the request gave it.
    pub fn user_data(&self) -> u128 {
        self.user_data
    }

    /// The request's `timeout_s` (0 for none).
    pub fn timeout_s(&self) -> u32 {
        self.timeout_s
    }

    /// When the service it pays for was done: `served_at` if the request gave one, else the
    /// event's timestamp.
    pub fn served_at(&self) -> u64 {
        self.unusual
            .as_ref()
            .and_then(|r| r.served_at)
            .unwrap_or(self.timestamp)
    }

    /// When a pending transfer may be expired (`None` when it never times out).
    pub fn expires_at(&self) -> Option<u64> {
        match self.timeout_s {
            0 => None,
            t => Some(self.timestamp.saturating_add(u64::from(t) * 1_000_000_000)),
        }
    }
}

/// A [`TransferRecord`]'s serde form: the request whole, then what the ledger decided.
#[derive(Serialize, Deserialize)]
#[serde(rename = "TransferRecord")]
struct RecordFields {
    request: Transfer,
    debit_account_id: AccountId,
    credit_account_id: AccountId,
    unit: UnitId,
    code: u16,
    amount: Amount,
    timestamp: u64,
    state: TransferState,
    reversed_by: Option<TransferId>,
}

impl From<RecordFields> for TransferRecord {
    fn from(f: RecordFields) -> TransferRecord {
        let mut record = TransferRecord::new(
            &f.request,
            f.debit_account_id,
            f.credit_account_id,
            f.unit,
            f.code,
            f.amount,
            f.timestamp,
        );
        record.state = f.state;
        record.reversed_by = f.reversed_by;
        record
    }
}

impl From<TransferRecord> for RecordFields {
    fn from(r: TransferRecord) -> RecordFields {
        RecordFields {
            request: r.request(),
            debit_account_id: r.debit_account_id,
            credit_account_id: r.credit_account_id,
            unit: r.unit,
            code: r.code,
            amount: r.amount,
            timestamp: r.timestamp,
            state: r.state,
            reversed_by: r.reversed_by,
        }
    }
}

// Five ids and a few words, not the request twice: two cache lines (128 bytes), where keeping
// the request whole took 208. A record is written for every transfer; grow it only knowing that.
const _: () = assert!(std::mem::size_of::<TransferRecord>() == 128);
