//! Who did it: the operator behind every command, and why (DOMAIN.md §2: audit rules want each
//! change tied to an operator, with its time and result).
//!
//! Both are opaque numbers the host assigns (a staff number in its own directory, a reason from
//! its own table), never names: the journal is immutable, and personal data stays out of it.
//! The ledger journals them with the command, keeps them for every event the command made, and
//! shows them in statements. Under a policy with time-bank rules, a reversal or a closing of an
//! attributed command must give a reason (`reason_required`).

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
/// Commands come in time order, so a change is pushed at the end of a vector: 24 bytes each,
/// where a map took about four times that.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attributions {
    /// The changes, in ascending time.
    pub(crate) from: Vec<(u64, Attribution)>,
}

impl Attributions {
    /// The changes of a decoded state, in any order; `Err` when a time is there twice.
    pub fn restore(mut from: Vec<(u64, Attribution)>) -> Result<Attributions, &'static str> {
        from.sort_unstable_by_key(|(first, _)| *first);
        match from.windows(2).any(|w| w[0].0 == w[1].0) {
            true => Err("a time twice"),
            false => Ok(Attributions { from }),
        }
    }

    /// The attribution of the command that gave `timestamp`.
    pub fn at(&self, timestamp: u64) -> Attribution {
        match self.from.partition_point(|(first, _)| *first <= timestamp) {
            0 => Attribution::NONE,
            after => self.from[after - 1].1,
        }
    }

    /// Records that the command whose first event has `first` was by `who`.
    pub fn record(&mut self, first: u64, who: Attribution) {
        // Commands come in time order: the last change decides, without a search.
        match self.from.last() {
            Some(&(last, current)) if first > last => {
                if current != who {
                    self.from.push((first, who));
                }
                return;
            }
            None => {
                if who != Attribution::NONE {
                    self.from.push((first, who));
                }
                return;
            }
            Some(_) if self.at(first) == who => return,
            Some(_) => {}
        }
        // A time at or before the last change: kept in order.
        match self.from.partition_point(|(t, _)| *t < first) {
            at if at == self.from.len() => self.from.push((first, who)),
            at if self.from[at].0 == first => self.from[at].1 = who,
            at => self.from.insert(at, (first, who)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_kept_in_time_order_and_looked_up_by_the_last_before() {
        let mut a = Attributions::default();
        a.record(10, Attribution::by(1));
        a.record(20, Attribution::by(1)); // no change
        a.record(30, Attribution::by(2).because(7));
        a.record(25, Attribution::by(3)); // before the last change: kept in order
        a.record(30, Attribution::by(4)); // the same time again: replaced
        let firsts: Vec<u64> = a.from.iter().map(|(t, _)| *t).collect();
        assert_eq!(firsts, [10, 25, 30]);
        assert_eq!(a.at(9), Attribution::NONE);
        assert_eq!(a.at(24), Attribution::by(1));
        assert_eq!(a.at(29), Attribution::by(3));
        assert_eq!(a.at(u64::MAX), Attribution::by(4));

        let mut shuffled = a.from.clone();
        shuffled.reverse();
        assert_eq!(Attributions::restore(shuffled).unwrap().from, a.from);
        let twice = vec![(5, Attribution::by(1)), (5, Attribution::by(2))];
        assert_eq!(Attributions::restore(twice).unwrap_err(), "a time twice");
    }
}
