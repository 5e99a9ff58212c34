//! Snapshots (docs/FORMAT.md §16): opening from one gives the state and the answers of a full
//! replay; a damaged, half-written or foreign snapshot is passed over (an older one, or a full
//! replay, serves) and reported in the open report; kill -9 while snapshots are written never
//! costs an acknowledged transfer, and the next open starts from a snapshot that holds.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ledger_core::{
    AccountId, AccountKind, Amount, Command, NewAccount, Policy, Rating, ResultCode, Transfer,
    TransferId,
};
use ledger_store::snapshot::{encode_file, snapshot_name, SnapshotHeader, SNAPSHOT_DIR_NAME};
use ledger_store::{verify_dir, Store, StoreOptions};
use support::*;

const FUND_ID: u128 = 1;
const MEMBER_COUNT: u128 = 6;

/// Snapshots only when asked for (no snapshot at close).
fn by_hand() -> StoreOptions {
    options().snapshot_after_bytes(u64::MAX)
}

fn member(m: u128) -> AccountId {
    AccountId::new(100 + m % MEMBER_COUNT).unwrap()
}

fn service(id: u128) -> Transfer {
    Transfer::new(
        TransferId::new(id).unwrap(),
        AccountId::new(FUND_ID).unwrap(),
        member(id),
        Amount::from_minor(25 + (id % 7) as u64 * 25, 2).unwrap(),
        HOURS,
    )
    .code(101)
}

/// A ledger under the default policy (services, ratings, history) with `batches` batches of
/// ten services, and a snapshot after each batch listed in `snapshot_after`.
fn ledger(dir: &Path, batches: u128, snapshot_after: &[u128]) -> Vec<u64> {
    let store = Store::create(dir, &Policy::default_policy(), NOW, by_hand()).unwrap();
    let mut open = vec![NewAccount::new(
        account(FUND_ID),
        HOURS,
        AccountKind::Issuer,
    )];
    open.extend((0..MEMBER_COUNT).map(|m| NewAccount::new(member(m), HOURS, AccountKind::Member)));
    store.create_accounts(open, NOW).unwrap();
    let mut written = Vec::new();
    for b in 0..batches {
        let batch = (0..10).map(|i| service(1_000 + b * 10 + i)).collect();
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
        if snapshot_after.contains(&b) {
            written.push(store.write_snapshot().unwrap().sequence);
        }
    }
    store.close().unwrap();
    written
}

fn snapshot_path(dir: &Path, sequence: u64) -> PathBuf {
    dir.join(SNAPSHOT_DIR_NAME).join(snapshot_name(sequence))
}

fn full_replay_digest(dir: &Path) -> [u8; 32] {
    verify_dir(dir, Some(&KEY), &mut |_| {})
        .unwrap()
        .state_digest
}

#[test]
fn opening_from_a_snapshot_gives_the_full_replays_state_and_answers() {
    let dir = Scratch::new("snapshot-open");
    let written = ledger(dir.path(), 6, &[2]);
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    let used = report.used.clone().expect("the snapshot is used");
    assert_eq!(used.sequence, written[0]);
    assert_eq!(used.file, snapshot_name(written[0]));
    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(store.state_digest(), full_replay_digest(dir.path()));

    // Transfers applied before the snapshot: idempotency, reversal and rating still work.
    let before = service(1_003); // in the first batch, before the snapshot
    let again = store
        .create_transfers(vec![before.clone()], NOW + 100)
        .unwrap();
    assert_eq!(again.events()[0].code, ResultCode::Exists);
    let other = Transfer {
        user_data: 9,
        ..before
    };
    let differs = store.create_transfers(vec![other], NOW + 101).unwrap();
    assert_eq!(
        differs.events()[0].code,
        ResultCode::ExistsWithDifferentUserData
    );
    let reversal = Transfer::reversal(tid(50_000), tid(1_004));
    let reversed = store.create_transfers(vec![reversal], NOW + 102).unwrap();
    assert_eq!(reversed.events()[0].code, ResultCode::Ok);
    let rate = |n| {
        Command::RecordRatings(vec![Rating {
            transfer: tid(n),
            rating: 5,
        }])
    };
    let rated = store.submit(rate(1_005), NOW + 103).unwrap();
    assert_eq!(rated.events()[0].code, ResultCode::Ok);
    let twice = store.submit(rate(1_005), NOW + 104).unwrap();
    assert_eq!(twice.events()[0].code, ResultCode::AlreadyRated);
    let after = store.state_digest();
    let page = store.history(member(4), None, 50).unwrap();
    store.close().unwrap();

    // The same answers as on a ledger opened by a full replay (no snapshot at all).
    std::fs::remove_dir_all(dir.path().join(SNAPSHOT_DIR_NAME)).unwrap();
    let store = Store::open(dir.path(), by_hand()).unwrap();
    assert_eq!(store.open_report().snapshots.used, None);
    assert_eq!(store.state_digest(), after);
    assert_eq!(store.history(member(4), None, 50).unwrap(), page);
    store.close().unwrap();
}

