//! A deterministic simulation of ledgers exchanging hours (通存通兑) over a hostile network.
//!
//! 3 to 5 ledgers, each a real store in its own directory, exchange hours through a network that
//! drops, duplicates, delays, reorders, replays and corrupts messages, while any ledger may crash
//! (closed and reopened) between any two steps or inside an exchange step (after its hold, its
//! credit, or its post or void is durable). After every step: no hour is created or destroyed
//! across the federation; no exchange is posted without its credit, or credited once voided;
//! clearing balances mirror exactly what is credited and not yet posted; every ledger verifies.
//! At the end the network is drained and every exchange is posted on both sides, or voided on
//! the sender with nothing credited on the receiver.
//!
//! `TIMEBANK_LONG=1` runs more seeds and steps; `TIMEBANK_SEED=n` runs one seed.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, NewAccount, Policy, ResultCode, Transfer, TransferId,
    TransferState, UnitId,
};
use ledger_exchange::{clearing_account, ExchangeId, Peer, PeerId, SendRequest, Signer, Verdict};
use ledger_store::exchange::{CrashPoint, Exchange, ExchangeError};
use ledger_store::{Store, StoreOptions};
use support::{Scratch, NOW};

const HOURS: UnitId = 1;
const MEMBERS: u128 = 6;
const FUND: u128 = 1;
const STEP_NS: u64 = 1_000_000_000;
/// Each member starts with this many hundredths of an hour.
const START_HUNDREDTHS: u64 = 10_000;

/// splitmix64: a small, seeded, reproducible generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Node {
    id: PeerId,
    dir: PathBuf,
    seed: [u8; 32],
    store: Option<Store>,
    exchange: Option<Exchange>,
}

impl Node {
    fn store(&self) -> &Store {
        self.store.as_ref().expect("open")
    }

    fn parts(&mut self) -> (&Store, &mut Exchange) {
        (
            self.store.as_ref().expect("open"),
            self.exchange.as_mut().expect("open"),
        )
    }

    fn crash_and_reopen(&mut self, now: u64) {
        self.exchange = None;
        if let Some(store) = self.store.take() {
            store.close().unwrap();
        }
        let store = Store::open(&self.dir, StoreOptions::default()).unwrap();
        let exchange = Exchange::open(&store, None, Signer::from_seed(&self.seed), now).unwrap();
        self.store = Some(store);
        self.exchange = Some(exchange);
    }
}

fn member(n: u128) -> AccountId {
    AccountId::new(100 + n).unwrap()
}

/// What the simulation tried to send: the sender, the receiver and the exchange.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    from: usize,
    to: usize,
    exchange: ExchangeId,
    /// A member who moves: their whole balance, with the state the rules need.
    moving: bool,
}

struct Envelope {
    to: usize,
    bytes: Vec<u8>,
    deliver_after: u64,
}

