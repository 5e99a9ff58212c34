//! Exchanges with other ledgers (通存通兑) on a durable store: the host-side half of
//! `ledger-exchange`, which decides, while this module journals, keeps the offers made and signs.
//!
//! Beside the journal, in `DIR/exchange/`:
//! - `peers.json`: this ledger's id and its peers' ids and public keys
//!   ([`ledger_exchange::Peers::to_json`]), replaced atomically (write, fsync, rename, fsync the
//!   directory). The journal binds each peer to its key through its clearing accounts, and open
//!   refuses a list that disagrees with the journal.
//! - `offers.tbx`: every offer this ledger made (offers with state too), appended and fsync'd once its hold is durable.
//!   Each frame is the message's length (2 bytes, little-endian), its canonical bytes, and the
//!   first 8 bytes of their blake3 hash. A frame cut short or failing its hash at the end of the
//!   file is a crash mid-append (that offer was never returned to the host) and is cut on open;
//!   anywhere else it is corruption.
//!
//! What a crash leaves, step by step: a hold durable but its offer not yet appended is found on
//! open (a pending hold of an exchange of this ledger with no offer) and voided, since no offer
//! for it ever left; a credit durable but its receipt never sent is answered again when the
//! offer comes again; a post or void not yet durable is made when the answer comes again. No
//! step depends on anything but the journal and the offers file.
//!
//! The signing key is the host's, kept outside the data directory.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use ledger_core::{Command, Ledger, ResultCode, TransferId, TransferState};
use ledger_exchange::{
    receiver, sender, Body, ExchangeId, JournalRef, Message, OfferDecision, Peer, PeerError,
    PeerId, Peers, Position, SendError, SendRequest, Signer, Verdict,
};

use crate::store::{Committed, Store};

/// The directory, inside the data directory, that holds the exchange files.
pub const EXCHANGE_DIR_NAME: &str = "exchange";
/// The file in [`EXCHANGE_DIR_NAME`] that holds this ledger's id and its peers (JSON).
pub const PEERS_FILE_NAME: &str = "peers.json";
/// The file in [`EXCHANGE_DIR_NAME`] that holds every offer this ledger made (framed, see the
/// module docs).
pub const OFFERS_FILE_NAME: &str = "offers.tbx";
const FRAME_CHECK_BYTES: usize = 8;

/// Why an exchange operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The store failed (the store's own error says what is known of the write).
    #[error(transparent)]
    Store(#[from] crate::Error),
    /// Reading or writing an exchange file failed.
    #[error("exchange files: {0}")]
    Io(#[from] std::io::Error),
    /// The peer list is not valid, disagrees with the journal, or does not know a peer.
    #[error(transparent)]
    Peers(#[from] PeerError),
    /// The send request is not valid (see [`SendError`]).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The ledger refused the hold (or another transfer) with this result code.
    #[error("the ledger refused it: {}", .0.name())]
    Refused(ResultCode),
    /// The exchange number was used before for another offer, or for an offer that was voided.
    #[error("exchange number {0} was used before")]
    NumberUsed(u64),
    /// No exchange files exist yet and no own id was given to create them; holds the
    /// directory.
    #[error("no exchange files in {0}: give this ledger's id to start exchanging")]
    NotSetUp(PathBuf),
    /// The own id given differs from the one the exchange files hold.
    #[error("this ledger's exchange id is {found}, not {given}")]
    OtherOwnId {
        /// The id in `peers.json`.
        found: PeerId,
        /// The id given to [`Exchange::open`].
        given: PeerId,
    },
    /// An exchange file is damaged other than by a crash mid-append; holds the file and why.
    #[error("{0} is damaged: {1}")]
    Corrupted(PathBuf, String),
    /// A crash point set with [`Exchange::crash_at`] was reached (tests only): drop the
    /// exchange and the store, and reopen both.
    #[error("simulated crash")]
    Crashed,
}

/// An exchange operation's result.
pub type Result<T> = std::result::Result<T, ExchangeError>;

/// A step after which a test may stop an operation as a crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// The hold is durable, its offer not yet recorded.
    AfterHold,
    /// The credit is durable, the receipt not yet returned.
    AfterCredit,
    /// The post or void is durable, the verdict not yet returned.
    AfterAnswer,
}

/// What [`Exchange::receive`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// What this ledger decided about the message: `ok`, `exists` (seen before), or why it
    /// was refused.
    pub verdict: Verdict,
    /// The engine's code when the verdict is `refused_by_ledger`.
    pub ledger_code: Option<ResultCode>,
    /// The answer to send back to the message's sender (for an offer: a receipt or a refusal).
    pub reply: Option<Message>,
}

