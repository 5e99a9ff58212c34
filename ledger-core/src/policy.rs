//! The policy: the time-bank rules a host configures, kept in a file (TOML or JSON) and
//! validated when loaded. The ledger enforces it; a rule is never just a warning.
//!
//! A policy maps transfer codes to what they mean ([`Purpose`]): a service category with a
//! weight, a care withdrawal, a gift, a donation, a points award, a redemption, an expiry sweep,
//! an account closing. A ledger under a policy that defines codes refuses every other code
//! (`code_not_allowed`); a policy with units only ([`Policy::units_only`]) allows any code.
//! The shipped default, with comments, is `ledger-core/policy/default.toml`
//! ([`Policy::default_policy`]).

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::id::AccountId;
use crate::limits::UNITS_MAX;
use crate::unit::{Unit, UnitError, UnitId};

/// The shipped default policy (hours to 2 places, points to 0, weight 1, no expiry of hours).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../policy/default.toml");

/// The top bit of a transfer id marks the ledger's own sweep transfers (`n`-th sweep:
/// `SWEEP_TRANSFER_ID_BIT | n`); a ledger with rules refuses host transfers with it
/// (`transfer_id_reserved`), so a host id never collides with a sweep.
pub const SWEEP_TRANSFER_ID_BIT: u128 = 1 << 127;

/// Most codes one policy defines.
pub const POLICY_CODES_MAX: usize = 1_024;
/// Most caps one policy defines.
pub const POLICY_CAPS_MAX: usize = 64;
/// The largest category weight: Hangzhou's 4 for blood donation leaves ample room.
pub const WEIGHT_MAX: u32 = 100;
/// The longest lifetime of a unit's credits, in days (a century).
pub const LIFETIME_DAYS_MAX: u32 = 36_525;
/// The most days a service may be recorded after it was done (a year).
pub const LATE_DAYS_MAX: u32 = 366;
/// The widest UTC offset, in minutes (UTC-12 to UTC+14).
pub const UTC_OFFSET_MINUTES_MAX: i32 = 14 * 60;

/// A ledger's configuration: its units and the time-bank rules over them.
///
/// ```
/// use ledger_core::{Ledger, Policy, PolicyError, Purpose, UnitId};
///
/// let policy = Policy::default_policy();
/// let hours: UnitId = 1;
/// assert_eq!(policy.scale(hours), Some(2));
/// assert_eq!(policy.code(101).unwrap().purpose, Purpose::Service);
/// let ledger = Ledger::with_policy(&policy).unwrap();
/// assert_eq!(ledger.units().count(), 2);
///
/// // A policy file is validated when it is loaded.
/// let zero_scale_cap = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n\
///                       [[codes]]\ncode = 0\nname = \"x\"\nunit = 1\npurpose = \"service\"\n";
/// assert!(matches!(Policy::from_toml(zero_scale_cap), Err(PolicyError::CodeField { code: 0, .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The units the ledger keeps (fixed for its life).
    pub units: Vec<Unit>,
    /// Where days and months begin, in minutes east of UTC (480 for China, UTC+8).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// How many local days after a service was done it may still be recorded (a transfer's
    /// `served_at`); 0, the default, allows the same local day only. A `served_at` after the
    /// event is always refused. (DOMAIN.md §3.8: sign-in sheets are typed in later.)
    #[serde(default, skip_serializing_if = "is_zero")]
    pub late_days_max: u32,
    /// What each transfer code means. Empty: no time-bank rules, any code is allowed.
    #[serde(default)]
    pub codes: Vec<CodeRule>,
    /// Caps on what a member may earn through service and care codes.
    #[serde(default)]
    pub caps: Vec<Cap>,
    /// Who may give hours to whom.
    #[serde(default)]
    pub gifts: GiftRules,
    /// Units whose credits expire, and where expired credits go.
    #[serde(default)]
    pub expiry: Vec<Expiry>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What a transfer code means, and so which accounts it may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A service paid by a fund (issuer, guarantee fund or donation pool): the provider (a member
    /// or group) earns `hours × weight`. Counted against caps.
    Service,
    /// Care paid with the recipient's own hours ("withdraw care when old"), or by a pool; the
    /// provider earns `hours × weight`. A member pays only from its eligibility date. Counted
    /// against caps when the provider is a member.
    Care,
    /// Hours given by a member to a family member (or anyone, if the policy allows) or a pool.
    Gift,
    /// Hours given to a donation pool (also the excess above a cap that routes to donation).
    Donation,
    /// Points awarded for an act by an issuer; `points` per act.
    Award,
    /// Points redeemed at a redemption account (a points supermarket).
    Redemption,
    /// Credits that reached the end of their lifetime, swept to the unit's expiry account.
    Expiry,
    /// The transfer that closes a member's or group's account (flag `CLOSING_DEBIT`), naming where
    /// the balance goes: an heir, a pool or a fund.
    Closing,
    /// Hours moving between ledgers (portability) through a clearing account.
    Clearing,
    /// Movements between funds and pools (no member or group on either side).
    Funding,
}

