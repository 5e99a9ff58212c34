//! Messages between ledgers: offers, receipts and refusals, as versioned canonical bytes (what
//! is signed and what travels) and as JSON (the same fields, for people and for hosts that carry
//! text).
//!
//! # Bytes (version 1)
//!
//! All integers little-endian. A message is a header, a body that depends on the kind, and an
//! Ed25519 signature by the sending ledger over [`SIGNATURE_DOMAIN`] followed by every byte
//! before the signature.
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 4 | magic `TBEX` |
//! | 4 | 1 | version, 1 |
//! | 5 | 1 | kind: 1 offer, 2 receipt, 3 refusal, 4 offer with state |
//! | 6 | 8 | `from`: the ledger that signed it |
//! | 14 | 8 | `to`: the ledger it is for |
//! | 22 | 8 | exchange origin (the ledger that offered) |
//! | 30 | 8 | exchange number |
//! | 38 | 8 | journal sequence: a record of the signer's journal that holds the transfer the message speaks of, or a later one |
//! | 46 | 32 | that record's hash |
//! | 78 | 32 | the signer's Ed25519 public key |
//! | 110 | .. | body |
//! | end − 64 | 64 | signature |
//!
//! Offer body: unit name length (1 byte, 1 to 32), the name (UTF-8), amount in minor units (8,
//! not zero), the amount's scale (1, at most 6), source account (16: the member on the offering
//! ledger), destination account (16: the member or provider on the receiving ledger), deadline
//! (8, nanoseconds since the Unix epoch).
//!
//! Offer-with-state body (kind 4: an offer of hours in a unit whose credits expire, or of a
//! member who moves): the offer body, then the state the rules need ([`Carried`]): the number
//! of parts (1, 1 to 16), each part's expiry at home (8, nanoseconds; `u64::MAX`: it does not
//! expire there) and amount in minor units at the offer's scale (8, not zero), the parts
//! summing to the offer's amount and in order of expiry; flags (1: bit 0, a member who moves,
//! the rest zero); for a move only, what the member earned at home in the unit in all (8,
//! minor units at the offer's scale, may be zero) and the member's eligibility date for care
//! there (8, nanoseconds; 0: none).
//!
//! Receipt body: the offer's hash (32, [`Message::offer_hash`]), the time the receiver credited
//! the destination (8, nanoseconds).
//!
//! Refusal body: the offer's hash (32), the verdict (2, [`crate::Verdict`]), the receiving
//! engine's result code when the verdict is `refused_by_ledger` (2, else 0).
//!
//! Decoding refuses anything else: another magic, version or kind, a short or long message,
//! a zero id or amount, a scale above 6, a unit name that is empty, too long or not UTF-8, a
//! signer key that is not an Ed25519 public key (a point on the curve), a refusal's verdict
//! that is not a [`crate::Verdict`] number. It accepts any refusal's `ledger_code` as written.

use ledger_core::{AccountId, Amount, Decimal};
use serde::{Deserialize, Serialize};

use crate::hex;
use crate::id::{ExchangeId, PeerId};
use crate::signature::{PublicKey, Signer};
use crate::verdict::Verdict;

/// The first four bytes of every message.
pub const MESSAGE_MAGIC: [u8; 4] = *b"TBEX";
/// The version of the byte layout this ledger writes and reads.
pub const MESSAGE_VERSION: u8 = 1;
/// What every signature covers first, so a signature over a message can never be replayed as
/// a signature over anything else the same key signs (checkpoints, for instance).
pub const SIGNATURE_DOMAIN: &[u8] = b"timebank-ledger 2026-11 exchange message v1\0";
/// The blake3 derive-key context of [`Message::offer_hash`].
pub const OFFER_HASH_CONTEXT: &str = "timebank-ledger 2026-11 exchange offer hash v1";