#[test]
fn a_damaged_newest_snapshot_falls_back_to_an_older_one_then_to_a_full_replay() {
    let dir = Scratch::new("snapshot-fallback");
    let written = ledger(dir.path(), 6, &[1, 3]);
    let digest = full_replay_digest(dir.path());
    let (older, newer) = (written[0], written[1]);

    let mut bytes = std::fs::read(snapshot_path(dir.path(), newer)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(snapshot_path(dir.path(), newer), &bytes).unwrap();
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used.as_ref().map(|u| u.sequence), Some(older));
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].file, snapshot_name(newer));
    assert!(
        report.skipped[0].why.contains("hash does not match"),
        "{report:?}"
    );
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();

    // Cut short: no snapshot holds, so the whole journal is replayed, and both are named.
    let path = snapshot_path(dir.path(), older);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used, None);
    let files: Vec<_> = report.skipped.iter().map(|s| s.file.clone()).collect();
    assert_eq!(files, [snapshot_name(newer), snapshot_name(older)]);
    assert!(report.skipped[1].why.contains("cut short"), "{report:?}");
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
}

/// The file's hash is checked on a second thread while the state decodes: a file whose hash
/// fails is still refused for its hash, whatever else the damage broke (here the version
/// byte, which the hash covers, and the state's first byte).
#[test]
fn a_snapshot_whose_hash_fails_is_refused_for_its_hash_whatever_else_is_wrong() {
    let dir = Scratch::new("snapshot-hash-first");
    let written = ledger(dir.path(), 3, &[2]);
    let path = snapshot_path(dir.path(), written[0]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[4] ^= 0x40;
    bytes[88] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used, None);
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert!(
        report.skipped[0].why.contains("hash does not match"),
        "{report:?}"
    );
    store.close().unwrap();
}

#[test]
fn a_snapshot_in_an_older_state_encoding_is_passed_over_then_replaced() {
    let dir = Scratch::new("snapshot-old-encoding");
    let written = ledger(dir.path(), 3, &[2]);
    let digest = full_replay_digest(dir.path());
    let path = snapshot_path(dir.path(), written[0]);
    let current = std::fs::read(&path).unwrap();
    // The same state under state version 1 (bytes 8..12 of the state), its file hash whole:
    // what a build before version 2 wrote for this record.
    let (header, state) = ledger_store::snapshot::parse_file(&current).unwrap();
    let mut state = state.to_vec();
    state[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(&path, encode_file(&header, &state)).unwrap();

    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used, None, "{report:?}");
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert!(report.skipped[0].why.contains("version"), "{report:?}");
    assert_eq!(store.state_digest(), digest);
    // Writing the snapshot of the same record replaces the old file.
    assert_eq!(store.write_snapshot().unwrap().sequence, written[0]);
    store.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), current);
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used.as_ref().map(|u| u.sequence), Some(written[0]));
    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
}

#[test]
fn a_half_written_or_foreign_snapshot_is_ignored_and_reported() {
    let dir = Scratch::new("snapshot-foreign");
    let written = ledger(dir.path(), 4, &[1, 2]);
    let other = Scratch::new("snapshot-foreign-other");
    let store = new_store(other.path(), by_hand());
    store.create_transfers(services(1, 5), NOW + 1).unwrap();
    let other_written = [store.write_snapshot().unwrap().sequence];
    store.close().unwrap();
    // Another ledger's snapshot under the name of this ledger's newest: bound to a record
    // this journal does not hold.
    std::fs::copy(
        snapshot_path(other.path(), other_written[0]),
        snapshot_path(dir.path(), written[1]),
    )
    .unwrap();
    // And what a crash while writing one leaves.
    let creating = dir
        .path()
        .join(SNAPSHOT_DIR_NAME)
        .join(format!("{}.creating", snapshot_name(99)));
    std::fs::write(&creating, b"TBSS\x01 half").unwrap();
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let report = store.open_report().snapshots.clone();
    assert_eq!(report.used.as_ref().map(|u| u.sequence), Some(written[0]));
    let why = |file: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.file == file)
            .map(|s| s.why.clone())
            .unwrap_or_default()
    };
    assert!(
        why(&snapshot_name(written[1])).contains("another ledger"),
        "{report:?}"
    );
    assert!(
        why(&format!("{}.creating", snapshot_name(99))).contains("half-written"),
        "{report:?}"
    );
    assert_eq!(store.state_digest(), full_replay_digest(dir.path()));
    store.close().unwrap();
}

