//! The binary encoding of commands in a record's body: compact, little-endian, exact for every
//! field, and strict: every value has exactly one encoding, and decoding refuses anything else
//! (unknown tags, reserved bits, zero ids, non-normalized amounts, trailing bytes).
//!
//! Layouts (offsets within an item; `docs/FORMAT.md` has the same tables):
//!
//! ```text
//! body      : tag u8, then for every command but Expire: count u16 (1..=8190), then items
//! transfer  : id u128, unit u16, code u16, flags u16, timeout_s u32, user_data u128,
//!             present u8 (bit0 debit, bit1 credit, bit2 amount, bit3 related),
//!             [debit u128] [credit u128] [amount: mantissa u64, scale u8] [related u128]
//! account   : id u128, unit u16, kind u8, community u32, user_data u128,
//!             present u8 (bit0 floor, bit1 ceiling, bit2 eligible_from),
//!             [floor decimal] [ceiling decimal] [eligible_from u64]
//! decimal   : sign_scale u8 (bit7 sign, bits 0-4 scale <= 28, bits 5-6 zero), magnitude u96
//! link      : a u128, b u128
//! eligibility: account u128, present u8 (0 or 1), [from u64]
//! rating    : transfer u128, rating u8
//! amendment : from u64, length u32, the policy as `Policy::to_json` writes it (length bytes)
//! record body: command, outcome, annotation count u8, annotations (tag u8, length u16, value):
//!             1 operator u64 (never 0), 2 reason u32; each only when given (version 4 on)
//! ```

use ledger_core::limits::{BATCH_EVENTS_MAX, UNIT_SCALE_MAX};

use crate::outcome::{decode_outcome, encode_outcome, Outcome, EXPIRE_ITEMS_MAX};
use ledger_core::{
    AccountId, AccountKind, Amendment, Amount, Attribution, Command, Decimal, Eligibility, Link,
    NewAccount, Rating, Transfer, TransferFlags, TransferId,
};

/// Command tag: `CreateAccounts`, a list of accounts.
pub const TAG_CREATE_ACCOUNTS: u8 = 1;
/// Command tag: `CreateTransfers`, a list of transfers.
pub const TAG_CREATE_TRANSFERS: u8 = 2;
/// Command tag: `Expire`, no count and no items.
pub const TAG_EXPIRE: u8 = 3;
/// Command tag: `LinkAccounts`, a list of links.
pub const TAG_LINK_ACCOUNTS: u8 = 4;
/// Command tag: `UnlinkAccounts`, a list of links.
pub const TAG_UNLINK_ACCOUNTS: u8 = 5;
/// Command tag: `SetEligibility`, a list of eligibility dates.
pub const TAG_SET_ELIGIBILITY: u8 = 6;
/// Command tag: `RecordRatings`, a list of ratings.
pub const TAG_RECORD_RATINGS: u8 = 7;
/// Command tag: `CloseAccounts`, a list of account ids (u128 each).
pub const TAG_CLOSE_ACCOUNTS: u8 = 8;
/// Command tag: `Operate`, one domain operation (its own layout, in `docs/FORMAT.md`).
pub const TAG_OPERATE: u8 = 9;
/// A policy amendment (format version 3 on).
pub const TAG_AMEND_POLICY: u8 = 10;
/// Annotation tag (format version 4 on) of the operator who ran the command (u64, never 0).
pub const ANNOTATION_OPERATOR: u8 = 1;
/// Annotation tag of the reason code (u32), given only when the command had one.
pub const ANNOTATION_REASON: u8 = 2;
/// The most bytes a command's annotations take: the count, then the operator (1 + 2 + 8) and
/// the reason (1 + 2 + 4).
pub const ANNOTATIONS_BYTES_MAX: usize = 1 + 11 + 7;
/// The largest policy an amendment carries, in bytes of JSON (a record must fit).
pub const AMENDMENT_POLICY_BYTES_MAX: usize = 1 << 20;

/// Offsets within an encoded transfer: the id (u128).
pub const TRANSFER_OFFSET_ID: usize = 0;
/// Offset of a transfer's unit (u16).
pub const TRANSFER_OFFSET_UNIT: usize = 16;
/// Offset of a transfer's code (u16).
pub const TRANSFER_OFFSET_CODE: usize = 18;
/// Offset of a transfer's flags (u16).
pub const TRANSFER_OFFSET_FLAGS: usize = 20;
/// Offset of a transfer's `timeout_s` (u32).
pub const TRANSFER_OFFSET_TIMEOUT: usize = 22;
/// Offset of a transfer's `user_data` (u128).
pub const TRANSFER_OFFSET_USER_DATA: usize = 26;
/// Offset of a transfer's presence bits (u8, the `PRESENT_*` transfer bits).
pub const TRANSFER_OFFSET_PRESENT: usize = 42;
/// The fixed part of a transfer; the optional fields follow in the order of their bits.
pub const TRANSFER_FIXED_BYTES: usize = 43;
/// Bytes of an encoded amount: mantissa u64 in minor units of its scale, then the scale u8.
pub const AMOUNT_BYTES: usize = 9;
/// Bytes of an encoded decimal: sign and scale u8, then the magnitude u96.
pub const DECIMAL_BYTES: usize = 13;
/// The largest encoded transfer (every optional field present).
pub const TRANSFER_BYTES_MAX: usize = TRANSFER_FIXED_BYTES + 16 + 16 + AMOUNT_BYTES + 16 + 8;

