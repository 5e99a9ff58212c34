//! What a domain operation did, as the host reads it: the outcome of a `timebank_store_operate_*`
//! call, or of an operation looked up by its id.
//!
//! The ledger remembers every operation it ran under its request id (`Command::Operate`), with
//! the outcome it first returned; a retry is answered from that record.

use std::ffi::c_char;

use ledger_core::operation::OperationRecord;
use ledger_core::{EventResult, ResultCode};

use crate::boundary;
use crate::handle::{self, timebank_store};
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// What one domain operation did.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct timebank_operation_outcome {
    /// The ledger's timestamp of the operation's first event (nanoseconds since the Unix epoch);
    /// on a retry, the original one. 0 for a refused operation.
    pub timestamp: u64,
    /// How many transfers the operation made; their ids are the operation's id and the ones
    /// after it (`id`, `id + 1`, ...).
    pub transfers: u64,
    /// How many empty accounts it closed (a closing; 0 for other operations).
    pub closed: u64,
    /// The result code: 0 when the operation applied; for an operation looked up with
    /// `timebank_store_operation` that the ledger refused, the refusal's code (the one its
    /// `TIMEBANK_STATUS_REFUSED` message named).
    pub code: u16,
    /// 1 when the ledger had already run this operation (this id, these arguments) and the call
    /// was answered with the first outcome, writing nothing; 0 when it ran now.
    pub retried: u8,
    /// Always 0.
    pub reserved: [u8; 5],
}

/// The first event that is neither `ok` nor `exists`, naming the event that failed rather
/// than those failed with it (`linked_event_failed`).
pub(crate) fn refused_code(results: &[EventResult]) -> Option<ResultCode> {
    let failed = |r: &&EventResult| !matches!(r.code, ResultCode::Ok | ResultCode::Exists);
    results
        .iter()
        .filter(failed)
        .find(|r| r.code != ResultCode::LinkedEventFailed)
        .or_else(|| results.iter().find(failed))
        .map(|r| r.code)
}

impl timebank_operation_outcome {
    /// The outcome the ledger remembers of `record`.
    pub(crate) fn of_record(record: &OperationRecord, retried: bool) -> Self {
        let code = refused_code(&record.results);
        timebank_operation_outcome {
            timestamp: match code {
                Some(_) => 0,
                None => record.results.first().map_or(0, |r| r.timestamp),
            },
            // A refused plan made nothing, though the record keeps the ids it would have used.
            transfers: if code.is_some() {
                0
            } else {
                record.transfers.len() as u64
            },
            closed: if code.is_some() {
                0
            } else {
                record.closes.len() as u64
            },
            code: code.map_or(0, |c| c as u16),
            retried: u8::from(retried),
            reserved: [0; 5],
        }
    }
}

/// Writes the outcome of the domain operation with the request id `id` to `*outcome_out`: what
/// the ledger answered when it first ran it (`code` 0 with its transfers, or the refusal's
/// code). So a host that got `TIMEBANK_STATUS_OUTCOME_UNKNOWN`, or lost its process, learns
/// whether the operation happened without running it again. Reads only.
///
/// Errors: `NOT_FOUND` when the ledger ran no operation with this id (a transfer submitted
/// directly with this id is not an operation); `INVALID_ARGUMENT` for a zero id; `DAMAGED` or
/// `IO` when the store's index, which keeps the operations evicted from memory
/// (`timebank_open_options.resident_transfers`), cannot be read.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `outcome_out`
/// is NULL or valid for a write of one `timebank_operation_outcome`; `error_out` is NULL or valid
/// for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_operation(
    store: *const timebank_store,
    id: *const timebank_id,
    outcome_out: *mut timebank_operation_outcome,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `id`.
        let id = unsafe { pointer::ref_arg(id, "id") }?.transfer("id")?;
        // SAFETY: the contract above covers `outcome_out`.
        let out = unsafe { pointer::out_arg(outcome_out, "outcome_out") }?;
        let outcome = store
            .operation(id)?
            .map(|r| timebank_operation_outcome::of_record(&r, false))
            .ok_or_else(|| {
                Error::new(
                    Status::NotFound,
                    format!("the ledger ran no operation with id {id}"),
                )
            })?;
        out.write(outcome);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