/// The header's length: the body starts at this offset.
pub const HEADER_BYTES: usize = 110;
/// The signature's length: the last bytes of every message.
pub const SIGNATURE_BYTES: usize = 64;
/// The longest unit name a message carries (the engine's limit).
pub const UNIT_NAME_BYTES_MAX: usize = 32;
/// The largest scale an amount carries (the engine's limit).
pub const SCALE_MAX: u8 = 6;
/// Most parts an offer with state carries (the engine's limit for an arrival).
pub const PARTS_MAX: usize = 16;
/// The longest message: an offer with state, a 32-byte unit name, 16 parts and a move.
pub const MESSAGE_BYTES_MAX: usize = HEADER_BYTES
    + 1
    + UNIT_NAME_BYTES_MAX
    + 8
    + 1
    + 16
    + 16
    + 8
    + 1
    + PARTS_MAX * 16
    + 1
    + 16
    + SIGNATURE_BYTES;
const _: () = assert!(PARTS_MAX == ledger_core::ARRIVAL_LOTS_MAX);
const _: () = assert!(MESSAGE_BYTES_MAX <= u16::MAX as usize);

const _: () = assert!(UNIT_NAME_BYTES_MAX == ledger_core::limits::UNIT_NAME_BYTES_MAX);
const _: () = assert!(SCALE_MAX as u32 == ledger_core::limits::UNIT_SCALE_MAX);

const KIND_OFFER: u8 = 1;
const KIND_RECEIPT: u8 = 2;
const KIND_REFUSAL: u8 = 3;
const KIND_OFFER_WITH_STATE: u8 = 4;
const FLAG_MOVING: u8 = 1;

/// A record of the signer's journal: its sequence and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JournalRef {
    /// The record's sequence number in the signer's journal.
    pub sequence: u64,
    /// The record's hash (its link in the signer's hash chain).
    pub hash: [u8; 32],
}

/// What every message starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The ledger that signed the message.
    pub from: PeerId,
    /// The ledger the message is for.
    pub to: PeerId,
    /// The exchange the message belongs to.
    pub exchange: ExchangeId,
    /// A record of the signer's journal that holds the transfer the message speaks of, or a later one.
    pub journal: JournalRef,
    /// The signer's public key; the receiver checks it is the key registered for `from`.
    pub signer: PublicKey,
}

/// An amount as it crosses ledgers: minor units at a scale, so no ledger rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WireAmount {
    /// The amount in minor units (`2.50` at scale 2 is 250); never zero.
    pub minor: u64,
    /// Decimals of the amount, at most `SCALE_MAX`.
    pub scale: u8,
}

impl WireAmount {
    /// The amount `amount` written at `scale` (the sending unit's), or `None` when it does not
    /// fit that scale.
    pub fn new(amount: Amount, scale: u32) -> Option<WireAmount> {
        Some(WireAmount {
            minor: amount.to_minor(scale)?,
            scale: u8::try_from(scale).ok().filter(|s| *s <= SCALE_MAX)?,
        })
    }

    /// The amount as a decimal (exact).
    pub fn value(self) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(self.minor), u32::from(self.scale))
    }

    /// The amount in a unit of `scale`, or `None` when it has more decimals than that unit
    /// allows or is above the largest amount.
    pub fn in_scale(self, scale: u32) -> Option<Amount> {
        Amount::from_decimal_in(self.value(), scale).ok()
    }

    /// The text with exactly `scale` decimals (`2.50`), as the JSON form writes it.
    pub fn to_text(self) -> String {
        self.value().to_string()
    }

    /// Parses the JSON form's text: digits, and a `.` with 1 to 6 digits; the number of
    /// decimals is the scale.
    pub fn from_text(text: &str) -> Option<WireAmount> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
            return None;
        }
        let scale = u8::try_from(fraction.len())
            .ok()
            .filter(|s| *s <= SCALE_MAX)?;
        let minor: u64 = format!("{whole}{fraction}").parse().ok()?;
        (minor > 0).then_some(WireAmount { minor, scale })
    }
}

