//! Replay: read a journal image, check every record, and rebuild the ledger from it.
//!
//! Two cores work at once: a scoped thread hashes records and checks sequence numbers and links
//! ahead of the main thread, which decodes and applies each record only after it was checked. The
//! first bad record, in journal order, is the one reported.

use std::sync::mpsc;

use ledger_core::{Attribution, BatchError, Command, Ledger, Policy, Reply};

use crate::checkpoint::{
    Checkpoint, CheckpointKey, CHECKPOINT_BODY_BYTES, CHECKPOINT_OFFSET_DIGEST,
    CHECKPOINT_OFFSET_MAC,
};
use crate::codec;
use crate::error::{Corruption, CorruptionReason};
use crate::journal::{scan_frames, torn_or_corrupt, Head, TornTail};
use crate::outcome::{first_difference, outcome_of};
use crate::profile::{split_genesis_body, CryptoProfile};
use crate::record::{checkpoint_digest, hash_at, parse_frame, Frame, Hash, RecordKind};

/// Records hashed between two messages from the hashing thread.
const HASH_CHUNK_RECORDS: usize = 1024;
/// Records applied between two progress reports.
const PROGRESS_EVERY_RECORDS: u64 = 4096;

/// How far a replay or verification has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Records replayed or checked so far.
    pub records_done: u64,
    /// Records in the journal (a torn tail not counted); while a journal is replayed as it is
    /// read (`timebank verify --replay`), an estimate from the bytes read so far.
    pub records_total: u64,
}

/// What a replay found.
#[derive(Debug)]
pub struct Replayed {
    /// The ledger rebuilt by replaying every valid record.
    pub ledger: Ledger,
    /// The genesis record's body exactly as journaled: the policy's JSON, with the cryptographic
    /// profile member when the record has one.
    pub policy_json: Vec<u8>,
    /// The cryptographic profile the genesis record names.
    pub profile: CryptoProfile,
    /// The last valid record.
    pub head: Head,
    /// Bytes after the last valid record that a crash left (not yet cut).
    pub torn: Option<TornTail>,
    /// Records replayed, genesis included.
    pub records: u64,
    /// Checkpoints whose state digest was checked (and MAC, when a key was given).
    pub checkpoints: u64,
    /// The last checkpoint record replayed, if any.
    pub last_checkpoint: Option<Checkpoint>,
}

/// Called for every command record after it was applied: sequence, command, reply, ledger.
pub type Observer<'a> = &'a mut dyn FnMut(u64, &Command, &Reply, &Ledger);

/// What a replay asks of its caller around each command record it applies.
pub trait ReplayHost {
    /// Before the command of record `sequence` applies at `now`: loads back what it names of
    /// the transfers the ledger evicted (docs/FORMAT.md §16.4). An error (the store holding the
    /// evicted transfers could not be read) stops the replay as damage of the index. By
    /// default nothing: a host that never evicts has nothing to load.
    fn prepare(
        &mut self,
        _sequence: u64,
        _command: &Command,
        _now: u64,
        _ledger: &mut Ledger,
    ) -> Result<(), String> {
        Ok(())
    }
    /// After it applied and its outcome matched the recorded one (the ledger may evict then).
    fn applied(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &mut Ledger);

    /// The checkpoint of record `sequence` holds a digest of an earlier format (§5.2.1,
    /// §5.2.2) that the ledger cannot compute once it evicted: the replay stops there, and a
    /// host that evicts starts it again, evicting only after that record. By default nothing
    /// (a host that never evicts can always compute it).
    fn needs_history(&mut self, _sequence: u64) {}

    /// Applies the command of record `sequence` by `who` at `now`: by default
    /// [`ReplayHost::prepare`], then [`Ledger::execute_by`]. An `Err` stops the replay as
    /// `prepare`'s does.
    fn execute(
        &mut self,
        sequence: u64,
        command: &Command,
        who: Attribution,
        now: u64,
        ledger: &mut Ledger,
    ) -> Result<Result<Reply, BatchError>, String> {
        self.prepare(sequence, command, now, ledger)?;
        Ok(ledger.execute_by(command, who, now))
    }
}

/// A host that only observes: nothing is evicted, so nothing is loaded.
struct Observing<'a, 'b>(&'a mut Observer<'b>);

impl ReplayHost for Observing<'_, '_> {
    fn applied(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &mut Ledger) {
        (self.0)(sequence, command, reply, ledger)
    }
}

enum Verdict {
    /// Records before this index have good hashes, sequence numbers and links.
    Good(usize),
    /// Records before the index are good; this one is not.
    Bad(usize, CorruptionReason),
}

