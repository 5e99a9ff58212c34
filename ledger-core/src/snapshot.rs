//! The engine's whole state as bytes, and the ledger rebuilt from them: what a store keeps so
//! that opening a long ledger does not replay its whole history (docs/FORMAT.md, "Snapshots",
//! lays out every byte).
//!
//! The encoding is canonical: maps keyed by id are written in id order, so one state has one
//! encoding and `encode(decode(b)) == b`. Decoding checks every field it can (ids not zero,
//! known kinds and codes, amounts positive and normalized, no id twice) and returns an error, never a panic, for any input; the store binds the bytes to a
//! journal position by hash and compares the rebuilt ledger's [`Ledger::state_digest`] with the
//! one recorded, so a decoded state is also the state that was encoded.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rust_decimal::Decimal;

use crate::account::{Account, AccountKind, Balances};
use crate::amount::Amount;
use crate::attribution::{Attribution, Attributions};
use crate::digest::{StateDigest, Version};
use crate::entry_chain::EntryChain;
use crate::evictable::Evictable;
use crate::history::History;
use crate::history::HISTORY_CHUNK_TRANSFERS;
use crate::id::{AccountId, TransferId};
use crate::id_filter::IdFilter;
use crate::ledger::Ledger;
use crate::limits::{BALANCE_WHOLE_MAX, UNIT_SCALE_MAX};
use crate::operation::Operations;
use crate::operation::{OperationKind, OperationRecord};
use crate::policy::Policy;
use crate::result::{EventResult, ResultCode};
use crate::rules::{Earnings, Lot, Rules};
use crate::tally::Tally;
use crate::transfer::{Transfer, TransferFlags, TransferRecord, TransferState};
use crate::transfer_table::{TransferTable, TRANSFERS_MAX};
use crate::unit::Unit;

/// The first bytes of an engine state.
pub const STATE_MAGIC: [u8; 8] = *b"TBSTATE\0";
/// The version of the state encoding this build writes and reads (2: without version 1's
/// per-account history, which the store's index keeps; 3: with what eviction left, the
/// transfers in memory and the filter of evicted ids; 4: with the chains over the failed ids,
/// ratings and operations that the third state digest takes).
pub const STATE_VERSION: u32 = 4;

use crate::history::{
    self, AS_REQUESTED, HAS_AMOUNT, HAS_CREDIT, HAS_DEBIT, HAS_RELATED, HAS_REVERSED_BY,
    HAS_SERVED_AT,
};

/// Why bytes are not an engine state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("engine state: {field}: {problem}")]
pub struct StateError {
    /// The field being read.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn bad(field: &'static str, problem: &'static str) -> StateError {
    StateError { field, problem }
}

/// The ledger's whole state, in the canonical encoding (docs/FORMAT.md, "Snapshots").
pub fn encode(ledger: &Ledger) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(
        64 + ledger.accounts.len() * 160 + ledger.transfers.resident() * 110,
    ));
    w.bytes(&STATE_MAGIC);
    w.u32(STATE_VERSION);
    w.u64(ledger.clock);

    w.u32(ledger.units.len() as u32);
    for unit in ledger.units.values() {
        w.u16(unit.id);
        w.u8(unit.scale as u8);
        w.text(&unit.name);
    }

    let mut accounts: Vec<&Account> = ledger.accounts.values().collect();
    accounts.sort_unstable_by_key(|a| a.id);
    w.u64(accounts.len() as u64);
    for a in accounts {
        w.u128(a.id.get());
        w.u16(a.unit);
        w.u8(a.kind as u8);
        w.u8(u8::from(a.closed));
        w.u32(a.community);
        w.u128(a.user_data);
        let scale = a.scale;
        w.optional_minor(a.floor, scale);
        w.optional_minor(a.ceiling, scale);
        w.optional_u64(a.eligible_from);
        w.u64(a.timestamp);
        let b = &a.balances;
        for total in [
            b.debits_pending,
            b.debits_posted,
            b.credits_pending,
            b.credits_posted,
        ] {
            w.minor(total, scale);
        }
    }

    let table = &ledger.transfers;
    w.u64(table.len() as u64);
    w.u64(table.first() as u64);
    if table.first() > 0 {
        w.bytes(&ledger.history.chain);
        table.evicted().encode(&mut w.0);
        let held = table.held();
        w.u64(held.len() as u64);
        for (at, t) in held {
            w.u32(at);
            encode_transfer(&mut w, t);
        }
        let changed = table.changed();
        w.u64(changed.len() as u64);
        for t in changed {
            encode_transfer(&mut w, t);
        }
    }
    for t in table.records() {
        encode_transfer(&mut w, t);
    }

    w.u64(ledger.failed.len() as u64);
    for (id, code) in ledger.failed.in_order() {
        w.u128(id.get());
        w.u16(u16::from(*code));
    }
    encode_evicted_entries(&mut w, &ledger.failed);

    w.u64(ledger.timeouts.len() as u64);
    for (at, id) in &ledger.timeouts {
        w.u64(*at);
        w.u128(id.get());
    }

    encode_rules(&mut w, ledger);

    w.u64(ledger.operations.len() as u64);
    for (id, record) in ledger.operations.in_order() {
        encode_operation(&mut w, id, record);
    }
    encode_evicted_entries(&mut w, &ledger.operations);

    w.u64(ledger.attributions.from.len() as u64);
    for (first, who) in &ledger.attributions.from {
        w.u64(*first);
        w.u64(who.operator);
        match who.reason {
            None => w.u8(0),
            Some(reason) => {
                w.u8(1);
                w.u32(reason);
            }
        }
    }
    w.0
}

