//! `amount_parse`: `Amount::parse_in` on arbitrary text, checked against a parser written here
//! from the documented grammar (digits, an optional '.' and digits; positive; at most `scale`
//! significant decimals, never more than the ledger's six; at most `Amount::MAX`).

use arbitrary::Arbitrary;
use ledger_core::limits::UNIT_SCALE_MAX;
use ledger_core::{Amount, AmountError, Decimal};

#[derive(Arbitrary, Debug)]
pub struct AmountInput<'a> {
    pub scale: u8,
    pub text: &'a str,
    /// A decimal to check `Amount::from_decimal_in` with.
    pub mantissa: i64,
    pub decimal_scale: u8,
}

/// What the reference parser expects.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    /// Accepted: the value in millionths, and its canonical text.
    Amount(u128, String),
    Empty,
    Syntax,
    TooManyDecimals,
    NotPositive,
    TooLarge,
}

const MICRO_PER_UNIT: u128 = 1_000_000;
const AMOUNT_MAX_MICRO: u128 = 1_000_000_000 * MICRO_PER_UNIT;

/// The reference. Where a text is wrong in two ways, the first check below names it.
fn reference(text: &str, scale: u32) -> Expected {
    if text.is_empty() {
        return Expected::Empty;
    }
    let (whole, fraction) = match text.find('.') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return Expected::Syntax;
    }
    let fraction = fraction.unwrap_or("").trim_end_matches('0');
    if fraction.len() > scale.min(UNIT_SCALE_MAX) as usize {
        return Expected::TooManyDecimals;
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 10 {
        return Expected::TooLarge;
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().expect("ten digits at most")
    };
    if whole_value == 0 && fraction.is_empty() {
        return Expected::NotPositive;
    }
    let mut micro = whole_value * MICRO_PER_UNIT;
    for (i, c) in fraction.chars().enumerate() {
        micro += u128::from(c as u8 - b'0') * 10u128.pow(5 - i as u32);
    }
    if micro > AMOUNT_MAX_MICRO {
        return Expected::TooLarge;
    }
    let whole_text = if whole.is_empty() { "0" } else { whole };
    let canonical = if fraction.is_empty() {
        whole_text.to_owned()
    } else {
        format!("{whole_text}.{fraction}")
    };
    Expected::Amount(micro, canonical)
}

fn observed(result: &Result<Amount, AmountError>) -> Expected {
    match result {
        Ok(a) => Expected::Amount(
            u128::from(
                a.to_minor(UNIT_SCALE_MAX)
                    .expect("an amount fits six decimals"),
            ),
            a.to_string(),
        ),
        Err(AmountError::Empty) => Expected::Empty,
        Err(AmountError::Syntax(_)) => Expected::Syntax,
        Err(AmountError::TooManyDecimals { .. }) => Expected::TooManyDecimals,
        Err(AmountError::NotPositive) => Expected::NotPositive,
        Err(AmountError::TooLarge(_)) => Expected::TooLarge,
        Err(other) => panic!("an error the reference does not know: {other:?}"),
    }
}

pub fn run(input: &AmountInput<'_>) {
    // Scales past the maximum are asked for too: they must behave like the maximum.
    let scale = u32::from(input.scale);
    let parsed = Amount::parse_in(input.text, scale);
    assert_eq!(
        observed(&parsed),
        reference(input.text, scale),
        "parse_in({:?}, {scale})",
        input.text
    );
    if let Ok(amount) = parsed {
        // Round trip: the canonical text parses back to the same amount, at the same scale.
        assert_eq!(Amount::parse_in(&amount.to_string(), scale), Ok(amount));
        assert!(amount.fits_scale(scale.min(UNIT_SCALE_MAX)));
        let minor = amount
            .to_minor(scale.min(UNIT_SCALE_MAX))
            .expect("fits its scale");
        assert_eq!(
            Amount::from_minor(minor, scale.min(UNIT_SCALE_MAX)),
            Ok(amount)
        );
        assert_eq!(Amount::parse(&amount.to_string()), Ok(amount));
    }
    check_from_decimal(input.mantissa, u32::from(input.decimal_scale % 29), scale);
}

/// `from_decimal_in` accepts exactly the positive values with at most `scale` (and six)
/// significant decimals, up to the maximum; what it accepts prints as text `parse_in` accepts.
fn check_from_decimal(mantissa: i64, decimal_scale: u32, scale: u32) {
    let value = Decimal::new(mantissa, decimal_scale);
    let result = Amount::from_decimal_in(value, scale);
    let significant = value.normalize().scale();
    let fits = significant <= scale.min(UNIT_SCALE_MAX);
    let positive = mantissa > 0;
    let small = value <= Decimal::from(1_000_000_000u32);
    assert_eq!(
        result.is_ok(),
        positive && fits && small,
        "from_decimal_in({value}, {scale}) = {result:?}"
    );
    if let Ok(amount) = result {
        assert_eq!(amount.value(), value, "the value is kept exactly");
        assert_eq!(Amount::parse_in(&amount.to_string(), scale), Ok(amount));
    }
}
