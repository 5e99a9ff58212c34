//! Errors. Corruption (the journal or index does not verify) is its own type, never folded into
//! I/O: an I/O error may go away on retry, corruption never does.

use std::fmt;
use std::path::PathBuf;

use crate::codec::DecodeError;
use crate::record::{FrameError, FORMAT_VERSION, FORMAT_VERSION_MIN};

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The journal (or the index checked against it) does not verify. Nothing was repaired.
    #[error(transparent)]
    Corrupted(#[from] Corruption),
    /// The sled index failed (see [`IndexError::kind`] for how). The journal is unaffected;
    /// reopening the store or `rebuild_index` recreates the index.
    #[error("index (sled) error: {0}")]
    Index(#[from] IndexError),
    /// The engine refused the whole batch before looking at any event; nothing was journaled.
    #[error("batch refused: {0}")]
    Batch(#[from] ledger_core::BatchError),
    /// A statement was asked of an unknown account, or with a page size out of range.
    #[error(transparent)]
    Statement(#[from] ledger_core::StatementError),
    /// The policy given to `Store::create` is invalid.
    #[error("invalid policy: {0}")]
    Policy(String),
    /// Creating a ledger where one already is (a journal with a complete genesis record);
    /// nothing was changed. Holds the directory.
    #[error("a ledger already exists in {0}")]
    AlreadyExists(PathBuf),
    /// Opening a directory that holds no ledger (no journal segment); nothing was read or
    /// written. Holds the directory.
    #[error("no ledger in {0} (no journal file)")]
    NotFound(PathBuf),
    /// The journal holds no complete record: a creation (`create`, `create_from_genesis`)
    /// stopped before its genesis record was durable, so nothing was ever acknowledged in it.
    /// Nothing was changed; creating the ledger again in the same directory clears it.
    #[error(
        "{0} holds an unfinished ledger creation (a journal without a complete genesis \
         record; nothing in it was ever acknowledged): create the ledger again there, which \
         clears it"
    )]
    UnfinishedCreation(PathBuf),
    /// Another open store (in this process or another) holds the data directory's lock file.
    /// Nothing was read or changed; close the other store first.
    #[error(
        "the ledger in {0} is in use: another open store holds its lock file (LOCK); close it \
         first"
    )]
    Locked(PathBuf),
    /// The bytes given to `Store::create_from_genesis` are not exactly one valid genesis
    /// record. Nothing was written.
    #[error("not a valid genesis record: {0}")]
    InvalidGenesis(String),
    /// `checkpoint()` needs the key in `StoreOptions::checkpoint_key`.
    #[error("no checkpoint key was given in the store options")]
    NoCheckpointKey,
    /// A checkpoint text does not parse.
    #[error("not a checkpoint text: {0}")]
    CheckpointText(&'static str),
    /// The write or `fdatasync` of the record that holds this command failed, so whether it is
    /// durable is unknown: the bytes may all have reached the disk. The store is poisoned.
    /// Reopen it and look for `sequence` (or for the command's own ids, e.g. with
    /// `Store::transfer`): the record is either wholly there or cut back as a torn tail, never
    /// half applied. Do not resubmit under new ids before checking, or the command may apply
    /// twice; resubmitting with the same ids is safe (the engine answers "exists").
    #[error(
        "the outcome of record {sequence} is unknown: its write or sync failed ({error}), but it \
         may be durable; reopen the ledger and check for it before retrying"
    )]
    OutcomeUnknown {
        /// The journal record that would hold the command (its sequence number once durable).
        sequence: u64,
        /// The failed write's or sync's own error.
        error: std::io::Error,
    },
    /// An earlier write or sync failed, so the in-memory state may be ahead of the disk. Every
    /// later write fails with this; reopen the store to continue from what is durable.
    #[error("the store stopped after a failed write or sync; reopen it")]
    Poisoned,
    /// `Store::submit_in` or `Store::checkpoint_in` was asked for a format version this binary
    /// cannot write the record in. Nothing was done.
    #[error("cannot write a record in format version {version}: {why}")]
    UnwritableVersion {
        /// The format version asked for.
        version: u8,
        /// Why it cannot be written.
        why: &'static str,
    },
    /// The store was opened read-only (`StoreOptions::read_only`); nothing was done.
    #[error("the ledger was opened read-only; nothing was written")]
    ReadOnly,
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// A signing key of one cryptographic profile was used on a ledger of the other.
    #[error("the ledger's profile is {ledger} but the signing key is {key}")]
    WrongProfile {
        /// The ledger's profile, by name.
        ledger: &'static str,
        /// The key's profile, by name.
        key: &'static str,
    },
    /// A proof was asked for records or tree sizes the ledger does not have.
    #[error("no proof: {0}")]
    NoProof(String),
    /// A signed checkpoint does not match this ledger: its tree of that size has another root
    /// (the checkpoint is of another ledger, or this ledger's history was rewritten).
    #[error("the checkpoint does not match this ledger: {0}")]
    CheckpointMismatch(String),
    /// The time guard ([`crate::TimeGuard`]) refused the caller's `now`: it is not a plausible
    /// wall-clock time. Nothing was applied or journaled.
    #[error("implausible time: {0}")]
    InvalidTime(#[from] crate::time_guard::TimeRefusal),
}

