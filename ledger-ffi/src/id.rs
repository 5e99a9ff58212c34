//! 128-bit ids at the boundary: two 64-bit halves, so every language can build one.

use ledger_core::{AccountId, TransferId};

use crate::status::Error;

/// A 128-bit id (account, transfer, or the host's `user_data`): `lo` is the low 64 bits, `hi`
/// the high 64 bits. Zero (both halves zero) is never an account or transfer id.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct timebank_id {
    /// The low 64 bits.
    pub lo: u64,
    /// The high 64 bits.
    pub hi: u64,
}

impl timebank_id {
    /// The id as one 128-bit number (`hi << 64 | lo`).
    pub fn get(self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }

    /// The id with these 128 bits.
    pub fn from_u128(value: u128) -> timebank_id {
        timebank_id {
            lo: value as u64,
            hi: (value >> 64) as u64,
        }
    }

    /// The account id, refusing zero.
    pub fn account(self, argument: &str) -> Result<AccountId, Error> {
        AccountId::new(self.get())
            .ok_or_else(|| Error::invalid(format!("{argument}: an account id must not be zero")))
    }

    /// The transfer id, refusing zero.
    pub fn transfer(self, argument: &str) -> Result<TransferId, Error> {
        TransferId::new(self.get())
            .ok_or_else(|| Error::invalid(format!("{argument}: a transfer id must not be zero")))
    }

    /// The account id, or `None` for zero (an optional field of a batch struct).
    pub fn optional_account(self) -> Option<AccountId> {
        AccountId::new(self.get())
    }

    /// The transfer id, or `None` for zero.
    pub fn optional_transfer(self) -> Option<TransferId> {
        TransferId::new(self.get())
    }
}

impl From<AccountId> for timebank_id {
    fn from(id: AccountId) -> Self {
        timebank_id::from_u128(id.get())
    }
}

impl From<TransferId> for timebank_id {
    fn from(id: TransferId) -> Self {
        timebank_id::from_u128(id.get())
    }
}

// The layouts are part of the ABI: the Python and Java packages mirror them byte for byte.
const _: () = assert!(std::mem::size_of::<timebank_id>() == 16);
