//! Helpers shared by the store's integration tests: scratch directories and a small ledger.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use ledger_core::{
    AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferFlags, TransferId, Unit,
};
use ledger_store::{Store, StoreOptions};

pub const HOURS: u16 = 1;
pub const NOW: u64 = 1_767_225_600_000_000_000;
pub const KEY: [u8; 32] = [0x5a; 32];
pub const FUND: u128 = 1;
pub const MEMBERS: u128 = 8;

/// A directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "ledger-store-test-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn policy() -> Policy {
    Policy::units_only(vec![Unit::new(HOURS, "hours", 2)])
}

pub fn account(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

pub fn tid(n: u128) -> TransferId {
    TransferId::new(n).unwrap()
}

/// A fund and `MEMBERS` members (ids 1 and 100..100+MEMBERS).
pub fn accounts() -> Vec<NewAccount> {
    let mut all = vec![NewAccount::new(account(FUND), HOURS, AccountKind::Issuer)];
    for m in 0..MEMBERS {
        all.push(NewAccount::new(account(100 + m), HOURS, AccountKind::Member).community(7));
    }
    all
}

/// A service of `hundredths` paid by the fund to member `m`.
pub fn service(id: u128, m: u128, hundredths: u64) -> Transfer {
    Transfer::new(
        tid(id),
        account(FUND),
        account(100 + m % MEMBERS),
        Amount::from_minor(hundredths, 2).unwrap(),
        HOURS,
    )
    .code(1)
}

/// A hold from member to member that expires after `timeout_s`.
pub fn hold(id: u128, from: u128, to: u128, timeout_s: u32) -> Transfer {
    Transfer::new(
        tid(id),
        account(100 + from),
        account(100 + to),
        Amount::from_minor(5, 2).unwrap(),
        HOURS,
    )
    .flags(TransferFlags::PENDING)
    .timeout_s(timeout_s)
}

/// A batch of `n` services with ids from `first`.
pub fn services(first: u128, n: usize) -> Vec<Transfer> {
    (0..n as u128)
        .map(|i| service(first + i, first + i, 1 + ((first + i) % 300) as u64))
        .collect()
}

pub fn options() -> StoreOptions {
    StoreOptions::default().checkpoint_key(KEY)
}

/// A new store in `dir` with the fund and members created.
pub fn new_store(dir: &Path, options: StoreOptions) -> Store {
    let store = Store::create(dir, &policy(), NOW, options).unwrap();
    store.create_accounts(accounts(), NOW).unwrap();
    store
}

/// A status without the index's progress (which moves on its own thread).
pub fn durable(status: ledger_store::Status) -> ledger_store::Status {
    ledger_store::Status {
        indexed_sequence: 0,
        ..status
    }
}

/// Segment 1 of a data directory's journal (the whole journal while it is under a segment).
pub const JOURNAL_FILE_NAME: &str = "journal/00000001.tbj";

/// The records of the segment file at `path` (its header left out): the journal image when the
/// ledger has one segment.
pub fn read_records(path: impl AsRef<Path>) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes[ledger_store::SEGMENT_HEADER_BYTES..].to_vec())
}

/// Writes `records` into the segment file at `path`, after the header it has (segment 1's when
/// it has none).
pub fn write_records(path: impl AsRef<Path>, records: impl AsRef<[u8]>) -> std::io::Result<()> {
    let header = match std::fs::read(path.as_ref()) {
        Ok(bytes) if bytes.len() >= ledger_store::SEGMENT_HEADER_BYTES => {
            bytes[..ledger_store::SEGMENT_HEADER_BYTES].to_vec()
        }
        _ => first_segment_header(),
    };
    if let Some(dir) = path.as_ref().parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, [header.as_slice(), records.as_ref()].concat())
}

/// Segment 1's header (it binds to the genesis).
pub fn first_segment_header() -> Vec<u8> {
    ledger_store::segment::SegmentHeader {
        index: 1,
        first_sequence: 0,
        prev_hash: [0; 32],
    }
    .encode()
    .to_vec()
}

/// Runs the crash writer (`src/bin/crash-writer.rs`) on `dir` with `args` after the directory
/// (first transfer id, then its optional arguments), lets it write for `write_for`, SIGKILLs it,
/// and returns the ids of the transfers it acknowledged before it died.
pub fn kill_crash_writer(dir: &Path, args: &[&str], write_for: std::time::Duration) -> Vec<u64> {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    assert!(ready.starts_with("ready"), "{ready}");
    std::thread::sleep(write_for);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mut acked = Vec::new();
    for line in lines {
        let line = line.unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words[0], "ack", "{line}");
        let first: u64 = words[2].parse().unwrap();
        let count: u64 = words[3].parse().unwrap();
        acked.extend(first..first + count);
    }
    acked
}

/// The ledger in `dir` opened by a read of its whole journal as one image, the reference the
/// faster opens are compared with: a copy of its segments (no index, no snapshot), moved out of
/// a fresh data directory into archive storage (`StoreOptions::segments_from`), the newest one
/// too, opened read-only. The tail and the pieces read only a journal whose newest segment is in
/// the data directory (the one a store appends to), which a read-only open does not need; it
/// then reads the whole journal as one image. The copy goes with the `Scratch`.
pub fn open_whole(dir: &Path, options: StoreOptions) -> (Store, Scratch) {
    let copy = Scratch::new("whole-image");
    let (data, archive) = (copy.path().join("data"), copy.path().join("archive"));
    std::fs::create_dir_all(data.join("journal")).unwrap();
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::write(data.join("LOCK"), b"").unwrap();
    for entry in std::fs::read_dir(dir.join("journal")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), archive.join(entry.file_name())).unwrap();
    }
    let store = Store::open(&data, options.read_only().segments_from(&archive)).unwrap();
    let report = store.open_report();
    assert_eq!(report.journal_read, ledger_store::JournalRead::Image);
    assert!(report.snapshots.used.is_none());
    (store, copy)
}

/// Copies directory `from` into `to` (created), subdirectories included.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
