//! Accounts: creating them in batches, closing empty ones, reading one back.

use std::ffi::c_char;

use ledger_core::{AccountKind, Command, Decimal, NewAccount};

use crate::attribution::{attribution_arg, timebank_attribution};
use crate::boundary;
use crate::decimal::{field, optional_field, TIMEBANK_DECIMAL_BYTES};
use crate::handle;
use crate::handle::timebank_store;
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// `timebank_account_new.limits`: use `floor_minor` as the floor (instead of the kind's default).
pub const TIMEBANK_LIMIT_FLOOR: u8 = 1;
/// `timebank_account_new.limits`: no floor at all (the account may go negative without bound).
pub const TIMEBANK_LIMIT_NO_FLOOR: u8 = 2;
/// `timebank_account_new.limits`: use `ceiling_minor` as the ceiling.
pub const TIMEBANK_LIMIT_CEILING: u8 = 4;
const LIMITS_ALL: u8 = TIMEBANK_LIMIT_FLOOR | TIMEBANK_LIMIT_NO_FLOOR | TIMEBANK_LIMIT_CEILING;

/// `timebank_account_new.kind`: a person who serves and is served (cannot go below zero).
pub const TIMEBANK_KIND_MEMBER: u8 = 1;
/// A volunteer team; its hours may only be donated.
pub const TIMEBANK_KIND_GROUP: u8 = 2;
/// An issuing fund: the source of earned credits.
pub const TIMEBANK_KIND_ISSUER: u8 = 3;
/// A guarantee fund.
pub const TIMEBANK_KIND_GUARANTEE: u8 = 4;
/// A clearing account between ledgers.
pub const TIMEBANK_KIND_CLEARING: u8 = 5;
/// Where redeemed points go (a points supermarket).
pub const TIMEBANK_KIND_REDEMPTION: u8 = 6;
/// Where expired credits go.
pub const TIMEBANK_KIND_EXPIRY: u8 = 7;
/// A donation pool.
pub const TIMEBANK_KIND_DONATION: u8 = 8;

/// A request to open an account, of kind `TIMEBANK_KIND_*`. With `limits` 0 the kind's defaults
/// apply (members and groups cannot go below zero; funds have no floor; no ceiling).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_account_new {
    /// The account's id (not zero); creating it again with the same fields gives 3 (exists).
    pub id: timebank_id,
    /// The host's own reference (never personal data: the journal is immutable).
    pub user_data: timebank_id,
    /// The floor in minor units of the unit's scale (zero or negative), used when `limits` has
    /// `TIMEBANK_LIMIT_FLOOR`.
    pub floor_minor: i64,
    /// The ceiling in minor units (zero or positive), used when `limits` has
    /// `TIMEBANK_LIMIT_CEILING`.
    pub ceiling_minor: i64,
    /// The first moment (nanoseconds since the Unix epoch) the account may pay for care; 0 for
    /// no date (under a policy with codes, a member without a date cannot pay for care).
    pub eligible_from: u64,
    /// The community (or district) number, for roll-ups; opaque to the ledger.
    pub community: u32,
    /// The unit the account holds (fixed for its life).
    pub unit: u16,
    /// What the account is for: a `TIMEBANK_KIND_*` value.
    pub kind: u8,
    /// `TIMEBANK_LIMIT_*` bits.
    pub limits: u8,
}

impl timebank_account_new {
    fn to_core(
        self,
        index: usize,
        scale_of: &dyn Fn(u16) -> Option<u32>,
    ) -> Result<NewAccount, Error> {
        let at = |field: &str| format!("accounts[{index}].{field}");
        let id = self.id.account(&at("id"))?;
        let kind = AccountKind::from_u8(self.kind).ok_or_else(|| {
            Error::invalid(format!("{}: no account kind {}", at("kind"), self.kind))
        })?;
        if self.limits & !LIMITS_ALL != 0 {
            return Err(Error::invalid(format!("{}: unknown bits", at("limits"))));
        }
        // An unknown unit is the engine's to refuse (unit_not_found); limits then need no scale.
        let scale = scale_of(self.unit).unwrap_or(0);
        let minor = |v: i64| Decimal::from_i128_with_scale(i128::from(v), scale);
        let mut spec = NewAccount::new(id, self.unit, kind)
            .community(self.community)
            .user_data(self.user_data.get())
            .eligible_from((self.eligible_from != 0).then_some(self.eligible_from));
        if self.limits & TIMEBANK_LIMIT_NO_FLOOR != 0 {
            spec = spec.floor(None);
        } else if self.limits & TIMEBANK_LIMIT_FLOOR != 0 {
            spec = spec.floor(Some(minor(self.floor_minor)));
        }
        if self.limits & TIMEBANK_LIMIT_CEILING != 0 {
            spec = spec.ceiling(Some(minor(self.ceiling_minor)));
        }
        Ok(spec)
    }
}

