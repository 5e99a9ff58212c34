//! Queries on an open store: an account's history page from the sled index, a
//! statement with running balances, also from the index, a balance and a transfer by id.
//! Readers take the read lock only, so none of these waits for a commit's sync.
//!
//! The ledger holds `TIMEBANK_BENCH_TRANSFERS` transfers (default 200,000) spread over 10,000
//! members, so a member's history holds about transfers / 10,000 entries.
//!
//! `cargo bench -p benches --bench queries`

use std::hint::black_box;

use benches::fixture::prepare;
use criterion::{Criterion, Throughput};
use ledger_core::TransferId;
use timebank_workload::Dice;

const PAGE: usize = 100;

fn main() {
    let (fixture, store, stream) = prepare("queries");
    let transfers = fixture.transfers;
    let members = stream.members.clone();
    // Let the index catch up before timing: a history page waits for it.
    store
        .transfer_sequence(TransferId::new(1).expect("non-zero"))
        .expect("indexed");

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(format!("queries/{transfers}_transfers"));
    let mut rng = Dice::new(11);
    group.throughput(Throughput::Elements(PAGE as u64));
    group.bench_function(format!("history_page_{PAGE}"), |b| {
        b.iter(|| {
            let member = members[rng.index(members.len())];
            black_box(store.history(member, None, PAGE).expect("a history page"))
        })
    });
    group.bench_function(format!("statement_page_{PAGE}"), |b| {
        b.iter(|| {
            let member = members[rng.index(members.len())];
            black_box(store.statement(member, 0, PAGE).expect("a statement"))
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("balances", |b| {
        b.iter(|| black_box(store.balances(members[rng.index(members.len())])))
    });
    group.bench_function("transfer_by_id", |b| {
        b.iter(|| {
            let id = 1 + rng.index(transfers) as u128;
            black_box(store.transfer(TransferId::new(id).expect("non-zero")))
        })
    });
    group.finish();
    criterion.final_summary();
    store.close().expect("the store closes");
}