struct Sim {
    rng: Rng,
    nodes: Vec<Node>,
    network: Vec<Envelope>,
    /// Every message ever sent, for replays.
    history: Vec<(usize, Vec<u8>)>,
    attempts: Vec<Attempt>,
    now: u64,
    step: u64,
    next_number: u64,
    total: Decimal,
    _scratch: Scratch,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = Rng(seed);
        let count = 3 + rng.below(3) as usize;
        let scratch = Scratch::new(&format!("exchange-sim-{seed}"));
        let now = NOW;
        let mut nodes = Vec::new();
        for i in 0..count {
            let dir = scratch.path().join(format!("ledger-{i}"));
            // One ledger keeps hours to one decimal place: offers finer than that are refused.
            let mut policy = Policy::default_policy();
            if i == 3 {
                policy.units[0].scale = 1;
            }
            let store = Store::create(&dir, &policy, now, StoreOptions::default()).unwrap();
            let mut seed_bytes = [0u8; 32];
            seed_bytes[..8].copy_from_slice(&(seed ^ (i as u64 + 1)).to_le_bytes());
            let id = PeerId::new(310_101 + i as u64).unwrap();
            let exchange =
                Exchange::open(&store, Some(id), Signer::from_seed(&seed_bytes), now).unwrap();
            let mut accounts = vec![NewAccount::new(
                AccountId::new(FUND).unwrap(),
                HOURS,
                AccountKind::Issuer,
            )];
            accounts.extend(
                (0..MEMBERS).map(|m| NewAccount::new(member(m), HOURS, AccountKind::Member)),
            );
            store.create_accounts(accounts, now).unwrap();
            let start = Amount::from_minor(START_HUNDREDTHS, 2).unwrap();
            let services: Vec<Transfer> = (0..MEMBERS)
                .map(|m| {
                    Transfer::new(
                        TransferId::new(1 + m).unwrap(),
                        AccountId::new(FUND).unwrap(),
                        member(m),
                        start,
                        HOURS,
                    )
                    .code(101)
                })
                .collect();
            let done = store.create_transfers(services, now).unwrap();
            assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
            nodes.push(Node {
                id,
                dir,
                seed: seed_bytes,
                store: Some(store),
                exchange: Some(exchange),
            });
        }
        let keys: Vec<Peer> = nodes
            .iter()
            .map(|n| Peer {
                id: n.id,
                key: Signer::from_seed(&n.seed).public_key(),
            })
            .collect();
        for node in &mut nodes {
            let own = node.id;
            let (store, exchange) = node.parts();
            for peer in keys.iter().filter(|p| p.id != own) {
                exchange.add_peer(store, *peer, now).unwrap();
            }
        }
        let total = Decimal::from(START_HUNDREDTHS as i64 * MEMBERS as i64 * count as i64)
            / Decimal::from(100);
        Sim {
            rng,
            nodes,
            network: Vec::new(),
            history: Vec::new(),
            attempts: Vec::new(),
            now,
            step: 0,
            next_number: 1,
            total,
            _scratch: scratch,
        }
    }

    fn post(&mut self, to: usize, bytes: Vec<u8>) {
        let delay = self.rng.below(5);
        self.history.push((to, bytes.clone()));
        self.network.push(Envelope {
            to,
            bytes,
            deliver_after: self.step + delay,
        });
    }

    fn node_index(&self, id: PeerId) -> usize {
        self.nodes.iter().position(|n| n.id == id).unwrap()
    }

    /// Runs an exchange operation with maybe a crash point armed; a crash reopens the ledger.
    fn maybe_arm(&mut self, i: usize, point: CrashPoint) {
        if self.rng.chance(5) {
            self.nodes[i]
                .exchange
                .as_mut()
                .unwrap()
                .crash_at(Some(point));
        }
    }

    fn disarm_and_reopen(&mut self, i: usize) {
        let now = self.now;
        self.nodes[i].crash_and_reopen(now);
    }

    fn send(&mut self) {
        let from = self.rng.below(self.nodes.len() as u64) as usize;
        let to =
            (from + 1 + self.rng.below(self.nodes.len() as u64 - 1) as usize) % self.nodes.len();
        let number = self.next_number;
        self.next_number += 1;
        // Mostly whole or half hours, sometimes hundredths (refused where hours keep one
        // decimal), sometimes more than the member holds (refused by the sender's ledger).
        let hundredths = match self.rng.below(10) {
            0 => 1 + self.rng.below(99),
            1 => START_HUNDREDTHS * 3,
            _ => 50 * (1 + self.rng.below(20)),
        };
        // Sometimes to an account the receiver does not have.
        let destination = if self.rng.chance(5) {
            AccountId::new(9_999).unwrap()
        } else {
            member(self.rng.below(MEMBERS as u64) as u128)
        };
        let source = member(self.rng.below(MEMBERS as u64) as u128);
        // Sometimes a member moves: their whole balance (refused when some of it is held).
        let moving = self.rng.chance(15);
        let balance = self.nodes[from].store().account(source).unwrap().posted();
        let amount = match moving {
            true => match Amount::from_decimal_in(balance, 2) {
                Ok(whole) => whole,
                Err(_) => return,
            },
            false => Amount::from_minor(hundredths, 2).unwrap(),
        };
        let request = SendRequest {
            number,
            to: self.nodes[to].id,
            unit: HOURS,
            amount,
            source,
            destination,
            deadline: self.now + (1 + self.rng.below(40)) * STEP_NS,
        };
        self.attempts.push(Attempt {
            from,
            to,
            exchange: ExchangeId {
                origin: self.nodes[from].id,
                number,
            },
            moving,
        });
        self.maybe_arm(from, CrashPoint::AfterHold);
        let now = self.now;
        let (store, exchange) = self.nodes[from].parts();
        let sent = match moving {
            true => exchange.move_member(store, &request, now),
            false => exchange.send(store, &request, now),
        };
        match sent {
            Ok(offer) => {
                let bytes = self.encode(&offer);
                self.post(to, bytes);
            }
            Err(ExchangeError::Crashed) => self.disarm_and_reopen(from),
            Err(ExchangeError::Refused(code)) => {
                assert_eq!(
                    code,
                    ResultCode::ExceedsFloor,
                    "only overdrafts are refused"
                );
            }
            Err(ExchangeError::Send(ledger_exchange::SendError::AmountOutsideScale(_))) => {
                assert_eq!(from, 3, "only the ledger of tenths refuses hundredths");
            }
            Err(ExchangeError::Send(ledger_exchange::SendError::NotWholeBalance { .. })) => {
                assert!(moving, "only a move needs the whole balance");
            }
            Err(e) => panic!("send: {e}"),
        }
        self.nodes[from].exchange.as_mut().unwrap().crash_at(None);
    }

    /// Either form travels: canonical bytes or JSON.
    fn encode(&mut self, message: &ledger_exchange::Message) -> Vec<u8> {
        if self.rng.chance(30) {
            message.to_json().into_bytes()
        } else {
            message.to_bytes()
        }
    }

    fn deliver(&mut self, lossless: bool) {
        let ready: Vec<usize> = (0..self.network.len())
            .filter(|&k| lossless || self.network[k].deliver_after <= self.step)
            .collect();
        if ready.is_empty() {
            return;
        }
        let k = ready[self.rng.below(ready.len() as u64) as usize];
        let envelope = if !lossless && self.rng.chance(15) {
            // Duplicate: deliver a copy, keep the original in flight.
            Envelope {
                to: self.network[k].to,
                bytes: self.network[k].bytes.clone(),
                deliver_after: 0,
            }
        } else {
            self.network.swap_remove(k)
        };
        if !lossless && self.rng.chance(15) {
            return; // dropped
        }
        self.receive(envelope.to, &envelope.bytes);
    }

    fn receive(&mut self, to: usize, bytes: &[u8]) {
        let point = match self.rng.below(2) {
            0 => CrashPoint::AfterCredit,
            _ => CrashPoint::AfterAnswer,
        };
        self.maybe_arm(to, point);
        let now = self.now;
        let (store, exchange) = self.nodes[to].parts();
        match exchange.receive(store, bytes, now) {
            Ok(received) => {
                if let Some(reply) = received.reply {
                    let back = self.node_index(reply.header.to);
                    let bytes = self.encode(&reply);
                    self.post(back, bytes);
                }
            }
            Err(ExchangeError::Crashed) => self.disarm_and_reopen(to),
            Err(e) => panic!("receive: {e}"),
        }
        if let Some(exchange) = self.nodes[to].exchange.as_mut() {
            exchange.crash_at(None);
        }
    }

    /// A hostile message: an old one replayed (maybe to the wrong ledger), or one with a byte
    /// flipped. Whatever it is, the invariants must hold after it.
    fn attack(&mut self) {
        if self.history.is_empty() {
            return;
        }
        let (to, mut bytes) =
            self.history[self.rng.below(self.history.len() as u64) as usize].clone();
        let to = if self.rng.chance(30) {
            self.rng.below(self.nodes.len() as u64) as usize
        } else {
            to
        };
        if self.rng.chance(50) && !bytes.is_empty() {
            let at = self.rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 << self.rng.below(8);
        }
        let now = self.now;
        let (store, exchange) = self.nodes[to].parts();
        let received = exchange.receive(store, &bytes, now).unwrap();
        // Whatever it did was either nothing or what an honest copy does.
        assert!(
            received.verdict != Verdict::AlreadyVoided
                && received.verdict != Verdict::AlreadyPosted,
            "a replay exposed a disagreement: {received:?}"
        );
        // A replayed offer's answer goes back like any other; the answer to an altered sender
        // id goes to a ledger that does not exist, and is lost.
        let known = |id| self.nodes.iter().position(|n| n.id == id);
        if let Some((back, reply)) = received.reply.and_then(|r| Some((known(r.header.to)?, r))) {
            let bytes = reply.to_bytes();
            self.post(back, bytes);
        }
    }

    /// The sender's timer: offers past their deadline, and now and then every pending offer.
    fn retry(&mut self, all: bool) {
        let i = self.rng.below(self.nodes.len() as u64) as usize;
        let now = self.now;
        let (store, exchange) = self.nodes[i].parts();
        let messages = if all {
            exchange
                .pending(store)
                .into_iter()
                .map(|p| p.offer)
                .collect()
        } else {
            exchange.expire(store, now)
        };
        for offer in messages {
            let to = self.node_index(offer.header.to);
            let bytes = offer.to_bytes();
            self.post(to, bytes);
        }
    }

    fn step(&mut self) {
        self.step += 1;
        self.now += STEP_NS;
        match self.rng.below(100) {
            0..=24 => self.send(),
            25..=69 => self.deliver(false),
            70..=74 => {
                let i = self.rng.below(self.nodes.len() as u64) as usize;
                self.disarm_and_reopen(i);
            }
            75..=82 => self.attack(),
            83..=92 => self.retry(false),
            _ => self.retry(true),
        }
        self.check(false);
    }

    /// Delivers everything, resending pending offers, until no hold is pending.
    fn drain(&mut self) {
        for _ in 0..10_000 {
            self.now += 50 * STEP_NS;
            self.step += 1;
            for i in 0..self.nodes.len() {
                let (store, exchange) = self.nodes[i].parts();
                for offer in exchange.pending(store).into_iter().map(|p| p.offer) {
                    let to = self.node_index(offer.header.to);
                    self.network.push(Envelope {
                        to,
                        bytes: offer.to_bytes(),
                        deliver_after: 0,
                    });
                }
            }
            while !self.network.is_empty() {
                self.deliver(true);
                self.check(false);
            }
            let pending: usize = self
                .nodes
                .iter_mut()
                .map(|n| {
                    let (store, exchange) = n.parts();
                    exchange.pending(store).len()
                })
                .sum();
            if pending == 0 {
                self.check(true);
                return;
            }
        }
        panic!("the federation did not settle");
    }

    fn hold_state(&self, a: &Attempt) -> Option<TransferState> {
        self.nodes[a.from]
            .store()
            .transfer(a.exchange.hold_transfer())
            .unwrap()
            .map(|t| t.state)
    }

    fn credited(&self, a: &Attempt) -> Option<Decimal> {
        self.nodes[a.to]
            .store()
            .transfer(a.exchange.credit_transfer())
            .unwrap()
            .map(|t| t.amount.value())
    }

    fn check(&self, settled: bool) {
        // Hours in the federation: what members may spend, plus holds whose hours have not
        // reached the receiver yet.
        let mut hours = Decimal::ZERO;
        for node in &self.nodes {
            for m in 0..MEMBERS {
                hours += node.store().account(member(m)).unwrap().available();
            }
        }
        // Credited and not yet posted, per ordered pair.
        let mut unposted: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
        for a in &self.attempts {
            let state = self.hold_state(a);
            let credited = self.credited(a);
            let held = self.nodes[a.from]
                .store()
                .transfer(a.exchange.hold_transfer())
                .unwrap()
                .map(|t| t.amount.value());
            match (state, credited) {
                (None, Some(_)) => panic!("{}: credited without a hold", a.exchange),
                (Some(TransferState::PendingVoided), Some(_)) => {
                    panic!("{}: voided on the sender but credited", a.exchange)
                }
                (Some(TransferState::PendingPosted), None) => {
                    panic!("{}: posted on the sender but never credited", a.exchange)
                }
                (Some(TransferState::Pending), None) => hours += held.unwrap(),
                (Some(TransferState::Pending), Some(c)) => {
                    assert_eq!(Some(c), held, "{}: credit differs from hold", a.exchange);
                    *unposted.entry((a.from, a.to)).or_default() += c;
                }
                (Some(TransferState::PendingPosted), Some(c)) => {
                    assert_eq!(Some(c), held, "{}: credit differs from hold", a.exchange);
                }
                (Some(TransferState::PendingExpired), _) | (Some(TransferState::Posted), _) => {
                    panic!("{}: hold in an impossible state", a.exchange)
                }
                (Some(TransferState::PendingVoided), None) | (None, None) => {}
            }
            if settled {
                assert!(
                    matches!(
                        (state, credited),
                        (Some(TransferState::PendingPosted), Some(_))
                            | (Some(TransferState::PendingVoided), None)
                            | (None, None)
                    ),
                    "{}: not settled: {state:?} {credited:?}",
                    a.exchange
                );
            }
        }
        assert_eq!(
            hours, self.total,
            "hours created or destroyed at step {}",
            self.step
        );
        for a in 0..self.nodes.len() {
            for b in a + 1..self.nodes.len() {
                let balance = |x: usize, y: usize| {
                    self.nodes[x]
                        .store()
                        .account(clearing_account(self.nodes[y].id, HOURS))
                        .unwrap()
                        .posted()
                };
                let sum = balance(a, b) + balance(b, a);
                let in_flight = unposted.get(&(a, b)).copied().unwrap_or_default()
                    + unposted.get(&(b, a)).copied().unwrap_or_default();
                assert_eq!(
                    sum, -in_flight,
                    "clearing {a}/{b} do not mirror at step {}",
                    self.step
                );
                if settled {
                    assert_eq!(sum, Decimal::ZERO);
                }
            }
        }
        for node in &self.nodes {
            node.store()
                .verify(&mut |_| {})
                .unwrap_or_else(|e| panic!("ledger {} does not verify: {e}", node.id));
        }
    }
}

