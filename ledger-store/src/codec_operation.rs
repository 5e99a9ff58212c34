//! The binary encoding of a domain operation (command tag 9, `Command::Operate`), laid out in
//! docs/FORMAT.md §4.2. Every value has exactly one encoding: optional fields sit behind
//! present bits, and a decoder refuses undefined bits, unknown kinds and zero ids.

use ledger_core::arrival::{Arrival, CarriedLot, ARRIVAL_LOTS_MAX};
use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::{
    Booking, Closing, Completion, Gift, PointsAward, Redemption, ServiceRecord,
};

use crate::codec::{
    bad, decode_amount, encode_account_id, encode_amount, DecodeError, Reader, AMOUNT_BYTES,
};

/// Operation kinds, one byte after the operation id.
pub const KIND_SERVICE: u8 = 1;
pub const KIND_BOOKING: u8 = 2;
pub const KIND_COMPLETION: u8 = 3;
pub const KIND_CANCELLATION: u8 = 4;
pub const KIND_GIFT: u8 = 5;
pub const KIND_AWARD: u8 = 6;
pub const KIND_REDEMPTION: u8 = 7;
pub const KIND_CLOSING: u8 = 8;
pub const KIND_REVERSAL: u8 = 9;
/// Hours arriving from another ledger with their state (format version 5 on).
pub const KIND_ARRIVAL: u8 = 10;

/// The largest arrival: id, kind, clearing, member, unit, code, user data, lot count, lots,
/// present, earned, eligible_from.
const ARRIVAL_BYTES_MAX: usize =
    16 + 1 + 32 + 2 + 2 + 16 + 1 + ARRIVAL_LOTS_MAX * (8 + AMOUNT_BYTES) + 1 + AMOUNT_BYTES + 8;

/// The largest service: id, kind, code, payer, provider, hours, user data, present, served_at,
/// donation, points (code, issuer, member, acts).
const SERVICE_BYTES_MAX: usize = 16 + 1 + 2 + 32 + AMOUNT_BYTES + 16 + 1 + 8 + 16 + 2 + 32 + 4;

pub fn encoded_len_max(operation: &Operation) -> usize {
    match &operation.kind {
        OperationKind::Closing(c) => 16 + 1 + 2 + 32 * c.accounts.len(),
        OperationKind::Arrival(_) => ARRIVAL_BYTES_MAX,
        _ => SERVICE_BYTES_MAX,
    }
}

fn u128(buf: &mut Vec<u8>, v: u128) {
    buf.extend_from_slice(&v.to_le_bytes());
}

pub fn encode(buf: &mut Vec<u8>, operation: &Operation) {
    u128(buf, operation.id.get());
    match &operation.kind {
        OperationKind::Service(s) => {
            buf.push(KIND_SERVICE);
            buf.extend_from_slice(&s.code.to_le_bytes());
            encode_account_id(buf, &s.payer);
            encode_account_id(buf, &s.provider);
            encode_amount(buf, s.hours);
            u128(buf, s.user_data);
            let present = u8::from(s.served_at.is_some())
                | u8::from(s.donation.is_some()) << 1
                | u8::from(s.points.is_some()) << 2;
            buf.push(present);
            if let Some(at) = s.served_at {
                buf.extend_from_slice(&at.to_le_bytes());
            }
            if let Some(pool) = s.donation {
                encode_account_id(buf, &pool);
            }
            if let Some(p) = &s.points {
                encode_award(buf, p);
            }
        }
        OperationKind::Booking(b) => {
            buf.push(KIND_BOOKING);
            buf.extend_from_slice(&b.code.to_le_bytes());
            encode_account_id(buf, &b.payer);
            encode_account_id(buf, &b.provider);
            encode_amount(buf, b.hours);
            buf.extend_from_slice(&b.timeout_s.to_le_bytes());
            u128(buf, b.user_data);
        }
        OperationKind::Completion(c) => {
            buf.push(KIND_COMPLETION);
            u128(buf, c.booking.get());
            let present = u8::from(c.hours.is_some())
                | u8::from(c.rating.is_some()) << 1
                | u8::from(c.donation.is_some()) << 2
                | u8::from(c.served_at.is_some()) << 3;
            buf.push(present);
            if let Some(hours) = c.hours {
                encode_amount(buf, hours);
            }
            if let Some(rating) = c.rating {
                buf.push(rating);
            }
            if let Some(pool) = c.donation {
                encode_account_id(buf, &pool);
            }
            if let Some(at) = c.served_at {
                buf.extend_from_slice(&at.to_le_bytes());
            }
        }
        OperationKind::Cancellation { booking } => {
            buf.push(KIND_CANCELLATION);
            u128(buf, booking.get());
        }
        OperationKind::Gift(g) => {
            buf.push(KIND_GIFT);
            encode_account_id(buf, &g.from);
            encode_account_id(buf, &g.to);
            encode_amount(buf, g.amount);
            encode_code(buf, g.code);
        }
        OperationKind::Award(a) => {
            buf.push(KIND_AWARD);
            encode_award(buf, a);
        }
        OperationKind::Redemption(r) => {
            buf.push(KIND_REDEMPTION);
            encode_account_id(buf, &r.member);
            encode_account_id(buf, &r.redemption);
            encode_amount(buf, r.amount);
            encode_code(buf, r.code);
        }
        OperationKind::Closing(c) => {
            buf.push(KIND_CLOSING);
            // The engine refuses an empty closing or one above a batch before journaling it.
            buf.extend_from_slice(&(c.accounts.len() as u16).to_le_bytes());
            for (closed, destination) in &c.accounts {
                encode_account_id(buf, closed);
                encode_account_id(buf, destination);
            }
        }
        OperationKind::Reversal { original } => {
            buf.push(KIND_REVERSAL);
            u128(buf, original.get());
        }
        OperationKind::Arrival(a) => {
            buf.push(KIND_ARRIVAL);
            encode_arrival(buf, a);
        }
    }
}