/// One transfer as the state encodes it (§16.1 of docs/FORMAT.md), appended to `out`: what a
/// store keeps of a transfer the engine no longer holds, so that there is one encoding of it.
pub fn encode_transfer_record(t: &TransferRecord, out: &mut Vec<u8>) {
    let mut w = Writer(std::mem::take(out));
    encode_transfer(&mut w, t);
    *out = w.0;
}

/// What follows the entries in memory of one kind (§16.1): u64 the entries ever added ‖ their
/// entry chain (32 bytes) ‖ the filter of the ids evicted.
fn encode_evicted_entries<V: Clone>(w: &mut Writer, entries: &Evictable<V>) {
    w.u64(entries.chain.count);
    w.bytes(&entries.chain.hash);
    entries.evicted().encode(&mut w.0);
}

/// One operation as the state encodes it (§16.1 of docs/FORMAT.md), appended to `out`: what a
/// store keeps of an operation the engine no longer holds.
pub fn encode_operation_record(id: TransferId, record: &OperationRecord, out: &mut Vec<u8>) {
    let mut w = Writer(std::mem::take(out));
    encode_operation(&mut w, id, record);
    *out = w.0;
}

/// The operation [`encode_operation_record`] wrote, with its id: `bytes` must hold exactly
/// one, checked as a state's operations are (an error, never a panic, for any input).
pub fn decode_operation_record(bytes: &[u8]) -> Result<(TransferId, OperationRecord), StateError> {
    let mut r = Reader { bytes, at: 0 };
    let operation = decode_operation(&mut r)?;
    if r.at != bytes.len() {
        return Err(bad("end", "bytes after the operation"));
    }
    Ok(operation)
}

fn encode_operation(w: &mut Writer, id: TransferId, record: &OperationRecord) {
    w.u128(id.get());
    let kind = serde_json::to_string(&record.kind).expect("an operation serializes");
    w.long_text(&kind);
    w.u64(record.results.len() as u64);
    for r in &record.results {
        w.u16(u16::from(r.code));
        w.u64(r.timestamp);
    }
    w.u64(record.transfers.len() as u64);
    for t in &record.transfers {
        w.u128(t.get());
    }
    w.u64(record.closes.len() as u64);
    for a in &record.closes {
        w.u128(a.get());
    }
}

fn decode_operation(r: &mut Reader<'_>) -> Result<(TransferId, OperationRecord), StateError> {
    let id = r.transfer_id("operation.id")?;
    let text = r.long_text("operation.kind")?;
    let kind: OperationKind =
        serde_json::from_str(&text).map_err(|_| bad("operation.kind", "not an operation"))?;
    // One state, one encoding: the JSON must be what the encoder writes (JSON parsing alone
    // would let other spellings, unknown fields or missing optional ones through).
    if serde_json::to_string(&kind).ok().as_deref() != Some(text.as_str()) {
        return Err(bad("operation.kind", "not the JSON the encoder writes"));
    }
    let result_count = r.count("operation.results", 10)?;
    let mut results = Vec::with_capacity(result_count);
    for _ in 0..result_count {
        let code = ResultCode::from_u16(r.u16("operation.result")?)
            .ok_or_else(|| bad("operation.result", "unknown result code"))?;
        let timestamp = r.u64("operation.result")?;
        results.push(EventResult { code, timestamp });
    }
    let transfer_count = r.count("operation.transfers", 16)?;
    let mut transfers = Vec::with_capacity(transfer_count);
    for _ in 0..transfer_count {
        transfers.push(r.transfer_id("operation.transfer")?);
    }
    let close_count = r.count("operation.closes", 16)?;
    let mut closes = Vec::with_capacity(close_count);
    for _ in 0..close_count {
        closes.push(r.account_id("operation.close")?);
    }
    let record = OperationRecord {
        kind,
        results,
        transfers,
        closes,
    };
    Ok((id, record))
}

/// The transfer [`encode_transfer_record`] wrote: `bytes` must hold exactly one, checked as a
/// state's transfers are (an error, never a panic, for any input).
pub fn decode_transfer_record(bytes: &[u8]) -> Result<TransferRecord, StateError> {
    let mut r = Reader { bytes, at: 0 };
    let record = decode_transfer(&mut r)?;
    if r.at != bytes.len() {
        return Err(bad("end", "bytes after the transfer"));
    }
    Ok(record)
}

