//! The time-bank operations: each plans its transfers with `ledger_core::timebank` and submits
//! them as one durable linked chain, so it happens wholly or not at all.
//!
//! Every operation returns `TIMEBANK_STATUS_REFUSED` when the ledger refuses it (its message
//! names the result code, such as `cap_exceeded_daily (200)`), `NOT_FOUND` for an unknown
//! account or transfer, `INVALID_AMOUNT` for an amount that is not exact in the unit, and
//! `INVALID_ARGUMENT` for zero ids or a code the policy does not have. Resubmitting the same
//! operation with the same ids succeeds without changing anything (ids are idempotency keys).
//! `now` is nanoseconds since the Unix epoch, or 0 for the system clock.

use std::ffi::c_char;

use ledger_core::timebank::{self, Booking, Closing, Completion, Gift, Plan, PointsAward};
use ledger_core::timebank::{Redemption, ServiceRecord};
use ledger_core::{AccountId, Amount, Command, Eligibility, Ledger, Link};

use crate::amount;
use crate::boundary;
use crate::handle;
use crate::handle::{timebank_store, OpenStore};
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};
use crate::store::{now_or_clock, refusal};

/// Submits a plan's commands in order; the first refusal stops it.
fn execute(store: &OpenStore<'_>, plan: &Plan, now: u64) -> Result<usize, Error> {
    for command in plan.commands() {
        let committed = store.run(command, now)?;
        refusal(committed.events())?;
    }
    Ok(plan.transfers.len())
}

/// Parses `text` in the scale of `account`'s unit.
fn amount_of(
    ledger: &Ledger,
    account: AccountId,
    text: &str,
    argument: &str,
) -> Result<Amount, Error> {
    let unit = ledger
        .account(account)
        .ok_or_else(|| {
            Error::new(
                Status::NotFound,
                format!("account {account} does not exist"),
            )
        })?
        .unit;
    let scale = ledger.unit(unit).map_or(0, |u| u.scale);
    amount::parse(text, scale, argument)
}

/// The parts every operation shares: the open store, `now`, and the panic boundary.
///
/// # Safety
/// `store` is NULL or a live handle; `transfers_out` is NULL or valid for a write of one `uint64_t`;
/// `error_out` is NULL or valid for a write of one `char *`.
unsafe fn operation(
    store: *const timebank_store,
    now: u64,
    transfers_out: *mut u64,
    error_out: *mut *mut c_char,
    plan: impl FnOnce(&Ledger, u64) -> Result<Plan, Error>,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: this function's contract covers `transfers_out`.
        let out = unsafe { pointer::optional_out_arg(transfers_out) };
        let now = now_or_clock(now);
        // Refused before planning, so the status is the same whatever the plan would say.
        store.check_time(now)?;
        let plan = store.read(|ledger| plan(ledger, now))?;
        let transfers = execute(&store, &plan, now)?;
        if let Some(out) = out {
            out.write(transfers as u64);
        }
        Ok(())
    };
    // SAFETY: this function's contract covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Reads an id argument.
///
/// # Safety
/// `id` is NULL or points to one `timebank_id`.
unsafe fn id_arg(id: *const timebank_id, argument: &str) -> Result<timebank_id, Error> {
    // SAFETY: the caller's contract.
    unsafe { pointer::ref_arg(id, argument) }.copied()
}

/// Reads an optional id argument: NULL (or zero) for none.
///
/// # Safety
/// `id` is NULL or points to one `timebank_id`.
unsafe fn optional_id_arg(id: *const timebank_id) -> Option<timebank_id> {
    // SAFETY: the caller's contract.
    unsafe { pointer::ref_arg(id, "") }
        .ok()
        .copied()
        .filter(|i| i.get() != 0)
}

/// Records a service: `provider` earns `hours` × the code's weight, paid by `payer` (an issuing
/// fund for a service code). Above a cap whose excess is donated, the rest goes to `donation`
/// (NULL when the host knows no cap applies). Uses transfer ids from `first_id` on and writes how
/// many to `*transfers_out` (may be NULL).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; every id pointer is NULL or points to one `timebank_id`;
/// `hours` is NULL or a NUL-terminated string; `transfers_out` is NULL or valid for a write of
/// one `uint64_t`; `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_record_service(
    store: *const timebank_store,
    first_id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    donation: *const timebank_id,
    now: u64,
    transfers_out: *mut u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (first, payer, provider, hours_text, donation) = unsafe {
            (
                id_arg(first_id, "first_id")?.transfer("first_id")?,
                id_arg(payer, "payer")?.account("payer")?,
                id_arg(provider, "provider")?.account("provider")?,
                pointer::str_arg(hours, "hours")?,
                optional_id_arg(donation).and_then(timebank_id::optional_account),
            )
        };
        let request = ServiceRecord {
            served_at: None,
            code,
            payer,
            provider,
            hours: amount_of(ledger, provider, hours_text, "hours")?,
            donation,
            points: None,
            user_data: 0,
        };
        Ok(timebank::plan_service(ledger, first, &request, now)?)
    };
    // SAFETY: the contract above covers `store`, `transfers_out` and `error_out`.
    unsafe { operation(store, now, transfers_out, error_out, plan) }
}

