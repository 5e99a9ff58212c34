//! The time-bank operations. Each is one `Command::Operate`: the ledger plans it against its
//! state under the committer's lock and applies it in the same journal record (a completion
//! with its rating, a service with its donation and points), and remembers its outcome under
//! the operation's id, the host's request id.
//!
//! Before submitting, the call checks what it can without writing: the arguments, then whether
//! the ledger already ran an operation with this id (a retry with the same arguments is answered
//! with the first outcome and writes nothing), then the plan against the ledger as it is (a
//! refusal the planner foresees, such as `not_a_booking`, is returned with its code and journals
//! nothing). What the ledger then refuses under its lock (a cap reached, a rule broken, a
//! booking another thread completed meanwhile, the same id with other arguments) is journaled,
//! as every refusal from a write is, and changes no balance.
//!
//! Every operation returns `TIMEBANK_STATUS_REFUSED` when the ledger refuses it (its message
//! names the result code, such as `cap_exceeded_daily (200)`), `NOT_FOUND` for an unknown
//! account or transfer, `INVALID_AMOUNT` for an amount that is not exact in the unit, and
//! `INVALID_ARGUMENT` for zero ids or a code the policy does not have. `now` is nanoseconds
//! since the Unix epoch, or 0 for the system clock.

use std::ffi::c_char;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::{self, Booking, Closing, Completion, Gift, PlanError};
use ledger_core::timebank::{PointsAward, Redemption, ServiceRecord};
use ledger_core::{AccountId, Amount, Command, Eligibility, Ledger, Link, ResultCode};

use ledger_store::Store;

use crate::amount;
use crate::attribution::{attribution_arg, timebank_attribution};
use crate::boundary;
use crate::handle;
use crate::handle::timebank_store;
use crate::id::timebank_id;
use crate::operation_outcome::{refused_code, timebank_operation_outcome};
use crate::pointer;
use crate::status::{Error, Status};
use crate::store::{now_or_clock, refusal};

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

/// What the planner says of `operation` before it is submitted.
type Check = fn(&Ledger, &Operation, u64) -> Result<(), PlanError>;

/// The plan `Command::Operate` would make at `at` (`ledger_core::operation::plan`).
fn check_plan(ledger: &Ledger, operation: &Operation, at: u64) -> Result<(), PlanError> {
    ledger_core::operation::plan(ledger, operation, at).map(drop)
}

/// A withdrawal is a service paid from the member's own hours with a care code: the code's
/// purpose is checked as `plan_withdrawal` does, then the service is planned.
fn check_withdrawal(ledger: &Ledger, operation: &Operation, at: u64) -> Result<(), PlanError> {
    if let OperationKind::Service(r) = &operation.kind {
        timebank::plan_withdrawal(
            ledger,
            operation.id,
            r.code,
            r.payer,
            r.provider,
            r.hours,
            at,
        )?;
    }
    check_plan(ledger, operation, at)
}

/// How a call goes on once the ledger has been read.
enum Next {
    /// The ledger ran this operation with these arguments: its first outcome.
    Answered(Result<timebank_operation_outcome, ResultCode>),
    /// Submit it: new, or the same id with other arguments (the ledger names the difference).
    Submit(Operation),
}