fn encode_transfer(w: &mut Writer, t: &TransferRecord) {
    // The history bytes are this encoding up to the timestamp, without the state it is in now.
    let start = w.0.len();
    history::write_transfer(&mut w.0, t);
    if t.reversed_by.is_some() {
        w.0[start + history::PRESENCE_OFFSET] |= HAS_REVERSED_BY;
    }
    w.u8(crate::digest::state_number(t.state));
    if let Some(id) = t.reversed_by {
        w.u128(id.get());
    }
}

fn encode_rules(w: &mut Writer, ledger: &Ledger) {
    let rules = &ledger.rules;
    let versions = rules.versions();
    w.u32(versions.len() as u32);
    for (from, policy) in versions {
        w.u64(from);
        w.long_text(&policy.to_json());
    }
    w.u64(rules.links.len() as u64);
    for (a, b) in &rules.links {
        w.u128(a.get());
        w.u128(b.get());
    }
    w.u64(rules.ratings.len() as u64);
    for (t, rating) in rules.ratings.in_order() {
        w.u128(t.get());
        w.u8(*rating);
    }
    encode_evicted_entries(w, &rules.ratings);
    let mut earnings: Vec<_> = rules.earnings.iter().collect();
    earnings.sort_unstable_by_key(|(id, _)| **id);
    w.u64(earnings.len() as u64);
    for (id, e) in earnings {
        w.u128(id.get());
        w.decimal(e.lifetime.decimal());
        for periods in [&e.days, &e.months] {
            w.u64(periods.len() as u64);
            for (period, total) in periods {
                w.u64(*period as u64);
                w.decimal(total.decimal());
            }
        }
    }
    let mut lots: Vec<_> = rules.lots.iter().collect();
    lots.sort_unstable_by_key(|(id, _)| **id);
    w.u64(lots.len() as u64);
    for (id, list) in lots {
        w.u128(id.get());
        w.u64(list.len() as u64);
        for lot in list {
            w.u64(lot.expires_at);
            w.decimal(lot.remaining.decimal());
        }
    }
    w.u64(rules.sweeps_made);
}

/// The ledger whose state `bytes` encode (as [`encode`] wrote them).
pub fn decode(bytes: &[u8]) -> Result<Ledger, StateError> {
    let mut ledger = decode_with(bytes, &mut IntoLedger::default())?;
    ledger.extend_history();
    Ok(ledger)
}

/// [`decode`] and the decoded ledger's [`Ledger::state_digest`], computed while the state is
/// read (each transfer digested as it is decoded, not in a second pass over the whole ledger).
pub fn decode_digested(bytes: &[u8]) -> Result<(Ledger, [u8; 32]), StateError> {
    let mut into = IntoLedger {
        digesting: true,
        digest: None,
    };
    let mut ledger = decode_with(bytes, &mut into)?;
    let digest = into.digest.expect("decode_with starts the transfers");
    // The digest built the history chain over every transfer: the ledger keeps it.
    ledger.history = digest.history.history();
    let digest = digest.finish(&ledger);
    Ok((ledger, digest))
}

/// The state digest ([`Ledger::state_digest`]) of the ledger whose state `bytes` encode: what
/// `decode(bytes)?.state_digest()` gives, and an error for any bytes `decode` refuses, but
/// without holding the transfers (each is digested as it is read, and only its id kept, to
/// refuse an id twice once every part is read: a state with that and another fault is refused
/// for the other). Memory is that of the accounts and rule state plus 16 bytes a transfer.
pub fn digest(bytes: &[u8]) -> Result<[u8; 32], StateError> {
    let mut digesting = Digesting::default();
    let ledger = decode_with(bytes, &mut digesting)?;
    // A duplicate is found here rather than where it stands: the error is the same.
    let mut ids = digesting.ids;
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("transfers", "an id twice"));
    }
    let digest = digesting.digest.expect("decode_with starts the transfers");
    Ok(digest.finish(&ledger))
}

/// Where the transfers of a state go as they are decoded.
trait TransferSink {
    /// Before the first: the ledger decoded so far (units, clock, accounts), how many transfers
    /// were applied, and the chain over those before the first one in memory, if any.
    fn start(&mut self, ledger: &mut Ledger, count: usize, history: History);
    /// A hold before the first transfer in order still pending, at its position (ascending).
    fn held(&mut self, ledger: &mut Ledger, at: u32, t: TransferRecord) -> Result<(), StateError>;
    /// A record loaded back after its eviction and changed since.
    fn changed(&mut self, ledger: &mut Ledger, t: TransferRecord) -> Result<(), StateError>;
    /// The next transfer in order, at `position`.
    fn take(
        &mut self,
        ledger: &mut Ledger,
        position: usize,
        t: TransferRecord,
    ) -> Result<(), StateError>;
}