/// The sending ledger holds `amount` of `source` and asks the receiver to credit
/// `destination` with it before `deadline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The unit's name: units are matched across ledgers by name (`hours`, `points`).
    pub unit: String,
    /// How much.
    pub amount: WireAmount,
    /// The member whose hours the offering ledger holds.
    pub source: AccountId,
    /// The member, or the care provider paid directly, to credit on the receiving ledger.
    pub destination: AccountId,
    /// Nanoseconds since the Unix epoch; the receiver refuses the offer after it.
    pub deadline: u64,
    /// The state the rules need (kind 4), or `None` for a plain offer (kind 1).
    pub carried: Option<Carried>,
}

/// What an offer carries beside the hours: when each part expires at home, and for a member
/// who moves, the counters and dates the rules keep (receivers keep them: `ledger_core::arrival`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// 1 to [`PARTS_MAX`] parts in order of expiry, summing to the offer's amount.
    pub parts: Vec<Part>,
    /// A member who moves with their whole balance, or `None`.
    pub moving: Option<Moving>,
}

/// Part of an offer's hours and when it expires at the offering ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Nanoseconds since the Unix epoch; `u64::MAX` ([`ledger_core::NO_EXPIRY`]): never there.
    pub expires_at: u64,
    /// Minor units at the offer's scale; never zero.
    pub minor: u64,
}

/// The state of a member who moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moving {
    /// What the member earned at home in the unit, in all (minor units at the offer's scale).
    pub earned_lifetime_minor: u64,
    /// The member's eligibility date for care at home, if any (never 0).
    pub eligible_from: Option<u64>,
}

/// The receiver credited the destination: the sender posts its hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The offer answered ([`Message::offer_hash`]).
    pub offer_hash: [u8; 32],
    /// When the receiver credited the destination, in nanoseconds since the Unix epoch.
    pub credited_at: u64,
}

/// The receiver did not credit the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The offer answered ([`Message::offer_hash`]).
    pub offer_hash: [u8; 32],
    /// Why it was refused, and whether the refusal is final.
    pub verdict: Verdict,
    /// The engine's result code (`ledger_core::ResultCode` number) for `refused_by_ledger`.
    pub ledger_code: u16,
}

/// What a message says, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Kind 1: an offer to credit a member.
    Offer(Offer),
    /// Kind 2: the offer was credited.
    Receipt(Receipt),
    /// Kind 3: the offer was not credited.
    Refusal(Refusal),
}

/// A signed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who, to whom, which exchange, which journal record, which key.
    pub header: Header,
    /// The offer, receipt or refusal.
    pub body: Body,
    /// Ed25519 over `SIGNATURE_DOMAIN` and every byte before the signature.
    pub signature: [u8; 64],
}

/// Why bytes or JSON are not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes break the layout (the text says where).
    #[error("not an exchange message: {0}")]
    Malformed(&'static str),
    /// A version other than `MESSAGE_VERSION`.
    #[error("message version {0} is not supported (this ledger speaks {MESSAGE_VERSION})")]
    Version(u8),
    /// The JSON form is not a message (the text says why).
    #[error("not an exchange message in JSON: {0}")]
    Json(String),
}

impl DecodeError {
    /// The verdict a receiver reports for it.
    pub fn verdict(&self) -> Verdict {
        match self {
            DecodeError::Version(_) => Verdict::VersionUnsupported,
            _ => Verdict::Malformed,
        }
    }
}

impl Message {
    /// Signs `header` and `body` with `signer` (whose key must be `header.signer`).
    pub fn sign(header: Header, body: Body, signer: &Signer) -> Message {
        assert_eq!(
            header.signer,
            signer.public_key(),
            "the header names the signer's key"
        );
        let mut message = Message {
            header,
            body,
            signature: [0; 64],
        };
        message.signature = signer.sign(&message.signed_bytes());
        message
    }

    /// Whether the signature verifies with the key the header names (whether that key is the
    /// peer's is the caller's check: [`crate::Peers::authenticate`]).
    pub fn signature_valid(&self) -> bool {
        self.header
            .signer
            .verify(&self.signed_bytes(), &self.signature)
    }

