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

/// An optional string argument: NULL means none.
///
/// # Safety
/// As for [`str_arg`].
pub(crate) unsafe fn optional_str_arg<'a>(
    ptr: *const c_char,
    argument: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's guarantee is the one `str_arg` needs.
    unsafe { str_arg(ptr, argument) }.map(Some)
}

/// Checks a batch's element count against the batch maximum before anything is read or
/// allocated: a count the host got wrong (`SIZE_MAX`, `1 << 36`, one more than its array holds
/// and above the maximum) is refused here, never used.
pub(crate) fn batch_count(count: u64, argument: &str) -> Result<usize, Error> {
    let max = ledger_core::limits::BATCH_EVENTS_MAX;
    match usize::try_from(count) {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Error::invalid(format!(
            "{argument} must be 1 to {max}, not {count}; nothing was read"
        ))),
    }
}

/// A borrowed array argument of `len` elements. NULL is accepted only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` is NULL or points to `len` initialized, aligned values of `T` that stay
/// valid and unchanged for `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(
    ptr: *const T,
    len: usize,
    argument: &str,
) -> Result<&'a [T], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::null(argument));
    }
    // SAFETY: not NULL, and the caller guarantees `len` valid, aligned elements for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An optional fixed-size array argument (such as a 32-byte key): NULL means none.
///
/// # Safety
/// `ptr` is NULL or points to `N` initialized values of `T` that stay valid for `'a`.
pub(crate) unsafe fn optional_array_arg<'a, T, const N: usize>(
    ptr: *const T,
) -> Option<&'a [T; N]> {
    // SAFETY: the caller guarantees NULL or `N` valid elements; `as_ref` checks for NULL.
    unsafe { ptr.cast::<[T; N]>().as_ref() }
}

/// A shared reference to one value the host passes by pointer, such as an id.
///
/// # Safety
/// `ptr` is NULL or points to a valid, aligned `T` that stays valid for `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(ptr: *const T, argument: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees NULL or a valid `T`, and `as_ref` checks for NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::null(argument))
}

/// An optional struct argument: NULL means none (the defaults).
///
/// # Safety
/// `ptr` is NULL or points to a valid, aligned `T` that stays valid for `'a`.
pub(crate) unsafe fn optional_ref_arg<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller guarantees NULL or a valid `T`, and `as_ref` checks for NULL.
    unsafe { ptr.as_ref() }
}

/// A handle token (see `handle.rs`) as the pointer the host holds. It points at nothing and is
/// never dereferenced.
pub(crate) fn token_handle<T>(token: usize) -> *mut T {
    std::ptr::without_provenance_mut(token)
}

/// The token a handle pointer carries (its address; nothing is read through it).
pub(crate) fn handle_token<T>(handle: *const T) -> usize {
    handle.addr()
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

/// A writable array out-param of `len` elements. NULL is accepted only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` is NULL or valid and aligned for reads and writes of `len` values of
/// `T` (initialized: `T` here is always a plain C struct or integer) for `'a`, and nothing else
/// reads or writes them meanwhile.
pub(crate) unsafe fn slice_out<'a, T>(
    ptr: *mut T,
    len: usize,
    argument: &str,
) -> Result<&'a mut [T], Error> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Error::null(argument));
    }
    // SAFETY: not NULL; the caller guarantees `len` valid, exclusive elements for 'a.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
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

/// Sets the host's optional `error_out` to NULL (the call succeeded).
///
/// # Safety
/// `error_out` is NULL or valid and aligned for a write of one `char *`.
pub(crate) unsafe fn clear_error(error_out: *mut *mut c_char) {
    // SAFETY: the caller's guarantee is the one `optional_out_arg` needs.
    if let Some(out) = unsafe { optional_out_arg(error_out) } {
        out.write(std::ptr::null_mut());
    }
}
