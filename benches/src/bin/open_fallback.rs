//! What a damaged newest snapshot costs an open (docs/FORMAT.md §16.2): a ledger of service
//! records over segments of 16 MiB, with a snapshot after 90% of them and one at the end (as a
//! store writes them at checkpoints and clean closes); the newest is damaged, and the open
//! falls back to the older one.
//!
//! `cargo run --release -p benches --bin open_fallback -- build DIR TRANSFERS` makes the ledger
//! (DIR must not exist) and damages its newest snapshot; `... open DIR [RESIDENT]` opens it
//! (keeping at most RESIDENT transfers in memory, default 100,000) and prints one line:
//! `open_s`, the peak resident memory (`VmHWM`) in bytes, the snapshot used and the ones passed
//! over. Run `open` once per process: the peak is the process's. `... open-read-only DIR
//! [RESIDENT]` opens any ledger read-only (`StoreOptions::read_only`) the same way and also
//! prints how the journal was read.
//!
//! `... append DIR BATCHES [RESIDENT]` opens a ledger that `build` or `scale` wrote (whose
//! transfers are `ServiceStream::new(2026)`'s, in order) with the store's default snapshot
//! settings, goes on with that stream for BATCHES batches of 8,190, one submit at a time, and
//! prints the submits' p50, p99 and longest times and the snapshots written meanwhile: what
//! the snapshot a commit writes once a segment's worth of journal was written without one
//! costs the commits around it (docs/FORMAT.md §16.2).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{Policy, ResultCode};
use ledger_store::{Store, StoreOptions};
use timebank_workload::service_stream::ServiceStream;
use timebank_workload::T0;

const USAGE: &str = "usage: open_fallback build DIR TRANSFERS | open DIR [RESIDENT] | \
                     open-read-only DIR [RESIDENT] | append DIR BATCHES [RESIDENT]";
const SEGMENT_BYTES: u64 = 16 << 20;

fn options(resident: usize) -> StoreOptions {
    StoreOptions::default()
        .any_time()
        .segment_bytes(SEGMENT_BYTES)
        .snapshot_after_bytes(u64::MAX)
        .resident_transfers(resident)
}

fn build(dir: &Path, transfers: usize) -> Result<(), String> {
    let mut stream = ServiceStream::new(2026);
    let store = Store::create(dir, &Policy::default_policy(), T0, options(100_000))
        .map_err(|e| e.to_string())?;
    for chunk in stream.accounts().chunks(BATCH_EVENTS_MAX) {
        store
            .create_accounts(chunk.to_vec(), T0)
            .map_err(|e| e.to_string())?;
    }
    let mut written = 0;
    let mut snapshots = Vec::new();
    while written < transfers {
        let (batch, now) = stream.batch((transfers - written).min(BATCH_EVENTS_MAX));
        written += batch.len();
        let done = store
            .create_transfers(batch, now)
            .map_err(|e| e.to_string())?;
        assert!(done.events().iter().all(|r| r.code == ResultCode::Ok));
        if written >= transfers / 10 * 9 && snapshots.is_empty() || written == transfers {
            snapshots.push(store.write_snapshot().map_err(|e| e.to_string())?.sequence);
        }
    }
    store.close().map_err(|e| e.to_string())?;
    let newest = snapshots.last().ok_or("no snapshot")?;
    let path = dir.join("snapshots").join(format!("{newest:020}.tbs"));
    let mut bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    println!("snapshots at records {snapshots:?}; the newest damaged");
    Ok(())
}

fn open(dir: &Path, options: StoreOptions) -> Result<(), String> {
    let start = Instant::now();
    let store = Store::open(dir, options).map_err(|e| e.to_string())?;
    let open_s = start.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let peak_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .ok_or("no VmHWM")?;
    let report = store.open_report().snapshots.clone();
    let skipped: Vec<_> = report.skipped.iter().map(|s| s.file.as_str()).collect();
    println!(
        "open_s {open_s:.3} peak_rss_bytes {} used {:?} skipped {skipped:?} journal_read {:?}",
        peak_kib * 1024,
        report.used.map(|u| u.file),
        store.open_report().journal_read
    );
    store.close().map_err(|e| e.to_string())
}

fn append(dir: &Path, batches: usize, resident: usize) -> Result<(), String> {
    let err = |e: ledger_store::Error| e.to_string();
    let options = StoreOptions::default()
        .any_time()
        .resident_transfers(resident);
    let store = Store::open(dir, options).map_err(err)?;
    let applied = store.read(|l| l.transfer_count());
    // The stream again from its start, to the transfer after the ledger's last.
    let mut stream = ServiceStream::new(2026);
    let mut skipped = 0;
    while skipped < applied {
        let n = (applied - skipped).min(BATCH_EVENTS_MAX);
        stream.batch(n);
        skipped += n;
    }
    let snapshots = || std::fs::read_dir(dir.join("snapshots")).map_or(0, |d| d.count());
    let before = store.open_report().snapshots.used.clone();
    let mut times = Vec::with_capacity(batches);
    for _ in 0..batches {
        let (batch, now) = stream.batch(BATCH_EVENTS_MAX);
        let start = Instant::now();
        let done = store.create_transfers(batch, now).map_err(err)?;
        times.push(start.elapsed().as_secs_f64());
        assert!(done.events().iter().all(|r| r.code == ResultCode::Ok));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "batches {batches} p50_ms {:.1} p99_ms {:.1} max_ms {:.1} snapshot_files {} \
         opened_from {:?} snapshot_failure {:?}",
        at(0.5) * 1e3,
        at(0.99) * 1e3,
        at(1.0) * 1e3,
        snapshots(),
        before.map(|u| u.file),
        store.snapshot_failure(),
    );
    store.close().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| match args.get(i) {
        None => Some(default),
        Some(v) => v.replace('_', "").parse().ok(),
    };
    let outcome = match (args.first().map(String::as_str), args.get(1)) {
        (Some("build"), Some(dir)) => match number(2, 0).filter(|&n| n > 0) {
            Some(n) => build(Path::new(dir), n),
            None => Err(USAGE.into()),
        },
        (Some("open"), Some(dir)) => match number(2, 100_000) {
            Some(n) => open(Path::new(dir), options(n)),
            None => Err(USAGE.into()),
        },
        (Some("append"), Some(dir)) => {
            match (number(2, 0).filter(|&n| n > 0), number(3, 100_000)) {
                (Some(batches), Some(n)) => append(Path::new(dir), batches, n),
                _ => Err(USAGE.into()),
            }
        }
        (Some("open-read-only"), Some(dir)) => match number(2, 100_000) {
            Some(n) => open(Path::new(dir), options(n).read_only()),
            None => Err(USAGE.into()),
        },
        _ => Err(USAGE.into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("open_fallback: {e}");
            ExitCode::FAILURE
        }
    }
}