/// Into the ledger's transfer table, as the engine holds them; with `digest`, each also
/// through the state digest while it is in cache.
#[derive(Default)]
struct IntoLedger {
    digesting: bool,
    digest: Option<StateDigest>,
}

impl TransferSink for IntoLedger {
    fn start(&mut self, ledger: &mut Ledger, count: usize, history: History) {
        ledger
            .transfers
            .reserve(count.saturating_sub(ledger.transfers.first()));
        if self.digesting {
            self.digest = Some(StateDigest::start(
                ledger,
                count as u64,
                history,
                Version::V3,
            ));
        }
    }

    fn held(&mut self, ledger: &mut Ledger, at: u32, t: TransferRecord) -> Result<(), StateError> {
        if let Some(digest) = self.digest.as_mut() {
            digest.history.pending(t.id());
        }
        match ledger.transfers.restore_held(at, t) {
            true => Ok(()),
            false => Err(bad("transfers", "an id twice")),
        }
    }

    fn changed(&mut self, ledger: &mut Ledger, t: TransferRecord) -> Result<(), StateError> {
        match ledger.transfers.restore_changed(t) {
            true => Ok(()),
            false => Err(bad("transfers", "an id twice")),
        }
    }

    fn take(
        &mut self,
        ledger: &mut Ledger,
        position: usize,
        t: TransferRecord,
    ) -> Result<(), StateError> {
        if ledger.transfers.get(&t.id()).is_some() {
            return Err(bad("transfers", "an id twice"));
        }
        if let Some(digest) = self.digest.as_mut() {
            digest_transfer(digest, ledger.history.chained, position, &t);
        }
        ledger.transfers.push(t);
        Ok(())
    }
}

/// Feeds a transfer in order to the digest: one inside the chain the digest started from only
/// counts when still pending.
fn digest_transfer(digest: &mut StateDigest, chained: usize, position: usize, t: &TransferRecord) {
    if position >= chained {
        digest.transfer(t);
    } else if t.state == TransferState::Pending {
        digest.history.pending(t.id());
    }
}

/// Through the state digest, keeping only the ids.
#[derive(Default)]
struct Digesting {
    digest: Option<StateDigest>,
    chained: usize,
    ids: Vec<u128>,
}

impl Digesting {
    fn digest(&mut self) -> &mut StateDigest {
        self.digest
            .as_mut()
            .expect("started before the first transfer")
    }
}

impl TransferSink for Digesting {
    fn start(&mut self, ledger: &mut Ledger, count: usize, history: History) {
        self.digest = Some(StateDigest::start(
            ledger,
            count as u64,
            history,
            Version::V3,
        ));
        self.chained = history.chained;
        self.ids
            .reserve_exact(count.saturating_sub(ledger.transfers.first()));
    }

    fn held(
        &mut self,
        _ledger: &mut Ledger,
        _at: u32,
        t: TransferRecord,
    ) -> Result<(), StateError> {
        self.ids.push(t.id().get());
        self.digest().history.pending(t.id());
        Ok(())
    }

    fn changed(&mut self, _ledger: &mut Ledger, t: TransferRecord) -> Result<(), StateError> {
        self.ids.push(t.id().get());
        Ok(())
    }

    fn take(
        &mut self,
        _ledger: &mut Ledger,
        position: usize,
        t: TransferRecord,
    ) -> Result<(), StateError> {
        self.ids.push(t.id().get());
        let chained = self.chained;
        digest_transfer(self.digest(), chained, position, &t);
        Ok(())
    }
}