impl Purpose {
    /// Whether a member's credits under this purpose count against the earning caps.
    pub fn is_earning(self) -> bool {
        matches!(self, Purpose::Service | Purpose::Care)
    }

    /// Whether the code carries a category weight.
    pub fn is_weighted(self) -> bool {
        matches!(self, Purpose::Service | Purpose::Care)
    }
}

/// One transfer code of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRule {
    /// The transfer `code` this rule gives meaning to (not 0; unique in the policy).
    pub code: u16,
    /// A short name for reports, e.g. `"companionship"`.
    pub name: String,
    /// The unit transfers with this code move.
    pub unit: UnitId,
    /// What the code means, and so which accounts its transfers may join.
    pub purpose: Purpose,
    /// Credits earned per hour served (service and care codes only; 1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Decimal>,
    /// Points per act (award codes only; required for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Decimal>,
    /// What to do when hours × weight has more decimals than the unit keeps (weighted codes
    /// only): refuse the transfer (the default) or round half-even to the unit's scale.
    #[serde(default, skip_serializing_if = "Rounding::is_refuse")]
    pub rounding: Rounding,
}

/// How a weighted code turns hours into credits that do not fit the unit's scale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Refused with `weighted_amount_inexact`: the host chooses the hours again.
    #[default]
    Refuse,
    /// Rounded half to even at the unit's scale (banker's rounding: no drift either way).
    HalfEven,
}

impl Rounding {
    fn is_refuse(&self) -> bool {
        *self == Rounding::Refuse
    }
}

impl CodeRule {
    /// The category weight (1 unless the policy says otherwise).
    pub fn weight(&self) -> Decimal {
        self.weight.unwrap_or(Decimal::ONE)
    }

    /// The credits `hours` earn under this code at `scale`: `hours × weight`, exact or rounded
    /// as the code's `rounding` says; `None` when it is refused (inexact, or rounded to zero)
    /// or overflows.
    pub fn credits(&self, hours: Decimal, scale: u32) -> Option<Decimal> {
        if !self.purpose.is_weighted() {
            return Some(hours);
        }
        let exact = hours.checked_mul(self.weight())?;
        let kept = match self.rounding {
            Rounding::Refuse if exact.normalize().scale() > scale => return None,
            Rounding::Refuse => exact,
            Rounding::HalfEven => exact
                .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointNearestEven),
        };
        (kept > Decimal::ZERO).then_some(kept)
    }
}

/// The period a cap counts over, in the policy's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One local calendar day (from midnight at `utc_offset_minutes`).
    Day,
    /// One local calendar month.
    Month,
    /// The account's whole life.
    Lifetime,
}

/// What happens to earnings above a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Excess {
    /// The ledger refuses the credit (`cap_exceeded_*`).
    Reject,
    /// The planners in [`crate::timebank`] send the part above the cap to a donation pool; the
    /// ledger still refuses any credit that would pass the cap.
    Donate,
}

/// A cap on what one member may earn (through service and care codes) in one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// The unit whose earnings are capped; at most one cap per unit and period.
    pub unit: UnitId,
    /// The local-time period the earnings are summed over.
    pub period: Period,
    /// The most a member may earn in one period, in the unit (positive, within its scale).
    pub limit: Decimal,
    /// What happens to earnings above the limit.
    pub excess: Excess,
}

/// Who may receive gifts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GiftRules {
    /// When false (the default), members give only along registered family links (and to
    /// donation pools); when true, to any member (Shanghai allows friends).
    #[serde(default)]
    pub any_member: bool,
}

