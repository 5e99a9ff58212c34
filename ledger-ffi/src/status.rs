//! Status codes: what every exported function returns, with stable numbers, and the error a
//! function body carries until the panic boundary turns it into a status and a message.

use std::ffi::c_char;
use std::sync::OnceLock;

use ledger_core::{AmountError, ResultCode};

/// What a call did. The numbers are stable: hosts in every language switch on them.
///
/// Only `TIMEBANK_STATUS_OK` means the call did what it was asked; with any other status no
/// out-param was written and nothing changed in the ledger.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The call succeeded; its out-params are written.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullPointer = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument is out of its range or malformed (a zero id, an unknown flag, a bad policy).
    InvalidArgument = 3,
    /// An amount is not a plain positive decimal within the unit's scale and the maximum.
    InvalidAmount = 4,
    /// An account, transfer or unit named by the call does not exist.
    NotFound = 5,
    /// The ledger refused the event: a rule or an accounting check said no (the message names
    /// the ledger's result code).
    Refused = 6,
    /// The ledger on disk is damaged: a record or checkpoint does not verify.
    Damaged = 7,
    /// The operating system refused a read, a write or a sync.
    Io = 8,
    /// The handle was closed; only `_free` may still be called on it.
    Closed = 9,
    /// A bug inside the library was caught before it could cross into the host; nothing was
    /// changed, and the message says where.
    Panic = 10,
    /// The store is already open, in this process or another one.
    Busy = 11,
}

/// Every status, in numeric order.
const STATUSES: [Status; 12] = [
    Status::Ok,
    Status::NullPointer,
    Status::InvalidUtf8,
    Status::InvalidArgument,
    Status::InvalidAmount,
    Status::NotFound,
    Status::Refused,
    Status::Damaged,
    Status::Io,
    Status::Closed,
    Status::Panic,
    Status::Busy,
];

impl Status {
    /// Every status, in numeric order.
    pub fn all() -> [Status; 12] {
        STATUSES
    }

    /// The stable snake_case name, NUL-terminated for C.
    pub fn name_c(self) -> &'static [u8] {
        match self {
            Status::Ok => b"ok\0",
            Status::NullPointer => b"null_pointer\0",
            Status::InvalidUtf8 => b"invalid_utf8\0",
            Status::InvalidArgument => b"invalid_argument\0",
            Status::InvalidAmount => b"invalid_amount\0",
            Status::NotFound => b"not_found\0",
            Status::Refused => b"refused\0",
            Status::Damaged => b"damaged\0",
            Status::Io => b"io\0",
            Status::Closed => b"closed\0",
            Status::Panic => b"panic\0",
            Status::Busy => b"busy\0",
        }
    }

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        let bytes = self.name_c();
        // Every name above is ASCII with one trailing NUL.
        std::str::from_utf8(&bytes[..bytes.len() - 1]).expect("names are ASCII")
    }

    /// The status with this number.
    pub fn from_i32(value: i32) -> Option<Status> {
        STATUSES.into_iter().find(|s| *s as i32 == value)
    }
}

/// A failed call: its status and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    pub fn null(argument: &str) -> Error {
        Error::new(Status::NullPointer, format!("{argument} must not be NULL"))
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// The ledger refused one event with `code`. The message reads "refused: NAME (NUMBER)",
    /// which the Python and Java packages read the code back from.
    pub fn refused(code: ResultCode) -> Error {
        Error::new(
            Status::Refused,
            format!("refused: {} ({})", code.name(), code as u16),
        )
    }

    pub fn amount(argument: &str, error: &AmountError) -> Error {
        Error::new(Status::InvalidAmount, format!("{argument}: {error}"))
    }
}