/// A state to resume from: the ledger after record `sequence` (a snapshot's).
#[derive(Debug)]
pub struct Resume {
    /// The record the state follows.
    pub sequence: u64,
    /// The state.
    pub ledger: Ledger,
}

/// Replays a journal image. Checks every checksum, link, sequence number, body and checkpoint
/// digest, and every checkpoint MAC when `key` is given.
pub fn replay(
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
    mut observer: Observer<'_>,
) -> Result<Replayed, Corruption> {
    replay_from(bytes, key, None, progress, &mut Observing(&mut observer))
}

/// [`replay`], starting from `resume`'s state: the records up to its sequence are checked for
/// checksum, link, sequence number and time as always, but not decoded or applied (the state
/// after them is `resume`'s), and `host` sees only the records after it.
pub fn replay_from(
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    resume: Option<Resume>,
    progress: &mut dyn FnMut(Progress),
    host: &mut dyn ReplayHost,
) -> Result<Replayed, Corruption> {
    replay_image(bytes, None, key, resume, progress, host)
}

/// Where an image of the journal's tail starts ([`crate::segment::read_journal_tail`]).
#[derive(Debug, Clone, Copy)]
pub struct Tail<'a> {
    /// The journal's genesis record, whole (it gives the profile and the policy).
    pub genesis: &'a [u8],
    /// The sequence number of the image's first record (at least 1).
    pub sequence: u64,
    /// The hash its `prev_hash` must hold (its segment header's binding).
    pub prev_hash: Hash,
    /// Where the image starts in the whole journal's image.
    pub offset: u64,
}

/// [`replay_from`] over an image of the journal's tail, resumed from a state at or after the
/// tail's first record: the records before the tail are not read at all (the genesis record
/// aside). Offsets and sequence numbers in the result and in errors are the whole journal's.
pub fn replay_tail(
    bytes: &[u8],
    tail: Tail<'_>,
    key: Option<&CheckpointKey>,
    resume: Resume,
    host: &mut dyn ReplayHost,
) -> Result<Replayed, Corruption> {
    replay_image(bytes, Some(tail), key, Some(resume), &mut |_| {}, host)
}

fn replay_image(
    bytes: &[u8],
    tail: Option<Tail<'_>>,
    key: Option<&CheckpointKey>,
    mut resume: Option<Resume>,
    progress: &mut dyn FnMut(Progress),
    host: &mut dyn ReplayHost,
) -> Result<Replayed, Corruption> {
    let (first, base, prev) = tail.map_or((0, 0, [0; 32]), |t| (t.sequence, t.offset, t.prev_hash));
    let scan = scan_frames(bytes).map_err(|mut c| {
        c.sequence += first;
        c.offset += base;
        c
    })?;
    let frames = &scan.frames;
    let total = first + frames.len() as u64;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Verdict>(64);
        scope.spawn(move || hash_and_link(bytes, frames, (first, prev), tx));
        let mut state = ReplayState::default();
        if let Some(tail) = tail {
            let genesis = parse_frame(tail.genesis, 0)
                .ok()
                .filter(|g| g.hash_matches() && g.sequence() == 0 && g.len() == tail.genesis.len())
                .ok_or(Corruption {
                    segment: None,
                    sequence: 0,
                    offset: 0,
                    reason: CorruptionReason::Genesis("the genesis record does not read whole"),
                })?;
            state.apply(&genesis, key, host)?;
            // The records between the genesis and the tail are in the state resumed from.
            state.records = first;
        }
        let mut verified = 0usize;
        let mut bad: Option<(usize, CorruptionReason)> = None;
        let mut torn = scan.torn.clone();
        for (i, &(offset, len)) in frames.iter().enumerate() {
            while verified <= i && bad.is_none() {
                // Invariant: the hashing thread sends a final verdict for every frame.
                match rx.recv().expect("the hashing thread reports every frame") {
                    Verdict::Good(upto) => verified = upto,
                    Verdict::Bad(index, reason) => {
                        verified = index;
                        bad = Some((index, reason));
                    }
                }
            }
            let sequence = first + i as u64;
            if i >= verified {
                let (index, reason) = bad.take().expect("an unverified frame has a verdict");
                debug_assert_eq!(index, i);
                // Only a bad checksum can be a torn write: a record with a good hash was
                // written whole, so a wrong sequence number or link in it is damage.
                if reason != CorruptionReason::Checksum {
                    return Err(Corruption {
                        segment: None,
                        sequence,
                        offset: base + offset,
                        reason,
                    });
                }
                torn_or_corrupt(bytes, offset as usize, sequence, reason).map_err(|mut c| {
                    c.offset += base;
                    c
                })?;
                torn = Some(TornTail {
                    offset: base + offset,
                    len: bytes.len() as u64 - offset,
                    sequence,
                    why: "the record's checksum does not match".into(),
                });
                break;
            }
            // Invariant: scan_frames parsed this frame.
            let frame = parse_frame(
                &bytes[offset as usize..offset as usize + len as usize],
                base + offset,
            )
            .expect("scanned frame parses");
            let resumed = resume.as_ref().map(|r| r.sequence);
            match resumed {
                // The genesis record is applied always: it gives the profile and policy.
                Some(at) if sequence > 0 && sequence <= at => state.skip(&frame)?,
                _ => state.apply(&frame, key, host)?,
            }
            if resumed == Some(sequence) {
                state.ledger = resume.take().map(|r| r.ledger);
            }
            if state.records % PROGRESS_EVERY_RECORDS == 0 {
                progress(Progress {
                    records_done: state.records,
                    records_total: total,
                });
            }
        }
        if let (Some(at), Some(_)) = (resume.as_ref().map(|r| r.sequence), tail) {
            // The tail ended before the record the state follows.
            return Err(Corruption {
                segment: None,
                sequence: at,
                offset: base + bytes.len() as u64,
                reason: CorruptionReason::Genesis("the journal ends before the snapshot's record"),
            });
        }
        state.finish(torn, total, progress)
    })
}