    /// The kind as the JSON form names it: `offer`, `receipt` or `refusal`.
    pub fn kind_name(&self) -> &'static str {
        match &self.body {
            Body::Offer(o) if o.carried.is_some() => "offer_with_state",
            Body::Offer(_) => "offer",
            Body::Receipt(_) => "receipt",
            Body::Refusal(_) => "refusal",
        }
    }

    /// The hash that names an offer in its answers: blake3 (derive-key mode,
    /// [`OFFER_HASH_CONTEXT`]) of the offer's bytes, signature included.
    pub fn offer_hash(&self) -> [u8; 32] {
        *blake3::Hasher::new_derive_key(OFFER_HASH_CONTEXT)
            .update(&self.to_bytes())
            .finalize()
            .as_bytes()
    }

    /// What the signature covers: the domain, then the bytes before the signature.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut bytes = SIGNATURE_DOMAIN.to_vec();
        bytes.extend_from_slice(&self.unsigned_bytes());
        bytes
    }

    fn unsigned_bytes(&self) -> Vec<u8> {
        let h = &self.header;
        let mut b = Vec::with_capacity(MESSAGE_BYTES_MAX);
        b.extend_from_slice(&MESSAGE_MAGIC);
        b.push(MESSAGE_VERSION);
        b.push(match &self.body {
            Body::Offer(o) if o.carried.is_some() => KIND_OFFER_WITH_STATE,
            Body::Offer(_) => KIND_OFFER,
            Body::Receipt(_) => KIND_RECEIPT,
            Body::Refusal(_) => KIND_REFUSAL,
        });
        b.extend_from_slice(&h.from.get().to_le_bytes());
        b.extend_from_slice(&h.to.get().to_le_bytes());
        b.extend_from_slice(&h.exchange.origin.get().to_le_bytes());
        b.extend_from_slice(&h.exchange.number.to_le_bytes());
        b.extend_from_slice(&h.journal.sequence.to_le_bytes());
        b.extend_from_slice(&h.journal.hash);
        b.extend_from_slice(h.signer.as_bytes());
        debug_assert_eq!(b.len(), HEADER_BYTES);
        match &self.body {
            Body::Offer(o) => {
                // Invariant: offers are built from a unit of the ledger, whose name the engine
                // bounds to 1..=32 bytes.
                let name_len = u8::try_from(o.unit.len()).expect("unit names are short");
                b.push(name_len);
                b.extend_from_slice(o.unit.as_bytes());
                b.extend_from_slice(&o.amount.minor.to_le_bytes());
                b.push(o.amount.scale);
                b.extend_from_slice(&o.source.get().to_le_bytes());
                b.extend_from_slice(&o.destination.get().to_le_bytes());
                b.extend_from_slice(&o.deadline.to_le_bytes());
                if let Some(c) = &o.carried {
                    // Invariant: built with at most PARTS_MAX parts (sender, decoders).
                    b.push(u8::try_from(c.parts.len()).expect("at most 16 parts"));
                    for part in &c.parts {
                        b.extend_from_slice(&part.expires_at.to_le_bytes());
                        b.extend_from_slice(&part.minor.to_le_bytes());
                    }
                    match c.moving {
                        None => b.push(0),
                        Some(m) => {
                            b.push(FLAG_MOVING);
                            b.extend_from_slice(&m.earned_lifetime_minor.to_le_bytes());
                            b.extend_from_slice(&m.eligible_from.unwrap_or(0).to_le_bytes());
                        }
                    }
                }
            }
            Body::Receipt(r) => {
                b.extend_from_slice(&r.offer_hash);
                b.extend_from_slice(&r.credited_at.to_le_bytes());
            }
            Body::Refusal(r) => {
                b.extend_from_slice(&r.offer_hash);
                b.extend_from_slice(&(r.verdict as u16).to_le_bytes());
                b.extend_from_slice(&r.ledger_code.to_le_bytes());
            }
        }
        b
    }

    /// The message as canonical bytes (what travels and what is signed).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.unsigned_bytes();
        bytes.extend_from_slice(&self.signature);
        bytes
    }

    /// Decodes canonical bytes. Checks the form only: authenticate with
    /// [`crate::Peers::authenticate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Message, DecodeError> {
        if bytes.len() > MESSAGE_BYTES_MAX {
            return Err(DecodeError::Malformed("longer than any message"));
        }
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MESSAGE_MAGIC {
            return Err(DecodeError::Malformed("no TBEX magic"));
        }
        let version = r.u8()?;
        if version != MESSAGE_VERSION {
            return Err(DecodeError::Version(version));
        }
        let kind = r.u8()?;
        let header = Header {
            from: r.peer()?,
            to: r.peer()?,
            exchange: ExchangeId {
                origin: r.peer()?,
                number: r.u64()?,
            },
            journal: JournalRef {
                sequence: r.u64()?,
                hash: r.array()?,
            },
            signer: PublicKey::from_bytes(&r.array()?).ok_or(DecodeError::Malformed(
                "the signer key is not an Ed25519 key",
            ))?,
        };
        let body = match kind {
            KIND_OFFER => Body::Offer(read_offer(&mut r)?),
            KIND_OFFER_WITH_STATE => {
                let mut offer = read_offer(&mut r)?;
                offer.carried = Some(read_carried(&mut r, offer.amount.minor)?);
                Body::Offer(offer)
            }
            KIND_RECEIPT => Body::Receipt(Receipt {
                offer_hash: r.array()?,
                credited_at: r.u64()?,
            }),
            KIND_REFUSAL => {
                let offer_hash = r.array()?;
                let verdict =
                    Verdict::from_u16(r.u16()?).ok_or(DecodeError::Malformed("unknown verdict"))?;
                Body::Refusal(Refusal {
                    offer_hash,
                    verdict,
                    ledger_code: r.u16()?,
                })
            }
            _ => return Err(DecodeError::Malformed("unknown kind")),
        };
        let signature = r.array()?;
        if r.at != bytes.len() {
            return Err(DecodeError::Malformed("bytes after the signature"));
        }
        Ok(Message {
            header,
            body,
            signature,
        })
    }

    /// The JSON form (one object; ids and times as decimal strings, since JSON numbers lose
    /// precision above 2^53; keys, hashes and the signature in hex).
    pub fn to_json(&self) -> String {
        // Invariant: the JSON mirror is plain strings and numbers.
        serde_json::to_string_pretty(&JsonMessage::from(self)).expect("JSON of plain fields")
    }

    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<Message, DecodeError> {
        let json: JsonMessage =
            serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string()))?;
        json.into_message()
    }

    /// Decodes either form: JSON when the first non-blank byte is `{`, else bytes.
    pub fn decode(input: &[u8]) -> Result<Message, DecodeError> {
        match input.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => {
                let text = std::str::from_utf8(input)
                    .map_err(|_| DecodeError::Json("not UTF-8".into()))?;
                Message::from_json(text)
            }
            _ => Message::from_bytes(input),
        }
    }
}