/// A failure of the sled index, which is derived data: the journal is unaffected by it, and
/// reopening the store (or `Store::rebuild_index`) recreates the index from the journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IndexError {
    kind: IndexErrorKind,
    message: String,
}

impl IndexError {
    /// An index failure of `kind`, described by `message`.
    pub(crate) fn new(kind: IndexErrorKind, message: impl Into<String>) -> IndexError {
        IndexError {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> IndexErrorKind {
        self.kind
    }

    /// What failed, in words (sled's own, or the store's); also the error's `Display`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What kind of failure an [`IndexError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexErrorKind {
    /// sled found its files damaged, or the index found damage in its own entries. Opening the
    /// store rebuilds an index sled reports damaged.
    Corrupted,
    /// Reading or writing the index's files failed.
    Io,
    /// Another open database holds sled's lock on the index directory (sled releases it
    /// from background threads shortly after a store closes).
    Locked,
    /// sled refused the index as it is (a use or a file it does not support). Opening the
    /// store rebuilds such an index.
    Unsupported,
    /// sled failed in an unexpected way: a panic inside it (caught, so the process goes on)
    /// or a bug it reports.
    Failed,
    /// An earlier update of the index failed, so the store stopped updating it: every query
    /// that needs the index fails with this until the store is reopened (which catches the
    /// index up or rebuilds it) or `Store::rebuild_index` runs. Commits go on.
    Stopped,
}

/// Where the journal stops verifying, and why.
///
/// When the reason is [`CorruptionReason::Index`] the journal itself verified: `sequence` and
/// `offset` are its head and end, and the fault is the derived index's alone (rebuild it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Corruption {
    /// The sequence number the record at that place should have (records count from 0).
    pub sequence: u64,
    /// Its byte offset in the journal: in the records of every segment laid end to end
    /// (segment headers left out), the offset a journal image read whole has.
    pub offset: u64,
    /// What is wrong there.
    pub reason: CorruptionReason,
    /// The segment file that holds that place and the byte offset in it (header included),
    /// when the journal was read from segment files.
    pub segment: Option<SegmentPlace>,
}

/// A place in a segment file: which segment and the byte offset in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentPlace {
    /// The segment's number (its file is `journal/<number as 8 digits>.tbj`).
    pub index: u64,
    /// The byte offset in that file, its header included.
    pub offset: u64,
}

impl fmt::Display for SegmentPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {:08}, byte offset {}", self.index, self.offset)
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            CorruptionReason::Index(why) => write!(
                f,
                "the index disagrees with the journal ({why}); the journal verifies through \
                 record {} ({} bytes): rebuild the index from it",
                self.sequence, self.offset
            ),
            CorruptionReason::Snapshot { file, why } => write!(
                f,
                "the snapshot snapshots/{file} is damaged ({why}); the journal verifies \
                 through record {} ({} bytes): remove the file (snapshots are derived data)",
                self.sequence, self.offset
            ),
            reason => match self.segment {
                Some(place) => write!(f, "record {} ({place}): {reason}", self.sequence),
                None => write!(
                    f,
                    "record {} at byte offset {}: {reason}",
                    self.sequence, self.offset
                ),
            },
        }
    }
}

impl Corruption {
    /// Whether the fault is the derived index's alone (the journal verified).
    pub fn is_index_only(&self) -> bool {
        matches!(self.reason, CorruptionReason::Index(_))
    }

    /// Whether the fault is a snapshot file's alone (the journal verified).
    pub fn is_snapshot_only(&self) -> bool {
        matches!(self.reason, CorruptionReason::Snapshot { .. })
    }
}