/// [`decode`], with each transfer given to `sink` instead of the ledger's table.
fn decode_with(bytes: &[u8], sink: &mut dyn TransferSink) -> Result<Ledger, StateError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8, "magic")? != STATE_MAGIC {
        return Err(bad("magic", "not an engine state"));
    }
    if r.u32("version")? != STATE_VERSION {
        return Err(bad("version", "an encoding this build does not read"));
    }
    let clock = r.u64("clock")?;

    let unit_count = r.u32("units")? as usize;
    let mut units = Vec::with_capacity(unit_count.min(1024));
    for _ in 0..unit_count {
        let id = r.u16("unit.id")?;
        let scale = u32::from(r.u8("unit.scale")?);
        let name = r.text("unit.name")?;
        units.push(Unit { id, name, scale });
    }
    let sorted = units.windows(2).all(|w| w[0].id < w[1].id);
    if !sorted {
        return Err(bad("units", "not in ascending id order"));
    }

    let mut ledger = Ledger::with_rules(units, Rules::default())
        .map_err(|_| bad("units", "not a valid set of units"))?;
    ledger.clock = clock;

    // Straight into the ledger's maps, sized once: no intermediate copy, no rehashing.
    let account_count = r.count("accounts", 100)?;
    ledger.accounts.reserve(account_count);
    for _ in 0..account_count {
        let a = decode_account(&mut r, &ledger.units)?;
        if ledger.accounts.insert(a.id, a).is_some() {
            return Err(bad("accounts", "an id twice"));
        }
    }

    let transfer_count = r.u64("transfers")?;
    if transfer_count > TRANSFERS_MAX as u64 {
        return Err(bad("transfers", "more than a ledger holds"));
    }
    let transfer_count = transfer_count as usize;
    let first = r.u64("transfers.first")?;
    // Every full chunk is chained once a command ends, and only chained transfers are evicted.
    let chained = transfer_count - transfer_count % HISTORY_CHUNK_TRANSFERS;
    if first > chained as u64 {
        return Err(bad("transfers.first", "past the history chain"));
    }
    let first = first as usize;
    // Checked before anything is sized by it: each transfer takes more than 60 bytes.
    if transfer_count - first > r.remaining() / 60 {
        return Err(bad("transfers", "more entries than the bytes hold"));
    }
    let mut history = History::default();
    if first > 0 {
        history = History {
            chain: r.take(32, "transfers.chain")?.try_into().expect("32 bytes"),
            chained,
        };
        let (filter, read) = IdFilter::decode(&bytes[r.at..])
            .map_err(|problem| bad("transfers.evicted", problem))?;
        r.at += read;
        ledger.transfers = TransferTable::restore(first, filter);
        ledger.history = history;
    }
    sink.start(&mut ledger, transfer_count, history);
    if first > 0 {
        let held_count = r.count("transfers.held", 64)?;
        let mut last = None;
        for _ in 0..held_count {
            let at = r.u32("transfer.position")?;
            if at as usize >= first || last.is_some_and(|last| at <= last) {
                return Err(bad(
                    "transfer.position",
                    "not ascending before the first in order",
                ));
            }
            last = Some(at);
            let t = decode_checked(&mut r, &ledger)?;
            if t.state != TransferState::Pending {
                return Err(bad("transfers.held", "a hold not pending"));
            }
            sink.held(&mut ledger, at, t)?;
        }
        let changed_count = r.count("transfers.changed", 60)?;
        let mut last = None;
        for _ in 0..changed_count {
            let t = decode_checked(&mut r, &ledger)?;
            if last.is_some_and(|last| t.id() <= last) {
                return Err(bad("transfers.changed", "not in ascending id order"));
            }
            if t.state == TransferState::Pending {
                return Err(bad("transfers.changed", "a hold still pending"));
            }
            last = Some(t.id());
            sink.changed(&mut ledger, t)?;
        }
    }
    for position in first..transfer_count {
        let t = decode_checked(&mut r, &ledger)?;
        sink.take(&mut ledger, position, t)?;
    }

    let failed_count = r.count("failed", 18)?;
    let mut failed = Vec::with_capacity(failed_count);
    for _ in 0..failed_count {
        let id = r.transfer_id("failed.id")?;
        let code = ResultCode::from_u16(r.u16("failed.code")?)
            .ok_or_else(|| bad("failed.code", "unknown result code"))?;
        failed.push((id, code));
    }
    let (chain, evicted) = r.evicted_entries("failed")?;
    ledger.failed = Evictable::restore(failed, evicted, chain).map_err(|e| bad("failed", e))?;

    let timeout_count = r.count("timeouts", 24)?;
    let mut timeouts = BTreeSet::new();
    for _ in 0..timeout_count {
        let at = r.u64("timeout.at")?;
        let id = r.transfer_id("timeout.id")?;
        if !timeouts.insert((at, id)) {
            return Err(bad("timeouts", "an entry twice"));
        }
    }

    let version_count = r.u32("policies")? as usize;
    let mut versions = Vec::with_capacity(version_count.min(1024));
    for _ in 0..version_count {
        let from = r.u64("policy.from")?;
        let text = r.long_text("policy")?;
        let policy = Policy::from_json(&text).map_err(|_| bad("policy", "not a valid policy"))?;
        versions.push((from, policy));
    }
    let mut rules =
        Rules::restore(&versions).ok_or_else(|| bad("policies", "amendments of no rules"))?;
    ledger.timeouts = timeouts;
    decode_rule_state(&mut r, &mut rules)?;
    ledger.rules = rules;

    let operation_count = r.count("operations", 30)?;
    let mut in_memory = Vec::with_capacity(operation_count);
    for _ in 0..operation_count {
        in_memory.push(decode_operation(&mut r)?);
    }
    let (chain, evicted) = r.evicted_entries("operations")?;
    ledger.operations =
        Operations::restore(in_memory, evicted, chain).map_err(|e| bad("operations", e))?;

    let attribution_count = r.count("attributions", 17)?;
    let mut attributions = Vec::with_capacity(attribution_count);
    for _ in 0..attribution_count {
        let first = r.u64("attribution.first")?;
        let operator = r.u64("attribution.operator")?;
        let reason = match r.u8("attribution.reason")? {
            0 => None,
            1 => Some(r.u32("attribution.reason")?),
            _ => return Err(bad("attribution.reason", "presence byte not 0 or 1")),
        };
        attributions.push((first, Attribution { operator, reason }));
    }
    ledger.attributions =
        Attributions::restore(attributions).map_err(|e| bad("attributions", e))?;
    if r.at != bytes.len() {
        return Err(bad("end", "bytes after the state"));
    }
    Ok(ledger)
}

