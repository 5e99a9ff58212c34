//! The state digest: a blake3 hash of the whole ledger in a canonical order and encoding.
//!
//! Two ledgers have equal digests exactly when they hold the same units, accounts, transfers,
//! failed ids, clock and rule state. Accounts are walked in id order; the transfers enter
//! through their history chain ([`crate::history`]), and the failed ids, ratings and operations
//! through chains of their own ([`crate::entry_chain`]), so the digest costs what the accounts
//! and the rule state cost, not what the history does. Decimals are written as the 128-bit
//! little-endian mantissa at the unit's scale, so `1.5` and `1.50` hash alike.
//!
//! Journals of record format version 5 and before hold checkpoints of the first digest, which
//! wrote every transfer itself, and those of version 6 the second, which wrote every failed id,
//! rating and operation: [`Ledger::state_digest_v1`](crate::Ledger::state_digest_v1) and
//! [`Ledger::state_digest_v2`](crate::Ledger::state_digest_v2) still give them, to check them.

use crate::amount::Amount;
use crate::entry_chain::failed_entry;
use crate::history::{History, HistoryDigest};
use crate::ledger::Ledger;
use crate::transfer::{TransferRecord, TransferState};

/// The blake3 key-derivation context of the digest (domain separation from every other hash).
pub const STATE_DIGEST_CONTEXT: &str = "timebank-ledger 2026-11 state digest v3";

/// The context of the second digest, which wrote every failed id, rating and operation (see
/// [`Ledger::state_digest_v2`](crate::Ledger::state_digest_v2)).
pub const STATE_DIGEST_V2_CONTEXT: &str = "timebank-ledger 2026-11 state digest v2";

/// The context of the first digest, which wrote every transfer (see [`Ledger::state_digest_v1`](crate::Ledger::state_digest_v1)).
pub const STATE_DIGEST_V1_CONTEXT: &str = "timebank-ledger 2026-11 state digest v1";

/// Bytes gathered before they are hashed: blake3 hashes large inputs many times faster per byte
/// than a call per field (it can work on several 1 KiB chunks at once).
const DIGEST_BUFFER_BYTES: usize = 64 * 1024;

/// A blake3 hasher fed through a buffer. Hashing is streaming, so the digest is the same however
/// the input is split; only the cost changes.
pub(crate) struct Digester {
    hasher: blake3::Hasher,
    buffer: Vec<u8>,
}

