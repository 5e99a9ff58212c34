//! A writer for crash tests: opens (or creates) a ledger, then commits batches of transfers from
//! several threads until it is killed, printing `ack <sequence> <first id> <count>` for every
//! batch after it is durable. The kill -9 test reads these lines and checks, after reopening,
//! that every acknowledged transfer is there.
//!
//! Usage: `crash-writer <dir> <first transfer id> [segment bytes] [snapshots|none] [resident]`
//! (a small segment size makes the kills land while the writer rolls to new segments too;
//! `snapshots` adds a thread that writes snapshots one after another, so the kills land while
//! one is written; `resident`, a number, makes the store evict old transfers to its index,
//! `StoreOptions::resident_transfers`).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferId, Unit};
use ledger_store::{Error, Store, StoreOptions};

const THREADS: u64 = 4;
const BATCH_TRANSFERS: u64 = 20;
const MEMBERS: u128 = 16;
/// The checkpoint key the crash tests use (a test key, not a secret).
const KEY: [u8; 32] = [0x5a; 32];
const NOW: u64 = 1_767_225_600_000_000_000;
/// A bound on the run if nobody kills it.
const BATCHES_MAX: u64 = 100_000;

fn main() {
    if let Err(message) = run() {
        eprintln!("crash-writer: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: crash-writer <dir> <first transfer id> [segment bytes] [snapshots|none] \
                 [resident]";
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let first: u64 = args.next().ok_or(usage)?.parse().map_err(|_| usage)?;
    let mut options = StoreOptions::default().checkpoint_key(KEY);
    if let Some(bytes) = args.next() {
        options = options.segment_bytes(bytes.parse().map_err(|_| usage)?);
    }
    let snapshots = match args.next().as_deref() {
        None | Some("none") => false,
        Some("snapshots") => true,
        Some(_) => return Err(usage.into()),
    };
    if let Some(resident) = args.next() {
        options = options.resident_transfers(resident.parse().map_err(|_| usage)?);
    }
    let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
    let store = match Store::open(&dir, options.clone()) {
        Err(Error::NotFound(_)) => Store::create(&dir, &policy, NOW, options),
        other => other,
    }
    .map_err(|e| e.to_string())?;
    let id = |n: u128| AccountId::new(n).ok_or("zero id");
    let mut accounts = vec![NewAccount::new(id(1)?, 1, AccountKind::Issuer)];
    for m in 0..MEMBERS {
        accounts.push(NewAccount::new(id(100 + m)?, 1, AccountKind::Member));
    }
    store
        .create_accounts(accounts, NOW)
        .map_err(|e| e.to_string())?;
    println!("ready {}", store.status().head_sequence);
    let next = AtomicU64::new(first);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (store, next) = (&store, &next);
            s.spawn(move || write_batches(store, next, t));
        }
        if snapshots {
            let store = &store;
            s.spawn(move || loop {
                if let Err(e) = store.write_snapshot() {
                    eprintln!("crash-writer: snapshot: {e}");
                    std::process::exit(3);
                }
            });
        }
    });
    Ok(())
}

fn write_batches(store: &Store, next: &AtomicU64, thread: u64) {
    for b in 0..BATCHES_MAX {
        let first = next.fetch_add(BATCH_TRANSFERS, Ordering::Relaxed);
        let batch: Vec<Transfer> = (first..first + BATCH_TRANSFERS)
            .filter_map(|n| {
                Some(Transfer::new(
                    TransferId::new(u128::from(n))?,
                    AccountId::new(1)?,
                    AccountId::new(100 + u128::from(n) % MEMBERS)?,
                    Amount::from_minor(1 + n % 500, 2).ok()?,
                    1,
                ))
            })
            .collect();
        let done = match store.create_transfers(batch, NOW + b) {
            Ok(done) => done,
            Err(e) => {
                eprintln!("crash-writer: {e}");
                std::process::exit(3);
            }
        };
        let mut out = std::io::stdout().lock();
        if writeln!(out, "ack {} {first} {BATCH_TRANSFERS}", done.sequence)
            .and_then(|()| out.flush())
            .is_err()
        {
            std::process::exit(0); // the reader went away
        }
        drop(out);
        if thread == 0 && b % 50 == 49 && store.checkpoint().is_err() {
            std::process::exit(3);
        }
    }
}