fn read_offer(r: &mut Reader<'_>) -> Result<Offer, DecodeError> {
    let name_len = usize::from(r.u8()?);
    if name_len == 0 || name_len > UNIT_NAME_BYTES_MAX {
        return Err(DecodeError::Malformed(
            "unit name of 0 or more than 32 bytes",
        ));
    }
    let unit = std::str::from_utf8(r.take(name_len)?)
        .map_err(|_| DecodeError::Malformed("unit name not UTF-8"))?
        .to_owned();
    let minor = r.u64()?;
    let scale = r.u8()?;
    if minor == 0 || scale > SCALE_MAX {
        return Err(DecodeError::Malformed("amount zero or scale above 6"));
    }
    Ok(Offer {
        unit,
        amount: WireAmount { minor, scale },
        source: r.account()?,
        destination: r.account()?,
        deadline: r.u64()?,
        carried: None,
    })
}

fn read_carried(r: &mut Reader<'_>, amount_minor: u64) -> Result<Carried, DecodeError> {
    let count = usize::from(r.u8()?);
    if count == 0 || count > PARTS_MAX {
        return Err(DecodeError::Malformed("0 or more than 16 parts"));
    }
    let mut parts = Vec::with_capacity(count);
    for _ in 0..count {
        parts.push(Part {
            expires_at: r.u64()?,
            minor: r.u64()?,
        });
    }
    let moving = match r.u8()? {
        0 => None,
        FLAG_MOVING => Some(Moving {
            earned_lifetime_minor: r.u64()?,
            eligible_from: Some(r.u64()?).filter(|at| *at != 0),
        }),
        _ => return Err(DecodeError::Malformed("undefined flags")),
    };
    let carried = Carried { parts, moving };
    carried
        .check(amount_minor)
        .map_err(DecodeError::Malformed)?;
    Ok(carried)
}

