//! Benchmarks of the time-bank ledger (run with `cargo bench -p benches`). Nothing here is a
//! test: a benchmark measures, a test checks. The workloads come from `timebank-workload`
//! (shared with the simulator, the example and the comparison); this library builds the stores
//! and journal images the benchmarks read, so that building them stays out of the measured path.
#![forbid(unsafe_code)]

pub mod fixture;
pub mod journal_image;
pub mod latency;
pub mod raw_append;
pub mod scratch_dir;