/// A unit whose credits expire: what a member or group received is swept to `account` once
/// `lifetime_days` have passed (oldest first), by `Ledger::expire`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiry {
    /// The unit whose credits expire; at most one rule per unit.
    pub unit: UnitId,
    /// How many days a credit lives, 1 to [`LIFETIME_DAYS_MAX`].
    pub lifetime_days: u32,
    /// The expiry account that receives swept credits (created by the host).
    pub account: AccountId,
    /// The code of the sweep transfers (an `expiry` code of the unit).
    pub code: u16,
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A unit is not valid, or two units share an id.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// No unit, or more than [`crate::limits::UNITS_MAX`].
    #[error("a ledger needs at least one unit and at most {max}", max = UNITS_MAX)]
    UnitCount,
    /// `utc_offset_minutes` is beyond ±[`UTC_OFFSET_MINUTES_MAX`]; holds the offset.
    #[error("the UTC offset {0} minutes is outside -{max}..={max}", max = UTC_OFFSET_MINUTES_MAX)]
    UtcOffset(i32),
    /// `late_days_max` is above [`LATE_DAYS_MAX`]; holds the value.
    #[error("late_days_max {0} is above {max}", max = LATE_DAYS_MAX)]
    LateDays(u32),
    /// More than [`POLICY_CODES_MAX`] codes or [`POLICY_CAPS_MAX`] caps.
    #[error("at most {max} codes and {caps} caps", max = POLICY_CODES_MAX, caps = POLICY_CAPS_MAX)]
    TooManyRules,
    /// Two rules share a code; holds the code.
    #[error("code {0} is defined twice")]
    DuplicateCode(u16),
    /// A code names a unit the policy does not define.
    #[error("code {code}: unit {unit} is not defined")]
    CodeUnit {
        /// The code at fault.
        code: u16,
        /// The undefined unit it names.
        unit: UnitId,
    },
    /// A code's name is empty or longer than 64 bytes; holds the code.
    #[error("code {0}: the name must be 1 to 64 bytes")]
    CodeName(u16),
    /// A field of a code is wrong: code 0, a weight outside (0, 100] or with more than 4
    /// decimals, a weight or rounding on a code that is not service or care, award `points`
    /// missing, not positive or beyond the unit's scale, or `points` on another purpose.
    #[error("code {code}: {problem}")]
    CodeField {
        /// The code at fault.
        code: u16,
        /// What is wrong, in words.
        problem: &'static str,
    },
    /// A cap is wrong: its unit is not defined, its limit is not positive or has more decimals
    /// than the unit keeps, or the unit has a second cap for the same period.
    #[error("cap on unit {unit} ({period:?}): {problem}")]
    CapField {
        /// The cap's unit.
        unit: UnitId,
        /// The cap's period.
        period: Period,
        /// What is wrong, in words.
        problem: &'static str,
    },
    /// An expiry rule is wrong: its unit is not defined, `lifetime_days` is outside 1 to
    /// [`LIFETIME_DAYS_MAX`], its `code` is not an expiry code of the same unit, or the unit has
    /// a second expiry rule.
    #[error("expiry of unit {unit}: {problem}")]
    ExpiryField {
        /// The rule's unit.
        unit: UnitId,
        /// What is wrong, in words.
        problem: &'static str,
    },
    /// Caps, expiry rules or `gifts.any_member` are set but no code is defined.
    #[error("caps, gift rules or expiry need codes to apply to")]
    RulesWithoutCodes,
    /// The text is not TOML of a policy (unknown fields included), or the policy cannot be
    /// written as TOML; holds the parser's message.
    #[error("the policy is not valid TOML: {0}")]
    Toml(String),
    /// The text is not JSON of a policy (unknown fields included); holds the parser's message.
    #[error("the policy is not valid JSON: {0}")]
    Json(String),
}

impl Policy {
    /// A policy with these units and no time-bank rules.
    pub fn units_only(units: Vec<Unit>) -> Policy {
        Policy {
            units,
            utc_offset_minutes: 0,
            late_days_max: 0,
            codes: Vec::new(),
            caps: Vec::new(),
            gifts: GiftRules::default(),
            expiry: Vec::new(),
        }
    }

    /// The shipped default policy (`ledger-core/policy/default.toml`).
    pub fn default_policy() -> Policy {
        // The file is part of the crate and covered by a test; it always parses and validates.
        Policy::from_toml(DEFAULT_POLICY_TOML).expect("the shipped default policy is valid")
    }

