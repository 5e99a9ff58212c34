//! Durable commit: `Store::create_transfers` returns only after its journal record is
//! `fdatasync`ed. Measured at batch 1, 100 and 8,190 beside the raw disk limit: appending a
//! record of the same size to a plain file and `fdatasync`ing it, nothing else.
//!
//! After criterion's runs a summary measures the target floors in one run (printed, never
//! asserted): at least 500 k transfers/s at batch 8,190; batch-1 p50 latency within 1.5x of the
//! raw append and sync; at most 256 journal bytes per transfer.
//!
//! `cargo bench -p benches --bench durable_commit`

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::fixture::build_store;
use benches::latency::Latencies;
use benches::raw_append::RawAppender;
use benches::scratch_dir::ScratchDir;
use criterion::{BatchSize, Criterion, Throughput};
use ledger_core::Command;
use ledger_store::codec::encode_command;
use ledger_store::record::{append_record, RecordHeader, RecordKind};
use ledger_store::Store;
use timebank_workload::service_stream::ServiceStream;

const BATCH_SIZES: [usize; 3] = [1, 100, 8_190];
const TRANSFERS_PER_S_FLOOR: f64 = 500_000.0;
const BATCH1_P50_RATIO_FLOOR: f64 = 1.5;
const JOURNAL_BYTES_PER_TRANSFER_FLOOR: f64 = 256.0;
/// Commits per batch size in the summary: about the same number of transfers for 100 and 8,190.
const SUMMARY_COMMITS: [usize; 3] = [1_000, 400, 40];

/// The bytes of one journal record holding `batch` (what the store appends for it).
fn record_bytes(batch: Vec<ledger_core::Transfer>, now: u64) -> Vec<u8> {
    let command = Command::CreateTransfers(batch);
    let header = RecordHeader {
        kind: RecordKind::Command,
        sequence: 1,
        now,
        prev_hash: [0; 32],
    };
    let mut buf = Vec::new();
    append_record(&mut buf, &header, |b| encode_command(b, &command));
    buf
}

fn criterion_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable_commit");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for n in BATCH_SIZES {
        group.throughput(Throughput::Elements(n as u64));
        let dir = ScratchDir::new("commit").expect("a scratch directory");
        let (store, mut stream) = build_store(dir.path(), 0);
        group.bench_function(format!("store/batch_{n}"), |b| {
            b.iter_batched(
                || stream.batch(n),
                |(batch, now)| {
                    black_box(
                        store
                            .create_transfers(batch, now)
                            .expect("a durable commit"),
                    )
                },
                BatchSize::PerIteration,
            )
        });
        store.close().expect("the store closes");
        let (batch, now) = stream.batch(n);
        let record = record_bytes(batch, now);
        let raw_dir = ScratchDir::new("raw").expect("a scratch directory");
        let mut raw = RawAppender::create(&raw_dir.path().join("raw.bin")).expect("a raw file");
        group.bench_function(format!("raw_append_fdatasync/batch_{n}"), |b| {
            b.iter(|| {
                raw.append_synced(black_box(&record))
                    .expect("a synced append")
            })
        });
    }
    group.finish();
}

struct Measured {
    transfers_per_s: f64,
    p50: Duration,
    p99: Duration,
}

fn measure_store(n: usize, commits: usize) -> (Measured, f64) {
    let dir = ScratchDir::new("commit-summary").expect("a scratch directory");
    let (store, mut stream) = build_store(dir.path(), 0);
    let batches: Vec<_> = (0..commits).map(|_| stream.batch(n)).collect();
    let start_bytes = store.status().journal_bytes;
    let mut latencies = Latencies::with_capacity(commits);
    let start = Instant::now();
    for (batch, now) in batches {
        let t = Instant::now();
        black_box(
            store
                .create_transfers(batch, now)
                .expect("a durable commit"),
        );
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    let bytes = (store.status().journal_bytes - start_bytes) as f64 / (n * commits) as f64;
    close(store);
    let measured = Measured {
        transfers_per_s: (n * commits) as f64 / elapsed.as_secs_f64(),
        p50: latencies.percentile(50.0),
        p99: latencies.percentile(99.0),
    };
    (measured, bytes)
}

fn close(store: Store) {
    store.close().expect("the store closes");
}

fn measure_raw(n: usize, commits: usize) -> Measured {
    let dir = ScratchDir::new("raw-summary").expect("a scratch directory");
    let mut stream = ServiceStream::new(3);
    let records: Vec<Vec<u8>> = (0..commits)
        .map(|_| {
            let (batch, now) = stream.batch(n);
            record_bytes(batch, now)
        })
        .collect();
    let mut raw = RawAppender::create(&dir.path().join("raw.bin")).expect("a raw file");
    let mut latencies = Latencies::with_capacity(commits);
    let start = Instant::now();
    for record in &records {
        let t = Instant::now();
        raw.append_synced(record).expect("a synced append");
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    Measured {
        transfers_per_s: (n * commits) as f64 / elapsed.as_secs_f64(),
        p50: latencies.percentile(50.0),
        p99: latencies.percentile(99.0),
    }
}

fn summary() {
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!();
    println!("durable_commit summary (one run; store and raw append+fdatasync of the same bytes)");
    println!(
        "  {:>6}  {:>14} {:>10} {:>10}   {:>14} {:>10} {:>10}  {:>9}",
        "batch", "store tr/s", "p50", "p99", "raw tr/s", "p50", "p99", "bytes/tr"
    );
    let mut floors = Vec::new();
    for (n, commits) in BATCH_SIZES.into_iter().zip(SUMMARY_COMMITS) {
        let (store, bytes) = measure_store(n, commits);
        let raw = measure_raw(n, commits);
        println!(
            "  {n:>6}  {:>14.0} {:>10.1?} {:>10.1?}   {:>14.0} {:>10.1?} {:>10.1?}  {bytes:>9.1}",
            store.transfers_per_s, store.p50, store.p99, raw.transfers_per_s, raw.p50, raw.p99
        );
        if n == 1 {
            let ratio = store.p50.as_secs_f64() / raw.p50.as_secs_f64();
            floors.push(format!(
                "batch-1 p50 {:.2}x the raw append+fdatasync; floor {BATCH1_P50_RATIO_FLOOR}x: {}",
                ratio,
                verdict(ratio <= BATCH1_P50_RATIO_FLOOR)
            ));
        }
        if n == 8_190 {
            floors.push(format!(
                "batch 8,190: {:.0} transfers/s ({:.1}% of raw); floor 500 k/s: {}",
                store.transfers_per_s,
                100.0 * store.transfers_per_s / raw.transfers_per_s,
                verdict(store.transfers_per_s >= TRANSFERS_PER_S_FLOOR)
            ));
            floors.push(format!(
                "journal bytes per transfer {bytes:.1}; floor {JOURNAL_BYTES_PER_TRANSFER_FLOOR}: {}",
                verdict(bytes <= JOURNAL_BYTES_PER_TRANSFER_FLOOR)
            ));
        }
    }
    for line in floors {
        println!("  {line}");
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    if !std::env::args().any(|a| a == "--profile-time") {
        summary();
    }
}
