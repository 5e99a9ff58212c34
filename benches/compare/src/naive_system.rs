//! The compute limit: a `HashMap` of balances and nothing else. Every event moves its amount
//! from one balance to another (a hold and a cancellation too); no id, limit, rule or hold is
//! checked, nothing is kept but the balances.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use benches::latency::Latencies;

use crate::measurement::Measurement;
use timebank_workload::community_bank::{Op, TimeBankWorkload};

fn apply(balances: &mut HashMap<u128, i64>, ops: &[Op]) {
    for op in ops {
        let amount = op.amount_cents as i64;
        *balances.entry(op.debit).or_default() -= amount;
        *balances.entry(op.credit).or_default() += amount;
    }
}

pub fn run(w: &TimeBankWorkload) -> Measurement {
    let mut balances: HashMap<u128, i64> = w.accounts.iter().map(|a| (a.id, 0)).collect();
    for batch in &w.funding {
        apply(&mut balances, batch);
    }
    let mut latencies = Latencies::with_capacity(w.batches.len());
    let start = Instant::now();
    for batch in &w.batches {
        let t = Instant::now();
        apply(&mut balances, batch);
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    black_box(&balances);
    Measurement {
        name: "naive HashMap",
        about: "in memory: a HashMap of balances, no validation (the compute limit)",
        transfers: w.transfers(),
        accepted: None,
        elapsed,
        batches: latencies,
        disk_bytes: None,
    }
}
