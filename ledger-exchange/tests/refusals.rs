//! Bad input to the exchange protocol: each is refused with its stable verdict and nothing
//! changes on either ledger.

use ledger_core::{
    AccountId, AccountKind, Amount, Ledger, NewAccount, ResultCode, Transfer, TransferId,
    TransferState, Unit,
};
use ledger_exchange::{
    receiver, sender, Body, JournalRef, Message, OfferDecision, Peer, PeerId, Peers, SendRequest,
    Signer, Verdict,
};

const NOW: u64 = 1_767_225_600_000_000_000;
const HOUR_NS: u64 = 3_600_000_000_000;
const J: JournalRef = JournalRef {
    sequence: 1,
    hash: [7; 32],
};

struct Pair {
    a: Ledger,
    b: Ledger,
    a_peers: Peers,
    b_peers: Peers,
    a_key: Signer,
    b_key: Signer,
}

fn id(n: u64) -> PeerId {
    PeerId::new(n).unwrap()
}

fn acct(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

/// Ledger A (hours to 2 places, a member with 10 hours) and B (hours to 1 place, a member 7
/// and an issuer 8), each registered with the other.
fn pair() -> Pair {
    let (a_key, b_key) = (Signer::from_seed(&[1; 32]), Signer::from_seed(&[2; 32]));
    let mut a = Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap();
    let mut b = Ledger::new(vec![Unit::new(1, "hours", 1)]).unwrap();
    let (mut a_peers, mut b_peers) = (Peers::new(id(1)), Peers::new(id(2)));
    let a_peer = Peer {
        id: id(1),
        key: a_key.public_key(),
    };
    let b_peer = Peer {
        id: id(2),
        key: b_key.public_key(),
    };
    a_peers.add(b_peer).unwrap();
    b_peers.add(a_peer).unwrap();
    a.create_accounts(&b_peer.clearing_accounts(&a), NOW)
        .unwrap();
    b.create_accounts(&a_peer.clearing_accounts(&b), NOW)
        .unwrap();
    a.create_accounts(
        &[
            NewAccount::new(acct(1), 1, AccountKind::Issuer),
            NewAccount::new(acct(2), 1, AccountKind::Member),
        ],
        NOW,
    )
    .unwrap();
    let ten = Amount::parse("10").unwrap();
    a.create_transfers(
        &[Transfer::new(
            TransferId::new(1).unwrap(),
            acct(1),
            acct(2),
            ten,
            1,
        )],
        NOW,
    )
    .unwrap();
    b.create_accounts(
        &[
            NewAccount::new(acct(7), 1, AccountKind::Member),
            NewAccount::new(acct(8), 1, AccountKind::Issuer),
        ],
        NOW,
    )
    .unwrap();
    Pair {
        a,
        b,
        a_peers,
        b_peers,
        a_key,
        b_key,
    }
}

fn request(number: u64, amount: &str, destination: u128) -> SendRequest {
    SendRequest {
        number,
        to: id(2),
        unit: 1,
        amount: Amount::parse(amount).unwrap(),
        source: acct(2),
        destination: acct(destination),
        deadline: NOW + HOUR_NS,
    }
}

impl Pair {
    /// A holds and offers.
    fn offer(&mut self, request: &SendRequest) -> Message {
        let hold = sender::hold(&self.a, &self.a_peers, request, NOW).unwrap();
        assert_eq!(
            self.a.create_transfers(&[hold], NOW).unwrap()[0].code,
            ResultCode::Ok
        );
        sender::offer(&self.a, &self.a_peers, request, J, &self.a_key)
    }

    fn decide(&self, offer: &Message, now: u64) -> Result<OfferDecision, Verdict> {
        let bytes = offer.to_bytes();
        receiver::on_offer(
            &self.b,
            &self.b_peers,
            &Message::from_bytes(&bytes).unwrap(),
            now,
        )
    }

    fn refused(&self, offer: &Message, now: u64) -> Verdict {
        match self.decide(offer, now) {
            Ok(OfferDecision::Refuse { verdict, .. }) => verdict,
            Err(verdict) => verdict,
            other => panic!("not refused: {other:?}"),
        }
    }

    /// B credits the offer and returns its receipt.
    fn credit(&mut self, offer: &Message) -> Message {
        let Ok(OfferDecision::Credit(credit)) = self.decide(offer, NOW + 1) else {
            panic!("credits")
        };
        let done = self.b.create_transfers(&[credit], NOW + 1).unwrap();
        assert_eq!(done[0].code, ResultCode::Ok);
        receiver::receipt(&self.b_peers, offer, J, done[0].timestamp, &self.b_key)
    }

    fn answer(&self, offer: &Message, answer: &Message) -> Result<sender::AnswerAction, Verdict> {
        sender::on_answer(&self.a, &self.a_peers, Some(offer), answer)
    }
}

#[test]
fn an_offer_from_an_unknown_peer_or_signed_with_the_wrong_key_is_refused() {
    let mut p = pair();
    let offer = p.offer(&request(1, "1", 7));
    let mut stranger = Peers::new(id(2));
    stranger
        .add(Peer {
            id: id(3),
            key: p.a_key.public_key(),
        })
        .unwrap();
    assert_eq!(
        receiver::on_offer(&p.b, &stranger, &offer, NOW),
        Err(Verdict::UnknownPeer)
    );
    // Signed by another key than A's registered one.
    let thief = Signer::from_seed(&[9; 32]);
    let mut header = offer.header.clone();
    header.signer = thief.public_key();
    let stolen = Message::sign(header, offer.body.clone(), &thief);
    assert_eq!(p.refused(&stolen, NOW), Verdict::WrongKey);
    // Altered after signing: the amount raised.
    let mut altered = offer.clone();
    if let Body::Offer(o) = &mut altered.body {
        o.amount.minor *= 10;
    }
    assert_eq!(p.refused(&altered, NOW), Verdict::Forged);
    // Meant for another ledger.
    let mut other = pair();
    other.b_peers = Peers::new(id(5));
    other
        .b_peers
        .add(Peer {
            id: id(1),
            key: p.a_key.public_key(),
        })
        .unwrap();
    assert_eq!(other.refused(&offer, NOW), Verdict::NotAddressedHere);
    for v in [
        Verdict::UnknownPeer,
        Verdict::WrongKey,
        Verdict::Forged,
        Verdict::NotAddressedHere,
    ] {
        assert!(!v.is_final(), "{v} must not make the sender void");
    }
}

#[test]
fn an_offer_past_its_deadline_or_outside_the_scale_is_refused_finally() {
    let mut p = pair();
    let late = p.offer(&request(1, "1", 7));
    // The host's clock has passed the deadline, the journal's not yet: journal the time first.
    assert_eq!(
        p.decide(&late, NOW + 2 * HOUR_NS),
        Ok(OfferDecision::JournalTimeThenRefuse)
    );
    p.b.expire(NOW + 2 * HOUR_NS).unwrap();
    assert_eq!(p.refused(&late, NOW + 2 * HOUR_NS), Verdict::PastDeadline);
    // Even with a clock set back, the journal remembers.
    assert_eq!(p.refused(&late, NOW), Verdict::PastDeadline);

    let mut p = pair();
    let fine = p.offer(&request(2, "1.25", 7)); // B keeps tenths
    assert_eq!(p.refused(&fine, NOW), Verdict::AmountOutsideScale);
    let to_fund = p.offer(&request(3, "1", 8)); // an issuer is not a destination
    assert_eq!(p.refused(&to_fund, NOW), Verdict::DestinationInvalid);
    for v in [
        Verdict::PastDeadline,
        Verdict::AmountOutsideScale,
        Verdict::DestinationInvalid,
    ] {
        assert!(v.is_final());
    }
    // Nothing was credited on B.
    assert_eq!(p.b.account(acct(7)).unwrap().posted().to_string(), "0");
}

#[test]
fn a_refusal_voids_the_hold_and_a_credit_to_a_missing_account_is_refused_for_good() {
    let mut p = pair();
    let offer = p.offer(&request(1, "1", 99)); // B has no account 99
    let Ok(OfferDecision::Credit(credit)) = p.decide(&offer, NOW) else {
        panic!("tries")
    };
    let code = p.b.create_transfers(&[credit], NOW).unwrap()[0].code;
    assert_eq!(code, ResultCode::CreditAccountNotFound);
    // The engine remembers the failed id: the offer can never apply, even once 99 exists.
    p.b.create_accounts(&[NewAccount::new(acct(99), 1, AccountKind::Member)], NOW)
        .unwrap();
    assert_eq!(p.refused(&offer, NOW), Verdict::RefusedByLedger);
    let refusal = receiver::refusal(
        &p.b_peers,
        &offer,
        J,
        Verdict::RefusedByLedger,
        code as u16,
        &p.b_key,
    );
    let Ok(sender::AnswerAction::Void(void)) = p.answer(&offer, &refusal) else {
        panic!("voids")
    };
    assert_eq!(
        p.a.create_transfers(&[void], NOW).unwrap()[0].code,
        ResultCode::Ok
    );
    assert_eq!(p.answer(&offer, &refusal), Err(Verdict::Exists));
    // A receipt after the void is a disagreement, loudly.
    let receipt = receiver::receipt(&p.b_peers, &offer, J, NOW, &p.b_key);
    assert_eq!(p.answer(&offer, &receipt), Err(Verdict::AlreadyVoided));
}

#[test]
fn receipts_forged_replayed_or_for_another_exchange_are_refused() {
    let mut p = pair();
    let first = p.offer(&request(1, "1", 7));
    let second = p.offer(&request(2, "2", 7));
    let receipt = p.credit(&first);
    // Forged: signed by someone else with A's peer id.
    let thief = Signer::from_seed(&[9; 32]);
    let mut header = receipt.header.clone();
    header.signer = thief.public_key();
    let forged = Message::sign(header, receipt.body.clone(), &thief);
    assert_eq!(p.answer(&first, &forged), Err(Verdict::WrongKey));
    let mut altered = receipt.clone();
    altered.signature[0] ^= 1;
    assert_eq!(p.answer(&first, &altered), Err(Verdict::Forged));
    // The first offer's receipt presented for the second exchange.
    assert_eq!(p.answer(&second, &receipt), Err(Verdict::AnswerMismatch));
    assert_eq!(
        sender::on_answer(&p.a, &p.a_peers, None, &receipt),
        Err(Verdict::UnknownExchange)
    );
    // A refusal that is not final leaves the hold.
    let not_final = receiver::refusal(&p.b_peers, &second, J, Verdict::Forged, 0, &p.b_key);
    assert_eq!(p.answer(&second, &not_final), Err(Verdict::RefusalNotFinal));
    // Posted once; replayed, it is `exists`; the hold stays posted.
    let Ok(sender::AnswerAction::Post(post)) = p.answer(&first, &receipt) else {
        panic!("posts")
    };
    assert_eq!(
        p.a.create_transfers(&[post], NOW).unwrap()[0].code,
        ResultCode::Ok
    );
    assert_eq!(p.answer(&first, &receipt), Err(Verdict::Exists));
    let hold = p.a.transfer(first.header.exchange.hold_transfer()).unwrap();
    assert_eq!(hold.state, TransferState::PendingPosted);
    // A final refusal after the post is a disagreement.
    let late = receiver::refusal(&p.b_peers, &first, J, Verdict::PastDeadline, 0, &p.b_key);
    assert_eq!(p.answer(&first, &late), Err(Verdict::AlreadyPosted));
    // The duplicated offer gets its receipt again, never a second credit.
    assert!(matches!(
        p.decide(&first, NOW + 5),
        Ok(OfferDecision::Credited { .. })
    ));
    assert_eq!(p.b.account(acct(7)).unwrap().posted().to_string(), "1");
}

#[test]
fn messages_round_trip_through_bytes_and_json_and_bad_bytes_are_malformed() {
    let mut p = pair();
    let offer = p.offer(&request(1, "1.5", 7));
    let receipt = p.credit(&offer);
    let refusal = receiver::refusal(
        &p.b_peers,
        &offer,
        J,
        Verdict::RefusedByLedger,
        110,
        &p.b_key,
    );
    for m in [&offer, &receipt, &refusal] {
        assert_eq!(&Message::from_bytes(&m.to_bytes()).unwrap(), m);
        assert_eq!(&Message::from_json(&m.to_json()).unwrap(), m);
        assert_eq!(&Message::decode(m.to_json().as_bytes()).unwrap(), m);
        assert!(m.signature_valid());
        let bytes = m.to_bytes();
        for cut in 0..bytes.len() {
            assert!(Message::from_bytes(&bytes[..cut]).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(Message::from_bytes(&long).is_err());
    }
    let mut newer = offer.to_bytes();
    newer[4] = 2;
    assert_eq!(
        Message::from_bytes(&newer).unwrap_err().verdict(),
        Verdict::VersionUnsupported
    );
    let json = offer.to_json().replace("\"1.50\"", "\"-1.5\"");
    assert_eq!(
        Message::from_json(&json).unwrap_err().verdict(),
        Verdict::Malformed
    );
}

/// Re-signs `offer` with A's key after `change` alters its state.
fn with_state(
    p: &Pair,
    offer: &Message,
    change: impl FnOnce(&mut ledger_exchange::Carried),
) -> Message {
    let Body::Offer(mut o) = offer.body.clone() else {
        panic!("an offer")
    };
    let mut carried = o.carried.take().unwrap_or(ledger_exchange::Carried {
        parts: vec![ledger_exchange::Part {
            expires_at: ledger_core::NO_EXPIRY,
            minor: o.amount.minor,
        }],
        moving: None,
    });
    change(&mut carried);
    o.carried = Some(carried);
    Message::sign(offer.header.clone(), Body::Offer(o), &p.a_key)
}

#[test]
fn offers_with_state_round_trip_and_bad_parts_are_malformed() {
    let mut p = pair();
    let offer = p.offer(&request(1, "2.5", 7));
    assert_eq!(
        offer.kind_name(),
        "offer",
        "hours that never expire carry nothing"
    );
    let moving = with_state(&p, &offer, |c| {
        c.parts = vec![
            ledger_exchange::Part {
                expires_at: NOW + HOUR_NS,
                minor: 50,
            },
            ledger_exchange::Part {
                expires_at: ledger_core::NO_EXPIRY,
                minor: 200,
            },
        ];
        c.moving = Some(ledger_exchange::Moving {
            earned_lifetime_minor: 0,
            eligible_from: Some(NOW),
        });
    });
    assert_eq!(moving.kind_name(), "offer_with_state");
    assert_eq!(
        Message::from_bytes(&moving.to_bytes()).as_ref(),
        Ok(&moving)
    );
    assert_eq!(Message::from_json(&moving.to_json()).as_ref(), Ok(&moving));
    assert!(moving.signature_valid());
    // B arrives it (an operation), not a plain credit.
    assert!(matches!(
        p.decide(&moving, NOW + 1),
        Ok(OfferDecision::Arrive(_))
    ));
    let bad: [fn(&mut ledger_exchange::Carried); 4] = [
        |c| c.parts[0].minor += 1,          // parts do not sum to the amount
        |c| c.parts.swap(0, 1),             // out of order of expiry
        |c| c.parts[0].minor = 0,           // a part of zero
        |c| c.parts = vec![c.parts[0]; 17], // more than 16 parts
    ];
    for change in bad {
        let forged = with_state(&p, &moving, change);
        assert!(
            matches!(
                Message::from_bytes(&forged.to_bytes()),
                Err(ledger_exchange::DecodeError::Malformed(_))
            ),
            "{forged:?}"
        );
        assert!(Message::from_json(&forged.to_json()).is_err());
    }
}
