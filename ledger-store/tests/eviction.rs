//! A store that evicts old transfers to its index (`StoreOptions::resident_transfers`) answers
//! every command as one that keeps them all in memory: retries of old ids, posts and voids of
//! old holds, reversals of old transfers, expiries; after a reopen from a snapshot, after a
//! reopen by full replay, and after the index was deleted and rebuilt. Its memory holds about
//! the newest transfers only, and `Store::transfer` still finds every one.

mod support;

use std::path::Path;

use ledger_core::{Command, Reply, Transfer};
use ledger_store::file::OsIo;
use ledger_store::replay_spill::{replay_spilling, Spilling};
use ledger_store::segment::read_journal;
use ledger_store::snapshot::SNAPSHOT_DIR_NAME;
use ledger_store::{verify_dir_with_index, Store, StoreOptions, INDEX_DIR_NAME};
use support::*;

/// Transfers the evicting store keeps in memory (eviction runs every 4,096 transfers).
const KEEP: usize = 100;

/// A deterministic source of choices (xorshift64*).
struct Choices(u64);

impl Choices {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Services and holds, and in every batch events naming older transfers.
struct Workload {
    choices: Choices,
    next_id: u128,
    sent: Vec<Transfer>,
    holds: Vec<u128>,
}

impl Workload {
    fn fresh(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn earlier(&mut self) -> Transfer {
        let at = self.choices.below(self.sent.len() as u64) as usize;
        self.sent[at].clone()
    }

    fn event(&mut self) -> Transfer {
        let roll = self.choices.below(100);
        let t = match roll {
            _ if self.sent.len() < 50 || roll < 70 => {
                let id = self.fresh();
                service(id, id, 1 + (id % 50) as u64)
            }
            70..=79 => {
                let id = self.fresh();
                self.holds.push(id);
                let (from, to) = (id % MEMBERS, (id + 1) % MEMBERS);
                hold(id, from, to, (id % 3) as u32)
            }
            80..=85 => {
                let at = self.choices.below(self.holds.len().max(1) as u64) as usize;
                let pending = tid(*self.holds.get(at).unwrap_or(&1));
                let id = tid(self.fresh());
                match roll % 2 {
                    0 => Transfer::post(id, pending, None),
                    _ => Transfer::void(id, pending),
                }
            }
            86..=91 => Transfer::reversal(tid(self.fresh()), self.earlier().id),
            // A retry of an old event, as sent.
            _ => self.earlier(),
        };
        self.sent.push(t.clone());
        t
    }

    fn command(&mut self) -> Command {
        if self.choices.below(40) == 0 {
            return Command::Expire;
        }
        let len = 200 + self.choices.below(300) as usize;
        Command::CreateTransfers((0..len).map(|_| self.event()).collect())
    }
}

fn evicting() -> StoreOptions {
    options().any_time().resident_transfers(KEEP)
}

/// Runs `commands` of the workload on both stores at the same times; every answer the same.
fn run_both(work: &mut Workload, evicting: &Store, keeping: &Store, commands: usize, at: &mut u64) {
    for n in 0..commands {
        *at += 1_000_000_000;
        let command = work.command();
        let expected = keeping.submit(command.clone(), *at).map(|c| c.reply);
        let got = evicting.submit(command.clone(), *at).map(|c| c.reply);
        match (&got, &expected, &command) {
            (Ok(Reply::Events(got)), Ok(Reply::Events(expected)), Command::CreateTransfers(t)) => {
                let differs = got.iter().zip(expected).position(|(g, e)| g != e);
                if let Some(i) = differs {
                    panic!(
                        "command {n}, event {i} ({:?}): {:?}, expected {:?}",
                        t[i], got[i], expected[i]
                    );
                }
            }
            _ => assert_eq!(format!("{got:?}"), format!("{expected:?}"), "command {n}"),
        }
    }
    let digest = |store: &Store| store.read(|l| l.state_digest());
    assert_eq!(digest(evicting), digest(keeping));
}

fn resident(store: &Store) -> (usize, usize, usize) {
    store.read(|l| {
        (
            l.resident_transfer_count(),
            l.transfer_count(),
            l.pending_count(),
        )
    })
}

/// Every transfer of `keeping`, as `evicting` finds it (memory or index).
fn same_records(evicting: &Store, keeping: &Store) {
    let all: Vec<_> = keeping.read(|l| l.transfers().cloned().collect());
    for record in all {
        let found = evicting.transfer(record.id()).unwrap();
        assert_eq!(found.as_ref(), Some(&record), "transfer {}", record.id());
    }
}

fn open(dir: &Path) -> Store {
    Store::open(dir, evicting()).unwrap()
}

#[test]
fn an_evicting_store_answers_as_one_that_keeps_everything_across_reopens() {
    let (a, b) = (Scratch::new("evicting"), Scratch::new("keeping"));
    let mut evicting_store = new_store(a.path(), evicting());
    let keeping = new_store(b.path(), options().any_time());
    let mut work = Workload {
        choices: Choices(0x9e37_79b9_7f4a_7c15),
        next_id: 10,
        sent: Vec::new(),
        holds: Vec::new(),
    };
    let mut at = NOW;
    run_both(&mut work, &evicting_store, &keeping, 60, &mut at);
    let (in_memory, all, pending) = resident(&evicting_store);
    assert!(all > 4 * 4096, "{all} transfers");
    assert!(
        in_memory <= KEEP + 2 * 4096 + pending,
        "{in_memory} of {all} transfers in memory, {pending} pending"
    );
    same_records(&evicting_store, &keeping);

    // From a snapshot whose state holds only the newest transfers.
    evicting_store.write_snapshot().unwrap();
    run_both(&mut work, &evicting_store, &keeping, 10, &mut at);
    evicting_store.close().unwrap();
    evicting_store = open(a.path());
    assert!(
        evicting_store.open_report().snapshots.used.is_some(),
        "opened from the snapshot"
    );
    run_both(&mut work, &evicting_store, &keeping, 20, &mut at);

    // By a full replay, which evicts as it goes.
    evicting_store.close().unwrap();
    std::fs::remove_dir_all(a.path().join(SNAPSHOT_DIR_NAME)).unwrap();
    evicting_store = open(a.path());
    run_both(&mut work, &evicting_store, &keeping, 20, &mut at);

    // With the index deleted: rebuilt by a replay, the evicted transfers are found again.
    evicting_store.close().unwrap();
    std::fs::remove_dir_all(a.path().join(INDEX_DIR_NAME)).unwrap();
    evicting_store = open(a.path());
    run_both(&mut work, &evicting_store, &keeping, 20, &mut at);
    same_records(&evicting_store, &keeping);
    let (in_memory, all, pending) = resident(&evicting_store);
    assert!(
        in_memory <= KEEP + 2 * 4096 + pending,
        "{in_memory} of {all}"
    );

    // The whole ledger verifies, index and snapshots included.
    evicting_store.write_snapshot().unwrap();
    evicting_store.close().unwrap();
    let key = options().checkpoint_key;
    let (_, index_difference) =
        verify_dir_with_index(a.path(), &[], key.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(index_difference, None);
}

/// Services under the default policy, paid by the fund to six members.
fn services_of_default_policy(first: u128, n: u128) -> Vec<Transfer> {
    (first..first + n)
        .map(|id| {
            Transfer::new(
                tid(id),
                account(FUND),
                account(100 + id % 6),
                ledger_core::Amount::from_minor(1, 2).unwrap(),
                HOURS,
            )
            .code(101)
        })
        .collect()
}

#[test]
fn a_first_cap_needs_every_transfer_and_a_replay_holds_them_until_it() {
    use ledger_core::policy::{Cap, Excess, Period};
    use ledger_core::{AccountKind, Amendment, BatchError, NewAccount, Policy};
    use ledger_store::Error;

    let dir = Scratch::new("first-cap");
    let store = Store::create(dir.path(), &Policy::default_policy(), NOW, evicting()).unwrap();
    let mut members = vec![NewAccount::new(account(FUND), HOURS, AccountKind::Issuer)];
    members.extend((0..6).map(|m| NewAccount::new(account(100 + m), HOURS, AccountKind::Member)));
    store.create_accounts(members, NOW).unwrap();
    for batch in 0..3 {
        let first = 1_000 + batch * 8_000;
        let at = NOW + 1 + batch as u64;
        store
            .create_transfers(services_of_default_policy(first, 8_000), at)
            .unwrap();
    }
    assert!(store.read(|l| l.evicted_transfer_count()) > 0);
    let mut capped = Policy::default_policy();
    capped.caps.push(Cap {
        unit: HOURS,
        period: Period::Lifetime,
        limit: "1000".parse().unwrap(),
        excess: Excess::Reject,
    });
    let amend = |at: u64| {
        Command::AmendPolicy(Amendment {
            from: at,
            policy: capped.clone(),
        })
    };
    let at = NOW + 1_000_000_000;
    match store.submit(amend(at), at) {
        Err(Error::Batch(BatchError::HistoryEvicted)) => {}
        other => panic!("a first cap over evicted transfers: {other:?}"),
    }
    store.write_snapshot().unwrap();
    store.close().unwrap();

    // Keeping every transfer, the store passes over the snapshot that let them go, and the
    // amendment applies.
    let store = Store::open(dir.path(), options().any_time()).unwrap();
    assert!(store.open_report().snapshots.used.is_none());
    assert!(store.open_report().snapshots.skipped[0]
        .why
        .contains("keeps every transfer"));
    assert_eq!(store.read(|l| l.evicted_transfer_count()), 0);
    store.submit(amend(at), at).unwrap();
    store
        .create_transfers(services_of_default_policy(100_000, 10), at + 1)
        .unwrap();
    let digest = store.read(|l| l.state_digest());
    store.close().unwrap();

    // Evicting again, a replay keeps every transfer up to the amendment, then lets them go.
    for rebuild in [false, true] {
        if rebuild {
            std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
        }
        let store = open(dir.path());
        assert_eq!(
            store.read(|l| l.state_digest()),
            digest,
            "rebuild {rebuild}"
        );
        assert!(store.read(|l| l.evicted_transfer_count()) > 0);
        store.close().unwrap();
    }

    // A spilling replay (`timebank verify --replay`) starts again once, keeping every
    // transfer up to the amendment.
    let bytes = journal_bytes(dir.path());
    let scratch = Scratch::new("spill-amend");
    let (replayed, spilled) = replay_spilling(
        &bytes,
        None,
        &tiny(&scratch),
        &mut |_| {},
        &mut |_, _, _, _| {},
    )
    .unwrap();
    let report = spilled.report;
    assert_eq!(replayed.ledger.state_digest(), digest);
    assert_eq!(report.restarts, 1, "{report:?}");
    assert!(report.evicted > 0, "{report:?}");
}

fn journal_bytes(dir: &Path) -> Vec<u8> {
    read_journal(&OsIo, dir, &[]).unwrap().bytes
}

/// A spilling replay that keeps 100 transfers and writes a run every 2,000 versions.
fn tiny(scratch: &Scratch) -> Spilling {
    Spilling {
        resident_transfers: 100,
        run_versions: 2_000,
        scratch: scratch.path().to_path_buf(),
    }
}

#[test]
fn a_spilling_replay_loads_back_what_it_let_go_and_leaves_no_scratch_file() {
    let dir = Scratch::new("spill-keeping");
    let keeping = new_store(dir.path(), options().any_time());
    let mut work = Workload {
        choices: Choices(0x2545_f491_4f6c_dd1d),
        next_id: 10,
        sent: Vec::new(),
        holds: Vec::new(),
    };
    let mut at = NOW;
    for _ in 0..60 {
        at += 1_000_000_000;
        keeping.submit(work.command(), at).unwrap();
    }
    let digest = keeping.read(|l| l.state_digest());
    keeping.close().unwrap();
    let bytes = journal_bytes(dir.path());

    // Retries, reversals, posts and voids of transfers long evicted: each outcome equals the
    // recorded one only when the version loaded back is the right one.
    let scratch = Scratch::new("spill");
    let (replayed, spilled) = replay_spilling(
        &bytes,
        None,
        &tiny(&scratch),
        &mut |_| {},
        &mut |_, _, _, _| {},
    )
    .unwrap();
    let report = spilled.report;
    assert_eq!(replayed.ledger.state_digest(), digest);
    assert!(report.runs >= 3 && report.loaded >= 100, "{report:?}");
    assert_eq!(report.restarts, 0);
    assert!(replayed.ledger.resident_transfer_count() < replayed.ledger.transfer_count() / 2);
    let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}");

    // Where no scratch directory can be made, an I/O error, not damage of the journal.
    let nowhere = Spilling {
        scratch: scratch.path().join("missing"),
        ..tiny(&scratch)
    };
    match replay_spilling(&bytes, None, &nowhere, &mut |_| {}, &mut |_, _, _, _| {}) {
        Err(ledger_store::Error::Io(_)) => {}
        other => panic!(
            "a scratch directory that cannot be made: {:?}",
            other.map(|r| r.1)
        ),
    }
}

#[test]
fn old_transfers_are_rated_and_reversed_after_a_reopen_as_when_kept() {
    use ledger_core::{AccountKind, NewAccount, Policy, Rating, ResultCode};

    let (a, b) = (Scratch::new("rate-evicting"), Scratch::new("rate-keeping"));
    let evicting = Store::create(a.path(), &Policy::default_policy(), NOW, evicting()).unwrap();
    let keeping = Store::create(b.path(), &Policy::default_policy(), NOW, options()).unwrap();
    for store in [&evicting, &keeping] {
        let mut members = vec![NewAccount::new(account(FUND), HOURS, AccountKind::Issuer)];
        members
            .extend((0..6).map(|m| NewAccount::new(account(100 + m), HOURS, AccountKind::Member)));
        store.create_accounts(members, NOW).unwrap();
        for batch in 0..3 {
            let first = 1_000 + batch * 3_000;
            let services = services_of_default_policy(first, 3_000);
            store
                .create_transfers(services, NOW + 1 + batch as u64)
                .unwrap();
        }
    }
    let evicting_dir = a.path().to_path_buf();
    evicting.close().unwrap();
    let evicting = Store::open(&evicting_dir, self::evicting()).unwrap();
    assert!(
        evicting.read(|l| l.transfer(tid(1_005)).is_none()),
        "transfer 1005 was evicted"
    );
    let rate = |n| {
        Command::RecordRatings(vec![Rating {
            transfer: tid(n),
            rating: 5,
        }])
    };
    let commands = [
        rate(1_005),
        rate(1_005),
        Command::CreateTransfers(vec![Transfer::reversal(tid(50_000), tid(1_006))]),
        Command::CreateTransfers(vec![Transfer::reversal(tid(50_001), tid(1_006))]),
        // A retry of an old service, and one with another amount.
        Command::CreateTransfers(services_of_default_policy(1_007, 1)),
    ];
    let mut codes = Vec::new();
    for (n, command) in commands.into_iter().enumerate() {
        let at = NOW + 100 + n as u64;
        let expected = keeping.submit(command.clone(), at).unwrap().events()[0].code;
        let got = evicting.submit(command, at).unwrap().events()[0].code;
        assert_eq!(got, expected, "command {n}");
        codes.push(got);
    }
    assert_eq!(
        codes,
        [
            ResultCode::Ok,
            ResultCode::AlreadyRated,
            ResultCode::Ok,
            ResultCode::AlreadyReversed,
            ResultCode::Exists
        ]
    );
    assert_eq!(
        evicting.read(|l| l.state_digest()),
        keeping.read(|l| l.state_digest())
    );
}

/// kill -9 of a writer that evicts old transfers to its index (and writes snapshots and rolls
/// segments, so that reopening reads only the journal's tail): after every kill, each
/// acknowledged transfer is found, the state is the full replay's, and at the end a retry of
/// old acknowledged transfers is answered `exists`, as when they were kept in memory. 2 rounds
/// by default, 30 with `TIMEBANK_LONG=1`.
#[test]
fn sigkill_of_an_evicting_writer_loses_nothing() {
    use std::time::Duration;

    use ledger_core::{AccountId, Amount, ResultCode, TransferId};
    use ledger_store::verify_dir;

    let rounds = match std::env::var("TIMEBANK_LONG").as_deref() {
        Ok("1") => 30,
        _ => 2,
    };
    let dir = Scratch::new("eviction-kill9");
    let reopen = || options().any_time().resident_transfers(KEEP);
    let (mut acked, mut evicted): (Vec<u64>, u64) = (vec![], 0);
    for round in 0..rounds {
        let first = 1 + round * 100_000_000;
        let (first, keep) = (first.to_string(), KEEP.to_string());
        let args = [first.as_str(), "1048576", "snapshots", keep.as_str()];
        let write_for = Duration::from_millis(300 + 200 * round);
        acked.extend(kill_crash_writer(dir.path(), &args, write_for));
        let store = Store::open(dir.path(), reopen())
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        evicted = evicted.max(store.read(|l| l.evicted_transfer_count()));
        for &id in &acked {
            assert!(
                store.transfer(tid(u128::from(id))).unwrap().is_some(),
                "round {round}: {id} lost"
            );
        }
        let digest = store.state_digest();
        store.close().unwrap();
        let replayed = verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
        assert_eq!(digest, replayed.state_digest, "round {round}");
    }
    assert!(evicted > 0, "no reopen held evicted transfers");
    // Old acknowledged transfers, sent again exactly as the writer sent them.
    let store = Store::open(dir.path(), reopen()).unwrap();
    let again: Vec<Transfer> = acked
        .iter()
        .step_by(acked.len() / 50 + 1)
        .map(|&n| {
            Transfer::new(
                TransferId::new(u128::from(n)).unwrap(),
                AccountId::new(1).unwrap(),
                AccountId::new(100 + u128::from(n) % 16).unwrap(),
                Amount::from_minor(1 + n % 500, 2).unwrap(),
                1,
            )
        })
        .collect();
    let done = store.create_transfers(again, NOW + 10_000_000_000).unwrap();
    assert!(
        done.events().iter().all(|e| e.code == ResultCode::Exists),
        "{:?}",
        done.events()
    );
    store.close().unwrap();
    eprintln!(
        "{rounds} kills, {} transfers acknowledged, up to {evicted} evicted at a reopen",
        acked.len()
    );
}