    /// Parses and validates a policy written in TOML.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError::Toml(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Parses and validates a policy written in JSON (the form the store journals).
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML. TOML integers are 64-bit: an expiry account id above `i64::MAX`
    /// cannot be written (use JSON for such a policy).
    pub fn to_toml(&self) -> Result<String, PolicyError> {
        toml::to_string(self).map_err(|e| PolicyError::Toml(e.to_string()))
    }

    /// The policy as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy always serializes to JSON")
    }

    /// Whether the policy defines time-bank rules (codes). Without them any code is allowed.
    pub fn has_rules(&self) -> bool {
        !self.codes.is_empty()
    }

    /// The rule for `code`, if the policy defines it.
    pub fn code(&self, code: u16) -> Option<&CodeRule> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// The first code of `purpose` in `unit`, in the order the policy lists them.
    pub fn code_for(&self, unit: UnitId, purpose: Purpose) -> Option<&CodeRule> {
        self.codes
            .iter()
            .find(|c| c.unit == unit && c.purpose == purpose)
    }

    /// The scale of `unit`.
    pub fn scale(&self, unit: UnitId) -> Option<u32> {
        self.units.iter().find(|u| u.id == unit).map(|u| u.scale)
    }

    /// Checks every field, naming the first that is wrong.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.units.is_empty() || self.units.len() > UNITS_MAX {
            return Err(PolicyError::UnitCount);
        }
        let mut unit_ids = BTreeSet::new();
        for unit in &self.units {
            unit.validate()?;
            if !unit_ids.insert(unit.id) {
                return Err(UnitError::Duplicate(unit.id).into());
            }
        }
        if self.utc_offset_minutes.abs() > UTC_OFFSET_MINUTES_MAX {
            return Err(PolicyError::UtcOffset(self.utc_offset_minutes));
        }
        if self.late_days_max > LATE_DAYS_MAX {
            return Err(PolicyError::LateDays(self.late_days_max));
        }
        if self.codes.len() > POLICY_CODES_MAX || self.caps.len() > POLICY_CAPS_MAX {
            return Err(PolicyError::TooManyRules);
        }
        let mut codes = BTreeSet::new();
        for rule in &self.codes {
            if !codes.insert(rule.code) {
                return Err(PolicyError::DuplicateCode(rule.code));
            }
            self.validate_code(rule)?;
        }
        for cap in &self.caps {
            self.validate_cap(cap)?;
        }
        for expiry in &self.expiry {
            self.validate_expiry(expiry)?;
        }
        let configured = !self.caps.is_empty() || !self.expiry.is_empty() || self.gifts.any_member;
        if configured && self.codes.is_empty() {
            return Err(PolicyError::RulesWithoutCodes);
        }
        Ok(())
    }

    fn validate_code(&self, rule: &CodeRule) -> Result<(), PolicyError> {
        let code = rule.code;
        let field = |problem| Err(PolicyError::CodeField { code, problem });
        if code == 0 {
            return field("code 0 means \"as in the pending transfer\" and cannot be defined");
        }
        if rule.name.is_empty() || rule.name.len() > 64 {
            return Err(PolicyError::CodeName(code));
        }
        let Some(scale) = self.scale(rule.unit) else {
            return Err(PolicyError::CodeUnit {
                code,
                unit: rule.unit,
            });
        };
        match rule.weight {
            Some(_) if !rule.purpose.is_weighted() => {
                return field("only service and care codes have a weight")
            }
            Some(w) if w <= Decimal::ZERO || w > Decimal::from(WEIGHT_MAX) => {
                return field("the weight must be above 0 and at most 100")
            }
            Some(w) if w.normalize().scale() > 4 => {
                return field("the weight has more than 4 decimal places")
            }
            _ => {}
        }
        if rule.rounding != Rounding::Refuse && !rule.purpose.is_weighted() {
            return field("only service and care codes have a rounding");
        }
        match (rule.purpose, rule.points) {
            (Purpose::Award, None) => field("an award code needs `points` per act"),
            (Purpose::Award, Some(p)) if p <= Decimal::ZERO || p.normalize().scale() > scale => {
                field("`points` must be positive and within the unit's scale")
            }
            (Purpose::Award, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => field("only award codes have `points`"),
        }
    }

    fn validate_cap(&self, cap: &Cap) -> Result<(), PolicyError> {
        let field = |problem| PolicyError::CapField {
            unit: cap.unit,
            period: cap.period,
            problem,
        };
        let scale = self
            .scale(cap.unit)
            .ok_or(field("the unit is not defined"))?;
        if cap.limit <= Decimal::ZERO || cap.limit.normalize().scale() > scale {
            return Err(field(
                "the limit must be positive and within the unit's scale",
            ));
        }
        let twice = self
            .caps
            .iter()
            .filter(|c| c.unit == cap.unit && c.period == cap.period)
            .count();
        if twice > 1 {
            return Err(field("a unit has at most one cap per period"));
        }
        Ok(())
    }

    fn validate_expiry(&self, expiry: &Expiry) -> Result<(), PolicyError> {
        let field = |problem| PolicyError::ExpiryField {
            unit: expiry.unit,
            problem,
        };
        if self.scale(expiry.unit).is_none() {
            return Err(field("the unit is not defined"));
        }
        if expiry.lifetime_days == 0 || expiry.lifetime_days > LIFETIME_DAYS_MAX {
            return Err(field("lifetime_days must be 1 to 36525"));
        }
        match self.code(expiry.code) {
            Some(c) if c.purpose == Purpose::Expiry && c.unit == expiry.unit => {}
            _ => return Err(field("`code` must be an expiry code of the same unit")),
        }
        if self.expiry.iter().filter(|e| e.unit == expiry.unit).count() > 1 {
            return Err(field("a unit has at most one expiry rule"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_round_trips_through_toml_and_json() {
        let policy = Policy::default_policy();
        assert_eq!(policy.scale(1), Some(2));
        assert_eq!(policy.scale(2), Some(0));
        assert!(
            policy.expiry.iter().all(|e| e.unit != 1),
            "hours never expire"
        );
        assert!(policy
            .codes
            .iter()
            .filter(|c| c.purpose.is_weighted())
            .all(|c| c.weight() == Decimal::ONE));
        assert_eq!(
            Policy::from_toml(&policy.to_toml().unwrap()).unwrap(),
            policy
        );
        assert_eq!(Policy::from_json(&policy.to_json()).unwrap(), policy);
    }

    #[test]
    fn expiry_rules_round_trip_through_toml_and_json() {
        let text = DEFAULT_POLICY_TOML.replace(
            "#   [[expiry]]\n#   unit = 2\n#   lifetime_days = 365\n#   account = 9000000002   # the host's expiry account for points\n#   code = 504",
            "[[expiry]]\nunit = 2\nlifetime_days = 365\naccount = 9000000002\ncode = 504",
        );
        let policy = Policy::from_toml(&text).unwrap();
        assert_eq!(policy.expiry.len(), 1);
        assert_eq!(policy.expiry[0].account.get(), 9_000_000_002);
        assert_eq!(
            Policy::from_toml(&policy.to_toml().unwrap()).unwrap(),
            policy
        );
        assert_eq!(Policy::from_json(&policy.to_json()).unwrap(), policy);
    }

    #[test]
    fn units_only_policy_has_no_rules_and_old_json_still_loads() {
        let old = r#"{"units":[{"id":1,"name":"hours","scale":2}]}"#;
        let policy = Policy::from_json(old).unwrap();
        assert!(!policy.has_rules());
        assert_eq!(policy, Policy::units_only(vec![Unit::new(1, "hours", 2)]));
    }

    #[test]
    fn bad_policies_name_what_is_wrong() {
        let base = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n";
        let cases = [
            (
                "[[codes]]\ncode = 1\nname = \"a\"\nunit = 9\npurpose = \"service\"\n",
                "unit 9",
            ),
            (
                "[[codes]]\ncode = 1\nname = \"a\"\nunit = 1\npurpose = \"award\"\n",
                "needs `points`",
            ),
            (
                "[[codes]]\ncode = 1\nname = \"a\"\nunit = 1\npurpose = \"gift\"\nweight = \"2\"\n",
                "weight",
            ),
            (
                "[[caps]]\nunit = 1\nperiod = \"day\"\nlimit = \"2\"\nexcess = \"reject\"\n",
                "need codes",
            ),
            ("utc_offset_minutes = 5000\n", "UTC offset"),
            ("colour = \"red\"\n", "unknown field"),
        ];
        for (extra, expected) in cases {
            let err = Policy::from_toml(&format!("{extra}{base}")).unwrap_err();
            assert!(
                err.to_string().contains(expected),
                "{err} lacks {expected:?}"
            );
        }
    }
}