#[test]
fn a_clean_close_writes_a_snapshot_the_next_open_uses_and_keeps_two() {
    let dir = Scratch::new("snapshot-close");
    let always = options().snapshot_after_bytes(0);
    let store = new_store(dir.path(), always.clone());
    store.create_transfers(services(1, 20), NOW + 1).unwrap();
    store.close().unwrap();
    for round in 0..3u64 {
        let store = Store::open(dir.path(), always.clone()).unwrap();
        assert!(
            store.open_report().snapshots.used.is_some(),
            "round {round}"
        );
        store
            .create_transfers(services(1_000 * (round as u128 + 1), 5), NOW + 10 + round)
            .unwrap();
        let head = store.status().head_sequence;
        store.close().unwrap();
        assert!(snapshot_path(dir.path(), head).exists());
    }
    let kept = std::fs::read_dir(dir.path().join(SNAPSHOT_DIR_NAME))
        .unwrap()
        .count();
    assert_eq!(kept, ledger_store::snapshot::SNAPSHOTS_KEPT);
}

/// Disk access as the OS gives it, except that writing a snapshot file waits until the test
/// opens the gate (or 20 s pass, which the test counts as a failure).
#[derive(Debug, Default)]
struct GatedSnapshots {
    state: std::sync::Mutex<(bool, bool, bool)>,
    changed: std::sync::Condvar,
}

impl GatedSnapshots {
    /// (a snapshot write started, the gate is open, the wait timed out)
    fn state(&self) -> (bool, bool, bool) {
        *self.state.lock().unwrap()
    }

    fn open(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }
}