/// A replay fed one record at a time, in journal order, each already checked for its checksum,
/// sequence number and link (by a reader of the journal in pieces,
/// [`crate::audit_stream::read_in_pieces`]).
pub(crate) struct Stepper<'k> {
    state: ReplayState,
    key: Option<&'k CheckpointKey>,
}

impl<'k> Stepper<'k> {
    pub(crate) fn new(key: Option<&'k CheckpointKey>) -> Stepper<'k> {
        Stepper {
            state: ReplayState::default(),
            key,
        }
    }

    /// Applies the next record (its time, body and checkpoint digest checked as [`replay`]
    /// does).
    pub(crate) fn step(
        &mut self,
        frame: &Frame<'_>,
        host: &mut dyn ReplayHost,
    ) -> Result<(), Corruption> {
        self.state.apply(frame, self.key, host)
    }

    /// Records applied so far.
    pub(crate) fn records(&self) -> u64 {
        self.state.records
    }

    /// The profile the genesis record named (the standard one before it is applied).
    pub(crate) fn profile(&self) -> CryptoProfile {
        self.state.profile
    }

    /// The state so far (none before the genesis record).
    pub(crate) fn ledger(&self) -> Option<&Ledger> {
        self.state.ledger.as_ref()
    }

    /// What the records applied make.
    pub(crate) fn finish(self, progress: &mut dyn FnMut(Progress)) -> Result<Replayed, Corruption> {
        let total = self.state.records;
        self.state.finish(None, total, progress)
    }
}

/// The hashing thread: checksum, sequence number and link of every frame, in order.
fn hash_and_link(
    bytes: &[u8],
    frames: &[(u64, u32)],
    (first, mut prev): (u64, Hash),
    tx: mpsc::SyncSender<Verdict>,
) {
    for (i, &(offset, len)) in frames.iter().enumerate() {
        let frame = Frame {
            offset,
            bytes: &bytes[offset as usize..offset as usize + len as usize],
        };
        let stored = frame.stored_hash();
        let reason = if stored != frame.computed_hash() {
            Some(CorruptionReason::Checksum)
        } else if frame.sequence() != first + i as u64 {
            Some(CorruptionReason::Sequence {
                found: frame.sequence(),
            })
        } else if frame.prev_hash() != prev {
            Some(CorruptionReason::BrokenLink)
        } else {
            None
        };
        if let Some(reason) = reason {
            let _ = tx.send(Verdict::Bad(i, reason));
            return;
        }
        prev = stored;
        if (i + 1) % HASH_CHUNK_RECORDS == 0 && tx.send(Verdict::Good(i + 1)).is_err() {
            return; // the replay stopped early
        }
    }
    let _ = tx.send(Verdict::Good(frames.len()));
}

#[derive(Default)]
struct ReplayState {
    ledger: Option<Ledger>,
    policy_json: Vec<u8>,
    profile: CryptoProfile,
    head: Option<Head>,
    records: u64,
    checkpoints: u64,
    last_checkpoint: Option<Checkpoint>,
}

impl ReplayState {
    fn apply(
        &mut self,
        frame: &Frame<'_>,
        key: Option<&CheckpointKey>,
        host: &mut dyn ReplayHost,
    ) -> Result<(), Corruption> {
        let corrupt = |reason| Corruption {
            segment: None,
            sequence: frame.sequence(),
            offset: frame.offset,
            reason,
        };
        let now = frame.now();
        if let Some(head) = self.head {
            if now < head.now {
                return Err(corrupt(CorruptionReason::TimeWentBack {
                    found: now,
                    previous: head.now,
                }));
            }
        }
        match (frame.kind(), self.ledger.as_mut()) {
            (RecordKind::Genesis, None) => {
                let (profile, policy) = split_genesis_body(frame.body())
                    .map_err(|e| corrupt(CorruptionReason::Policy(e)))?;
                let policy: Policy = serde_json::from_slice(&policy)
                    .map_err(|e| corrupt(CorruptionReason::Policy(e.to_string())))?;
                self.profile = profile;
                let ledger = Ledger::with_policy(&policy)
                    .map_err(|e| corrupt(CorruptionReason::Policy(e.to_string())))?;
                self.ledger = Some(ledger);
                self.policy_json = frame.body().to_vec();
            }
            (_, None) => {
                return Err(corrupt(CorruptionReason::Genesis(
                    "the first record is not a genesis record",
                )))
            }
            (RecordKind::Genesis, Some(_)) => {
                return Err(corrupt(CorruptionReason::Genesis(
                    "a genesis record after the first",
                )))
            }
            (RecordKind::Command, Some(ledger)) => {
                let (command, recorded, who) =
                    codec::decode_record_body(frame.body(), frame.version())
                        .map_err(|e| corrupt(CorruptionReason::Body(e)))?;
                let reply = host
                    .execute(frame.sequence(), &command, who, now, ledger)
                    .map_err(|e| corrupt(CorruptionReason::Index(e)))?
                    .map_err(|e| corrupt(CorruptionReason::Replay(e.to_string())))?;
                let engine = outcome_of(&command, &reply, ledger);
                if engine != recorded {
                    let why = first_difference(&recorded, &engine);
                    return Err(corrupt(CorruptionReason::OutcomeDiffers(why)));
                }
                host.applied(frame.sequence(), &command, &reply, ledger);
            }
            (RecordKind::Checkpoint, Some(ledger)) => {
                let checkpoint = checkpoint_of(frame).map_err(corrupt)?;
                let digest = checkpoint_digest(ledger, frame.version());
                if digest.is_none() {
                    host.needs_history(frame.sequence());
                }
                if digest != Some(checkpoint.state_digest) {
                    return Err(corrupt(CorruptionReason::CheckpointDigest));
                }
                if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
                    return Err(corrupt(CorruptionReason::CheckpointMac));
                }
                self.checkpoints += 1;
                self.last_checkpoint = Some(checkpoint);
            }
        }
        self.records += 1;
        self.head = Some(Head {
            sequence: frame.sequence(),
            hash: frame.stored_hash(),
            now,
            len: frame.offset + frame.len() as u64,
        });
        Ok(())
    }

