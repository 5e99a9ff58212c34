//! The hash chain: blake3 (derive-key mode) over each journal record, the work every
//! commit does once per record and every verification and reopen does again. Measured for the
//! record sizes a journal holds: one transfer, 100 and a full batch of 8,190.
//!
//! `cargo bench -p benches --bench hash_chain`

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ledger_core::Command;
use ledger_store::codec::encode_command;
use ledger_store::record::{append_record, parse_frame, record_hash, RecordHeader, RecordKind};
use timebank_workload::service_stream::ServiceStream;

const BATCH_SIZES: [usize; 3] = [1, 100, 8_190];

/// The bytes of one command record of `n` service transfers.
fn record_of(n: usize) -> Vec<u8> {
    let (batch, now) = ServiceStream::new(1).batch(n);
    let command = Command::CreateTransfers(batch);
    let header = RecordHeader {
        kind: RecordKind::Command,
        sequence: 1,
        now,
        prev_hash: [9; 32],
    };
    let mut buf = Vec::new();
    append_record(&mut buf, &header, |b| encode_command(b, &command));
    buf
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("hash_chain");
    for n in BATCH_SIZES {
        let record = record_of(n);
        let covered = &record[..record.len() - 32];
        group.throughput(Throughput::Bytes(record.len() as u64));
        // Hashing alone: what a verifier's hashing thread does per record.
        group.bench_function(format!("record_hash/{n}_transfers"), |b| {
            b.iter(|| record_hash(black_box(covered)))
        });
        // Framing, hashing and linking a staged record: what the committer does per command
        // (the body is copied in, not re-encoded, to measure the chain and not the codec).
        let body = parse_frame(&record, 0)
            .expect("a framed record")
            .body()
            .to_vec();
        let mut buf = Vec::with_capacity(record.len());
        let mut prev = [0u8; 32];
        let mut sequence = 0;
        group.bench_function(format!("append_record/{n}_transfers"), |b| {
            b.iter(|| {
                buf.clear();
                sequence += 1;
                let header = RecordHeader {
                    kind: RecordKind::Command,
                    sequence,
                    now: 0,
                    prev_hash: prev,
                };
                prev = append_record(&mut buf, &header, |b| b.extend_from_slice(&body));
                black_box(prev)
            })
        });
    }
    group.finish();
    criterion.final_summary();
}
