//! The outcome a command record carries: what the engine answered and every balance it moved,
//! so an auditor recomputes every account's balances from the journal alone, without the rules,
//! and a replay that answers otherwise is corruption naming the event.
//!
//! Layouts (`docs/FORMAT.md` §4.4 has the same tables; all integers little-endian):
//!
//! ```text
//! events    : per event of the command, in order: code u16, timestamp u64;
//!             for an `ok` transfer then: resolved u8 (bit0 debit, bit1 credit, bit2 amount,
//!             bit3 held), [debit u128] [credit u128] [amount] [held amount]
//! expire    : released u32, per released hold: id u128, debit u128, credit u128, amount;
//!             swept u32, per sweep: id u128, debit u128, credit u128, amount, code u16,
//!             timestamp u64
//! ```
//!
//! A resolved field is present exactly when the request does not already say it: the account
//! debited or credited when the request left it out or named another (never, for an accepted
//! transfer, but a reversal names the original's sides), the amount moved when the request gave
//! none or another (balancing, posts, voids, reversals), and for a post the amount the hold held.

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{
    AccountId, Amount, Command, Ledger, Reply, ResultCode, Transfer, TransferFlags, TransferId,
    TransferState,
};

use crate::codec::{decode_amount, encode_amount, DecodeError, Reader, AMOUNT_BYTES};

/// Resolved bit: the debit account (u128) follows.
pub const RESOLVED_DEBIT: u8 = 1 << 0;
/// Resolved bit: the credit account (u128) follows.
pub const RESOLVED_CREDIT: u8 = 1 << 1;
/// Resolved bit: the amount moved follows.
pub const RESOLVED_AMOUNT: u8 = 1 << 2;
/// Resolved bit: the amount the hold held (a post) follows.
pub const RESOLVED_HELD: u8 = 1 << 3;
const RESOLVED_ALL: u8 = RESOLVED_DEBIT | RESOLVED_CREDIT | RESOLVED_AMOUNT | RESOLVED_HELD;

/// Bytes of one event's code and timestamp.
pub const EVENT_OUTCOME_BYTES: usize = 10;
/// Bytes of a released hold in an `Expire` outcome.
pub const RELEASED_BYTES: usize = 48 + AMOUNT_BYTES;
/// Bytes of a sweep in an `Expire` outcome.
pub const SWEPT_BYTES: usize = 48 + AMOUNT_BYTES + 2 + 8;
/// Most bytes of a transfer an operation made: id, flags, both sides, amount, held amount.
pub const MADE_BYTES_MAX: usize = 16 + 2 + 32 + 2 * AMOUNT_BYTES;
/// Most events and most transfers one operation's outcome lists (a closing of the most
/// accounts makes a transfer and a close per account).
pub const OPERATION_ITEMS_MAX: usize = 3 * BATCH_EVENTS_MAX;
/// Most holds and most sweeps one `Expire` outcome lists (the engine releases and sweeps at
/// most this many per call).
pub const EXPIRE_ITEMS_MAX: usize = BATCH_EVENTS_MAX;

/// What the ledger did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventOutcome {
    /// The engine's result code for the event.
    pub code: ResultCode,
    /// The timestamp the ledger gave it (for `exists`, the original one; 0 when it failed).
    pub timestamp: u64,
    /// For an `ok` transfer: what the request did not say (see the module docs).
    pub resolved: Resolved,
}

/// The fields of an applied transfer that its request left out or that the ledger decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The account debited, when the request did not name it.
    pub debit: Option<AccountId>,
    /// The account credited, when the request did not name it or named another.
    pub credit: Option<AccountId>,
    /// The amount moved (or held, or released), when the request gave none or another.
    pub amount: Option<Amount>,
    /// A post: the amount the hold held (all of it leaves pending; `amount` is posted).
    pub held: Option<Amount>,
}

impl Resolved {
    /// Whether nothing was resolved (the request said it all).
    pub fn is_empty(&self) -> bool {
        *self == Resolved::default()
    }
}

/// A transfer the ledger moved by itself: a released hold, or a sweep it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    /// The transfer's id (a released hold's own id, or the sweep's).
    pub id: TransferId,
    /// The account debited (for a released hold, the one whose pending debit is released).
    pub debit: AccountId,
    /// The account credited (for a released hold, the one whose pending credit is released).
    pub credit: AccountId,
    /// The amount moved or released.
    pub amount: Amount,
}

