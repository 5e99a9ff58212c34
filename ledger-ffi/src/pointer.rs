//! Every raw pointer the library reads, writes, casts or frees goes through this module.
//!
//! Each function here turns one kind of pointer from the host into a safe Rust value after a NULL
//! check (strings are also checked for UTF-8), so the rest of the crate never touches a raw
//! pointer. The callers' obligations are stated once per function in its `# Safety` section and
//! repeated in the C header for the exported function that passes the pointer on.

use std::ffi::{c_char, CStr, CString};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::status::{Error, Status};

/// A NUL-terminated UTF-8 string argument, borrowed for the call.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, argument: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::null(argument));
    }
    // SAFETY: not NULL (checked above); the caller guarantees a NUL-terminated string valid for
    // 'a.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            Status::InvalidUtf8,
            format!(
                "{argument} is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An out-param, checked for NULL when the call starts and written only when it succeeds.
#[derive(Debug)]
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    lifetime: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Writes the call's result. Consumes the out-param, so each is written at most once.
    pub fn write(self, value: T) {
        // SAFETY: `out_arg`'s caller guaranteed the pointer valid and aligned for writes of a `T`
        // for the lifetime of `self`. `write` does not read or drop the old (maybe uninitialized)
        // value.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

/// Checks an out-param for NULL.
///
/// # Safety
/// `ptr` is NULL or valid and aligned for writes of one `T` for `'a`.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut T, argument: &str) -> Result<Out<'a, T>, Error> {
    NonNull::new(ptr)
        .map(|ptr| Out {
            ptr,
            lifetime: PhantomData,
        })
        .ok_or_else(|| Error::null(argument))
}

/// Checks an out-param that the host may leave NULL (it does not want that output).
///
/// # Safety
/// As for [`out_arg`].
pub(crate) unsafe fn optional_out_arg<'a, T>(ptr: *mut T) -> Option<Out<'a, T>> {
    NonNull::new(ptr).map(|ptr| Out {
        ptr,
        lifetime: PhantomData,
    })
}

/// A string the library allocates for the host, freed with [`free_string`]. An interior NUL
/// (never expected in the library's messages) is replaced so the text is never cut short
/// silently.
pub(crate) fn owned_string(text: &str) -> *mut c_char {
    let text = CString::new(text)
        .unwrap_or_else(|_| CString::new(text.replace('\0', "\u{FFFD}")).expect("NULs replaced"));
    text.into_raw()
}

/// Frees a string made by [`owned_string`]. NULL does nothing.
///
/// # Safety
/// `ptr` is NULL or was returned by [`owned_string`] and not freed before.
pub(crate) unsafe fn free_string(ptr: *mut c_char) {
    if !ptr.is_null() {
        // SAFETY: made by `CString::into_raw` in `owned_string`, freed once (caller's guarantee).
        drop(unsafe { CString::from_raw(ptr) });
    }
}

/// A static NUL-terminated name as a C string pointer.
pub(crate) fn static_c_str(bytes: &'static [u8]) -> *const c_char {
    debug_assert_eq!(bytes.last(), Some(&0), "a C string ends with NUL");
    bytes.as_ptr().cast()
}

/// Writes an owned error message to the host's optional `error_out`.
///
/// # Safety
/// `error_out` is NULL or valid and aligned for a write of one `char *`.
pub(crate) unsafe fn write_error(error_out: *mut *mut c_char, message: &str) {
    // SAFETY: the caller's guarantee is the one `optional_out_arg` needs.
    if let Some(out) = unsafe { optional_out_arg(error_out) } {
        out.write(owned_string(message));
    }
}
