//! `exchange_decode`: the exchange message decoders of `ledger-exchange` (bytes and JSON) on
//! arbitrary input and on signed messages with bytes changed, checked against a decoder written
//! here from the layout `ledger_exchange::message` documents, and the receiving and sending
//! sides of the protocol on whatever decodes.
//!
//! What must hold: no decoder panics; bytes decode exactly when the reference accepts them, to
//! the same fields, and an unsupported version is named as such; a decoded message re-encodes to
//! the same bytes and survives a trip through JSON; JSON that parses survives a trip through
//! bytes; a message whose signed bytes differ by even one byte from what was signed never
//! verifies, and the peers list never authenticates it; deciding on an offer or an answer never
//! panics, and only an authentic message is ever acted on.

use arbitrary::{Arbitrary, Unstructured};
use ledger_core::{AccountId, AccountKind, Amount, Ledger, NewAccount, Transfer, TransferId, Unit};
use ledger_exchange::message::{HEADER_BYTES, SCALE_MAX, SIGNATURE_BYTES, UNIT_NAME_BYTES_MAX};
use ledger_exchange::{
    receiver, sender, Body, Carried, DecodeError, ExchangeId, Header, JournalRef, Message, Moving,
    Offer, OfferDecision, Part, Peer, PeerId, Peers, PublicKey, Receipt, Refusal, Signer, Verdict,
    WireAmount, MESSAGE_BYTES_MAX,
};

const NOW: u64 = 1_767_225_600_000_000_000;

