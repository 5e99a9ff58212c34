//! Transfers: batches of C structs (amounts in minor units, for speed) or with decimal text
//! (for convenience), and reading one back.

use std::ffi::c_char;

use ledger_core::{
    Amount, Attribution, Command, Ledger, Transfer, TransferFlags, TransferRecord, TransferState,
};

use ledger_store::Store;

use crate::amount;
use crate::attribution::{attribution_arg, timebank_attribution};
use crate::boundary;
use crate::decimal::{field, TIMEBANK_DECIMAL_BYTES};
use crate::handle;
use crate::handle::{timebank_store, OpenStore};
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// `timebank_transfer.flags`: this transfer and the next succeed or fail together.
pub const TIMEBANK_FLAG_LINKED: u16 = 1;
/// A hold (pending transfer), until posted, voided or expired.
pub const TIMEBANK_FLAG_PENDING: u16 = 2;
/// Posts the hold `related_id`, fully or partly.
pub const TIMEBANK_FLAG_POST_PENDING: u16 = 4;
/// Voids the hold `related_id`.
pub const TIMEBANK_FLAG_VOID_PENDING: u16 = 8;
/// Moves at most `amount`: as much as the debit account's floor allows.
pub const TIMEBANK_FLAG_BALANCING_DEBIT: u16 = 16;
/// Moves at most `amount`: as much as the credit account's ceiling allows.
pub const TIMEBANK_FLAG_BALANCING_CREDIT: u16 = 32;
/// Closes the debit account (its balance must end at zero).
pub const TIMEBANK_FLAG_CLOSING_DEBIT: u16 = 64;
/// Closes the credit account.
pub const TIMEBANK_FLAG_CLOSING_CREDIT: u16 = 128;
/// Reverses the posted transfer `related_id`.
pub const TIMEBANK_FLAG_REVERSAL: u16 = 256;

/// A transfer request with its amount in minor units of the unit's scale (250 is 2.5 hours at
/// scale 2). Zero ids and a zero amount mean "none": a post or void may leave the accounts, unit,
/// code and amount empty to mean "as in the pending transfer". `flags` are `TIMEBANK_FLAG_*`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_transfer {
    /// The transfer's id (not zero): the idempotency key.
    pub id: timebank_id,
    /// The account debited; zero only for a post, void or reversal ("as in the related transfer").
    pub debit_account_id: timebank_id,
    /// The account credited; zero only for a post, void or reversal.
    pub credit_account_id: timebank_id,
    /// For a post or void: the pending transfer; for a reversal: the transfer reversed.
    pub related_id: timebank_id,
    /// The host's own reference (never personal data).
    pub user_data: timebank_id,
    /// How much moves, in minor units of the unit's scale; 0 only for a post (all of the hold),
    /// a void or a reversal.
    pub amount_minor: u64,
    /// For a pending transfer: seconds until `timebank_store_expire` may release it; 0 never.
    pub timeout_s: u32,
    /// The unit; 0 only for a post, void or reversal ("as in the related transfer").
    pub unit: u16,
    /// The transfer's code (its meaning comes from the ledger's policy); 0 for none, or for a
    /// post, void or reversal "as in the related transfer".
    pub code: u16,
    /// `TIMEBANK_FLAG_*` bits; any other bit is refused.
    pub flags: u16,
    /// Must be zero.
    pub reserved: [u16; 3],
}

