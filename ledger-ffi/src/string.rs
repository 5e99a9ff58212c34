//! Strings the library hands to the host (error messages, exported checkpoints, reports) and the
//! one function that frees them.

use std::ffi::c_char;

/// Frees a string that the library returned through a `char **` out-param (an error message, an
/// exported checkpoint, a report). NULL does nothing.
///
/// Thread safety: may be called from any thread, once per string.
///
/// # Safety
/// `text` is NULL or a string returned by this library and not freed before.
#[no_mangle]
pub unsafe extern "C" fn timebank_string_free(text: *mut c_char) {
    crate::boundary::call_or((), || {
        // SAFETY: the caller's contract is the one `free_string` needs.
        unsafe { crate::pointer::free_string(text) }
    })
}
