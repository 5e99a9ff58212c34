//! Who runs a command and why: the host's operator id and reason code, journaled with the
//! command and kept for every event it makes (`ledger_core::Attribution`).

use std::ffi::c_char;

use ledger_core::Attribution;

use crate::boundary;
use crate::handle::{self, timebank_store};
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// The operator behind a command and its reason code: opaque numbers the host assigns (a staff
/// number from its own directory, a reason from its own table), never names, since the journal
/// is immutable. Passed by pointer; NULL means neither is given (operator 0, no reason).
///
/// Under a policy with time-bank rules, a reversal or a closing (a closing operation, or closing
/// empty accounts) by a command with an operator must give a reason: otherwise it is refused
/// with `reason_required` (217).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct timebank_attribution {
    /// The host's id of the person or system running the command; 0: not given.
    pub operator_id: u64,
    /// The host's reason code, read only when `has_reason` is 1.
    pub reason: u32,
    /// 1 when `reason` is given, 0 when not; anything else is `TIMEBANK_STATUS_INVALID_ARGUMENT`.
    pub has_reason: u8,
    /// Must be zero.
    pub reserved: [u8; 3],
}

impl timebank_attribution {
    fn of(who: Attribution) -> Self {
        timebank_attribution {
            operator_id: who.operator,
            reason: who.reason.unwrap_or(0),
            has_reason: u8::from(who.reason.is_some()),
            reserved: [0; 3],
        }
    }

    fn to_core(self) -> Result<Attribution, Error> {
        if self.reserved != [0; 3] {
            return Err(Error::invalid("by.reserved must be zero"));
        }
        let reason = match self.has_reason {
            0 => None,
            1 => Some(self.reason),
            other => {
                return Err(Error::invalid(format!(
                    "by.has_reason must be 0 or 1, not {other}"
                )))
            }
        };
        Ok(Attribution {
            operator: self.operator_id,
            reason,
        })
    }
}

/// Reads an optional attribution argument: NULL for none.
///
/// # Safety
/// `by` is NULL or points to one `timebank_attribution`.
pub(crate) unsafe fn attribution_arg(
    by: *const timebank_attribution,
) -> Result<Attribution, Error> {
    // SAFETY: the caller's contract.
    match unsafe { pointer::optional_ref_arg(by) } {
        None => Ok(Attribution::NONE),
        Some(by) => by.to_core(),
    }
}

/// Writes who made the transfer `id` to `*by_out`: the operator and reason of the command that
/// created it (operator 0 and `has_reason` 0 when that command named none, as every call without
/// `by` does). Reads only.
///
/// Errors: `NOT_FOUND` for an unknown transfer, `INVALID_ARGUMENT` for a zero id.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `by_out` is
/// NULL or valid for a write of one `timebank_attribution`; `error_out` is NULL or valid for a
/// write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_transfer_by(
    store: *const timebank_store,
    id: *const timebank_id,
    by_out: *mut timebank_attribution,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `id`.
        let id = unsafe { pointer::ref_arg(id, "id") }?.transfer("id")?;
        // SAFETY: the contract above covers `by_out`.
        let out = unsafe { pointer::out_arg(by_out, "by_out") }?;
        let record = store
            .transfer(id)?
            .ok_or_else(|| Error::new(Status::NotFound, format!("transfer {id} does not exist")))?;
        let who = store.read(|l| l.attribution_at(record.timestamp));
        out.write(timebank_attribution::of(who));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
