//! The offering side: hold the member's hours against the peer's clearing account, offer them,
//! then post the hold on the receipt or void it on a final refusal.
//!
//! The sender never voids on its own clock. A deadline cannot decide a two-ledger transfer by
//! itself: the receiver may have credited the member just before it, with the receipt lost on
//! the way. So the receiver decides, and the deadline bounds its decision: after the deadline it
//! refuses every offer it has not applied, and the refusal is final (its journal has passed the
//! deadline). A sender whose offer is past its deadline sends it again ([`crate::due_offers`])
//! and gets either the receipt or that refusal. Holds carry no engine timeout, so the ledger's
//! own `expire` never releases them behind the protocol's back.

use ledger_core::{AccountId, Amount, Ledger, Transfer, TransferFlags, TransferState, UnitId};

use crate::id::{clearing_account, ExchangeId, PeerId};
use crate::message::{
    Body, Carried, Header, JournalRef, Message, Moving, Offer, Part, WireAmount, PARTS_MAX,
};
use crate::peer::Peers;
use crate::signature::Signer;
use crate::unit_map::{clearing_code, unit_of};
use crate::verdict::Verdict;

/// What the host asks to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// The exchange's number: never reused by this ledger (the host's own sequence, say).
    pub number: u64,
    /// The receiving ledger: a registered peer.
    pub to: PeerId,
    /// The unit of the hours sent: one the policy gives a clearing code.
    pub unit: UnitId,
    /// How many hours: positive, within the unit's decimals.
    pub amount: Amount,
    /// The member whose hours leave.
    pub source: AccountId,
    /// The member, or the care provider paid directly, on the receiving ledger.
    pub destination: AccountId,
    /// Nanoseconds since the Unix epoch after which the receiver refuses the offer.
    pub deadline: u64,
}

/// Why a send was refused before anything was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// `to` is not in the peer list.
    #[error("ledger {0} is not a registered peer")]
    UnknownPeer(PeerId),
    /// The unit is not defined on this ledger.
    #[error("unit {0} is not a unit of this ledger")]
    UnitUnknown(UnitId),
    /// The policy gives the unit no clearing code, so it cannot cross ledgers.
    #[error("the policy has no clearing code for unit {0}")]
    UnitNotExchangeable(UnitId),
    /// The amount has more decimals than the unit's scale.
    #[error("the amount has more decimals than unit {0} allows")]
    AmountOutsideScale(UnitId),
    /// The deadline is not later than the time of the send.
    #[error("the deadline is not after now")]
    DeadlinePassed,
    /// A move takes the member's whole balance, with nothing held: the amount is not it.
    #[error("a move takes the whole balance ({balance}) with nothing held")]
    NotWholeBalance {
        /// The source's balance now.
        balance: String,
    },
    /// The peer is listed but its clearing account was never opened on this ledger.
    #[error("the clearing account for peer {0} is missing: register the peer")]
    NotRegistered(PeerId),
}

impl SendRequest {
    /// The id of the exchange this request starts: this ledger's id and the request's number.
    pub fn exchange(&self, peers: &Peers) -> ExchangeId {
        ExchangeId {
            origin: peers.own(),
            number: self.number,
        }
    }
}

/// The hold to submit: the source's hours, pending, against the clearing account for the
/// peer; id derived from the exchange, `user_data` the exchange number, no engine timeout.
pub fn hold(
    ledger: &Ledger,
    peers: &Peers,
    request: &SendRequest,
    now: u64,
) -> Result<Transfer, SendError> {
    let peer = peers
        .get(request.to)
        .ok_or(SendError::UnknownPeer(request.to))?;
    let unit = ledger
        .unit(request.unit)
        .ok_or(SendError::UnitUnknown(request.unit))?;
    if !request.amount.fits_scale(unit.scale) {
        return Err(SendError::AmountOutsideScale(request.unit));
    }
    let code =
        clearing_code(ledger, request.unit).ok_or(SendError::UnitNotExchangeable(request.unit))?;
    if request.deadline <= now.max(ledger.clock()) {
        return Err(SendError::DeadlinePassed);
    }
    let clearing = clearing_account(peer.id, request.unit);
    if ledger.account(clearing).is_none() {
        return Err(SendError::NotRegistered(peer.id));
    }
    let exchange = request.exchange(peers);
    Ok(Transfer::new(
        exchange.hold_transfer(),
        request.source,
        clearing,
        request.amount,
        request.unit,
    )
    .code(code)
    .flags(TransferFlags::PENDING)
    .user_data(u128::from(request.number)))
}

