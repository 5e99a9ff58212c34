//! Exchanges between two ledgers in one process (通存通兑), measured in one run (printed, never
//! asserted), each exchange whole: the sender's hold, its signed offer as bytes, the receiver's
//! decoding, authentication and credit, its signed receipt as bytes, and the sender's post.
//!
//! - `one at a time`: through `ledger_store::exchange::Exchange` (`send`, `receive` on each
//!   side), as the CLI and the C ABI run an exchange: three durable commits (`fdatasync`), and the
//!   offer appended to the sender's offers file and synced.
//! - `batch N`: the same protocol steps (`ledger_exchange::sender` and `receiver`), N exchanges
//!   per durable commit on each side: the holds of N in one commit, the N credits in one, the N
//!   posts in one; the offers are not kept in an offers file (the host that batches keeps them).
//!
//! `cargo bench -p benches --bench exchange` (`TIMEBANK_BENCH_EXCHANGES`, default 2,000, sets
//! how many exchanges each row runs; `TIMEBANK_BENCH_DIR` where the ledgers go).

use std::time::Instant;

use benches::scratch_dir::ScratchDir;
use ledger_core::{
    AccountId, AccountKind, Amount, NewAccount, Policy, ResultCode, Transfer, TransferId,
};
use ledger_exchange::{
    receiver, sender, JournalRef, Message, OfferDecision, Peer, PeerId, SendRequest, Signer,
};
use ledger_store::exchange::Exchange;
use ledger_store::{Committed, Store, StoreOptions};

const NOW: u64 = 1_767_225_600_000_000_000;
const HOURS: u16 = 1;
const FUND: u128 = 1;
const MEMBERS: u128 = 200;
const STEP_NS: u64 = 1_000;

fn account(n: u128) -> AccountId {
    AccountId::new(n).expect("not zero")
}

fn member(n: u64) -> AccountId {
    account(100 + u128::from(n) % MEMBERS)
}

struct Side {
    id: PeerId,
    signer: Signer,
    store: Store,
    exchange: Exchange,
}

fn side(dir: &ScratchDir, name: &str, id: u64, seed: u8) -> Side {
    let path = dir.path().join(name);
    let store = Store::create(
        &path,
        &Policy::default_policy(),
        NOW,
        StoreOptions::default(),
    )
    .expect("a new ledger");
    let id = PeerId::new(id).expect("not zero");
    let exchange = Exchange::open(&store, Some(id), Signer::from_seed(&[seed; 32]), NOW)
        .expect("exchange files");
    let mut accounts = vec![NewAccount::new(account(FUND), HOURS, AccountKind::Issuer)];
    accounts.extend(
        (0..MEMBERS).map(|m| NewAccount::new(account(100 + m), HOURS, AccountKind::Member)),
    );
    store.create_accounts(accounts, NOW).expect("accounts");
    let hundred = Amount::parse_in("100", 2).expect("an amount");
    let services: Vec<Transfer> = (0..MEMBERS)
        .map(|m| {
            Transfer::new(
                TransferId::new(1 + m).expect("not zero"),
                account(FUND),
                account(100 + m),
                hundred,
                HOURS,
            )
            .code(101)
        })
        .collect();
    let done = store.create_transfers(services, NOW).expect("services");
    assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    Side {
        id,
        signer: Signer::from_seed(&[seed; 32]),
        store,
        exchange,
    }
}

fn pair(dir: &ScratchDir) -> (Side, Side) {
    let mut a = side(dir, "a", 310_101, 1);
    let mut b = side(dir, "b", 310_104, 2);
    let a_peer = Peer {
        id: a.id,
        key: a.signer.public_key(),
    };
    let b_peer = Peer {
        id: b.id,
        key: b.signer.public_key(),
    };
    a.exchange.add_peer(&a.store, b_peer, NOW).expect("peer");
    b.exchange.add_peer(&b.store, a_peer, NOW).expect("peer");
    (a, b)
}

fn request(b: &Side, number: u64, now: u64) -> SendRequest {
    SendRequest {
        number,
        to: b.id,
        unit: HOURS,
        amount: Amount::parse_in("0.01", 2).expect("an amount"),
        source: member(number),
        destination: member(number),
        deadline: now + 3_600_000_000_000,
    }
}

fn journal_ref(done: &Committed) -> JournalRef {
    JournalRef {
        sequence: done.sequence,
        hash: done.hash,
    }
}

