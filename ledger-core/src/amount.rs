//! Amounts: exact, strictly positive quantities within a unit's scale and below a named maximum.
//!
//! An `Amount` cannot hold a bad value: zero, negative, NaN, more decimals than the unit allows
//! or more than [`AMOUNT_WHOLE_MAX`] are refused when it is made, never rounded. It is an
//! integer: a count of millionths (10^-[`UNIT_SCALE_MAX`]) of its unit, so the engine compares
//! and converts amounts without decimal arithmetic; decimals appear only when one is parsed or
//! printed.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::limits::{AMOUNT_WHOLE_MAX, UNIT_SCALE_MAX};
use crate::minor::{div_rem_pow10, POW10};

/// A strictly positive quantity of some unit, with at most [`UNIT_SCALE_MAX`] decimals.
///
/// It holds a `u64` count of millionths of the unit (`1.5` hours is 1,500,000), whatever the
/// unit's own scale; [`Amount::to_minor`] gives the count in the unit's minor units (150 at scale
/// 2). `1.5` and `1.50` are the same amount, and [`Amount::value`] is the normalized decimal.
/// Whether it fits a particular unit's scale is checked with [`Amount::fits_scale`] (the engine
/// does so for every transfer) or up front with [`Amount::parse_in`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Amount(u64);

/// Why a text or number is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The text is empty.
    #[error("an amount must not be empty")]
    Empty,
    /// The text is not digits with an optional `.` and digits (signs, exponents, separators,
    /// spaces and non-ASCII digits are refused); holds the text.
    #[error("{0:?} is not a plain decimal number (digits, an optional '.' and digits)")]
    Syntax(String),
    /// The value is zero (amounts are strictly positive).
    #[error("an amount must be greater than zero")]
    NotPositive,
    /// More significant decimals than the scale allows (trailing zeros do not count); never
    /// rounded.
    #[error("{value} has more than {scale} decimal places")]
    TooManyDecimals {
        /// The refused text or value, as given.
        value: String,
        /// The largest number of decimals allowed.
        scale: u32,
    },
    /// The value is above [`Amount::MAX`]; holds the text or value.
    #[error("{0} is larger than the largest amount ({max})", max = AMOUNT_WHOLE_MAX)]
    TooLarge(String),
}

impl Amount {
    /// The largest amount of one transfer.
    pub const MAX: Amount = Amount(AMOUNT_WHOLE_MAX * MICROS_PER_UNIT);

