//! This ledger: `ledger-store`, durable. Each batch is one `create_transfers` that returns only
//! once its journal record is `fdatasync`ed. Two figures come from one run: until the last batch
//! is durable (acknowledged), and until the sled index (history pages, transfer sequence numbers),
//! which a background thread updates after each commit, has caught up with it.

use std::path::Path;
use std::time::Instant;

use benches::latency::Latencies;
use benches::scratch_dir::{size_bytes, ScratchDir};
use ledger_core::{Command, Policy, ResultCode, Transfer, TransferId};
use ledger_store::journal::scan_frames;
use ledger_store::segment::read_journal;
use ledger_store::{OsIo, Store, StoreOptions};
use timebank_workload::T0;

use crate::measurement::Measurement;
use timebank_workload::community_bank::{Op, TimeBankWorkload};

/// What the store's run measured.
#[derive(Debug)]
pub struct StoreRun {
    /// Until the last batch was durable.
    pub durable: Measurement,
    /// Until the index had caught up too.
    pub indexed: Measurement,
    /// The journal records of the measured batches (for the raw disk system to append).
    pub records: Vec<Vec<u8>>,
}

pub fn run(w: &TimeBankWorkload) -> Result<StoreRun, String> {
    let dir = ScratchDir::new("compare-store").map_err(|e| e.to_string())?;
    let err = |e: ledger_store::Error| e.to_string();
    let store = Store::create(
        dir.path(),
        &Policy::default_policy(),
        T0,
        // The workload's clock runs ahead of the wall clock.
        StoreOptions::default().any_time(),
    )
    .map_err(err)?;
    for command in w.setup_commands() {
        store.submit(command, T0).map_err(err)?;
    }
    store.close().map_err(err)?;
    let setup_journal_bytes = journal_records(dir.path())?.len() as u64;
    let setup_bytes = size_bytes(dir.path());

    let store = Store::open(dir.path(), StoreOptions::default().any_time()).map_err(err)?;
    let batches: Vec<Vec<Transfer>> = w
        .batches
        .iter()
        .map(|b| b.iter().map(Op::transfer).collect())
        .collect();
    let last_id = batches
        .last()
        .and_then(|b| b.last())
        .map(|t| t.id)
        .ok_or("the workload has no batches")?;
    let mut latencies = Latencies::with_capacity(batches.len());
    let mut accepted = 0;
    let start = Instant::now();
    for (batch, &now) in batches.into_iter().zip(&w.times) {
        let t = Instant::now();
        let done = store
            .submit(Command::CreateTransfers(batch), now)
            .map_err(err)?;
        latencies.push(t.elapsed());
        accepted += done
            .events()
            .iter()
            .filter(|r| r.code == ResultCode::Ok)
            .count();
    }
    let durable = start.elapsed();
    wait_indexed(&store, last_id)?;
    let indexed = start.elapsed();
    store.close().map_err(err)?;
    let disk_bytes = size_bytes(dir.path()).saturating_sub(setup_bytes);
    let records = measured_records(dir.path(), setup_journal_bytes)?;
    let durable = Measurement {
        name: "timebank-store",
        about: "this ledger: each batch returns once its journal record is fdatasync'd",
        transfers: w.transfers(),
        accepted: Some(accepted),
        elapsed: durable,
        batches: latencies.clone(),
        disk_bytes: Some(disk_bytes),
    };
    let indexed = Measurement {
        name: "timebank-store+index",
        about: "the same run, timed until the sled index (history, ids) caught up",
        elapsed: indexed,
        batches: latencies,
        ..durable
    };
    Ok(StoreRun {
        durable,
        indexed,
        records,
    })
}

/// Returns once the index reflects every durable record (a query of the index waits for it).
fn wait_indexed(store: &Store, id: TransferId) -> Result<(), String> {
    store
        .transfer_sequence(id)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The records of every journal segment of the ledger in `dir`, end to end (headers left out).
fn journal_records(dir: &Path) -> Result<Vec<u8>, String> {
    read_journal(&OsIo, dir, &[])
        .map(|image| image.bytes)
        .map_err(|e| e.to_string())
}

/// The journal records written after the first `from` bytes of records, one per measured batch.
fn measured_records(dir: &Path, from: u64) -> Result<Vec<Vec<u8>>, String> {
    let bytes = journal_records(dir)?;
    let scan = scan_frames(&bytes).map_err(|e| e.to_string())?;
    Ok(scan
        .frames
        .iter()
        .filter(|(offset, _)| *offset >= from)
        .map(|&(offset, len)| bytes[offset as usize..offset as usize + len as usize].to_vec())
        .collect())
}