/// A transfer, with what the engine relies on of every transfer it holds (the digest writes
/// the amount in its unit's minor units).
fn decode_checked(r: &mut Reader<'_>, ledger: &Ledger) -> Result<TransferRecord, StateError> {
    let t = decode_transfer(r)?;
    let scale = ledger
        .units
        .get(&t.unit)
        .ok_or_else(|| bad("transfer.unit", "no such unit"))?
        .scale;
    if t.amount.to_minor(scale).is_none() {
        return Err(bad("transfer.amount", "finer than its unit's scale"));
    }
    Ok(t)
}

fn decode_account(r: &mut Reader<'_>, units: &BTreeMap<u16, Unit>) -> Result<Account, StateError> {
    let id = r.account_id("account.id")?;
    let unit = r.u16("account.unit")?;
    let scale = units
        .get(&unit)
        .ok_or_else(|| bad("account.unit", "no such unit"))?
        .scale as u8;
    let kind = AccountKind::from_u8(r.u8("account.kind")?)
        .ok_or_else(|| bad("account.kind", "unknown"))?;
    let closed = match r.u8("account.closed")? {
        0 => false,
        1 => true,
        _ => return Err(bad("account.closed", "not 0 or 1")),
    };
    let community = r.u32("account.community")?;
    let user_data = r.u128("account.user_data")?;
    let floor = r.optional_minor("account.floor", scale)?;
    let ceiling = r.optional_minor("account.ceiling", scale)?;
    let eligible_from = r.optional_u64("account.eligible_from")?;
    let timestamp = r.u64("account.timestamp")?;
    let balances = Balances {
        debits_pending: r.minor("account.debits_pending", scale)?,
        debits_posted: r.minor("account.debits_posted", scale)?,
        credits_pending: r.minor("account.credits_pending", scale)?,
        credits_posted: r.minor("account.credits_posted", scale)?,
    };
    Ok(Account {
        id,
        unit,
        scale,
        kind,
        community,
        user_data,
        floor,
        ceiling,
        eligible_from,
        timestamp,
        closed,
        balances,
    })
}

fn decode_transfer(r: &mut Reader<'_>) -> Result<TransferRecord, StateError> {
    let id = r.transfer_id("transfer.id")?;
    let present = r.u8("transfer.present")?;
    if present & 0x80 != 0 {
        return Err(bad("transfer.present", "an undefined bit set"));
    }
    let has = |bit: u8| present & bit != 0;
    let debit = has(HAS_DEBIT)
        .then(|| r.account_id("transfer.debit"))
        .transpose()?;
    let credit = has(HAS_CREDIT)
        .then(|| r.account_id("transfer.credit"))
        .transpose()?;
    let amount = has(HAS_AMOUNT)
        .then(|| r.amount("transfer.amount"))
        .transpose()?;
    let related_id = has(HAS_RELATED)
        .then(|| r.transfer_id("transfer.related_id"))
        .transpose()?;
    let unit = r.u16("transfer.unit")?;
    let code = r.u16("transfer.code")?;
    let flags = TransferFlags(r.u16("transfer.flags")?);
    let timeout_s = r.u32("transfer.timeout_s")?;
    let user_data = r.u128("transfer.user_data")?;
    let served_at = has(HAS_SERVED_AT)
        .then(|| r.u64("transfer.served_at"))
        .transpose()?;
    let request = Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        related_id,
        unit,
        code,
        flags,
        timeout_s,
        user_data,
        served_at,
    };
    let (debit_account_id, credit_account_id, unit, code, amount) = if has(AS_REQUESTED) {
        match (debit, credit, amount) {
            (Some(d), Some(c), Some(a)) => (d, c, unit, code, a),
            _ => return Err(bad("transfer.present", "as requested without the fields")),
        }
    } else {
        (
            r.account_id("transfer.applied_debit")?,
            r.account_id("transfer.applied_credit")?,
            r.u16("transfer.applied_unit")?,
            r.u16("transfer.applied_code")?,
            r.amount("transfer.applied_amount")?,
        )
    };
    let timestamp = r.u64("transfer.timestamp")?;
    let state = match r.u8("transfer.state")? {
        1 => TransferState::Posted,
        2 => TransferState::Pending,
        3 => TransferState::PendingPosted,
        4 => TransferState::PendingVoided,
        5 => TransferState::PendingExpired,
        _ => return Err(bad("transfer.state", "unknown")),
    };
    // A hold (the pending flag) is pending or resolved; anything else applied posted.
    if flags.contains(TransferFlags::PENDING) == (state == TransferState::Posted) {
        return Err(bad("transfer.state", "not one the pending flag allows"));
    }
    let reversed_by = has(HAS_REVERSED_BY)
        .then(|| r.transfer_id("transfer.reversed_by"))
        .transpose()?;
    let mut record = TransferRecord::new(
        &request,
        debit_account_id,
        credit_account_id,
        unit,
        code,
        amount,
        timestamp,
    );
    record.state = state;
    record.reversed_by = reversed_by;
    Ok(record)
}