/// Transfer presence bit: a debit account id (u128) follows.
pub const PRESENT_DEBIT: u8 = 1 << 0;
/// Transfer presence bit: a credit account id (u128) follows.
pub const PRESENT_CREDIT: u8 = 1 << 1;
/// Transfer presence bit: an amount follows.
pub const PRESENT_AMOUNT: u8 = 1 << 2;
/// Transfer presence bit: a related id (u128) follows.
pub const PRESENT_RELATED: u8 = 1 << 3;
/// Transfer presence bit: `served_at` (u64, nanoseconds since the Unix epoch) follows, last.
pub const PRESENT_SERVED_AT: u8 = 1 << 4;
/// Account presence bit: a floor (a decimal) follows.
pub const PRESENT_FLOOR: u8 = 1 << 0;
/// Account presence bit: a ceiling (a decimal) follows.
pub const PRESENT_CEILING: u8 = 1 << 1;
/// Account presence bit: `eligible_from` (u64, nanoseconds since the Unix epoch) follows.
pub const PRESENT_ELIGIBLE_FROM: u8 = 1 << 2;

/// Offsets within an encoded account: the id (u128).
pub const ACCOUNT_OFFSET_ID: usize = 0;
/// Offset of an account's unit (u16).
pub const ACCOUNT_OFFSET_UNIT: usize = 16;
/// Offset of an account's kind (u8, [`AccountKind`]'s number).
pub const ACCOUNT_OFFSET_KIND: usize = 18;
/// Offset of an account's community (u32).
pub const ACCOUNT_OFFSET_COMMUNITY: usize = 19;
/// Offset of an account's `user_data` (u128).
pub const ACCOUNT_OFFSET_USER_DATA: usize = 23;
/// Offset of an account's presence bits (u8, the `PRESENT_*` account bits).
pub const ACCOUNT_OFFSET_PRESENT: usize = 39;
/// The fixed part of an account; the optional fields follow in the order of their bits.
pub const ACCOUNT_FIXED_BYTES: usize = 40;

/// The largest scale a `Decimal` carries.
const DECIMAL_SCALE_MAX: u32 = 28;
const DECIMAL_SIGN_BIT: u8 = 1 << 7;

const _: () = assert!(TRANSFER_OFFSET_PRESENT + 1 == TRANSFER_FIXED_BYTES);
const _: () = assert!(ACCOUNT_OFFSET_PRESENT + 1 == ACCOUNT_FIXED_BYTES);
const _: () = assert!(TRANSFER_BYTES_MAX == 108);