fn encode_arrival(buf: &mut Vec<u8>, a: &Arrival) {
    encode_account_id(buf, &a.clearing);
    encode_account_id(buf, &a.member);
    buf.extend_from_slice(&a.unit.to_le_bytes());
    buf.extend_from_slice(&a.code.to_le_bytes());
    u128(buf, a.user_data);
    // The engine refuses an arrival of 0 or more than ARRIVAL_LOTS_MAX parts before journaling.
    buf.push(a.lots.len() as u8);
    for lot in &a.lots {
        buf.extend_from_slice(&lot.expires_at.to_le_bytes());
        encode_amount(buf, lot.amount);
    }
    let present = u8::from(a.earned_lifetime.is_some()) | u8::from(a.eligible_from.is_some()) << 1;
    buf.push(present);
    if let Some(earned) = a.earned_lifetime {
        encode_amount(buf, earned);
    }
    if let Some(at) = a.eligible_from {
        buf.extend_from_slice(&at.to_le_bytes());
    }
}

fn decode_arrival(r: &mut Reader<'_>) -> Result<Arrival, DecodeError> {
    let clearing = r.account_id("arrival.clearing")?;
    let member = r.account_id("arrival.member")?;
    let unit = r.u16("arrival.unit")?;
    let code = r.u16("arrival.code")?;
    let user_data = r.u128("arrival.user_data")?;
    let count = r.u8("arrival.lot_count")?;
    if count == 0 || usize::from(count) > ARRIVAL_LOTS_MAX {
        return Err(bad("arrival.lot_count", "outside 1..=16"));
    }
    let mut lots = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        lots.push(CarriedLot {
            expires_at: r.u64("arrival.lot.expires_at")?,
            amount: decode_amount(r, "arrival.lot.amount")?,
        });
    }
    let present = r.present("arrival.present", 0b11)?;
    let earned_lifetime = (present & 1 != 0)
        .then(|| decode_amount(r, "arrival.earned_lifetime"))
        .transpose()?;
    let eligible_from = (present & 2 != 0)
        .then(|| r.u64("arrival.eligible_from"))
        .transpose()?;
    Ok(Arrival {
        clearing,
        member,
        unit,
        code,
        user_data,
        lots,
        earned_lifetime,
        eligible_from,
    })
}

fn encode_award(buf: &mut Vec<u8>, a: &PointsAward) {
    buf.extend_from_slice(&a.code.to_le_bytes());
    encode_account_id(buf, &a.issuer);
    encode_account_id(buf, &a.member);
    buf.extend_from_slice(&a.acts.to_le_bytes());
}

