//! Identifiers chosen by the host. Zero is never an id, so a zeroed field in a C struct or a
//! journal record cannot be mistaken for a real account or transfer.

use std::fmt;
use std::num::NonZeroU128;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u128", into = "u128")]
        pub struct $name(NonZeroU128);

        impl $name {
            /// The id for `value`, or `None` when it is zero.
            pub const fn new(value: u128) -> Option<Self> {
                match NonZeroU128::new(value) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The id as a number (never zero).
            pub const fn get(self) -> u128 {
                self.0.get()
            }
        }

        impl TryFrom<u128> for $name {
            type Error = ZeroId;
            fn try_from(value: u128) -> Result<Self, ZeroId> {
                Self::new(value).ok_or(ZeroId)
            }
        }

        impl From<$name> for u128 {
            fn from(id: $name) -> u128 {
                id.get()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.get())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.get())
            }
        }
    };
}

id_type!(
    /// An account's id: a non-zero 128-bit number the host chooses (for example a UUID).
    AccountId
);
id_type!(
    /// A transfer's id: a non-zero 128-bit number the host chooses. It is the idempotency key:
    /// the ledger applies a transfer id at most once.
    TransferId
);

/// The error for an id of zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an id must not be zero")]
pub struct ZeroId;

/// A fast, deterministic hasher for ids. Ids are chosen by the host (a trusted caller), so the
/// DoS resistance of SipHash buys nothing here and costs a third of the apply path.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        // One round of a multiply-xorshift mix (the finalizer of SplitMix64).
        let mut x = (self.0 ^ value).wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = x ^ (x >> 31);
    }

    /// Every id is one `u128`: one folded multiply of its two halves (as foldhash does) mixes
    /// all 128 bits into the high and low bits the table uses, at a third of the cost of two
    /// rounds of the mix above. The multiplier is made odd, so that ids differing in their low
    /// half alone (counters) give distinct products.
    fn write_u128(&mut self, value: u128) {
        let low = (value as u64) ^ self.0 ^ 0x243F_6A88_85A3_08D3;
        let high = ((value >> 64) as u64) ^ 0x1319_8A2E_0370_7344;
        let product = u128::from(low) * u128::from(high | 1);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

/// A hash map keyed by ids.
pub(crate) type IdMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;