/// An offer whose hold is still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExchange {
    /// The exchange (this ledger is its origin).
    pub exchange: ExchangeId,
    /// The request the offer was made from, rebuilt from the offer and the ledger.
    pub request: SendRequest,
    /// The signed offer, as first sent (to deliver again).
    pub offer: Message,
}

/// This ledger's side of its exchanges. Methods take the store they work on; one `Exchange`
/// per store, and its methods run one at a time (`&mut self`).
#[derive(Debug)]
pub struct Exchange {
    dir: PathBuf,
    peers: Peers,
    signer: Signer,
    offers: BTreeMap<u64, Message>,
    offers_file: File,
    crash_at: Option<CrashPoint>,
}

impl Exchange {
    /// Opens the exchange files of `store` (creating them when `own` is given and there are
    /// none), checks the peers against the journal, and voids holds whose offer never left.
    pub fn open(store: &Store, own: Option<PeerId>, signer: Signer, now: u64) -> Result<Exchange> {
        let dir = store.dir().join(EXCHANGE_DIR_NAME);
        let peers_path = dir.join(PEERS_FILE_NAME);
        let peers = match std::fs::read_to_string(&peers_path) {
            Ok(text) => {
                let peers = Peers::from_json(&text)?;
                if let Some(given) = own.filter(|g| *g != peers.own()) {
                    return Err(ExchangeError::OtherOwnId {
                        found: peers.own(),
                        given,
                    });
                }
                peers
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let own = own.ok_or_else(|| ExchangeError::NotSetUp(dir.clone()))?;
                std::fs::create_dir_all(&dir)?;
                let peers = Peers::new(own);
                write_atomically(&peers_path, peers.to_json().as_bytes())?;
                peers
            }
            Err(e) => return Err(e.into()),
        };
        store.read(|ledger| peers.check_bound(ledger))?;
        let offers_path = dir.join(OFFERS_FILE_NAME);
        let offers = read_offers(&offers_path, peers.own())?;
        let offers_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&offers_path)?;
        sync_dir(&dir)?;
        let mut exchange = Exchange {
            dir,
            peers,
            signer,
            offers,
            offers_file,
            crash_at: None,
        };
        exchange.void_unsent_holds(store, now)?;
        Ok(exchange)
    }

    /// This ledger's id and its peers, as `peers.json` holds them.
    pub fn peers(&self) -> &Peers {
        &self.peers
    }

    /// This ledger's own exchange id.
    pub fn own(&self) -> PeerId {
        self.peers.own()
    }

    /// Makes the next operation that reaches `point` stop there (tests of crash recovery).
    pub fn crash_at(&mut self, point: Option<CrashPoint>) {
        self.crash_at = point;
    }

    fn crash_point(&mut self, point: CrashPoint) -> Result<()> {
        if self.crash_at == Some(point) {
            self.crash_at = None;
            return Err(ExchangeError::Crashed);
        }
        Ok(())
    }

    /// Registers `peer`: opens its clearing accounts (journaled), then adds it to the peer list.
    /// Registering it again with the same key changes nothing; with another key it is refused.
    pub fn add_peer(&mut self, store: &Store, peer: Peer, now: u64) -> Result<()> {
        let mut peers = self.peers.clone();
        peers.add(peer)?;
        let accounts = store.read(|ledger| {
            Peers::check_peer_bound(ledger, peer).map(|()| peer.clearing_accounts(ledger))
        })?;
        let done = store.create_accounts(accounts, now)?;
        if let Some(bad) = done
            .events()
            .iter()
            .find(|e| !matches!(e.code, ResultCode::Ok | ResultCode::Exists))
        {
            return Err(ExchangeError::Refused(bad.code));
        }
        write_atomically(&self.dir.join(PEERS_FILE_NAME), peers.to_json().as_bytes())?;
        self.peers = peers;
        Ok(())
    }

    /// Holds the hours and returns the signed offer to deliver. Sending the same request again
    /// returns the same offer (nothing changes).
    ///
    /// On `Ok`: the hold is durable and the offer recorded; deliver it (again and again if need
    /// be: duplicates are harmless). On `Err`: nothing was held, or (after a crash point or an
    /// I/O error) a hold is durable without its offer, which the next open voids.
    pub fn send(&mut self, store: &Store, request: &SendRequest, now: u64) -> Result<Message> {
        self.offer(store, request, false, now)
    }

    /// Moves a member: holds their whole balance in the request's unit and returns the signed
    /// offer with state (the parts' expiries here, what they earned here in all, their
    /// eligibility date), which the receiver keeps ([`ledger_core::arrival`]). Otherwise as
    /// [`Exchange::send`]: the same request again returns the same offer, and the exchange
    /// completes exactly once. Refused (nothing held) unless the amount is the whole balance
    /// and nothing of it is held ([`SendError::NotWholeBalance`]).
    pub fn move_member(
        &mut self,
        store: &Store,
        request: &SendRequest,
        now: u64,
    ) -> Result<Message> {
        self.offer(store, request, true, now)
    }

    fn offer(
        &mut self,
        store: &Store,
        request: &SendRequest,
        moving: bool,
        now: u64,
    ) -> Result<Message> {
        if let Some(offer) = self.offers.get(&request.number) {
            let same = store.read(|l| sender::request_of(l, offer)).as_ref() == Some(request)
                && sender::is_move(offer) == moving;
            return if same {
                Ok(offer.clone())
            } else {
                Err(ExchangeError::NumberUsed(request.number))
            };
        }
        let hold = store.read(|ledger| match moving {
            true => sender::move_hold(ledger, &self.peers, request, now),
            false => sender::hold(ledger, &self.peers, request, now),
        })?;
        let done = store.create_transfers(vec![hold], now)?;
        match done.events()[0].code {
            ResultCode::Ok => {}
            ResultCode::Exists | ResultCode::IdAlreadyFailed => {
                return Err(ExchangeError::NumberUsed(request.number))
            }
            code => return Err(ExchangeError::Refused(code)),
        }
        self.crash_point(CrashPoint::AfterHold)?;
        let offer = store.read(|ledger| {
            let make = match moving {
                true => sender::move_offer,
                false => sender::offer,
            };
            make(
                ledger,
                &self.peers,
                request,
                journal_ref(&done),
                &self.signer,
            )
        });
        append_offer(&mut self.offers_file, &offer)?;
        self.offers.insert(request.number, offer.clone());
        Ok(offer)
    }

    /// Handles a message from a peer: an offer (credit or refuse, and answer), or a receipt or
    /// refusal (post or void the hold). `bytes` is either form (canonical bytes or JSON).
    ///
    /// On `Ok`: whatever the verdict says was journaled (or nothing changed); deliver `reply`
    /// when there is one. On `Err`: a store or file error; the message may be handled again.
    pub fn receive(&mut self, store: &Store, bytes: &[u8], now: u64) -> Result<Received> {
        let message = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => return Ok(verdict_only(e.verdict(), None)),
        };
        match message.body {
            Body::Offer(_) => self.receive_offer(store, &message, now),
            Body::Receipt(_) | Body::Refusal(_) => self.receive_answer(store, &message, now),
        }
    }

    fn receive_offer(&mut self, store: &Store, offer: &Message, now: u64) -> Result<Received> {
        // At most twice: the second decision comes after the journal's clock passed `now`.
        for _ in 0..2 {
            // The credit from the store: a settled one may be evicted from memory (and a
            // duplicate offer must get its receipt again, not a second credit).
            let credit_id = offer.header.exchange.credit_transfer();
            let credit = store.transfer(credit_id)?;
            // So are a refused arrival and a failed credit, remembered under the credit's id.
            let operation = store.operation(credit_id)?;
            let found = receiver::Found {
                credit: credit.as_ref(),
                operation: operation.as_ref(),
                failed: store.failed_code(credit_id)?,
            };
            let decision = store
                .read(|ledger| receiver::on_offer_found(ledger, &self.peers, offer, now, found));
            let decision = match decision {
                Ok(d) => d,
                Err(verdict) => return Ok(self.refuse(store, offer, verdict, 0)),
            };
            match decision {
                decision @ (OfferDecision::Credit(_) | OfferDecision::Arrive(_)) => {
                    let done = match decision {
                        OfferDecision::Credit(credit) => {
                            store.create_transfers(vec![credit], now)?
                        }
                        OfferDecision::Arrive(arrival) => {
                            store.submit(Command::Operate(arrival), now)?
                        }
                        _ => unreachable!("matched above"),
                    };
                    let event = done.events()[0];
                    self.crash_point(CrashPoint::AfterCredit)?;
                    return Ok(match receiver::credit_outcome(event.code) {
                        Ok(()) => {
                            let receipt = receiver::receipt(
                                &self.peers,
                                offer,
                                journal_ref(&done),
                                event.timestamp,
                                &self.signer,
                            );
                            let verdict = match event.code {
                                ResultCode::Ok => Verdict::Ok,
                                _ => Verdict::Exists,
                            };
                            verdict_only(verdict, Some(receipt))
                        }
                        Err((verdict, code)) => self.refuse(store, offer, verdict, code),
                    });
                }
                OfferDecision::Credited { credited_at } => {
                    let head = head_ref(store);
                    let receipt =
                        receiver::receipt(&self.peers, offer, head, credited_at, &self.signer);
                    return Ok(verdict_only(Verdict::Exists, Some(receipt)));
                }
                OfferDecision::Refuse {
                    verdict,
                    ledger_code,
                } => return Ok(self.refuse(store, offer, verdict, ledger_code)),
                OfferDecision::JournalTimeThenRefuse => {
                    // Journals `now`: from here on no command runs before the deadline.
                    store.expire(now)?;
                }
            }
        }
        unreachable!("after journaling a time past the deadline the offer is refused")
    }

    fn refuse(&self, store: &Store, offer: &Message, verdict: Verdict, code: u16) -> Received {
        let refusal = receiver::refusal(
            &self.peers,
            offer,
            head_ref(store),
            verdict,
            code,
            &self.signer,
        );
        Received {
            verdict,
            ledger_code: ResultCode::from_u16(code).filter(|_| code != 0),
            reply: Some(refusal),
        }
    }

    fn receive_answer(&mut self, store: &Store, answer: &Message, now: u64) -> Result<Received> {
        let offer = (answer.header.exchange.origin == self.own())
            .then(|| self.offers.get(&answer.header.exchange.number))
            .flatten();
        // The hold from the store: once posted or voided it may be evicted from memory.
        let hold = store.transfer(answer.header.exchange.hold_transfer())?;
        let action = sender::on_answer_with(&self.peers, offer, answer, hold.as_ref());
        let transfer = match action {
            Ok(sender::AnswerAction::Post(t)) | Ok(sender::AnswerAction::Void(t)) => t,
            Err(verdict) => return Ok(verdict_only(verdict, None)),
        };
        let done = store.create_transfers(vec![transfer], now)?;
        self.crash_point(CrashPoint::AfterAnswer)?;
        Ok(match done.events()[0].code {
            ResultCode::Ok => verdict_only(Verdict::Ok, None),
            ResultCode::Exists => verdict_only(Verdict::Exists, None),
            code => Received {
                verdict: Verdict::RefusedByLedger,
                ledger_code: Some(code),
                reply: None,
            },
        })
    }

    /// The offers past their deadline whose hold is still pending, to deliver again: the
    /// receiver answers each with its receipt, or with a final refusal (its journal having passed
    /// the deadline), and the hold is posted or voided when that answer arrives.
    pub fn expire(&self, store: &Store, now: u64) -> Vec<Message> {
        store.read(|ledger| {
            sender::due_offers(ledger, self.offers.values(), now)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    /// Every offer whose hold is still pending, oldest number first.
    pub fn pending(&self, store: &Store) -> Vec<PendingExchange> {
        store.read(|ledger| {
            self.offers
                .values()
                .filter(|offer| hold_state(ledger, offer) == Some(TransferState::Pending))
                .filter_map(|offer| {
                    Some(PendingExchange {
                        exchange: offer.header.exchange,
                        request: sender::request_of(ledger, offer)?,
                        offer: offer.clone(),
                    })
                })
                .collect()
        })
    }

    /// What this ledger owes each peer, or is owed, per unit.
    pub fn positions(&self, store: &Store) -> Vec<Position> {
        store.read(|ledger| ledger_exchange::positions(ledger, &self.peers))
    }

    /// Every offer this ledger made, by number.
    pub fn offers(&self) -> impl Iterator<Item = &Message> {
        self.offers.values()
    }

    /// Voids the holds of this ledger's exchanges that have no recorded offer: a crash came
    /// between the hold and its offer, so no offer for them ever left.
    fn void_unsent_holds(&mut self, store: &Store, now: u64) -> Result<()> {
        let own = self.own();
        let voids: Vec<_> = store.read(|ledger| {
            ledger
                .transfers()
                .filter(|t| t.state == TransferState::Pending)
                .filter_map(|t| {
                    let number = u64::try_from(t.user_data()).ok()?;
                    let exchange = ExchangeId {
                        origin: own,
                        number,
                    };
                    (exchange.hold_transfer() == t.id() && !self.offers.contains_key(&number))
                        .then(|| ledger_core::Transfer::void(exchange.void_transfer(), t.id()))
                })
                .collect()
        });
        for chunk in voids.chunks(ledger_core::limits::BATCH_EVENTS_MAX) {
            let done = store.create_transfers(chunk.to_vec(), now)?;
            if let Some(bad) = done
                .events()
                .iter()
                .find(|e| !matches!(e.code, ResultCode::Ok | ResultCode::Exists))
            {
                return Err(ExchangeError::Refused(bad.code));
            }
        }
        Ok(())
    }
}

fn hold_state(ledger: &Ledger, offer: &Message) -> Option<TransferState> {
    let id: TransferId = offer.header.exchange.hold_transfer();
    ledger.transfer(id).map(|t| t.state)
}

fn verdict_only(verdict: Verdict, reply: Option<Message>) -> Received {
    Received {
        verdict,
        ledger_code: None,
        reply,
    }
}

fn journal_ref(done: &Committed) -> JournalRef {
    JournalRef {
        sequence: done.sequence,
        hash: done.hash,
    }
}

fn head_ref(store: &Store) -> JournalRef {
    let status = store.status();
    JournalRef {
        sequence: status.head_sequence,
        hash: status.head_hash,
    }
}

fn append_offer(file: &mut File, offer: &Message) -> std::io::Result<()> {
    let bytes = offer.to_bytes();
    // Invariant: a message is at most MESSAGE_BYTES_MAX bytes, which fits a u16.
    let len = u16::try_from(bytes.len()).expect("messages are short");
    let mut frame = Vec::with_capacity(2 + bytes.len() + FRAME_CHECK_BYTES);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&bytes);
    frame.extend_from_slice(&blake3::hash(&bytes).as_bytes()[..FRAME_CHECK_BYTES]);
    file.write_all(&frame)?;
    file.sync_data()
}

/// Reads the offers file, cutting a torn last frame.
fn read_offers(path: &Path, own: PeerId) -> Result<BTreeMap<u64, Message>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e.into()),
    };
    let corrupt = |why: String| ExchangeError::Corrupted(path.to_owned(), why);
    let mut offers = BTreeMap::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let frame = frame_at(&bytes, at);
        let Some((message_bytes, end)) = frame else {
            if valid_frame_follows(&bytes, at) {
                return Err(corrupt(format!("bad frame at byte {at}")));
            }
            // A crash mid-append: that offer was never returned. Cut it.
            let file = OpenOptions::new().write(true).open(path)?;
            file.set_len(at as u64)?;
            file.sync_all()?;
            break;
        };
        let offer = Message::from_bytes(message_bytes)
            .map_err(|e| corrupt(format!("frame at byte {at}: {e}")))?;
        if offer.header.exchange.origin != own || !matches!(offer.body, Body::Offer(_)) {
            return Err(corrupt(format!(
                "frame at byte {at} is not an offer of this ledger"
            )));
        }
        offers.insert(offer.header.exchange.number, offer);
        at = end;
    }
    Ok(offers)
}

fn frame_at(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = usize::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let body = bytes.get(at + 2..at + 2 + len)?;
    let end = at + 2 + len + FRAME_CHECK_BYTES;
    let check = bytes.get(at + 2 + len..end)?;
    (blake3::hash(body).as_bytes()[..FRAME_CHECK_BYTES] == *check).then_some((body, end))
}

/// Whether a whole valid frame starts anywhere after `at` (then the bad frame is not a tail).
fn valid_frame_follows(bytes: &[u8], at: usize) -> bool {
    (at + 1..bytes.len()).any(|start| frame_at(bytes, start).is_some())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // Invariant: the path is inside the exchange directory.
    sync_dir(path.parent().expect("a file in a directory"))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