/// Runs one domain operation on behalf of `by`: the checks, then `Command::Operate` (see the
/// module docs), and hands its outcome to `write`.
///
/// # Safety
/// `store` is NULL or a live handle; `by` is NULL or points to one `timebank_attribution`;
/// `error_out` is NULL or valid for a write of one `char *`.
unsafe fn operate(
    store: *const timebank_store,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    build: impl FnOnce(&Ledger, &Store) -> Result<Operation, Error>,
    check: Check,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: this function's contract covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let now = now_or_clock(now);
        // Refused before anything else, so the status is the same whatever the plan would say.
        store.check_time(now)?;
        let next = store.read(|ledger| -> Result<Next, Error> {
            let operation = build(ledger, &store)?;
            let command = Command::Operate(operation.clone());
            // One the engine evicted from memory is in the store's index.
            let evicted = match ledger.operation_to_load(&command) {
                Some(id) => store.evicted_operation(id)?,
                None => None,
            };
            if let Some(record) = ledger.operation(operation.id).or(evicted.as_ref()) {
                if record.kind == operation.kind {
                    let first = timebank_operation_outcome::of_record(record, true);
                    return Ok(Next::Answered(match refused_code(&record.results) {
                        Some(code) => Err(code),
                        None => Ok(first),
                    }));
                }
                return Ok(Next::Submit(operation));
            }
            // A correction by an operator gives a reason: foreseen, so nothing is journaled.
            let correction = matches!(
                operation.kind,
                OperationKind::Reversal { .. } | OperationKind::Closing(_)
            );
            let rules = timebank::policy(ledger).is_some();
            if correction && rules && who.is_given() && who.reason.is_none() {
                let mut error = Error::refused(ResultCode::ReasonRequired);
                error.message.push_str(
                    "; a reversal or a closing by an operator gives a reason code; nothing was \
                     journaled",
                );
                return Err(error);
            }
            let at = now.max(ledger.clock().saturating_add(1));
            // The planner reads the booking or original the operation names: one the engine
            // evicted from memory is loaded back into a copy (rare: a settled transfer), as
            // the store does before it applies the command (so is the answer that the
            // operation's id, which the filter of evicted ones names, never ran).
            let unloaded = ledger.operation_to_load(&command).is_some();
            if !unloaded && ledger.transfers_to_load(&command, at).is_empty() {
                check(ledger, &operation, at)?;
            } else {
                let mut copy = ledger.clone();
                store.load_named_transfers(&mut copy, &command, at)?;
                check(&copy, &operation, at)?;
            }
            Ok(Next::Submit(operation))
        })?;
        let outcome = match next {
            Next::Answered(Ok(first)) => first,
            Next::Answered(Err(code)) => {
                let mut error = Error::refused(code);
                error
                    .message
                    .push_str("; the first outcome of this operation id, answered again");
                return Err(error);
            }
            Next::Submit(operation) => {
                let id = operation.id;
                let committed = store.run_by(Command::Operate(operation), who, now)?;
                let results = committed.events();
                refusal(results)?;
                let retried =
                    !results.is_empty() && results.iter().all(|r| r.code == ResultCode::Exists);
                store
                    .operation(id)?
                    .map(|r| timebank_operation_outcome::of_record(&r, retried))
                    .ok_or_else(|| {
                        Error::new(
                            Status::Panic,
                            format!("operation {id} applied but is not recorded"),
                        )
                    })?
            }
        };
        write(outcome);
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

/// `served_at` as the ledger takes it: 0 for none (the service was done when it is recorded).
fn served(served_at: u64) -> Option<u64> {
    (served_at != 0).then_some(served_at)
}

/// Writes an outcome to `outcome_out` when it is not NULL.
///
/// # Safety
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
unsafe fn outcome_writer(
    outcome_out: *mut timebank_operation_outcome,
) -> impl FnOnce(timebank_operation_outcome) {
    // SAFETY: the caller's contract.
    let out = unsafe { pointer::optional_out_arg(outcome_out) };
    move |outcome| {
        if let Some(out) = out {
            out.write(outcome);
        }
    }
}

/// Writes an outcome's transfer count to `transfers_out` when it is not NULL.
///
/// # Safety
/// `transfers_out` is NULL or valid for a write of one `uint64_t`.
unsafe fn transfers_writer(transfers_out: *mut u64) -> impl FnOnce(timebank_operation_outcome) {
    // SAFETY: the caller's contract.
    let out = unsafe { pointer::optional_out_arg(transfers_out) };
    move |outcome| {
        if let Some(out) = out {
            out.write(outcome.transfers);
        }
    }
}

/// Discards an outcome (the functions that report none).
fn no_outcome(_: timebank_operation_outcome) {}

/// Records a service: `provider` earns `hours` × the code's weight, paid by `payer` (an issuing
/// fund for a service code). Above a cap whose excess is donated, the rest goes to `donation`
/// (NULL when the host knows no cap applies). The operation's id is `first_id`, its transfers
/// use ids from `first_id` on, and it writes how many to `*transfers_out` (may be NULL). The
/// same as `timebank_store_operate_service` with `served_at` 0: see it for retries.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = transfers_writer(transfers_out);
        service(
            store,
            first_id,
            code,
            payer,
            provider,
            hours,
            donation,
            0,
            std::ptr::null(),
            now,
            error_out,
            write,
        )
    }
}