#[derive(Arbitrary, Debug)]
pub enum ExchangeInput<'a> {
    /// Arbitrary bytes into `Message::from_bytes` and `Message::decode`.
    Bytes(&'a [u8]),
    /// Arbitrary text into `Message::from_json`.
    Json(&'a str),
    /// A message signed by one of three ledgers, then changed byte by byte.
    Signed(SignedInput),
}

#[derive(Arbitrary, Debug)]
pub struct SignedInput {
    signer: u8,
    from: u8,
    to: u8,
    origin: u8,
    number: u64,
    journal_sequence: u64,
    journal_hash: [u8; 32],
    body: BodyInput,
    /// (offset, xor) pairs applied to the signed bytes.
    edits: Vec<(u16, u8)>,
    /// Bytes cut off the end, then bytes appended.
    cut: u8,
    append: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum BodyInput {
    Offer {
        unit: u8,
        minor: u64,
        scale: u8,
        source: u128,
        destination: u128,
        deadline_offset: i32,
        /// An offer with state: parts (expiry, minor) and a move (earned, eligible_from).
        parts: Vec<(u64, u64)>,
        moving: Option<(u64, u64)>,
    },
    Receipt {
        answers_real_offer: bool,
        offer_hash: [u8; 32],
        credited_at: u64,
    },
    Refusal {
        answers_real_offer: bool,
        offer_hash: [u8; 32],
        verdict: u8,
        ledger_code: u16,
    },
}

pub fn run(data: &[u8]) {
    let Ok(input) = ExchangeInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let world = World::new();
    match input {
        ExchangeInput::Bytes(bytes) => check_bytes(&world, bytes, None),
        ExchangeInput::Json(text) => check_json(&world, text),
        ExchangeInput::Signed(signed) => check_signed(&world, &signed),
    }
}

/// Three ledgers, 1, 2 and 3, with their keys; ledger 2 ("here") has 1 and 3 as peers, a
/// member 7 and an offer it made to 1 (exchange 2/1, its hold pending).
struct World {
    keys: [Signer; 3],
    here: Ledger,
    peers: Peers,
    own_offer: Message,
}

fn peer_id(n: u64) -> PeerId {
    PeerId::new(n).expect("not zero")
}

fn account(n: u128) -> AccountId {
    AccountId::new(n).expect("not zero")
}

impl World {
    fn new() -> World {
        let keys = [1u8, 2, 3].map(|s| Signer::from_seed(&[s; 32]));
        let mut here = Ledger::new(vec![Unit::new(1, "hours", 2), Unit::new(2, "points", 0)])
            .expect("two units");
        let mut peers = Peers::new(peer_id(2));
        for (n, key) in [(1, &keys[0]), (3, &keys[2])] {
            let peer = Peer {
                id: peer_id(n),
                key: key.public_key(),
            };
            peers.add(peer).expect("a new peer");
            here.create_accounts(&peer.clearing_accounts(&here), NOW)
                .expect("clearing accounts");
        }
        here.create_accounts(
            &[
                NewAccount::new(account(5), 1, AccountKind::Issuer),
                NewAccount::new(account(7), 1, AccountKind::Member),
                NewAccount::new(account(8), 2, AccountKind::Member),
            ],
            NOW,
        )
        .expect("accounts");
        let five = Amount::parse_in("5", 2).expect("an amount");
        here.create_transfers(
            &[Transfer::new(
                TransferId::new(1).expect("not zero"),
                account(5),
                account(7),
                five,
                1,
            )],
            NOW,
        )
        .expect("a deposit");
        let request = ledger_exchange::SendRequest {
            number: 1,
            to: peer_id(1),
            unit: 1,
            amount: Amount::parse_in("1.5", 2).expect("an amount"),
            source: account(7),
            destination: account(9),
            deadline: NOW + 3_600_000_000_000,
        };
        let hold = sender::hold(&here, &peers, &request, NOW).expect("a hold");
        here.create_transfers(&[hold], NOW + 1).expect("the hold");
        let journal = JournalRef {
            sequence: 5,
            hash: [9; 32],
        };
        let own_offer = sender::offer(&here, &peers, &request, journal, &keys[1]);
        World {
            keys,
            here,
            peers,
            own_offer,
        }
    }
}

/// What the reference decoder reads: every field, or why not.
#[derive(Debug, PartialEq, Eq)]
enum Reference {
    Message(Box<Message>),
    Version(u8),
    Malformed,
}

/// The documented layout, read field by field with plain slicing.
fn reference_decode(b: &[u8]) -> Reference {
    let Some(r) = reference_fields(b) else {
        return match b.get(4) {
            Some(&v) if b.len() <= MESSAGE_BYTES_MAX && b[..4] == *b"TBEX" && v != 1 => {
                Reference::Version(v)
            }
            _ => Reference::Malformed,
        };
    };
    Reference::Message(Box::new(r))
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn reference_fields(b: &[u8]) -> Option<Message> {
    if b.len() > MESSAGE_BYTES_MAX || b.len() < HEADER_BYTES + SIGNATURE_BYTES {
        return None;
    }
    if b[..4] != *b"TBEX" || b[4] != 1 {
        return None;
    }
    let header = Header {
        from: PeerId::new(le64(b, 6))?,
        to: PeerId::new(le64(b, 14))?,
        exchange: ExchangeId {
            origin: PeerId::new(le64(b, 22))?,
            number: le64(b, 30),
        },
        journal: JournalRef {
            sequence: le64(b, 38),
            hash: b[46..78].try_into().expect("32 bytes"),
        },
        signer: PublicKey::from_bytes(&b[78..110].try_into().expect("32 bytes"))?,
    };
    let body_bytes = &b[HEADER_BYTES..b.len() - SIGNATURE_BYTES];
    let body = match b[5] {
        1 => {
            let (offer, end) = reference_offer(body_bytes)?;
            (end == body_bytes.len()).then_some(())?;
            Body::Offer(offer)
        }
        4 => {
            let (mut offer, end) = reference_offer(body_bytes)?;
            offer.carried = Some(reference_carried(&body_bytes[end..], offer.amount.minor)?);
            Body::Offer(offer)
        }
        2 if body_bytes.len() == 40 => Body::Receipt(Receipt {
            offer_hash: body_bytes[..32].try_into().expect("32 bytes"),
            credited_at: le64(body_bytes, 32),
        }),
        3 if body_bytes.len() == 36 => Body::Refusal(Refusal {
            offer_hash: body_bytes[..32].try_into().expect("32 bytes"),
            verdict: Verdict::from_u16(u16::from_le_bytes([body_bytes[32], body_bytes[33]]))?,
            ledger_code: u16::from_le_bytes([body_bytes[34], body_bytes[35]]),
        }),
        _ => return None,
    };
    Some(Message {
        header,
        body,
        signature: b[b.len() - SIGNATURE_BYTES..].try_into().expect("64 bytes"),
    })
}

/// An offer's fields at the start of `body`, and where they end.
fn reference_offer(body: &[u8]) -> Option<(Offer, usize)> {
    let n = usize::from(*body.first()?);
    let end = 1 + n + 8 + 1 + 16 + 16 + 8;
    if n == 0 || n > UNIT_NAME_BYTES_MAX || body.len() < end {
        return None;
    }
    let unit = std::str::from_utf8(&body[1..1 + n]).ok()?.to_owned();
    let rest = &body[1 + n..];
    let minor = le64(rest, 0);
    let scale = rest[8];
    if minor == 0 || scale > SCALE_MAX {
        return None;
    }
    let id = |at: usize| {
        AccountId::new(u128::from_le_bytes(
            rest[at..at + 16].try_into().expect("16 bytes"),
        ))
    };
    let offer = Offer {
        unit,
        amount: WireAmount { minor, scale },
        source: id(9)?,
        destination: id(25)?,
        deadline: le64(rest, 41),
        carried: None,
    };
    Some((offer, end))
}

/// The state of an offer with state (kind 4), the whole rest of the body.
fn reference_carried(b: &[u8], amount_minor: u64) -> Option<Carried> {
    let count = usize::from(*b.first()?);
    if count == 0 || count > 16 || b.len() < 1 + 16 * count + 1 {
        return None;
    }
    let parts: Vec<Part> = (0..count)
        .map(|i| Part {
            expires_at: le64(b, 1 + 16 * i),
            minor: le64(b, 9 + 16 * i),
        })
        .collect();
    let flags_at = 1 + 16 * count;
    let moving = match (b[flags_at], b.len() - flags_at - 1) {
        (0, 0) => None,
        (1, 16) => Some(Moving {
            earned_lifetime_minor: le64(b, flags_at + 1),
            eligible_from: Some(le64(b, flags_at + 9)).filter(|at| *at != 0),
        }),
        _ => return None,
    };
    let mut sum = 0u64;
    for (i, part) in parts.iter().enumerate() {
        if part.minor == 0 || (i > 0 && parts[i - 1].expires_at > part.expires_at) {
            return None;
        }
        sum = sum.checked_add(part.minor)?;
    }
    (sum == amount_minor).then_some(Carried { parts, moving })
}

/// `signed`: the bytes that were signed, when the input came from a signed message.
fn check_bytes(world: &World, bytes: &[u8], signed: Option<&[u8]>) {
    let decoded = Message::from_bytes(bytes);
    let expected = reference_decode(bytes);
    match (&decoded, &expected) {
        (Ok(m), Reference::Message(r)) => assert_eq!(m, &**r, "decoded fields differ"),
        (Err(DecodeError::Version(v)), Reference::Version(w)) => assert_eq!(v, w),
        (Err(DecodeError::Malformed(_)), Reference::Malformed) => {}
        _ => panic!("decoder says {decoded:?}, the documented layout says {expected:?}"),
    }
    // `decode` takes bytes that start with `{` (after blanks) for JSON.
    let json_like = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !json_like {
        assert_eq!(
            Message::decode(bytes),
            decoded,
            "decode differs from from_bytes"
        );
    }
    let message = match decoded {
        Ok(message) => message,
        Err(e) => {
            assert!(matches!(
                e.verdict(),
                Verdict::Malformed | Verdict::VersionUnsupported
            ));
            return;
        }
    };
    assert_eq!(
        message.to_bytes(),
        bytes,
        "a decoded message re-encodes differently"
    );
    let json = message.to_json();
    assert_eq!(
        Message::from_json(&json).as_ref(),
        Ok(&message),
        "JSON round trip: {json}"
    );
    assert_eq!(Message::decode(json.as_bytes()).as_ref(), Ok(&message));
    let valid = message.signature_valid();
    if let Some(signed) = signed {
        assert_eq!(
            valid,
            bytes == signed,
            "a changed message verified, or the signed one did not"
        );
    }
    act_on(world, &message, valid);
}

fn check_json(world: &World, text: &str) {
    let Ok(message) = Message::from_json(text) else {
        return;
    };
    let bytes = message.to_bytes();
    assert!(bytes.len() <= MESSAGE_BYTES_MAX);
    assert_eq!(
        Message::from_bytes(&bytes).as_ref(),
        Ok(&message),
        "JSON-parsed message does not survive bytes"
    );
    assert_eq!(
        Message::from_json(&message.to_json()).as_ref(),
        Ok(&message)
    );
    if text.trim_start().starts_with('{') {
        assert_eq!(Message::decode(text.as_bytes()).as_ref(), Ok(&message));
    }
    act_on(world, &message, message.signature_valid());
}

/// The receiving and sending sides on a decoded message: never a panic, and nothing but an
/// authentic message is acted on.
fn act_on(world: &World, message: &Message, signature_valid: bool) {
    let authentic = world.peers.authenticate(message);
    if authentic.is_ok() {
        assert!(signature_valid, "an unsigned message authenticated");
    }
    match receiver::on_offer(&world.here, &world.peers, message, NOW + 2) {
        Ok(OfferDecision::Credit(credit)) => {
            assert!(authentic.is_ok(), "credit for an inauthentic offer");
            let mut here = world.here.clone();
            let _ = here.create_transfers(&[credit], NOW + 2);
        }
        Ok(OfferDecision::Arrive(arrival)) => {
            assert!(authentic.is_ok(), "arrival for an inauthentic offer");
            let mut here = world.here.clone();
            let _ = here.operate(&arrival, NOW + 2);
        }
        Ok(_) => assert!(authentic.is_ok(), "decision on an inauthentic offer"),
        Err(_) => {}
    }
    match sender::on_answer(&world.here, &world.peers, Some(&world.own_offer), message) {
        Ok(action) => {
            assert!(authentic.is_ok(), "action on an inauthentic answer");
            let transfer = match action {
                sender::AnswerAction::Post(t) | sender::AnswerAction::Void(t) => t,
            };
            let mut here = world.here.clone();
            let _ = here.create_transfers(&[transfer], NOW + 3);
        }
        Err(verdict) => {
            let _ = verdict.name();
        }
    }
}

fn check_signed(world: &World, input: &SignedInput) {
    let pick = |n: u8| peer_id(u64::from(n % 4) + 1);
    let signer = &world.keys[usize::from(input.signer % 3)];
    let header = Header {
        from: pick(input.from),
        to: pick(input.to),
        exchange: ExchangeId {
            origin: pick(input.origin),
            number: input.number % 4,
        },
        journal: JournalRef {
            sequence: input.journal_sequence,
            hash: input.journal_hash,
        },
        signer: signer.public_key(),
    };
    let real_hash = world.own_offer.offer_hash();
    let body = match &input.body {
        BodyInput::Offer {
            unit,
            minor,
            scale,
            source,
            destination,
            deadline_offset,
            parts,
            moving,
        } => {
            let units = ["hours", "points", "days", "时间"];
            // Parts made valid (non-zero, in order of expiry, the amount their sum), so the
            // signed message decodes to itself; edits to its bytes test the refusals.
            let carried = (!parts.is_empty()).then(|| {
                let mut parts: Vec<Part> = parts
                    .iter()
                    .take(16)
                    .map(|&(expires_at, minor)| Part {
                        expires_at,
                        minor: minor % 1_000_000 + 1,
                    })
                    .collect();
                parts.sort_by_key(|p| p.expires_at);
                Carried {
                    parts,
                    moving: moving.map(|(earned, eligible)| Moving {
                        earned_lifetime_minor: earned,
                        eligible_from: Some(eligible).filter(|at| *at != 0),
                    }),
                }
            });
            let minor = match &carried {
                Some(c) => c.parts.iter().map(|p| p.minor).sum(),
                None => (*minor).max(1),
            };
            Body::Offer(Offer {
                unit: units[usize::from(unit % 4)].to_owned(),
                amount: WireAmount {
                    minor,
                    scale: scale % (SCALE_MAX + 1),
                },
                source: AccountId::new(*source).unwrap_or(account(1)),
                destination: AccountId::new(destination % 12).unwrap_or(account(7)),
                deadline: NOW.wrapping_add_signed(i64::from(*deadline_offset) * 1_000_000),
                carried,
            })
        }
        BodyInput::Receipt {
            answers_real_offer,
            offer_hash,
            credited_at,
        } => Body::Receipt(Receipt {
            offer_hash: if *answers_real_offer {
                real_hash
            } else {
                *offer_hash
            },
            credited_at: *credited_at,
        }),
        BodyInput::Refusal {
            answers_real_offer,
            offer_hash,
            verdict,
            ledger_code,
        } => Body::Refusal(Refusal {
            offer_hash: if *answers_real_offer {
                real_hash
            } else {
                *offer_hash
            },
            verdict: Verdict::ALL[usize::from(*verdict) % Verdict::ALL.len()],
            ledger_code: *ledger_code,
        }),
    };
    let message = Message::sign(header, body, signer);
    let signed = message.to_bytes();
    let mut bytes = signed.clone();
    for (at, xor) in &input.edits {
        let len = bytes.len();
        if len > 0 {
            bytes[usize::from(*at) % len] ^= xor;
        }
    }
    bytes.truncate(bytes.len().saturating_sub(usize::from(input.cut)));
    bytes.extend_from_slice(&input.append);
    if bytes == signed {
        assert!(
            message.signature_valid(),
            "a signed message does not verify"
        );
        assert_eq!(Message::from_bytes(&bytes).as_ref(), Ok(&message));
    }
    check_bytes(world, &bytes, Some(&signed));
}
