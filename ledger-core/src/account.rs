//! Accounts: who holds hours or points, with limits the engine enforces.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::id::AccountId;
use crate::minor;
use crate::unit::UnitId;

/// What an account is for. The time-bank rules and reports use it; the engine itself treats every
/// kind alike apart from the defaults of [`NewAccount::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum AccountKind {
    /// A person who serves and is served. Floor 0 by default: a member cannot owe hours.
    Member = 1,
    /// A volunteer team. Its hours may only be donated.
    Group = 2,
    /// An issuing fund (a community's or a government's): the source of newly earned credits.
    /// Its negative balance is what it has issued.
    Issuer = 3,
    /// A guarantee fund that buys care when hours cannot be honoured otherwise.
    Guarantee = 4,
    /// A clearing account between ledgers (portability between districts and cities).
    Clearing = 5,
    /// Where redeemed points go (a points supermarket).
    Redemption = 6,
    /// Where expired credits go.
    Expiry = 7,
    /// A donation pool: hours given away, and earnings above a cap where the policy says so.
    Donation = 8,
}

impl AccountKind {
    /// Every kind, in the order of their stable numbers (1 to 8).
    pub const ALL: [AccountKind; 8] = [
        AccountKind::Member,
        AccountKind::Group,
        AccountKind::Issuer,
        AccountKind::Guarantee,
        AccountKind::Clearing,
        AccountKind::Redemption,
        AccountKind::Expiry,
        AccountKind::Donation,
    ];

    /// The kind with this stable number.
    pub fn from_u8(value: u8) -> Option<AccountKind> {
        Self::ALL.into_iter().find(|k| *k as u8 == value)
    }

    /// The name used in policies, reports and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::Member => "member",
            AccountKind::Group => "group",
            AccountKind::Issuer => "issuer",
            AccountKind::Guarantee => "guarantee",
            AccountKind::Clearing => "clearing",
            AccountKind::Redemption => "redemption",
            AccountKind::Expiry => "expiry",
            AccountKind::Donation => "donation",
        }
    }

    /// Whether the bank owes this account's credit balance to a person or group: these balances
    /// make up the outstanding liability.
    pub fn is_holder(self) -> bool {
        matches!(self, AccountKind::Member | AccountKind::Group)
    }
}

/// A request to open an account. The fields are fixed once the account exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The account's id; opening it again with the same fields gives `exists`, with others
    /// `account_exists_with_different_fields`.
    pub id: AccountId,
    /// The unit the account holds; it cannot change, and transfers must be in this unit.
    pub unit: UnitId,
    /// What the account is for; it decides the default limits and how the time-bank rules treat it.
    pub kind: AccountKind,
    /// The community (or district) the account belongs to, for roll-ups. Opaque to the engine.
    pub community: u32,
    /// The host's own reference (never personal data: the journal is immutable).
    pub user_data: u128,
    /// The lowest balance (credits minus debits, pending debits included) the account may reach;
    /// `None` for no floor. Must be zero or negative.
    pub floor: Option<Decimal>,
    /// The highest balance (credits minus debits, pending credits included); `None` for none.
    pub ceiling: Option<Decimal>,
    /// The first moment (nanoseconds since the Unix epoch) the account may pay for care with its
    /// hours (withdrawal eligibility), as set by the host; `None` when the host sets no date.
    /// Enforced by the time-bank rules: a member with no date cannot pay for care.
    pub eligible_from: Option<u64>,
}

impl NewAccount {
    /// An account with the usual limits for its kind: members and groups cannot go below zero;
    /// issuers, clearing and other funds have no floor. No ceiling, no eligibility date.
    pub fn new(id: AccountId, unit: UnitId, kind: AccountKind) -> NewAccount {
        let floor = if kind.is_holder() {
            Some(Decimal::ZERO)
        } else {
            None
        };
        NewAccount {
            id,
            unit,
            kind,
            community: 0,
            user_data: 0,
            floor,
            ceiling: None,
            eligible_from: None,
        }
    }

    /// Sets the community (or district) number used for roll-ups.
    pub fn community(mut self, community: u32) -> Self {
        self.community = community;
        self
    }

    /// Sets the host's own 128-bit reference (never personal data: the journal is immutable).
    pub fn user_data(mut self, user_data: u128) -> Self {
        self.user_data = user_data;
        self
    }

    /// Sets the lowest balance the account may reach, in the unit's amounts (`None` for no floor).
    /// It must be zero or negative, with no more decimals than the unit's scale; the ledger rejects
    /// the account otherwise (`account_limits_invalid`, `account_limit_out_of_range`).
    pub fn floor(mut self, floor: Option<Decimal>) -> Self {
        self.floor = floor;
        self
    }

