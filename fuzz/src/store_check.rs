//! `store_faults`: the store on a simulated disk ([`SimDisk`]) whose writes fail after a
//! countdown and which loses power at chosen moments, dropping, cutting short or garbling what
//! was written after the last sync. After every reboot each acknowledged transfer is present
//! exactly as acknowledged, the head is at or past the last acknowledged record, and the journal
//! (and the index) verify.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use ledger_core::{Command, Policy, ResultCode, TransferId, TransferRecord};
use ledger_store::{CrashMode, SimDisk, Store, StoreOptions};

use crate::engine_check;
use crate::scenario::{Scenario, NOW_START};

#[derive(Arbitrary, Debug)]
pub struct StoreInput {
    pub faults: Vec<Fault>,
    pub scenario: Scenario,
}

/// Something that happens to the disk just before step `step` (modulo the step count).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Fault {
    pub step: u8,
    pub action: FaultAction,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FaultAction {
    /// After this many more appends or syncs (modulo 6), every one fails.
    FailAfter(u8),
    Reboot(Crash),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Crash {
    /// A clean shutdown and reopen.
    Clean,
    Drop,
    Keep(u16),
    Garble(u64),
}

/// Most faults per input: each reboot opens sled, which is the slow part.
const FAULTS_MAX: usize = 6;

pub fn run(data: &[u8]) {
    let Ok(input) = StoreInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let dir = Scratch::new();
    check(&input, &dir.0);
}

/// A directory for the index that is removed afterwards (the journal lives on the `SimDisk`).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("timebank-fuzz-store-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch directory");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the store acknowledged: the last durable sequence and every transfer applied.
#[derive(Default)]
struct Acked {
    sequence: u64,
    transfers: BTreeMap<TransferId, TransferRecord>,
}

fn check(input: &StoreInput, dir: &std::path::Path) {
    let (units, _, log) = engine_check::run_checked(&input.scenario);
    let disk = SimDisk::new();
    // The fuzzer's clock values are arbitrary: the time guard would refuse most of them.
    let options = || {
        StoreOptions::default()
            .io(Arc::new(disk.clone()))
            .any_time()
    };
    let policy = Policy::units_only(units);
    let mut store =
        Store::create(dir, &policy, NOW_START, options()).expect("create on a sound disk");
    let mut acked = Acked::default();
    let faults: Vec<Fault> = input.faults.iter().take(FAULTS_MAX).copied().collect();
    for (i, (command, now, _)) in log.iter().enumerate() {
        for fault in faults
            .iter()
            .filter(|f| usize::from(f.step) % (log.len() + 1) == i)
        {
            store = apply_fault(store, fault.action, &disk, dir, &options, &acked);
        }
        submit(&store, command, *now, &mut acked);
    }
    let store = reboot(store, Crash::Drop, &disk, dir, &options, &acked);
    store.close().expect("a clean close");
}

fn submit(store: &Store, command: &Command, now: u64, acked: &mut Acked) {
    let Ok(committed) = store.submit(command.clone(), now) else {
        return;
    };
    assert!(committed.sequence > acked.sequence, "sequence numbers grow");
    acked.sequence = committed.sequence;
    if let Command::CreateTransfers(batch) = command {
        for (t, r) in batch.iter().zip(committed.events()) {
            if r.code == ResultCode::Ok {
                let record = store
                    .transfer(t.id)
                    .expect("the index reads")
                    .expect("an applied transfer is readable");
                acked.transfers.insert(t.id, record);
            }
        }
    }
}

fn apply_fault(
    store: Store,
    action: FaultAction,
    disk: &SimDisk,
    dir: &std::path::Path,
    options: &dyn Fn() -> StoreOptions,
    acked: &Acked,
) -> Store {
    match action {
        FaultAction::FailAfter(n) => {
            disk.fail_after(u64::from(n % 6));
            store
        }
        FaultAction::Reboot(crash) => reboot(store, crash, disk, dir, options, acked),
    }
}

fn reboot(
    store: Store,
    crash: Crash,
    disk: &SimDisk,
    dir: &std::path::Path,
    options: &dyn Fn() -> StoreOptions,
    acked: &Acked,
) -> Store {
    // A poisoned store may fail to close cleanly; power loss does not ask.
    let _ = store.close();
    match crash {
        Crash::Clean => {}
        Crash::Drop => disk.crash(CrashMode::DropUnsynced),
        Crash::Keep(n) => disk.crash(CrashMode::KeepUnsynced(usize::from(n))),
        Crash::Garble(seed) => disk.crash(CrashMode::GarbleUnsynced { seed }),
    }
    disk.heal();
    let store = Store::open(dir, options())
        .unwrap_or_else(|e| panic!("reopening after {crash:?} failed: {e}"));
    let status = store.status();
    assert!(
        status.head_sequence >= acked.sequence,
        "acknowledged record {} lost after {crash:?} (head {})",
        acked.sequence,
        status.head_sequence
    );
    for (id, record) in &acked.transfers {
        // What a transfer was is fixed; where it stands (a hold posted, a transfer reversed)
        // may have moved on through later commands.
        let found = store
            .transfer(*id)
            .expect("the index reads")
            .unwrap_or_else(|| panic!("acknowledged transfer {id} lost after {crash:?}"));
        let fixed = |t: &TransferRecord| {
            let ids = (t.debit_account_id, t.credit_account_id);
            (t.request(), ids, t.unit, t.code, t.amount, t.timestamp)
        };
        assert_eq!(
            fixed(&found),
            fixed(record),
            "acknowledged transfer {id} after {crash:?}"
        );
    }
    let report = store
        .verify(&mut |_| {})
        .unwrap_or_else(|e| panic!("the journal does not verify after {crash:?}: {e}"));
    assert_eq!(report.head_sequence, status.head_sequence);
    assert_eq!(report.state_digest, store.state_digest());
    store
}