impl From<ledger_store::Error> for Error {
    fn from(error: ledger_store::Error) -> Error {
        use ledger_store::Error as E;
        let status = match &error {
            E::Io(_) => Status::Io,
            // The store's lock on its data directory refuses a second open.
            E::Locked(_) => Status::Busy,
            // sled refuses a second open of the same directory with a lock error.
            E::Index(e) if e.to_string().contains("lock") => Status::Busy,
            E::Index(_) => Status::Io,
            E::Corrupted(_) => Status::Damaged,
            E::Batch(_) | E::Policy(_) | E::CheckpointText(_) | E::NoCheckpointKey => {
                Status::InvalidArgument
            }
            E::AlreadyExists(_) | E::InvalidGenesis(_) => Status::InvalidArgument,
            E::NotFound(_) => Status::NotFound,
            E::Poisoned => Status::Io,
            E::Closed => Status::Closed,
            _ => Status::Io,
        };
        Error::new(status, error.to_string())
    }
}

impl From<ledger_core::timebank::PlanError> for Error {
    fn from(error: ledger_core::timebank::PlanError) -> Error {
        use ledger_core::timebank::PlanError as P;
        let status = match &error {
            P::AccountNotFound(_) | P::TransferNotFound(_) => Status::NotFound,
            P::Amount(_) => Status::InvalidAmount,
            P::NotABooking(_) | P::HoldsPending(_) | P::DonationAccountRequired | P::Inexact(_) => {
                Status::Refused
            }
            _ => Status::InvalidArgument,
        };
        Error::new(status, error.to_string())
    }
}

/// Room for the longest result code name and its NUL.
const CODE_NAME_BYTES_MAX: usize = 64;
const CODE_COUNT: usize = ResultCode::ALL.len();

/// The name of a result code as a NUL-terminated C string with static lifetime.
pub(crate) fn result_code_name_c(code: ResultCode) -> *const c_char {
    // Built once, in place (no heap allocation that would outlive the host's leak checks).
    static NAMES: OnceLock<[[u8; CODE_NAME_BYTES_MAX]; CODE_COUNT]> = OnceLock::new();
    let table = NAMES.get_or_init(|| {
        let mut table = [[0u8; CODE_NAME_BYTES_MAX]; CODE_COUNT];
        for (slot, code) in table.iter_mut().zip(ResultCode::ALL) {
            let name = code.name().as_bytes();
            // Names are short snake_case words; the last byte stays NUL.
            assert!(
                name.len() < CODE_NAME_BYTES_MAX,
                "result code name too long"
            );
            slot[..name.len()].copy_from_slice(name);
        }
        table
    });
    match ResultCode::ALL.iter().position(|c| *c == code) {
        Some(index) => crate::pointer::static_c_str(&table[index]),
        None => crate::pointer::static_c_str(b"unknown\0"),
    }
}

/// The stable snake_case name of a status, such as `"invalid_amount"`, or `"unknown"` for a
/// number that is not a status: a static string the caller must not free.
///
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn timebank_status_name(status: i32) -> *const c_char {
    crate::boundary::call_or(std::ptr::null(), || {
        let name = Status::from_i32(status).map_or(&b"unknown\0"[..], Status::name_c);
        crate::pointer::static_c_str(name)
    })
}

/// The stable snake_case name of a ledger result code (the per-event outcome of a batch, such as
/// `"exceeds_floor"` for 110), or `"unknown"`: a static string the caller must not free.
///
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn timebank_result_code_name(code: u16) -> *const c_char {
    crate::boundary::call_or(std::ptr::null(), || match ResultCode::from_u16(code) {
        Some(code) => result_code_name_c(code),
        None => crate::pointer::static_c_str(b"unknown\0"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_stable() {
        for (number, status) in STATUSES.into_iter().enumerate() {
            assert_eq!(status as i32, number as i32);
            assert_eq!(Status::from_i32(number as i32), Some(status));
            assert!(!status.name().is_empty());
        }
        assert_eq!(Status::Refused.name(), "refused");
        assert_eq!(Status::from_i32(-1), None);
    }
}
