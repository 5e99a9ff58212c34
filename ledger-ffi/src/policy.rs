//! The ledger's policy over the years: amending it from an effective time on, and reading the
//! policy in force at a time.

use std::ffi::c_char;

use ledger_core::{Amendment, Command};
use serde_json::json;

use crate::attribution::{attribution_arg, timebank_attribution};
use crate::boundary;
use crate::handle;
use crate::handle::timebank_store;
use crate::pointer;
use crate::status::{Error, Status};
use crate::store::{now_or_clock, parse_policy, refusal};

/// Amends the ledger's policy: `policy` (TOML, or JSON when it starts with `{`) is in force from
/// `from` (nanoseconds since the Unix epoch) until the next amendment. It is one journal record at
/// `now`, on behalf of `by` (NULL: no operator, no reason; see `timebank_attribution`). Every event
/// is then judged under the policy in force at its time: a service (a care withdrawal, a booking's
/// completion) at its `served_at`, anything else at its timestamp.
///
/// The amended policy is validated like a new one, and must keep the ledger's units exactly
/// (ids, names, scales), define codes, and keep an expiry rule for every unit that expires under
/// the policy in force (with an existing expiry account of that unit); `from` must be after
/// every event already applied (the ledger's clock) and after every earlier amendment's, so
/// history is never judged again. Otherwise the call returns `INVALID_ARGUMENT` with a message
/// saying which, and nothing is written, not even a journal record. A ledger created with units
/// only (no codes) cannot be amended (`INVALID_ARGUMENT`).
///
/// Errors: `INVALID_ARGUMENT` (above), `INVALID_UTF8`, `INVALID_TIME` for `now`,
/// `OUTCOME_UNKNOWN`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `policy` is NULL or a NUL-terminated string; `by` is NULL or
/// points to one `timebank_attribution`; `error_out` is NULL or valid for a write of one
/// `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_amend_policy(
    store: *const timebank_store,
    policy: *const c_char,
    from: u64,
    by: *const timebank_attribution,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `policy`.
        let text = unsafe { pointer::str_arg(policy, "policy") }?;
        let policy = parse_policy(text)?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let amendment = Command::AmendPolicy(Amendment { from, policy });
        let committed = store.run_by(amendment, who, now)?;
        refusal(committed.events())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes the policy in force at `at` (nanoseconds since the Unix epoch; 0 for the system
/// clock) to `*json_out` as JSON, freed with `timebank_string_free`:
///
/// `{"at":1767225600000000000,"from":0,"policy":{...},"versions":[0,1767225600000000000]}`
///
/// `from` is when that policy took effect (0: the policy the ledger was created with),
/// `policy` the whole policy (the JSON `timebank_store_open` and `timebank_store_amend_policy`
/// accept), `versions` every version's effective time in order, 0 first. Reads only.
///
/// Errors: `NOT_FOUND` when the ledger has no time-bank rules (created with units only).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a write of
/// one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_policy(
    store: *const timebank_store,
    at: u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `json_out`.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let at = now_or_clock(at);
        let shown = store.read(|ledger| {
            let versions = ledger_core::timebank::policy_versions(ledger);
            let (from, policy) = versions.iter().rev().find(|(from, _)| *from <= at)?;
            let froms: Vec<u64> = versions.iter().map(|(from, _)| *from).collect();
            Some(serde_json::to_value(policy).map(
                |policy| json!({ "at": at, "from": from, "policy": policy, "versions": froms }),
            ))
        });
        let shown = shown
            .ok_or_else(|| {
                Error::new(
                    Status::NotFound,
                    "the ledger has no time-bank rules (it was created with units only)",
                )
            })?
            .map_err(|e| Error::new(Status::Panic, format!("the policy as JSON: {e}")))?;
        out.write(pointer::owned_string(&shown.to_string()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