/// The same request with the amount as plain decimal text (NULL for none).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_transfer_text {
    /// The transfer's id (not zero): the idempotency key.
    pub id: timebank_id,
    /// The account debited; zero only for a post, void or reversal.
    pub debit_account_id: timebank_id,
    /// The account credited; zero only for a post, void or reversal.
    pub credit_account_id: timebank_id,
    /// For a post or void: the pending transfer; for a reversal: the transfer reversed.
    pub related_id: timebank_id,
    /// The host's own reference (never personal data).
    pub user_data: timebank_id,
    /// How much moves, as plain decimal text in the unit (`"2.5"`), at most the unit's scale;
    /// NULL only for a post (all of the hold), a void or a reversal.
    pub amount: *const c_char,
    /// For a pending transfer: seconds until `timebank_store_expire` may release it; 0 never.
    pub timeout_s: u32,
    /// The unit; 0 only for a post, void or reversal.
    pub unit: u16,
    /// The transfer's code; 0 for none, or for a post, void or reversal "as in the related one".
    pub code: u16,
    /// `TIMEBANK_FLAG_*` bits; any other bit is refused.
    pub flags: u16,
    /// Must be zero.
    pub reserved: [u16; 3],
}

/// The fields both forms share, and the amount in whichever form it came.
struct Fields {
    id: timebank_id,
    debit: timebank_id,
    credit: timebank_id,
    related: timebank_id,
    user_data: timebank_id,
    timeout_s: u32,
    unit: u16,
    code: u16,
    flags: u16,
    reserved: [u16; 3],
}

impl Fields {
    fn of(t: &timebank_transfer) -> Fields {
        Fields {
            id: t.id,
            debit: t.debit_account_id,
            credit: t.credit_account_id,
            related: t.related_id,
            user_data: t.user_data,
            timeout_s: t.timeout_s,
            unit: t.unit,
            code: t.code,
            flags: t.flags,
            reserved: t.reserved,
        }
    }

    fn of_text(t: &timebank_transfer_text) -> Fields {
        Fields {
            id: t.id,
            debit: t.debit_account_id,
            credit: t.credit_account_id,
            related: t.related_id,
            user_data: t.user_data,
            timeout_s: t.timeout_s,
            unit: t.unit,
            code: t.code,
            flags: t.flags,
            reserved: t.reserved,
        }
    }
}

/// Converts a batch in order, so a post or void can find the scale of a hold earlier in it.
fn convert<'a>(
    ledger: &Ledger,
    store: &Store,
    count: usize,
    item: impl Fn(usize) -> Result<(Fields, AmountIn<'a>), Error>,
) -> Result<Vec<Transfer>, Error> {
    let mut batch = Vec::with_capacity(count);
    for i in 0..count {
        let (fields, amount) = item(i)?;
        let transfer = to_core(ledger, store, &batch, i, &fields, amount)?;
        batch.push(transfer);
    }
    Ok(batch)
}

enum AmountIn<'a> {
    Minor(u64),
    Text(Option<&'a str>),
}

/// The scale an amount of this transfer is written in: its unit's, or for a post, void or
/// reversal that leaves the unit empty, the related transfer's unit's (in the ledger, evicted
/// from its memory to the store's index, or earlier in the same batch). `None` when neither
/// exists (the engine refuses the transfer; its amount then needs no scale).
fn scale_for(
    ledger: &Ledger,
    store: &Store,
    f: &Fields,
    earlier: &[Transfer],
) -> Result<Option<u32>, Error> {
    if f.unit != 0 {
        return Ok(ledger.unit(f.unit).map(|u| u.scale));
    }
    let Some(related) = f.related.optional_transfer() else {
        return Ok(None);
    };
    let unit = match ledger.transfer(related) {
        Some(record) => Some(record.unit),
        // A settled transfer may be evicted (a retry of a post of an old hold names it).
        None => match store.evicted_transfer(related)? {
            Some(record) => Some(record.unit),
            None => earlier
                .iter()
                .rev()
                .find(|t| t.id == related)
                .map(|t| t.unit),
        },
    };
    Ok(unit.and_then(|unit| ledger.unit(unit)).map(|u| u.scale))
}

