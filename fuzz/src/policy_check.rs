//! `policy_parse`: the policy loaders on arbitrary text, and policies built field by field.
//! Loading never panics; a policy that loads is valid, opens a ledger, and comes back unchanged
//! through both of its text forms.

use arbitrary::{Arbitrary, Unstructured};
use ledger_core::policy::{Cap, CodeRule, Excess, Expiry, GiftRules, Period, Purpose, Rounding};
use ledger_core::{AccountId, Decimal, Ledger, Policy, Unit};

/// The first byte picks the form: `T` the rest is TOML, `J` JSON, anything else a policy built
/// from the rest by `arbitrary`.
pub fn run(data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    match form {
        b'T' | b'J' => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            let loaded = if form == b'T' {
                Policy::from_toml(text)
            } else {
                Policy::from_json(text)
            };
            if let Ok(policy) = loaded {
                check_loaded(&policy);
            }
        }
        _ => {
            if let Ok(spec) = PolicySpec::arbitrary_take_rest(Unstructured::new(rest)) {
                check_built(&spec.build());
            }
        }
    }
}

/// A policy that loaded: it validates, opens a ledger, and round-trips.
fn check_loaded(policy: &Policy) {
    assert_eq!(policy.validate(), Ok(()), "a loaded policy validates");
    Ledger::with_policy(policy).expect("a valid policy opens a ledger");
    let json = policy.to_json();
    assert_eq!(
        Policy::from_json(&json).as_ref(),
        Ok(policy),
        "JSON round trip"
    );
    // TOML integers are 64-bit, so some valid policies have no TOML form (documented).
    if let Ok(toml) = policy.to_toml() {
        assert_eq!(
            Policy::from_toml(&toml).as_ref(),
            Ok(policy),
            "TOML round trip:\n{toml}"
        );
    }
}

/// A policy built in memory: loading its text gives exactly what `validate` says.
fn check_built(policy: &Policy) {
    let valid = policy.validate();
    let from_json = Policy::from_json(&policy.to_json());
    match &valid {
        Ok(()) => {
            assert_eq!(from_json.as_ref(), Ok(policy), "JSON round trip");
            check_loaded(policy);
        }
        Err(e) => {
            assert_eq!(
                from_json.as_ref().err(),
                Some(e),
                "JSON load of an invalid policy"
            );
            assert!(
                Ledger::with_policy(policy).is_err(),
                "an invalid policy opened a ledger"
            );
        }
    }
    if let Ok(toml) = policy.to_toml() {
        let from_toml = Policy::from_toml(&toml);
        assert_eq!(
            from_toml.is_ok(),
            valid.is_ok(),
            "TOML load vs validate:\n{toml}"
        );
    }
}

#[derive(Arbitrary, Debug)]
struct PolicySpec {
    units: Vec<(u8, u8, u8)>,
    utc_offset_minutes: i16,
    codes: Vec<CodeSpec>,
    caps: Vec<(u8, u8, DecimalSpec, bool)>,
    any_member: bool,
    expiry: Vec<(u8, u16, u128, u16)>,
}

#[derive(Arbitrary, Debug)]
struct CodeSpec {
    code: u16,
    name_len: u8,
    unit: u8,
    purpose: u8,
    weight: Option<DecimalSpec>,
    points: Option<DecimalSpec>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct DecimalSpec(i32, u8);

impl DecimalSpec {
    fn value(self) -> Decimal {
        Decimal::new(i64::from(self.0), u32::from(self.1 % 10))
    }
}

const PURPOSES: [Purpose; 10] = [
    Purpose::Service,
    Purpose::Care,
    Purpose::Gift,
    Purpose::Donation,
    Purpose::Award,
    Purpose::Redemption,
    Purpose::Expiry,
    Purpose::Closing,
    Purpose::Clearing,
    Purpose::Funding,
];
const PERIODS: [Period; 3] = [Period::Day, Period::Month, Period::Lifetime];

impl PolicySpec {
    fn build(&self) -> Policy {
        let name = |len: u8| "n".repeat(usize::from(len % 70));
        Policy {
            units: self
                .units
                .iter()
                .take(20)
                .map(|&(id, len, scale)| {
                    Unit::new(u16::from(id % 5), &name(len), u32::from(scale % 9))
                })
                .collect(),
            utc_offset_minutes: i32::from(self.utc_offset_minutes),
            // Drawn from the offset's bits so the input layout stays as the corpus has it;
            // now and then above LATE_DAYS_MAX.
            late_days_max: u32::from(self.utc_offset_minutes.unsigned_abs() % 400),
            codes: self
                .codes
                .iter()
                .take(40)
                .map(|c| CodeRule {
                    code: c.code % 1000,
                    name: name(c.name_len),
                    unit: u16::from(c.unit % 5),
                    purpose: PURPOSES[usize::from(c.purpose) % PURPOSES.len()],
                    weight: c.weight.map(DecimalSpec::value),
                    points: c.points.map(DecimalSpec::value),
                    // Odd names round half-even: allowed on weighted codes only.
                    rounding: if c.name_len % 2 == 1 {
                        Rounding::HalfEven
                    } else {
                        Rounding::Refuse
                    },
                })
                .collect(),
            caps: self
                .caps
                .iter()
                .take(10)
                .map(|&(unit, period, limit, donate)| Cap {
                    unit: u16::from(unit % 5),
                    period: PERIODS[usize::from(period) % PERIODS.len()],
                    limit: limit.value(),
                    excess: if donate {
                        Excess::Donate
                    } else {
                        Excess::Reject
                    },
                })
                .collect(),
            gifts: GiftRules {
                any_member: self.any_member,
            },
            expiry: self
                .expiry
                .iter()
                .take(6)
                .filter_map(|&(unit, days, account, code)| {
                    Some(Expiry {
                        unit: u16::from(unit % 5),
                        lifetime_days: u32::from(days),
                        account: AccountId::new(account)?,
                        code: code % 1000,
                    })
                })
                .collect(),
        }
    }
}
