//! What a store that evicts old transfers from memory (`StoreOptions::resident_transfers`)
//! answers to readers of the engine's transfers outside its apply path: the same as a store that
//! keeps them all, or a clear refusal where the answer needs every transfer in memory. Reading
//! the engine's memory alone answered for the newest transfers only.

mod support;

use std::path::Path;

use ledger_core::report::{self, FlowsEvicted};
use ledger_core::{Command, Reply, ResultCode, Transfer};
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

#[test]
fn the_highest_id_below_a_bound_counts_evicted_transfers() {
    let scratch = Scratch::new("evicted-highest");
    let (keeping, evicting) = keeping_and_evicting(&scratch);
    assert!(evicting.read(|l| l.transfer(tid(999)).is_none()));
    for store in [&keeping, &evicting] {
        assert_eq!(
            store.highest_transfer_id_below(tid(1_000)).unwrap(),
            Some(tid(999))
        );
        assert_eq!(store.highest_transfer_id_below(tid(1)).unwrap(), None);
        assert_eq!(
            store.highest_transfer_id_below(tid(u128::MAX)).unwrap(),
            Some(tid(9_000))
        );
    }
}

#[test]
fn a_copy_of_the_engine_loads_the_evicted_transfers_a_command_names() {
    let scratch = Scratch::new("evicted-copy");
    let (keeping, evicting) = keeping_and_evicting(&scratch);
    assert!(evicting.read(|l| l.transfer(tid(12)).is_none() && l.transfer(tid(13)).is_none()));
    let command = Command::CreateTransfers(vec![
        Transfer::reversal(tid(20_000), tid(12)),
        services(13, 1).remove(0),
    ]);
    let at = NOW + 100;
    let tried = |store: &Store| {
        let mut copy = store.read(|l| l.clone());
        store.load_named_transfers(&mut copy, &command, at).unwrap();
        copy.execute(&command, at).unwrap()
    };
    let expected = tried(&keeping);
    assert!(
        matches!(&expected, Reply::Events(e) if e[0].code == ResultCode::Ok
        && e[1].code == ResultCode::Exists)
    );
    assert_eq!(tried(&evicting), expected);
}
