//! A weighted code's weight as integers, so the engine turns hours into credits (DOMAIN.md §3.2)
//! without decimal arithmetic: `hours × weight`, exact or rounded half to even at the unit's
//! scale, as [`CodeRule::credits`] defines it on decimals.

use crate::amount::Amount;
use crate::limits::UNIT_SCALE_MAX;
use crate::policy::{CodeRule, Rounding};
use crate::result::ResultCode;
use crate::unit::UnitId;

/// A service or care code's weight: `mantissa × 10^-places`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Weight {
    pub unit: UnitId,
    mantissa: u128,
    places: u32,
    rounding: Rounding,
}

impl Weight {
    /// The weight of a validated code (positive, at most `WEIGHT_MAX`, at most 4 places).
    pub fn of(rule: &CodeRule) -> Weight {
        let weight = rule.weight().normalize();
        Weight {
            unit: rule.unit,
            mantissa: weight.mantissa().unsigned_abs(),
            places: weight.scale(),
            rounding: rule.rounding,
        }
    }

    /// The credits `hours` (which fit `scale`) earn: refused with `weighted_amount_inexact` when
    /// the code refuses an inexact product or it rounds to zero, `overflows_balance` above the
    /// largest amount.
    pub fn credits(&self, hours: Amount, scale: u32) -> Result<Amount, ResultCode> {
        // At most 10^15 millionths × 10^6 (a weight of at most 100 with 4 places): exact in u128.
        let product = u128::from(hours.micros()) * self.mantissa;
        // The product counts 10^-(6 + places) of the unit; credits count 10^-scale.
        let step = 10u128.pow(self.places + UNIT_SCALE_MAX - scale.min(UNIT_SCALE_MAX));
        let (mut minor, rest) = (product / step, product % step);
        if rest != 0 {
            match self.rounding {
                Rounding::Refuse => return Err(ResultCode::WeightedAmountInexact),
                Rounding::HalfEven => {
                    let twice = rest * 2;
                    if twice > step || (twice == step && minor % 2 == 1) {
                        minor += 1;
                    }
                }
            }
        }
        if minor == 0 {
            return Err(ResultCode::WeightedAmountInexact);
        }
        u64::try_from(minor)
            .ok()
            .and_then(|minor| Amount::from_minor(minor, scale).ok())
            .ok_or(ResultCode::OverflowsBalance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Purpose;

    /// The integer credits are the decimal ones of `CodeRule::credits` for every weight shape,
    /// rounding, scale and a spread of hours (exact, halfway, either side of it).
    #[test]
    fn integer_credits_are_the_decimal_ones() {
        let weights = [
            "0.0001", "0.5", "0.75", "1.25", "1.5", "2", "2.5", "33.3333", "100",
        ];
        let hours = [
            "0.000001",
            "0.000005",
            "0.01",
            "0.05",
            "0.25",
            "0.5",
            "1",
            "1.3",
            "2.45",
            "3.14159",
            "7.000002",
            "1000000000",
        ];
        for weight in weights {
            for rounding in [Rounding::Refuse, Rounding::HalfEven] {
                let rule = CodeRule {
                    code: 101,
                    name: "service".into(),
                    unit: 1,
                    purpose: Purpose::Service,
                    weight: Some(weight.parse().unwrap()),
                    points: None,
                    rounding,
                };
                let integer = Weight::of(&rule);
                for scale in 0..=UNIT_SCALE_MAX {
                    for h in hours {
                        let Ok(amount) = Amount::parse_in(h, scale) else {
                            continue;
                        };
                        let decimal = match rule.credits(amount.value(), scale) {
                            None => Err(ResultCode::WeightedAmountInexact),
                            Some(c) => Amount::from_decimal_in(c, scale)
                                .map_err(|_| ResultCode::OverflowsBalance),
                        };
                        assert_eq!(
                            integer.credits(amount, scale),
                            decimal,
                            "{h} × {weight} at scale {scale}, {rounding:?}"
                        );
                    }
                }
            }
        }
    }
}
