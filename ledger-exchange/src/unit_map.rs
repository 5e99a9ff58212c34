//! How units and codes meet across ledgers: units are matched by name (each ledger numbers its
//! own), and exchange transfers use the policy's clearing code of the unit.

use ledger_core::{Ledger, Purpose, Unit, UnitId};

/// The code exchange transfers of `unit` carry: the policy's first `clearing` code of the unit,
/// or 0 on a ledger without time-bank rules. `None`: the unit cannot cross ledgers here.
pub fn clearing_code(ledger: &Ledger, unit: UnitId) -> Option<u16> {
    match ledger_core::timebank::policy(ledger) {
        Some(policy) if policy.has_rules() => policy
            .code_for(unit, Purpose::Clearing)
            .map(|rule| rule.code),
        _ => Some(0),
    }
}

/// This ledger's unit named `name`.
pub fn unit_of<'a>(ledger: &'a Ledger, name: &str) -> Option<&'a Unit> {
    ledger.units().find(|u| u.name == name)
}
