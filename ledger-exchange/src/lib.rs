//! Portability between time-bank ledgers (通存通兑): hours earned in one district's ledger
//! honoured in another's, exactly once, through clearing accounts and signed messages.
//!
//! Each ledger keeps a clearing account per peer and unit ([`clearing_account`]). An exchange has
//! two phases, like a card authorisation:
//! 1. the sending ledger holds the member's hours (a pending transfer against the clearing
//!    account for the peer, [`sender::hold`]) and emits a signed [`Offer`] with a deadline;
//! 2. the receiving ledger applies it ([`receiver::on_offer`]: credit the member there, or pay a
//!    care provider there directly, from its clearing account for the sender) and answers with a
//!    signed [`Receipt`], or refuses with a [`Refusal`] (after the deadline it always refuses);
//! 3. the sender posts its hold on the receipt, or voids it on a final refusal
//!    ([`sender::on_answer`]).
//!
//! Every transfer either side makes has an id derived from the exchange ([`ExchangeId`]), so a
//! duplicated, reordered or replayed message finds its transfer already there (`exists`) and
//! nothing is credited twice. Per unit, the sender's clearing balance for the receiver and the
//! receiver's for the sender sum to zero once exchanges settle ([`positions`]).
//!
//! The crate is pure: no I/O, no clock, no threads. It reads a [`ledger_core::Ledger`] and says
//! what to submit; the host (the store's `exchange` module, the CLI, the C ABI) journals the
//! transfers, keeps the offers it made, and carries the messages (HTTP, a queue, files).
//!
//! ```
//! use ledger_core::{AccountId, AccountKind, Amount, Ledger, NewAccount, ResultCode, Transfer,
//!                   TransferId, TransferState, Unit};
//! use ledger_exchange::{receiver, sender, JournalRef, Message, OfferDecision, Peer, PeerId,
//!                       Peers, SendRequest, Signer};
//!
//! let now = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z
//! let (a_id, b_id) = (PeerId::new(310101).unwrap(), PeerId::new(310104).unwrap());
//! let (a_key, b_key) = (Signer::from_seed(&[1; 32]), Signer::from_seed(&[2; 32]));
//! let mut a = Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap();
//! let mut b = Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap();
//! let (mut a_peers, mut b_peers) = (Peers::new(a_id), Peers::new(b_id));
//! let a_as_peer = Peer { id: a_id, key: a_key.public_key() };
//! let b_as_peer = Peer { id: b_id, key: b_key.public_key() };
//! a_peers.add(b_as_peer).unwrap();
//! b_peers.add(a_as_peer).unwrap();
//! a.create_accounts(&b_as_peer.clearing_accounts(&a), now).unwrap();
//! b.create_accounts(&a_as_peer.clearing_accounts(&b), now).unwrap();
//!
//! // A member of A with 5 hours; a member of B.
//! let (fund, member) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
//! a.create_accounts(&[NewAccount::new(fund, 1, AccountKind::Issuer),
//!                     NewAccount::new(member, 1, AccountKind::Member)], now).unwrap();
//! let five = Amount::parse_in("5", 2).unwrap();
//! a.create_transfers(&[Transfer::new(TransferId::new(1).unwrap(), fund, member, five, 1)], now)
//!     .unwrap();
//! let moved_to = AccountId::new(7).unwrap();
//! b.create_accounts(&[NewAccount::new(moved_to, 1, AccountKind::Member)], now).unwrap();
//!
//! // 1. A holds 2.5 hours and offers them (the journal reference is the hold's record).
//! let request = SendRequest { number: 1, to: b_id, unit: 1,
//!                             amount: Amount::parse_in("2.5", 2).unwrap(), source: member,
//!                             destination: moved_to, deadline: now + 3_600_000_000_000 };
//! let hold = sender::hold(&a, &a_peers, &request, now).unwrap();
//! assert_eq!(a.create_transfers(&[hold], now + 1).unwrap()[0].code, ResultCode::Ok);
//! let offer = sender::offer(&a, &a_peers, &request, JournalRef { sequence: 4, hash: [0; 32] },
//!                           &a_key);
//! let wire = offer.to_bytes();
//!
//! // 2. B applies it and answers with a receipt.
//! let offer = Message::from_bytes(&wire).unwrap();
//! let OfferDecision::Credit(credit) = receiver::on_offer(&b, &b_peers, &offer, now + 2).unwrap()
//! else { panic!("B credits") };
//! let done = b.create_transfers(&[credit], now + 2).unwrap();
//! assert_eq!(done[0].code, ResultCode::Ok);
//! let receipt = receiver::receipt(&b_peers, &offer, JournalRef { sequence: 3, hash: [0; 32] },
//!                                 done[0].timestamp, &b_key);
//! // The same offer again changes nothing: it was credited.
//! assert!(matches!(receiver::on_offer(&b, &b_peers, &offer, now + 3),
//!                  Ok(OfferDecision::Credited { .. })));
//!
//! // 3. A posts its hold on the receipt.
//! let receipt = Message::from_bytes(&receipt.to_bytes()).unwrap();
//! let sender::AnswerAction::Post(post) = sender::on_answer(&a, &a_peers, Some(&offer), &receipt)
//!     .unwrap() else { panic!("A posts") };
//! assert_eq!(a.create_transfers(&[post], now + 4).unwrap()[0].code, ResultCode::Ok);
//! assert_eq!(a.transfer(offer.header.exchange.hold_transfer()).unwrap().state,
//!            TransferState::PendingPosted);
//!
//! // The clearing balances mirror: A owes B 2.5 hours, B is owed 2.5.
//! let a_pos = ledger_exchange::positions(&a, &a_peers);
//! let b_pos = ledger_exchange::positions(&b, &b_peers);
//! assert_eq!(a_pos[0].owed_to_peer.to_string(), "2.5");
//! assert_eq!(b_pos[0].owed_to_peer.to_string(), "-2.5");
//! assert_eq!(b.account(moved_to).unwrap().posted().to_string(), "2.5");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hex;
pub mod id;
pub mod message;
pub mod peer;
pub mod position;
pub mod receiver;
pub mod sender;
pub mod signature;
pub mod unit_map;
pub mod verdict;

pub use id::{clearing_account, key_fingerprint, ExchangeId, PeerId, ID_CONTEXT};
pub use message::{
    Body, Carried, DecodeError, Header, JournalRef, Message, Moving, Offer, Part, Receipt, Refusal,
    WireAmount, MESSAGE_BYTES_MAX, MESSAGE_VERSION, PARTS_MAX,
};
pub use peer::{Peer, PeerError, Peers, PEERS_MAX};
pub use position::{positions, Position};
pub use receiver::OfferDecision;
pub use sender::{due_offers, AnswerAction, SendError, SendRequest};
pub use signature::{PublicKey, Signer};
pub use verdict::Verdict;