/// Why a body is not a canonical command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes end inside an item; holds what was being read.
    #[error("the body ends inside {0}")]
    Truncated(&'static str),
    /// Bytes follow the last item; holds how many.
    #[error("{0} bytes follow the last item")]
    TrailingBytes(usize),
    /// The command tag is not one of the `TAG_*` values.
    #[error("unknown command tag {0}")]
    UnknownTag(u8),
    /// The event count is 0 or above `BATCH_EVENTS_MAX` (8190).
    #[error("event count {0} is outside 1..={max}", max = BATCH_EVENTS_MAX)]
    Count(u16),
    /// A field holds a value with no meaning or not in its one canonical form (a zero id, a
    /// reserved bit, a non-normalized amount, an unknown kind, ...).
    #[error("{field} is not canonical: {why}")]
    Field {
        /// The field, by name.
        field: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
}

pub(crate) fn bad(field: &'static str, why: &'static str) -> DecodeError {
    DecodeError::Field { field, why }
}

// ------------------------------------------------------------------------------------------
// Encoding: appends to a caller's buffer, no allocation per field.

/// Appends the body of `command` to `buf`.
///
/// The engine refuses empty batches and batches above `BATCH_EVENTS_MAX` before changing
/// anything, and the store journals only commands the engine accepted, so a count always fits.
pub fn encode_command(buf: &mut Vec<u8>, command: &Command) {
    match command {
        Command::CreateAccounts(items) => {
            list(buf, TAG_CREATE_ACCOUNTS, items, encode_account);
        }
        Command::CreateTransfers(items) => {
            list(buf, TAG_CREATE_TRANSFERS, items, encode_transfer);
        }
        Command::Expire => buf.push(TAG_EXPIRE),
        Command::LinkAccounts(items) => list(buf, TAG_LINK_ACCOUNTS, items, encode_link),
        Command::UnlinkAccounts(items) => list(buf, TAG_UNLINK_ACCOUNTS, items, encode_link),
        Command::SetEligibility(items) => {
            list(buf, TAG_SET_ELIGIBILITY, items, encode_eligibility);
        }
        Command::RecordRatings(items) => list(buf, TAG_RECORD_RATINGS, items, encode_rating),
        Command::CloseAccounts(items) => list(buf, TAG_CLOSE_ACCOUNTS, items, encode_account_id),
        Command::Operate(operation) => {
            buf.push(TAG_OPERATE);
            crate::codec_operation::encode(buf, operation);
        }
        Command::AmendPolicy(amendment) => encode_amendment(buf, amendment),
    }
}

/// Tag, effective time, then the policy's JSON with its length. The engine accepted the
/// amendment, so its policy is valid, and a valid policy's JSON (at most 1,024 codes with
/// names of at most 64 bytes, 64 caps) stays far below `AMENDMENT_POLICY_BYTES_MAX`.
fn encode_amendment(buf: &mut Vec<u8>, amendment: &Amendment) {
    let json = amendment.policy.to_json();
    buf.push(TAG_AMEND_POLICY);
    buf.extend_from_slice(&amendment.from.to_le_bytes());
    buf.extend_from_slice(&(json.len() as u32).to_le_bytes());
    buf.extend_from_slice(json.as_bytes());
}

fn decode_amendment(r: &mut Reader<'_>) -> Result<Amendment, DecodeError> {
    let from = r.u64("amendment.from")?;
    let length = r.u32("amendment.length")? as usize;
    if length > AMENDMENT_POLICY_BYTES_MAX {
        return Err(bad("amendment.length", "above 1 MiB"));
    }
    let end = r.at + length;
    let bytes = r
        .bytes
        .get(r.at..end)
        .ok_or(DecodeError::Truncated("amendment.policy"))?;
    r.at = end;
    let text = std::str::from_utf8(bytes).map_err(|_| bad("amendment.policy", "not UTF-8"))?;
    let policy = ledger_core::Policy::from_json(text)
        .map_err(|_| bad("amendment.policy", "not a valid policy"))?;
    if policy.to_json() != text {
        return Err(bad(
            "amendment.policy",
            "not the policy's one JSON form (Policy::to_json)",
        ));
    }
    Ok(Amendment { from, policy })
}

/// How many bytes [`encode_body`] appends at most: lets a writer reserve once.
pub fn encoded_len_max(command: &Command) -> usize {
    let per_item = match command {
        Command::CreateAccounts(_) => ACCOUNT_FIXED_BYTES + 2 * DECIMAL_BYTES + 8,
        Command::CreateTransfers(_) => TRANSFER_BYTES_MAX,
        Command::Expire => 0,
        Command::LinkAccounts(_) | Command::UnlinkAccounts(_) => 32,
        Command::SetEligibility(_) => 25,
        Command::RecordRatings(_) => 17,
        Command::CloseAccounts(_) => 16,
        Command::AmendPolicy(amendment) => 8 + 4 + amendment.policy.to_json().len(),
        Command::Operate(operation) => {
            let events = 3 * BATCH_EVENTS_MAX;
            let made = 2 * BATCH_EVENTS_MAX;
            return 1
                + crate::codec_operation::encoded_len_max(operation)
                + 4
                + events * crate::outcome::EVENT_OUTCOME_BYTES
                + 4
                + made * crate::outcome::MADE_BYTES_MAX
                + ANNOTATIONS_BYTES_MAX;
        }
    };
    let outcome = match command {
        // Code and timestamp, resolved byte, both sides, amount and held amount.
        Command::CreateTransfers(_) => 10 + 1 + 32 + 2 * AMOUNT_BYTES,
        Command::Expire => 0,
        _ => 10,
    };
    let expire = match command {
        Command::Expire => {
            8 + EXPIRE_ITEMS_MAX * (crate::outcome::RELEASED_BYTES + crate::outcome::SWEPT_BYTES)
        }
        _ => 0,
    };
    // Tag and count, items and their outcomes, the annotations.
    3 + (per_item + outcome) * command_len(command) + expire + ANNOTATIONS_BYTES_MAX
}

/// The number of events in a command (0 for `Expire`).
pub fn command_len(command: &Command) -> usize {
    match command {
        Command::CreateAccounts(v) => v.len(),
        Command::CreateTransfers(v) => v.len(),
        Command::Expire => 0,
        Command::LinkAccounts(v) | Command::UnlinkAccounts(v) => v.len(),
        Command::SetEligibility(v) => v.len(),
        Command::RecordRatings(v) => v.len(),
        Command::CloseAccounts(v) => v.len(),
        Command::Operate(_) | Command::AmendPolicy(_) => 1,
    }
}

fn list<T>(buf: &mut Vec<u8>, tag: u8, items: &[T], item: fn(&mut Vec<u8>, &T)) {
    assert!(
        !items.is_empty() && items.len() <= BATCH_EVENTS_MAX,
        "the engine accepted a batch of {} events",
        items.len()
    );
    buf.push(tag);
    buf.extend_from_slice(&(items.len() as u16).to_le_bytes());
    for x in items {
        item(buf, x);
    }
}

/// Written into an array of [`TRANSFER_BYTES_MAX`] first, then copied into `buf` once: one
/// bounds-checked append a transfer instead of one a field (this runs for every transfer
/// committed).
fn encode_transfer(buf: &mut Vec<u8>, t: &Transfer) {
    let mut bytes = [0u8; TRANSFER_BYTES_MAX];
    let mut at = 0;
    let mut put = |field: &[u8]| {
        bytes[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    };
    put(&t.id.get().to_le_bytes());
    put(&t.unit.to_le_bytes());
    put(&t.code.to_le_bytes());
    put(&t.flags.0.to_le_bytes());
    put(&t.timeout_s.to_le_bytes());
    put(&t.user_data.to_le_bytes());
    let mut present = 0;
    for (bit, on) in [
        (PRESENT_DEBIT, t.debit_account_id.is_some()),
        (PRESENT_CREDIT, t.credit_account_id.is_some()),
        (PRESENT_AMOUNT, t.amount.is_some()),
        (PRESENT_RELATED, t.related_id.is_some()),
        (PRESENT_SERVED_AT, t.served_at.is_some()),
    ] {
        if on {
            present |= bit;
        }
    }
    put(&[present]);
    if let Some(id) = t.debit_account_id {
        put(&id.get().to_le_bytes());
    }
    if let Some(id) = t.credit_account_id {
        put(&id.get().to_le_bytes());
    }
    if let Some(amount) = t.amount {
        // Normalized as `encode_amount` writes it.
        let (mantissa, scale) = amount.mantissa_scale();
        put(&mantissa.to_le_bytes());
        put(&[scale as u8]);
    }
    if let Some(id) = t.related_id {
        put(&id.get().to_le_bytes());
    }
    if let Some(served_at) = t.served_at {
        put(&served_at.to_le_bytes());
    }
    buf.extend_from_slice(&bytes[..at]);
}

pub(crate) fn encode_amount(buf: &mut Vec<u8>, amount: Amount) {
    // Normalized: no trailing zeros, so one amount has one encoding.
    let (mantissa, scale) = amount.mantissa_scale();
    buf.extend_from_slice(&mantissa.to_le_bytes());
    buf.push(scale as u8);
}

pub(crate) fn encode_account_id(buf: &mut Vec<u8>, id: &AccountId) {
    buf.extend_from_slice(&id.get().to_le_bytes());
}

fn encode_account(buf: &mut Vec<u8>, a: &NewAccount) {
    buf.extend_from_slice(&a.id.get().to_le_bytes());
    buf.extend_from_slice(&a.unit.to_le_bytes());
    buf.push(a.kind as u8);
    buf.extend_from_slice(&a.community.to_le_bytes());
    buf.extend_from_slice(&a.user_data.to_le_bytes());
    let mut present = 0;
    present |= if a.floor.is_some() { PRESENT_FLOOR } else { 0 };
    present |= if a.ceiling.is_some() {
        PRESENT_CEILING
    } else {
        0
    };
    present |= if a.eligible_from.is_some() {
        PRESENT_ELIGIBLE_FROM
    } else {
        0
    };
    buf.push(present);
    if let Some(d) = a.floor {
        encode_decimal(buf, d);
    }
    if let Some(d) = a.ceiling {
        encode_decimal(buf, d);
    }
    if let Some(at) = a.eligible_from {
        buf.extend_from_slice(&at.to_le_bytes());
    }
}

fn encode_decimal(buf: &mut Vec<u8>, d: Decimal) {
    // Zero is written without a sign (a host's -0 is 0): every value has exactly one encoding.
    let sign = if d.is_sign_negative() && !d.is_zero() {
        DECIMAL_SIGN_BIT
    } else {
        0
    };
    buf.push(sign | d.scale() as u8);
    let magnitude = d.mantissa().unsigned_abs();
    buf.extend_from_slice(&magnitude.to_le_bytes()[..12]);
}

fn encode_link(buf: &mut Vec<u8>, l: &Link) {
    buf.extend_from_slice(&l.a.get().to_le_bytes());
    buf.extend_from_slice(&l.b.get().to_le_bytes());
}

fn encode_eligibility(buf: &mut Vec<u8>, e: &Eligibility) {
    buf.extend_from_slice(&e.account.get().to_le_bytes());
    match e.from {
        Some(at) => {
            buf.push(1);
            buf.extend_from_slice(&at.to_le_bytes());
        }
        None => buf.push(0),
    }
}

fn encode_rating(buf: &mut Vec<u8>, r: &Rating) {
    buf.extend_from_slice(&r.transfer.get().to_le_bytes());
    buf.push(r.rating);
}

// ------------------------------------------------------------------------------------------
// Decoding: strict.

/// Appends a command record's whole body without attribution: the command, its outcome, and
/// an annotation count of 0 (as format versions 2 and 3 write every body).
pub fn encode_body(buf: &mut Vec<u8>, command: &Command, outcome: &Outcome) {
    encode_body_by(buf, command, outcome, Attribution::NONE);
}

/// Appends a command record's whole body: the command, its outcome, and its annotations (the
/// operator when given, the reason when given; format version 4).
pub fn encode_body_by(buf: &mut Vec<u8>, command: &Command, outcome: &Outcome, who: Attribution) {
    encode_command(buf, command);
    encode_outcome(buf, command, outcome);
    let count = u8::from(who.is_given()) + u8::from(who.reason.is_some());
    buf.push(count);
    if who.is_given() {
        buf.push(ANNOTATION_OPERATOR);
        buf.extend_from_slice(&8u16.to_le_bytes());
        buf.extend_from_slice(&who.operator.to_le_bytes());
    }
    if let Some(reason) = who.reason {
        buf.push(ANNOTATION_REASON);
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&reason.to_le_bytes());
    }
}

/// Decodes a body without annotations (as format versions 2 and 3 write every body) into its
/// command and outcome, refusing any non-canonical byte.
pub fn decode_body(body: &[u8]) -> Result<(Command, Outcome), DecodeError> {
    decode_record_body(body, 3).map(|(command, outcome, _)| (command, outcome))
}

/// Decodes the body of a command record of format `version` into its command, outcome and
/// attribution, refusing any non-canonical byte (annotations exist from version 4 on).
pub fn decode_record_body(
    body: &[u8],
    version: u8,
) -> Result<(Command, Outcome, Attribution), DecodeError> {
    let mut r = Reader { bytes: body, at: 0 };
    let command = read_command(&mut r)?;
    let outcome = decode_outcome(&mut r, &command)?;
    let who = decode_annotations(&mut r, version)?;
    match body.len() - r.at {
        0 => Ok((command, outcome, who)),
        n => Err(DecodeError::TrailingBytes(n)),
    }
}

/// The annotations: a count, then `tag u8, length u16, value` with tags strictly ascending:
/// 1 operator (u64, not 0: an operator not given is left out), 2 reason (u32).
fn decode_annotations(r: &mut Reader<'_>, version: u8) -> Result<Attribution, DecodeError> {
    let count = r.u8("annotation count")?;
    if version < 4 && count != 0 {
        return Err(bad(
            "annotation count",
            "format versions 2 and 3 define no annotations",
        ));
    }
    let mut who = Attribution::NONE;
    let mut last = 0u8;
    for _ in 0..count {
        let tag = r.u8("annotation tag")?;
        if tag <= last {
            return Err(bad("annotation tag", "tags must be strictly ascending"));
        }
        last = tag;
        let length = r.u16("annotation length")?;
        match (tag, length) {
            (ANNOTATION_OPERATOR, 8) => {
                who.operator = r.u64("annotation operator")?;
                if who.operator == 0 {
                    return Err(bad("annotation operator", "operator 0 is left out"));
                }
            }
            (ANNOTATION_REASON, 4) => who.reason = Some(r.u32("annotation reason")?),
            (ANNOTATION_OPERATOR | ANNOTATION_REASON, _) => {
                return Err(bad(
                    "annotation length",
                    "not the length of the tag's value",
                ))
            }
            _ => return Err(bad("annotation tag", "unknown tag")),
        }
    }
    Ok(who)
}

/// Decodes the bytes of one command alone (as [`encode_command`] writes them), refusing any
/// non-canonical byte.
pub fn decode_command(bytes: &[u8]) -> Result<Command, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let command = read_command(&mut r)?;
    match bytes.len() - r.at {
        0 => Ok(command),
        n => Err(DecodeError::TrailingBytes(n)),
    }
}