    /// Parses a plain decimal such as `"12"` or `"1.25"`. Signs, exponents, separators, spaces
    /// and non-ASCII digits are refused.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        Self::parse_in(text, UNIT_SCALE_MAX)
    }

    /// Parses like [`Amount::parse`] and also refuses more than `scale` decimal places
    /// (a `scale` above [`UNIT_SCALE_MAX`] counts as that maximum). Trailing zeros are not
    /// significant: `"1.50"` fits scale 1.
    ///
    /// ```
    /// use ledger_core::{Amount, AmountError};
    ///
    /// let amount = Amount::parse_in("2.50", 2).unwrap();
    /// assert_eq!(amount.to_string(), "2.5");
    /// assert_eq!(amount.to_minor(2), Some(250));
    /// assert!(matches!(Amount::parse_in("0.125", 2), Err(AmountError::TooManyDecimals { .. })));
    /// assert_eq!(Amount::parse_in("0", 2), Err(AmountError::NotPositive));
    /// assert!(matches!(Amount::parse_in("-1", 2), Err(AmountError::Syntax(_))));
    /// ```
    pub fn parse_in(text: &str, scale: u32) -> Result<Amount, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !plain(whole) || fraction.is_some_and(|f| !plain(f)) {
            return Err(AmountError::Syntax(text.to_owned()));
        }
        // Trailing zeros carry no value; only significant decimals count against the scale,
        // which is never above the ledger's maximum (the decimal parser would round a longer
        // fraction, so a tiny positive amount would be refused as zero).
        let scale = scale.min(UNIT_SCALE_MAX);
        let significant = fraction.map_or(0, |f| f.trim_end_matches('0').len());
        if significant > scale as usize {
            return Err(AmountError::TooManyDecimals {
                value: text.to_owned(),
                scale,
            });
        }
        let whole_digits = whole.trim_start_matches('0');
        if whole_digits.len() > 10 {
            return Err(AmountError::TooLarge(text.to_owned()));
        }
        let trimmed = match fraction {
            Some(f) => format!(
                "{}.{}",
                whole_digits_or_zero(whole_digits),
                &f[..significant]
            ),
            None => whole_digits_or_zero(whole_digits).to_owned(),
        };
        let value = Decimal::from_str(&trimmed).map_err(|_| AmountError::Syntax(text.into()))?;
        Self::from_decimal_in(value, scale)
    }

    /// The amount equal to `value`, refused when it is not positive, has more than `scale`
    /// significant decimals, or exceeds [`Amount::MAX`].
    pub fn from_decimal_in(value: Decimal, scale: u32) -> Result<Amount, AmountError> {
        // Integer comparisons rather than Decimal ones (which rescale both sides): every
        // amount a journal holds is decoded through here.
        let value = value.normalize();
        if value.is_zero() || value.is_sign_negative() {
            return Err(AmountError::NotPositive);
        }
        if value.scale() > scale.min(UNIT_SCALE_MAX) {
            return Err(AmountError::TooManyDecimals {
                value: value.to_string(),
                scale,
            });
        }
        // At most UNIT_SCALE_MAX decimals now: above Amount::MAX is a mantissa above
        // AMOUNT_WHOLE_MAX x 10^scale (at most 10^15, far inside an i128).
        if value.mantissa() > i128::from(AMOUNT_WHOLE_MAX) * 10i128.pow(value.scale()) {
            return Err(AmountError::TooLarge(value.to_string()));
        }
        // Positive and at most 10^15 millionths: exact in a u64.
        let micros = value.mantissa() as u64 * POW10[(UNIT_SCALE_MAX - value.scale()) as usize];
        Ok(Amount(micros))
    }

    /// The amount of `minor` hundredths (for `scale` 2), thousandths (3) and so on: the
    /// fixed-point form that C batch structs carry.
    pub fn from_minor(minor: u64, scale: u32) -> Result<Amount, AmountError> {
        if scale > UNIT_SCALE_MAX {
            return Err(AmountError::TooManyDecimals {
                value: minor.to_string(),
                scale,
            });
        }
        let max = AMOUNT_WHOLE_MAX * POW10[scale as usize];
        if minor == 0 || minor > max {
            // The decimal path words the refusal (the value as a normalized decimal).
            return Self::from_decimal_in(
                Decimal::from_i128_with_scale(minor as i128, scale),
                scale,
            );
        }
        Ok(Amount(minor * POW10[(UNIT_SCALE_MAX - scale) as usize]))
    }

    /// The amount in minor units of `scale` (the inverse of [`Amount::from_minor`]), or `None`
    /// when it has more decimals than `scale`.
    pub fn to_minor(self, scale: u32) -> Option<u64> {
        match UNIT_SCALE_MAX.checked_sub(scale) {
            Some(down) => match div_rem_pow10(self.0, down) {
                (minor, 0) => Some(minor),
                _ => None,
            },
            None => 10u64
                .checked_pow(scale - UNIT_SCALE_MAX)
                .and_then(|up| self.0.checked_mul(up)),
        }
    }

    /// Whether the amount has at most `scale` decimal places.
    pub fn fits_scale(self, scale: u32) -> bool {
        match UNIT_SCALE_MAX.checked_sub(scale) {
            Some(down) => div_rem_pow10(self.0, down).1 == 0,
            None => true,
        }
    }

    /// The amount in millionths of its unit (its whole representation).
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// The amount as the journal writes it: mantissa and scale without trailing zeros (`1.5` is
    /// `(15, 1)`).
    pub fn mantissa_scale(self) -> (u64, u32) {
        // Three steps of 3, 2 and 1 zeros strip any count up to the 6 decimals of millionths
        // (a loop of one zero at a time costs about 50 instructions on every amount hashed or
        // written).
        let (mut mantissa, mut scale) = (self.0, UNIT_SCALE_MAX);
        if mantissa.is_multiple_of(1_000) {
            mantissa /= 1_000;
            scale -= 3;
        }
        if scale >= 2 && mantissa.is_multiple_of(100) {
            mantissa /= 100;
            scale -= 2;
        }
        if scale >= 1 && mantissa.is_multiple_of(10) {
            mantissa /= 10;
            scale -= 1;
        }
        (mantissa, scale)
    }

    /// The value as a normalized decimal (`1.5`, never `1.50`).
    pub fn value(self) -> Decimal {
        let (mantissa, scale) = self.mantissa_scale();
        Decimal::from_i128_with_scale(i128::from(mantissa), scale)
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Amount) -> Amount {
        if other.0 < self.0 {
            other
        } else {
            self
        }
    }
}