    /// Sets the highest balance the account may reach (`None` for no ceiling); zero or positive,
    /// at the unit's scale at most, as for [`NewAccount::floor`].
    pub fn ceiling(mut self, ceiling: Option<Decimal>) -> Self {
        self.ceiling = ceiling;
        self
    }

    /// Sets the first moment (nanoseconds since the Unix epoch) the account may pay for care.
    /// Under a policy a member with `None` cannot pay for care at all (`not_yet_eligible`).
    pub fn eligible_from(mut self, at: Option<u64>) -> Self {
        self.eligible_from = at;
        self
    }
}

/// The four running totals of an account, in minor units of its unit (hundredths of an hour
/// when the unit's scale is 2: `250` is 2.5 hours). Balances are derived from entries: every
/// applied transfer adds to exactly one debit and one credit total, and nothing else changes them.
/// Each total stays within [`crate::limits::BALANCE_WHOLE_MAX`] whole units; for text, turn one
/// into a decimal with [`minor::decimal`] and the unit's scale (or use the `Account` helpers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    /// Debits of holds not yet posted or voided (they count against the floor).
    pub debits_pending: i128,
    /// Debits applied for good.
    pub debits_posted: i128,
    /// Credits of holds not yet posted or voided (they count against the ceiling).
    pub credits_pending: i128,
    /// Credits applied for good.
    pub credits_posted: i128,
}

impl Balances {
    /// Posted credits minus posted debits: what the account holds, in minor units.
    pub fn posted(&self) -> i128 {
        self.credits_posted - self.debits_posted
    }

    /// What the account may still spend: the posted balance less pending debits (holds), in
    /// minor units.
    pub fn available(&self) -> i128 {
        self.credits_posted - self.debits_posted - self.debits_pending
    }

    /// The highest the balance could reach if every pending credit posted, in minor units.
    pub fn potential(&self) -> i128 {
        self.credits_posted + self.credits_pending - self.debits_posted
    }

    /// Whether nothing is left on the account, posted or held.
    pub fn is_empty(&self) -> bool {
        self.posted() == 0 && self.debits_pending == 0 && self.credits_pending == 0
    }
}

/// An account as the ledger keeps it.
///
/// The fields are laid out for the transfer path, which reaches two random accounts of a large
/// table per event and pays for every cache line it touches: a record starts on a line of its own;
/// the first line holds the floor, the id, the unit and whether the account is closed (all a
/// debit checks besides the totals), the second the totals, the third the ceiling (a credit's
/// check) and the rest what no transfer reads. The serde form lists the fields in their
/// earlier order: `id`, `unit`, `scale`, `kind`, `community`, `user_data`, `floor`, `ceiling`,
/// `eligible_from`, `timestamp`, `closed`, `balances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AccountFields", into = "AccountFields")]
#[repr(C, align(64))]
pub struct Account {
    /// The lowest balance allowed (pending debits included), in minor units; `None` for none.
    pub floor: Option<i128>,
    /// The account's id, unique in the ledger.
    pub id: AccountId,
    /// The unit of every amount the account holds.
    pub unit: UnitId,
    /// The unit's scale (decimal places), copied when the account opens: the minor units of
    /// [`Account::floor`], [`Account::ceiling`] and [`Account::balances`] are `10^-scale` of the
    /// unit.
    pub scale: u8,
    /// What the account is for.
    pub kind: AccountKind,
    /// Closed accounts take no new transfers; voiding the closing transfer reopens them.
    pub closed: bool,
    /// The community (or district) number, for roll-ups; opaque to the engine.
    pub community: u32,
    /// The account's running totals, from which its balances derive.
    pub balances: Balances,
    /// The highest balance allowed (pending credits included), in minor units; `None` for none.
    pub ceiling: Option<i128>,
    /// The first moment (nanoseconds since the Unix epoch) the account may pay for care; `None`
    /// when no date is set, which under a policy means it may not pay for care.
    pub eligible_from: Option<u64>,
    /// When the ledger created it (nanoseconds since the Unix epoch, assigned by the ledger).
    pub timestamp: u64,
    /// The host's own reference, as given when the account was opened.
    pub user_data: u128,
}

/// An [`Account`]'s fields in the order its serde form lists them.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Account")]
struct AccountFields {
    id: AccountId,
    unit: UnitId,
    scale: u8,
    kind: AccountKind,
    community: u32,
    user_data: u128,
    floor: Option<i128>,
    ceiling: Option<i128>,
    eligible_from: Option<u64>,
    timestamp: u64,
    closed: bool,
    balances: Balances,
}

