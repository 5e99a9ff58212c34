//! A hub between ledgers: district A and district B are not peers of each other; both are peers
//! of a provincial hub. Hours go A -> hub -> B as two exchanges, through an account the hub
//! keeps for hours in transit. Each ledger's positions are per peer; the hub's net to zero once
//! it has passed the hours on, and each pair of peers mirrors.

mod support;

use std::path::Path;

use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, NewAccount, Policy, ResultCode, Transfer, TransferId,
};
use ledger_exchange::{Message, Peer, PeerId, PublicKey, SendRequest, Signer, Verdict};
use ledger_store::exchange::{Exchange, ExchangeError};
use ledger_store::{Store, StoreOptions};
use support::{Scratch, NOW};

const HOURS: u16 = 1;
const FUND: u128 = 1;
const MEMBER: u128 = 100;
/// The hub's account for hours passing through it.
const TRANSIT: u128 = 900;
const MINUTE: u64 = 60_000_000_000;

struct Ledger {
    id: PeerId,
    key: PublicKey,
    store: Store,
    exchange: Exchange,
}

fn account(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

fn hours(text: &str) -> Amount {
    Amount::parse_in(text, 2).unwrap()
}

fn ledger(dir: &Path, id: u64, seed: u8, kinds: &[(u128, AccountKind)]) -> Ledger {
    let store =
        Store::create(dir, &Policy::default_policy(), NOW, StoreOptions::default()).unwrap();
    let id = PeerId::new(id).unwrap();
    let signer = Signer::from_seed(&[seed; 32]);
    let key = signer.public_key();
    let exchange = Exchange::open(&store, Some(id), signer, NOW).unwrap();
    let accounts = kinds
        .iter()
        .map(|(n, kind)| NewAccount::new(account(*n), HOURS, *kind))
        .collect();
    store.create_accounts(accounts, NOW).unwrap();
    Ledger {
        id,
        key,
        store,
        exchange,
    }
}

impl Ledger {
    fn peer(&self) -> Peer {
        Peer {
            id: self.id,
            key: self.key,
        }
    }

    fn add_peer(&mut self, other: &Ledger) {
        self.exchange
            .add_peer(&self.store, other.peer(), NOW)
            .unwrap();
    }

    fn send(
        &mut self,
        number: u64,
        to: &Ledger,
        amount: &str,
        source: u128,
        destination: u128,
    ) -> Message {
        let request = SendRequest {
            number,
            to: to.id,
            unit: HOURS,
            amount: hours(amount),
            source: account(source),
            destination: account(destination),
            deadline: NOW + 60 * MINUTE,
        };
        self.exchange
            .send(&self.store, &request, NOW + MINUTE)
            .unwrap()
    }

    /// Delivers `message` here and returns the verdict and the reply.
    fn receive(&mut self, message: &Message) -> (Verdict, Option<Message>) {
        let received = self
            .exchange
            .receive(&self.store, &message.to_bytes(), NOW + 2 * MINUTE)
            .unwrap();
        (received.verdict, received.reply)
    }

    fn posted(&self, n: u128) -> Decimal {
        self.store
            .read(|l| l.account(account(n)).unwrap().posted())
            .normalize()
    }

    /// `owed_to_peer` per peer, and the sum over peers (this ledger's net position).
    fn positions(&self) -> (Vec<(u64, Decimal)>, Decimal) {
        let rows: Vec<(u64, Decimal)> = self
            .exchange
            .positions(&self.store)
            .into_iter()
            .filter(|p| p.unit == HOURS)
            .map(|p| (p.peer.get(), p.owed_to_peer.normalize()))
            .collect();
        let net = rows.iter().map(|(_, owed)| *owed).sum::<Decimal>();
        (rows, net.normalize())
    }
}

fn d(text: &str) -> Decimal {
    text.parse::<Decimal>().unwrap().normalize()
}

/// A (310101) and B (310104) each a peer of the hub (310000) only; A's member has 10 hours.
fn federation(scratch: &Scratch) -> (Ledger, Ledger, Ledger) {
    let people = [(FUND, AccountKind::Issuer), (MEMBER, AccountKind::Member)];
    let mut a = ledger(&scratch.path().join("a"), 310_101, 1, &people);
    let mut hub = ledger(
        &scratch.path().join("hub"),
        310_000,
        2,
        &[(TRANSIT, AccountKind::Member)],
    );
    let mut b = ledger(&scratch.path().join("b"), 310_104, 3, &people);
    a.add_peer(&hub);
    hub.add_peer(&a);
    hub.add_peer(&b);
    b.add_peer(&hub);
    let service = Transfer::new(
        TransferId::new(1).unwrap(),
        account(FUND),
        account(MEMBER),
        hours("10"),
        HOURS,
    )
    .code(101);
    let done = a.store.create_transfers(vec![service], NOW).unwrap();
    assert_eq!(done.events()[0].code, ResultCode::Ok);
    (a, hub, b)
}

#[test]
fn hours_pass_through_a_hub_as_two_exchanges_and_positions_net_per_peer() {
    let scratch = Scratch::new("exchange-hub");
    let (mut a, mut hub, mut b) = federation(&scratch);

    // A and B are not peers: A cannot send to B directly.
    let direct = SendRequest {
        number: 99,
        to: b.id,
        unit: HOURS,
        amount: hours("1"),
        source: account(MEMBER),
        destination: account(MEMBER),
        deadline: NOW + 60 * MINUTE,
    };
    assert!(matches!(
        a.exchange.send(&a.store, &direct, NOW + MINUTE),
        Err(ExchangeError::Send(_))
    ));
    // Nor does B take an offer from A (unknown peer), even if it got one.
    let to_hub = a.send(1, &hub, "2.5", MEMBER, TRANSIT);
    assert_eq!(b.receive(&to_hub).0, Verdict::NotAddressedHere);

    // First exchange: A -> hub, into the hub's transit account.
    let (verdict, receipt) = hub.receive(&to_hub);
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(a.receive(&receipt.unwrap()).0, Verdict::Ok);
    assert_eq!(hub.posted(TRANSIT), d("2.5"));
    assert_eq!(a.positions(), (vec![(310_000, d("2.5"))], d("2.5")));
    // Until it passes them on, the hub is owed by A: A's hours sit in transit.
    assert_eq!(
        hub.positions(),
        (vec![(310_101, d("-2.5")), (310_104, d("0"))], d("-2.5"))
    );

    // Second exchange: hub -> B, from the transit account to B's member.
    let onward = hub.send(1, &b, "2.5", TRANSIT, MEMBER);
    let (verdict, receipt) = b.receive(&onward);
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(hub.receive(&receipt.unwrap()).0, Verdict::Ok);

    assert_eq!(a.posted(MEMBER), d("7.5"));
    assert_eq!(hub.posted(TRANSIT), d("0"));
    assert_eq!(b.posted(MEMBER), d("2.5"));
    // A owes the hub, the hub owes B, and nets to zero; B is owed by the hub.
    assert_eq!(a.positions(), (vec![(310_000, d("2.5"))], d("2.5")));
    assert_eq!(
        hub.positions(),
        (vec![(310_101, d("-2.5")), (310_104, d("2.5"))], d("0"))
    );
    assert_eq!(b.positions(), (vec![(310_000, d("-2.5"))], d("-2.5")));
    // Each pair mirrors, and the federation's nets sum to zero.
    assert_eq!(
        a.positions().1 + hub.positions().1 + b.positions().1,
        d("0")
    );

    // Duplicates change nothing at either hop.
    assert_eq!(hub.receive(&to_hub).0, Verdict::Exists);
    assert_eq!(b.receive(&onward).0, Verdict::Exists);
    assert_eq!(b.posted(MEMBER), d("2.5"));
    assert_eq!(hub.posted(TRANSIT), d("0"));
    for ledger in [&a, &hub, &b] {
        ledger.store.verify(&mut |_| {}).unwrap();
    }
}

#[test]
fn a_hop_refused_beyond_the_hub_is_returned_to_the_member_as_a_third_exchange() {
    let scratch = Scratch::new("exchange-hub-refused");
    let (mut a, mut hub, mut b) = federation(&scratch);
    let to_hub = a.send(1, &hub, "3", MEMBER, TRANSIT);
    let (_, receipt) = hub.receive(&to_hub);
    assert_eq!(a.receive(&receipt.unwrap()).0, Verdict::Ok);

    // B has no account 555: its ledger refuses the credit, finally, and the hub voids its hold.
    let onward = hub.send(1, &b, "3", TRANSIT, 555);
    let (verdict, refusal) = b.receive(&onward);
    assert_eq!(verdict, Verdict::RefusedByLedger);
    assert!(verdict.is_final());
    assert_eq!(hub.receive(&refusal.unwrap()).0, Verdict::Ok);
    assert_eq!(hub.posted(TRANSIT), d("3"));
    assert_eq!(b.positions(), (vec![(310_000, d("0"))], d("0")));

    // The hub sends the hours back to the member on A.
    let back = hub.send(2, &a, "3", TRANSIT, MEMBER);
    let (verdict, receipt) = a.receive(&back);
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(hub.receive(&receipt.unwrap()).0, Verdict::Ok);
    assert_eq!(a.posted(MEMBER), d("10"));
    assert_eq!(hub.posted(TRANSIT), d("0"));
    for ledger in [&a, &hub, &b] {
        assert_eq!(ledger.positions().1, d("0"));
    }
    assert_eq!(
        hub.positions().0,
        vec![(310_101, d("0")), (310_104, d("0"))]
    );
}
