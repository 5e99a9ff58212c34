//! Units of account: time credits (hours), points, and whatever else a host defines.

use serde::{Deserialize, Serialize};

use crate::limits::{UNIT_NAME_BYTES_MAX, UNIT_SCALE_MAX};

/// A unit's number within its ledger, from 1. Zero means "no unit" (in a post or void: the
/// pending transfer's unit).
pub type UnitId = u16;

/// One unit of account with a fixed number of decimal places, set when the ledger is created and
/// never changed (changing a scale would change the meaning of every stored amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// The unit's number, unique in the ledger and not zero.
    pub id: UnitId,
    /// A short name for reports, e.g. `"hours"` or `"points"`.
    pub name: String,
    /// Decimal places allowed in amounts of this unit: 2 for hours to the minute-ish, 0 for
    /// points.
    pub scale: u32,
}

/// Why a unit definition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The unit's id is 0.
    #[error("unit id must not be zero")]
    ZeroId,
    /// Two units share this id.
    #[error("unit {0} is defined twice")]
    Duplicate(UnitId),
    /// The scale is above [`UNIT_SCALE_MAX`].
    #[error("unit {id}: scale {scale} is above the maximum {max}", max = UNIT_SCALE_MAX)]
    ScaleTooLarge {
        /// The unit at fault.
        id: UnitId,
        /// Its scale.
        scale: u32,
    },
    /// The unit's name is empty or longer than [`UNIT_NAME_BYTES_MAX`] bytes.
    #[error("unit {0}: the name must be 1 to {max} bytes", max = UNIT_NAME_BYTES_MAX)]
    BadName(UnitId),
    /// No unit, or more than the maximum it holds ([`crate::limits::UNITS_MAX`]).
    #[error("a ledger needs at least one unit and at most {0}")]
    Count(usize),
}

impl Unit {
    /// A unit definition; it is checked (id not 0, scale at most [`UNIT_SCALE_MAX`], a name of
    /// 1 to [`UNIT_NAME_BYTES_MAX`] bytes) when a ledger or policy is made with it.
    pub fn new(id: UnitId, name: &str, scale: u32) -> Unit {
        Unit {
            id,
            name: name.to_owned(),
            scale,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), UnitError> {
        if self.id == 0 {
            return Err(UnitError::ZeroId);
        }
        if self.scale > UNIT_SCALE_MAX {
            return Err(UnitError::ScaleTooLarge {
                id: self.id,
                scale: self.scale,
            });
        }
        if self.name.is_empty() || self.name.len() > UNIT_NAME_BYTES_MAX {
            return Err(UnitError::BadName(self.id));
        }
        Ok(())
    }
}