impl Digester {
    fn new(context: &str) -> Digester {
        Digester {
            hasher: blake3::Hasher::new_derive_key(context),
            buffer: Vec::with_capacity(DIGEST_BUFFER_BYTES),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) -> &mut Digester {
        if self.buffer.len() + bytes.len() > DIGEST_BUFFER_BYTES {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
        if bytes.len() > DIGEST_BUFFER_BYTES {
            self.hasher.update(bytes);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
        self
    }

    fn finalize(mut self) -> [u8; 32] {
        self.hasher.update(&self.buffer);
        *self.hasher.finalize().as_bytes()
    }
}

pub(crate) fn state_digest(ledger: &Ledger) -> [u8; 32] {
    live_digest(ledger, Version::V3)
}

/// The second digest (context [`STATE_DIGEST_V2_CONTEXT`]): parts 4, 6 and 8 wrote every
/// failed id, rating and operation (docs/FORMAT.md §5.2.2).
pub(crate) fn state_digest_v2(ledger: &Ledger) -> Option<[u8; 32]> {
    if evicted_entries(ledger) {
        return None;
    }
    Some(live_digest(ledger, Version::V2))
}

/// Whether the ledger evicted failed ids, ratings or operations, which the first two digests
/// write one by one.
fn evicted_entries(ledger: &Ledger) -> bool {
    ledger.failed.has_evicted()
        || ledger.rules.ratings.has_evicted()
        || ledger.operations.has_evicted()
}

/// Which digest [`StateDigest`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V2,
    V3,
}

fn live_digest(ledger: &Ledger, version: Version) -> [u8; 32] {
    let table = &ledger.transfers;
    // Everything evicted is in the chain: the vector holds the chain's end and the tail.
    let (chained, tail) = table
        .records()
        .split_at(ledger.history.chained - table.first());
    let mut digest = StateDigest::start(ledger, table.len() as u64, ledger.history, version);
    for (_, hold) in table.held() {
        digest.history.pending(hold.id());
    }
    for t in chained.iter().filter(|t| t.state == TransferState::Pending) {
        digest.history.pending(t.id());
    }
    for t in tail {
        digest.transfer(t);
    }
    digest.finish(ledger)
}

/// The first state digest (context [`STATE_DIGEST_V1_CONTEXT`]): part 3 wrote every transfer
/// with its state, in the order applied (docs/FORMAT.md §5.2.1). It reads the whole history, so
/// there is none once transfers were evicted.
pub(crate) fn state_digest_v1(ledger: &Ledger) -> Option<[u8; 32]> {
    if ledger.transfers.has_evicted() || evicted_entries(ledger) {
        return None;
    }
    let mut h = Digester::new(STATE_DIGEST_V1_CONTEXT);
    write_units_and_accounts(&mut h, ledger);
    h.update(&(ledger.transfers.len() as u64).to_le_bytes());
    for t in ledger.transfers.records() {
        write_transfer_v1(&mut h, ledger, t);
    }
    write_rest(&mut h, ledger, true);
    Some(h.finalize())
}

/// The state digest fed in the order of its input: the units and accounts, then the transfers
/// after the chain's last full chunk, then the rest. [`state_digest`] feeds it a live ledger;
/// a snapshot's transfers are fed one at a time as they are decoded, from an empty chain, so its
/// digest is checked without holding them all.
pub(crate) struct StateDigest {
    h: Digester,
    pub history: HistoryDigest,
    version: Version,
}

impl StateDigest {
    /// Begins with `ledger`'s units and accounts, and the number of transfers it holds; the
    /// transfers fed follow the chain `history`.
    pub fn start(
        ledger: &Ledger,
        transfers: u64,
        history: History,
        version: Version,
    ) -> StateDigest {
        let context = match version {
            Version::V2 => STATE_DIGEST_V2_CONTEXT,
            Version::V3 => STATE_DIGEST_CONTEXT,
        };
        let mut h = Digester::new(context);
        write_units_and_accounts(&mut h, ledger);
        h.update(&transfers.to_le_bytes());
        StateDigest {
            h,
            history: HistoryDigest::start(history),
            version,
        }
    }

    /// Adds the next transfer.
    pub fn transfer(&mut self, t: &TransferRecord) {
        self.history.push(t);
    }

    /// Ends with the history, then `ledger`'s failed ids, clock and rule state.
    pub fn finish(mut self, ledger: &Ledger) -> [u8; 32] {
        self.history.write(&mut self.h);
        write_rest(&mut self.h, ledger, self.version == Version::V2);
        self.h.finalize()
    }
}

/// Parts 1 and 2: the units and the accounts.
fn write_units_and_accounts(h: &mut Digester, ledger: &Ledger) {
    let (units, accounts) = (&ledger.units, &ledger.accounts);
    h.update(&(units.len() as u64).to_le_bytes());
    for unit in units.values() {
        h.update(&unit.id.to_le_bytes());
        h.update(&unit.scale.to_le_bytes());
        h.update(&(unit.name.len() as u64).to_le_bytes());
        h.update(unit.name.as_bytes());
    }

    let mut ids: Vec<_> = accounts.keys().copied().collect();
    ids.sort_unstable();
    h.update(&(ids.len() as u64).to_le_bytes());
    for id in ids {
        let a = &accounts[&id];
        h.update(&a.id.get().to_le_bytes());
        h.update(&a.unit.to_le_bytes());
        h.update(&[a.kind as u8, u8::from(a.closed)]);
        h.update(&a.community.to_le_bytes());
        h.update(&a.user_data.to_le_bytes());
        optional_minor(h, a.floor);
        optional_minor(h, a.ceiling);
        optional_u64(h, a.eligible_from);
        h.update(&a.timestamp.to_le_bytes());
        let b = &a.balances;
        for total in [
            b.debits_pending,
            b.debits_posted,
            b.credits_pending,
            b.credits_posted,
        ] {
            h.update(&total.to_le_bytes());
        }
    }
}

/// A transfer as the first digest wrote it: the request (without `served_at`), what the ledger
/// decided, and its state now.
fn write_transfer_v1(h: &mut Digester, ledger: &Ledger, t: &TransferRecord) {
    let r = &t.request();
    // A stored transfer's unit exists (units are fixed for the ledger's life).
    let scale = ledger.units.get(&t.unit).map_or(0, |u| u.scale);
    h.update(&r.id.get().to_le_bytes());
    h.update(&r.debit_account_id.map_or(0, |a| a.get()).to_le_bytes());
    h.update(&r.credit_account_id.map_or(0, |a| a.get()).to_le_bytes());
    optional_amount(h, r.amount);
    h.update(&r.related_id.map_or(0, |a| a.get()).to_le_bytes());
    h.update(&r.unit.to_le_bytes());
    h.update(&r.code.to_le_bytes());
    h.update(&r.flags.0.to_le_bytes());
    h.update(&r.timeout_s.to_le_bytes());
    h.update(&r.user_data.to_le_bytes());
    h.update(&t.debit_account_id.get().to_le_bytes());
    h.update(&t.credit_account_id.get().to_le_bytes());
    h.update(&t.unit.to_le_bytes());
    h.update(&t.code.to_le_bytes());
    let minor = t
        .amount
        .to_minor(scale)
        .expect("a stored amount fits its unit's scale");
    h.update(&i128::from(minor).to_le_bytes());
    h.update(&t.timestamp.to_le_bytes());
    h.update(&[state_number(t.state)]);
    h.update(&t.reversed_by.map_or(0, |a| a.get()).to_le_bytes());
}

/// Parts 4 to 9: the failed ids, the clock and the rules' bookkeeping; the failed ids, ratings
/// and operations as their chains, or (`whole`, the digests before the third) each of them.
fn write_rest(h: &mut Digester, ledger: &Ledger, whole: bool) {
    if whole {
        let failed = ledger.failed.sorted();
        h.update(&(failed.len() as u64).to_le_bytes());
        for (id, code) in failed {
            h.update(&failed_entry(id.get(), *code as u16));
        }
    } else {
        ledger.failed.chain.write(h);
    }

    h.update(&ledger.clock.to_le_bytes());
    ledger.rules.digest(h, whole);
    ledger.operations.digest(h, whole);
    ledger.attributions.digest(h);
}

/// The stable number of a transfer state (also used by the journal and the C ABI).
pub fn state_number(state: TransferState) -> u8 {
    match state {
        TransferState::Posted => 1,
        TransferState::Pending => 2,
        TransferState::PendingPosted => 3,
        TransferState::PendingVoided => 4,
        TransferState::PendingExpired => 5,
    }
}

fn optional_minor(h: &mut Digester, value: Option<i128>) {
    match value {
        None => h.update(&[0]),
        Some(v) => {
            h.update(&[1]);
            h.update(&v.to_le_bytes())
        }
    };
}

fn optional_amount(h: &mut Digester, value: Option<Amount>) {
    match value {
        None => h.update(&[0]),
        Some(a) => {
            let (mantissa, scale) = a.mantissa_scale();
            h.update(&[1]);
            h.update(&scale.to_le_bytes());
            h.update(&i128::from(mantissa).to_le_bytes())
        }
    };
}

fn optional_u64(h: &mut Digester, value: Option<u64>) {
    match value {
        None => h.update(&[0]),
        Some(v) => {
            h.update(&[1]);
            h.update(&v.to_le_bytes())
        }
    };
}
