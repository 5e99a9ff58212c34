//! Decimals written into fixed text fields of out-structs, so reading an account or a transfer
//! allocates nothing the host must free. Every amount and balance is written at its unit's scale
//! (`"0.50"` in a unit of 2 decimals, never `"0.5"`), so hosts' exact decimal types (Java's
//! `BigDecimal.equals`) compare equal values as equal.

use std::ffi::c_char;

use ledger_core::Decimal;

/// Room for any balance or amount as text (at most 29 digits, a sign, a point) and its NUL.
pub const TIMEBANK_DECIMAL_BYTES: usize = 48;

/// A decimal as text at `scale` decimals (more only if the value has more, which an amount of
/// the unit never does): never rounded.
pub(crate) fn at_scale(value: Decimal, scale: u32) -> String {
    let mut value = value.normalize();
    if value.scale() < scale {
        value.rescale(scale);
    }
    value.to_string()
}

/// A decimal at `scale` decimals as plain NUL-terminated text in a fixed field.
pub(crate) fn field(value: Decimal, scale: u32) -> [c_char; TIMEBANK_DECIMAL_BYTES] {
    let mut out = [0 as c_char; TIMEBANK_DECIMAL_BYTES];
    let text = at_scale(value, scale);
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
pub(crate) fn optional_field(
    value: Option<Decimal>,
    scale: u32,
) -> [c_char; TIMEBANK_DECIMAL_BYTES] {
    value.map_or([0; TIMEBANK_DECIMAL_BYTES], |v| field(v, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_at_the_units_scale() {
        let half = Decimal::new(5, 1);
        assert_eq!(at_scale(half, 2), "0.50");
        assert_eq!(at_scale(Decimal::new(-300, 2), 0), "-3");
        assert_eq!(at_scale(Decimal::new(-3, 0), 2), "-3.00");
        assert_eq!(
            at_scale(Decimal::new(12345, 3), 2),
            "12.345",
            "never rounded"
        );
        assert_eq!(at_scale(Decimal::ZERO, 2), "0.00");
    }
}