/// A transfer an operation's plan applied: everything its balances need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    /// The transfer's id.
    pub id: TransferId,
    /// The transfer's flags, as applied.
    pub flags: TransferFlags,
    /// The account debited.
    pub debit: AccountId,
    /// The account credited.
    pub credit: AccountId,
    /// Moved, held, or (a void) released.
    pub amount: Amount,
    /// A post: the whole amount of the hold it resolves.
    pub held: Option<Amount>,
}

/// A sweep transfer the ledger made (posted), with its code and timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// What the sweep moved, from a member or group to the unit's expiry account.
    pub movement: Movement,
    /// The sweep's code (the policy's expiry code of the unit).
    pub code: u16,
    /// The timestamp the ledger gave the sweep.
    pub timestamp: u64,
}

/// A command's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// One per event, in the batch's order.
    Events(Vec<EventOutcome>),
    /// `Operate`: one per event the operation's plan gave (its transfers, then its ratings,
    /// then its closes; or one refusal), then every transfer it applied.
    Operated {
        /// The result of each event, as for [`Outcome::Events`].
        events: Vec<EventOutcome>,
        /// Every transfer the plan applied, in order (none when it was refused).
        made: Vec<Made>,
    },
    /// `Expire`: the holds released (pending amounts leave both sides), then the sweeps made.
    Expired {
        /// The holds released by their timeout, in the order released.
        released: Vec<Movement>,
        /// The expiry sweeps made, in the order applied.
        swept: Vec<Sweep>,
    },
}

/// The effective sides and amount of an applied transfer: its request, completed by what the
/// outcome resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The account debited.
    pub debit: AccountId,
    /// The account credited.
    pub credit: AccountId,
    /// The amount moved (for a hold: held; for a void: released).
    pub amount: Amount,
    /// A post: the whole amount the hold held.
    pub held: Option<Amount>,
}

/// The effective sides and amount of an `ok` transfer event, or a reason it cannot be known.
pub fn applied(request: &Transfer, resolved: &Resolved) -> Result<Applied, DecodeError> {
    let missing = |field| DecodeError::Field {
        field,
        why: "an applied transfer needs it, and neither request nor outcome gives it",
    };
    Ok(Applied {
        debit: resolved
            .debit
            .or(request.debit_account_id)
            .ok_or(missing("outcome.debit"))?,
        credit: resolved
            .credit
            .or(request.credit_account_id)
            .ok_or(missing("outcome.credit"))?,
        amount: resolved
            .amount
            .or(request.amount)
            .ok_or(missing("outcome.amount"))?,
        held: resolved.held,
    })
}

// ------------------------------------------------------------------------------------------
// From the engine's reply

/// The outcome of `command`, which the engine answered with `reply`, read off `ledger` right
/// after (records of applied transfers never change their sides or amount later).
pub fn outcome_of(command: &Command, reply: &Reply, ledger: &Ledger) -> Outcome {
    match reply {
        Reply::Events(results) if matches!(command, Command::Operate(_)) => {
            let Command::Operate(operation) = command else {
                unreachable!("matched above")
            };
            operated(operation.id, results, ledger)
        }
        Reply::Events(results) => {
            let transfers = match command {
                Command::CreateTransfers(batch) => Some(batch.as_slice()),
                _ => None,
            };
            let events = results
                .iter()
                .enumerate()
                .map(|(i, r)| EventOutcome {
                    code: r.code,
                    timestamp: r.timestamp,
                    resolved: match transfers {
                        Some(batch) if r.code == ResultCode::Ok => resolve(&batch[i], ledger),
                        _ => Resolved::default(),
                    },
                })
                .collect();
            Outcome::Events(events)
        }
        Reply::Expired(ids) => {
            let mut released = Vec::new();
            let mut swept = Vec::new();
            for id in ids {
                // Invariant: every id the engine replies with names a transfer it keeps.
                let record = ledger.transfer(*id).expect("an expired or swept transfer");
                let movement = Movement {
                    id: *id,
                    debit: record.debit_account_id,
                    credit: record.credit_account_id,
                    amount: record.amount,
                };
                if record.state == TransferState::PendingExpired {
                    released.push(movement);
                } else {
                    swept.push(Sweep {
                        movement,
                        code: record.code,
                        timestamp: record.timestamp,
                    });
                }
            }
            Outcome::Expired { released, swept }
        }
    }
}

