//! Reopen: `Store::open` reads the journal (only its tail when a snapshot and the index allow:
//! `docs/FORMAT.md` §16.2), checks every record it reads, replays those after the snapshot into
//! the in-memory ledger and confirms the sled index is up to date. Measured on a closed ledger of
//! `TIMEBANK_BENCH_TRANSFERS` transfers (default 200,000; `TIMEBANK_BENCH_LEDGER=<dir>` keeps it
//! for the next run, see `src/fixture.rs`). Target floor (printed,
//! never asserted): a 10 M-transfer ledger reopens within 2 s.
//!
//! `TIMEBANK_BENCH_TRANSFERS=10000000 cargo bench -p benches --bench reopen`

use std::time::{Duration, Instant};

use benches::fixture::{prepare, CHECKPOINT_KEY};
use criterion::{Criterion, SamplingMode, Throughput};
use ledger_store::{IndexRecovery, Store, StoreOptions};

const REOPEN_10M_FLOOR: Duration = Duration::from_secs(2);

fn open(dir: &std::path::Path) -> Store {
    let options = StoreOptions::default()
        .checkpoint_key(CHECKPOINT_KEY)
        .any_time();
    Store::open(dir, options).expect("the ledger reopens")
}

fn main() {
    let (fixture, store, _) = prepare("reopen");
    store.close().expect("the store closes");
    let (dir, transfers) = (fixture.dir.as_path(), fixture.transfers);

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(format!("reopen/{transfers}_transfers"));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(transfers as u64));
    group.bench_function("open", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                let store = open(dir);
                total += start.elapsed();
                store.close().expect("the store closes");
            }
            total
        })
    });
    group.finish();
    criterion.final_summary();

    if !std::env::args().any(|a| a == "--profile-time") {
        let start = Instant::now();
        let store = open(dir);
        let elapsed = start.elapsed();
        let report = store.open_report().clone();
        store.close().expect("the store closes");
        // The floor is for 10 M transfers; scale it to the size measured.
        let floor = REOPEN_10M_FLOOR.mul_f64(transfers as f64 / 10_000_000.0);
        println!();
        println!(
            "reopen summary: {transfers} transfers, {} records, index {:?}: {elapsed:.2?} \
             ({:.2} M transfers/s)",
            report.records,
            report.index,
            transfers as f64 / elapsed.as_secs_f64() / 1e6
        );
        println!(
            "  floor 2 s per 10 M transfers ({floor:.2?} at this size): {}",
            if elapsed <= floor && report.index == IndexRecovery::UpToDate {
                "met"
            } else {
                "MISSED"
            }
        );
    }
}
