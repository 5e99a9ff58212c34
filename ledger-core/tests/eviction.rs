//! A ledger that evicts its old transfers to a host's store, and loads back what each command
//! names, answers every command exactly as one that keeps every transfer: the same replies, the
//! same state digest after each command, the same records. Retries of old ids (same fields or
//! not), posts, voids and reversals of old transfers, ratings, expiries, linked chains that fail,
//! and new ids far from the others (which the filter of evicted ids may think it saw) are all in
//! the mix. Snapshots of the
//! evicting ledger decode to the same state and go on the same way.

mod engine_support;

use std::collections::HashMap;

use engine_support::*;
use ledger_core::history::HISTORY_CHUNK_TRANSFERS;
use ledger_core::snapshot::{decode, decode_digested, digest, encode};
use ledger_core::{
    Attribution, BatchError, Command, Ledger, Rating, Transfer, TransferId, TransferRecord,
    TransferState,
};

/// Transfers kept in memory after each eviction, besides the unchained tail and pending holds.
const KEEP: usize = 300;

/// A deterministic source of choices (xorshift64*).
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The commands of one run: mostly payments and holds, and in every batch some events naming
/// older transfers.
struct Workload {
    choices: Choices,
    next_id: u128,
    requests: Vec<Transfer>,
    holds: Vec<u128>,
}

impl Workload {
    fn new(seed: u64) -> Workload {
        Workload {
            choices: Choices(seed),
            next_id: 1,
            requests: Vec::new(),
            holds: Vec::new(),
        }
    }

    fn fresh(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    /// An id applied (or refused) earlier, or a new one when there is none.
    fn earlier(&mut self) -> Option<Transfer> {
        if self.requests.is_empty() {
            return None;
        }
        let at = self.choices.below(self.requests.len() as u64) as usize;
        Some(self.requests[at].clone())
    }

    fn event(&mut self) -> Transfer {
        let t = match self.choices.below(100) {
            0..=59 => pay(self.fresh(), FUND, ALICE, "0.01"),
            60..=71 => {
                let id = self.fresh();
                self.holds.push(id);
                let timeout = if self.choices.below(3) == 0 { 1 } else { 0 };
                hold(id, FUND, BOB, "0.02").timeout_s(timeout)
            }
            72..=77 if !self.holds.is_empty() => {
                let at = self.choices.below(self.holds.len() as u64) as usize;
                let pending = tid(self.holds[at]);
                match self.choices.below(2) {
                    0 => Transfer::post(tid(self.fresh()), pending, None),
                    _ => Transfer::void(tid(self.fresh()), pending),
                }
            }
            78..=83 => match self.earlier() {
                Some(original) => Transfer::reversal(tid(self.fresh()), original.id),
                None => pay(self.fresh(), FUND, ALICE, "0.01"),
            },
            // A retry, as sent or with another amount.
            84..=91 => match self.earlier() {
                Some(t) if self.choices.below(4) == 0 => {
                    let mut other = t;
                    other.amount = Some(hours("0.03"));
                    other
                }
                Some(t) => t,
                None => pay(self.fresh(), FUND, ALICE, "0.01"),
            },
            // Ids far from the others: new to the ledger, whatever the filter says.
            92..=95 => pay(
                1 << 100 | u128::from(self.choices.next()),
                FUND,
                BOB,
                "0.01",
            ),
            // A payment the accounts refuse (Alice cannot pay a million hours).
            _ => pay(self.fresh(), ALICE, BOB, "1000000"),
        };
        self.requests.push(t.clone());
        t
    }

    fn command(&mut self) -> Command {
        match self.choices.below(50) {
            0 => Command::Expire,
            1 => Command::RecordRatings(
                (0..3)
                    .filter_map(|_| self.earlier())
                    .map(|t| Rating {
                        transfer: t.id,
                        rating: 4,
                    })
                    .collect(),
            ),
            2 => {
                // A linked chain whose last event fails: nothing of it applies.
                let first = linked(pay(self.fresh(), FUND, ALICE, "0.01"));
                let second = pay(self.fresh(), ALICE, BOB, "1000000");
                self.requests.push(first.clone());
                self.requests.push(second.clone());
                Command::CreateTransfers(vec![first, second])
            }
            _ => {
                let len = 1 + self.choices.below(64);
                Command::CreateTransfers((0..len).map(|_| self.event()).collect())
            }
        }
    }
}

/// What the host keeps of evicted transfers: the newest version of each.
#[derive(Default)]
struct HostStore {
    records: HashMap<TransferId, TransferRecord>,
    lookups: usize,
    absent: usize,
}

impl HostStore {
    fn keep(&mut self, evicted: Vec<TransferRecord>) {
        for record in evicted {
            self.records.insert(record.id(), record);
        }
    }

    /// Loads what `command` names until the ledger names nothing more.
    fn prepare(&mut self, ledger: &mut Ledger, command: &Command, now: u64) {
        loop {
            let wanted = ledger.transfers_to_load(command, now);
            if wanted.is_empty() {
                return;
            }
            for id in wanted {
                self.lookups += 1;
                match self.records.get(&id) {
                    Some(record) => ledger.load_transfer(record.clone()),
                    None => {
                        self.absent += 1;
                        ledger.load_absent(id);
                    }
                }
            }
        }
    }

