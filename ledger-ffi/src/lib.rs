//! The time-bank ledger's C ABI: `libtimebank.so` / `libtimebank.a` and `include/timebank.h`.
//!
//! Conventions, the same for every function:
//! - names are `timebank_<object>_<verb>`; stores are opaque handles (`_open` / `_close` /
//!   `_free`);
//! - every function returns a [`Status`] with a stable number; results go through out-params
//!   written only when the status is `TIMEBANK_STATUS_OK`;
//! - the last argument, `char **error_out`, may be NULL; on failure it receives a message the
//!   caller frees with `timebank_string_free` (there is no global "last error");
//! - every pointer is NULL-checked, every string is checked for UTF-8, and every body runs
//!   inside a panic boundary;
//! - amounts cross as plain decimal strings, or in batch structs as integers of the unit's minor
//!   units.
//!
//! Every raw pointer is handled in one module (`pointer`); everything else is safe Rust.
//!
//! ```
//! use std::ffi::{CStr, CString};
//! use timebank::{timebank_amount_parse, timebank_status_name, Status};
//!
//! let mut minor = 0u64;
//! let text = CString::new("2.5").unwrap();
//! // SAFETY: a valid string, a valid out-param, and no error message wanted.
//! let status = unsafe { timebank_amount_parse(text.as_ptr(), 2, &mut minor, std::ptr::null_mut()) };
//! assert_eq!(status, Status::Ok);
//! assert_eq!(minor, 250);
//!
//! let bad = CString::new("1e3").unwrap();
//! // SAFETY: as above.
//! let status = unsafe { timebank_amount_parse(bad.as_ptr(), 2, &mut minor, std::ptr::null_mut()) };
//! // SAFETY: status names are static NUL-terminated strings.
//! let name = unsafe { CStr::from_ptr(timebank_status_name(status as i32)) };
//! assert_eq!(name.to_str().unwrap(), "invalid_amount");
//! assert_eq!(minor, 250, "an out-param is written only on success");
//! ```

// The exported types carry their C names (`timebank_store`, `timebank_id`), as the header shows
// them.
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod account;
mod amount;
mod attribution;
mod boundary;
mod callback;
mod decimal;
mod exchange;
mod exchange_handle;
mod handle;
mod id;
mod operation;
mod operation_outcome;
mod pointer;
mod policy;
mod proof;
mod report;
mod statement;
mod status;
mod store;
mod string;
mod transfer;
mod version;

pub use account::*;
pub use amount::{timebank_amount_format, timebank_amount_parse};
pub use attribution::{timebank_attribution, timebank_store_transfer_by};
pub use decimal::TIMEBANK_DECIMAL_BYTES;
pub use exchange::*;
pub use exchange_handle::{timebank_exchange, TIMEBANK_EXCHANGES_OPEN_MAX};
pub use handle::{timebank_store, TIMEBANK_STORES_OPEN_MAX};
pub use id::timebank_id;
pub use operation::*;
pub use operation_outcome::*;
pub use policy::*;
pub use proof::*;
pub use report::timebank_store_liability;
pub use statement::*;
pub use status::{
    timebank_error_result_code, timebank_result_code_name, timebank_status_name, Status,
};
pub use store::*;
pub use string::timebank_string_free;
pub use transfer::*;
pub use version::timebank_version;