/// The hold of a member who moves: [`hold`], refused unless the amount is the source's whole
/// balance and nothing of it is held (so the member leaves nothing behind).
pub fn move_hold(
    ledger: &Ledger,
    peers: &Peers,
    request: &SendRequest,
    now: u64,
) -> Result<Transfer, SendError> {
    let hold = hold(ledger, peers, request, now)?;
    let account = ledger.account(request.source);
    let whole = account.is_some_and(|a| {
        a.posted() == request.amount.value() && a.available() == request.amount.value()
    });
    if !whole {
        return Err(SendError::NotWholeBalance {
            balance: account.map_or("no account".into(), |a| a.posted().to_string()),
        });
    }
    Ok(hold)
}

/// The signed offer for a hold that the journal record `journal` holds. Hours of a unit whose
/// credits expire here go as an offer with state, naming when each part expires here, so the
/// receiver never lets them live longer ([`carried_parts`]).
pub fn offer(
    ledger: &Ledger,
    peers: &Peers,
    request: &SendRequest,
    journal: JournalRef,
    signer: &Signer,
) -> Message {
    offer_with(ledger, peers, request, journal, signer, false)
}

/// The signed offer of a member who moves ([`move_hold`]): an offer with state carrying the
/// parts' expiries, what the member earned here in the unit in all, and their eligibility date.
pub fn move_offer(
    ledger: &Ledger,
    peers: &Peers,
    request: &SendRequest,
    journal: JournalRef,
    signer: &Signer,
) -> Message {
    offer_with(ledger, peers, request, journal, signer, true)
}

/// The parts of `amount` (minor units at `scale`) of `source` by when they expire here: the
/// credits that expire soonest first (what a debit spends first), the rest as never expiring;
/// past [`PARTS_MAX`] parts, the later ones join the last part (which expires soonest of them),
/// so a part never travels with a later expiry than it has here.
pub fn carried_parts(ledger: &Ledger, source: AccountId, amount: u64, scale: u32) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut left = amount;
    for (expires_at, remaining) in ledger_core::timebank::expiring_credits(ledger, source) {
        if left == 0 {
            break;
        }
        let Some(minor) = Amount::from_decimal_in(remaining, scale)
            .ok()
            .and_then(|a| a.to_minor(scale))
        else {
            continue;
        };
        let take = minor.min(left);
        left -= take;
        parts.push(Part {
            expires_at,
            minor: take,
        });
    }
    if left > 0 {
        parts.push(Part {
            expires_at: ledger_core::NO_EXPIRY,
            minor: left,
        });
    }
    if parts.len() > PARTS_MAX {
        let tail: u64 = parts[PARTS_MAX - 1..].iter().map(|p| p.minor).sum();
        parts.truncate(PARTS_MAX);
        parts[PARTS_MAX - 1].minor = tail;
    }
    parts
}

fn offer_with(
    ledger: &Ledger,
    peers: &Peers,
    request: &SendRequest,
    journal: JournalRef,
    signer: &Signer,
    moving: bool,
) -> Message {
    // Invariant: the caller made the hold with `hold`, which checked the unit and scale.
    let unit = ledger.unit(request.unit).expect("the hold's unit exists");
    let amount = WireAmount::new(request.amount, unit.scale).expect("the hold fits the scale");
    let header = Header {
        from: peers.own(),
        to: request.to,
        exchange: request.exchange(peers),
        journal,
        signer: signer.public_key(),
    };
    let parts = carried_parts(ledger, request.source, amount.minor, unit.scale);
    let moving = moving.then(|| Moving {
        earned_lifetime_minor: earned_lifetime(ledger, request.source, unit.scale),
        eligible_from: ledger
            .account(request.source)
            .and_then(|a| a.eligible_from)
            .map(|at| at.max(1)),
    });
    let plain = moving.is_none() && parts.iter().all(|p| p.expires_at == ledger_core::NO_EXPIRY);
    let body = Body::Offer(Offer {
        unit: unit.name.clone(),
        amount,
        source: request.source,
        destination: request.destination,
        deadline: request.deadline,
        carried: (!plain).then_some(Carried { parts, moving }),
    });
    Message::sign(header, body, signer)
}

/// What `account` earned here in all, as the caps count it, in minor units at `scale`.
fn earned_lifetime(ledger: &Ledger, account: AccountId, scale: u32) -> u64 {
    let earned = ledger_core::timebank::earnings(ledger, account, ledger.clock()).lifetime;
    Amount::from_decimal_in(earned, scale)
        .ok()
        .and_then(|a| a.to_minor(scale))
        .unwrap_or(0)
}

