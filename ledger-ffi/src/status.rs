//! Status codes: what every exported function returns, with stable numbers, and the error a
//! function body carries until the panic boundary turns it into a status and a message.

use std::ffi::c_char;
use std::sync::OnceLock;

use ledger_core::{AmountError, ResultCode};

/// What a call did. The numbers are stable: hosts in every language switch on them.
///
/// Only `TIMEBANK_STATUS_OK` means the call did what it was asked. With any other status no
/// out-param was written (`error_out` aside) and the ledger did not change, with two exceptions
/// said exactly: `TIMEBANK_STATUS_REFUSED` from a write means the ledger looked at the request
/// and said no, and that attempt is journaled (the journal head and the state digest move on,
/// the refused ids are remembered with their result code; no balance changes); and
/// `TIMEBANK_STATUS_OUTCOME_UNKNOWN` means a write may or may not be durable.
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
    /// The ledger refused the event: a rule or an accounting check said no. The attempt is
    /// journaled (no balance changes). The message always begins `refused: NAME (NUMBER)`, the
    /// ledger's result code; `timebank_error_result_code` reads the number back.
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
    /// The handle is not a live store handle: freed, or never returned by
    /// `timebank_store_open`. Nothing was read through it.
    InvalidHandle = 12,
    /// `now` is not a plausible wall-clock time for this store's time guard (more than the
    /// allowed skew ahead of the system clock, or before the ledger's creation by more than
    /// it); nothing was
    /// written, not even a journal record. See `timebank_open_options`.
    InvalidTime = 13,
    /// A callback asked to stop (it returned non-zero); the call changed nothing.
    Cancelled = 14,
    /// A call on a store from inside one of that store's own callbacks: refused (it would wait
    /// for itself), nothing done. Return from the callback first.
    Reentrant = 15,
    /// A write whose journal write or sync failed: the command may or may not be durable. The
    /// store refuses further writes; reopen it and look the command's ids up to learn which.
    OutcomeUnknown = 16,
    /// A signed checkpoint (or a proof's) names another public key or profile than the one the
    /// host trusts: not evidence, but no statement about damage either (an altered one is
    /// `DAMAGED`). Nothing changed.
    NotSignedByKey = 17,
}

/// Every status, in numeric order.
const STATUSES: [Status; 18] = [
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
    Status::InvalidHandle,
    Status::InvalidTime,
    Status::Cancelled,
    Status::Reentrant,
    Status::OutcomeUnknown,
    Status::NotSignedByKey,
];

impl Status {
    /// Every status, in numeric order.
    pub fn all() -> [Status; 18] {
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
            Status::InvalidHandle => b"invalid_handle\0",
            Status::InvalidTime => b"invalid_time\0",
            Status::Cancelled => b"cancelled\0",
            Status::Reentrant => b"reentrant\0",
            Status::OutcomeUnknown => b"outcome_unknown\0",
            Status::NotSignedByKey => b"not_signed_by_key\0",
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
        Error::new(Status::Refused, refused_prefix(code))
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
            // sled refuses a second open of the same index directory with its own lock.
            E::Index(e) if e.kind() == ledger_store::IndexErrorKind::Locked => Status::Busy,
            E::Index(_) => Status::Io,
            E::Corrupted(_) => Status::Damaged,
            E::Statement(ledger_core::StatementError::AccountNotFound(_)) => Status::NotFound,
            E::Statement(_) => Status::InvalidArgument,
            E::Batch(_) | E::Policy(_) | E::CheckpointText(_) | E::NoCheckpointKey => {
                Status::InvalidArgument
            }
            E::AlreadyExists(_) | E::InvalidGenesis(_) => Status::InvalidArgument,
            E::NotFound(_) => Status::NotFound,
            // A failed write or sync: the command may or may not be durable.
            E::OutcomeUnknown { .. } => Status::OutcomeUnknown,
            E::Poisoned => Status::Io,
            E::Closed => Status::Closed,
            E::InvalidTime(_) => Status::InvalidTime,
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
            // Refused while planning, before any command: nothing is journaled. The message
            // carries the refusal's result code, as every refusal's does.
            P::NotABooking(_) | P::HoldsPending(_) | P::DonationAccountRequired | P::Inexact(_) => {
                return Error::new(
                    Status::Refused,
                    format!(
                        "{}: {error}; nothing was journaled",
                        refused_prefix(error.code())
                    ),
                )
            }
            _ => Status::InvalidArgument,
        };
        Error::new(status, error.to_string())
    }
}

/// The stable start of every `TIMEBANK_STATUS_REFUSED` message: `refused: NAME (NUMBER)`.
fn refused_prefix(code: ResultCode) -> String {
    format!("refused: {} ({})", code.name(), code as u16)
}

/// The result code a `TIMEBANK_STATUS_REFUSED` message carries, read from its stable start.
pub(crate) fn result_code_of(message: &str) -> Option<u16> {
    let rest = message.strip_prefix("refused: ")?;
    let (name, rest) = rest.split_once(" (")?;
    let (number, _) = rest.split_once(')')?;
    let code = ResultCode::from_u16(number.parse().ok()?)?;
    (code.name() == name).then_some(code as u16)
}

/// Writes the ledger result code a failed call's message carries to `*code_out`: every
/// `TIMEBANK_STATUS_REFUSED` message begins `refused: NAME (NUMBER)`, and this reads `NUMBER`
/// back (110 for `refused: exceeds_floor (110)`), so a host needs no parsing of its own.
///
/// Errors: `NOT_FOUND` when the message carries no result code (it is not a refusal's).
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string; `code_out` is NULL or valid for a write of one
/// `uint16_t`; `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_error_result_code(
    message: *const c_char,
    code_out: *mut u16,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `message`.
        let message = unsafe { crate::pointer::str_arg(message, "message") }?;
        // SAFETY: the contract above covers `code_out`.
        let out = unsafe { crate::pointer::out_arg(code_out, "code_out") }?;
        let code = result_code_of(message).ok_or_else(|| {
            Error::new(
                Status::NotFound,
                "the message carries no ledger result code",
            )
        })?;
        out.write(code);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { crate::boundary::call(error_out, body) }
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
        assert_eq!(Status::OutcomeUnknown as i32, 16);
    }

    #[test]
    fn every_refusal_message_carries_its_code() {
        for &code in ResultCode::ALL {
            let error = Error::refused(code);
            assert_eq!(result_code_of(&error.message), Some(code as u16));
        }
        let not_booked =
            ledger_core::timebank::PlanError::NotABooking(ledger_core::TransferId::new(5).unwrap());
        let code = not_booked.code() as u16;
        let planned = Error::from(not_booked);
        assert_eq!(planned.status, Status::Refused);
        assert_eq!(result_code_of(&planned.message), Some(code));
        assert_eq!(result_code_of("refused: exceeds_floor (111)"), None);
        assert_eq!(result_code_of("no such account"), None);
    }
}