/// Exchanges posted, voided, and moves posted.
fn run(seed: u64, steps: u64) -> (usize, usize, usize) {
    let mut sim = Sim::new(seed);
    for _ in 0..steps {
        sim.step();
    }
    sim.drain();
    let posted = sim
        .attempts
        .iter()
        .filter(|a| sim.hold_state(a) == Some(TransferState::PendingPosted))
        .count();
    let voided = sim
        .attempts
        .iter()
        .filter(|a| sim.hold_state(a) == Some(TransferState::PendingVoided))
        .count();
    let moved = sim
        .attempts
        .iter()
        .filter(|a| a.moving && sim.hold_state(a) == Some(TransferState::PendingPosted))
        .count();
    (posted, voided, moved)
}

#[test]
fn hours_move_exactly_once_under_loss_duplication_reordering_and_crashes() {
    let long = std::env::var_os("TIMEBANK_LONG").is_some();
    let seeds: Vec<u64> = match std::env::var("TIMEBANK_SEED") {
        Ok(seed) => vec![seed.parse().expect("TIMEBANK_SEED is a number")],
        Err(_) if long => (1..=40).collect(),
        Err(_) => vec![1, 2],
    };
    let steps = if long { 1_500 } else { 150 };
    let (mut posted, mut voided, mut moved) = (0, 0, 0);
    for seed in seeds {
        let (p, v, m) = run(seed, steps);
        posted += p;
        voided += v;
        moved += m;
    }
    // The runs exercised both endings and moves (a run that posted nothing would prove
    // little).
    assert!(
        posted > 10 && voided > 0 && moved > 0,
        "posted {posted}, voided {voided}, moved {moved}"
    );
}
