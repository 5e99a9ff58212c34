//! Shared code of the fuzz targets: the inputs they decode, the reference model of the engine,
//! and the independent checks each target applies. The targets themselves (`fuzz_targets/`) are
//! thin wrappers, so a failing input can be replayed with any of them.
#![forbid(unsafe_code)]

pub mod amount_check;
pub mod engine_check;
pub mod exchange_check;
pub mod journal_check;
pub mod model;
pub mod policy_check;
pub mod policy_engine_check;
pub mod scenario;
pub mod store_check;
