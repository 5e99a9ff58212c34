//! Identifiers: ledgers in a federation ([`PeerId`]), exchanges ([`ExchangeId`]), and the
//! account and transfer ids both ledgers derive from them.
//!
//! Every transfer an exchange makes has an id derived from the exchange, so a message that
//! arrives twice, late or out of order names a transfer that already exists: the engine answers
//! `exists` and nothing is credited twice. Derived ids are 128 bits of a keyed blake3 hash
//! (derive-key mode, context [`ID_CONTEXT`]) of a one-byte tag and the fields, little-endian,
//! with the top bit cleared (the engine reserves it for its own sweeps) and never zero.

use std::fmt;
use std::num::NonZeroU64;

use ledger_core::{AccountId, TransferId, UnitId};
use serde::{Deserialize, Serialize};

/// The blake3 derive-key context of every id this crate derives.
pub const ID_CONTEXT: &str = "timebank-ledger 2026-11 exchange ids v1";

/// Tags of the derived ids (the first byte hashed).
const TAG_CLEARING_ACCOUNT: u8 = 1;
const TAG_HOLD: u8 = 2;
const TAG_POST: u8 = 3;
const TAG_VOID: u8 = 4;
const TAG_CREDIT: u8 = 5;
const TAG_KEY_FINGERPRINT: u8 = 6;

/// A ledger of the federation: a non-zero number every member of the federation agrees on,
/// for example the six-digit administrative division code of the district or city it serves.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct PeerId(NonZeroU64);

impl PeerId {
    /// The id `value`, or `None` for zero.
    pub const fn new(value: u64) -> Option<PeerId> {
        match NonZeroU64::new(value) {
            Some(v) => Some(PeerId(v)),
            None => None,
        }
    }

    /// The id as a number (never zero).
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl TryFrom<u64> for PeerId {
    type Error = ledger_core::ZeroId;
    fn try_from(value: u64) -> Result<PeerId, ledger_core::ZeroId> {
        PeerId::new(value).ok_or(ledger_core::ZeroId)
    }
}

impl From<PeerId> for u64 {
    fn from(id: PeerId) -> u64 {
        id.get()
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({})", self.get())
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// One exchange: the ledger that offers it (`origin`) and a number that ledger never reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExchangeId {
    /// The ledger that offered the exchange.
    pub origin: PeerId,
    /// The offering ledger's number for it, unique among that ledger's exchanges.
    pub number: u64,
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.origin, self.number)
    }
}

impl ExchangeId {
    /// The sender's hold: the member's hours, pending, against the clearing account.
    pub fn hold_transfer(self) -> TransferId {
        self.derived_transfer(TAG_HOLD)
    }

    /// The sender's post of the hold, made on the receipt.
    pub fn post_transfer(self) -> TransferId {
        self.derived_transfer(TAG_POST)
    }

    /// The sender's void of the hold, made on a final refusal (or when the offer never left).
    pub fn void_transfer(self) -> TransferId {
        self.derived_transfer(TAG_VOID)
    }

    /// The receiver's credit: from its clearing account for the origin to the destination.
    pub fn credit_transfer(self) -> TransferId {
        self.derived_transfer(TAG_CREDIT)
    }

    fn derived_transfer(self, tag: u8) -> TransferId {
        let mut fields = [0u8; 16];
        fields[..8].copy_from_slice(&self.origin.get().to_le_bytes());
        fields[8..].copy_from_slice(&self.number.to_le_bytes());
        // Invariant: `derive` never returns zero.
        TransferId::new(derive(tag, &fields)).expect("derived ids are not zero")
    }
}

/// The clearing account a ledger keeps for `peer` in its own `unit`: hours leaving for the peer
/// are held against it, hours arriving from the peer come from it.
pub fn clearing_account(peer: PeerId, unit: UnitId) -> AccountId {
    let mut fields = [0u8; 10];
    fields[..8].copy_from_slice(&peer.get().to_le_bytes());
    fields[8..].copy_from_slice(&unit.to_le_bytes());
    // Invariant: `derive` never returns zero.
    AccountId::new(derive(TAG_CLEARING_ACCOUNT, &fields)).expect("derived ids are not zero")
}

/// 128 bits that name a peer's public key: the `user_data` of its clearing accounts, so the
/// journal binds each peer to its key.
pub fn key_fingerprint(key: &[u8; 32]) -> u128 {
    derive(TAG_KEY_FINGERPRINT, key)
}

fn derive(tag: u8, fields: &[u8]) -> u128 {
    let mut hasher = blake3::Hasher::new_derive_key(ID_CONTEXT);
    hasher.update(&[tag]);
    hasher.update(fields);
    let mut first = [0u8; 16];
    first.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    let id = u128::from_le_bytes(first) & !ledger_core::SWEEP_TRANSFER_ID_BIT;
    // A zero after masking has probability 2^-127; 1 keeps the id valid and is as unlikely.
    id.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_differ_by_role_and_exchange_and_keep_the_top_bit_clear() {
        let a = ExchangeId {
            origin: PeerId::new(310101).unwrap(),
            number: 1,
        };
        let b = ExchangeId { number: 2, ..a };
        let ids = [
            a.hold_transfer(),
            a.post_transfer(),
            a.void_transfer(),
            a.credit_transfer(),
            b.hold_transfer(),
        ];
        for (i, x) in ids.iter().enumerate() {
            assert_eq!(x.get() & ledger_core::SWEEP_TRANSFER_ID_BIT, 0);
            for y in &ids[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_eq!(a.hold_transfer(), a.hold_transfer());
        let peer = PeerId::new(2).unwrap();
        assert_ne!(clearing_account(peer, 1), clearing_account(peer, 2));
    }
}
