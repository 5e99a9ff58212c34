//! Journal encode and decode: the strict binary codec of commands in record bodies.
//! Encoding runs once per commit; decoding once per record on every reopen and verification.
//! Measured on a full batch of 8,190 transfers of the engine apply workload (plain transfers,
//! holds, posts and voids) and on a single transfer.
//!
//! `cargo bench -p benches --bench journal_codec`

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ledger_core::Command;
use ledger_store::codec::{decode_command, encode_command, encoded_len_max};
use timebank_workload::engine_batches::{Shape, Workload};

fn main() {
    let shape = Shape {
        accounts: 10_000,
        batches: 1,
        ..Shape::FULL_BATCHES
    };
    let workload = Workload::generate(shape, 7);
    let full = Command::CreateTransfers(workload.batches[0].clone());
    let single = Command::CreateTransfers(workload.batches[0][..1].to_vec());

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("journal_codec");
    for (name, command) in [("8190_transfers", &full), ("1_transfer", &single)] {
        let events = match command {
            Command::CreateTransfers(v) => v.len() as u64,
            _ => 1,
        };
        let mut body = Vec::with_capacity(encoded_len_max(command));
        encode_command(&mut body, command);
        group.throughput(Throughput::Elements(events));
        let mut buf = Vec::with_capacity(body.len());
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                buf.clear();
                encode_command(&mut buf, black_box(command));
                black_box(buf.len())
            })
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode_command(black_box(&body)).expect("a canonical body"))
        });
    }
    group.finish();
    criterion.final_summary();
}