/// Why a record does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorruptionReason {
    /// The frame is not well formed, and valid records follow it (so it is not a torn tail).
    Frame(FrameError),
    /// The stored hash does not match the record's bytes, and valid records follow it.
    Checksum,
    /// An incomplete or checksum-failing last record: a torn write, found by `verify` on a
    /// journal that was not reopened since the crash (opening cuts it back and reports it).
    TornTail,
    /// A whole record whose hash matches but whose format version or record kind this binary
    /// does not know: written by a newer binary (or an older format). Refused, never cut.
    Unreadable {
        /// The record's format version.
        version: u8,
        /// The record's kind.
        kind: u8,
    },
    /// The record's `prev_hash` is not the previous record's hash.
    BrokenLink,
    /// The sequence number is not the previous one plus one.
    Sequence {
        /// The sequence number the record carries.
        found: u64,
    },
    /// The first record is not a genesis record, or a later one is.
    Genesis(&'static str),
    /// `now` is below the previous record's (the store never journals time going back).
    TimeWentBack {
        /// The record's `now` (nanoseconds since the Unix epoch).
        found: u64,
        /// The previous record's `now`.
        previous: u64,
    },
    /// The body does not decode.
    Body(DecodeError),
    /// The policy in the genesis record is not valid.
    Policy(String),
    /// The engine refused the command on replay, though it was accepted when journaled.
    Replay(String),
    /// Replayed through the engine, the command gives another outcome than the one its record
    /// carries (the first difference, such as "event 3: recorded ok, engine says
    /// exceeds_floor").
    OutcomeDiffers(String),
    /// A checkpoint record's body is not 64 bytes, or it is the first record.
    CheckpointBody,
    /// The state digest at a checkpoint differs from the replayed state.
    CheckpointDigest,
    /// The checkpoint's MAC does not verify under the given key.
    CheckpointMac,
    /// A published checkpoint does not hold for this journal.
    Published(&'static str),
    /// The sled index disagrees with the replayed state.
    Index(String),
    /// The segment files do not make one journal: one is missing, duplicated, out of order,
    /// cut short or has a damaged header (the text names the segments).
    Segment(String),
    /// A snapshot file (derived data, like the index) does not check: the journal verified.
    Snapshot {
        /// Its file name in `snapshots/`.
        file: String,
        /// What is wrong with it.
        why: String,
    },
    /// A segment header whose format version this binary does not know: written by a newer
    /// binary. Refused, never cut.
    SegmentUnreadable {
        /// The segment header's format version.
        version: u8,
    },
}

impl fmt::Display for CorruptionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorruptionReason::Frame(e) => write!(f, "bad frame ({e}) with valid records after it"),
            CorruptionReason::Checksum => {
                write!(
                    f,
                    "checksum mismatch (stored hash differs) with valid records after it"
                )
            }
            CorruptionReason::TornTail => {
                write!(
                    f,
                    "torn tail: the last record is incomplete or fails its checksum"
                )
            }
            CorruptionReason::Unreadable { version, kind } => {
                let (min, max) = (FORMAT_VERSION_MIN, FORMAT_VERSION);
                if *version < min {
                    write!(
                        f,
                        "written in format version {version}, which this binary does not read \
                         (it reads format versions {min} to {max})"
                    )
                } else if *version > max {
                    write!(
                        f,
                        "written by a newer timebank (format version {version}); this binary \
                         reads up to {max}"
                    )
                } else {
                    write!(
                        f,
                        "written by a newer timebank (record kind {kind} of format version \
                         {version} is unknown here); this binary reads up to {max}"
                    )
                }
            }
            CorruptionReason::BrokenLink => {
                write!(
                    f,
                    "broken chain: prev_hash is not the previous record's hash"
                )
            }
            CorruptionReason::Sequence { found } => write!(f, "sequence number {found} found"),
            CorruptionReason::Genesis(why) => write!(f, "genesis: {why}"),
            CorruptionReason::TimeWentBack { found, previous } => {
                write!(f, "now {found} is before the previous record's {previous}")
            }
            CorruptionReason::Body(e) => write!(f, "body does not decode: {e}"),
            CorruptionReason::Policy(e) => write!(f, "genesis policy is invalid: {e}"),
            CorruptionReason::Replay(e) => write!(f, "the engine refused the command: {e}"),
            CorruptionReason::OutcomeDiffers(why) => write!(f, "replay differs at {why}"),
            CorruptionReason::CheckpointBody => {
                write!(
                    f,
                    "a checkpoint body must be 64 bytes and follow the genesis record"
                )
            }
            CorruptionReason::CheckpointDigest => {
                write!(f, "checkpoint state digest differs from the replayed state")
            }
            CorruptionReason::CheckpointMac => {
                write!(f, "checkpoint MAC does not verify under the key")
            }
            CorruptionReason::Published(why) => write!(f, "published checkpoint: {why}"),
            CorruptionReason::Index(why) => write!(f, "index disagrees with the journal: {why}"),
            CorruptionReason::Segment(why) => write!(f, "{why}"),
            CorruptionReason::Snapshot { file, why } => write!(f, "snapshot {file}: {why}"),
            CorruptionReason::SegmentUnreadable { version } => write!(
                f,
                "written by a newer timebank (segment format version {version}); this binary \
                 reads up to {}",
                crate::segment::SEGMENT_VERSION
            ),
        }
    }
}

/// A store operation's result: [`Error`] unless another error is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;