impl Carried {
    /// Whether the parts are 1 to 16, none zero, in order of expiry, summing to `amount_minor`.
    pub fn check(&self, amount_minor: u64) -> Result<(), &'static str> {
        if self.parts.is_empty() || self.parts.len() > PARTS_MAX {
            return Err("0 or more than 16 parts");
        }
        if self.parts.iter().any(|p| p.minor == 0) {
            return Err("a part of zero");
        }
        if self
            .parts
            .windows(2)
            .any(|w| w[0].expires_at > w[1].expires_at)
        {
            return Err("parts out of order of expiry");
        }
        let sum = self
            .parts
            .iter()
            .try_fold(0u64, |sum, p| sum.checked_add(p.minor));
        if sum != Some(amount_minor) {
            return Err("parts that do not sum to the amount");
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or(DecodeError::Malformed("shorter than its fields"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn peer(&mut self) -> Result<PeerId, DecodeError> {
        PeerId::new(self.u64()?).ok_or(DecodeError::Malformed("a ledger id of zero"))
    }

    fn account(&mut self) -> Result<AccountId, DecodeError> {
        AccountId::new(u128::from_le_bytes(self.array()?))
            .ok_or(DecodeError::Malformed("an account id of zero"))
    }
}

/// A part in the JSON form: its expiry at home and its amount at the offer's scale.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPart {
    expires_at: String,
    amount: String,
}

/// `minor` at `scale` as text with exactly `scale` decimals (zero too: `0.00`).
fn minor_text(minor: u64, scale: u8) -> String {
    Decimal::from_i128_with_scale(i128::from(minor), u32::from(scale)).to_string()
}

/// The minor units of text with exactly `scale` decimals (the form [`minor_text`] writes).
fn minor_of_text(text: &str, scale: u8) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some(split) => split,
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let form_ok = !whole.is_empty()
        && digits(whole)
        && digits(fraction)
        && fraction.len() == usize::from(scale)
        && (scale > 0) == text.contains('.');
    form_ok
        .then(|| format!("{whole}{fraction}").parse().ok())
        .flatten()
}

/// The JSON form's fields.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMessage {
    version: u8,
    kind: String,
    from: String,
    to: String,
    exchange_origin: String,
    exchange_number: String,
    journal_sequence: String,
    journal_hash: String,
    signer_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parts: Option<Vec<JsonPart>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    moving: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    earned_lifetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eligible_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offer_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ledger_code: Option<u16>,
    signature: String,
}