fn to_core(
    ledger: &Ledger,
    store: &Store,
    earlier: &[Transfer],
    index: usize,
    f: &Fields,
    amount: AmountIn<'_>,
) -> Result<Transfer, Error> {
    let at = |field: &str| format!("transfers[{index}].{field}");
    if f.reserved != [0; 3] {
        return Err(Error::invalid(format!("{} must be zero", at("reserved"))));
    }
    let scale =
        scale_for(ledger, store, f, earlier)?.unwrap_or(ledger_core::limits::UNIT_SCALE_MAX);
    let amount: Option<Amount> = match amount {
        AmountIn::Minor(0) | AmountIn::Text(None) => None,
        AmountIn::Minor(minor) => Some(amount::from_minor(minor, scale, &at("amount_minor"))?),
        AmountIn::Text(Some(text)) => Some(amount::parse(text, scale, &at("amount"))?),
    };
    Ok(Transfer {
        served_at: None,
        id: f.id.transfer(&at("id"))?,
        debit_account_id: f.debit.optional_account(),
        credit_account_id: f.credit.optional_account(),
        amount,
        related_id: f.related.optional_transfer(),
        unit: f.unit,
        code: f.code,
        flags: TransferFlags(f.flags),
        timeout_s: f.timeout_s,
        user_data: f.user_data.get(),
    })
}

fn submit(
    store: &OpenStore<'_>,
    transfers: Vec<Transfer>,
    who: Attribution,
    now: u64,
    codes_out: &mut [u16],
) -> Result<(), Error> {
    let committed = store.run_by(Command::CreateTransfers(transfers), who, now)?;
    for (slot, result) in codes_out.iter_mut().zip(committed.events()) {
        *slot = result.code as u16;
    }
    Ok(())
}

/// Submits `count` transfers at `now` (nanoseconds since the Unix epoch; 0 for the system clock)
/// in one durable command, and writes each transfer's result code (0 ok, 3 exists, 110
/// exceeds_floor, ...; see `timebank_result_code_name`) to `codes_out[i]`. A refused transfer
/// moves no balance, but it is journaled with the batch (the head and state digest move on, and
/// its id is remembered with its code); linked ones succeed or fail together.
///
/// Errors (nothing is read beyond what is said, nothing is submitted): `INVALID_ARGUMENT` for a
/// `count` of 0 or above `TIMEBANK_BATCH_MAX` (checked before `transfers` is read), a zero id or
/// non-zero reserved fields; `INVALID_AMOUNT` for an amount above the maximum; `INVALID_TIME`;
/// `OUTCOME_UNKNOWN` when the journal write or sync failed.
///
/// Thread safety: `store` may be used from several threads at once; concurrent batches share
/// one journal write and sync.
///
/// # Safety
/// `store` is NULL or a live handle; `transfers` is NULL or points to `count` structs;
/// `codes_out` is NULL or valid for writes of `count` `uint16_t`; `error_out` is NULL or valid
/// for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_submit_transfers(
    store: *const timebank_store,
    transfers: *const timebank_transfer,
    count: u64,
    now: u64,
    codes_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe {
        timebank_store_submit_transfers_by(
            store,
            transfers,
            count,
            std::ptr::null(),
            now,
            codes_out,
            error_out,
        )
    }
}

/// As `timebank_store_submit_transfers`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_submit_transfers`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_submit_transfers_by(
    store: *const timebank_store,
    transfers: *const timebank_transfer,
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
        // SAFETY: the contract above covers `transfers` and `count`.
        let transfers = unsafe { pointer::slice_arg(transfers, count, "transfers") }?;
        // SAFETY: the contract above covers `codes_out` and `count`.
        let codes_out = unsafe { pointer::slice_out(codes_out, count, "codes_out") }?;
        let batch = store.read(|ledger| {
            convert(ledger, &store, transfers.len(), |i| {
                let t = &transfers[i];
                Ok((Fields::of(t), AmountIn::Minor(t.amount_minor)))
            })
        })?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        submit(&store, batch, who, now, codes_out)
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Like `timebank_store_submit_transfers` (the same errors, and `INVALID_UTF8`), with each
/// amount as plain decimal text (`"2.5"`;
/// NULL for none), validated exactly: `INVALID_AMOUNT` (and nothing submitted) for text such as
/// `"1e3"`, `"NaN"`, `"-1"`, `"0"`, `"1,5"`, full-width digits, more decimals than the unit has,
/// or more than the maximum; `INVALID_UTF8` for text that is not UTF-8.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_submit_transfers`; each `amount` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_submit_transfers_text(
    store: *const timebank_store,
    transfers: *const timebank_transfer_text,
    count: u64,
    now: u64,
    codes_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe {
        timebank_store_submit_transfers_text_by(
            store,
            transfers,
            count,
            std::ptr::null(),
            now,
            codes_out,
            error_out,
        )
    }
}