/// Exchanges per second and the mean time of one, one at a time through `Exchange`.
fn one_at_a_time(count: u64) -> (f64, f64) {
    let dir = ScratchDir::new("exchange-one").expect("a scratch directory");
    let (mut a, mut b) = pair(&dir);
    let mut now = NOW + STEP_NS;
    let start = Instant::now();
    for number in 1..=count {
        now += STEP_NS;
        let offer = a
            .exchange
            .send(&a.store, &request(&b, number, now), now)
            .expect("an offer");
        let received = b
            .exchange
            .receive(&b.store, &offer.to_bytes(), now)
            .expect("a decision");
        let receipt = received.reply.expect("a receipt");
        let posted = a
            .exchange
            .receive(&a.store, &receipt.to_bytes(), now)
            .expect("a post");
        assert_eq!(posted.verdict, ledger_exchange::Verdict::Ok);
    }
    let seconds = start.elapsed().as_secs_f64();
    (count as f64 / seconds, seconds / count as f64)
}

/// Exchanges per second, `batch` exchanges per durable commit on each side.
fn batched(count: u64, batch: u64) -> f64 {
    let dir = ScratchDir::new("exchange-batch").expect("a scratch directory");
    let (a, b) = pair(&dir);
    let mut now = NOW + STEP_NS;
    let mut number = 0;
    let start = Instant::now();
    while number < count {
        now += STEP_NS;
        let requests: Vec<SendRequest> = (number + 1..=(number + batch).min(count))
            .map(|n| request(&b, n, now))
            .collect();
        number += requests.len() as u64;
        // The sender: the holds in one commit, then an offer for each.
        let holds = a.store.read(|ledger| {
            requests
                .iter()
                .map(|r| sender::hold(ledger, a.exchange.peers(), r, now).expect("a hold"))
                .collect::<Vec<_>>()
        });
        let done = a.store.create_transfers(holds, now).expect("holds");
        assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
        let offers: Vec<Vec<u8>> = a.store.read(|ledger| {
            requests
                .iter()
                .map(|r| {
                    sender::offer(ledger, a.exchange.peers(), r, journal_ref(&done), &a.signer)
                        .to_bytes()
                })
                .collect()
        });
        // The receiver: decode, authenticate and decide each, the credits in one commit, then
        // a receipt for each.
        let offers: Vec<Message> = offers
            .iter()
            .map(|bytes| Message::from_bytes(bytes).expect("an offer"))
            .collect();
        let credits = b.store.read(|ledger| {
            offers
                .iter()
                .map(
                    |o| match receiver::on_offer(ledger, b.exchange.peers(), o, now) {
                        Ok(OfferDecision::Credit(credit)) => credit,
                        other => panic!("not credited: {other:?}"),
                    },
                )
                .collect::<Vec<_>>()
        });
        let done = b.store.create_transfers(credits, now).expect("credits");
        let receipts: Vec<Vec<u8>> = offers
            .iter()
            .zip(done.events())
            .map(|(o, e)| {
                assert_eq!(e.code, ResultCode::Ok);
                receiver::receipt(
                    b.exchange.peers(),
                    o,
                    journal_ref(&done),
                    e.timestamp,
                    &b.signer,
                )
                .to_bytes()
            })
            .collect();
        // The sender again: decode, authenticate and match each receipt, the posts in one commit.
        let posts = a.store.read(|ledger| {
            offers
                .iter()
                .zip(&receipts)
                .map(|(o, bytes)| {
                    let receipt = Message::from_bytes(bytes).expect("a receipt");
                    match sender::on_answer(ledger, a.exchange.peers(), Some(o), &receipt) {
                        Ok(sender::AnswerAction::Post(post)) => post,
                        other => panic!("not posted: {other:?}"),
                    }
                })
                .collect::<Vec<_>>()
        });
        let done = a.store.create_transfers(posts, now).expect("posts");
        assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let count: u64 = std::env::var("TIMEBANK_BENCH_EXCHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    println!("exchanges between two ledgers in one process ({count} a row)");
    println!(
        "{:<24} {:>14} {:>16}",
        "mode", "exchanges/s", "mean per exchange"
    );
    let (per_s, mean) = one_at_a_time(count.min(1_000));
    println!(
        "{:<24} {:>14.0} {:>13.3} ms",
        "one at a time",
        per_s,
        mean * 1e3
    );
    for batch in [10, 100, 1_000] {
        let per_s = batched(count, batch);
        println!(
            "{:<24} {:>14.0} {:>13.3} ms",
            format!("batch {batch}"),
            per_s,
            1e3 / per_s
        );
    }
}
