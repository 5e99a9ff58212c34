//! Decimals written into fixed text fields of out-structs, so reading an account or a transfer
//! allocates nothing the host must free.

use std::ffi::c_char;

use ledger_core::Decimal;

/// Room for any balance or amount as text (at most 29 digits, a sign, a point) and its NUL.
pub const TIMEBANK_DECIMAL_BYTES: usize = 48;

/// A decimal as plain NUL-terminated text in a fixed field.
pub(crate) fn field(value: Decimal) -> [c_char; TIMEBANK_DECIMAL_BYTES] {
    let mut out = [0 as c_char; TIMEBANK_DECIMAL_BYTES];
    let text = value.normalize().to_string();
    // A Decimal prints at most 31 characters (28 digits of scale plus sign, point and zero),
    // so the last byte always stays NUL.
    for (slot, byte) in out
        .iter_mut()
        .zip(text.bytes().take(TIMEBANK_DECIMAL_BYTES - 1))
    {
        *slot = byte as c_char;
    }
    out
}

/// An optional decimal: empty text for none.
pub(crate) fn optional_field(value: Option<Decimal>) -> [c_char; TIMEBANK_DECIMAL_BYTES] {
    value.map_or([0; TIMEBANK_DECIMAL_BYTES], field)
}
