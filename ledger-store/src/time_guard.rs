//! The time guard: which `now` a store accepts from its caller.
//!
//! Every command runs at the time its caller passes (nanoseconds since the Unix epoch), and the
//! journal never lets time go back: once a record carries a time, every later command runs at
//! least then. So one implausible `now` (a `-1` turned into 2^64 - 1 by a host language, a
//! nanosecond clock multiplied by 1000) would stamp every later event with it for good. By
//! default the store refuses such a time before anything is applied or journaled; simulations
//! that run months ahead opt out with [`TimeGuard::AnyTime`].

use std::time::{SystemTime, UNIX_EPOCH};

/// The default tolerance for a caller's clock running ahead of this machine's: 5 minutes.
pub const CLOCK_SKEW_MAX_NS_DEFAULT: u64 = 5 * 60 * 1_000_000_000;

/// Which `now` values a store accepts (a [`crate::StoreOptions`] field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeGuard {
    /// Plausible wall-clock times only: at most `clock_skew_max_ns` ahead of the system clock
    /// (read at each call), and at most as much before the ledger's creation (a host whose
    /// clock lags the creator's by less than the skew is not refused).
    WallClock {
        /// The largest distance allowed, in nanoseconds.
        clock_skew_max_ns: u64,
    },
    /// Any time: for simulations, benchmarks and examples that run ahead of the clock. The
    /// journal still never lets time go back.
    AnyTime,
}

impl Default for TimeGuard {
    fn default() -> Self {
        TimeGuard::WallClock {
            clock_skew_max_ns: CLOCK_SKEW_MAX_NS_DEFAULT,
        }
    }
}

/// Why a `now` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeRefusal {
    /// Further before the ledger's creation time than the guard's skew.
    #[error(
        "now {now} is more than {clock_skew_max_ns} ns before the ledger was created ({created})"
    )]
    BeforeCreation {
        /// The refused time (nanoseconds since the Unix epoch).
        now: u64,
        /// The genesis record's `now`.
        created: u64,
        /// The guard's skew, in nanoseconds.
        clock_skew_max_ns: u64,
    },
    /// Further ahead of the system clock than the guard allows.
    #[error(
        "now {now} is more than {clock_skew_max_ns} ns ahead of the system clock ({clock}); pass \
         the wall-clock time in nanoseconds since the Unix epoch, or open the store with \
         TimeGuard::AnyTime for a simulation"
    )]
    AheadOfClock {
        /// The refused time (nanoseconds since the Unix epoch).
        now: u64,
        /// The system clock when it was read.
        clock: u64,
        /// The guard's skew, in nanoseconds.
        clock_skew_max_ns: u64,
    },
}

impl TimeGuard {
    /// Checks `now` for a ledger created at `created` (both nanoseconds since the Unix epoch).
    pub fn check(self, now: u64, created: u64) -> Result<(), TimeRefusal> {
        let TimeGuard::WallClock { clock_skew_max_ns } = self else {
            return Ok(());
        };
        if now < created.saturating_sub(clock_skew_max_ns) {
            return Err(TimeRefusal::BeforeCreation {
                now,
                created,
                clock_skew_max_ns,
            });
        }
        let clock = system_clock_ns();
        if now > clock.saturating_add(clock_skew_max_ns) {
            return Err(TimeRefusal::AheadOfClock {
                now,
                clock,
                clock_skew_max_ns,
            });
        }
        Ok(())
    }
}

/// The system clock in nanoseconds since the Unix epoch (0 for a clock set before 1970).
pub fn system_clock_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATED: u64 = 1_700_000_000_000_000_000;

    #[test]
    fn implausible_times_are_refused_by_default() {
        let guard = TimeGuard::default();
        let clock = system_clock_ns();
        assert_eq!(guard.check(clock, CREATED), Ok(()));
        assert_eq!(guard.check(CREATED, CREATED), Ok(()));
        let lag = CLOCK_SKEW_MAX_NS_DEFAULT;
        assert_eq!(
            guard.check(CREATED - lag, CREATED),
            Ok(()),
            "a lagging clock"
        );
        for bad in [
            0,
            1,
            CREATED - lag - 1,
            1 << 63,
            u64::MAX,
            clock.saturating_mul(1000),
        ] {
            assert!(guard.check(bad, CREATED).is_err(), "{bad} accepted");
        }
        let refusal = guard.check(u64::MAX, CREATED).unwrap_err();
        assert!(refusal.to_string().contains("ahead of the system clock"));
    }

    #[test]
    fn the_skew_is_configurable_and_any_time_accepts_everything() {
        let clock = system_clock_ns();
        let hour = 3_600_000_000_000;
        let wide = TimeGuard::WallClock {
            clock_skew_max_ns: 2 * hour,
        };
        assert_eq!(wide.check(clock + hour, CREATED), Ok(()));
        assert!(TimeGuard::default().check(clock + hour, CREATED).is_err());
        for any in [0, 1, u64::MAX] {
            assert_eq!(TimeGuard::AnyTime.check(any, CREATED), Ok(()));
        }
    }
}