/// Millionths in one unit.
const MICROS_PER_UNIT: u64 = 1_000_000;
const _: () = assert!(MICROS_PER_UNIT == 10u64.pow(UNIT_SCALE_MAX));
// `Amount::mantissa_scale` strips at most 3 + 2 + 1 trailing zeros.
const _: () = assert!(UNIT_SCALE_MAX == 6);

fn whole_digits_or_zero(digits: &str) -> &str {
    if digits.is_empty() {
        "0"
    } else {
        digits
    }
}

impl TryFrom<Decimal> for Amount {
    type Error = AmountError;
    fn try_from(value: Decimal) -> Result<Self, AmountError> {
        Self::from_decimal_in(value, UNIT_SCALE_MAX)
    }
}

impl From<Amount> for Decimal {
    fn from(amount: Amount) -> Decimal {
        amount.value()
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(text: &str) -> Result<Self, AmountError> {
        Self::parse(text)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.value())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three strides strip exactly the zeros one at a time would, for every count of
    /// trailing zeros and the values around powers of ten.
    #[test]
    fn mantissa_scale_strips_every_trailing_zero_up_to_six() {
        let one_at_a_time = |micros: u64| {
            let (mut mantissa, mut scale) = (micros, UNIT_SCALE_MAX);
            while scale > 0 && mantissa % 10 == 0 {
                mantissa /= 10;
                scale -= 1;
            }
            (mantissa, scale)
        };
        let mut values = vec![0, 1, u64::MAX, u64::MAX - 5];
        for zeros in 0..=19 {
            for k in [1, 7, 12, 25, 999] {
                if let Some(v) = 10u64.pow(zeros).checked_mul(k) {
                    values.extend([v, v - 1, v.saturating_add(1)]);
                }
            }
        }
        for micros in values.into_iter().chain(0..20_000) {
            assert_eq!(
                Amount(micros).mantissa_scale(),
                one_at_a_time(micros),
                "{micros}"
            );
        }
    }

    #[test]
    fn from_decimal_in_keeps_its_bounds() {
        let d = |m: i64, s: u32| Decimal::new(m, s);
        let max = i64::try_from(AMOUNT_WHOLE_MAX).unwrap();
        assert_eq!(
            Amount::from_decimal_in(d(0, 0), 6),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Amount::from_decimal_in(d(0, 3), 6),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Amount::from_decimal_in(-d(0, 2), 6),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Amount::from_decimal_in(d(-1, 6), 6),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Amount::from_decimal_in(d(1, 6), 6).unwrap().to_string(),
            "0.000001"
        );
        assert!(matches!(
            Amount::from_decimal_in(d(1, 7), 6),
            Err(AmountError::TooManyDecimals { .. })
        ));
        assert_eq!(Amount::from_decimal_in(d(max, 0), 6), Ok(Amount::MAX));
        assert_eq!(
            Amount::from_decimal_in(d(max * 1000, 3), 6),
            Ok(Amount::MAX)
        );
        assert!(Amount::from_decimal_in(d(max * 1_000_000 - 1, 6), 6).is_ok());
        assert!(matches!(
            Amount::from_decimal_in(d(max * 1_000_000 + 1, 6), 6),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            Amount::from_decimal_in(d(max + 1, 0), 6),
            Err(AmountError::TooLarge(_))
        ));
        assert_eq!(
            Amount::from_decimal_in(d(150, 2), 6).unwrap().to_string(),
            "1.5"
        );
    }

    #[test]
    fn parses_plain_decimals_exactly() {
        assert_eq!(Amount::parse_in("1.50", 2).unwrap().to_string(), "1.5");
        assert_eq!(Amount::parse_in("007", 0).unwrap().to_string(), "7");
        assert_eq!(Amount::parse_in("0.25", 2).unwrap().to_minor(2), Some(25));
        assert_eq!(Amount::parse_in("1000000000", 0).unwrap(), Amount::MAX);
    }

    #[test]
    fn refuses_everything_else() {
        let bad = [
            "",
            "1e3",
            "NaN",
            "-1",
            "+1",
            "0",
            "0.00",
            "1,5",
            " 1",
            "1 ",
            ".5",
            "5.",
            "１",
            "1000000000.01",
            "99999999999",
            "0x10",
            "inf",
        ];
        for text in bad {
            assert!(Amount::parse_in(text, 2).is_err(), "{text:?} was accepted");
        }
        assert_eq!(
            Amount::parse_in("0.001", 2),
            Err(AmountError::TooManyDecimals {
                value: "0.001".into(),
                scale: 2
            })
        );
        assert!(matches!(
            Amount::parse_in("1.5", 0),
            Err(AmountError::TooManyDecimals { .. })
        ));
    }

    #[test]
    fn an_amount_is_a_count_of_millionths() {
        let a = Amount::parse_in("1.50", 2).unwrap();
        assert_eq!(a.micros(), 1_500_000);
        assert_eq!(a.mantissa_scale(), (15, 1));
        assert_eq!(a.value().to_string(), "1.5");
        assert_eq!(a.to_minor(0), None);
        assert_eq!(a.to_minor(1), Some(15));
        assert_eq!(a.to_minor(6), Some(1_500_000));
        assert_eq!(a.to_minor(8), Some(150_000_000));
        assert!(a.fits_scale(1) && !a.fits_scale(0) && a.fits_scale(9));
        assert_eq!(Amount::MAX.mantissa_scale(), (AMOUNT_WHOLE_MAX, 0));
        assert_eq!(Amount::from_minor(7, 0).unwrap().mantissa_scale(), (7, 0));
        let tiny = Amount::from_minor(1, 6).unwrap();
        assert_eq!(
            (tiny.micros(), tiny.to_string()),
            (1, "0.000001".to_owned())
        );
        assert!(tiny < a && a.min(tiny) == tiny);
        assert_eq!(
            Amount::from_minor(100_000_000_001, 2),
            Err(AmountError::TooLarge("1000000000.01".into()))
        );
        assert_eq!(Amount::from_minor(100_000_000_000, 2), Ok(Amount::MAX));
        assert_eq!(Amount::from_minor(0, 6), Err(AmountError::NotPositive));
        // The serde form is the decimal, as before.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"1.5\"");
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
    }

    #[test]
    fn minor_units_round_trip() {
        let a = Amount::from_minor(12_345, 2).unwrap();
        assert_eq!(a.to_string(), "123.45");
        assert_eq!(a.to_minor(2), Some(12_345));
        assert_eq!(a.to_minor(1), None);
        assert!(Amount::from_minor(0, 2).is_err());
    }
}