fn decode_rule_state(r: &mut Reader<'_>, rules: &mut Rules) -> Result<(), StateError> {
    let link_count = r.count("links", 32)?;
    for _ in 0..link_count {
        let a = r.account_id("link.a")?;
        let b = r.account_id("link.b")?;
        if a >= b || !rules.links.insert((a, b)) {
            return Err(bad("links", "not (smaller, larger) once"));
        }
        // Kept as the engine keeps it; an unlinked account's count stays at 0 there, which
        // counts the same as no entry.
        *rules.links_per_account.entry(a).or_default() += 1;
        *rules.links_per_account.entry(b).or_default() += 1;
    }
    let rating_count = r.count("ratings", 17)?;
    let mut ratings = Vec::with_capacity(rating_count);
    for _ in 0..rating_count {
        let t = r.transfer_id("rating.transfer")?;
        let rating = r.u8("rating.value")?;
        ratings.push((t, rating));
    }
    let (chain, evicted) = r.evicted_entries("ratings")?;
    rules.ratings = Evictable::restore(ratings, evicted, chain).map_err(|e| bad("ratings", e))?;
    let earning_count = r.count("earnings", 48)?;
    for _ in 0..earning_count {
        let id = r.account_id("earnings.account")?;
        let lifetime = r.tally("earnings.lifetime")?;
        let mut periods = [BTreeMap::new(), BTreeMap::new()];
        for map in &mut periods {
            let n = r.count("earnings.periods", 25)?;
            for _ in 0..n {
                let period = r.u64("earnings.period")? as i64;
                let total = r.tally("earnings.total")?;
                if map.insert(period, total).is_some() {
                    return Err(bad("earnings.periods", "a period twice"));
                }
            }
        }
        let [days, months] = periods;
        let e = Earnings {
            lifetime,
            days,
            months,
        };
        if rules.earnings.insert(id, e).is_some() {
            return Err(bad("earnings", "an account twice"));
        }
    }
    let lot_owner_count = r.count("lots", 20)?;
    for _ in 0..lot_owner_count {
        let id = r.account_id("lots.account")?;
        let n = r.count("lots.count", 25)?;
        let mut list = VecDeque::with_capacity(n);
        for _ in 0..n {
            let expires_at = r.u64("lot.expires_at")?;
            let remaining = r.tally("lot.remaining")?;
            list.push_back(Lot {
                expires_at,
                remaining,
            });
        }
        let Some(head) = list.front() else {
            return Err(bad("lots", "an account with no lot"));
        };
        rules.lot_heads.insert((head.expires_at, id));
        if rules.lots.insert(id, list).is_some() {
            return Err(bad("lots", "an account twice"));
        }
    }
    rules.sweeps_made = r.u64("sweeps_made")?;
    Ok(())
}

struct Writer(Vec<u8>);

