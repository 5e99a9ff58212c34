//! Finding records in the journal's segment files without reading the journal whole.
//!
//! A proof needs a few records, and the store's Merkle tree, after an open from a snapshot,
//! needs the stored hashes of the records before it. Reading the journal image for either
//! would make a member's proof cost what the whole history costs (gigabytes, in memory, for a
//! ledger that has run for years). A walk instead reads a segment's frames in windows of
//! [`WINDOW_BYTES`], taking each frame's length, sequence and stored hash; a record longer than
//! [`STEP_OVER_BYTES`] that does not lie in the window is not read through: its first bytes and
//! its hash are read on their own. So a walk reads about every byte of a segment of small
//! records, two small pieces of each large one, and never more than one window at a time.
//!
//! Walks leave marks ([`FrameMarks`]): the place of every 1,024th record of a segment, so that a
//! later walk to a record starts at most 1,024 records before it. The marks take 16 bytes per
//! 1,024 records walked.
//!
//! A walk checks what it steps on (each frame's magic, length and sequence number) but not the
//! records' checksums: [`read_records`] checks the checksum of each record it returns, and the
//! tree built from stored hashes ([`tree_of_first`]) is checked by its caller against a
//! frontier it trusts. Verifying the journal is `verify`'s work, not a walk's.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Corruption, CorruptionReason, Error, Result, SegmentPlace};
use crate::file::JournalIo;
use crate::merkle::MerkleTree;
use crate::record::{
    hash_at, parse_frame, u64_at, FrameError, Hash, HASH_BYTES, OFFSET_LENGTH, OFFSET_SEQUENCE,
    OFFSET_VERSION, RECORD_BYTES_MAX, RECORD_BYTES_MIN, RECORD_MAGIC,
};
use crate::segment::{decode_header, find_segments, SEGMENT_HEADER_BYTES};

/// The most bytes a walk reads at once.
pub(crate) const WINDOW_BYTES: usize = 64 << 10;

/// A walk notes the place of every `MARK_EVERY`-th record of a segment ([`FrameMarks`]).
pub(crate) const MARK_EVERY: u64 = 1024;

/// Records longer than this are stepped over (their first bytes and their hash read, nothing
/// between); shorter ones are read through, a window at a time.
const STEP_OVER_BYTES: usize = 64 << 10;

/// The bytes of a frame a walk reads before its body: magic, length, version, kind, reserved
/// and sequence.
const FRAME_START_BYTES: usize = OFFSET_SEQUENCE + 8;

/// One segment file of the journal, its header read and checked.
#[derive(Debug, Clone)]
pub(crate) struct SegmentFile {
    /// Its number.
    pub index: u64,
    pub path: PathBuf,
    /// The sequence of its first record.
    pub first_sequence: u64,
    /// Where its records start in the journal image.
    pub start: u64,
    /// The file's length, header included.
    pub size: u64,
}

/// Where walks may start: the place of every [`MARK_EVERY`]-th record of each segment
/// (counting from its first), as walks step on them. A segment only grows at its end and a
/// durable record never moves, so a mark stays true; one that does not (the file changed under
/// the store) fails the walk that starts from it, as any frame out of place does.
#[derive(Debug, Default)]
pub(crate) struct FrameMarks {
    /// By segment number: the (sequence, file offset) of its marked records, in order.
    marks: Mutex<HashMap<u64, Vec<(u64, u64)>>>,
}

impl FrameMarks {
    /// Where a walk of `segment` that needs record `sequence` first starts: the last mark at or
    /// before it, or the segment's first record.
    fn start(&self, segment: &SegmentFile, sequence: u64) -> (u64, u64) {
        let marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
        let marked = marks.get(&segment.index).and_then(|marks| {
            let after = marks.partition_point(|&(s, _)| s <= sequence);
            after.checked_sub(1).map(|i| marks[i])
        });
        marked.unwrap_or((segment.first_sequence, SEGMENT_HEADER_BYTES as u64))
    }

