//! kill -9: a child process commits batches from several threads and prints each acknowledged
//! batch; the parent SIGKILLs it at a random moment, reopens the ledger, and checks that every
//! acknowledged transfer is there and the whole journal verifies. The journal is kept in small
//! segments, so kills also land while the writer rolls to a new one. 15 rounds by default, 100
//! with `TIMEBANK_LONG=1`.

mod support;

use std::time::Duration;

use ledger_store::{Store, StoreOptions};
use support::*;

const ROUNDS_DEFAULT: u64 = 15;
const ROUNDS_LONG: u64 = 100;
const IDS_PER_ROUND: u64 = 100_000_000;
/// About eight batches of the writer's a segment.
const SEGMENT_BYTES: u64 = 16 * 1024;

#[test]
fn every_acknowledged_transfer_survives_sigkill() {
    let rounds = match std::env::var("TIMEBANK_LONG").as_deref() {
        Ok("1") => ROUNDS_LONG,
        _ => ROUNDS_DEFAULT,
    };
    let dir = Scratch::new("kill9");
    let mut acked: Vec<u64> = vec![];
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut cut_tails = 0;
    for round in 0..rounds {
        let first = 1 + round * IDS_PER_ROUND;
        // Let it write for a random while, then kill it mid-flight.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let before = acked.len();
        let args = [first.to_string(), SEGMENT_BYTES.to_string()];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        acked.extend(kill_crash_writer(
            dir.path(),
            &args,
            Duration::from_millis(rng % 150),
        ));
        let store = Store::open(dir.path(), StoreOptions::default().checkpoint_key(KEY))
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        cut_tails += usize::from(store.open_report().torn_tail.is_some());
        for &id in &acked {
            assert!(
                store.transfer(tid(u128::from(id))).unwrap().is_some(),
                "round {round}: acknowledged transfer {id} is missing"
            );
        }
        assert!(acked.len() >= before);
        store
            .verify(&mut |_| {})
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        store.close().unwrap();
    }
    assert!(!acked.is_empty(), "the child never acknowledged anything");
    let segments = std::fs::read_dir(dir.path().join(ledger_store::JOURNAL_DIR_NAME))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            ledger_store::segment::segment_index_of(&name.to_string_lossy()).is_some()
        })
        .count();
    assert!(segments > 1, "the writer never rolled ({segments} segment)");
    eprintln!(
        "{rounds} kills, {} transfers acknowledged, {cut_tails} torn tails cut, {segments} \
         segments",
        acked.len()
    );
}
