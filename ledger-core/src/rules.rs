//! The hook through which the time-bank rules see every transfer before and after it applies.
//!
//! The engine calls [`Rules::check`] once all accounting checks but the limits have passed, and
//! [`Rules::record`] as the transfer applies (the returned undo puts the rules' state back if the
//! transfer's linked chain fails). With no policy, every transfer the accounting allows is allowed.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::Account;
use crate::amount::Amount;
use crate::id::{AccountId, IdMap, TransferId};
use crate::limits::LINKS_PER_ACCOUNT_MAX;
use crate::result::ResultCode;
use crate::transfer::{Transfer, TransferFlags, TransferRecord};

/// Which way a transfer moves value, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Movement {
    /// A plain transfer: posted now.
    Posted,
    /// A hold: pending until posted or voided.
    Held,
    /// The post of a hold: posted now.
    PostOfHold { pending_id: TransferId },
    /// A reversal of a posted transfer.
    Reversal { original_id: TransferId },
}

/// What the rules are told about one transfer.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // Read by the time-bank policy checks.
pub(crate) struct RuleContext<'a> {
    pub movement: Movement,
    pub transfer_id: TransferId,
    pub code: u16,
    pub debit: &'a Account,
    pub credit: &'a Account,
    pub amount: Amount,
    pub timestamp: u64,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        amount: Amount,
        timestamp: u64,
    ) -> Self {
        let movement = if t.flags.contains(TransferFlags::PENDING) {
            Movement::Held
        } else {
            Movement::Posted
        };
        RuleContext {
            movement,
            transfer_id: t.id,
            code: t.code,
            debit,
            credit,
            amount,
            timestamp,
        }
    }

    pub fn posting(
        pending: &TransferRecord,
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        amount: Amount,
        timestamp: u64,
    ) -> Self {
        RuleContext {
            movement: Movement::PostOfHold {
                pending_id: pending.id(),
            },
            transfer_id: t.id,
            code: pending.code,
            debit,
            credit,
            amount,
            timestamp,
        }
    }

    pub fn reversing(
        original: &TransferRecord,
        t: &Transfer,
        debit: &'a Account,
        credit: &'a Account,
        timestamp: u64,
    ) -> Self {
        RuleContext {
            movement: Movement::Reversal {
                original_id: original.id(),
            },
            transfer_id: t.id,
            code: original.code,
            debit,
            credit,
            amount: original.amount,
            timestamp,
        }
    }
}

/// The rules' own state, and what undoes one recorded transfer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    /// Family links, each stored once as (smaller id, larger id).
    links: BTreeSet<(AccountId, AccountId)>,
    links_per_account: IdMap<AccountId, usize>,
    ratings: BTreeMap<TransferId, u8>,
}

/// Puts the rules' state back as it was before one [`Rules::record`].
#[derive(Debug, Clone)]
pub(crate) struct RulesUndo {}

impl Rules {
    pub fn check(
        &self,
        _context: &RuleContext<'_>,
        _accounts: &IdMap<AccountId, Account>,
    ) -> Result<(), ResultCode> {
        Ok(())
    }

    pub fn record(&mut self, _context: &RuleContext<'_>) -> RulesUndo {
        RulesUndo {}
    }

    pub fn undo(&mut self, _undo: RulesUndo) {}

    pub fn link(&mut self, a: AccountId, b: AccountId) -> Result<(), ResultCode> {
        let key = (a.min(b), a.max(b));
        if self.links.contains(&key) {
            return Err(ResultCode::Exists);
        }
        let count = |id| self.links_per_account.get(&id).copied().unwrap_or(0);
        if count(a) >= LINKS_PER_ACCOUNT_MAX || count(b) >= LINKS_PER_ACCOUNT_MAX {
            return Err(ResultCode::TooManyLinks);
        }
        self.links.insert(key);
        *self.links_per_account.entry(a).or_default() += 1;
        *self.links_per_account.entry(b).or_default() += 1;
        Ok(())
    }

    pub fn unlink(&mut self, a: AccountId, b: AccountId) -> Result<(), ResultCode> {
        if !self.links.remove(&(a.min(b), a.max(b))) {
            return Err(ResultCode::LinkNotFound);
        }
        for id in [a, b] {
            if let Some(n) = self.links_per_account.get_mut(&id) {
                *n -= 1;
            }
        }
        Ok(())
    }

    #[allow(dead_code)]
    pub fn linked(&self, a: AccountId, b: AccountId) -> bool {
        self.links.contains(&(a.min(b), a.max(b)))
    }

    pub fn rate(&mut self, transfer: TransferId, rating: u8) -> Result<(), ResultCode> {
        if self.ratings.contains_key(&transfer) {
            return Err(ResultCode::AlreadyRated);
        }
        self.ratings.insert(transfer, rating);
        Ok(())
    }

    #[allow(dead_code)]
    pub fn rating(&self, transfer: TransferId) -> Option<u8> {
        self.ratings.get(&transfer).copied()
    }

    /// Feeds the rules' state into the ledger's state digest.
    pub fn digest(&self, h: &mut blake3::Hasher) {
        h.update(&(self.links.len() as u64).to_le_bytes());
        for (a, b) in &self.links {
            h.update(&a.get().to_le_bytes());
            h.update(&b.get().to_le_bytes());
        }
        h.update(&(self.ratings.len() as u64).to_le_bytes());
        for (t, r) in &self.ratings {
            h.update(&t.get().to_le_bytes());
            h.update(&[*r]);
        }
    }
}
