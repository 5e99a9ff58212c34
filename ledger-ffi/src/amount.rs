//! Amounts at the boundary: exact decimal strings, or fixed-point integers in a unit's scale.
//!
//! Hosts pass amounts as plain decimal text (Python `Decimal`, Java `BigDecimal` print exactly),
//! and the batch path passes integers of minor units (hundredths for a 2-place unit). Both are
//! validated by the engine's own `Amount` parser: nothing is rounded.

use std::ffi::c_char;

use ledger_core::limits::UNIT_SCALE_MAX;
use ledger_core::Amount;

use crate::boundary;
use crate::pointer;
use crate::status::Error;

/// Parses `text` as an amount of a unit with `scale` decimal places.
pub(crate) fn parse(text: &str, scale: u32, argument: &str) -> Result<Amount, Error> {
    check_scale(scale)?;
    Amount::parse_in(text, scale).map_err(|e| Error::amount(argument, &e))
}

/// The amount of `minor` units of `scale`.
pub(crate) fn from_minor(minor: u64, scale: u32, argument: &str) -> Result<Amount, Error> {
    check_scale(scale)?;
    Amount::from_minor(minor, scale).map_err(|e| Error::amount(argument, &e))
}

fn check_scale(scale: u32) -> Result<(), Error> {
    if scale > UNIT_SCALE_MAX {
        return Err(Error::invalid(format!(
            "scale {scale} is above the largest unit scale ({UNIT_SCALE_MAX})"
        )));
    }
    Ok(())
}

/// Checks that `text` is an amount of a unit with `scale` decimal places (a plain positive
/// decimal such as `"2.5"`, no sign, exponent, separator, space or non-ASCII digit, at most
/// `scale` significant decimals, at most the largest amount) and writes it in minor units of that
/// scale to `*minor_out` (`"2.5"` at scale 2 is 250).
///
/// Errors: `TIMEBANK_STATUS_INVALID_AMOUNT` for a text that is not such an amount,
/// `TIMEBANK_STATUS_INVALID_ARGUMENT` for a scale above 6.
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string; `minor_out` is NULL or valid for a write of one
/// `uint64_t`; `error_out` is NULL or valid for a write of one `char *` (set, on failure, to a
/// message the caller frees with `timebank_string_free`).
#[no_mangle]
pub unsafe extern "C" fn timebank_amount_parse(
    text: *const c_char,
    scale: u32,
    minor_out: *mut u64,
    error_out: *mut *mut c_char,
) -> crate::status::Status {
    let body = || {
        // SAFETY: the contract above covers `text`.
        let text = unsafe { pointer::str_arg(text, "text") }?;
        // SAFETY: the contract above covers `minor_out`.
        let minor_out = unsafe { pointer::out_arg(minor_out, "minor_out") }?;
        let amount = parse(text, scale, "text")?;
        // An amount within the scale and below the maximum always fits 64 bits in minor units.
        let minor = amount.to_minor(scale).expect("checked against the scale");
        minor_out.write(minor);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes the amount of `minor` units of `scale` as plain decimal text at that scale (250 at
/// scale 2 is `"2.50"`) to `*text_out`, a string the caller frees with `timebank_string_free`.
///
/// Errors: `TIMEBANK_STATUS_INVALID_AMOUNT` for 0 or more than the largest amount,
/// `TIMEBANK_STATUS_INVALID_ARGUMENT` for a scale above 6.
///
/// Thread safety: may be called from any thread at any time.
///
/// # Safety
/// `text_out` and `error_out` are NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_amount_format(
    minor: u64,
    scale: u32,
    text_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> crate::status::Status {
    let body = || {
        // SAFETY: the contract above covers `text_out`.
        let text_out = unsafe { pointer::out_arg(text_out, "text_out") }?;
        let amount = from_minor(minor, scale, "minor")?;
        text_out.write(pointer::owned_string(&crate::decimal::at_scale(
            amount.value(),
            scale,
        )));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}