/// Records a service done at `served_at` (nanoseconds since the Unix epoch; 0 when it was done
/// as it is recorded, at `now`): `provider` earns `hours` × the code's weight, paid by `payer`
/// (an issuing fund for a service code); above a cap whose excess is donated, the rest goes to
/// `donation` (NULL or zero when the host knows no cap applies). Caps count the local day (in
/// the policy's time zone) of `served_at`.
///
/// `id` is the host's request id for the operation and the first of its transfer ids. `by` names
/// who runs it and why (NULL: no operator, no reason; see `timebank_attribution`): both are
/// journaled with it and kept for its events. The ledger plans and applies it in one journal
/// record, and `*outcome_out` (may be NULL) receives what it did. Retrying with the same `id` and
/// the same arguments (after a timeout, a crash or `TIMEBANK_STATUS_OUTCOME_UNKNOWN`) changes
/// nothing and writes nothing: it returns the first outcome (`retried` 1, the original
/// `timestamp`), or, when the first run was refused, the same `TIMEBANK_STATUS_REFUSED` with the
/// same result code. The same `id` with other arguments is refused with a code naming the first
/// difference: `operation_exists_with_different_kind` (40), `_accounts` (41), `_amount` (42),
/// `_code` (43), `_served_at` (44) or `_details` (45).
///
/// Refusals of `served_at`: after the time the ledger gives the event, `served_at_in_future`
/// (22); more local days before it than the policy's `late_days_max`, `served_at_too_late`
/// (210). Other errors: `NOT_FOUND` (an unknown account), `INVALID_AMOUNT` (`hours` not exact
/// in the unit), `INVALID_ARGUMENT` (a zero id, a code the policy lacks), and the planner's
/// refusals, `donation_account_required` (215) and `weighted_amount_inexact` (211), which journal
/// nothing.
///
/// Thread safety: `store` may be used from several threads at once; concurrent operations get
/// the results a serial run would.
///
/// # Safety
/// `store` is NULL or a live handle; every id pointer is NULL or points to one `timebank_id`;
/// `hours` is NULL or a NUL-terminated string; `by` is NULL or points to one
/// `timebank_attribution`; `outcome_out` is NULL or valid for a write of one
/// `timebank_operation_outcome`; `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_service(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    donation: *const timebank_id,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        service(
            store, id, code, payer, provider, hours, donation, served_at, by, now, error_out, write,
        )
    }
}

/// The service operation behind `timebank_store_record_service` and `_operate_service`.
///
/// # Safety
/// As for `timebank_store_operate_service`.
#[allow(clippy::too_many_arguments)]
unsafe fn service(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    donation: *const timebank_id,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
        let (id, payer, provider, hours_text, donation) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(payer, "payer")?.account("payer")?,
                id_arg(provider, "provider")?.account("provider")?,
                pointer::str_arg(hours, "hours")?,
                optional_id_arg(donation).and_then(timebank_id::optional_account),
            )
        };
        let request = ServiceRecord {
            served_at: served(served_at),
            code,
            payer,
            provider,
            hours: amount_of(ledger, provider, hours_text, "hours")?,
            donation,
            points: None,
            user_data: 0,
        };
        Ok(Operation {
            id,
            kind: OperationKind::Service(request),
        })
    };
    // SAFETY: the caller's contract covers `store` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// A care withdrawal: `member` pays `hours` × the care code's weight of its own hours to
/// `provider` (refused before the member's eligibility date: `not_yet_eligible`). The same as
/// `timebank_store_operate_withdrawal` with `served_at` 0, writing the number of transfers to
/// `*transfers_out` (may be NULL).
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = transfers_writer(transfers_out);
        withdrawal(
            store,
            first_id,
            code,
            member,
            provider,
            hours,
            0,
            std::ptr::null(),
            now,
            error_out,
            write,
        )
    }
}

/// A care withdrawal for a service done at `served_at` (0: as it is recorded): `member` pays
/// `hours` × the care code's weight of its own hours to `provider` (refused before the member's
/// eligibility date: `not_yet_eligible`; a code that is not a care code of the member's unit:
/// `INVALID_ARGUMENT`). `id` is the request id; retries, `served_at` refusals and the outcome
/// as for `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_operate_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_withdrawal(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    member: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        withdrawal(
            store, id, code, member, provider, hours, served_at, by, now, error_out, write,
        )
    }
}