// The lines a transfer reads (see `Account`): a debit reads the first two, a credit three.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(align_of::<Account>() == 64 && size_of::<Account>() == 256);
    assert!(offset_of!(Account, id) + size_of::<AccountId>() <= 64);
    assert!(offset_of!(Account, closed) < 64 && offset_of!(Account, unit) < 64);
    assert!(offset_of!(Account, balances) == 64 && size_of::<Balances>() == 64);
    assert!(offset_of!(Account, ceiling) == 128);
};

impl From<AccountFields> for Account {
    fn from(f: AccountFields) -> Account {
        Account {
            floor: f.floor,
            id: f.id,
            unit: f.unit,
            scale: f.scale,
            kind: f.kind,
            closed: f.closed,
            community: f.community,
            balances: f.balances,
            ceiling: f.ceiling,
            eligible_from: f.eligible_from,
            timestamp: f.timestamp,
            user_data: f.user_data,
        }
    }
}

impl From<Account> for AccountFields {
    fn from(a: Account) -> AccountFields {
        AccountFields {
            id: a.id,
            unit: a.unit,
            scale: a.scale,
            kind: a.kind,
            community: a.community,
            user_data: a.user_data,
            floor: a.floor,
            ceiling: a.ceiling,
            eligible_from: a.eligible_from,
            timestamp: a.timestamp,
            closed: a.closed,
            balances: a.balances,
        }
    }
}

impl Account {
    /// A new account with zero totals. `spec`'s limits have at most `scale` decimals and lie
    /// within `BALANCE_WHOLE_MAX` (the ledger checks both first).
    pub(crate) fn open(spec: &NewAccount, scale: u32, timestamp: u64) -> Account {
        let limit = |value: Decimal| {
            minor::from_decimal(value, scale).expect("limits are checked before an account opens")
        };
        Account {
            id: spec.id,
            unit: spec.unit,
            scale: scale as u8,
            kind: spec.kind,
            community: spec.community,
            user_data: spec.user_data,
            floor: spec.floor.map(limit),
            ceiling: spec.ceiling.map(limit),
            eligible_from: spec.eligible_from,
            timestamp,
            closed: false,
            balances: Balances::default(),
        }
    }

    /// The creation request this account answers, for idempotent re-creation checks (its
    /// limits written at the unit's scale).
    pub fn spec(&self) -> NewAccount {
        NewAccount {
            id: self.id,
            unit: self.unit,
            kind: self.kind,
            community: self.community,
            user_data: self.user_data,
            floor: self.floor.map(|f| self.decimal_at_scale(f)),
            ceiling: self.ceiling.map(|c| self.decimal_at_scale(c)),
            eligible_from: self.eligible_from,
        }
    }

    /// `minor` units of this account's unit as a normalized decimal (`250` at scale 2 is `2.5`).
    pub fn decimal(&self, minor: i128) -> Decimal {
        minor::decimal(minor, u32::from(self.scale))
    }

    /// `minor` units of this account's unit as a decimal written with the unit's scale (`0` at
    /// scale 2 is `0.00`).
    pub fn decimal_at_scale(&self, minor: i128) -> Decimal {
        minor::decimal_at_scale(minor, u32::from(self.scale))
    }

    /// The posted balance as a decimal (see [`Balances::posted`]).
    pub fn posted(&self) -> Decimal {
        self.decimal(self.balances.posted())
    }

    /// The available balance as a decimal (see [`Balances::available`]).
    pub fn available(&self) -> Decimal {
        self.decimal(self.balances.available())
    }

    /// The potential balance as a decimal (see [`Balances::potential`]).
    pub fn potential(&self) -> Decimal {
        self.decimal(self.balances.potential())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record's memory order is not its serde order: the JSON form lists the fields as it
    /// always has, and reads back to the same account.
    #[test]
    fn serde_keeps_the_field_order() {
        let spec = NewAccount::new(AccountId::new(7).unwrap(), 1, AccountKind::Member)
            .community(3)
            .user_data(9)
            .ceiling(Some(Decimal::new(5, 1)))
            .eligible_from(Some(11));
        let mut account = Account::open(&spec, 2, 42);
        account.balances.credits_posted = 250;
        let json = serde_json::to_string(&account).unwrap();
        assert_eq!(
            json,
            "{\"id\":7,\"unit\":1,\"scale\":2,\"kind\":\"member\",\"community\":3,\
             \"user_data\":9,\"floor\":0,\"ceiling\":50,\"eligible_from\":11,\"timestamp\":42,\
             \"closed\":false,\"balances\":{\"debits_pending\":0,\"debits_posted\":0,\
             \"credits_pending\":0,\"credits_posted\":250}}"
        );
        assert_eq!(serde_json::from_str::<Account>(&json).unwrap(), account);
    }
}
