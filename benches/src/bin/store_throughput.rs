//! The store alone on the comparison's workload: how fast batches become durable, and how soon
//! the sled index has caught up with them, without the other systems of `compare` sharing the
//! run (so a profiler sees only the store's threads).
//!
//! `cargo run --release -p benches --bin store_throughput -- [BATCH] [TRANSFERS]`
//! (default 8,190 and 819,000; the seed, members and communities are `compare`'s defaults).
//! Prints one line per figure: transfers, seconds, transfers per second.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use ledger_core::{Command, Policy, Transfer};
use ledger_store::{Store, StoreOptions};
use timebank_workload::community_bank::{Op, Size, TimeBankWorkload};
use timebank_workload::T0;

fn number(arg: Option<String>, default: usize) -> Result<usize, String> {
    arg.map_or(Ok(default), |a| {
        a.replace(['_', ','], "")
            .parse()
            .map_err(|_| format!("{a:?} is not a whole number"))
    })
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let batch = number(args.next(), 8_190)?;
    let transfers = number(args.next(), 819_000)?;
    if !(1..=ledger_core::limits::BATCH_EVENTS_MAX).contains(&batch) {
        return Err(format!("the batch must be 1 to 8190, not {batch}"));
    }
    let workload = TimeBankWorkload::generate(Size {
        communities: 227,
        members: 22_700,
        transfers,
        batch,
        seed: 2026,
    });
    let dir = std::env::temp_dir().join(format!("store-throughput-{}", std::process::id()));
    let result = measure(&workload, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(workload: &TimeBankWorkload, dir: &Path) -> Result<(), String> {
    let err = |e: ledger_store::Error| e.to_string();
    // The workload's clock runs ahead of the wall clock.
    let options = StoreOptions::default().any_time();
    let store = Store::create(dir, &Policy::default_policy(), T0, options).map_err(err)?;
    for command in workload.setup_commands() {
        store.submit(command, T0).map_err(err)?;
    }
    let batches: Vec<Vec<Transfer>> = workload
        .batches
        .iter()
        .map(|b| b.iter().map(Op::transfer).collect())
        .collect();
    let count: usize = batches.iter().map(Vec::len).sum();
    let last = batches
        .last()
        .and_then(|b| b.last())
        .map(|t| t.id)
        .ok_or("the workload has no batches")?;
    let start = Instant::now();
    for (batch, &now) in batches.into_iter().zip(&workload.times) {
        store
            .submit(Command::CreateTransfers(batch), now)
            .map_err(err)?;
    }
    let durable = start.elapsed().as_secs_f64();
    // Waits until the index reflects every durable record.
    store.transfer_sequence(last).map_err(err)?;
    let indexed = start.elapsed().as_secs_f64();
    store.close().map_err(err)?;
    for (what, seconds) in [("durable", durable), ("indexed", indexed)] {
        println!(
            "{what}: {count} transfers in {seconds:.3} s, {:.0} transfers/s",
            count as f64 / seconds
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("store_throughput: {e}");
            ExitCode::FAILURE
        }
    }
}