/// The withdrawal behind `timebank_store_withdraw` and `_operate_withdrawal`.
///
/// # Safety
/// As for `timebank_store_operate_service`.
#[allow(clippy::too_many_arguments)]
unsafe fn withdrawal(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    member: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
        let (id, member, provider, hours_text) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(member, "member")?.account("member")?,
                id_arg(provider, "provider")?.account("provider")?,
                pointer::str_arg(hours, "hours")?,
            )
        };
        let request = ServiceRecord {
            served_at: served(served_at),
            code,
            payer: member,
            provider,
            hours: amount_of(ledger, member, hours_text, "hours")?,
            donation: None,
            points: None,
            user_data: 0,
        };
        Ok(Operation {
            id,
            kind: OperationKind::Service(request),
        })
    };
    // SAFETY: the caller's contract covers `store` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_withdrawal, write) }
}

/// Books a service: holds `hours` × the code's weight of `payer`'s hours for `provider` (a
/// pending transfer `id`) until completed, cancelled, or released by `timebank_store_expire`
/// after `timeout_s` seconds (0: no deadline). The provider's caps are judged at completion.
/// `id` is also the operation's request id: a retry with the same arguments returns OK and
/// changes nothing; other arguments are refused (`operation_exists_with_different_*`).
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        booking_operation(
            store,
            id,
            code,
            payer,
            provider,
            hours,
            timeout_s,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_book`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_book`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_booking(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    timeout_s: u32,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        booking_operation(
            store, id, code, payer, provider, hours, timeout_s, by, now, error_out, write,
        )
    }
}

/// The booking behind `timebank_store_book` and `timebank_store_operate_booking`.
///
/// # Safety
/// As for `timebank_store_operate_booking`.
#[allow(clippy::too_many_arguments)]
unsafe fn booking_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    payer: *const timebank_id,
    provider: *const timebank_id,
    hours: *const c_char,
    timeout_s: u32,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
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
        Ok(Operation {
            id,
            kind: OperationKind::Booking(booking),
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Completes the booking `booking`: posts the hours served (`hours`, at most those booked; NULL
/// for all of them; the rest of the hold is released) and records the recipient's `rating`
/// (1 to 5; 0 for none). The same as `timebank_store_operate_completion` with `served_at` 0,
/// writing the number of transfers to `*transfers_out` (may be NULL).
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = transfers_writer(transfers_out);
        completion(
            store,
            first_id,
            booking,
            hours,
            rating,
            donation,
            0,
            std::ptr::null(),
            now,
            error_out,
            write,
        )
    }
}

/// Completes the booking `booking` for a service done at `served_at` (0: as it is recorded):
/// posts the hours served (`hours`, at most those booked; NULL for all of them; the rest of the
/// hold is released), with the provider's caps judged on the local day of `served_at` (the
/// excess above a donate cap goes to `donation`), and records the recipient's `rating` (1 to 5;
/// 0 for none) in the same journal record. `id` is the request id and the first transfer id;
/// retries, `served_at` refusals and the outcome as for `timebank_store_operate_service`. A
/// booking that is no longer pending is `not_a_booking` (214).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_operate_service`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_completion(
    store: *const timebank_store,
    id: *const timebank_id,
    booking: *const timebank_id,
    hours: *const c_char,
    rating: u8,
    donation: *const timebank_id,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        completion(
            store, id, booking, hours, rating, donation, served_at, by, now, error_out, write,
        )
    }
}

/// The completion behind `timebank_store_complete` and `_operate_completion`.
///
/// # Safety
/// As for `timebank_store_operate_completion`.
#[allow(clippy::too_many_arguments)]
unsafe fn completion(
    store: *const timebank_store,
    id: *const timebank_id,
    booking: *const timebank_id,
    hours: *const c_char,
    rating: u8,
    donation: *const timebank_id,
    served_at: u64,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, store: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
        let (id, booking, hours_text, donation) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(booking, "booking")?.transfer("booking")?,
                pointer::optional_str_arg(hours, "hours")?,
                optional_id_arg(donation).and_then(timebank_id::optional_account),
            )
        };
        // A settled booking may be evicted from memory: it exists (the planner refuses it as
        // no longer a booking), and a retry of its completion is answered as the first was.
        let hold = match ledger.transfer(booking) {
            Some(hold) => hold.clone(),
            None => store.evicted_transfer(booking)?.ok_or_else(|| {
                Error::new(
                    Status::NotFound,
                    format!("booking {booking} does not exist"),
                )
            })?,
        };
        let hours = hours_text
            .map(|text| amount_of(ledger, hold.credit_account_id, text, "hours"))
            .transpose()?;
        let completion = Completion {
            served_at: served(served_at),
            booking,
            hours,
            rating: (rating != 0).then_some(rating),
            donation,
        };
        Ok(Operation {
            id,
            kind: OperationKind::Completion(completion),
        })
    };
    // SAFETY: the caller's contract covers `store` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Cancels the booking `booking` (transfer `id` voids the hold, releasing the payer's hours).