/// A care withdrawal: `member` pays `hours` × the care code's weight of its own hours to
/// `provider` (refused before the member's eligibility date: `not_yet_eligible`).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_withdraw(
    store: *const timebank_store,
    first_id: *const timebank_id,
    code: u16,
    member: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    now: u64,
    transfers_out: *mut u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (first, member, provider, hours_text) = unsafe {
            (
                id_arg(first_id, "first_id")?.transfer("first_id")?,
                id_arg(member, "member")?.account("member")?,
                id_arg(provider, "provider")?.account("provider")?,
                pointer::str_arg(hours, "hours")?,
            )
        };
        let hours = amount_of(ledger, member, hours_text, "hours")?;
        Ok(timebank::plan_withdrawal(
            ledger, first, code, member, provider, hours, now,
        )?)
    };
    // SAFETY: the contract above covers `store`, `transfers_out` and `error_out`.
    unsafe { operation(store, now, transfers_out, error_out, plan) }
}

/// Books a service: holds `hours` × the code's weight of `payer`'s hours for `provider` (a
/// pending transfer `id`) until completed, cancelled, or released by `timebank_store_expire`
/// after `timeout_s` seconds (0: no deadline).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_book(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    timeout_s: u32,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, payer, provider, hours_text) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(payer, "payer")?.account("payer")?,
                id_arg(provider, "provider")?.account("provider")?,
                pointer::str_arg(hours, "hours")?,
            )
        };
        let booking = Booking {
            code,
            payer,
            provider,
            hours: amount_of(ledger, provider, hours_text, "hours")?,
            timeout_s,
            user_data: 0,
        };
        Ok(timebank::plan_booking(ledger, id, &booking)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Completes the booking `booking`: posts the hours served (`hours`, at most those booked; NULL
/// for all of them; the rest of the hold is released) and records the recipient's `rating`
/// (1 to 5; 0 for none). Uses transfer ids from `first_id` on.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_complete(
    store: *const timebank_store,
    first_id: *const timebank_id,
    booking: *const timebank_id,
    hours: *const c_char,
    rating: u8,
    donation: *const timebank_id,
    now: u64,
    transfers_out: *mut u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (first, booking, hours_text, donation) = unsafe {
            (
                id_arg(first_id, "first_id")?.transfer("first_id")?,
                id_arg(booking, "booking")?.transfer("booking")?,
                pointer::optional_str_arg(hours, "hours")?,
                optional_id_arg(donation).and_then(timebank_id::optional_account),
            )
        };
        let hold = ledger.transfer(booking).ok_or_else(|| {
            Error::new(
                Status::NotFound,
                format!("booking {booking} does not exist"),
            )
        })?;
        let hours = hours_text
            .map(|text| amount_of(ledger, hold.credit_account_id, text, "hours"))
            .transpose()?;
        let completion = Completion {
            served_at: None,
            booking,
            hours,
            rating: (rating != 0).then_some(rating),
            donation,
        };
        Ok(timebank::plan_completion(ledger, first, &completion, now)?)
    };
    // SAFETY: the contract above covers `store`, `transfers_out` and `error_out`.
    unsafe { operation(store, now, transfers_out, error_out, plan) }
}