/// An operation's outcome: its events, and every transfer of its plan that applied now (a
/// retry applies none: what applied first answers `exists`).
fn operated(id: TransferId, results: &[ledger_core::EventResult], ledger: &Ledger) -> Outcome {
    let events = results
        .iter()
        .map(|r| EventOutcome {
            code: r.code,
            timestamp: r.timestamp,
            resolved: Resolved::default(),
        })
        .collect();
    let planned = ledger
        .operation(id)
        .map_or(&[][..], |o| o.transfers.as_slice());
    let made = planned
        .iter()
        .zip(results)
        .filter(|(_, r)| r.code == ResultCode::Ok)
        .map(|(id, _)| {
            // Invariant: an `ok` transfer of the plan is in the ledger.
            let record = ledger.transfer(*id).expect("an applied planned transfer");
            let held = match record.flags().contains(TransferFlags::POST_PENDING) {
                true => {
                    let hold = record.related_id().and_then(|h| ledger.transfer(h));
                    Some(hold.expect("a posted hold").amount)
                }
                false => None,
            };
            Made {
                id: *id,
                flags: record.flags(),
                debit: record.debit_account_id,
                credit: record.credit_account_id,
                amount: record.amount,
                held,
            }
        })
        .collect();
    Outcome::Operated { events, made }
}

/// What an applied transfer's request left to the ledger: compared with the record it made,
/// always, since a plain transfer that names both sides and its amount can still be moved for
/// another amount (a weighted code credits hours × weight).
fn resolve(request: &Transfer, ledger: &Ledger) -> Resolved {
    // Invariant: an `ok` transfer is in the ledger (the reply came from this very ledger).
    let record = ledger.transfer(request.id).expect("an applied transfer");
    let differs =
        |given: Option<AccountId>, actual: AccountId| (given != Some(actual)).then_some(actual);
    let held = if request.flags.contains(TransferFlags::POST_PENDING) {
        let hold = request.related_id.and_then(|id| ledger.transfer(id));
        Some(hold.expect("a posted hold").amount)
    } else {
        None
    };
    Resolved {
        debit: differs(request.debit_account_id, record.debit_account_id),
        credit: differs(request.credit_account_id, record.credit_account_id),
        amount: (request.amount != Some(record.amount)).then_some(record.amount),
        held,
    }
}

// ------------------------------------------------------------------------------------------
// Encoding and decoding

/// Appends the bytes of `outcome`, the outcome of `command` (whose kind says whether `ok`
/// events carry a resolved byte: only transfers do).
pub fn encode_outcome(buf: &mut Vec<u8>, command: &Command, outcome: &Outcome) {
    let transfers = matches!(command, Command::CreateTransfers(_));
    match outcome {
        Outcome::Events(events) => {
            for e in events {
                encode_event(buf, e, transfers && e.code == ResultCode::Ok);
            }
        }
        Outcome::Operated { events, made } => {
            buf.extend_from_slice(&(events.len() as u32).to_le_bytes());
            for e in events {
                buf.extend_from_slice(&(e.code as u16).to_le_bytes());
                buf.extend_from_slice(&e.timestamp.to_le_bytes());
            }
            buf.extend_from_slice(&(made.len() as u32).to_le_bytes());
            for m in made {
                buf.extend_from_slice(&m.id.get().to_le_bytes());
                buf.extend_from_slice(&m.flags.0.to_le_bytes());
                buf.extend_from_slice(&m.debit.get().to_le_bytes());
                buf.extend_from_slice(&m.credit.get().to_le_bytes());
                encode_amount(buf, m.amount);
                if let Some(held) = m.held {
                    encode_amount(buf, held);
                }
            }
        }
        Outcome::Expired { released, swept } => {
            buf.extend_from_slice(&(released.len() as u32).to_le_bytes());
            for m in released {
                encode_movement(buf, m);
            }
            buf.extend_from_slice(&(swept.len() as u32).to_le_bytes());
            for s in swept {
                encode_movement(buf, &s.movement);
                buf.extend_from_slice(&s.code.to_le_bytes());
                buf.extend_from_slice(&s.timestamp.to_le_bytes());
            }
        }
    }
}

/// The most bytes one event's outcome takes: code, timestamp, resolved byte, both accounts,
/// the amount and the held amount.
const EVENT_BYTES_MAX: usize = EVENT_OUTCOME_BYTES + 1 + 32 + 2 * AMOUNT_BYTES;

