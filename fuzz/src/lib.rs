//! Shared code of the fuzz targets: the inputs they decode and the independent checks each
//! target applies (the reference model of the engine is `timebank-model`, shared with the property
//! tests). The targets themselves (`fuzz_targets/`) are thin wrappers, so a failing input can be
//! replayed with any of them.
#![forbid(unsafe_code)]

// The reference model is shared with the property tests of ledger-core (../model).
pub use timebank_model::model;

pub mod amount_check;
pub mod engine_check;
pub mod exchange_check;
pub mod journal_check;
pub mod policy_check;
pub mod policy_engine_check;
pub mod scenario;
pub mod snapshot_check;
pub mod store_check;
