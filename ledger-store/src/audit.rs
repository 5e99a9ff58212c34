//! Verification at hash speed: every frame, checksum, sequence number, link and time, every body
//! decoded canonically, every checkpoint MAC (with the key), and every account's balances summed
//! from the records' outcomes (`docs/FORMAT.md` §4.6) without running the engine.
//!
//! Both cores work: each thread checks the hashes and sums the outcomes of half of the records;
//! the halves' sums are then added (sums commute). The chain, times and checkpoints are checked
//! in order afterwards, which costs little. A replay (`replay.rs`) checks more (the engine
//! agrees with every outcome, checkpoint digests), at engine speed.

use std::collections::HashMap;

use ledger_core::limits::UNIT_SCALE_MAX;
use ledger_core::{Account, AccountId, Amount, Command, Ledger, Policy, ResultCode, TransferFlags};

use crate::checkpoint::CheckpointKey;
use crate::codec::decode_record_body;
use crate::error::{Corruption, CorruptionReason};
use crate::id_hasher::IdHashMap;
use crate::journal::{scan_frames, torn_or_corrupt, Head, TornTail};
use crate::outcome::{applied, Outcome};
use crate::profile::split_genesis_body;
use crate::record::{parse_frame, Frame, RecordKind};
use crate::replay::checkpoint_of;

/// An account's four totals in millionths of its unit (`UNIT_SCALE_MAX` decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Debits of holds not yet resolved.
    pub debits_pending: i128,
    /// Debits applied for good.
    pub debits_posted: i128,
    /// Credits of holds not yet resolved.
    pub credits_pending: i128,
    /// Credits applied for good.
    pub credits_posted: i128,
}

impl Totals {
    /// The totals of an account of the engine (minor units of its unit), in millionths.
    pub fn of(account: &Account) -> Totals {
        let up = 10i128.pow(UNIT_SCALE_MAX - u32::from(account.scale));
        let b = &account.balances;
        Totals {
            debits_pending: b.debits_pending * up,
            debits_posted: b.debits_posted * up,
            credits_pending: b.credits_pending * up,
            credits_posted: b.credits_posted * up,
        }
    }

    fn add(&mut self, other: &Totals) {
        self.debits_pending += other.debits_pending;
        self.debits_posted += other.debits_posted;
        self.credits_pending += other.credits_pending;
        self.credits_posted += other.credits_posted;
    }
}

fn amount_millionths(amount: Amount) -> i128 {
    i128::from(amount.micros())
}

/// What an audit found.
#[derive(Debug)]
pub struct Audit {
    /// How many complete records verified (genesis and checkpoints included; a torn tail not).
    pub records: u64,
    /// The last verified record: its sequence number, hash, `now` and the journal length up to it.
    pub head: Head,
    /// How many checkpoint records the journal holds.
    pub checkpoints: u64,
    /// Every account created, with its unit and its totals summed from the outcomes.
    pub accounts: HashMap<AccountId, (u16, Totals)>,
    /// Transfers the ledger holds: every applied transfer, operation movement, released hold
    /// and sweep in the outcomes.
    pub transfers: u64,
    /// The incomplete or checksum-failing last records, if any: reported, never cut by an audit.
    pub torn: Option<TornTail>,
}

/// Sums of one slice of records.
#[derive(Default)]
pub(crate) struct Part {
    created: Vec<(AccountId, u16)>,
    moved: IdHashMap<AccountId, Totals>,
    transfers: u64,
    /// The first bad record of the slice, where checking stopped.
    bad: Option<(usize, CorruptionReason)>,
}

impl Part {
    fn totals(&mut self, id: AccountId) -> &mut Totals {
        self.moved.entry(id).or_default()
    }

    fn post(&mut self, debit: AccountId, credit: AccountId, amount: i128) {
        self.totals(debit).debits_posted += amount;
        self.totals(credit).credits_posted += amount;
    }

    fn hold(&mut self, debit: AccountId, credit: AccountId, amount: i128) {
        self.totals(debit).debits_pending += amount;
        self.totals(credit).credits_pending += amount;
    }

    /// One applied transfer (FORMAT.md §4.6).
    fn apply(&mut self, flags: TransferFlags, d: AccountId, c: AccountId, a: i128, held: i128) {
        self.transfers += 1;
        if flags.contains(TransferFlags::PENDING) {
            self.hold(d, c, a);
        } else if flags.contains(TransferFlags::POST_PENDING) {
            self.hold(d, c, -held);
            self.post(d, c, a);
        } else if flags.contains(TransferFlags::VOID_PENDING) {
            self.hold(d, c, -a);
        } else {
            self.post(d, c, a);
        }
    }

