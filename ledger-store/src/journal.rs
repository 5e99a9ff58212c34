//! The journal: append-only, hash-chained records, the store's source of truth, kept in
//! segment files ([`crate::segment`]); this module works on the records laid end to end.
//!
//! [`scan_frames`] finds record boundaries and tells a torn tail (a crash mid-write: nothing valid
//! after the bad bytes) from damage (a bad record with valid ones after it).
//! [`JournalWriter`] stages records in one buffer and makes a group of them durable with one
//! append and one `fdatasync`.

use std::io;

use ledger_core::{Attribution, Command};

use crate::checkpoint::Checkpoint;
use crate::codec;
use crate::error::{Corruption, CorruptionReason};
use crate::file::JournalFile;
use crate::outcome::Outcome;
use crate::record::{
    append_record, append_record_in, parse_frame, unknown_record, Hash, RecordHeader, RecordKind,
    FORMAT_VERSION, RECORD_MAGIC,
};

/// Bytes at the end of a journal that are not a complete, valid record and that no valid record
/// follows: what a crash mid-write leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Where the torn bytes start: the journal is cut back to this length.
    pub offset: u64,
    /// How many bytes were cut.
    pub len: u64,
    /// The sequence number the torn record would have had.
    pub sequence: u64,
    /// What was wrong with it.
    pub why: String,
}

/// Record boundaries: `(offset, length)` of every well-formed frame, in order.
#[derive(Debug, Default)]
pub struct Scan {
    /// `(offset, length)` in bytes of every well-formed frame, in journal order.
    pub frames: Vec<(u64, u32)>,
    /// Bytes after the last well-formed frame that cannot start one (a torn tail).
    pub torn: Option<TornTail>,
}

/// Calls `each` with the image offset and the bytes of every record of the journal in `dir`
/// (with sealed segments moved to `archives`) up to `limit` bytes of its image (a record
/// boundary, such as [`Status::journal_bytes`](crate::Status::journal_bytes); `u64::MAX` for
/// every record), in order. The
/// segments are read in pieces of a few MiB on a thread of their own, so memory is bounded by a
/// few pieces and the largest record, not by the journal; each record's frame, checksum,
/// sequence number and link, and each segment's header and join, are checked as `verify`
/// checks them (the checkpoints' MACs are not: no key is given).
///
/// `Ok(true)`: every record up to `limit` was given. `Ok(false)`: the journal is not clean
/// before `limit` (damage, a torn record, a missing segment; the records before the problem may
/// have been given): `timebank verify` or [`crate::segment::read_journal`] names it. `Err(e)`:
/// `each` failed with `e`, and no record after that one was given.
pub fn for_each_record<E>(
    dir: &std::path::Path,
    archives: &[std::path::PathBuf],
    limit: u64,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), E>,
) -> Result<bool, E> {
    let mut failed = None;
    let pieces = (crate::audit_stream::PIECE_BYTES, limit);
    let read = crate::audit_stream::read_in_pieces(
        &crate::file::OsIo,
        dir,
        archives,
        None,
        pieces,
        |work, free| {
            for piece in work {
                for &(start, len) in &piece.frames {
                    let offset = piece.image_offset + start as u64;
                    if let Err(e) = each(offset, &piece.buffer[start..start + len]) {
                        failed = Some(e);
                        return None;
                    }
                }
                // The reader has stopped taking buffers back once it read the last piece.
                let _ = free.send(piece.buffer);
            }
            Some(())
        },
    );
    match failed {
        Some(e) => Err(e),
        None => Ok(read.is_some_and(|(_, head)| head.len == limit || limit == u64::MAX)),
    }
}