/// Cancels the booking `booking` (transfer `id` voids the hold, releasing the payer's hours).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_cancel(
    store: *const timebank_store,
    id: *const timebank_id,
    booking: *const timebank_id,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, booking) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(booking, "booking")?.transfer("booking")?,
            )
        };
        Ok(timebank::plan_cancellation(ledger, id, booking)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Gives `amount` from `from` to `to` (a family member linked with `timebank_store_link`, or a
/// donation pool), with `code` (0 for the policy's gift or donation code).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_gift(
    store: *const timebank_store,
    id: *const timebank_id,
    from: *const timebank_id,
    to: *const timebank_id,
    amount: *const c_char,
    code: u16,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, from, to, text) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(from, "from")?.account("from")?,
                id_arg(to, "to")?.account("to")?,
                pointer::str_arg(amount, "amount")?,
            )
        };
        let gift = Gift {
            from,
            to,
            amount: amount_of(ledger, from, text, "amount")?,
            code: (code != 0).then_some(code),
        };
        Ok(timebank::plan_gift(ledger, id, &gift)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Awards points: the award code's points per act × `acts`, from `issuer` to `member`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_award(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    issuer: *const timebank_id,
    member: *const timebank_id,
    acts: u32,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, issuer, member) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(issuer, "issuer")?.account("issuer")?,
                id_arg(member, "member")?.account("member")?,
            )
        };
        let award = PointsAward {
            code,
            issuer,
            member,
            acts,
        };
        Ok(timebank::plan_award(ledger, id, &award)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Redeems `amount` points of `member` at `redemption` (a points supermarket), with `code` (0
/// for the policy's redemption code).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_redeem(
    store: *const timebank_store,
    id: *const timebank_id,
    member: *const timebank_id,
    redemption: *const timebank_id,
    amount: *const c_char,
    code: u16,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, member, redemption, text) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(member, "member")?.account("member")?,
                id_arg(redemption, "redemption")?.account("redemption")?,
                pointer::str_arg(amount, "amount")?,
            )
        };
        let request = Redemption {
            member,
            redemption,
            amount: amount_of(ledger, member, text, "amount")?,
            code: (code != 0).then_some(code),
        };
        Ok(timebank::plan_redemption(ledger, id, &request)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Closes `account` (death, moving away, dormancy): its whole balance moves to `destination` (an
/// heir, a pool, a fund) by the closing transfer `id`, and it takes no new transfers. The history
/// stays. Refused while it has pending holds, or when its balance is zero.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_close_account(
    store: *const timebank_store,
    id: *const timebank_id,
    account: *const timebank_id,
    destination: *const timebank_id,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, account, destination) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(account, "account")?.account("account")?,
                id_arg(destination, "destination")?.account("destination")?,
            )
        };
        let closing = Closing {
            accounts: vec![(account, destination)],
        };
        Ok(timebank::plan_closing(ledger, id, &closing)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Reverses the posted transfer `original` with the new transfer `id`, which moves its amount
/// back and references it. A mistake is corrected this way, never by deletion; a transfer is
/// reversed at most once (`already_reversed`).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_record_service`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_reverse(
    store: *const timebank_store,
    id: *const timebank_id,
    original: *const timebank_id,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let plan = |ledger: &Ledger, _now: u64| {
        // SAFETY: the contract above covers every argument read here.
        let (id, original) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(original, "original")?.transfer("original")?,
            )
        };
        Ok(timebank::plan_reversal(ledger, id, original)?)
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { operation(store, now, std::ptr::null_mut(), error_out, plan) }
}

/// Submits one command of registry changes and refuses on the first failed event.
///
/// # Safety
/// `store` is NULL or a live handle; `error_out` is NULL or valid for a write of one `char *`.
unsafe fn registry_change(
    store: *const timebank_store,
    now: u64,
    error_out: *mut *mut c_char,
    command: impl FnOnce() -> Result<Command, Error>,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        let committed = store.run(command()?, now)?;
        refusal(committed.events())
    };
    // SAFETY: this function's contract covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Registers a family link between the members `a` and `b` (spouse, direct relatives), along
/// which gifts are allowed. Linking twice is OK.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `a` and `b` are NULL or point to one `timebank_id` each;
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_link(
    store: *const timebank_store,
    a: *const timebank_id,
    b: *const timebank_id,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let command = || {
        // SAFETY: the contract above covers `a` and `b`.
        let link = unsafe {
            Link {
                a: id_arg(a, "a")?.account("a")?,
                b: id_arg(b, "b")?.account("b")?,
            }
        };
        Ok(Command::LinkAccounts(vec![link]))
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { registry_change(store, now, error_out, command) }
}

/// Sets the first moment `account` may pay for care with its hours (`from`, nanoseconds since
/// the Unix epoch; 0 for no date), as the host decides eligibility.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `account` is NULL or points to one `timebank_id`;
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_set_eligibility(
    store: *const timebank_store,
    account: *const timebank_id,
    from: u64,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let command = || {
        // SAFETY: the contract above covers `account`.
        let account = unsafe { id_arg(account, "account") }?.account("account")?;
        let eligibility = Eligibility {
            account,
            from: (from != 0).then_some(from),
        };
        Ok(Command::SetEligibility(vec![eligibility]))
    };
    // SAFETY: the contract above covers `store` and `error_out`.
    unsafe { registry_change(store, now, error_out, command) }
}