impl From<&Message> for JsonMessage {
    fn from(m: &Message) -> JsonMessage {
        let h = &m.header;
        let mut json = JsonMessage {
            version: MESSAGE_VERSION,
            kind: m.kind_name().to_owned(),
            from: h.from.to_string(),
            to: h.to.to_string(),
            exchange_origin: h.exchange.origin.to_string(),
            exchange_number: h.exchange.number.to_string(),
            journal_sequence: h.journal.sequence.to_string(),
            journal_hash: hex::encode(&h.journal.hash),
            signer_key: hex::encode(h.signer.as_bytes()),
            unit: None,
            amount: None,
            source: None,
            destination: None,
            deadline: None,
            parts: None,
            moving: None,
            earned_lifetime: None,
            eligible_from: None,
            offer_hash: None,
            credited_at: None,
            verdict: None,
            ledger_code: None,
            signature: hex::encode(&m.signature),
        };
        match &m.body {
            Body::Offer(o) => {
                json.unit = Some(o.unit.clone());
                json.amount = Some(o.amount.to_text());
                json.source = Some(o.source.to_string());
                json.destination = Some(o.destination.to_string());
                json.deadline = Some(o.deadline.to_string());
                if let Some(c) = &o.carried {
                    let part = |p: &Part| JsonPart {
                        expires_at: p.expires_at.to_string(),
                        amount: minor_text(p.minor, o.amount.scale),
                    };
                    json.parts = Some(c.parts.iter().map(part).collect());
                    if let Some(m) = c.moving {
                        json.moving = Some(true);
                        json.earned_lifetime =
                            Some(minor_text(m.earned_lifetime_minor, o.amount.scale));
                        json.eligible_from = m.eligible_from.map(|at| at.to_string());
                    }
                }
            }
            Body::Receipt(r) => {
                json.offer_hash = Some(hex::encode(&r.offer_hash));
                json.credited_at = Some(r.credited_at.to_string());
            }
            Body::Refusal(r) => {
                json.offer_hash = Some(hex::encode(&r.offer_hash));
                json.verdict = Some(r.verdict.name().to_owned());
                json.ledger_code = Some(r.ledger_code);
            }
        }
        json
    }
}

fn field<T: std::str::FromStr>(value: Option<&str>, name: &'static str) -> Result<T, DecodeError> {
    value
        .and_then(|v| {
            // Decimal digits only: no sign, no spaces, no leading `+`.
            (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| v.parse().ok())
                .flatten()
        })
        .ok_or(DecodeError::Json(format!(
            "{name}: missing or not a decimal number"
        )))
}

fn hex_field<const N: usize>(
    value: Option<&str>,
    name: &'static str,
) -> Result<[u8; N], DecodeError> {
    value
        .and_then(hex::decode::<N>)
        .ok_or(DecodeError::Json(format!(
            "{name}: missing or not {} hex digits",
            2 * N
        )))
}

