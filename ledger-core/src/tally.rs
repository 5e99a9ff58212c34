//! The time-bank rules' counters (a member's earnings, a lot's remainder) as integers: millionths
//! of the unit, as [`Amount`] holds them, so counting a transfer and checking a cap add and
//! compare integers.
//!
//! Millionths rather than the unit's own minor units: an arrival's parts and carried earnings
//! are amounts of up to [`UNIT_SCALE_MAX`] decimals whatever the unit's scale (only their sum,
//! the credit, is held to it), and a counter must hold what the engine counted.
//!
//! Each counter also keeps the decimal places it is written with in a snapshot (FORMAT.md §16.1):
//! the places the counter's decimal form had when the rules counted in decimals, which the
//! encoding keeps byte for byte. They follow decimal addition: a sum or difference of two
//! non-zero values has the larger of their places, and an operation with zero gives the other
//! operand as it is (`0 + 0.50` is written `0.50`, not `0.5`).

use rust_decimal::Decimal;

use crate::amount::Amount;
use crate::limits::UNIT_SCALE_MAX;
use crate::minor::POW10;

/// A counter in millionths of its unit, with the decimal places it is written with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Millionths of the unit.
    micros: i128,
    /// Decimal places of its written form, at most [`UNIT_SCALE_MAX`]; `micros` is a multiple
    /// of `10^(UNIT_SCALE_MAX - places)`.
    places: u8,
}

impl Tally {
    /// Zero, written `0`.
    pub const ZERO: Tally = Tally {
        micros: 0,
        places: 0,
    };

    /// An amount, written as its normalized decimal (`1.50` is `1.5`).
    #[inline]
    pub fn of(amount: Amount) -> Tally {
        let micros = amount.micros();
        let mut places = UNIT_SCALE_MAX as u8;
        let mut rest = micros;
        while places > 0 && rest.is_multiple_of(10) {
            rest /= 10;
            places -= 1;
        }
        Tally {
            micros: i128::from(micros),
            places,
        }
    }

    /// The value in millionths of the unit.
    #[inline]
    pub fn micros(self) -> i128 {
        self.micros
    }

    #[inline]
    pub fn is_zero(self) -> bool {
        self.micros == 0
    }

    /// `self + other`, written with the larger places of two non-zero operands, else as the
    /// other operand.
    #[inline]
    pub fn plus(self, other: Tally) -> Tally {
        if self.micros == 0 {
            other
        } else if other.micros == 0 {
            self
        } else {
            Tally {
                micros: self.micros + other.micros,
                places: self.places.max(other.places),
            }
        }
    }

    /// `self - other`, written as [`Tally::plus`] writes a sum (`0 - x` is `-x` as `x` is
    /// written).
    #[inline]
    pub fn minus(self, other: Tally) -> Tally {
        if self.micros == 0 {
            Tally {
                micros: -other.micros,
                places: other.places,
            }
        } else if other.micros == 0 {
            self
        } else {
            Tally {
                micros: self.micros - other.micros,
                places: self.places.max(other.places),
            }
        }
    }

    /// `self - other`, or zero (written `0`) when that is below zero.
    #[inline]
    pub fn minus_down_to_zero(self, other: Tally) -> Tally {
        let difference = self.minus(other);
        if difference.micros < 0 {
            Tally::ZERO
        } else {
            difference
        }
    }

    /// The smaller of two; `self` when they are equal.
    #[inline]
    pub fn min(self, other: Tally) -> Tally {
        if self.micros > other.micros {
            other
        } else {
            self
        }
    }

    /// The decimal it is written as: its value with exactly its places.
    pub fn decimal(self) -> Decimal {
        let step = POW10[(UNIT_SCALE_MAX - u32::from(self.places)) as usize];
        Decimal::from_i128_with_scale(self.micros / i128::from(step), u32::from(self.places))
    }

    /// The counter a snapshot's decimal stands for; `None` when it has more places than an
    /// amount ([`UNIT_SCALE_MAX`]) or is beyond `max_whole` whole units either way.
    pub fn from_decimal(value: Decimal, max_whole: u64) -> Option<Tally> {
        let places = value.scale();
        if places > UNIT_SCALE_MAX {
            return None;
        }
        let micros = value
            .mantissa()
            .checked_mul(i128::from(POW10[(UNIT_SCALE_MAX - places) as usize]))?;
        let max = i128::from(max_whole) * i128::from(POW10[UNIT_SCALE_MAX as usize]);
        (micros.unsigned_abs() <= max as u128).then_some(Tally {
            micros,
            places: places as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn t(s: &str) -> Tally {
        Tally::from_decimal(d(s), u64::MAX).unwrap()
    }

    /// Every operation gives the value and the written places the decimal arithmetic gives.
    #[test]
    fn tallies_are_written_as_decimal_arithmetic_writes_them() {
        let values = [
            "0", "0.0", "0.00", "1", "1.5", "1.50", "2.25", "0.000001", "3.000",
        ];
        for a in values {
            for b in values {
                let (x, y) = (d(a), d(b));
                let same = |tally: Tally, decimal: Decimal| {
                    assert_eq!(tally.decimal().to_string(), decimal.to_string(), "{a} {b}");
                    assert_eq!(tally.decimal().scale(), decimal.scale(), "{a} {b}");
                };
                same(t(a).plus(t(b)), x + y);
                same(t(a).minus(t(b)), x - y);
                same(t(a).minus_down_to_zero(t(b)), (x - y).max(Decimal::ZERO));
                same(t(a).min(t(b)), x.min(y));
            }
        }
        let amount = Amount::parse("2.50").unwrap();
        assert_eq!(Tally::of(amount).decimal().to_string(), "2.5");
        assert_eq!(Tally::of(amount).micros(), 2_500_000);
        assert_eq!(Tally::ZERO.decimal(), Decimal::ZERO);
    }

    #[test]
    fn a_snapshot_value_the_counter_cannot_hold_is_refused() {
        assert_eq!(Tally::from_decimal(d("0.0000001"), u64::MAX), None);
        assert_eq!(Tally::from_decimal(d("11"), 10), None);
        assert_eq!(Tally::from_decimal(d("-11"), 10), None);
        assert_eq!(t("-1.50").decimal().to_string(), "-1.50");
        let largest = Decimal::from(crate::limits::BALANCE_WHOLE_MAX);
        assert!(Tally::from_decimal(largest, crate::limits::BALANCE_WHOLE_MAX).is_some());
    }
}
