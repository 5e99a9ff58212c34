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

use crate::amount::Amount;
use crate::digest::Digester;
use crate::transfer::{TransferFlags, TransferRecord, TransferState};
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
    /// Hashes each full chunk of `records` (the ledger's transfers from position `first` on,
    /// oldest first; `first` is at most `chained`) that is not in the chain yet. Between two full
    /// chunks it does nothing.
    pub fn absorb(&mut self, first: usize, records: &[TransferRecord]) {
        debug_assert!(first <= self.chained, "only chained transfers are evicted");
        let mut bytes = Vec::new();
        while first + records.len() - self.chained >= HISTORY_CHUNK_TRANSFERS {
            let at = self.chained - first;
            let chunk = &records[at..at + HISTORY_CHUNK_TRANSFERS];
            bytes.clear();
            bytes.reserve(chunk.len() * TRANSFER_HISTORY_BYTES_MAX);
            for t in chunk {
                write_transfer(&mut bytes, t);
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

/// Presence bits of a transfer's encoding (one byte after its id), here and in a snapshot.
pub(crate) const HAS_DEBIT: u8 = 1 << 0;
pub(crate) const HAS_CREDIT: u8 = 1 << 1;
pub(crate) const HAS_AMOUNT: u8 = 1 << 2;
pub(crate) const HAS_RELATED: u8 = 1 << 3;
pub(crate) const HAS_SERVED_AT: u8 = 1 << 4;
/// Set in a snapshot only: the history bytes never change, so they never hold it.
pub(crate) const HAS_REVERSED_BY: u8 = 1 << 5;
/// The applied accounts, unit, code and amount are the request's (most transfers): they are
/// not written twice.
pub(crate) const AS_REQUESTED: u8 = 1 << 6;

/// The most history bytes one transfer takes: id, presence, the request's optional fields,
/// unit, code, flags, timeout, user data, served_at, the applied fields, the timestamp.
const TRANSFER_HISTORY_BYTES_MAX: usize =
    16 + 1 + (16 + 16 + 9 + 16) + (2 + 2 + 2 + 4 + 16) + 8 + (16 + 16 + 2 + 2 + 9) + 8;

/// The offset of the presence byte in a transfer's encoding.
pub(crate) const PRESENCE_OFFSET: usize = 16;

/// Appends `t`'s history bytes (docs/FORMAT.md §5.2): its snapshot encoding (§16.1) up to its
/// timestamp, the request as submitted and what the ledger applied, without the state it is in
/// now. Written into a fixed array first: one copy into `out` instead of a bounds-checked
/// append per field (this runs for every transfer applied).
pub(crate) fn write_transfer(out: &mut Vec<u8>, t: &TransferRecord) {
    if t.request_is_plain() {
        return write_plain_transfer(out, t);
    }
    let r = &t.request();
    let as_requested = r.debit_account_id == Some(t.debit_account_id)
        && r.credit_account_id == Some(t.credit_account_id)
        && r.unit == t.unit
        && r.code == t.code
        && r.amount == Some(t.amount);
    let mut present = 0;
    for (bit, on) in [
        (HAS_DEBIT, r.debit_account_id.is_some()),
        (HAS_CREDIT, r.credit_account_id.is_some()),
        (HAS_AMOUNT, r.amount.is_some()),
        (HAS_RELATED, r.related_id.is_some()),
        (HAS_SERVED_AT, r.served_at.is_some()),
        (AS_REQUESTED, as_requested),
    ] {
        if on {
            present |= bit;
        }
    }
    let mut bytes = [0u8; TRANSFER_HISTORY_BYTES_MAX];
    let mut at = 0;
    let mut put = |field: &[u8]| {
        bytes[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    };
    let amount = |a: Amount| {
        let (mantissa, scale) = a.mantissa_scale();
        let mut bytes = [0u8; 9];
        bytes[..8].copy_from_slice(&mantissa.to_le_bytes());
        bytes[8] = scale as u8;
        bytes
    };
    put(&r.id.get().to_le_bytes());
    put(&[present]);
    if let Some(a) = r.debit_account_id {
        put(&a.get().to_le_bytes());
    }
    if let Some(a) = r.credit_account_id {
        put(&a.get().to_le_bytes());
    }
    if let Some(a) = r.amount {
        put(&amount(a));
    }
    if let Some(id) = r.related_id {
        put(&id.get().to_le_bytes());
    }
    put(&r.unit.to_le_bytes());
    put(&r.code.to_le_bytes());
    put(&r.flags.0.to_le_bytes());
    put(&r.timeout_s.to_le_bytes());
    put(&r.user_data.to_le_bytes());
    if let Some(served_at) = r.served_at {
        put(&served_at.to_le_bytes());
    }
    if !as_requested {
        put(&t.debit_account_id.get().to_le_bytes());
        put(&t.credit_account_id.get().to_le_bytes());
        put(&t.unit.to_le_bytes());
        put(&t.code.to_le_bytes());
        put(&amount(t.amount));
    }
    put(&t.timestamp.to_le_bytes());
    out.extend_from_slice(&bytes[..at]);
}

/// The bytes of a plain transfer in the layout [`write_transfer`] gives it (most transfers):
/// the same fields at fixed offsets, without rebuilding the request.
fn write_plain_transfer(out: &mut Vec<u8>, t: &TransferRecord) {
    const PLAIN: u8 = HAS_DEBIT | HAS_CREDIT | HAS_AMOUNT | AS_REQUESTED;
    let mut b = [0u8; PLAIN_TRANSFER_BYTES];
    let (mantissa, scale) = t.amount.mantissa_scale();
    b[0..16].copy_from_slice(&t.id().get().to_le_bytes());
    b[16] = PLAIN;
    b[17..33].copy_from_slice(&t.debit_account_id.get().to_le_bytes());
    b[33..49].copy_from_slice(&t.credit_account_id.get().to_le_bytes());
    b[49..57].copy_from_slice(&mantissa.to_le_bytes());
    b[57] = scale as u8;
    b[58..60].copy_from_slice(&t.unit.to_le_bytes());
    b[60..62].copy_from_slice(&t.code.to_le_bytes());
    b[62..64].copy_from_slice(&t.flags().0.to_le_bytes());
    b[64..68].copy_from_slice(&t.timeout_s().to_le_bytes());
    b[68..84].copy_from_slice(&t.user_data().to_le_bytes());
    b[84..92].copy_from_slice(&t.timestamp.to_le_bytes());
    out.extend_from_slice(&b);
}

/// The history bytes of a plain transfer.
const PLAIN_TRANSFER_BYTES: usize = 92;

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
    pub fn push(&mut self, t: &TransferRecord) {
        if t.state == TransferState::Pending {
            debug_assert!(t.flags().contains(TransferFlags::PENDING));
            self.pending.push(t.id());
        }
        write_transfer(&mut self.tail, t);
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
    pub fn write(&self, h: &mut Digester) {
        h.update(&self.history.chain);
        h.update(&self.tail);
        h.update(&(self.pending.len() as u64).to_le_bytes());
        for id in &self.pending {
            h.update(&id.get().to_le_bytes());
        }
    }
}
