//! Callbacks into the host, and how one stops the call that made it.
//!
//! The store reports progress through a plain closure and has no way to be told to stop. So a
//! callback that asks to stop (or a close that started meanwhile) ends the call by unwinding out
//! of the store's work with a [`Stop`] payload, which [`stoppable`] catches at once and turns
//! into a status. This is sound because the store holds no lock while it reports progress (its
//! verification runs on a private copy of the journal; its guards restore state when dropped),
//! and `resume_unwind` does not run the panic hook, so nothing is printed. Any other panic
//! passes through to the panic boundary unchanged.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::status::{Error, Status};

/// Why a call stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The host's callback returned non-zero.
    Cancelled,
    /// `timebank_store_close` started on the handle.
    Closing,
}

/// Called from inside a callback wrapper: stops the call in progress.
pub(crate) fn stop(why: Stop) -> ! {
    resume_unwind(Box::new(why))
}

/// Runs `work`, turning a [`stop`] inside it into `CANCELLED` or `CLOSED`.
pub(crate) fn stoppable<T>(work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => match payload.downcast::<Stop>() {
            Ok(stop) => Err(match *stop {
                Stop::Cancelled => Error::new(
                    Status::Cancelled,
                    "the callback asked to stop (it returned non-zero); nothing was changed",
                ),
                Stop::Closing => Error::new(
                    Status::Closed,
                    "the store was closed while the call was in progress",
                ),
            }),
            Err(other) => resume_unwind(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_becomes_a_status_and_other_panics_pass_through() {
        let cancelled = stoppable::<()>(|| stop(Stop::Cancelled)).unwrap_err();
        assert_eq!(cancelled.status, Status::Cancelled);
        let closed = stoppable::<()>(|| stop(Stop::Closing)).unwrap_err();
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(stoppable(|| Ok(7)), Ok(7));
        let other = catch_unwind(|| stoppable::<()>(|| panic!("a bug")));
        assert!(other.is_err(), "a real panic is not swallowed");
    }
}