/// Creates `count` accounts at `now` (nanoseconds since the Unix epoch; 0 for the system clock)
/// in one durable command, and writes each account's result code (0 ok, 3 exists, 120
/// account_exists_with_different_fields, ...) to `codes_out[i]`.
///
/// Errors (nothing is created): `INVALID_ARGUMENT` for a `count` of 0 or above
/// `TIMEBANK_BATCH_MAX` (checked before `accounts` is read), a zero id, an unknown kind or limit
/// bit; `INVALID_TIME`; `OUTCOME_UNKNOWN` when the journal write or sync failed. A refused
/// account (a non-zero code) is journaled with the batch, as for transfers.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `accounts` is NULL or points to `count` structs; `codes_out`
/// is NULL or valid for writes of `count` `uint16_t`; `error_out` is NULL or valid for a write of
/// one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_create_accounts(
    store: *const timebank_store,
    accounts: *const timebank_account_new,
    count: u64,
    now: u64,
    codes_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe {
        timebank_store_create_accounts_by(
            store,
            accounts,
            count,
            std::ptr::null(),
            now,
            codes_out,
            error_out,
        )
    }
}

/// As `timebank_store_create_accounts`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_create_accounts`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_create_accounts_by(
    store: *const timebank_store,
    accounts: *const timebank_account_new,
    count: u64,
    by: *const timebank_attribution,
    now: u64,
    codes_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        let count = pointer::batch_count(count, "count")?;
        // SAFETY: the contract above covers `accounts` and `count`.
        let accounts = unsafe { pointer::slice_arg(accounts, count, "accounts") }?;
        // SAFETY: the contract above covers `codes_out` and `count`.
        let codes_out = unsafe { pointer::slice_out(codes_out, count, "codes_out") }?;
        let scale_of = |unit| store.read(|l| l.unit(unit).map(|u| u.scale));
        let specs = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| a.to_core(i, &scale_of))
            .collect::<Result<Vec<_>, _>>()?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let committed = store.run_by(Command::CreateAccounts(specs), who, now)?;
        for (slot, result) in codes_out.iter_mut().zip(committed.events()) {
            *slot = result.code as u16;
        }
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Closes `count` accounts whose balance is zero and that hold nothing pending (an empty,
/// dormant account), in one durable command at `now`, and writes each account's result code to
/// `codes_out[i]`: 0 closed, 3 `exists` (already closed), 57 `account_not_found`, 56
/// `closing_leaves_balance` (it holds a balance or a pending hold: close it with
/// `timebank_store_close_account`, which names where the balance goes). A closed account takes
/// no new transfers; its history stays. `by` names who closes them and why (NULL: no operator,
/// no reason; see `timebank_attribution`); under a policy with time-bank rules, an operator
/// without a reason gets `reason_required` (217) for each account.
///
/// Errors (nothing is closed): `INVALID_ARGUMENT` for a `count` of 0 or above
/// `TIMEBANK_BATCH_MAX` (checked before `accounts` is read) or a zero id; `INVALID_TIME`;
/// `OUTCOME_UNKNOWN` when the journal write or sync failed. A refused account (a non-zero code)
/// is journaled with the batch, as for transfers.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `accounts` is NULL or points to `count` `timebank_id`s; `by`
/// is NULL or points to one `timebank_attribution`; `codes_out` is NULL or valid for writes of
/// `count` `uint16_t`; `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_close_accounts(
    store: *const timebank_store,
    accounts: *const timebank_id,
    count: u64,
    by: *const timebank_attribution,
    now: u64,
    codes_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        let count = pointer::batch_count(count, "count")?;
        // SAFETY: the contract above covers `accounts` and `count`.
        let accounts = unsafe { pointer::slice_arg(accounts, count, "accounts") }?;
        // SAFETY: the contract above covers `codes_out` and `count`.
        let codes_out = unsafe { pointer::slice_out(codes_out, count, "codes_out") }?;
        let ids = accounts
            .iter()
            .enumerate()
            .map(|(i, id)| id.account(&format!("accounts[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let committed = store.run_by(Command::CloseAccounts(ids), who, now)?;
        for (slot, result) in codes_out.iter_mut().zip(committed.events()) {
            *slot = result.code as u16;
        }
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// An account as the ledger keeps it. Decimals are plain text at the unit's scale (`"12.50"`,
/// `"-3.00"` in a unit of 2 decimals); an empty
/// `floor` or `ceiling` means none.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_account {
    /// The account's id.
    pub id: timebank_id,
    /// The host's own reference, as given when the account was created.
    pub user_data: timebank_id,
    /// When the ledger created it (nanoseconds since the Unix epoch).
    pub timestamp: u64,
    /// 0 for no eligibility date.
    pub eligible_from: u64,
    /// The community (or district) number.
    pub community: u32,
    /// The unit the account holds.
    pub unit: u16,
    /// What the account is for: a `TIMEBANK_KIND_*` value.
    pub kind: u8,
    /// 1 when closed.
    pub closed: u8,
    /// The lowest balance allowed (pending debits included); empty for none.
    pub floor: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// The highest balance allowed (pending credits included); empty for none.
    pub ceiling: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// Debits of holds not yet posted, voided or expired.
    pub debits_pending: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// Debits applied for good.
    pub debits_posted: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// Credits of holds not yet posted, voided or expired.
    pub credits_pending: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// Credits applied for good.
    pub credits_posted: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// Credits minus debits, posted: what the account holds.
    pub balance: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// The balance less pending debits (holds): what it may still spend.
    pub available: [c_char; TIMEBANK_DECIMAL_BYTES],
}

/// Writes the account `id` to `*account_out`.
///
/// Errors: `NOT_FOUND` for an unknown id, `INVALID_ARGUMENT` for zero.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `account_out` is
/// NULL or valid for a write of one `timebank_account`; `error_out` is NULL or valid for a write
/// of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_account(
    store: *const timebank_store,
    id: *const timebank_id,
    account_out: *mut timebank_account,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `id`.
        let id = unsafe { pointer::ref_arg(id, "id") }?.account("id")?;
        // SAFETY: the contract above covers `account_out`.
        let out = unsafe { pointer::out_arg(account_out, "account_out") }?;
        let a = store
            .account(id)
            .ok_or_else(|| Error::new(Status::NotFound, format!("account {id} does not exist")))?;
        let b = a.balances;
        let scale = store.read(|l| l.unit(a.unit).map_or(0, |u| u.scale));
        out.write(timebank_account {
            id: a.id.into(),
            user_data: timebank_id::from_u128(a.user_data),
            timestamp: a.timestamp,
            eligible_from: a.eligible_from.unwrap_or(0),
            community: a.community,
            unit: a.unit,
            kind: a.kind as u8,
            closed: u8::from(a.closed),
            floor: optional_field(a.floor.map(|f| a.decimal(f)), scale),
            ceiling: optional_field(a.ceiling.map(|c| a.decimal(c)), scale),
            debits_pending: field(a.decimal(b.debits_pending), scale),
            debits_posted: field(a.decimal(b.debits_posted), scale),
            credits_pending: field(a.decimal(b.credits_pending), scale),
            credits_posted: field(a.decimal(b.credits_posted), scale),
            balance: field(a.posted(), scale),
            available: field(a.available(), scale),
        });
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

// The layouts are part of the ABI: the Python and Java packages mirror them byte for byte.
const _: () = assert!(std::mem::size_of::<timebank_account_new>() == 64);
const _: () = assert!(std::mem::size_of::<timebank_account>() == 440);

// The kind numbers are the engine's; written as literals for cbindgen.
const _: () = assert!(TIMEBANK_KIND_MEMBER == AccountKind::Member as u8);
const _: () = assert!(TIMEBANK_KIND_GROUP == AccountKind::Group as u8);
const _: () = assert!(TIMEBANK_KIND_ISSUER == AccountKind::Issuer as u8);
const _: () = assert!(TIMEBANK_KIND_GUARANTEE == AccountKind::Guarantee as u8);
const _: () = assert!(TIMEBANK_KIND_CLEARING == AccountKind::Clearing as u8);
const _: () = assert!(TIMEBANK_KIND_REDEMPTION == AccountKind::Redemption as u8);
const _: () = assert!(TIMEBANK_KIND_EXPIRY == AccountKind::Expiry as u8);
const _: () = assert!(TIMEBANK_KIND_DONATION == AccountKind::Donation as u8);
