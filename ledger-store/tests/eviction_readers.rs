//! What a store that evicts old transfers from memory (`StoreOptions::resident_transfers`)
//! answers to readers of the engine's transfers outside its apply path: the same as a store that
//! keeps them all, or a clear refusal where the answer needs every transfer in memory. Reading
//! the engine's memory alone answered for the newest transfers only.

mod support;

use std::path::Path;

use ledger_core::report::{self, FlowsEvicted};
use ledger_core::ResultCode;
use ledger_store::{Store, StoreOptions};
use support::*;

/// 9,000 services in three batches: eviction (every 4,096 transfers) runs twice.
fn filled(dir: &Path, options: StoreOptions) -> Store {
    let store = new_store(dir, options.any_time());
    for batch in 0..3u128 {
        let done = store
            .create_transfers(services(1 + batch * 3_000, 3_000), NOW + 1 + batch as u64)
            .unwrap();
        assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    }
    store
}

/// A store that keeps every transfer and one that keeps the newest 100, with the same history.
fn keeping_and_evicting(scratch: &Scratch) -> (Store, Store) {
    let keeping = filled(&scratch.path().join("keeping"), options());
    let evicting = filled(
        &scratch.path().join("evicting"),
        options().resident_transfers(100),
    );
    assert_eq!(keeping.read(|l| l.evicted_transfer_count()), 0);
    assert!(evicting.read(|l| l.evicted_transfer_count()) > 0);
    (keeping, evicting)
}

#[test]
fn the_flow_report_is_refused_once_transfers_were_evicted() {
    let scratch = Scratch::new("evicted-flows");
    let (keeping, evicting) = keeping_and_evicting(&scratch);
    let flows = keeping.read(report::flows).unwrap();
    assert_eq!(flows.units.len(), 1);
    let evicted = evicting.read(|l| l.evicted_transfer_count());
    assert_eq!(evicting.read(report::flows), Err(FlowsEvicted { evicted }));
    let message = FlowsEvicted { evicted }.to_string();
    assert!(message.contains("evicted") && message.contains("without resident_transfers"));
}
