//! The reference model of the ledger engine, and the checks that hold `ledger_core` to it.
//!
//! [`model::Model`] is written from the documented semantics as plainly as possible (ordered
//! maps, integer amounts in millionths, a whole copy of the state to roll a failed chain back);
//! [`engine_view`] compares a `ledger_core::Ledger` with it after every step. The property tests
//! of `ledger-core` and the fuzz targets (`fuzz/`) use this one model, so there is one place to
//! change when a rule changes. Not published: it exists to check the engine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod engine_view;
pub mod exact;
pub mod model;
