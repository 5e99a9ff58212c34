//! Who did it: the operator behind every command, and why (DOMAIN.md §2: audit rules want each
//! change tied to an operator, with its time and result).
//!
//! Both are opaque numbers the host assigns (a staff number in its own directory, a reason from
//! its own table), never names: the journal is immutable, and personal data stays out of it.
//! The ledger journals them with the command, keeps them for every event the command made, and
//! shows them in statements. Under a policy with time-bank rules, a reversal or a closing of an
//! attributed command must give a reason (`reason_required`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The operator of a command and its reason code. Operator 0 means "not given": a command
/// through an interface that passes no operator (the C ABI and packages until they pass one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attribution {
    /// The host's id of the person or system that ran the command (0: not given).
    pub operator: u64,
    /// The host's code for why (required for reversals and closings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<u32>,
}

impl Attribution {
    /// No operator, no reason.
    pub const NONE: Attribution = Attribution {
        operator: 0,
        reason: None,
    };

    /// Commands by `operator`, without a reason.
    pub fn by(operator: u64) -> Attribution {
        Attribution {
            operator,
            reason: None,
        }
    }

    /// The same operator, for this reason.
    pub fn because(self, reason: u32) -> Attribution {
        Attribution {
            reason: Some(reason),
            ..self
        }
    }

    /// Whether an operator was given: only then is the command held to giving reasons.
    pub fn is_given(&self) -> bool {
        self.operator != 0
    }
}

/// Which attribution each event has: the commands' attributions by the first timestamp they
/// gave, one entry where it changes (a ledger whose commands never carried one holds none).
#[derive(Debug, Clone, Default)]
pub(crate) struct Attributions {
    pub(crate) from: BTreeMap<u64, Attribution>,
}

impl Attributions {
    /// The attribution of the command that gave `timestamp`.
    pub fn at(&self, timestamp: u64) -> Attribution {
        self.from
            .range(..=timestamp)
            .next_back()
            .map_or(Attribution::NONE, |(_, a)| *a)
    }

    /// Records that the command whose first event has `first` was by `who`.
    pub fn record(&mut self, first: u64, who: Attribution) {
        if self.at(first) != who {
            self.from.insert(first, who);
        }
    }

    pub fn digest(&self, h: &mut crate::digest::Digester) {
        // Only attributed ledgers add this part, so a ledger never attributed keeps its digest.
        if self.from.is_empty() {
            return;
        }
        h.update(&(self.from.len() as u64).to_le_bytes());
        for (first, who) in &self.from {
            h.update(&first.to_le_bytes());
            h.update(&who.operator.to_le_bytes());
            match who.reason {
                None => h.update(&[0]),
                Some(r) => h.update(&[1]).update(&r.to_le_bytes()),
            };
        }
    }
}
