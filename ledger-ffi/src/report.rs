//! The liability report: what the bank owes its members, per unit and per community, as JSON.

use std::ffi::c_char;

use ledger_core::report::liability;
use serde_json::json;

use crate::boundary;
use crate::pointer;
use crate::status::Status;
use crate::store::timebank_store;

/// Writes the outstanding liability (the hours and points members and groups hold: what a
/// guarantee fund stands behind) to `*json_out` as JSON, freed with `timebank_string_free`:
///
/// `{"units":[{"unit":1,"name":"hours","total":"12.5","members":"12.5","groups":"0",
/// "by_community":[{"community":7,"total":"12.5","holders":3}]}]}`
///
/// Decimals are strings, so they stay exact in every language.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a write of
/// one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_liability(
    store: *const timebank_store,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `store`.
        let store = unsafe { pointer::ref_arg(store, "store") }?.open()?;
        // SAFETY: the contract above covers `json_out`.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let report = store.read(liability);
        let units: Vec<_> = report
            .units
            .iter()
            .map(|u| {
                let communities: Vec<_> = u
                    .by_community
                    .iter()
                    .map(|c| {
                        json!({
                            "community": c.community,
                            "total": c.total.normalize().to_string(),
                            "holders": c.holders,
                        })
                    })
                    .collect();
                json!({
                    "unit": u.unit,
                    "name": u.unit_name,
                    "total": u.total.normalize().to_string(),
                    "members": u.members.normalize().to_string(),
                    "groups": u.groups.normalize().to_string(),
                    "by_community": communities,
                })
            })
            .collect();
        out.write(pointer::owned_string(
            &json!({ "units": units }).to_string(),
        ));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