/// Walks the frames of a journal image.
///
/// A malformed frame with a valid record somewhere after it is corruption; without one, it is
/// a torn tail (reported in [`Scan::torn`], never silently dropped).
pub fn scan_frames(bytes: &[u8]) -> Result<Scan, Corruption> {
    let mut scan = Scan::default();
    let mut offset = 0usize;
    while offset < bytes.len() {
        match parse_frame(&bytes[offset..], offset as u64) {
            Ok(frame) => {
                scan.frames.push((offset as u64, frame.len() as u32));
                offset += frame.len();
            }
            Err(e) => {
                // A damaged length in the previous record misplaces this one: when the previous
                // record's own hash fails, it is the first bad record.
                if let Some(&(prev_offset, prev_len)) = scan.frames.last() {
                    let start = prev_offset as usize;
                    let prev = &bytes[start..start + prev_len as usize];
                    if !parse_frame(prev, prev_offset).is_ok_and(|f| f.hash_matches()) {
                        let sequence = scan.frames.len() as u64 - 1;
                        torn_or_corrupt(bytes, start, sequence, CorruptionReason::Checksum)?;
                        scan.frames.pop();
                        scan.torn = Some(TornTail {
                            offset: prev_offset,
                            len: (bytes.len() - start) as u64,
                            sequence,
                            why: "the record's checksum does not match".into(),
                        });
                        break;
                    }
                }
                let sequence = scan.frames.len() as u64;
                if let Some((version, kind)) = unknown_record(&bytes[offset..]) {
                    // Written whole by another binary: refused wherever it stands, never cut.
                    return Err(Corruption {
                        segment: None,
                        sequence,
                        offset: offset as u64,
                        reason: CorruptionReason::Unreadable { version, kind },
                    });
                }
                torn_or_corrupt(bytes, offset, sequence, CorruptionReason::Frame(e))?;
                scan.torn = Some(TornTail {
                    offset: offset as u64,
                    len: (bytes.len() - offset) as u64,
                    sequence,
                    why: e.to_string(),
                });
                break;
            }
        }
    }
    Ok(scan)
}

/// `Ok` when nothing valid follows the bad record at `offset` (a torn tail); otherwise the
/// corruption `reason` at that record.
pub fn torn_or_corrupt(
    bytes: &[u8],
    offset: usize,
    sequence: u64,
    reason: CorruptionReason,
) -> Result<(), Corruption> {
    match valid_record_after(bytes, offset + 1) {
        None => Ok(()),
        Some(_) => Err(Corruption {
            segment: None,
            sequence,
            offset: offset as u64,
            reason,
        }),
    }
}