impl Writer {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.bytes(&v.to_le_bytes());
    }
    /// A short text: u16 length, then UTF-8.
    fn text(&mut self, s: &str) {
        self.u16(s.len() as u16);
        self.bytes(s.as_bytes());
    }
    /// A long text: u32 length, then UTF-8.
    fn long_text(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.bytes(s.as_bytes());
    }
    /// A decimal exactly as held (its scale kept): i128 mantissa, u8 scale.
    fn decimal(&mut self, d: Decimal) {
        self.u128(d.mantissa() as u128);
        self.u8(d.scale() as u8);
    }
    /// A total or limit in minor units, as the decimal it is at the unit's scale.
    fn minor(&mut self, minor: i128, scale: u8) {
        self.u128(minor as u128);
        self.u8(scale);
    }
    fn optional_minor(&mut self, v: Option<i128>, scale: u8) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.minor(v, scale);
            }
        }
    }
    fn optional_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], StateError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| bad(field, "truncated"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], StateError> {
        Ok(self.take(N, field)?.try_into().expect("N bytes"))
    }
    fn u8(&mut self, field: &'static str) -> Result<u8, StateError> {
        Ok(self.array::<1>(field)?[0])
    }
    fn u16(&mut self, field: &'static str) -> Result<u16, StateError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }
    fn u32(&mut self, field: &'static str) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }
    fn u64(&mut self, field: &'static str) -> Result<u64, StateError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
    fn u128(&mut self, field: &'static str) -> Result<u128, StateError> {
        Ok(u128::from_le_bytes(self.array(field)?))
    }
    /// The 32-byte hash of a chain over the `count` entries just read (zero when there are
    /// none).
    /// What [`encode_evicted_entries`] wrote.
    fn evicted_entries(
        &mut self,
        field: &'static str,
    ) -> Result<(EntryChain, IdFilter), StateError> {
        let count = self.u64(field)?;
        let chain = self.chain(field, count)?;
        let (evicted, read) =
            IdFilter::decode(&self.bytes[self.at..]).map_err(|e| bad(field, e))?;
        self.at += read;
        Ok((chain, evicted))
    }
    fn chain(&mut self, field: &'static str, count: u64) -> Result<EntryChain, StateError> {
        let hash = self.array::<32>(field)?;
        if count == 0 && hash != [0; 32] {
            return Err(bad(field, "not zero for no entries"));
        }
        Ok(EntryChain { count, hash })
    }
    /// A u64 count of entries of at least `entry_bytes` each: one the remaining bytes cannot
    /// hold is refused before anything is allocated for it.
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }
    fn count(&mut self, field: &'static str, entry_bytes: usize) -> Result<usize, StateError> {
        let n = self.u64(field)?;
        let room = (self.bytes.len() - self.at) / entry_bytes;
        match usize::try_from(n) {
            Ok(n) if n <= room => Ok(n),
            _ => Err(bad(field, "more entries than the bytes hold")),
        }
    }
    fn text(&mut self, field: &'static str) -> Result<String, StateError> {
        let n = usize::from(self.u16(field)?);
        let bytes = self.take(n, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| bad(field, "not UTF-8"))
    }
    fn long_text(&mut self, field: &'static str) -> Result<String, StateError> {
        let n = self.u32(field)? as usize;
        let bytes = self.take(n, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| bad(field, "not UTF-8"))
    }
    fn account_id(&mut self, field: &'static str) -> Result<AccountId, StateError> {
        AccountId::new(self.u128(field)?).ok_or_else(|| bad(field, "zero"))
    }
    fn transfer_id(&mut self, field: &'static str) -> Result<TransferId, StateError> {
        TransferId::new(self.u128(field)?).ok_or_else(|| bad(field, "zero"))
    }
    fn amount(&mut self, field: &'static str) -> Result<Amount, StateError> {
        let mantissa = self.u64(field)?;
        let scale = u32::from(self.u8(field)?);
        if scale > UNIT_SCALE_MAX {
            return Err(bad(field, "scale above the largest unit scale"));
        }
        let value = Decimal::from_i128_with_scale(i128::from(mantissa), scale);
        let amount = Amount::from_decimal_in(value, UNIT_SCALE_MAX)
            .map_err(|_| bad(field, "not a positive amount within Amount::MAX"))?;
        if amount.mantissa_scale() != (mantissa, scale) {
            return Err(bad(field, "not normalized (trailing zeros)"));
        }
        Ok(amount)
    }
    fn decimal(&mut self, field: &'static str) -> Result<Decimal, StateError> {
        let mantissa = self.u128(field)? as i128;
        let scale = u32::from(self.u8(field)?);
        Decimal::try_from_i128_with_scale(mantissa, scale)
            .map_err(|_| bad(field, "not a decimal (mantissa or scale out of range)"))
    }
    /// A rule counter: a decimal of at most [`UNIT_SCALE_MAX`] places within the largest
    /// balance (the counters are millionths of the unit, `crate::tally`).
    fn tally(&mut self, field: &'static str) -> Result<Tally, StateError> {
        let value = self.decimal(field)?;
        Tally::from_decimal(value, BALANCE_WHOLE_MAX).ok_or_else(|| {
            bad(
                field,
                "more places than an amount has, or beyond the largest balance",
            )
        })
    }
    /// A total or limit: a decimal written at the unit's scale (the engine keeps every one at
    /// it), within the largest balance.
    fn minor(&mut self, field: &'static str, scale: u8) -> Result<i128, StateError> {
        let mantissa = self.u128(field)? as i128;
        if self.u8(field)? != scale {
            return Err(bad(field, "not at the unit's scale"));
        }
        let max = i128::from(BALANCE_WHOLE_MAX) * 10i128.pow(u32::from(scale));
        if mantissa.unsigned_abs() > max as u128 {
            return Err(bad(field, "beyond the largest balance"));
        }
        Ok(mantissa)
    }
    fn optional_minor(
        &mut self,
        field: &'static str,
        scale: u8,
    ) -> Result<Option<i128>, StateError> {
        match self.u8(field)? {
            0 => Ok(None),
            1 => self.minor(field, scale).map(Some),
            _ => Err(bad(field, "presence byte not 0 or 1")),
        }
    }
    fn optional_u64(&mut self, field: &'static str) -> Result<Option<u64>, StateError> {
        match self.u8(field)? {
            0 => Ok(None),
            1 => self.u64(field).map(Some),
            _ => Err(bad(field, "presence byte not 0 or 1")),
        }
    }
}
