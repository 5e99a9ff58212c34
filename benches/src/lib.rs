//! Benchmarks of the time-bank ledger (run with `cargo bench -p benches`). Nothing here is a
//! test: a benchmark measures, a test checks. This library builds the workloads the benchmarks
//! apply, so that generating them stays out of the measured path.
#![forbid(unsafe_code)]

pub mod fixture;
pub mod journal_image;
pub mod latency;
pub mod raw_append;
pub mod scratch_dir;
pub mod workload;