/// Appends one event's code and timestamp, then its resolved byte and fields when `resolved`.
/// Written into a fixed array first, then copied into `buf` once: one bounds-checked append an
/// event instead of one a field (this runs for every event committed).
fn encode_event(buf: &mut Vec<u8>, e: &EventOutcome, resolved: bool) {
    let mut bytes = [0u8; EVENT_BYTES_MAX];
    let mut at = 0;
    let mut put = |field: &[u8]| {
        bytes[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    };
    put(&(e.code as u16).to_le_bytes());
    put(&e.timestamp.to_le_bytes());
    if resolved {
        let r = &e.resolved;
        let mut bits = 0;
        for (bit, on) in [
            (RESOLVED_DEBIT, r.debit.is_some()),
            (RESOLVED_CREDIT, r.credit.is_some()),
            (RESOLVED_AMOUNT, r.amount.is_some()),
            (RESOLVED_HELD, r.held.is_some()),
        ] {
            if on {
                bits |= bit;
            }
        }
        put(&[bits]);
        for id in [r.debit, r.credit].into_iter().flatten() {
            put(&id.get().to_le_bytes());
        }
        // Normalized as `encode_amount` writes them.
        for amount in [r.amount, r.held].into_iter().flatten() {
            let (mantissa, scale) = amount.mantissa_scale();
            put(&mantissa.to_le_bytes());
            put(&[scale as u8]);
        }
    }
    buf.extend_from_slice(&bytes[..at]);
}

fn encode_movement(buf: &mut Vec<u8>, m: &Movement) {
    buf.extend_from_slice(&m.id.get().to_le_bytes());
    buf.extend_from_slice(&m.debit.get().to_le_bytes());
    buf.extend_from_slice(&m.credit.get().to_le_bytes());
    encode_amount(buf, m.amount);
}

/// Decodes the outcome of `command` from `r`, refusing anything but its one encoding.
pub(crate) fn decode_outcome(
    r: &mut Reader<'_>,
    command: &Command,
) -> Result<Outcome, DecodeError> {
    match command {
        Command::Expire => return decode_expired(r),
        Command::Operate(_) => return decode_operated(r),
        _ => {}
    }
    let events = crate::codec::command_len(command);
    let transfers = match command {
        Command::CreateTransfers(batch) => Some(batch.as_slice()),
        _ => None,
    };
    let mut out = Vec::with_capacity(events);
    for i in 0..events {
        let code = decode_code(r)?;
        let timestamp = r.u64("outcome.timestamp")?;
        let resolved = match transfers {
            Some(batch) if code == ResultCode::Ok => {
                let resolved = decode_resolved(r)?;
                check_resolved(&batch[i], &resolved)?;
                resolved
            }
            _ => Resolved::default(),
        };
        out.push(EventOutcome {
            code,
            timestamp,
            resolved,
        });
    }
    Ok(Outcome::Events(out))
}

/// A resolved field equal to the request's, or a held amount outside a post, is a second
/// encoding of the same outcome; a missing side or amount leaves the balances unknown.
fn check_resolved(request: &Transfer, resolved: &Resolved) -> Result<(), DecodeError> {
    let second = |field| DecodeError::Field {
        field,
        why: "repeats the request (a second encoding)",
    };
    if resolved.debit.is_some() && resolved.debit == request.debit_account_id {
        return Err(second("outcome.debit"));
    }
    if resolved.credit.is_some() && resolved.credit == request.credit_account_id {
        return Err(second("outcome.credit"));
    }
    if resolved.amount.is_some() && resolved.amount == request.amount {
        return Err(second("outcome.amount"));
    }
    let post = request.flags.contains(TransferFlags::POST_PENDING);
    if post != resolved.held.is_some() {
        return Err(DecodeError::Field {
            field: "outcome.held",
            why: "present exactly for a post",
        });
    }
    applied(request, resolved).map(|_| ())
}

fn decode_resolved(r: &mut Reader<'_>) -> Result<Resolved, DecodeError> {
    let bits = r.present("outcome.resolved", RESOLVED_ALL)?;
    let debit = match bits & RESOLVED_DEBIT {
        0 => None,
        _ => Some(r.account_id("outcome.debit")?),
    };
    let credit = match bits & RESOLVED_CREDIT {
        0 => None,
        _ => Some(r.account_id("outcome.credit")?),
    };
    let amount = match bits & RESOLVED_AMOUNT {
        0 => None,
        _ => Some(decode_amount(r, "outcome.amount")?),
    };
    let held = match bits & RESOLVED_HELD {
        0 => None,
        _ => Some(decode_amount(r, "outcome.held")?),
    };
    Ok(Resolved {
        debit,
        credit,
        amount,
        held,
    })
}

fn decode_operated(r: &mut Reader<'_>) -> Result<Outcome, DecodeError> {
    let n = count(r, "outcome.events", OPERATION_ITEMS_MAX)?;
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        events.push(EventOutcome {
            code: decode_code(r)?,
            timestamp: r.u64("outcome.timestamp")?,
            resolved: Resolved::default(),
        });
    }
    let n = count(r, "outcome.made", OPERATION_ITEMS_MAX)?;
    let mut made = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.transfer_id("outcome.id")?;
        let flags = TransferFlags(r.u16("outcome.flags")?);
        let debit = r.account_id("outcome.debit")?;
        let credit = r.account_id("outcome.credit")?;
        let amount = decode_amount(r, "outcome.amount")?;
        let held = match flags.contains(TransferFlags::POST_PENDING) {
            true => Some(decode_amount(r, "outcome.held")?),
            false => None,
        };
        made.push(Made {
            id,
            flags,
            debit,
            credit,
            amount,
            held,
        });
    }
    Ok(Outcome::Operated { events, made })
}