fn read_command(r: &mut Reader<'_>) -> Result<Command, DecodeError> {
    let tag = r.u8("command tag")?;
    let command = match tag {
        TAG_EXPIRE => Command::Expire,
        TAG_CREATE_ACCOUNTS => Command::CreateAccounts(r.list(decode_account)?),
        TAG_CREATE_TRANSFERS => Command::CreateTransfers(r.list(decode_transfer)?),
        TAG_LINK_ACCOUNTS => Command::LinkAccounts(r.list(decode_link)?),
        TAG_UNLINK_ACCOUNTS => Command::UnlinkAccounts(r.list(decode_link)?),
        TAG_SET_ELIGIBILITY => Command::SetEligibility(r.list(decode_eligibility)?),
        TAG_RECORD_RATINGS => Command::RecordRatings(r.list(decode_rating)?),
        TAG_CLOSE_ACCOUNTS => Command::CloseAccounts(r.list(|r| r.account_id("close.account"))?),
        TAG_OPERATE => Command::Operate(crate::codec_operation::decode(r)?),
        TAG_AMEND_POLICY => Command::AmendPolicy(decode_amendment(r)?),
        other => return Err(DecodeError::UnknownTag(other)),
    };
    Ok(command)
}

pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let end = self.at + N;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(DecodeError::Truncated(what))?;
        self.at = end;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take::<1>(what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.take(what)?))
    }
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.take(what)?))
    }
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.take(what)?))
    }
    pub(crate) fn u128(&mut self, what: &'static str) -> Result<u128, DecodeError> {
        Ok(u128::from_le_bytes(self.take(what)?))
    }
    pub(crate) fn account_id(&mut self, what: &'static str) -> Result<AccountId, DecodeError> {
        AccountId::new(self.u128(what)?).ok_or_else(|| bad(what, "an id must not be zero"))
    }
    pub(crate) fn transfer_id(&mut self, what: &'static str) -> Result<TransferId, DecodeError> {
        TransferId::new(self.u128(what)?).ok_or_else(|| bad(what, "an id must not be zero"))
    }
    pub(crate) fn present(&mut self, what: &'static str, defined: u8) -> Result<u8, DecodeError> {
        let bits = self.u8(what)?;
        if bits & !defined != 0 {
            return Err(bad(what, "an undefined bit is set"));
        }
        Ok(bits)
    }

    pub(crate) fn list<T>(
        &mut self,
        item: fn(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.u16("event count")?;
        if count == 0 || count as usize > BATCH_EVENTS_MAX {
            return Err(DecodeError::Count(count));
        }
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

fn decode_transfer(r: &mut Reader<'_>) -> Result<Transfer, DecodeError> {
    let id = r.transfer_id("transfer.id")?;
    let unit = r.u16("transfer.unit")?;
    let code = r.u16("transfer.code")?;
    let flags = TransferFlags(r.u16("transfer.flags")?);
    let timeout_s = r.u32("transfer.timeout_s")?;
    let user_data = r.u128("transfer.user_data")?;
    let all = PRESENT_DEBIT | PRESENT_CREDIT | PRESENT_AMOUNT | PRESENT_RELATED | PRESENT_SERVED_AT;
    let present = r.present("transfer.present", all)?;
    let debit_account_id = match present & PRESENT_DEBIT {
        0 => None,
        _ => Some(r.account_id("transfer.debit_account_id")?),
    };
    let credit_account_id = match present & PRESENT_CREDIT {
        0 => None,
        _ => Some(r.account_id("transfer.credit_account_id")?),
    };
    let amount = match present & PRESENT_AMOUNT {
        0 => None,
        _ => Some(decode_amount(r, "transfer.amount")?),
    };
    let related_id = match present & PRESENT_RELATED {
        0 => None,
        _ => Some(r.transfer_id("transfer.related_id")?),
    };
    let served_at = match present & PRESENT_SERVED_AT {
        0 => None,
        _ => Some(r.u64("transfer.served_at")?),
    };
    Ok(Transfer {
        id,
        debit_account_id,
        credit_account_id,
        amount,
        related_id,
        unit,
        code,
        flags,
        timeout_s,
        user_data,
        served_at,
    })
}

pub(crate) fn decode_amount(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<Amount, DecodeError> {
    let mantissa = r.u64(field)?;
    let scale = u32::from(r.u8(field)?);
    if scale > UNIT_SCALE_MAX {
        return Err(bad(field, "scale above the largest unit scale"));
    }
    let amount = Amount::from_minor(mantissa, scale)
        .map_err(|_| bad(field, "not a positive amount within Amount::MAX"))?;
    // An Amount is normalized: a mantissa with trailing zeros at a scale above 0 is another
    // encoding of a shorter one, so it is refused.
    if amount.mantissa_scale() != (mantissa, scale) {
        return Err(bad(field, "not normalized (trailing zeros)"));
    }
    Ok(amount)
}

fn decode_account(r: &mut Reader<'_>) -> Result<NewAccount, DecodeError> {
    let id = r.account_id("account.id")?;
    let unit = r.u16("account.unit")?;
    let kind_number = r.u8("account.kind")?;
    let kind = AccountKind::from_u8(kind_number).ok_or_else(|| bad("account.kind", "unknown"))?;
    let community = r.u32("account.community")?;
    let user_data = r.u128("account.user_data")?;
    let all = PRESENT_FLOOR | PRESENT_CEILING | PRESENT_ELIGIBLE_FROM;
    let present = r.present("account.present", all)?;
    let floor = match present & PRESENT_FLOOR {
        0 => None,
        _ => Some(decode_decimal(r, "account.floor")?),
    };
    let ceiling = match present & PRESENT_CEILING {
        0 => None,
        _ => Some(decode_decimal(r, "account.ceiling")?),
    };
    let eligible_from = match present & PRESENT_ELIGIBLE_FROM {
        0 => None,
        _ => Some(r.u64("account.eligible_from")?),
    };
    Ok(NewAccount {
        id,
        unit,
        kind,
        community,
        user_data,
        floor,
        ceiling,
        eligible_from,
    })
}

fn decode_decimal(r: &mut Reader<'_>, field: &'static str) -> Result<Decimal, DecodeError> {
    let sign_scale = r.u8(field)?;
    let bytes: [u8; 12] = r.take(field)?;
    let scale = u32::from(sign_scale & 0x1f);
    if sign_scale & 0x60 != 0 || scale > DECIMAL_SCALE_MAX {
        return Err(bad(field, "reserved bits set or scale above 28"));
    }
    let word = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let negative = sign_scale & DECIMAL_SIGN_BIT != 0;
    // -0 is another encoding of 0: every value has exactly one.
    if negative && bytes == [0; 12] {
        return Err(bad(field, "negative zero"));
    }
    Ok(Decimal::from_parts(
        word(0),
        word(4),
        word(8),
        negative,
        scale,
    ))
}

fn decode_link(r: &mut Reader<'_>) -> Result<Link, DecodeError> {
    Ok(Link {
        a: r.account_id("link.a")?,
        b: r.account_id("link.b")?,
    })
}

fn decode_eligibility(r: &mut Reader<'_>) -> Result<Eligibility, DecodeError> {
    let account = r.account_id("eligibility.account")?;
    let from = match r.u8("eligibility.present")? {
        0 => None,
        1 => Some(r.u64("eligibility.from")?),
        _ => return Err(bad("eligibility.present", "must be 0 or 1")),
    };
    Ok(Eligibility { account, from })
}

fn decode_rating(r: &mut Reader<'_>) -> Result<Rating, DecodeError> {
    Ok(Rating {
        transfer: r.transfer_id("rating.transfer")?,
        rating: r.u8("rating.rating")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn id(n: u128) -> AccountId {
        AccountId::new(n).unwrap()
    }
    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    fn samples() -> Vec<Command> {
        let plain = Transfer::new(
            tid(u128::MAX),
            id(1),
            id(2),
            Amount::parse("12.25").unwrap(),
            1,
        )
        .code(7)
        .user_data(u128::MAX - 1);
        let hold = Transfer::new(
            tid(3),
            id(1),
            id(2),
            Amount::parse("1000000000").unwrap(),
            2,
        )
        .flags(TransferFlags::PENDING)
        .timeout_s(3600);
        let post = Transfer::post(tid(4), tid(3), Some(Amount::parse("0.000001").unwrap()))
            .served_at(u64::MAX);
        let account = NewAccount::new(id(9), 1, AccountKind::Issuer)
            .community(77)
            .floor(Some(Decimal::from_str("-10.50").unwrap()))
            .ceiling(Some(Decimal::from_str("1e3").unwrap()))
            .eligible_from(Some(5));
        let samples = vec![
            Command::CreateTransfers(vec![plain, hold, post, Transfer::void(tid(5), tid(3))]),
            Command::CreateAccounts(vec![
                account,
                NewAccount::new(id(10), 2, AccountKind::Member),
            ]),
            Command::Expire,
            Command::CloseAccounts(vec![id(1), id(u128::MAX)]),
            amendment(1),
            Command::LinkAccounts(vec![Link { a: id(1), b: id(2) }]),
            Command::UnlinkAccounts(vec![Link { a: id(2), b: id(1) }]),
            Command::SetEligibility(vec![
                Eligibility {
                    account: id(1),
                    from: None,
                },
                Eligibility {
                    account: id(2),
                    from: Some(u64::MAX),
                },
            ]),
            Command::RecordRatings(vec![Rating {
                transfer: tid(1),
                rating: 5,
            }]),
        ];
        [samples, operation_samples()].concat()
    }

    /// One operation of each kind, every optional field both present and absent.
    fn operation_samples() -> Vec<Command> {
        use ledger_core::operation::{Operation, OperationKind as K};
        use ledger_core::timebank::{
            Booking, Closing, Completion, Gift, PointsAward, Redemption, ServiceRecord,
        };
        let hours = Amount::parse("1.25").unwrap();
        let award = PointsAward {
            code: 401,
            issuer: id(5),
            member: id(6),
            acts: u32::MAX,
        };
        let service = ServiceRecord {
            code: 101,
            payer: id(1),
            provider: id(2),
            hours,
            served_at: Some(u64::MAX),
            donation: Some(id(9)),
            points: Some(award.clone()),
            user_data: u128::MAX,
        };
        let kinds = vec![
            K::Service(service.clone()),
            K::Service(ServiceRecord {
                served_at: None,
                donation: None,
                points: None,
                ..service
            }),
            K::Booking(Booking {
                code: 201,
                payer: id(3),
                provider: id(2),
                hours,
                timeout_s: 3600,
                user_data: 7,
            }),
            K::Completion(Completion {
                booking: tid(40),
                hours: Some(hours),
                rating: Some(5),
                donation: Some(id(9)),
                served_at: Some(1),
            }),
            K::Completion(Completion {
                booking: tid(40),
                hours: None,
                rating: None,
                donation: None,
                served_at: None,
            }),
            K::Cancellation { booking: tid(41) },
            K::Gift(Gift {
                from: id(2),
                to: id(3),
                amount: hours,
                code: Some(301),
            }),
            K::Gift(Gift {
                from: id(2),
                to: id(3),
                amount: hours,
                code: None,
            }),
            K::Award(award),
            K::Redemption(Redemption {
                member: id(6),
                redemption: id(7),
                amount: Amount::parse("30").unwrap(),
                code: None,
            }),
            K::Closing(Closing {
                accounts: vec![(id(2), id(3)), (id(6), id(9))],
            }),
            K::Reversal {
                original: tid(u128::MAX),
            },
            K::Arrival(ledger_core::Arrival {
                clearing: id(u128::MAX >> 1),
                member: id(2),
                unit: 2,
                code: 506,
                user_data: 12,
                lots: (0..ledger_core::ARRIVAL_LOTS_MAX as u64)
                    .map(|n| ledger_core::CarriedLot {
                        expires_at: if n == 15 { ledger_core::NO_EXPIRY } else { n },
                        amount: hours,
                    })
                    .collect(),
                earned_lifetime: Some(Amount::parse("599.5").unwrap()),
                eligible_from: Some(1),
            }),
            K::Arrival(ledger_core::Arrival {
                clearing: id(8),
                member: id(2),
                unit: 1,
                code: 304,
                user_data: 0,
                lots: vec![ledger_core::CarriedLot {
                    expires_at: 0,
                    amount: hours,
                }],
                earned_lifetime: None,
                eligible_from: None,
            }),
        ];
        let mut samples = Vec::new();
        for (n, kind) in kinds.into_iter().enumerate() {
            samples.push(Command::Operate(Operation {
                id: tid(1000 + n as u128),
                kind,
            }));
        }
        samples
    }

    #[test]
    fn every_command_round_trips_exactly() {
        for command in samples() {
            let mut buf = vec![];
            encode_command(&mut buf, &command);
            assert!(buf.len() <= encoded_len_max(&command));
            let back = decode_command(&buf).unwrap();
            assert_eq!(back, command);
            // Decimal scales survive too (1e3 stays 1000 at scale 0; -10.50 keeps scale 2).
            let mut again = vec![];
            encode_command(&mut again, &back);
            assert_eq!(again, buf);
        }
    }

    fn amendment(from: u64) -> Command {
        let mut policy = ledger_core::Policy::default_policy();
        policy.late_days_max = 7;
        Command::AmendPolicy(Amendment { from, policy })
    }

    #[test]
    fn an_amendment_round_trips_and_only_its_one_json_form_decodes() {
        let command = amendment(u64::MAX);
        let mut buf = vec![];
        encode_command(&mut buf, &command);
        assert_eq!(buf[0], TAG_AMEND_POLICY);
        assert_eq!(&buf[1..9], &u64::MAX.to_le_bytes());
        let json = u32::from_le_bytes(buf[9..13].try_into().unwrap()) as usize;
        assert_eq!(json, buf.len() - 13);
        assert!(buf.len() <= encoded_len_max(&command));
        assert_eq!(decode_command(&buf).unwrap(), command);

        // The same policy with a space added is another encoding: refused.
        let mut spaced = buf[..13].to_vec();
        spaced.extend_from_slice(b" ");
        spaced.extend_from_slice(&buf[13..]);
        spaced[9..13].copy_from_slice(&(json as u32 + 1).to_le_bytes());
        let e = decode_command(&spaced).unwrap_err();
        assert!(e.to_string().contains("one JSON form"), "{e}");
        // A policy that does not validate, and a length past the end.
        let mut invalid = buf.clone();
        let text = String::from_utf8(buf[13..].to_vec()).unwrap();
        let bad_text = text.replace("\"late_days_max\":7", "\"late_days_max\":9999");
        invalid.truncate(13);
        invalid.extend_from_slice(bad_text.as_bytes());
        let e = decode_command(&invalid).unwrap_err();
        assert!(e.to_string().contains("not a valid policy"), "{e}");
        let mut long = buf.clone();
        long[9..13].copy_from_slice(&(json as u32 + 1).to_le_bytes());
        assert_eq!(
            decode_command(&long).unwrap_err(),
            DecodeError::Truncated("amendment.policy")
        );
    }

    #[test]
    fn annotations_round_trip_and_only_their_one_encoding_decodes() {
        let command = Command::Expire;
        let outcome = Outcome::Expired {
            released: vec![],
            swept: vec![],
        };
        let cases = [
            (Attribution::NONE, 1),
            (Attribution::by(7), 12),
            (Attribution::NONE.because(u32::MAX), 8),
            (Attribution::by(u64::MAX).because(0), 19),
        ];
        for (who, bytes) in cases {
            let mut body = vec![];
            encode_body_by(&mut body, &command, &outcome, who);
            let mut bare = vec![];
            encode_body(&mut bare, &command, &outcome);
            assert_eq!(body.len() - bare.len() + 1, bytes);
            assert_eq!(decode_record_body(&body, 4).unwrap().2, who);
            if who != Attribution::NONE {
                // Versions 2 and 3 have no annotations.
                assert!(decode_record_body(&body, 3).is_err());
                assert!(decode_body(&body).is_err());
            }
        }
        let mut bare = vec![];
        encode_body(&mut bare, &command, &outcome);
        bare.pop();
        let refused = [
            (vec![1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0], "operator 0"),
            (vec![1, 3, 0, 0], "unknown tag"),
            (vec![1, 2, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0], "length"),
            (
                vec![2, 2, 4, 0, 1, 0, 0, 0, 1, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0],
                "ascending",
            ),
        ];
        for (tail, why) in refused {
            let mut body = bare.clone();
            body.extend_from_slice(&tail);
            let e = decode_record_body(&body, 4).unwrap_err();
            assert!(e.to_string().contains(why), "{e} lacks {why}");
        }
    }

    #[test]
    fn a_plain_transfer_takes_84_bytes() {
        let t = Transfer::new(tid(1), id(1), id(2), Amount::parse("1").unwrap(), 1);
        let mut buf = vec![];
        encode_transfer(&mut buf, &t);
        assert_eq!(buf.len(), TRANSFER_FIXED_BYTES + 16 + 16 + AMOUNT_BYTES);
    }

    #[test]
    fn non_canonical_bodies_are_refused() {
        let t = Transfer::new(tid(1), id(1), id(2), Amount::parse("1.5").unwrap(), 1);
        let mut good = vec![];
        encode_command(&mut good, &Command::CreateTransfers(vec![t]));
        let amount_at = 3 + TRANSFER_FIXED_BYTES + 32;
        type Damage = Box<dyn Fn(&mut Vec<u8>)>;
        let cases: Vec<(&str, Damage)> = vec![
            ("trailing byte", Box::new(|b| b.push(0))),
            (
                "truncated",
                Box::new(|b| {
                    b.pop();
                }),
            ),
            ("unknown tag", Box::new(|b| b[0] = 99)),
            ("zero count", Box::new(|b| b[1..3].copy_from_slice(&[0, 0]))),
            ("zero id", Box::new(|b| b[3..19].fill(0))),
            (
                "reserved present bit",
                Box::new(|b| b[3 + TRANSFER_OFFSET_PRESENT] |= 0x80),
            ),
            // 1.5 written as 15.0 (mantissa 150, scale 2): same value, other bytes.
            (
                "unnormalized amount",
                Box::new(move |b| {
                    b[amount_at..amount_at + 8].copy_from_slice(&150u64.to_le_bytes());
                    b[amount_at + 8] = 2;
                }),
            ),
            (
                "zero amount",
                Box::new(move |b| b[amount_at..amount_at + 8].fill(0)),
            ),
            ("scale too large", Box::new(move |b| b[amount_at + 8] = 7)),
        ];
        for (name, damage) in cases {
            let mut body = good.clone();
            damage(&mut body);
            assert!(decode_command(&body).is_err(), "{name} was accepted");
        }
        assert!(decode_command(&good).is_ok());
    }
}
