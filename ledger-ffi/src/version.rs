//! The library's version, for hosts that check they loaded the library they were built for.

use std::ffi::c_char;

const VERSION_C: &[u8] = concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes();

/// The library's version, such as `"0.1.0"`: a static string the caller must not free.
///
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn timebank_version() -> *const c_char {
    crate::boundary::call_or(std::ptr::null(), || crate::pointer::static_c_str(VERSION_C))
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: `timebank_version` returns a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(super::timebank_version()) };
        assert_eq!(text.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