fn decode_code(r: &mut Reader<'_>) -> Result<ResultCode, DecodeError> {
    let number = r.u16("outcome.code")?;
    ResultCode::from_u16(number).ok_or(DecodeError::Field {
        field: "outcome.code",
        why: "not a result code",
    })
}

fn decode_expired(r: &mut Reader<'_>) -> Result<Outcome, DecodeError> {
    let released_count = count(r, "outcome.released", EXPIRE_ITEMS_MAX)?;
    let mut released = Vec::with_capacity(released_count);
    for _ in 0..released_count {
        released.push(decode_movement(r)?);
    }
    let swept_count = count(r, "outcome.swept", EXPIRE_ITEMS_MAX)?;
    let mut swept = Vec::with_capacity(swept_count);
    for _ in 0..swept_count {
        swept.push(Sweep {
            movement: decode_movement(r)?,
            code: r.u16("outcome.sweep.code")?,
            timestamp: r.u64("outcome.sweep.timestamp")?,
        });
    }
    Ok(Outcome::Expired { released, swept })
}

fn count(r: &mut Reader<'_>, field: &'static str, max: usize) -> Result<usize, DecodeError> {
    let n = r.u32(field)? as usize;
    if n > max {
        return Err(DecodeError::Field {
            field,
            why: "more items than the most one command makes",
        });
    }
    Ok(n)
}

fn decode_movement(r: &mut Reader<'_>) -> Result<Movement, DecodeError> {
    Ok(Movement {
        id: r.transfer_id("outcome.id")?,
        debit: r.account_id("outcome.debit")?,
        credit: r.account_id("outcome.credit")?,
        amount: decode_amount(r, "outcome.amount")?,
    })
}

/// The first difference between a recorded outcome and the engine's, in words: "event 3:
/// recorded ok, engine says exceeds_floor".
pub fn first_difference(recorded: &Outcome, engine: &Outcome) -> String {
    match (recorded, engine) {
        (Outcome::Events(a), Outcome::Events(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if x.code != y.code {
                    return format!("event {i}: recorded {}, engine says {}", x.code, y.code);
                }
                if x.timestamp != y.timestamp {
                    return format!(
                        "event {i}: recorded timestamp {}, engine says {}",
                        x.timestamp, y.timestamp
                    );
                }
                if x.resolved != y.resolved {
                    return format!(
                        "event {i}: recorded {:?}, engine says {:?}",
                        x.resolved, y.resolved
                    );
                }
            }
            format!("{} events recorded, engine says {}", a.len(), b.len())
        }
        (
            Outcome::Expired {
                released: ra,
                swept: sa,
            },
            Outcome::Expired {
                released: rb,
                swept: sb,
            },
        ) => {
            if ra != rb {
                format!(
                    "released holds: recorded {} ({:?}), engine says {} ({:?})",
                    ra.len(),
                    ra.first(),
                    rb.len(),
                    rb.first()
                )
            } else {
                format!(
                    "sweeps: recorded {}, engine says {} (first difference among {:?} / {:?})",
                    sa.len(),
                    sb.len(),
                    sa.iter().zip(sb).find(|(x, y)| x != y).map(|(x, _)| x),
                    sa.iter().zip(sb).find(|(x, y)| x != y).map(|(_, y)| y)
                )
            }
        }
        (
            Outcome::Operated {
                events: ea,
                made: ma,
            },
            Outcome::Operated {
                events: eb,
                made: mb,
            },
        ) => {
            let a = Outcome::Events(ea.clone());
            let b = Outcome::Events(eb.clone());
            if a != b {
                return first_difference(&a, &b);
            }
            format!("the transfers made: recorded {ma:?}, engine says {mb:?}")
        }
        _ => "the outcome's kind differs".into(),
    }
}
