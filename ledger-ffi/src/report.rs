//! The liability report: what the bank owes its members, per unit and per community, as JSON.

use std::ffi::c_char;

use ledger_core::report::liability;
use serde_json::json;

use crate::boundary;
use crate::decimal::at_scale;
use crate::handle;
use crate::handle::timebank_store;
use crate::pointer;
use crate::status::Status;

/// Writes the outstanding liability (the hours and points members and groups hold: what a
/// guarantee fund stands behind) to `*json_out` as JSON, freed with `timebank_string_free`:
///
/// `{"units":[{"unit":1,"name":"hours","total":"12.50","members":"12.50","groups":"0.00",
/// "by_community":[{"community":7,"total":"12.50","holders":3}]}]}`
///
/// Decimals are strings at the unit's scale, so they stay exact in every language.
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
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `json_out`.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let (report, scales) = store.read(|l| {
            let report = liability(l);
            let scales: Vec<u32> = report
                .units
                .iter()
                .map(|u| l.unit(u.unit).map_or(0, |unit| unit.scale))
                .collect();
            (report, scales)
        });
        let units: Vec<_> = report
            .units
            .iter()
            .zip(scales)
            .map(|(u, scale)| {
                let communities: Vec<_> = u
                    .by_community
                    .iter()
                    .map(|c| {
                        json!({
                            "community": c.community,
                            "total": at_scale(c.total, scale),
                            "holders": c.holders,
                        })
                    })
                    .collect();
                json!({
                    "unit": u.unit,
                    "name": u.unit_name,
                    "total": at_scale(u.total, scale),
                    "members": at_scale(u.members, scale),
                    "groups": at_scale(u.groups, scale),
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