    /// Checks one frame's hash, then decodes its body and sums its outcomes.
    pub(crate) fn check(&mut self, frame: &Frame<'_>) -> Result<(), CorruptionReason> {
        match frame.hash_matches() {
            true => self.record(frame),
            false => Err(CorruptionReason::Checksum),
        }
    }

    fn record(&mut self, frame: &Frame<'_>) -> Result<(), CorruptionReason> {
        if frame.kind() != RecordKind::Command {
            return Ok(());
        }
        let (command, outcome, _) =
            decode_record_body(frame.body(), frame.version()).map_err(CorruptionReason::Body)?;
        match (&command, &outcome) {
            (Command::CreateAccounts(items), Outcome::Events(events)) => {
                for (item, event) in items.iter().zip(events) {
                    if event.code == ResultCode::Ok {
                        self.created.push((item.id, item.unit));
                    }
                }
            }
            (Command::CreateTransfers(items), Outcome::Events(events)) => {
                for (item, event) in items.iter().zip(events) {
                    if event.code != ResultCode::Ok {
                        continue;
                    }
                    // decode_body checked that the sides and amount are known.
                    let t = applied(item, &event.resolved).map_err(CorruptionReason::Body)?;
                    let held = t.held.map_or(0, amount_millionths);
                    self.apply(
                        item.flags,
                        t.debit,
                        t.credit,
                        amount_millionths(t.amount),
                        held,
                    );
                }
            }
            (_, Outcome::Operated { made, .. }) => {
                for m in made {
                    let held = m.held.map_or(0, amount_millionths);
                    self.apply(
                        m.flags,
                        m.debit,
                        m.credit,
                        amount_millionths(m.amount),
                        held,
                    );
                }
            }
            (_, Outcome::Expired { released, swept }) => {
                for m in released {
                    self.transfers += 1;
                    self.hold(m.debit, m.credit, -amount_millionths(m.amount));
                }
                for s in swept {
                    self.transfers += 1;
                    let m = &s.movement;
                    self.post(m.debit, m.credit, amount_millionths(m.amount));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Checks and sums the records `frames` (their index in the journal starts at `first`), up to
/// the first bad one, which it names.
fn check_part(bytes: &[u8], frames: &[(u64, u32)], first: usize) -> Part {
    let mut part = Part::default();
    for (i, &(offset, len)) in frames.iter().enumerate() {
        let raw = &bytes[offset as usize..offset as usize + len as usize];
        // Invariant: scan_frames parsed this frame.
        let frame = parse_frame(raw, offset).expect("scanned frame parses");
        if let Err(reason) = part.check(&frame) {
            part.bad = Some((first + i, reason));
            break;
        }
    }
    part
}

/// Audits a journal image without the engine (see the module docs). With `key`, every
/// checkpoint's MAC is checked; without it, only its place in the chain.
pub fn audit(bytes: &[u8], key: Option<&CheckpointKey>) -> Result<Audit, Corruption> {
    let scan = scan_frames(bytes)?;
    let mut frames = scan.frames.as_slice();
    let mut torn = scan.torn.clone();
    let middle = frames.len() / 2;
    let (a, b) = std::thread::scope(|s| {
        let second = s.spawn(|| check_part(bytes, &frames[middle..], middle));
        let first = check_part(bytes, &frames[..middle], 0);
        (
            first,
            second.join().expect("the audit thread does not panic"),
        )
    });
    let mut parts = Vec::new();
    for mut part in [a, b] {
        let bad = part.bad.take();
        parts.push(part);
        if let Some((index, reason)) = bad {
            {
                let offset = frames[index].0;
                // The first bad record in journal order, as a replay finds it: the chain before
                // this record first; a bad checksum outranks all else in the record itself,
                // its sequence number, link and time outrank its body.
                if reason != CorruptionReason::Checksum {
                    check_chain(bytes, &frames[..=index], key)?;
                    return Err(Corruption {
                        segment: None,
                        sequence: index as u64,
                        offset,
                        reason,
                    });
                }
                if index > 0 {
                    check_chain(bytes, &frames[..index], key)?;
                }
                // A checksum failing in the last records with nothing valid after: a torn tail.
                torn_or_corrupt(bytes, offset as usize, index as u64, reason)?;
                torn = Some(TornTail {
                    offset,
                    len: bytes.len() as u64 - offset,
                    sequence: index as u64,
                    why: "the record's checksum does not match".into(),
                });
                frames = &frames[..index];
                break;
            }
        }
    }
    let (head, checkpoints) = check_chain(bytes, frames, key)?;
    let (accounts, transfers) = sum_parts(parts, head)?;
    Ok(Audit {
        records: frames.len() as u64,
        head,
        checkpoints,
        accounts,
        transfers,
        torn,
    })
}

/// Every account created, with its unit and totals.
type Summed = HashMap<AccountId, (u16, Totals)>;

/// Every created account with the totals the parts summed for it, and the transfers counted;
/// an account moved but never created is corruption, named at the `head`.
pub(crate) fn sum_parts(parts: Vec<Part>, head: Head) -> Result<(Summed, u64), Corruption> {
    let created = parts.iter().map(|p| p.created.len()).sum();
    let mut sums: IdHashMap<AccountId, (u16, Totals)> = IdHashMap::default();
    sums.reserve(created);
    for part in &parts {
        for &(id, unit) in &part.created {
            sums.insert(id, (unit, Totals::default()));
        }
    }
    let mut transfers = 0;
    for part in parts {
        transfers += part.transfers;
        for (id, totals) in part.moved {
            let Some((_, sum)) = sums.get_mut(&id) else {
                return Err(Corruption {
                    segment: None,
                    sequence: head.sequence,
                    offset: head.len,
                    reason: CorruptionReason::Body(crate::codec::DecodeError::Field {
                        field: "outcome",
                        why: "a transfer moves an account that was never created",
                    }),
                });
            };
            sum.add(&totals);
        }
    }
    Ok((sums.into_iter().collect(), transfers))
}

/// Sequence numbers, links, times, the genesis record and checkpoints, in order.
fn check_chain(
    bytes: &[u8],
    frames: &[(u64, u32)],
    key: Option<&CheckpointKey>,
) -> Result<(Head, u64), Corruption> {
    let mut chain = Chain::default();
    for &(offset, len) in frames {
        let raw = &bytes[offset as usize..offset as usize + len as usize];
        let frame = parse_frame(raw, offset).expect("scanned frame parses");
        chain.next(&frame, key)?;
    }
    Ok((chain.head()?, chain.checkpoints))
}

/// The checks of the chain, record after record in journal order (each frame's `offset` its
/// place in the journal image): sequence numbers, links, times, the genesis record and
/// checkpoints (their MACs with a key).
#[derive(Debug, Default)]
pub(crate) struct Chain {
    head: Option<Head>,
    /// Checkpoint records seen.
    pub(crate) checkpoints: u64,
}

impl Chain {
    /// Checks the next record.
    pub(crate) fn next(
        &mut self,
        frame: &Frame<'_>,
        key: Option<&CheckpointKey>,
    ) -> Result<(), Corruption> {
        let i = self.head.map_or(0, |h| h.sequence + 1);
        let offset = frame.offset;
        let corrupt = |reason| Corruption {
            segment: None,
            sequence: i,
            offset,
            reason,
        };
        if frame.sequence() != i {
            return Err(corrupt(CorruptionReason::Sequence {
                found: frame.sequence(),
            }));
        }
        if frame.prev_hash() != self.head.map_or([0; 32], |h| h.hash) {
            return Err(corrupt(CorruptionReason::BrokenLink));
        }
        if let Some(h) = self.head {
            if frame.now() < h.now {
                return Err(corrupt(CorruptionReason::TimeWentBack {
                    found: frame.now(),
                    previous: h.now,
                }));
            }
        }
        match (frame.kind(), i) {
            (RecordKind::Genesis, 0) => check_policy(frame.body()).map_err(corrupt)?,
            (_, 0) => {
                return Err(corrupt(CorruptionReason::Genesis(
                    "the first record is not a genesis record",
                )))
            }
            (RecordKind::Genesis, _) => {
                return Err(corrupt(CorruptionReason::Genesis(
                    "a genesis record after the first",
                )))
            }
            (RecordKind::Checkpoint, _) => {
                let checkpoint = checkpoint_of(frame).map_err(corrupt)?;
                if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
                    return Err(corrupt(CorruptionReason::CheckpointMac));
                }
                self.checkpoints += 1;
            }
            (RecordKind::Command, _) => {}
        }
        self.head = Some(Head {
            sequence: i,
            hash: frame.stored_hash(),
            now: frame.now(),
            len: offset + frame.len() as u64,
        });
        Ok(())
    }

    /// The last record checked; an error when there was none (no genesis).
    pub(crate) fn head(&self) -> Result<Head, Corruption> {
        self.head.ok_or(Corruption {
            segment: None,
            sequence: 0,
            offset: 0,
            reason: CorruptionReason::Genesis(
                "no complete genesis record (the ledger's creation did not finish)",
            ),
        })
    }
}

/// The genesis record's policy is one the engine accepts (as a replay would find).
fn check_policy(body: &[u8]) -> Result<(), CorruptionReason> {
    let (_, policy) = split_genesis_body(body).map_err(CorruptionReason::Policy)?;
    let policy: Policy =
        serde_json::from_slice(&policy).map_err(|e| CorruptionReason::Policy(e.to_string()))?;
    Ledger::with_policy(&policy).map_err(|e| CorruptionReason::Policy(e.to_string()))?;
    Ok(())
}