/// `id` is the operation's request id: retries as for `timebank_store_book`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        cancellation_operation(
            store,
            id,
            booking,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_cancel`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_cancel`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_cancellation(
    store: *const timebank_store,
    id: *const timebank_id,
    booking: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        cancellation_operation(store, id, booking, by, now, error_out, write)
    }
}

/// The cancellation behind `timebank_store_cancel` and `timebank_store_operate_cancellation`.
///
/// # Safety
/// As for `timebank_store_operate_cancellation`.
#[allow(clippy::too_many_arguments)]
unsafe fn cancellation_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    booking: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |_: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
        let (id, booking) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(booking, "booking")?.transfer("booking")?,
            )
        };
        Ok(Operation {
            id,
            kind: OperationKind::Cancellation { booking },
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Gives `amount` from `from` to `to` (a family member linked with `timebank_store_link`, or a
/// donation pool), with `code` (0 for the policy's gift or donation code). `id` is the
/// operation's request id: retries as for `timebank_store_book`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        gift_operation(
            store,
            id,
            from,
            to,
            amount,
            code,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_gift`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_gift`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_gift(
    store: *const timebank_store,
    id: *const timebank_id,
    from: *const timebank_id,
    to: *const timebank_id,
    amount: *const c_char,
    code: u16,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        gift_operation(store, id, from, to, amount, code, by, now, error_out, write)
    }
}

/// The gift behind `timebank_store_gift` and `timebank_store_operate_gift`.
///
/// # Safety
/// As for `timebank_store_operate_gift`.
#[allow(clippy::too_many_arguments)]
unsafe fn gift_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    from: *const timebank_id,
    to: *const timebank_id,
    amount: *const c_char,
    code: u16,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
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
        Ok(Operation {
            id,
            kind: OperationKind::Gift(gift),
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Awards points: the award code's points per act × `acts`, from `issuer` to `member`. `id` is
/// the operation's request id: retries as for `timebank_store_book`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        award_operation(
            store,
            id,
            code,
            issuer,
            member,
            acts,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_award`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_award`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_award(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    issuer: *const timebank_id,
    member: *const timebank_id,
    acts: u32,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        award_operation(
            store, id, code, issuer, member, acts, by, now, error_out, write,
        )
    }
}

/// The award behind `timebank_store_award` and `timebank_store_operate_award`.
///
/// # Safety
/// As for `timebank_store_operate_award`.
#[allow(clippy::too_many_arguments)]
unsafe fn award_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    code: u16,
    issuer: *const timebank_id,
    member: *const timebank_id,
    acts: u32,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |_: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
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
        Ok(Operation {
            id,
            kind: OperationKind::Award(award),
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Redeems `amount` points of `member` at `redemption` (a points supermarket), with `code` (0
/// for the policy's redemption code). `id` is the operation's request id: retries as for
/// `timebank_store_book`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        redemption_operation(
            store,
            id,
            member,
            redemption,
            amount,
            code,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_redeem`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_redeem`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_redemption(
    store: *const timebank_store,
    id: *const timebank_id,
    member: *const timebank_id,
    redemption: *const timebank_id,
    amount: *const c_char,
    code: u16,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        redemption_operation(
            store, id, member, redemption, amount, code, by, now, error_out, write,
        )
    }
}

/// The redemption behind `timebank_store_redeem` and `timebank_store_operate_redemption`.
///
/// # Safety
/// As for `timebank_store_operate_redemption`.
#[allow(clippy::too_many_arguments)]
unsafe fn redemption_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    member: *const timebank_id,
    redemption: *const timebank_id,
    amount: *const c_char,
    code: u16,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |ledger: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
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
        Ok(Operation {
            id,
            kind: OperationKind::Redemption(request),
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Closes `account` (death, moving away, dormancy): its whole balance moves to `destination` by
/// the closing transfer `id`, and it takes no new transfers; an account with a zero balance
/// simply closes (no transfer; `destination` must still exist). The history stays. The
/// destination of a balance is a fund, a pool, or a member the gift rule allows (otherwise
/// `closing_destination_not_allowed`, 212). Refused while the account has pending holds
/// (`holds_pending`, 213). `id` is the operation's request id: retries as for
/// `timebank_store_book`. To close several empty accounts in one command, see
/// `timebank_store_close_accounts`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        closing_operation(
            store,
            id,
            account,
            destination,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_close_account`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
/// Under a policy with time-bank rules, `by` with an operator and no reason is refused with
/// `reason_required` (217) before anything is journaled.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_close_account`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_closing(
    store: *const timebank_store,
    id: *const timebank_id,
    account: *const timebank_id,
    destination: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        closing_operation(store, id, account, destination, by, now, error_out, write)
    }
}

/// The closing behind `timebank_store_close_account` and `timebank_store_operate_closing`.
///
/// # Safety
/// As for `timebank_store_operate_closing`.
#[allow(clippy::too_many_arguments)]
unsafe fn closing_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    account: *const timebank_id,
    destination: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |_: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
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
        Ok(Operation {
            id,
            kind: OperationKind::Closing(closing),
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Reverses the posted transfer `original` with the new transfer `id`, which moves its amount
/// back and references it. A mistake is corrected this way, never by deletion; a transfer is
/// reversed at most once (`already_reversed`). `id` is the operation's request id: retries as
/// for `timebank_store_book`.
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
    // SAFETY: the contract above covers every argument.
    unsafe {
        reversal_operation(
            store,
            id,
            original,
            std::ptr::null(),
            now,
            error_out,
            no_outcome,
        )
    }
}

/// As `timebank_store_reverse`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
/// `retried` 1 when a retry was answered with the first outcome). Retries as for
/// `timebank_store_operate_service`.
/// Under a policy with time-bank rules, `by` with an operator and no reason is refused with
/// `reason_required` (217) before anything is journaled.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_reverse`; `by` is NULL or points to one `timebank_attribution`;
/// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // One C function per operation, every field an argument.
pub unsafe extern "C" fn timebank_store_operate_reversal(
    store: *const timebank_store,
    id: *const timebank_id,
    original: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument.
    unsafe {
        let write = outcome_writer(outcome_out);
        reversal_operation(store, id, original, by, now, error_out, write)
    }
}

/// The reversal behind `timebank_store_reverse` and `timebank_store_operate_reversal`.
///
/// # Safety
/// As for `timebank_store_operate_reversal`.
#[allow(clippy::too_many_arguments)]
unsafe fn reversal_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    original: *const timebank_id,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    write: impl FnOnce(timebank_operation_outcome),
) -> Status {
    let build = |_: &Ledger, _: &Store| {
        // SAFETY: the caller's contract covers every argument read here.
        let (id, original) = unsafe {
            (
                id_arg(id, "id")?.transfer("id")?,
                id_arg(original, "original")?.transfer("original")?,
            )
        };
        Ok(Operation {
            id,
            kind: OperationKind::Reversal { original },
        })
    };
    // SAFETY: the caller's contract covers `store`, `by` and `error_out`.
    unsafe { operate(store, by, now, error_out, build, check_plan, write) }
}

/// Submits one command of registry changes on behalf of `by` and refuses on the first failed
/// event.
///
/// # Safety
/// `store` is NULL or a live handle; `by` is NULL or points to one `timebank_attribution`;
/// `error_out` is NULL or valid for a write of one `char *`.
unsafe fn registry_change(
    store: *const timebank_store,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
    command: impl FnOnce() -> Result<Command, Error>,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: this function's contract covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let committed = store.run_by(command()?, who, now)?;
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
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe { timebank_store_link_by(store, a, b, std::ptr::null(), now, error_out) }
}

/// As `timebank_store_link`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_link`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_link_by(
    store: *const timebank_store,
    a: *const timebank_id,
    b: *const timebank_id,
    by: *const timebank_attribution,
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
    unsafe { registry_change(store, by, now, error_out, command) }
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
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe {
        timebank_store_set_eligibility_by(store, account, from, std::ptr::null(), now, error_out)
    }
}

/// As `timebank_store_set_eligibility`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_set_eligibility`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_set_eligibility_by(
    store: *const timebank_store,
    account: *const timebank_id,
    from: u64,
    by: *const timebank_attribution,
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
    unsafe { registry_change(store, by, now, error_out, command) }
}

#[cfg(test)]
mod tests {
    //! Calls that name an old settled transfer answer the same on a store that evicted it from
    //! the engine's memory (`StoreOptions::resident_transfers`) as on one that keeps it.

    use super::*;
    use crate::operation_outcome::timebank_store_operation;
    use crate::transfer::{
        timebank_store_submit_transfers, timebank_transfer, TIMEBANK_FLAG_POST_PENDING,
    };
    use ledger_core::{AccountKind, NewAccount, Policy, Transfer, TransferId, Unit};
    use ledger_store::StoreOptions;

    const NOW: u64 = 1_767_225_600_000_000_000;

    fn account(n: u128) -> AccountId {
        AccountId::new(n).unwrap()
    }

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    fn hours(hundredths: u64) -> Amount {
        Amount::from_minor(hundredths, 2).unwrap()
    }

    /// Two payments (1, 4), a hold (2) posted by 3, then 9,000 payments in three batches (eviction
    /// runs every 4,096 transfers), registered as a handle.
    fn filled(dir: &std::path::Path, options: StoreOptions) -> *mut timebank_store {
        let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
        let store = Store::create(dir, &policy, NOW, options.any_time()).unwrap();
        let accounts = vec![
            NewAccount::new(account(1), 1, AccountKind::Issuer),
            NewAccount::new(account(2), 1, AccountKind::Member),
            NewAccount::new(account(3), 1, AccountKind::Member),
        ];
        store.create_accounts(accounts, NOW).unwrap();
        let all_ok = |done: ledger_store::Committed| {
            assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
        };
        let first = vec![
            Transfer::new(tid(1), account(1), account(2), hours(500), 1),
            Transfer::new(tid(4), account(1), account(3), hours(500), 1),
            Transfer::new(tid(2), account(3), account(2), hours(200), 1)
                .flags(ledger_core::TransferFlags::PENDING),
            Transfer::post(tid(3), tid(2), Some(hours(100))),
        ];
        all_ok(store.create_transfers(first, NOW + 1).unwrap());
        for batch in 0..3u64 {
            let from = 10_000 + u128::from(batch) * 3_000;
            let services = (from..from + 3_000)
                .map(|id| Transfer::new(tid(id), account(1), account(3), hours(1), 1))
                .collect();
            all_ok(store.create_transfers(services, NOW + 2 + batch).unwrap());
        }
        crate::handle::register(store).unwrap()
    }

    /// The status and result code of each call naming an old transfer.
    fn answers(handle: *mut timebank_store) -> Vec<(Status, u16)> {
        let mut answers = Vec::new();
        // A completion of the booking posted long ago: no longer a booking, not unknown. It
        // comes first: the retry below names the booking, and a command loads back what it
        // names (until the next eviction).
        let (id, booking) = (tid(50_001).into(), tid(2).into());
        // SAFETY: a live handle, two ids, and NULL for every optional argument.
        let status = unsafe {
            timebank_store_operate_completion(
                handle,
                &id,
                &booking,
                std::ptr::null(),
                0,
                std::ptr::null(),
                0,
                std::ptr::null(),
                NOW + 12,
                std::ptr::null_mut(),
                null_error(),
            )
        };
        answers.push((status, 0));
        // A retry of the post, its amount in minor units of the hold's unit (unit 0).
        let retry = timebank_transfer {
            id: tid(3).into(),
            debit_account_id: timebank_id::from_u128(0),
            credit_account_id: timebank_id::from_u128(0),
            related_id: tid(2).into(),
            user_data: timebank_id::from_u128(0),
            amount_minor: 100,
            timeout_s: 0,
            unit: 0,
            code: 0,
            flags: TIMEBANK_FLAG_POST_PENDING,
            reserved: [0; 3],
        };
        let mut code = 0u16;
        // SAFETY: a live handle, one transfer and one code slot.
        let status = unsafe {
            timebank_store_submit_transfers(handle, &retry, 1, NOW + 10, &mut code, null_error())
        };
        answers.push((status, code));
        // A reversal of the first payment.
        let (id, original) = (tid(50_000).into(), tid(1).into());
        // SAFETY: a live handle and two ids.
        let status =
            unsafe { timebank_store_reverse(handle, &id, &original, NOW + 11, null_error()) };
        answers.push((status, 0));
        answers
    }

    fn null_error() -> *mut *mut c_char {
        std::ptr::null_mut()
    }

    #[test]
    fn calls_naming_evicted_transfers_answer_as_when_they_are_kept() {
        let dir = std::env::temp_dir().join(format!("timebank-ffi-evicted-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let keeping = filled(&dir.join("keeping"), StoreOptions::default());
        let evicting = filled(
            &dir.join("evicting"),
            StoreOptions::default().resident_transfers(100),
        );
        let call = crate::handle::enter(evicting).unwrap();
        let in_memory = call
            .open()
            .unwrap()
            .read(|l| [1, 2, 3].map(|n| l.transfer(tid(n)).is_some()));
        assert_eq!(in_memory, [false; 3], "the old transfers were evicted");
        drop(call);
        let expected = answers(keeping);
        assert_eq!(
            expected,
            vec![
                (Status::Refused, 0),
                (Status::Ok, ResultCode::Exists as u16),
                (Status::Ok, 0)
            ]
        );
        assert_eq!(answers(evicting), expected);
        crate::store::timebank_store_free(keeping);
        crate::store::timebank_store_free(evicting);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A service the fund pays member 2 for, through the C ABI, at `now`.
    fn service_call(
        handle: *mut timebank_store,
        id: u128,
        hours: &std::ffi::CStr,
        now: u64,
        outcome: &mut timebank_operation_outcome,
    ) -> Status {
        let (id, payer, provider) = (tid(id).into(), account(1).into(), account(2).into());
        // SAFETY: a live handle, ids and a NUL-terminated amount, NULL for the optional ones.
        unsafe {
            timebank_store_operate_service(
                handle,
                &id,
                101,
                &payer,
                &provider,
                hours.as_ptr(),
                std::ptr::null(),
                0,
                std::ptr::null(),
                now,
                outcome,
                null_error(),
            )
        }
    }

    #[test]
    fn an_evicted_operation_is_found_and_retried_as_when_kept() {
        let dir =
            std::env::temp_dir().join(format!("timebank-ffi-evicted-op-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = StoreOptions::default().any_time();
        let store = Store::create(&dir, &Policy::default_policy(), NOW, options.clone()).unwrap();
        let accounts = vec![
            NewAccount::new(account(1), 1, AccountKind::Issuer),
            NewAccount::new(account(2), 1, AccountKind::Member),
        ];
        store.create_accounts(accounts, NOW).unwrap();
        let handle = crate::handle::register(store).unwrap();
        let mut first = timebank_operation_outcome::default();
        assert_eq!(
            service_call(handle, 7, c"1.50", NOW + 1, &mut first),
            Status::Ok
        );
        assert_eq!((first.code, first.transfers, first.retried), (0, 1, 0));
        crate::store::timebank_store_free(handle);

        // Opened again by a full replay (a ledger this short has no snapshot), which lets every
        // operation go to the index.
        let snapshots = dir.join(ledger_store::snapshot::SNAPSHOT_DIR_NAME);
        assert!(!snapshots.exists() || std::fs::read_dir(&snapshots).unwrap().next().is_none());
        let store = Store::open(&dir, options.resident_transfers(100)).unwrap();
        assert!(store.read(|l| l.operation(tid(7)).is_none()), "evicted");
        let handle = crate::handle::register(store).unwrap();
        let mut found = timebank_operation_outcome::default();
        let id = tid(7).into();
        // SAFETY: a live handle, an id and an outcome slot.
        let status = unsafe { timebank_store_operation(handle, &id, &mut found, null_error()) };
        assert_eq!(status, Status::Ok);
        assert_eq!(found, first);
        let mut again = timebank_operation_outcome::default();
        assert_eq!(
            service_call(handle, 7, c"1.50", NOW + 2, &mut again),
            Status::Ok
        );
        assert_eq!(again.retried, 1);
        assert_eq!((again.timestamp, again.transfers), (first.timestamp, 1));
        let mut other = timebank_operation_outcome::default();
        let status = service_call(handle, 7, c"2.00", NOW + 3, &mut other);
        assert_eq!(status, Status::Refused);
        crate::store::timebank_store_free(handle);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
