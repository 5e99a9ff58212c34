//! The transfer history chain: one hash that commits to every transfer the ledger applied, in
//! order, kept up to date as transfers apply, so that the state digest (docs/FORMAT.md §5.2)
//! costs the same however long the history grows.
//!
//! The transfers are taken in chunks of [`HISTORY_CHUNK_TRANSFERS`], oldest first. Each full
//! chunk is hashed once, with the chain before it:
//!
//! ```text
//! chain(0) = 32 zero bytes
//! chain(k) = BLAKE3-derive_key(HISTORY_CONTEXT, chain(k-1) ‖ history bytes of chunk k's transfers)
//! ```
//!
//! A transfer's history bytes never change once it applied: they hold the request and what the
//! ledger decided then, not the state it is in now. What changes later is seen elsewhere: a post,
//! a void and a reversal are transfers of their own that name the one they change, and the state
//! digest lists the transfers still pending (so an expired hold is one neither pending nor
//! posted or voided).

use std::collections::BTreeMap;

use crate::transfer::{TransferFlags, TransferRecord, TransferState};
use crate::unit::{Unit, UnitId};
use crate::TransferId;

/// The blake3 key-derivation context of a chunk's hash (domain separation from every other hash).
pub const HISTORY_CONTEXT: &str = "timebank-ledger 2026-11 transfer history v1";

/// Transfers per chunk of the chain: large enough that blake3 hashes a chunk's bytes several
/// 1 KiB pieces at a time, small enough that the transfers after the last full chunk, which the
/// state digest hashes itself, cost little.
pub const HISTORY_CHUNK_TRANSFERS: usize = 4096;

/// How far the chain has been built: the hash over the first `chained` transfers (a multiple of
/// [`HISTORY_CHUNK_TRANSFERS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct History {
    pub chain: [u8; 32],
    pub chained: usize,
}

impl History {
    /// Hashes each full chunk of `records` (every transfer of the ledger, oldest first) that is
    /// not in the chain yet. Between two full chunks it does nothing.
    pub fn absorb(&mut self, records: &[TransferRecord], units: &BTreeMap<UnitId, Unit>) {
        let mut bytes = Vec::new();
        while records.len() - self.chained >= HISTORY_CHUNK_TRANSFERS {
            let chunk = &records[self.chained..self.chained + HISTORY_CHUNK_TRANSFERS];
            bytes.clear();
            bytes.reserve(chunk.len() * TRANSFER_HISTORY_BYTES_MAX);
            for t in chunk {
                write_transfer(&mut bytes, t, scale_of(units, t));
            }
            self.chain = chunk_hash(&self.chain, &bytes);
            self.chained += HISTORY_CHUNK_TRANSFERS;
        }
    }
}

/// The chain after a chunk whose transfers' history bytes are `bytes`.
fn chunk_hash(chain: &[u8; 32], bytes: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(HISTORY_CONTEXT);
    hasher.update(chain);
    hasher.update(bytes);
    *hasher.finalize().as_bytes()
}

/// The most history bytes one transfer takes.
const TRANSFER_HISTORY_BYTES_MAX: usize =
    16 * 3 + 21 + 16 + 2 * 3 + 4 + 16 + 9 + 16 * 2 + 4 + 16 + 8;

/// The scale of a stored transfer's unit (it exists: units are fixed for the ledger's life, and
/// decoding refuses a transfer of an unknown unit).
pub(crate) fn scale_of(units: &BTreeMap<UnitId, Unit>, t: &TransferRecord) -> u32 {
    units.get(&t.unit).map_or(0, |u| u.scale)
}

/// Appends `t`'s history bytes (docs/FORMAT.md §5.2): the request as submitted, then the
/// accounts, unit, code, amount and timestamp the ledger applied. Written into a fixed array
/// first: one copy into `out` instead of a bounds-checked append per field (this runs for every
/// transfer applied).
pub(crate) fn write_transfer(out: &mut Vec<u8>, t: &TransferRecord, scale: u32) {
    let mut bytes = [0u8; TRANSFER_HISTORY_BYTES_MAX];
    let mut at = 0;
    let mut put = |field: &[u8]| {
        bytes[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    };
    let r = &t.request();
    put(&r.id.get().to_le_bytes());
    put(&r.debit_account_id.map_or(0, |a| a.get()).to_le_bytes());
    put(&r.credit_account_id.map_or(0, |a| a.get()).to_le_bytes());
    match r.amount {
        None => put(&[0]),
        Some(a) => {
            let (mantissa, scale) = a.mantissa_scale();
            put(&[1]);
            put(&scale.to_le_bytes());
            put(&i128::from(mantissa).to_le_bytes());
        }
    }
    put(&r.related_id.map_or(0, |a| a.get()).to_le_bytes());
    put(&r.unit.to_le_bytes());
    put(&r.code.to_le_bytes());
    put(&r.flags.0.to_le_bytes());
    put(&r.timeout_s.to_le_bytes());
    put(&r.user_data.to_le_bytes());
    match r.served_at {
        None => put(&[0]),
        Some(served_at) => {
            put(&[1]);
            put(&served_at.to_le_bytes());
        }
    }
    put(&t.debit_account_id.get().to_le_bytes());
    put(&t.credit_account_id.get().to_le_bytes());
    put(&t.unit.to_le_bytes());
    put(&t.code.to_le_bytes());
    let minor = t
        .amount
        .to_minor(scale)
        .expect("a stored amount fits its unit's scale");
    put(&i128::from(minor).to_le_bytes());
    put(&t.timestamp.to_le_bytes());
    out.extend_from_slice(&bytes[..at]);
}

/// The history part of a state digest, fed the transfers after the chain's last full chunk one
/// at a time (or every transfer, from an empty chain: the result is the same). It keeps the
/// chain, the bytes of the transfers after its last full chunk, and the ids still pending.
pub(crate) struct HistoryDigest {
    history: History,
    /// Transfers fed so far, counting those already in the chain it started from.
    count: usize,
    tail: Vec<u8>,
    pending: Vec<TransferId>,
}

impl HistoryDigest {
    /// Starts after `history`'s chunks; the ids of the transfers in them still pending are
    /// given by [`HistoryDigest::pending`].
    pub fn start(history: History) -> HistoryDigest {
        HistoryDigest {
            history,
            count: history.chained,
            tail: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Notes a transfer inside the chain the digest started from that is still pending.
    pub fn pending(&mut self, id: TransferId) {
        self.pending.push(id);
    }

    /// The next transfer.
    pub fn push(&mut self, t: &TransferRecord, scale: u32) {
        if t.state == TransferState::Pending {
            debug_assert!(t.flags().contains(TransferFlags::PENDING));
            self.pending.push(t.id());
        }
        write_transfer(&mut self.tail, t, scale);
        self.count += 1;
        if self.count - self.history.chained == HISTORY_CHUNK_TRANSFERS {
            self.history.chain = chunk_hash(&self.history.chain, &self.tail);
            self.history.chained = self.count;
            self.tail.clear();
        }
    }

    /// The chain over every full chunk fed.
    pub fn history(&self) -> History {
        self.history
    }

    /// The digest's part 3 after the count: the chain, the transfers after its last full chunk,
    /// and the pending ids.
    pub fn write(&self, out: &mut dyn FnMut(&[u8])) {
        out(&self.history.chain);
        out(&self.tail);
        out(&(self.pending.len() as u64).to_le_bytes());
        for id in &self.pending {
            out(&id.get().to_le_bytes());
        }
    }
}
