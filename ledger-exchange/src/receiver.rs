//! The receiving side: apply an offer (credit the destination from the clearing account for the
//! offering ledger) or refuse it, and answer with a signed receipt or refusal.
//!
//! The receiver's decision is the exchange's: once it credits, the offer is honoured whatever
//! arrives later (a duplicate gets the receipt again), and once it refuses finally, it never
//! credits (the engine remembers a failed credit id; a refusal for lateness is given only when
//! the journal's clock has passed the deadline, so no later command can run before it).

use ledger_core::operation::{Operation, OperationKind, OperationRecord};
use ledger_core::{AccountId, Arrival, CarriedLot, Ledger, ResultCode, Transfer, TransferRecord};

use crate::id::clearing_account;
use crate::message::{Body, Carried, Header, JournalRef, Message, Receipt, Refusal, WireAmount};
use crate::peer::Peers;
use crate::signature::Signer;
use crate::unit_map::{clearing_code, unit_of};
use crate::verdict::Verdict;

/// What to do with an authenticated offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferDecision {
    /// Submit this credit, then answer with [`receipt`] when it applies (or exists), else with
    /// [`refusal`] of `refused_by_ledger` and the engine's code.
    Credit(Transfer),
    /// An offer with state: run this operation (an arrival, whose credit keeps the parts'
    /// expiries and a moving member's state, `ledger_core::arrival`), then answer as for
    /// `Credit` with the code of its one event.
    Arrive(Operation),
    /// Credited before: answer with the receipt again.
    Credited {
        /// When the credit was applied (nanoseconds since the Unix epoch): the receipt's time.
        credited_at: u64,
    },
    /// Refuse (final or not, as the verdict says), with the engine's code for
    /// `refused_by_ledger`.
    Refuse {
        /// Why, and whether the refusal is final.
        verdict: Verdict,
        /// The engine's result code when the verdict is `refused_by_ledger`, else 0.
        ledger_code: u16,
    },
    /// The deadline has passed by `now` but not by the journal's clock: journal `now` first
    /// (any command at `now` will do; the store's `expire`), then refuse `past_deadline`.
    JournalTimeThenRefuse,
}

/// Decides on an offer. `Err` when it is not an authentic offer for this ledger (answer it with
/// a refusal of that verdict, which is never final).
///
/// Reads the offer's credit transfer from `ledger`: a host whose ledger evicts settled
/// transfers (`Ledger::evict_transfers`) looks it up in its store and calls [`on_offer_with`].
pub fn on_offer(
    ledger: &Ledger,
    peers: &Peers,
    offer: &Message,
    now: u64,
) -> Result<OfferDecision, Verdict> {
    let credit = ledger.transfer(offer.header.exchange.credit_transfer());
    on_offer_with(ledger, peers, offer, now, credit)
}

/// As [`on_offer`], with the offer's credit transfer (`ExchangeId::credit_transfer`) as the
/// host found it: `None` when it was never applied. An evicted credit is no longer in `ledger`
/// but is still the credit: a duplicate offer must get the receipt again, not a second credit.
pub fn on_offer_with(
    ledger: &Ledger,
    peers: &Peers,
    offer: &Message,
    now: u64,
    credit: Option<&TransferRecord>,
) -> Result<OfferDecision, Verdict> {
    let found = Found {
        credit,
        ..Found::default()
    };
    on_offer_found(ledger, peers, offer, now, found)
}

/// What a host whose ledger evicts found in its store of an offer's credit id
/// (`ExchangeId::credit_transfer`), for [`on_offer_found`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Found<'a> {
    /// The credit transfer, when it was applied (evicted or not).
    pub credit: Option<&'a TransferRecord>,
    /// The arrival operation run under the credit's id, when the ledger evicted it
    /// (`Ledger::evict_operations`): a refused one is remembered as a failed credit is.
    pub operation: Option<&'a OperationRecord>,
    /// The code the credit's id failed with, when the ledger evicted that failure
    /// (`Ledger::evict_failed`).
    pub failed: Option<ResultCode>,
}