    /// Notes a record whose effect is already in the state resumed from.
    fn skip(&mut self, frame: &Frame<'_>) -> Result<(), Corruption> {
        let now = frame.now();
        if let Some(head) = self.head.filter(|head| now < head.now) {
            return Err(Corruption {
                segment: None,
                sequence: frame.sequence(),
                offset: frame.offset,
                reason: CorruptionReason::TimeWentBack {
                    found: now,
                    previous: head.now,
                },
            });
        }
        self.records += 1;
        self.head = Some(Head {
            sequence: frame.sequence(),
            hash: frame.stored_hash(),
            now,
            len: frame.offset + frame.len() as u64,
        });
        Ok(())
    }

    fn finish(
        self,
        torn: Option<TornTail>,
        total: u64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Replayed, Corruption> {
        let (Some(ledger), Some(head)) = (self.ledger, self.head) else {
            return Err(Corruption {
                segment: None,
                sequence: 0,
                offset: 0,
                reason: CorruptionReason::Genesis(
                    "no complete genesis record (the ledger's creation did not finish)",
                ),
            });
        };
        progress(Progress {
            records_done: self.records,
            records_total: total,
        });
        Ok(Replayed {
            ledger,
            policy_json: self.policy_json,
            profile: self.profile,
            head,
            torn,
            records: self.records,
            checkpoints: self.checkpoints,
            last_checkpoint: self.last_checkpoint,
        })
    }
}

/// The checkpoint a checkpoint record states.
pub fn checkpoint_of(frame: &Frame<'_>) -> Result<Checkpoint, CorruptionReason> {
    let body = frame.body();
    if body.len() != CHECKPOINT_BODY_BYTES || frame.sequence() == 0 {
        return Err(CorruptionReason::CheckpointBody);
    }
    Ok(Checkpoint {
        sequence: frame.sequence() - 1,
        head_hash: frame.prev_hash(),
        state_digest: hash_at(body, CHECKPOINT_OFFSET_DIGEST),
        mac: hash_at(body, CHECKPOINT_OFFSET_MAC),
    })
}
