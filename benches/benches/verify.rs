//! Verification: every checksum, link and sequence number of the journal, every
//! checkpoint, and the state replayed from the journal (two cores: one hashes ahead, one decodes
//! and applies). Measured without a store (`verify_dir`, what an auditor runs on a copy) and on an
//! open store (`Store::verify`, which also compares the sled index with the replayed state).
//!
//! The ledger holds `TIMEBANK_BENCH_TRANSFERS` transfers (default 200,000) in full batches; set
//! `TIMEBANK_BENCH_LEDGER=<dir>` to keep it there for the next run (see `src/fixture.rs`).
//! Target floor (printed, never asserted): 5 M transfers/s on 2 cores.
//!
//! `TIMEBANK_BENCH_TRANSFERS=10000000 cargo bench -p benches --bench verify`

use std::time::{Duration, Instant};

use benches::fixture::{prepare, CHECKPOINT_KEY};
use criterion::{Criterion, SamplingMode, Throughput};
use ledger_store::verify_dir;

const TRANSFERS_PER_S_FLOOR: f64 = 5_000_000.0;

fn main() {
    let (fixture, store, _) = prepare("verify");
    let (dir, transfers) = (fixture.dir.as_path(), fixture.transfers);
    // Let the index catch up before timing: a query waits for it.
    store
        .transfer_sequence(ledger_core::TransferId::new(1).expect("non-zero"))
        .expect("indexed");

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(format!("verify/{transfers}_transfers"));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(transfers as u64));
    group.bench_function("journal_with_key", |b| {
        b.iter(|| verify_dir(dir, Some(&CHECKPOINT_KEY), &mut |_| {}).expect("verifies"))
    });
    group.bench_function("store_with_index", |b| {
        b.iter(|| store.verify(&mut |_| {}).expect("verifies"))
    });
    group.finish();
    criterion.final_summary();

    if !std::env::args().any(|a| a == "--profile-time") {
        let start = Instant::now();
        let report = verify_dir(dir, Some(&CHECKPOINT_KEY), &mut |_| {}).expect("verifies");
        let elapsed = start.elapsed();
        let rate = transfers as f64 / elapsed.as_secs_f64();
        println!();
        println!(
            "verify summary: {transfers} transfers in {} records, {} journal bytes, {elapsed:.2?}",
            report.records, report.journal_bytes
        );
        println!(
            "  {:.2} M transfers/s, {:.0} records/s; floor 5 M transfers/s: {}",
            rate / 1e6,
            report.records as f64 / elapsed.as_secs_f64(),
            if rate >= TRANSFERS_PER_S_FLOOR {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    store.close().expect("the store closes");
}