/// As [`on_offer_with`], with what the host's store holds of the credit's id besides the
/// credit itself: the same decision as for a ledger that keeps everything in memory.
pub fn on_offer_found(
    ledger: &Ledger,
    peers: &Peers,
    offer: &Message,
    now: u64,
    found: Found<'_>,
) -> Result<OfferDecision, Verdict> {
    let credit = found.credit;
    let peer = peers.authenticate(offer)?;
    let Body::Offer(o) = &offer.body else {
        return Err(Verdict::Malformed);
    };
    let exchange = offer.header.exchange;
    if exchange.origin != peer.id {
        // An offer comes from the ledger that makes it.
        return Err(Verdict::Malformed);
    }
    let refuse = |verdict: Verdict| {
        Ok(OfferDecision::Refuse {
            verdict,
            ledger_code: 0,
        })
    };
    let Some(unit) = unit_of(ledger, &o.unit) else {
        return refuse(Verdict::UnitUnknown);
    };
    let clearing = clearing_account(peer.id, unit.id);
    if ledger.account(clearing).is_none() {
        // Registered in the list but not in this journal: a local fault, not a decision.
        return Err(Verdict::UnknownPeer);
    }
    let credit_id = exchange.credit_transfer();
    if let Some(existing) = credit.filter(|c| c.id() == credit_id) {
        return match o.amount.in_scale(unit.scale) {
            Some(amount) if same_credit(existing, clearing, o.destination, amount) => {
                Ok(OfferDecision::Credited {
                    credited_at: existing.timestamp,
                })
            }
            _ => Err(Verdict::ConflictingOffer),
        };
    }
    // An arrival the ledger refused is remembered under its id, as a failed credit is.
    if let Some(record) = ledger.operation(credit_id).or(found.operation) {
        if let Some(refused) = record.results.iter().find(|r| !r.is_ok()) {
            return Ok(OfferDecision::Refuse {
                verdict: Verdict::RefusedByLedger,
                ledger_code: refused.code as u16,
            });
        }
    }
    if let Some(code) = ledger.failed_code(credit_id).or(found.failed) {
        return Ok(OfferDecision::Refuse {
            verdict: Verdict::RefusedByLedger,
            ledger_code: code as u16,
        });
    }
    let Some(code) = clearing_code(ledger, unit.id) else {
        return refuse(Verdict::UnitNotExchangeable);
    };
    let Some(amount) = o.amount.in_scale(unit.scale) else {
        return refuse(Verdict::AmountOutsideScale);
    };
    if let Some(account) = ledger.account(o.destination) {
        if !account.kind.is_holder() || account.unit != unit.id {
            return refuse(Verdict::DestinationInvalid);
        }
    }
    if ledger.clock() > o.deadline {
        return refuse(Verdict::PastDeadline);
    }
    if now > o.deadline {
        return Ok(OfferDecision::JournalTimeThenRefuse);
    }
    let user_data = u128::from(exchange.number);
    let credit = Transfer::new(credit_id, clearing, o.destination, amount, unit.id)
        .code(code)
        .user_data(user_data);
    let Some(carried) = &o.carried else {
        return Ok(OfferDecision::Credit(credit));
    };
    match arrival(&credit, carried, o.amount.scale, unit.scale) {
        Some(arrival) => Ok(OfferDecision::Arrive(Operation {
            id: credit_id,
            kind: OperationKind::Arrival(arrival),
        })),
        None => refuse(Verdict::AmountOutsideScale),
    }
}

/// The arrival of `credit` with the parts and moved state an offer carried, in this unit's
/// scale, or `None` when a part or the earnings do not fit it.
fn arrival(credit: &Transfer, carried: &Carried, wire_scale: u8, scale: u32) -> Option<Arrival> {
    let in_scale = |minor: u64| {
        WireAmount {
            minor,
            scale: wire_scale,
        }
        .in_scale(scale)
    };
    let lots = carried
        .parts
        .iter()
        .map(|p| {
            Some(CarriedLot {
                expires_at: p.expires_at,
                amount: in_scale(p.minor)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let (earned_lifetime, eligible_from) = match carried.moving {
        None => (None, None),
        Some(m) if m.earned_lifetime_minor == 0 => (None, m.eligible_from),
        Some(m) => (Some(in_scale(m.earned_lifetime_minor)?), m.eligible_from),
    };
    Some(Arrival {
        clearing: credit.debit_account_id?,
        member: credit.credit_account_id?,
        unit: credit.unit,
        code: credit.code,
        user_data: credit.user_data,
        lots,
        earned_lifetime,
        eligible_from,
    })
}

fn same_credit(
    existing: &TransferRecord,
    clearing: AccountId,
    destination: AccountId,
    amount: ledger_core::Amount,
) -> bool {
    existing.debit_account_id == clearing
        && existing.credit_account_id == destination
        && existing.amount == amount
}

/// The verdict and engine code for a credit the engine answered with `code`: `Ok` means answer
/// with a receipt.
pub fn credit_outcome(code: ResultCode) -> Result<(), (Verdict, u16)> {
    match code {
        ResultCode::Ok | ResultCode::Exists => Ok(()),
        other => Err((Verdict::RefusedByLedger, other as u16)),
    }
}

fn answer_header(peers: &Peers, offer: &Message, journal: JournalRef, signer: &Signer) -> Header {
    Header {
        from: peers.own(),
        to: offer.header.from,
        exchange: offer.header.exchange,
        journal,
        signer: signer.public_key(),
    }
}

/// The receipt for `offer`, naming the journal record that holds the credit (or a later one).
pub fn receipt(
    peers: &Peers,
    offer: &Message,
    journal: JournalRef,
    credited_at: u64,
    signer: &Signer,
) -> Message {
    let body = Body::Receipt(Receipt {
        offer_hash: offer.offer_hash(),
        credited_at,
    });
    Message::sign(answer_header(peers, offer, journal, signer), body, signer)
}

/// The refusal of `offer`, naming the journal's head when it was decided.
pub fn refusal(
    peers: &Peers,
    offer: &Message,
    journal: JournalRef,
    verdict: Verdict,
    ledger_code: u16,
    signer: &Signer,
) -> Message {
    let body = Body::Refusal(Refusal {
        offer_hash: offer.offer_hash(),
        verdict,
        ledger_code,
    });
    Message::sign(answer_header(peers, offer, journal, signer), body, signer)
}