impl ledger_store::JournalIo for GatedSnapshots {
    fn read(&self, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        ledger_store::OsIo.read(path)
    }
    fn create(&self, path: &Path) -> std::io::Result<Box<dyn ledger_store::JournalFile>> {
        ledger_store::OsIo.create(path)
    }
    fn create_whole(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if path.parent().and_then(|p| p.file_name()) == Some(SNAPSHOT_DIR_NAME.as_ref()) {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            self.changed.notify_all();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while !state.1 {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    state.2 = true;
                    break;
                }
                state = self.changed.wait_timeout(state, left).unwrap().0;
            }
        }
        ledger_store::OsIo.create_whole(path, bytes)
    }
    fn remove(&self, path: &Path) -> std::io::Result<()> {
        ledger_store::OsIo.remove(path)
    }
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn ledger_store::JournalFile>> {
        ledger_store::OsIo.open_append(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Option<Vec<String>>> {
        ledger_store::OsIo.list(dir)
    }
    fn read_at(&self, path: &Path, offset: u64, out: &mut [u8]) -> std::io::Result<bool> {
        ledger_store::OsIo.read_at(path, offset, out)
    }
}

/// The snapshot a commit makes due is written on a thread of its own: the caller whose commit
/// crossed the threshold has its answer while the file is still being written, and later
/// commits go on meanwhile; closing waits for the file.
#[test]
fn the_commit_that_makes_a_snapshot_due_does_not_wait_for_its_writing() {
    let dir = Scratch::new("snapshot-unattended-thread");
    let gate = std::sync::Arc::new(GatedSnapshots::default());
    let gated = options()
        .segment_bytes(256 << 10)
        .snapshot_after_bytes(128 << 10)
        .io(gate.clone());
    let store = new_store(dir.path(), gated);
    let mut id = 1_000u128;
    let mut submit = |store: &Store| {
        let batch: Vec<Transfer> = (0..50).map(|i| service(id + i)).collect();
        store
            .create_transfers(batch, NOW + 1 + (id / 50) as u64)
            .unwrap();
        id += 50;
    };
    // Until the snapshot's writing has started (and waits at the gate): each submit returned.
    while !gate.state().0 {
        submit(&store);
        assert!(
            store.status().journal_bytes < 1 << 20,
            "no snapshot started"
        );
    }
    for _ in 0..5 {
        submit(&store);
    }
    let (_, opened, timed_out) = gate.state();
    assert!(
        !opened && !timed_out,
        "commits went on while the snapshot waited"
    );
    assert!(snapshot_files(dir.path()).is_empty());
    gate.open();
    let head = store.status().head_sequence;
    store.close().unwrap();
    assert!(
        !gate.state().2,
        "the snapshot was written when the gate opened"
    );
    let files = snapshot_files(dir.path());
    assert!(!files.is_empty(), "closing waited for the snapshot");
    let store = Store::open(dir.path(), options().segment_bytes(256 << 10)).unwrap();
    assert_eq!(store.status().head_sequence, head);
    assert!(store.open_report().snapshots.used.is_some());
    store.close().unwrap();
}

/// kill -9 while a thread writes snapshots back to back: every acknowledged transfer is there
/// after reopening, a half-written snapshot is reported and ignored, and the state opened from
/// a snapshot is the full replay's. 4 rounds by default, 40 with `TIMEBANK_LONG=1`.
/// The snapshot files in `dir`, by name.
fn snapshot_files(dir: &Path) -> Vec<String> {
    let (listed, _) = ledger_store::snapshot::list(&ledger_store::OsIo, dir).unwrap();
    listed.into_iter().map(|(_, name)| name).collect()
}

/// A host that never checkpoints and never closes cleanly (it crashes, or is killed) still
/// gets snapshots: once a segment's worth of journal (`segment_bytes`, here larger than
/// `snapshot_after_bytes`) was written without one, the commit that crosses it writes one, and
/// an open starts from it.
#[test]
fn a_host_that_never_checkpoints_gets_a_snapshot_every_segments_worth_of_journal() {
    let dir = Scratch::new("snapshot-unattended");
    const SEGMENT: u64 = 256 << 10;
    let options = || {
        options()
            .segment_bytes(SEGMENT)
            .snapshot_after_bytes(128 << 10)
    };
    let store = new_store(dir.path(), options());
    let mut id = 1_000u128;
    let mut written = 0;
    while snapshot_files(dir.path()).is_empty() {
        let batch: Vec<Transfer> = (0..50).map(|i| service(id + i)).collect();
        store
            .create_transfers(batch, NOW + 1 + (id / 50) as u64)
            .unwrap();
        id += 50;
        let bytes = store.status().journal_bytes;
        assert!(
            snapshot_files(dir.path()).is_empty() || bytes >= SEGMENT,
            "a snapshot at {bytes} bytes, before a segment's worth"
        );
        assert!(bytes < 4 * SEGMENT, "no snapshot after {bytes} bytes");
        written = bytes;
    }
    let unattended = snapshot_files(dir.path());
    assert_eq!(unattended.len(), 1);
    // A few more records, fewer than `snapshot_after_bytes`: the close writes none.
    store
        .create_transfers(vec![service(id)], NOW + 10_000)
        .unwrap();
    let digest = store.state_digest();
    store.close().unwrap();
    assert_eq!(snapshot_files(dir.path()), unattended);
    assert!(written >= SEGMENT);

    let store = Store::open(dir.path(), options()).unwrap();
    let report = store.open_report();
    assert_eq!(report.journal_read, ledger_store::JournalRead::Tail);
    assert_eq!(
        report.snapshots.used.as_ref().map(|u| u.file.clone()),
        unattended.first().cloned()
    );
    assert_eq!(store.state_digest(), digest);
    store.close().unwrap();
    assert_eq!(full_replay_digest(dir.path()), digest);
}

#[test]
fn sigkill_while_writing_snapshots_loses_nothing() {
    let rounds = match std::env::var("TIMEBANK_LONG").as_deref() {
        Ok("1") => 40,
        _ => 4,
    };
    let dir = Scratch::new("snapshot-kill9");
    let mut acked: Vec<u64> = vec![];
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let (mut half_written, mut used) = (0, 0);
    for round in 0..rounds {
        let first = 1 + round * 100_000_000;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let first = first.to_string();
        let args = [first.as_str(), "1048576", "snapshots"];
        acked.extend(kill_crash_writer(
            dir.path(),
            &args,
            Duration::from_millis(20 + rng % 200),
        ));
        let store = Store::open(dir.path(), options().snapshot_after_bytes(u64::MAX))
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        let report = store.open_report().snapshots.clone();
        used += usize::from(report.used.is_some());
        // Passed over: a file whose writing the kill cut short, or one newer than the index's
        // mark (sled had not flushed it), which the older snapshot and a replay replace.
        for skipped in &report.skipped {
            let half = skipped.why.contains("half-written");
            let ahead = skipped.why.contains("where the index stands");
            assert!(half || ahead, "round {round}: {report:?}");
            half_written += usize::from(half);
        }
        for &id in &acked {
            assert!(
                store.transfer(tid(u128::from(id))).unwrap().is_some(),
                "round {round}: {id} lost"
            );
        }
        let digest = store.state_digest();
        store.close().unwrap();
        assert_eq!(digest, full_replay_digest(dir.path()), "round {round}");
    }
    assert!(used > 0, "no open started from a snapshot");
    eprintln!(
        "{rounds} kills, {} transfers acknowledged, {half_written} half-written snapshots",
        acked.len()
    );
}

#[test]
fn verify_reads_the_journal_in_pieces_for_snapshots_and_names_the_same_faults() {
    use ledger_store::snapshot::{parse_file, verify_snapshots};
    use ledger_store::{CorruptionReason, Error};
    let dir = Scratch::new("snapshot-verify-pieces");
    // Segments of about a kibibyte: the snapshots' records lie in different segments.
    let store = Store::create(
        dir.path(),
        &Policy::default_policy(),
        NOW,
        by_hand().segment_bytes(1_024),
    )
    .unwrap();
    store.create_accounts(accounts(), NOW).unwrap();
    let mut written = Vec::new();
    for b in 0..12u128 {
        store
            .create_transfers(services(1_000 + b * 10, 10), NOW + 1 + b as u64)
            .unwrap();
        if b == 3 || b == 10 {
            written.push(store.write_snapshot().unwrap().sequence);
        }
    }
    store.close().unwrap();
    let segments = std::fs::read_dir(dir.path().join("journal"))
        .unwrap()
        .count();
    assert!(segments > 3, "{segments} segments");
    assert_eq!(verify_snapshots(dir.path(), &[]).unwrap(), 2);

    let named = |e: Error| match e {
        Error::Corrupted(c) => match c.reason {
            CorruptionReason::Snapshot { file, why } => (file, why),
            other => panic!("not a snapshot fault: {other:?}"),
        },
        other => panic!("not corruption: {other}"),
    };
    // A sound file under a name past the journal's last record.
    let newest = std::fs::read(snapshot_path(dir.path(), written[1])).unwrap();
    let (header, state) = parse_file(&newest).unwrap();
    let past = SnapshotHeader {
        sequence: 10_000,
        frontier: vec![[0; 32]; 10_001u64.count_ones() as usize],
        ..header.clone()
    };
    std::fs::write(snapshot_path(dir.path(), 10_000), encode_file(&past, state)).unwrap();
    let (file, why) = named(verify_snapshots(dir.path(), &[]).unwrap_err());
    assert_eq!(file, snapshot_name(10_000));
    assert!(why.contains("past the journal's last"), "{why}");
    std::fs::remove_file(snapshot_path(dir.path(), 10_000)).unwrap();

    // Bound to another hash than the journal's record holds.
    let rebound = SnapshotHeader {
        record_hash: [7; 32],
        ..header.clone()
    };
    std::fs::write(
        snapshot_path(dir.path(), written[1]),
        encode_file(&rebound, state),
    )
    .unwrap();
    let (file, why) = named(verify_snapshots(dir.path(), &[]).unwrap_err());
    assert_eq!(file, snapshot_name(written[1]));
    assert!(why.contains("rewritten history"), "{why}");
    std::fs::write(snapshot_path(dir.path(), written[1]), &newest).unwrap();

    // A torn tail: the journal is read as one image instead, to the same answer.
    let last = std::fs::read_dir(dir.path().join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    std::io::Write::write_all(&mut file, b"TBJR").unwrap();
    assert_eq!(verify_snapshots(dir.path(), &[]).unwrap(), 2);

    // Another Merkle frontier, the file's hash made whole again: found read from the image,
    // and (the torn bytes cut) read in pieces.
    let mut frontier = header.frontier.clone();
    frontier[0][0] ^= 1;
    let refronted = SnapshotHeader { frontier, ..header };
    std::fs::write(
        snapshot_path(dir.path(), written[1]),
        encode_file(&refronted, state),
    )
    .unwrap();
    for cut in [false, true] {
        if cut {
            let len = std::fs::metadata(&last).unwrap().len();
            file.set_len(len - 4).unwrap();
        }
        let (file, why) = named(verify_snapshots(dir.path(), &[]).unwrap_err());
        assert_eq!(file, snapshot_name(written[1]));
        assert!(why.contains("Merkle frontier"), "{why}");
    }
    // An open does not read what the frontier is checked against; the first proof does.
    let store = Store::open(dir.path(), by_hand()).unwrap();
    let size = store.tree_size();
    assert!(store.inclusion_proof(0, size).is_err());
}