/// The offset of the first complete record with a matching hash that starts at or after `from`.
/// A torn write cannot produce one, so finding one means the bad bytes before it are damage.
pub fn valid_record_after(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + RECORD_MAGIC.len() <= bytes.len() {
        let found = bytes[at..].windows(4).position(|w| w == RECORD_MAGIC)?;
        at += found;
        let whole = match parse_frame(&bytes[at..], at as u64) {
            Ok(frame) => frame.hash_matches(),
            // A newer binary's record counts too: bad bytes before it are damage.
            Err(_) => unknown_record(&bytes[at..]).is_some(),
        };
        if whole {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// The end of the chain: what the next record links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last record's sequence number.
    pub sequence: u64,
    /// The last record's hash.
    pub hash: Hash,
    /// The last record's `now`.
    pub now: u64,
    /// The journal's length in bytes (where the next record goes).
    pub len: u64,
}

/// Stages records for the journal: assigns sequence numbers, links and times, and encodes them
/// into one buffer per group. [`write_durably`] then writes a group with one append and one
/// `fdatasync`.
#[derive(Debug)]
pub struct JournalWriter {
    /// The head including staged records (durable or not).
    staged_head: Head,
    buf: Vec<u8>,
}

impl JournalWriter {
    /// A writer that stages records after `head` (the last durable record).
    pub fn new(head: Head) -> JournalWriter {
        JournalWriter {
            staged_head: head,
            buf: Vec::new(),
        }
    }

    /// The head once every staged record is durable.
    pub fn staged_head(&self) -> Head {
        self.staged_head
    }

    /// The `now` the next command runs at: never before the last journaled one, so replay sees
    /// exactly the times that ran.
    pub fn next_now(&self, requested: u64) -> u64 {
        requested.max(self.staged_head.now)
    }

    /// Stages a command record at `now` (which must come from [`JournalWriter::next_now`]),
    /// carrying the outcome the engine gave it. Returns its sequence number.
    pub fn stage_command(&mut self, now: u64, command: &Command, outcome: &Outcome) -> u64 {
        self.stage_command_by(now, command, outcome, Attribution::NONE)
    }

    /// [`JournalWriter::stage_command`] with the command's attribution (its annotations).
    pub fn stage_command_by(
        &mut self,
        now: u64,
        command: &Command,
        outcome: &Outcome,
        who: Attribution,
    ) -> u64 {
        self.stage_command_in(now, command, outcome, who, FORMAT_VERSION)
    }

    /// [`JournalWriter::stage_command_by`] in format `version`, which must allow the command
    /// and its annotations (an import rebuilding a record as it was first written).
    pub fn stage_command_in(
        &mut self,
        now: u64,
        command: &Command,
        outcome: &Outcome,
        who: Attribution,
        version: u8,
    ) -> u64 {
        assert!(now >= self.staged_head.now, "journal time must not go back");
        self.buf
            .reserve(crate::record::RECORD_BYTES_MIN + codec::encoded_len_max(command));
        self.stage(RecordKind::Command, now, version, |buf| {
            codec::encode_body_by(buf, command, outcome, who)
        })
    }

    /// Stages a checkpoint record for `checkpoint`, which must cover the staged head.
    pub fn stage_checkpoint(&mut self, checkpoint: &Checkpoint) -> u64 {
        self.stage_checkpoint_in(checkpoint, FORMAT_VERSION)
    }

    /// [`JournalWriter::stage_checkpoint`] in format `version` (an import).
    pub fn stage_checkpoint_in(&mut self, checkpoint: &Checkpoint, version: u8) -> u64 {
        assert_eq!(checkpoint.sequence, self.staged_head.sequence);
        assert_eq!(checkpoint.head_hash, self.staged_head.hash);
        let body = checkpoint.body();
        self.stage(
            RecordKind::Checkpoint,
            self.staged_head.now,
            version,
            |buf| buf.extend_from_slice(&body),
        )
    }

    fn stage(
        &mut self,
        kind: RecordKind,
        now: u64,
        version: u8,
        body: impl FnOnce(&mut Vec<u8>),
    ) -> u64 {
        let sequence = self.staged_head.sequence + 1;
        let header = RecordHeader {
            kind,
            sequence,
            now,
            prev_hash: self.staged_head.hash,
        };
        let start = self.buf.len();
        let hash = append_record_in(&mut self.buf, &header, version, body);
        self.staged_head = Head {
            sequence,
            hash,
            now,
            len: self.staged_head.len + (self.buf.len() - start) as u64,
        };
        sequence
    }

    /// Whether records are staged.
    pub fn has_staged(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Takes the staged group's bytes and the head they lead to, for [`write_durably`].
    pub fn take_staged(&mut self) -> (Vec<u8>, Head) {
        (std::mem::take(&mut self.buf), self.staged_head)
    }
}

/// Writes a group of records with one append and makes it durable with one `fdatasync`.
///
/// On `Ok`: every byte of `group` is durable. On `Err`: some, all or none of it may be on disk
/// (a torn tail at worst), and the file must not be written again (after a failed `fdatasync`
/// the kernel may have dropped the dirty pages, so a retry proves nothing).
pub fn write_durably(file: &mut dyn JournalFile, group: &[u8]) -> io::Result<()> {
    file.append(group)?;
    file.sync()
}

/// The genesis record of a new ledger: its bytes and the head they make.
pub fn genesis_record(policy_json: &[u8], now: u64) -> (Vec<u8>, Head) {
    let mut buf = Vec::with_capacity(policy_json.len() + crate::record::RECORD_BYTES_MIN);
    let header = RecordHeader {
        kind: RecordKind::Genesis,
        sequence: 0,
        now,
        prev_hash: [0; 32],
    };
    let hash = append_record(&mut buf, &header, |b| b.extend_from_slice(policy_json));
    let head = Head {
        sequence: 0,
        hash,
        now,
        len: buf.len() as u64,
    };
    (buf, head)
}

/// Writes the genesis record for a new ledger into `file` and syncs it.
///
/// On `Ok`: the journal holds exactly the genesis record, durable. On `Err`: the file may hold
/// part of it; opening it reports an unfinished creation.
pub fn write_genesis(file: &mut dyn JournalFile, policy_json: &[u8], now: u64) -> io::Result<Head> {
    let (bytes, head) = genesis_record(policy_json, now);
    write_durably(file, &bytes)?;
    Ok(head)
}
