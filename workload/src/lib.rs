//! Seeded time-bank workloads: the same seed always gives the same members, funds and requests.
//!
//! One crate makes every synthetic time bank the project runs, so the simulator, the example,
//! the benchmarks and the side-by-side comparison cannot drift apart:
//!
//! - [`city`]: the simulated city of `timebank simulate` and `timebank demo` (account ids by
//!   role, daily rates from a city's monthly report);
//! - [`engine_batches`]: full batches of plain transfers, holds and their posts or voids against
//!   a base ledger, for the engine's apply benchmark;
//! - [`service_stream`]: service records in order, for the store benchmarks;
//! - [`community_bank`]: members, elders and funds across communities with services, care
//!   withdrawals, gifts and bookings, the workload every compared system runs.
//!
//! All of them draw from one [`Dice`] (SplitMix64).
//!
//! ```
//! use timebank_workload::service_stream::ServiceStream;
//!
//! let (a, _) = ServiceStream::new(7).batch(3);
//! let (b, _) = ServiceStream::new(7).batch(3);
//! assert_eq!(a, b);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod city;
pub mod community_bank;
mod dice;
pub mod engine_batches;
pub mod service_stream;

pub use dice::Dice;

/// 2026-01-01T00:00:00Z in nanoseconds: where the benchmark workloads' clocks start.
pub const T0: u64 = 1_767_225_600_000_000_000;
