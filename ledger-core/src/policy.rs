//! The policy: the time-bank rules a host configures, kept in a file (TOML or JSON) and
//! validated when loaded. The ledger enforces it; a rule is never just a warning.

use serde::{Deserialize, Serialize};

use crate::unit::{Unit, UnitError};

/// A ledger's configuration: its units and the time-bank rules over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The units the ledger keeps (fixed for its life).
    pub units: Vec<Unit>,
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error(transparent)]
    Unit(#[from] UnitError),
}

impl Policy {
    /// A policy with these units and no time-bank rules.
    pub fn units_only(units: Vec<Unit>) -> Policy {
        Policy { units }
    }

    /// Checks every field, naming the first that is wrong.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for unit in &self.units {
            unit.validate()?;
        }
        Ok(())
    }
}