/// As `timebank_store_submit_transfers_text`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_submit_transfers_text`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_submit_transfers_text_by(
    store: *const timebank_store,
    transfers: *const timebank_transfer_text,
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
        // SAFETY: the contract above covers `transfers` and `count`.
        let transfers = unsafe { pointer::slice_arg(transfers, count, "transfers") }?;
        // SAFETY: the contract above covers `codes_out` and `count`.
        let codes_out = unsafe { pointer::slice_out(codes_out, count, "codes_out") }?;
        let batch = store.read(|ledger| {
            convert(ledger, &store, transfers.len(), |i| {
                let t = &transfers[i];
                // SAFETY: the contract above covers each `amount`.
                let text = unsafe {
                    pointer::optional_str_arg(t.amount, &format!("transfers[{i}].amount"))
                }?;
                Ok((Fields::of_text(t), AmountIn::Text(text)))
            })
        })?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        submit(&store, batch, who, now, codes_out)
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// `timebank_transfer_info.state`: applied to posted balances.
pub const TIMEBANK_TRANSFER_POSTED: u8 = 1;
/// A hold not yet resolved.
pub const TIMEBANK_TRANSFER_PENDING: u8 = 2;
/// A hold that a post resolved.
pub const TIMEBANK_TRANSFER_PENDING_POSTED: u8 = 3;
/// A hold that a void released.
pub const TIMEBANK_TRANSFER_PENDING_VOIDED: u8 = 4;
/// A hold that expired.
pub const TIMEBANK_TRANSFER_PENDING_EXPIRED: u8 = 5;

/// A transfer as the ledger keeps it: the accounts, unit and code it applied to (for a post,
/// void or reversal, those of the transfer it resolves), what moved, and where it stands.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_transfer_info {
    /// The transfer's id.
    pub id: timebank_id,
    /// The account debited, as applied.
    pub debit_account_id: timebank_id,
    /// The account credited, as applied.
    pub credit_account_id: timebank_id,
    /// Zero when none.
    pub related_id: timebank_id,
    /// The host's own reference, as submitted.
    pub user_data: timebank_id,
    /// The reversal that undid it; zero when none.
    pub reversed_by: timebank_id,
    /// Nanoseconds since the Unix epoch, assigned by the ledger.
    pub timestamp: u64,
    /// The hold's timeout in seconds, as submitted (0 for none).
    pub timeout_s: u32,
    /// The unit, as applied.
    pub unit: u16,
    /// The code, as applied.
    pub code: u16,
    /// The `TIMEBANK_FLAG_*` bits, as submitted.
    pub flags: u16,
    /// `TIMEBANK_TRANSFER_*`.
    pub state: u8,
    /// Padding, always written as zero.
    pub reserved: [u8; 5],
    /// What moved (or was held), as plain decimal text at the unit's scale (`"2.50"`).
    pub amount: [c_char; TIMEBANK_DECIMAL_BYTES],
}