/// Whether `offer` is the offer of a member who moves.
pub fn is_move(offer: &Message) -> bool {
    matches!(&offer.body, Body::Offer(o) if o.carried.as_ref().is_some_and(|c| c.moving.is_some()))
}

/// The request an offer was made from (to rebuild it for `pending` and re-sending).
pub fn request_of(ledger: &Ledger, offer: &Message) -> Option<SendRequest> {
    let Body::Offer(o) = &offer.body else {
        return None;
    };
    let unit = unit_of(ledger, &o.unit)?;
    Some(SendRequest {
        number: offer.header.exchange.number,
        to: offer.header.to,
        unit: unit.id,
        amount: o.amount.in_scale(unit.scale)?,
        source: o.source,
        destination: o.destination,
        deadline: o.deadline,
    })
}

/// What to do with the hold on an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerAction {
    /// A receipt: post the hold in full.
    Post(Transfer),
    /// A final refusal: void the hold.
    Void(Transfer),
}

/// Decides what an answer (a receipt or a refusal) does to the hold of the exchange it names.
/// `offer` is the offer this ledger made for that exchange, if it made one. `Err(Exists)` means
/// the answer was applied before; any other `Err` is a refusal and nothing is to change.
///
/// Reads the hold from `ledger`: a host whose ledger evicts settled transfers
/// (`Ledger::evict_transfers`) looks it up in its store and calls [`on_answer_with`].
pub fn on_answer(
    ledger: &Ledger,
    peers: &Peers,
    offer: Option<&Message>,
    answer: &Message,
) -> Result<AnswerAction, Verdict> {
    let hold = ledger.transfer(answer.header.exchange.hold_transfer());
    on_answer_with(peers, offer, answer, hold)
}

/// As [`on_answer`], with the exchange's hold (`ExchangeId::hold_transfer`) as the host found
/// it: `None` when it was never applied. A hold posted or voided long ago may be evicted from
/// the ledger's memory; a duplicate answer for it is still `Err(Exists)` (or the refusal its
/// state gives), never `UnknownExchange`.
pub fn on_answer_with(
    peers: &Peers,
    offer: Option<&Message>,
    answer: &Message,
    hold: Option<&ledger_core::TransferRecord>,
) -> Result<AnswerAction, Verdict> {
    let peer = peers.authenticate(answer)?;
    let exchange = answer.header.exchange;
    let offer = offer
        .filter(|_| exchange.origin == peers.own())
        .ok_or(Verdict::UnknownExchange)?;
    let (answered, is_receipt) = match &answer.body {
        Body::Receipt(r) => (r.offer_hash, true),
        Body::Refusal(r) => {
            if !r.verdict.is_final() {
                return Err(Verdict::RefusalNotFinal);
            }
            (r.offer_hash, false)
        }
        Body::Offer(_) => return Err(Verdict::Malformed),
    };
    if offer.header.exchange != exchange
        || offer.header.to != peer.id
        || offer.offer_hash() != answered
    {
        return Err(Verdict::AnswerMismatch);
    }
    let hold_id = exchange.hold_transfer();
    let hold = hold
        .filter(|h| h.id() == hold_id)
        .ok_or(Verdict::UnknownExchange)?;
    match (hold.state, is_receipt) {
        (TransferState::Pending, true) => Ok(AnswerAction::Post(Transfer::post(
            exchange.post_transfer(),
            hold_id,
            None,
        ))),
        (TransferState::Pending, false) => Ok(AnswerAction::Void(Transfer::void(
            exchange.void_transfer(),
            hold_id,
        ))),
        (TransferState::PendingPosted, true) | (TransferState::PendingVoided, false) => {
            Err(Verdict::Exists)
        }
        (TransferState::PendingPosted, false) => Err(Verdict::AlreadyPosted),
        (_, true) => Err(Verdict::AlreadyVoided),
        (_, false) => Err(Verdict::Exists),
    }
}

/// The offers among `offers` whose hold is still pending and whose deadline is before `now`:
/// send them again, and the receiver answers with the receipt or a final refusal.
pub fn due_offers<'a>(
    ledger: &Ledger,
    offers: impl IntoIterator<Item = &'a Message>,
    now: u64,
) -> Vec<&'a Message> {
    offers
        .into_iter()
        .filter(|m| {
            let Body::Offer(o) = &m.body else {
                return false;
            };
            let pending = ledger
                .transfer(m.header.exchange.hold_transfer())
                .is_some_and(|t| t.state == TransferState::Pending);
            pending && o.deadline < now
        })
        .collect()
}
