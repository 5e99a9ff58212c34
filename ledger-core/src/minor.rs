//! Minor units: a unit's balances and limits as integers of its smallest step (hundredths of an
//! hour at scale 2), which is how the engine computes with them; and their decimal form, which
//! only text needs (reports, the CLI, the FFI's string helpers).

use rust_decimal::Decimal;

use crate::limits::UNIT_SCALE_MAX;

/// Powers of ten up to the largest unit scale: the steps between minor units and millionths,
/// shared by amounts (`u64`) and balances (widened to `i128` where they are used).
pub(crate) const POW10: [u64; UNIT_SCALE_MAX as usize + 1] = {
    let mut table = [1u64; UNIT_SCALE_MAX as usize + 1];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `value / 10^exp` and `value % 10^exp` for `exp` up to [`UNIT_SCALE_MAX`]. Each arm divides
/// by a constant, which the compiler turns into a multiply: every transfer converts its amount
/// this way, and a division by a value read from [`POW10`] takes tens of cycles.
#[inline]
pub(crate) fn div_rem_pow10(value: u64, exp: u32) -> (u64, u64) {
    match exp {
        0 => (value, 0),
        1 => (value / 10, value % 10),
        2 => (value / 100, value % 100),
        3 => (value / 1_000, value % 1_000),
        4 => (value / 10_000, value % 10_000),
        5 => (value / 100_000, value % 100_000),
        6 => (value / 1_000_000, value % 1_000_000),
        _ => {
            let step = POW10[exp as usize];
            (value / step, value % step)
        }
    }
}

/// `minor` units at `scale` as a normalized decimal: `250` at scale 2 is `2.5`, `0` is `0`.
///
/// # Panics
/// When `minor` is beyond Decimal's 96-bit mantissa or `scale` above 28; no balance or limit
/// of a ledger is (they stay within `BALANCE_WHOLE_MAX` whole units at a scale of at most 6).
///
/// ```
/// use ledger_core::minor;
/// assert_eq!(minor::decimal(250, 2).to_string(), "2.5");
/// assert_eq!(minor::decimal(-1_050, 2).to_string(), "-10.5");
/// ```
pub fn decimal(minor: i128, scale: u32) -> Decimal {
    decimal_at_scale(minor, scale).normalize()
}

/// `minor` units at `scale` as a decimal written with exactly `scale` places: `0` at scale 2 is
/// `0.00`. Panics as [`decimal`] does.
pub fn decimal_at_scale(minor: i128, scale: u32) -> Decimal {
    Decimal::try_from_i128_with_scale(minor, scale)
        .expect("a balance or limit is within Decimal's range")
}

/// `value` in minor units of `scale`: `Some` when it has at most `scale` significant decimals
/// and fits an `i128`, `None` otherwise (never rounded).
///
/// ```
/// use ledger_core::{minor, Decimal};
/// assert_eq!(minor::from_decimal("-10.50".parse().unwrap(), 2), Some(-1_050));
/// assert_eq!(minor::from_decimal("0.125".parse().unwrap(), 2), None);
/// ```
pub fn from_decimal(value: Decimal, scale: u32) -> Option<i128> {
    let value = value.normalize();
    if value.scale() > scale || scale > UNIT_SCALE_MAX {
        return None;
    }
    value
        .mantissa()
        .checked_mul(i128::from(POW10[(scale - value.scale()) as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_minor_units_convert_exactly() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(from_decimal(d("1e3"), 0), Some(1_000));
        assert_eq!(from_decimal(d("-0.00"), 2), Some(0));
        assert_eq!(from_decimal(d("1.500"), 1), Some(15));
        assert_eq!(from_decimal(d("0.000001"), 6), Some(1));
        assert_eq!(from_decimal(d("0.0000001"), 6), None);
        assert_eq!(from_decimal(d("1"), 7), None);
        assert_eq!(decimal_at_scale(0, 2).to_string(), "0.00");
        assert_eq!(decimal(-5, 6).to_string(), "-0.000005");
        let big = 1_000_000_000_000_000_i128 * 1_000_000;
        for exp in 0..=UNIT_SCALE_MAX {
            let value = 123_456_789_012_345;
            let step = POW10[exp as usize];
            assert_eq!(div_rem_pow10(value, exp), (value / step, value % step));
        }
        assert_eq!(from_decimal(decimal(big, 6), 6), Some(big));
    }
}