    /// Notes `frame`'s place when it is the next mark of its segment.
    fn note(&self, segment: &SegmentFile, frame: &FrameAt) {
        let nth = frame.sequence - segment.first_sequence;
        if nth == 0 || !nth.is_multiple_of(MARK_EVERY) {
            return;
        }
        let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
        let marks = marks.entry(segment.index).or_default();
        if nth / MARK_EVERY == marks.len() as u64 + 1 {
            marks.push((frame.sequence, frame.file_offset));
        }
    }
}

/// One record's place in a segment file, and its stored hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameAt {
    pub sequence: u64,
    /// Its record format version (§3.1).
    pub version: u8,
    /// Its byte offset in the file, the segment header included.
    pub file_offset: u64,
    pub len: u32,
    pub hash: Hash,
}

/// The journal's segment files (in `dir/journal` and `archives`), numbered 1 to n, with their
/// headers read and checked; only headers are read.
///
/// On `Err(NotFound)`: no journal. On `Err(Corrupted)`: a segment is missing, or its header
/// does not read.
pub(crate) fn segment_files(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
) -> Result<Vec<SegmentFile>> {
    let found = find_segments(io, dir, archives)?
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Error::NotFound(dir.to_path_buf()))?;
    let mut files = Vec::with_capacity(found.len());
    let mut start = 0u64;
    for (i, (index, path)) in found.into_iter().enumerate() {
        let expected = i as u64 + 1;
        if index != expected {
            let why = format!("segment {expected:08} is missing (found {index:08} in its place)");
            return Err(corrupt(
                expected,
                0,
                start,
                0,
                CorruptionReason::Segment(why),
            ));
        }
        let size = io.size(&path)?;
        let mut header = vec![0u8; (size as usize).min(SEGMENT_HEADER_BYTES)];
        if !io.read_at(&path, 0, &mut header)? {
            return Err(vanished(index));
        }
        let header = decode_header(index, &header)?;
        files.push(SegmentFile {
            index,
            path,
            first_sequence: header.first_sequence,
            start,
            size,
        });
        start += size - SEGMENT_HEADER_BYTES as u64;
    }
    Ok(files)
}

/// Visits the records of `segment` in order, from the last mark at or before record `from`
/// (or the segment's first record), until `visit` breaks or the file ends (where a frame does
/// not start whole, the walk fails: callers stop at records they know are durable).
///
/// On `Err(Corrupted)`: a frame is not where the one before it ends (no magic, a length out of
/// range or past the file's end, another sequence number). On `Err(Io)`: a read failed.
pub(crate) fn walk_frames(
    (io, marks): (&dyn JournalIo, &FrameMarks),
    segment: &SegmentFile,
    from: u64,
    mut visit: impl FnMut(&FrameAt) -> ControlFlow<()>,
) -> Result<()> {
    let mut window = Vec::new();
    let mut window_at = 0u64;
    let (mut sequence, mut at) = marks.start(segment, from);
    let fail = |at: u64, sequence: u64, reason: CorruptionReason| {
        let image_offset = segment.start + at - SEGMENT_HEADER_BYTES as u64;
        corrupt(segment.index, at, image_offset, sequence, reason)
    };
    while at < segment.size {
        let held = window_at + window.len() as u64;
        let in_window = at >= window_at && at + FRAME_START_BYTES as u64 <= held;
        let mut start = [0u8; FRAME_START_BYTES];
        if in_window {
            let from = (at - window_at) as usize;
            start.copy_from_slice(&window[from..from + FRAME_START_BYTES]);
        } else if segment.size - at < FRAME_START_BYTES as u64 {
            return Err(fail(at, sequence, frame_error(FrameError::Incomplete)));
        } else {
            read_at(io, segment, at, &mut start)?;
        }
        if start[..RECORD_MAGIC.len()] != RECORD_MAGIC {
            return Err(fail(at, sequence, frame_error(FrameError::BadMagic)));
        }
        let len_bytes = start[OFFSET_LENGTH..OFFSET_LENGTH + 4].try_into();
        let len = u32::from_le_bytes(len_bytes.expect("4 bytes"));
        let fits = (RECORD_BYTES_MIN..=RECORD_BYTES_MAX).contains(&(len as usize));
        let end = at + u64::from(len);
        if !fits || end > segment.size {
            return Err(fail(at, sequence, frame_error(FrameError::BadLength(len))));
        }
        let found = u64_at(&start, OFFSET_SEQUENCE);
        if found != sequence {
            return Err(fail(at, sequence, CorruptionReason::Sequence { found }));
        }
        let hash_offset = end - HASH_BYTES as u64;
        let hash = if in_window && end <= held {
            hash_at(&window, (hash_offset - window_at) as usize)
        } else if !in_window && len as usize <= STEP_OVER_BYTES {
            // A small record past the window: the next window starts with it.
            let len = (segment.size - at).min(WINDOW_BYTES as u64) as usize;
            window.resize(len, 0);
            read_at(io, segment, at, &mut window)?;
            window_at = at;
            hash_at(&window, (hash_offset - at) as usize)
        } else {
            let mut hash = [0u8; HASH_BYTES];
            read_at(io, segment, hash_offset, &mut hash)?;
            hash
        };
        let place = FrameAt {
            sequence,
            version: start[OFFSET_VERSION],
            file_offset: at,
            len,
            hash,
        };
        marks.note(segment, &place);
        if visit(&place).is_break() {
            return Ok(());
        }
        at += u64::from(len);
        sequence += 1;
    }
    Ok(())
}

