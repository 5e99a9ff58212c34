//! A store-backed ledger of a chosen size for the store benchmarks (verify, reopen, queries).
//!
//! Funds of 100 communities pay members for services (code 101 of the default policy) in full
//! batches ([`ServiceStream`] of the shared workload crate). The size comes from `TIMEBANK_BENCH_TRANSFERS` so that a large case (10 M transfers)
//! can be measured by hand while `cargo bench` stays short. Building a large ledger takes long
//! (the sled index is the slow part), so `TIMEBANK_BENCH_LEDGER=<dir>` keeps it in `<dir>` and
//! later runs reuse it.

use std::path::{Path, PathBuf};

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{Policy, ResultCode};
use ledger_store::{Store, StoreOptions};
use timebank_workload::service_stream::ServiceStream;
use timebank_workload::T0;

use crate::scratch_dir::ScratchDir;

/// The variable that sets how many transfers the store benchmarks' ledger holds.
pub const TRANSFERS_ENV: &str = "TIMEBANK_BENCH_TRANSFERS";
/// The size when the variable is not set: a few seconds to build on two cores.
pub const TRANSFERS_DEFAULT: usize = 200_000;
/// The variable that names a directory to keep the benchmarks' ledger in, and reuse it from.
pub const LEDGER_ENV: &str = "TIMEBANK_BENCH_LEDGER";
/// The key that signs the fixture's checkpoints (a benchmark's, not a secret).
pub const CHECKPOINT_KEY: [u8; 32] = [7; 32];

/// `TIMEBANK_BENCH_TRANSFERS`, or the default when unset or not a positive number.
pub fn transfers_from_env() -> usize {
    std::env::var(TRANSFERS_ENV)
        .ok()
        .and_then(|v| v.replace('_', "").parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(TRANSFERS_DEFAULT)
}

/// A store in `dir` holding `transfers` service records in full batches, with a checkpoint at
/// the end; returns it open, with the stream that made it (to make more).
pub fn build_store(dir: &Path, transfers: usize) -> (Store, ServiceStream) {
    let mut stream = ServiceStream::new(2026);
    // The workload's clock runs a second per batch from T0, ahead of the wall clock.
    let options = StoreOptions::default()
        .checkpoint_key(CHECKPOINT_KEY)
        .any_time();
    let store = Store::create(dir, &Policy::default_policy(), T0, options)
        .expect("a new store in an empty directory");
    for chunk in stream.accounts().chunks(BATCH_EVENTS_MAX) {
        let done = store
            .create_accounts(chunk.to_vec(), T0)
            .expect("the accounts are durable");
        assert!(done.events().iter().all(|r| r.code == ResultCode::Ok));
    }
    let mut left = transfers;
    while left > 0 {
        let (batch, now) = stream.batch(left.min(BATCH_EVENTS_MAX));
        left -= batch.len();
        let done = store
            .create_transfers(batch, now)
            .expect("the batch is durable");
        assert!(done.events().iter().all(|r| r.code == ResultCode::Ok));
    }
    store.checkpoint().expect("a checkpoint of the fixture");
    (store, stream)
}

/// The ledger a store benchmark reads: kept in `TIMEBANK_BENCH_LEDGER` when set, else in a
/// scratch directory removed on drop.
#[derive(Debug)]
pub struct Fixture {
    pub dir: PathBuf,
    /// Transfers the ledger holds.
    pub transfers: usize,
    _scratch: Option<ScratchDir>,
}

/// Opens the benchmarks' ledger (building it when it does not exist yet) and the stream that
/// made it. With `TIMEBANK_BENCH_LEDGER` set to an existing ledger, its size is whatever it was
/// built with.
pub fn prepare(name: &str) -> (Fixture, Store, ServiceStream) {
    let (dir, scratch) = match std::env::var_os(LEDGER_ENV) {
        Some(dir) => (PathBuf::from(dir), None),
        None => {
            let scratch = ScratchDir::new(name).expect("a scratch directory");
            (scratch.path().to_path_buf(), Some(scratch))
        }
    };
    let (store, stream) = if dir.join(ledger_store::JOURNAL_DIR_NAME).exists() {
        let options = StoreOptions::default()
            .checkpoint_key(CHECKPOINT_KEY)
            .any_time();
        let store = Store::open(&dir, options).expect("the kept ledger opens");
        (store, ServiceStream::new(2026))
    } else {
        build_store(&dir, transfers_from_env())
    };
    // Every transfer of the fixture is a service record.
    let transfers = store.status().transfers;
    let fixture = Fixture {
        dir,
        transfers,
        _scratch: scratch,
    };
    (fixture, store, stream)
}
