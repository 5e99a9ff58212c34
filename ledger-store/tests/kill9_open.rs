//! kill -9 during an open that rebuilds the index from the journal read in pieces (docs/FORMAT.md
//! §16.2): the child opens a ledger whose index and snapshots were deleted, with
//! `resident_transfers` set (so the rebuild also writes the versions it evicts), then commits
//! batches; the parent SIGKILLs it at a random moment, during the open or after, then reopens
//! the ledger and checks that every transfer acknowledged in any round is there and that the
//! journal and the index verify.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use ledger_store::{JournalRead, Store, StoreOptions};
use support::*;

const ROUNDS: u64 = 8;
const IDS_PER_ROUND: u64 = 100_000_000;
const SEGMENT_BYTES: &str = "65536";
const RESIDENT: &str = "64";

/// Runs the crash writer on `dir` from transfer id `first`, kills it after `after` (whether or
/// not it finished opening), and gives the ids of the batches it acknowledged and whether it
/// had finished opening.
fn run_and_kill(dir: &std::path::Path, first: u64, after: Duration) -> (Vec<u64>, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
        .arg(dir)
        .args([&first.to_string(), SEGMENT_BYTES, "none", RESIDENT])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (mut acked, mut opened) = (Vec::new(), false);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        opened |= words[0].starts_with("ready");
        if words[0] == "ack" {
            let first: u64 = words[2].parse().unwrap();
            let count: u64 = words[3].parse().unwrap();
            acked.extend(first..first + count);
        }
    }
    (acked, opened)
}

#[test]
fn every_acknowledged_transfer_survives_sigkill_during_an_open_that_rebuilds_the_index() {
    let dir = Scratch::new("kill9-open");
    // A ledger to rebuild: the writer's own, some thousands of transfers over a few segments.
    let (mut acked, _) = run_and_kill(dir.path(), 1, Duration::from_millis(1_500));
    assert!(
        acked.len() > 1_000,
        "the first writer acknowledged {}",
        acked.len()
    );
    let options = || StoreOptions::default().checkpoint_key(KEY);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let (mut pieces, mut during_open) = (0, 0);
    for round in 1..=ROUNDS {
        for derived in [ledger_store::INDEX_DIR_NAME, "snapshots"] {
            let _ = std::fs::remove_dir_all(dir.path().join(derived));
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let first = 1 + round * IDS_PER_ROUND;
        let (more, opened) = run_and_kill(dir.path(), first, Duration::from_millis(rng % 400));
        acked.extend(more);
        during_open += usize::from(!opened);
        let store = Store::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        pieces += usize::from(store.open_report().journal_read == JournalRead::Pieces);
        for &id in &acked {
            assert!(
                store.transfer(tid(u128::from(id))).unwrap().is_some(),
                "round {round}: acknowledged transfer {id} is missing"
            );
        }
        store
            .verify(&mut |_| {})
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        store.close().unwrap();
    }
    eprintln!(
        "{ROUNDS} kills ({during_open} during the child's open), {} transfers acknowledged, \
         {pieces} reopens read the journal in pieces",
        acked.len()
    );
}