/// The records `sequences` (in the order asked; each at most the durable head's, which the
/// caller checks), each read on its own from the segment that holds it, after a walk of that
/// segment's frames up to it.
///
/// On `Err(Corrupted)`: a record's stored hash does not match its bytes (or it is not where
/// the walk found it); a walk's errors.
pub(crate) fn read_records(
    (io, marks): (&dyn JournalIo, &FrameMarks),
    segments: &[SegmentFile],
    sequences: &[u64],
) -> Result<Vec<Vec<u8>>> {
    let mut wanted: Vec<(u64, usize)> = sequences.iter().copied().zip(0..).collect();
    wanted.sort_unstable();
    let mut places = vec![None; sequences.len()];
    let mut next = 0;
    while next < wanted.len() {
        let first = wanted[next].0;
        let holder = segments.partition_point(|s| s.first_sequence <= first);
        let Some(segment) = holder.checked_sub(1).map(|i| &segments[i]) else {
            return Err(missing(first));
        };
        let end = segments.get(holder).map_or(u64::MAX, |s| s.first_sequence);
        walk_frames((io, marks), segment, first, |frame| {
            while next < wanted.len() && wanted[next].0 == frame.sequence {
                places[wanted[next].1] = Some((segment, *frame));
                next += 1;
            }
            match next < wanted.len() && wanted[next].0 < end {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(()),
            }
        })?;
        if next < wanted.len() && wanted[next].0 < end {
            return Err(missing(wanted[next].0));
        }
    }
    let read = |(segment, frame): (&SegmentFile, FrameAt)| {
        let mut bytes = vec![0u8; frame.len as usize];
        read_at(io, segment, frame.file_offset, &mut bytes)?;
        let image_offset = segment.start + frame.file_offset - SEGMENT_HEADER_BYTES as u64;
        let whole = parse_frame(&bytes, image_offset).is_ok_and(|f| {
            f.hash_matches() && f.sequence() == frame.sequence && f.stored_hash() == frame.hash
        });
        if !whole {
            let (index, at) = (segment.index, frame.file_offset);
            let reason = CorruptionReason::Checksum;
            return Err(corrupt(index, at, image_offset, frame.sequence, reason));
        }
        Ok(bytes)
    };
    places
        .into_iter()
        .map(|place| read(place.expect("every sequence was found or the walk failed")))
        .collect()
}