impl JsonMessage {
    /// The state of an `offer_with_state` whose amount is `amount`.
    fn carried(&self, amount: WireAmount) -> Result<Carried, DecodeError> {
        let json = |why: &str| DecodeError::Json(why.to_owned());
        let minor = |text: &str, name: &str| {
            minor_of_text(text, amount.scale).ok_or_else(|| {
                json(&format!(
                    "{name}: not a decimal with the amount's {} places",
                    amount.scale
                ))
            })
        };
        let parts = self
            .parts
            .as_ref()
            .ok_or_else(|| json("parts: missing"))?
            .iter()
            .map(|p| {
                Ok(Part {
                    expires_at: field(Some(&p.expires_at), "parts.expires_at")?,
                    minor: minor(&p.amount, "parts.amount")?,
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        let moving =
            match (self.moving, &self.earned_lifetime) {
                (None, None) if self.eligible_from.is_none() => None,
                (Some(true), Some(earned)) => Some(Moving {
                    earned_lifetime_minor: minor(earned, "earned_lifetime")?,
                    eligible_from: match self.eligible_from.as_deref() {
                        None => None,
                        Some(at) => Some(field(Some(at), "eligible_from")?)
                            .filter(|at: &u64| *at != 0)
                            .map(Some)
                            .ok_or_else(|| json("eligible_from: zero (leave it out for none)"))?,
                    },
                }),
                _ => return Err(json(
                    "moving: true with earned_lifetime (and eligible_from if any), or none of them",
                )),
            };
        let carried = Carried { parts, moving };
        carried
            .check(amount.minor)
            .map_err(|why| json(&format!("parts: {why}")))?;
        Ok(carried)
    }

    fn into_message(self) -> Result<Message, DecodeError> {
        if self.version != MESSAGE_VERSION {
            return Err(DecodeError::Version(self.version));
        }
        let peer = |v: &str, name| {
            PeerId::new(field(Some(v), name)?).ok_or(DecodeError::Json(format!("{name}: zero")))
        };
        let account = |v: Option<&str>, name| {
            AccountId::new(field(v, name)?).ok_or(DecodeError::Json(format!("{name}: zero")))
        };
        let header = Header {
            from: peer(&self.from, "from")?,
            to: peer(&self.to, "to")?,
            exchange: ExchangeId {
                origin: peer(&self.exchange_origin, "exchange_origin")?,
                number: field(Some(&self.exchange_number), "exchange_number")?,
            },
            journal: JournalRef {
                sequence: field(Some(&self.journal_sequence), "journal_sequence")?,
                hash: hex_field(Some(&self.journal_hash), "journal_hash")?,
            },
            signer: PublicKey::from_bytes(&hex_field(Some(&self.signer_key), "signer_key")?)
                .ok_or(DecodeError::Json("signer_key: not an Ed25519 key".into()))?,
        };
        let offer_fields = [&self.unit, &self.amount, &self.source, &self.destination];
        let has_state_fields = self.parts.is_some()
            || self.moving.is_some()
            || self.earned_lifetime.is_some()
            || self.eligible_from.is_some();
        let has_offer_fields =
            offer_fields.iter().any(|f| f.is_some()) || self.deadline.is_some() || has_state_fields;
        let has_answer_fields = self.offer_hash.is_some() || self.credited_at.is_some();
        let has_refusal_fields = self.verdict.is_some() || self.ledger_code.is_some();
        let with_state = self.kind == "offer_with_state";
        let body = match self.kind.as_str() {
            "offer" | "offer_with_state"
                if !has_answer_fields
                    && !has_refusal_fields
                    && (with_state || !has_state_fields) =>
            {
                let unit = self.unit.clone().unwrap_or_default();
                if unit.is_empty() || unit.len() > UNIT_NAME_BYTES_MAX {
                    return Err(DecodeError::Json("unit: missing, empty or too long".into()));
                }
                let amount = self.amount.as_deref().and_then(WireAmount::from_text);
                let amount = amount.ok_or(DecodeError::Json(
                    "amount: missing, zero or not a decimal with at most 6 places".into(),
                ))?;
                let carried = with_state.then(|| self.carried(amount)).transpose()?;
                Body::Offer(Offer {
                    unit,
                    amount,
                    source: account(self.source.as_deref(), "source")?,
                    destination: account(self.destination.as_deref(), "destination")?,
                    deadline: field(self.deadline.as_deref(), "deadline")?,
                    carried,
                })
            }
            "receipt" if !has_offer_fields && !has_refusal_fields => Body::Receipt(Receipt {
                offer_hash: hex_field(self.offer_hash.as_deref(), "offer_hash")?,
                credited_at: field(self.credited_at.as_deref(), "credited_at")?,
            }),
            "refusal" if !has_offer_fields && self.credited_at.is_none() => {
                let verdict = self
                    .verdict
                    .as_deref()
                    .and_then(|name| Verdict::ALL.iter().copied().find(|v| v.name() == name));
                Body::Refusal(Refusal {
                    offer_hash: hex_field(self.offer_hash.as_deref(), "offer_hash")?,
                    verdict: verdict
                        .ok_or(DecodeError::Json("verdict: missing or unknown".into()))?,
                    ledger_code: self.ledger_code.unwrap_or(0),
                })
            }
            _ => return Err(DecodeError::Json(
                "kind: not offer, offer_with_state, receipt or refusal, or fields of another kind"
                    .into(),
            )),
        };
        Ok(Message {
            header,
            body,
            signature: hex_field(Some(&self.signature), "signature")?,
        })
    }
}