fn encode_code(buf: &mut Vec<u8>, code: Option<u16>) {
    match code {
        None => buf.push(0),
        Some(code) => {
            buf.push(1);
            buf.extend_from_slice(&code.to_le_bytes());
        }
    }
}

pub fn decode(r: &mut Reader<'_>) -> Result<Operation, DecodeError> {
    let id = r.transfer_id("operation.id")?;
    let kind = match r.u8("operation.kind")? {
        KIND_SERVICE => {
            let code = r.u16("service.code")?;
            let payer = r.account_id("service.payer")?;
            let provider = r.account_id("service.provider")?;
            let hours = decode_amount(r, "service.hours")?;
            let user_data = r.u128("service.user_data")?;
            let present = r.present("service.present", 0b111)?;
            let served_at = (present & 1 != 0)
                .then(|| r.u64("service.served_at"))
                .transpose()?;
            let donation = (present & 2 != 0)
                .then(|| r.account_id("service.donation"))
                .transpose()?;
            let points = (present & 4 != 0).then(|| decode_award(r)).transpose()?;
            OperationKind::Service(ServiceRecord {
                code,
                payer,
                provider,
                hours,
                served_at,
                donation,
                points,
                user_data,
            })
        }
        KIND_BOOKING => OperationKind::Booking(Booking {
            code: r.u16("booking.code")?,
            payer: r.account_id("booking.payer")?,
            provider: r.account_id("booking.provider")?,
            hours: decode_amount(r, "booking.hours")?,
            timeout_s: r.u32("booking.timeout_s")?,
            user_data: r.u128("booking.user_data")?,
        }),
        KIND_COMPLETION => {
            let booking = r.transfer_id("completion.booking")?;
            let present = r.present("completion.present", 0b1111)?;
            let hours = (present & 1 != 0)
                .then(|| decode_amount(r, "completion.hours"))
                .transpose()?;
            let rating = (present & 2 != 0)
                .then(|| r.u8("completion.rating"))
                .transpose()?;
            let donation = (present & 4 != 0)
                .then(|| r.account_id("completion.donation"))
                .transpose()?;
            let served_at = (present & 8 != 0)
                .then(|| r.u64("completion.served_at"))
                .transpose()?;
            OperationKind::Completion(Completion {
                booking,
                hours,
                rating,
                donation,
                served_at,
            })
        }
        KIND_CANCELLATION => OperationKind::Cancellation {
            booking: r.transfer_id("cancellation.booking")?,
        },
        KIND_GIFT => OperationKind::Gift(Gift {
            from: r.account_id("gift.from")?,
            to: r.account_id("gift.to")?,
            amount: decode_amount(r, "gift.amount")?,
            code: decode_code(r, "gift.code")?,
        }),
        KIND_AWARD => OperationKind::Award(decode_award(r)?),
        KIND_REDEMPTION => OperationKind::Redemption(Redemption {
            member: r.account_id("redemption.member")?,
            redemption: r.account_id("redemption.redemption")?,
            amount: decode_amount(r, "redemption.amount")?,
            code: decode_code(r, "redemption.code")?,
        }),
        KIND_CLOSING => {
            let count = r.u16("closing.count")?;
            if count == 0 || usize::from(count) > BATCH_EVENTS_MAX {
                return Err(DecodeError::Count(count));
            }
            let mut accounts = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                accounts.push((
                    r.account_id("closing.account")?,
                    r.account_id("closing.destination")?,
                ));
            }
            OperationKind::Closing(Closing { accounts })
        }
        KIND_REVERSAL => OperationKind::Reversal {
            original: r.transfer_id("reversal.original")?,
        },
        KIND_ARRIVAL => OperationKind::Arrival(decode_arrival(r)?),
        _ => return Err(bad("operation.kind", "unknown kind")),
    };
    Ok(Operation { id, kind })
}

fn decode_award(r: &mut Reader<'_>) -> Result<PointsAward, DecodeError> {
    Ok(PointsAward {
        code: r.u16("award.code")?,
        issuer: r.account_id("award.issuer")?,
        member: r.account_id("award.member")?,
        acts: r.u32("award.acts")?,
    })
}

fn decode_code(r: &mut Reader<'_>, field: &'static str) -> Result<Option<u16>, DecodeError> {
    match r.u8(field)? {
        0 => Ok(None),
        1 => Ok(Some(r.u16(field)?)),
        _ => Err(bad(field, "the present byte must be 0 or 1")),
    }
}