/// The transfer as the host reads it; `scale` is its unit's.
pub(crate) fn info(r: &TransferRecord, scale: u32) -> timebank_transfer_info {
    let state = match r.state {
        TransferState::Posted => TIMEBANK_TRANSFER_POSTED,
        TransferState::Pending => TIMEBANK_TRANSFER_PENDING,
        TransferState::PendingPosted => TIMEBANK_TRANSFER_PENDING_POSTED,
        TransferState::PendingVoided => TIMEBANK_TRANSFER_PENDING_VOIDED,
        TransferState::PendingExpired => TIMEBANK_TRANSFER_PENDING_EXPIRED,
    };
    timebank_transfer_info {
        id: r.id().into(),
        debit_account_id: r.debit_account_id.into(),
        credit_account_id: r.credit_account_id.into(),
        related_id: r.related_id().map(Into::into).unwrap_or_default(),
        user_data: timebank_id::from_u128(r.user_data()),
        reversed_by: r.reversed_by.map(Into::into).unwrap_or_default(),
        timestamp: r.timestamp,
        timeout_s: r.timeout_s(),
        unit: r.unit,
        code: r.code,
        flags: r.flags().0,
        state,
        reserved: [0; 5],
        amount: field(r.amount.value(), scale),
    }
}

/// Writes the transfer `id` to `*transfer_out`.
///
/// Errors: `NOT_FOUND` for an unknown id (including one that failed), `INVALID_ARGUMENT` for
/// zero.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `transfer_out`
/// is NULL or valid for a write of one `timebank_transfer_info`; `error_out` is NULL or valid for
/// a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_transfer(
    store: *const timebank_store,
    id: *const timebank_id,
    transfer_out: *mut timebank_transfer_info,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `id`.
        let id = unsafe { pointer::ref_arg(id, "id") }?.transfer("id")?;
        // SAFETY: the contract above covers `transfer_out`.
        let out = unsafe { pointer::out_arg(transfer_out, "transfer_out") }?;
        let record = store
            .transfer(id)?
            .ok_or_else(|| Error::new(Status::NotFound, format!("transfer {id} does not exist")))?;
        let scale = store.read(|l| l.unit(record.unit).map_or(0, |u| u.scale));
        out.write(info(&record, scale));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Most transfers or accounts in one batch (`count` of `timebank_store_submit_transfers`,
/// `timebank_store_submit_transfers_text` and `timebank_store_create_accounts`).
pub const TIMEBANK_BATCH_MAX: usize = 8190;
const _: () = assert!(TIMEBANK_BATCH_MAX == ledger_core::limits::BATCH_EVENTS_MAX);

// The layouts are part of the ABI: the Python and Java packages mirror them byte for byte.
const _: () = assert!(std::mem::size_of::<timebank_transfer>() == 104);
const _: () = assert!(std::mem::size_of::<timebank_transfer_text>() == 104);
const _: () = assert!(std::mem::size_of::<timebank_transfer_info>() == 168);

// The flag numbers are the engine's (they are journaled); written as literals for cbindgen.
const _: () = assert!(TIMEBANK_FLAG_LINKED == TransferFlags::LINKED.0);
const _: () = assert!(TIMEBANK_FLAG_PENDING == TransferFlags::PENDING.0);
const _: () = assert!(TIMEBANK_FLAG_POST_PENDING == TransferFlags::POST_PENDING.0);
const _: () = assert!(TIMEBANK_FLAG_VOID_PENDING == TransferFlags::VOID_PENDING.0);
const _: () = assert!(TIMEBANK_FLAG_BALANCING_DEBIT == TransferFlags::BALANCING_DEBIT.0);
const _: () = assert!(TIMEBANK_FLAG_BALANCING_CREDIT == TransferFlags::BALANCING_CREDIT.0);
const _: () = assert!(TIMEBANK_FLAG_CLOSING_DEBIT == TransferFlags::CLOSING_DEBIT.0);
const _: () = assert!(TIMEBANK_FLAG_CLOSING_CREDIT == TransferFlags::CLOSING_CREDIT.0);
const _: () = assert!(TIMEBANK_FLAG_REVERSAL == TransferFlags::REVERSAL.0);
