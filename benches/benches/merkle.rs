//! The Merkle tree over the journal: proof generation time and size at 10 million leaves, in
//! both profiles (SHA-256 and SM3), and what keeping the tree costs a durable commit.
//!
//! `cargo bench -p benches --bench merkle` (leaves: `TIMEBANK_BENCH_LEAVES`, default 10,000,000;
//! durable commits measured: `TIMEBANK_BENCH_COMMITS`, default 2,000)
//!
//! Prints one table: building the tree (per leaf), an inclusion and a consistency proof at random
//! positions (p50/p99, hashes and bytes), verifying one, the store's tree kept in blocks of
//! 1,024 leaves (what it holds, and a proof made with its block's leaves checked), and the
//! tree's share of a batch-1
//! durable commit (the syncer adds one leaf per record: `MerkleTree::push`, measured here per
//! record, against `Store::create_transfers` of one transfer measured on the same machine).

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::latency::Latencies;
use benches::scratch_dir::ScratchDir;
use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::Policy;
use ledger_store::merkle::{verify_consistency, verify_inclusion, Blocks, MerkleTree, TreeHash};
use ledger_store::{Store, StoreOptions};
use timebank_workload::service_stream::ServiceStream;
use timebank_workload::{Dice, T0};

const PROOFS: usize = 20_000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A deterministic stand-in for record hashes (their values do not change the cost).
fn record_hash(i: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_le_bytes());
    h[8..16].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    h
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn profile(hash: TreeHash, leaves: u64) -> f64 {
    let start = Instant::now();
    let mut tree = MerkleTree::new(hash);
    for i in 0..leaves {
        tree.push(&record_hash(i));
    }
    let build = start.elapsed();
    let push_us = micros(build) / leaves as f64;
    println!(
        "{:>6} | build {leaves} leaves: {:.1} s, {:.3} us a leaf (about {} MiB of hashes)",
        hash.name(),
        build.as_secs_f64(),
        push_us,
        (leaves * 64) >> 20
    );
    let root = tree.root(leaves).expect("the whole tree");
    let mut rng = Dice::new(2026);
    let (mut make, mut check) = (Latencies::with_capacity(PROOFS), Latencies::default());
    let mut hashes = 0;
    for n in 0..PROOFS {
        let index = rng.next_u64() % leaves;
        let start = Instant::now();
        let path = black_box(tree.inclusion_proof(index, leaves).expect("in range"));
        make.push(start.elapsed());
        hashes = hashes.max(path.len());
        if n % 20 == 0 {
            let start = Instant::now();
            let ok = verify_inclusion(hash, index, leaves, &record_hash(index), &path, &root);
            check.push(start.elapsed());
            assert!(ok.is_ok());
        }
    }
    println!(
        "{:>6} | inclusion proof: p50 {:.1} us, p99 {:.1} us to make; {} hashes = {} bytes \
         (hex in JSON: {} characters); verify p50 {:.1} us",
        hash.name(),
        micros(make.percentile(50.0)),
        micros(make.percentile(99.0)),
        hashes,
        hashes * 32,
        hashes * 66,
        micros(check.percentile(50.0)),
    );
    let (mut make, mut check) = (Latencies::with_capacity(PROOFS), Latencies::default());
    let mut hashes = 0;
    for n in 0..PROOFS {
        let old = 1 + rng.next_u64() % leaves;
        let start = Instant::now();
        let proof = black_box(tree.consistency_proof(old, leaves).expect("in range"));
        make.push(start.elapsed());
        hashes = hashes.max(proof.len());
        if n % 20 == 0 {
            let old_root = tree.root(old).expect("in range");
            let start = Instant::now();
            let ok = verify_consistency(hash, old, leaves, &old_root, &root, &proof);
            check.push(start.elapsed());
            assert!(ok.is_ok());
        }
    }
    println!(
        "{:>6} | consistency proof: p50 {:.1} us, p99 {:.1} us to make; at most {} hashes = {} \
         bytes; verify p50 {:.1} us",
        hash.name(),
        micros(make.percentile(50.0)),
        micros(make.percentile(99.0)),
        hashes,
        hashes * 32,
        micros(check.percentile(50.0)),
    );
    in_blocks(hash, leaves, &mut rng);
    push_us
}

/// The store's tree, kept in blocks of 1,024 leaves: what it holds, and an inclusion proof made
/// with its block's leaves given (checked against the block's root first, as the store does
/// after reading them from the journal; the reading is not timed here).
fn in_blocks(hash: TreeHash, leaves: u64, rng: &mut Dice) {
    const BLOCK_LEVELS: usize = 10;
    let mut tree = MerkleTree::new(hash).in_blocks(BLOCK_LEVELS);
    for i in 0..leaves {
        tree.push(&record_hash(i));
    }
    let mut make = Latencies::with_capacity(PROOFS / 10);
    for _ in 0..PROOFS / 10 {
        let index = rng.next_u64() % leaves;
        let start = Instant::now();
        let mut blocks = Blocks::new();
        for range in tree.blocks_needed(&[index, leaves - 1]) {
            let data: Vec<[u8; 32]> = range.clone().map(record_hash).collect();
            tree.check_block(&mut blocks, range, &data)
                .expect("the block's leaves");
        }
        let path = tree.inclusion_proof_with(index, leaves, &blocks);
        black_box(path.expect("in range"));
        make.push(start.elapsed());
    }
    println!(
        "{:>6} | in blocks of {}: {} hashes held ({} KiB, {:.3} bytes a leaf); inclusion proof \
         with its block checked: p50 {:.1} us, p99 {:.1} us to make",
        hash.name(),
        1u32 << BLOCK_LEVELS,
        tree.hashes_held(),
        (tree.hashes_held() * 32) >> 10,
        (tree.hashes_held() * 32) as f64 / leaves as f64,
        micros(make.percentile(50.0)),
        micros(make.percentile(99.0)),
    );
}

/// Mean time of a durable batch-1 commit (`create_transfers` of one transfer) on this machine.
fn durable_commit_us(commits: usize) -> f64 {
    let dir = ScratchDir::new("merkle-durable").expect("a scratch directory");
    let mut stream = ServiceStream::new(7);
    let store = Store::create(
        dir.path(),
        &Policy::default_policy(),
        T0,
        StoreOptions::default(),
    )
    .expect("a new store");
    for chunk in stream.accounts().chunks(BATCH_EVENTS_MAX) {
        store.create_accounts(chunk.to_vec(), T0).expect("accounts");
    }
    let start = Instant::now();
    for _ in 0..commits {
        let (batch, now) = stream.batch(1);
        store.create_transfers(batch, now).expect("durable");
    }
    let each = micros(start.elapsed()) / commits as f64;
    store.close().expect("closed");
    each
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let leaves = env_or("TIMEBANK_BENCH_LEAVES", 10_000_000) as u64;
    let commits = env_or("TIMEBANK_BENCH_COMMITS", 2_000);
    println!("merkle: {leaves} leaves, {PROOFS} proofs each at random positions");
    let sha = profile(TreeHash::Sha256, leaves);
    let sm3 = profile(TreeHash::Sm3, leaves);
    let commit = durable_commit_us(commits);
    println!(
        "durable | batch-1 commit {commit:.1} us (mean of {commits}); the tree adds one leaf a \
         record: sha256 {sha:.3} us = {:.2}%, sm3 {sm3:.3} us = {:.2}% of it (a batch of 8,190 \
         transfers is one record too, so one leaf)",
        100.0 * sha / commit,
        100.0 * sm3 / commit
    );
}
