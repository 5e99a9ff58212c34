//! The engine alone (`ledger-core`), in memory: every check and rule of the store, no disk.

use std::time::Instant;

use benches::latency::Latencies;
use ledger_core::{Ledger, Policy, ResultCode, Transfer};
use timebank_workload::T0;

use crate::measurement::Measurement;
use timebank_workload::community_bank::{Op, TimeBankWorkload};

pub fn run(w: &TimeBankWorkload) -> Result<Measurement, String> {
    let mut ledger = Ledger::with_policy(&Policy::default_policy()).map_err(|e| e.to_string())?;
    for command in w.setup_commands() {
        ledger.execute(&command, T0).map_err(|e| e.to_string())?;
    }
    let batches: Vec<Vec<Transfer>> = w
        .batches
        .iter()
        .map(|b| b.iter().map(Op::transfer).collect())
        .collect();
    let mut latencies = Latencies::with_capacity(batches.len());
    let mut accepted = 0;
    let start = Instant::now();
    for (batch, &now) in batches.iter().zip(&w.times) {
        let t = Instant::now();
        let results = ledger
            .create_transfers(batch, now)
            .map_err(|e| e.to_string())?;
        latencies.push(t.elapsed());
        accepted += results.iter().filter(|r| r.code == ResultCode::Ok).count();
    }
    let elapsed = start.elapsed();
    Ok(Measurement {
        name: "ledger-core",
        about: "in memory: the engine with the default time-bank policy, no disk",
        transfers: w.transfers(),
        accepted: Some(accepted),
        elapsed,
        batches: latencies,
        disk_bytes: None,
    })
}