    /// The record of `id` as the evicting ledger knows it: in memory, or kept by the host.
    fn find<'a>(&'a self, ledger: &'a Ledger, id: TransferId) -> Option<&'a TransferRecord> {
        ledger.transfer(id).or_else(|| self.records.get(&id))
    }
}

fn run(seed: u64, commands: usize) {
    let mut workload = Workload::new(seed);
    let mut full = Fixture::new().ledger;
    let mut bounded = full.clone();
    let mut host = HostStore::default();
    // The same, with the engine asking for what it needs (`execute_fetching`).
    let mut fetching = full.clone();
    let mut fetch_host = HostStore::default();
    let mut fetch_failed = 0;
    let mut now = T0;
    let mut refused_unloaded = 0;
    for n in 0..commands {
        now += 400_000_000;
        let command = workload.command();
        let expected = full.execute(&command, now);

        // A command naming an id not loaded back is refused whole, and changes nothing.
        if !bounded.transfers_to_load(&command, now).is_empty() {
            let before = bounded.state_digest();
            let clock = bounded.clock();
            match bounded.execute(&command, now) {
                Err(BatchError::NotLoaded { .. }) => refused_unloaded += 1,
                other => panic!("command {n}: applied with an id unloaded: {other:?}"),
            }
            assert_eq!(bounded.state_digest(), before);
            assert_eq!(bounded.clock(), clock);
        }
        host.prepare(&mut bounded, &command, now);
        let got = bounded.execute(&command, now);
        assert_eq!(got, expected, "command {n}: {command:?}");
        assert_eq!(bounded.state_digest(), full.state_digest(), "command {n}");

        // A host that cannot read its store stops the command, which changes nothing.
        if !fetching.transfers_to_load(&command, now).is_empty() && n % 2 == 0 {
            let before = fetching.state_digest();
            let failed = fetching.execute_fetching(&command, Attribution::NONE, now, &mut |_| {
                Err("the store cannot be read")
            });
            assert_eq!(failed, Err("the store cannot be read"), "command {n}");
            assert_eq!(fetching.state_digest(), before);
            fetch_failed += 1;
        }
        let records = &fetch_host.records;
        let got = fetching.execute_fetching(&command, Attribution::NONE, now, &mut |id| {
            Ok::<_, ()>(records.get(&id).cloned())
        });
        assert_eq!(
            got,
            Ok(expected.clone()),
            "command {n}, fetching: {command:?}"
        );
        assert_eq!(fetching.state_digest(), full.state_digest(), "command {n}");

        if n % 3 == 0 {
            let before = bounded.state_digest();
            host.keep(bounded.evict_transfers(KEEP));
            assert_eq!(bounded.state_digest(), before, "eviction after command {n}");
            fetch_host.keep(fetching.evict_transfers(KEEP));
        }
        if n % 97 == 50 {
            // The evicting ledger's snapshot is the same state, and goes on the same way.
            let bytes = encode(&bounded);
            let (decoded, decoded_digest) = decode_digested(&bytes).unwrap();
            assert_eq!(decoded_digest, full.state_digest());
            assert_eq!(digest(&bytes).unwrap(), full.state_digest());
            assert_eq!(encode(&decoded), bytes);
            bounded = decode(&bytes).unwrap();
        }
    }
    assert_eq!(bounded.transfer_count(), full.transfer_count());
    assert!(
        bounded.evicted_transfer_count() > 0 && refused_unloaded > 0 && fetch_failed > 0,
        "the run evicted and named evicted ids"
    );
    for record in full.transfers() {
        let kept = fetch_host.find(&fetching, record.id());
        assert_eq!(kept, Some(record), "transfer {}, fetching", record.id());
    }
    // Memory held the tail the chain has not reached, the kept ones and the pending holds only.
    let pending = full.pending_count();
    assert!(
        bounded.resident_transfer_count() <= KEEP + HISTORY_CHUNK_TRANSFERS + pending + 200,
        "{} transfers in memory, {} pending",
        bounded.resident_transfer_count(),
        pending
    );
    assert!(full.transfer_count() > 4 * HISTORY_CHUNK_TRANSFERS);
    // Every record is the same, wherever it is kept.
    for record in full.transfers() {
        let kept = host.find(&bounded, record.id());
        assert_eq!(kept, Some(record), "transfer {}", record.id());
    }
    // The first digest needs every transfer.
    assert!(bounded.state_digest_v1().is_none());
    assert!(full.state_digest_v1().is_some());
}

#[test]
fn an_evicting_ledger_answers_as_one_that_keeps_everything() {
    run(0x9e37_79b9_7f4a_7c15, 1_200);
}

#[test]
fn an_evicting_ledger_answers_as_one_that_keeps_everything_other_seed() {
    run(0xdead_beef_cafe_f00d, 1_200);
}

#[test]
fn a_hold_kept_aside_is_still_pending_and_can_be_posted() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, FUND, BOB, "1")]);
    let payments: Vec<Transfer> = (2..=2 + HISTORY_CHUNK_TRANSFERS as u128)
        .map(|n| pay(n, FUND, ALICE, "0.01"))
        .collect();
    for chunk in payments.chunks(1000) {
        f.ok(chunk);
    }
    let evicted = f.ledger.evict_transfers(0);
    assert_eq!(evicted.len(), HISTORY_CHUNK_TRANSFERS - 1);
    assert!(evicted.iter().all(|t| t.state != TransferState::Pending));
    assert_eq!(
        f.ledger.transfer(tid(1)).unwrap().state,
        TransferState::Pending
    );
    assert_eq!(f.ledger.pending_count(), 1);
    let post = Transfer::post(tid(50_000), tid(1), None);
    assert!(f
        .ledger
        .transfers_to_load(&Command::CreateTransfers(vec![post.clone()]), f.now)
        .is_empty());
    f.ok(&[post]);
    // Settled now, it leaves with the next eviction, posted.
    let evicted = f.ledger.evict_transfers(0);
    let hold = evicted.iter().find(|t| t.id() == tid(1)).unwrap();
    assert_eq!(hold.state, TransferState::PendingPosted);
    assert!(f.ledger.transfer(tid(1)).is_none());
}