/// `tree` (empty) grown with the stored hashes of the journal's first `records` records: the
/// Merkle tree (§13) of those records.
///
/// On `Err(Corrupted)`: the journal holds fewer records; a walk's errors.
pub(crate) fn tree_of_first(
    walker: (&dyn JournalIo, &FrameMarks),
    segments: &[SegmentFile],
    records: u64,
    mut tree: MerkleTree,
) -> Result<MerkleTree> {
    debug_assert_eq!(tree.size(), 0);
    walk_records(walker, segments, 0..records, |hash| tree.push(hash))?;
    Ok(tree)
}

/// The stored hashes of records `range`, oldest first.
///
/// On `Err(Corrupted)`: the journal holds fewer records; a walk's errors.
pub(crate) fn stored_hashes(
    walker: (&dyn JournalIo, &FrameMarks),
    segments: &[SegmentFile],
    range: std::ops::Range<u64>,
) -> Result<Vec<Hash>> {
    let mut hashes = Vec::with_capacity((range.end - range.start) as usize);
    walk_records(walker, segments, range, |hash| hashes.push(*hash))?;
    Ok(hashes)
}

/// Calls `each` with the stored hash of each record of `range`, in order: walks from the
/// segment that holds the first on, as far as the last.
fn walk_records(
    walker: (&dyn JournalIo, &FrameMarks),
    segments: &[SegmentFile],
    range: std::ops::Range<u64>,
    mut each: impl FnMut(&Hash),
) -> Result<()> {
    let mut next = range.start;
    let from = segments
        .partition_point(|s| s.first_sequence <= range.start)
        .saturating_sub(1);
    for segment in &segments[from..] {
        if next >= range.end {
            break;
        }
        walk_frames(walker, segment, next, |frame| {
            if frame.sequence > next {
                return ControlFlow::Break(()); // a record missing between segments
            }
            if frame.sequence == next {
                each(&frame.hash);
                next += 1;
            }
            match next < range.end {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(()),
            }
        })?;
    }
    match next >= range.end {
        true => Ok(()),
        false => Err(missing(next)),
    }
}

/// Where record `sequence` starts and ends in the journal image, with its format version;
/// `None` when the journal's segments hold no such record.
///
/// On `Err`: a walk's errors (a torn or damaged frame before it).
pub(crate) fn record_place(
    walker: (&dyn JournalIo, &FrameMarks),
    segments: &[SegmentFile],
    sequence: u64,
) -> Result<Option<(std::ops::Range<u64>, u8)>> {
    let holder = segments.partition_point(|s| s.first_sequence <= sequence);
    let Some(segment) = holder.checked_sub(1).map(|i| &segments[i]) else {
        return Ok(None);
    };
    let mut found = None;
    walk_frames(walker, segment, sequence, |frame| {
        if frame.sequence < sequence {
            return ControlFlow::Continue(());
        }
        if frame.sequence == sequence {
            let start = segment.start + frame.file_offset - SEGMENT_HEADER_BYTES as u64;
            found = Some((start..start + u64::from(frame.len), frame.version));
        }
        ControlFlow::Break(())
    })?;
    Ok(found)
}

fn read_at(io: &dyn JournalIo, segment: &SegmentFile, at: u64, out: &mut [u8]) -> Result<()> {
    match io.read_at(&segment.path, at, out)? {
        true => Ok(()),
        false => Err(vanished(segment.index)),
    }
}

fn frame_error(e: FrameError) -> CorruptionReason {
    CorruptionReason::Frame(e)
}

fn corrupt(
    index: u64,
    at: u64,
    image_offset: u64,
    sequence: u64,
    reason: CorruptionReason,
) -> Error {
    Corruption {
        sequence,
        offset: image_offset,
        reason,
        segment: Some(SegmentPlace { index, offset: at }),
    }
    .into()
}

fn missing(sequence: u64) -> Error {
    let why = format!("record {sequence} is not in the journal's segments");
    Corruption {
        sequence,
        offset: 0,
        reason: CorruptionReason::Segment(why),
        segment: None,
    }
    .into()
}

fn vanished(index: u64) -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("segment {index:08} vanished while it was read"),
    ))
}
