//! The panic boundary: every exported function runs its body through [`call`], which turns the
//! body's `Result` into a status and an optional owned message, and a panic into
//! `TIMEBANK_STATUS_PANIC`, so that no unwind ever crosses into C, Python or Java.

use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::pointer;
use crate::status::{Error, Status};

/// Runs `body`, and writes to `error_out` (when not NULL) its message on failure, or NULL on
/// success: the host's `char *error` is always current, so freeing it after every call is safe.
///
/// # Safety
/// `error_out` is NULL or valid and aligned for a write of one `char *`.
pub(crate) unsafe fn call(
    error_out: *mut *mut c_char,
    body: impl FnOnce() -> Result<(), Error>,
) -> Status {
    // Asserting unwind safety is sound here because nothing the body touched is used after a
    // panic without a check: the store's lock reports poisoning, and a half-built value is
    // dropped with the unwound frames.
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            // SAFETY: this function's contract is the one `clear_error` needs.
            unsafe { pointer::clear_error(error_out) };
            return Status::Ok;
        }
        Ok(Err(error)) => error,
        Err(payload) => Error::new(
            Status::Panic,
            format!(
                "internal error (a bug in the library, please report it): {}",
                panic_message(payload.as_ref())
            ),
        ),
    };
    // SAFETY: this function's contract is the one `write_error` needs.
    unsafe { pointer::write_error(error_out, &error.message) };
    error.status
}

/// Runs a body that returns a plain value rather than a status (a name lookup, a `_free`), so
/// that even a bug there cannot unwind into the host: a panic gives `fallback` (its message has
/// gone to stderr).
pub(crate) fn call_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "no message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut message: *mut c_char = std::ptr::null_mut();
        // SAFETY: `message` is a valid out-param for one `char *`.
        let status = unsafe { call(&mut message, || panic!("a bug in a body")) };
        assert_eq!(status, Status::Panic);
        assert!(!message.is_null());
        // SAFETY: `call` wrote a NUL-terminated string made by `owned_string`.
        let text = unsafe { std::ffi::CStr::from_ptr(message) }
            .to_str()
            .unwrap()
            .to_owned();
        // SAFETY: the string came from the library and is freed once.
        unsafe { pointer::free_string(message) };
        assert!(text.contains("a bug in a body"), "{text}");
        assert_eq!(call_or(7, || panic!("in a name lookup")), 7);
    }

    #[test]
    fn an_error_leaves_its_message_and_success_leaves_none() {
        // A stale pointer left from an earlier failure (never freed through it here).
        let mut message: *mut c_char = pointer::token_handle(0x10);
        // SAFETY: `message` is a valid out-param for one `char *`.
        let status = unsafe { call(&mut message, || Ok(())) };
        assert_eq!(status, Status::Ok);
        assert!(message.is_null(), "success sets error_out to NULL");
        // SAFETY: as above; NULL error_out is allowed too.
        let status = unsafe {
            call(std::ptr::null_mut(), || {
                Err(Error::new(Status::NotFound, "no such account"))
            })
        };
        assert_eq!(status, Status::NotFound);
    }
}
