//! The journal as a sequence of segment files of bounded size (`docs/FORMAT.md` §2.1).
//!
//! Segment `n` is the file `journal/<n as 8 decimal digits>.tbj`, numbered from 1. Each starts
//! with a [`SegmentHeader`] binding it to the previous segment (its number, the sequence number
//! of its first record and the previous segment's last record hash; segment 1 binds to the
//! genesis), followed by whole records. Only the newest segment is written; the others are
//! sealed, read only, and may be moved to archive directories.
//!
//! [`read_journal`] reads every segment, checks each one on its own on two cores (header, frames,
//! a torn end) and then how they join, and returns the records laid end to end: the journal
//! image the rest of the store reads. [`SegmentedFile`] is the writer's side: it appends to the
//! newest segment and rolls to a new one before a record would pass the size.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Corruption, CorruptionReason, Error, Result, SegmentPlace};
use crate::file::{JournalFile, JournalIo};
use crate::journal::{scan_frames, TornTail};
use crate::record::{parse_frame, Hash, HASH_BYTES, OFFSET_LENGTH};

/// The directory, in the data directory, that holds the segments.
pub const JOURNAL_DIR_NAME: &str = "journal";
/// The first bytes of every segment file.
pub const SEGMENT_MAGIC: [u8; 4] = *b"TBSG";
/// The segment header's format version this binary writes and reads.
pub const SEGMENT_VERSION: u8 = 1;
/// A segment header's length in bytes.
pub const SEGMENT_HEADER_BYTES: usize = 88;
/// Header offset of the format version (u8; bytes 5 to 7 are reserved, zero).
pub const SEGMENT_OFFSET_VERSION: usize = 4;
/// Header offset of the segment's number (u64, from 1).
pub const SEGMENT_OFFSET_INDEX: usize = 8;
/// Header offset of the sequence number of the segment's first record (u64).
pub const SEGMENT_OFFSET_FIRST_SEQUENCE: usize = 16;
/// Header offset of the previous segment's last record hash (32 bytes).
pub const SEGMENT_OFFSET_PREV_HASH: usize = 24;
/// Header offset of the hash of the header's first 56 bytes (32 bytes, keyed by
/// [`SEGMENT_HASH_CONTEXT`]).
pub const SEGMENT_OFFSET_HEADER_HASH: usize = 56;
/// The BLAKE3 key-derivation context of the header hash.
pub const SEGMENT_HASH_CONTEXT: &str = "timebank-ledger 2026-11 journal segment header v1";
/// The size a segment is kept under by default: 256 MiB.
pub const SEGMENT_BYTES_DEFAULT: u64 = 256 << 20;
/// The smallest segment size accepted (small sizes are for tests).
pub const SEGMENT_BYTES_MIN: u64 = 1024;

/// The file name of segment `index`.
pub fn segment_name(index: u64) -> String {
    format!("{index:08}.tbj")
}

/// The path of segment `index` in the data directory `dir`.
pub fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(JOURNAL_DIR_NAME).join(segment_name(index))
}

/// The segment number a file name gives (`00000012.tbj` is 12), or `None` for any other name
/// (a `.creating` or `.torn-<offset>` file among them is not a segment).
pub fn segment_index_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".tbj")?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0)
}

/// The header at the start of a segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The segment's number, from 1.
    pub index: u64,
    /// The sequence number of the first record the segment holds (0 for segment 1).
    pub first_sequence: u64,
    /// The previous segment's last record hash (zero for segment 1: the genesis record links
    /// to zero).
    pub prev_hash: Hash,
}

/// Why a segment header does not read.
pub(crate) enum HeaderError {
    Short(usize),
    Magic,
    Newer(u8),
    Hash,
}

impl SegmentHeader {
    /// The header's 88 bytes: magic, version, the fields, and the header hash.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_BYTES] {
        let mut bytes = [0u8; SEGMENT_HEADER_BYTES];
        bytes[..4].copy_from_slice(&SEGMENT_MAGIC);
        bytes[SEGMENT_OFFSET_VERSION] = SEGMENT_VERSION;
        bytes[SEGMENT_OFFSET_INDEX..SEGMENT_OFFSET_INDEX + 8]
            .copy_from_slice(&self.index.to_le_bytes());
        bytes[SEGMENT_OFFSET_FIRST_SEQUENCE..SEGMENT_OFFSET_FIRST_SEQUENCE + 8]
            .copy_from_slice(&self.first_sequence.to_le_bytes());
        bytes[SEGMENT_OFFSET_PREV_HASH..SEGMENT_OFFSET_PREV_HASH + HASH_BYTES]
            .copy_from_slice(&self.prev_hash);
        let hash = header_hash(&bytes[..SEGMENT_OFFSET_HEADER_HASH]);
        bytes[SEGMENT_OFFSET_HEADER_HASH..].copy_from_slice(&hash);
        bytes
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<SegmentHeader, HeaderError> {
        if bytes.len() < SEGMENT_HEADER_BYTES {
            return Err(HeaderError::Short(bytes.len()));
        }
        if bytes[..4] != SEGMENT_MAGIC {
            return Err(HeaderError::Magic);
        }
        let version = bytes[SEGMENT_OFFSET_VERSION];
        if header_hash(&bytes[..SEGMENT_OFFSET_HEADER_HASH])[..]
            != bytes[SEGMENT_OFFSET_HEADER_HASH..SEGMENT_HEADER_BYTES]
        {
            return Err(HeaderError::Hash);
        }
        // The hash holds: written whole, so a version this binary does not know is a newer
        // binary's, not damage.
        if version != SEGMENT_VERSION || bytes[5..8] != [0, 0, 0] {
            return Err(HeaderError::Newer(version));
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
        Ok(SegmentHeader {
            index: u64_at(SEGMENT_OFFSET_INDEX),
            first_sequence: u64_at(SEGMENT_OFFSET_FIRST_SEQUENCE),
            prev_hash: bytes[SEGMENT_OFFSET_PREV_HASH..SEGMENT_OFFSET_HEADER_HASH]
                .try_into()
                .expect("32 bytes"),
        })
    }
}

fn header_hash(covered: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new_derive_key(SEGMENT_HASH_CONTEXT);
    hasher.update(covered);
    *hasher.finalize().as_bytes()
}

/// One segment of a journal image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its header, as read and checked.
    pub header: SegmentHeader,
    /// Where its file was found.
    pub path: PathBuf,
    /// Where its records start in the whole journal's image (the records of the segments
    /// before it).
    pub start: u64,
    /// Its records' bytes (the file's length less the header).
    pub len: u64,
}

/// Every segment's records laid end to end, and where each segment's are; or, for an image of
/// the journal's tail ([`read_journal_tail`]), those of the segments from one on.
#[derive(Debug, Default)]
pub struct JournalImage {
    /// The records of every segment read, in order, headers left out.
    pub bytes: Vec<u8>,
    /// The segments read, oldest first.
    pub segments: Vec<Segment>,
    /// Where `bytes` starts in the whole journal's image: 0 unless segments before the first
    /// read were left out (their records' bytes).
    pub base: u64,
}

impl JournalImage {
    /// The newest segment (the only one written).
    pub fn last(&self) -> &Segment {
        // Invariant: read_journal returns at least one segment.
        self.segments.last().expect("a journal has a segment")
    }

    /// The segment and file offset of image offset `offset` (the newest segment for the end).
    pub fn place(&self, offset: u64) -> SegmentPlace {
        let i = self
            .segments
            .partition_point(|s| s.start <= offset)
            .saturating_sub(1);
        let segment = &self.segments[i];
        SegmentPlace {
            index: segment.header.index,
            offset: SEGMENT_HEADER_BYTES as u64 + offset - segment.start,
        }
    }

    /// `error` with the segment and file offset of a corruption's place filled in.
    pub fn locate(&self, error: impl Into<Error>) -> Error {
        match error.into() {
            Error::Corrupted(mut c) if c.segment.is_none() && !self.segments.is_empty() => {
                c.segment = Some(self.place(c.offset));
                Error::Corrupted(c)
            }
            other => other,
        }
    }
}

/// What one segment's own check found.
struct Checked {
    header: SegmentHeader,
    first: Option<(u64, Hash)>,
    last: Option<(u64, Hash)>,
    torn: Option<TornTail>,
}

fn segment_error(index: u64, offset: u64, sequence: u64, reason: CorruptionReason) -> Error {
    Corruption {
        sequence,
        offset: 0,
        reason,
        segment: Some(SegmentPlace { index, offset }),
    }
    .into()
}

/// The header of segment `index` (its file's first bytes, or the whole file when shorter),
/// checked: whole, undamaged, of a version this binary reads, and holding its own number.
pub(crate) fn decode_header(index: u64, header: &[u8]) -> Result<SegmentHeader> {
    let header = SegmentHeader::decode(header).map_err(|e| {
        let why = match e {
            HeaderError::Short(n) => format!(
                "segment {index:08} holds {n} bytes, less than a whole segment header \
                 ({SEGMENT_HEADER_BYTES} bytes)"
            ),
            HeaderError::Magic => {
                format!("segment {index:08} does not start with a segment header")
            }
            HeaderError::Hash => {
                format!("segment {index:08} has a damaged header (its hash does not match)")
            }
            HeaderError::Newer(version) => {
                return segment_error(index, 0, 0, CorruptionReason::SegmentUnreadable { version })
            }
        };
        segment_error(index, 0, 0, CorruptionReason::Segment(why))
    })?;
    if header.index != index {
        let why = format!(
            "the file of segment {index:08} holds segment {:08}: segment {:08} does not follow \
             segment {:08}",
            header.index,
            header.index,
            index - 1
        );
        return Err(segment_error(
            index,
            0,
            header.first_sequence,
            CorruptionReason::Segment(why),
        ));
    }
    Ok(header)
}

/// Checks one segment's file on its own: its first bytes, `header` (the whole header, or the
/// whole file when it is shorter), and the `records` after them.
fn check_segment(index: u64, header: &[u8], records: &[u8]) -> Result<Checked> {
    let header = decode_header(index, header)?;
    let scan = scan_frames(records).map_err(|mut c| {
        c.sequence += header.first_sequence;
        c.segment = Some(SegmentPlace {
            index,
            offset: SEGMENT_HEADER_BYTES as u64 + c.offset,
        });
        Error::Corrupted(c)
    })?;
    let sequence_and_hash = |&(offset, len): &(u64, u32)| {
        let frame = &records[offset as usize..offset as usize + len as usize];
        // Invariant: scan_frames parsed it.
        let frame = parse_frame(frame, offset).expect("scanned frame parses");
        (frame.sequence(), frame.stored_hash())
    };
    Ok(Checked {
        header,
        first: scan.frames.first().map(sequence_and_hash),
        last: scan.frames.last().map(sequence_and_hash),
        torn: scan.torn,
    })
}

/// The segment files of the journal in `dir/journal` and in each of `archives` (directories
/// that hold segment files moved out of the data directory), by number. `None` when the data
/// directory has no journal directory.
pub fn find_segments(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
) -> Result<Option<Vec<(u64, PathBuf)>>> {
    let Some(names) = io.list(&dir.join(JOURNAL_DIR_NAME))? else {
        return Ok(None);
    };
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    let mut add = |from: &Path, names: Vec<String>| {
        for name in names {
            if let Some(index) = segment_index_of(&name) {
                found.push((index, from.join(name)));
            }
        }
    };
    add(&dir.join(JOURNAL_DIR_NAME), names);
    for archive in archives {
        let names = io.list(archive)?.ok_or_else(|| {
            Error::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no segment directory {}", archive.display()),
            ))
        })?;
        add(archive, names);
    }
    found.sort();
    Ok(Some(found))
}

/// Reads the journal of the data directory `dir` (with segments moved to `archives`) and checks
/// that its segments make one journal: numbered 1 to n with none missing or found twice, each
/// header whole and holding its own number, each binding to the last record of the one before
/// (segment 1 to the genesis), each holding whole records, and none but the newest ending in a
/// torn record. Sealed segments are checked on two cores.
///
/// On `Err(NotFound)`: no journal. On `Err(Corrupted)`: the first problem, naming the segment
/// and the byte offset in its file. A torn tail in the newest segment is not an error here: the
/// image ends with it, for the caller to report or cut.
pub fn read_journal(io: &dyn JournalIo, dir: &Path, archives: &[PathBuf]) -> Result<JournalImage> {
    let found = find_segments(io, dir, archives)?
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Error::NotFound(dir.to_path_buf()))?;
    for pair in found.windows(2) {
        if pair[0].0 == pair[1].0 {
            let why = format!(
                "segment {:08} is found twice: {} and {}",
                pair[0].0,
                pair[0].1.display(),
                pair[1].1.display()
            );
            return Err(segment_error(
                pair[0].0,
                0,
                0,
                CorruptionReason::Segment(why),
            ));
        }
    }
    for (i, (index, _)) in found.iter().enumerate() {
        let expected = i as u64 + 1;
        if *index != expected {
            let why = match i {
                0 => format!("segment {expected:08} is missing (the first found is {index:08})"),
                _ => format!(
                    "segment {expected:08} is missing: segment {index:08} does not follow \
                     segment {:08}",
                    expected - 1
                ),
            };
            return Err(segment_error(
                expected,
                0,
                0,
                CorruptionReason::Segment(why),
            ));
        }
    }
    read_segments(io, found, 0, 0)
}

/// Reads the journal of `dir` (and `archives`) from the segment that holds record `sequence`
/// on, as [`read_journal`] does, without reading the segments before it: their files are only
/// listed, and measured for the image offset where the tail starts. The first segment read is
/// not checked against the one before it (whose records are not read). `None` when no
/// segment's header says it starts at or before `sequence`, or a header does not read (the
/// caller reads the whole journal, which names the problem).
pub fn read_journal_tail(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    sequence: u64,
) -> Result<Option<JournalImage>> {
    let found = find_segments(io, dir, archives)?.unwrap_or_default();
    let numbered = found
        .iter()
        .enumerate()
        .all(|(i, (n, _))| *n == i as u64 + 1);
    if found.is_empty() || !numbered {
        return Ok(None);
    }
    let mut from = None;
    for (i, (_, path)) in found.iter().enumerate().rev() {
        let mut header = vec![0u8; SEGMENT_HEADER_BYTES];
        if !io.read_at(path, 0, &mut header).unwrap_or(false) {
            return Ok(None);
        }
        let Ok(header) = SegmentHeader::decode(&header) else {
            return Ok(None);
        };
        if header.first_sequence <= sequence {
            from = Some(i);
            break;
        }
    }
    let Some(from) = from else {
        return Ok(None);
    };
    let mut base = 0u64;
    for (index, path) in &found[..from] {
        let len = io.size(path)?.saturating_sub(SEGMENT_HEADER_BYTES as u64);
        base = base.checked_add(len).ok_or_else(|| too_large(*index))?;
    }
    read_segments(io, found, from, base).map(Some)
}

/// The newest segment, from its header and the files' sizes alone (its records are not read):
/// what a store appends to after a replay that read the journal in pieces, which checked every
/// segment's header, join and records. `None` when the segments are not numbered from 1 or a
/// header does not read or decode.
pub(crate) fn newest_segment(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
) -> Option<Segment> {
    let found = find_segments(io, dir, archives).ok()??;
    let numbered = (1..).zip(&found).all(|(n, (index, _))| *index == n);
    let ((_, path), earlier) = found.split_last().filter(|_| numbered)?;
    let mut start = 0u64;
    for (_, path) in earlier {
        start = start.checked_add(
            io.size(path)
                .ok()?
                .checked_sub(SEGMENT_HEADER_BYTES as u64)?,
        )?;
    }
    let mut header = vec![0u8; SEGMENT_HEADER_BYTES];
    io.read_at(path, 0, &mut header).ok()?.then_some(())?;
    let header = SegmentHeader::decode(&header).ok()?;
    let len = io
        .size(path)
        .ok()?
        .checked_sub(SEGMENT_HEADER_BYTES as u64)?;
    Some(Segment {
        header,
        path: path.clone(),
        start,
        len,
    })
}

/// Reads and checks segments `found[from..]`, whose records start at `base` in the whole
/// journal's image.
fn read_segments(
    io: &dyn JournalIo,
    mut found: Vec<(u64, PathBuf)>,
    from: usize,
    base: u64,
) -> Result<JournalImage> {
    found.drain(..from);
    // Every segment's header read aside and its records straight into their place in one
    // buffer of the journal's size (no second copy of it, nothing moved), on two threads.
    let mut headers = Vec::with_capacity(found.len());
    let mut ranges = Vec::with_capacity(found.len());
    let mut total = 0usize;
    for (index, path) in &found {
        let size = usize::try_from(io.size(path)?).map_err(|_| too_large(*index))?;
        let mut header = vec![0u8; size.min(SEGMENT_HEADER_BYTES)];
        if !io
            .read_at(path, 0, &mut header)
            .map_err(|e| unread(*index, e))?
        {
            return Err(vanished(*index));
        }
        headers.push(header);
        let len = size.saturating_sub(SEGMENT_HEADER_BYTES);
        ranges.push(total..total + len);
        total = total.checked_add(len).ok_or_else(|| too_large(*index))?;
    }
    let mut records = vec![0u8; total];
    read_records(io, &found, &ranges, &mut records)?;
    let checked = check_all(&records, &headers, &found, &ranges)?;
    join(found, checked, records, ranges, base)
}

/// Below this many bytes of records, one thread reads them all.
const PARALLEL_READ_BYTES_MIN: usize = 4 << 20;

/// Reads every segment's records (`ranges[i]` of `out` for segment `i`, from its file's byte
/// `SEGMENT_HEADER_BYTES` on): the first half of `out` on one thread, the second on another.
fn read_records(
    io: &dyn JournalIo,
    found: &[(u64, PathBuf)],
    ranges: &[std::ops::Range<usize>],
    out: &mut [u8],
) -> Result<()> {
    if out.len() < PARALLEL_READ_BYTES_MIN {
        return read_span(io, found, ranges, 0, out);
    }
    let middle = out.len() / 2;
    let (first, second) = out.split_at_mut(middle);
    std::thread::scope(|s| {
        let later = s.spawn(|| read_span(io, found, ranges, middle, second));
        let earlier = read_span(io, found, ranges, 0, first);
        let later = later.join().expect("a segment read does not panic");
        // The earlier segment's error first.
        earlier.and(later)
    })
}

/// Reads the part of the segments' records that lands at `out`, which starts at `start` in
/// the records of all of them.
fn read_span(
    io: &dyn JournalIo,
    found: &[(u64, PathBuf)],
    ranges: &[std::ops::Range<usize>],
    start: usize,
    out: &mut [u8],
) -> Result<()> {
    let end = start + out.len();
    for ((index, path), range) in found.iter().zip(ranges) {
        let (from, to) = (range.start.max(start), range.end.min(end));
        if from >= to {
            continue;
        }
        let offset = (SEGMENT_HEADER_BYTES + from - range.start) as u64;
        let part = &mut out[from - start..to - start];
        if !io
            .read_at(path, offset, part)
            .map_err(|e| unread(*index, e))?
        {
            return Err(vanished(*index));
        }
    }
    Ok(())
}

fn vanished(index: u64) -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::NotFound,
        format!("segment {index:08} vanished while it was read"),
    ))
}

fn unread(index: u64, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("segment {index:08} became shorter while it was read"),
        )),
        _ => Error::Io(e),
    }
}

fn too_large(index: u64) -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("segment {index:08} does not fit in this machine's memory"),
    ))
}

/// Checks every segment on its own, on two cores (the even and the odd ones).
fn check_all(
    records: &[u8],
    headers: &[Vec<u8>],
    found: &[(u64, PathBuf)],
    ranges: &[std::ops::Range<usize>],
) -> Result<Vec<Checked>> {
    let check = |parity: usize| -> Vec<(usize, Result<Checked>)> {
        found
            .iter()
            .zip(ranges)
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .map(|(i, ((index, _), range))| {
                (
                    i,
                    check_segment(*index, &headers[i], &records[range.clone()]),
                )
            })
            .collect()
    };
    let (even, odd) = match found.len() {
        1 => (check(0), Vec::new()),
        _ => std::thread::scope(|s| {
            let odd = s.spawn(|| check(1));
            let even = check(0);
            (even, odd.join().expect("the segment check does not panic"))
        }),
    };
    let mut all: Vec<(usize, Result<Checked>)> = even.into_iter().chain(odd).collect();
    all.sort_by_key(|(i, _)| *i);
    // The first bad segment in journal order.
    all.into_iter().map(|(_, checked)| checked).collect()
}

/// Checks how the segments join: `records` holds every segment's records end to end,
/// segment `i`'s at `ranges[i]`, and becomes the image.
fn join(
    found: Vec<(u64, PathBuf)>,
    checked: Vec<Checked>,
    records: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
    base: u64,
) -> Result<JournalImage> {
    let mut segments = Vec::with_capacity(found.len());
    let count = checked.len();
    let mut prev: Option<(u64, Option<(u64, Hash)>)> = None;
    for (i, (((index, path), c), range)) in found.into_iter().zip(checked).zip(ranges).enumerate() {
        let header = c.header;
        let binding = (header.first_sequence, header.prev_hash);
        match prev {
            // The first segment of a tail binds to the one before, which is not read.
            None if base == 0 && binding != (0, [0; 32]) => {
                let why = format!(
                    "segment {index:08} does not bind to the genesis (it starts at record {})",
                    header.first_sequence
                );
                return Err(segment_error(index, 0, 0, CorruptionReason::Segment(why)));
            }
            Some((prev_index, None)) => {
                let why = format!(
                    "segment {prev_index:08} holds no whole record but is sealed (segment \
                     {index:08} follows it)"
                );
                let place = SEGMENT_HEADER_BYTES as u64;
                return Err(segment_error(
                    prev_index,
                    place,
                    header.first_sequence,
                    CorruptionReason::Segment(why),
                ));
            }
            Some((prev_index, Some((last_sequence, last_hash))))
                if binding != (last_sequence + 1, last_hash) =>
            {
                let why = format!(
                    "segment {index:08} does not follow segment {prev_index:08}: it binds to \
                     record {} with hash {}, and segment {prev_index:08} ends at record \
                     {last_sequence} with hash {}",
                    header.first_sequence.wrapping_sub(1),
                    crate::checkpoint::hex(&header.prev_hash),
                    crate::checkpoint::hex(&last_hash),
                );
                return Err(segment_error(
                    index,
                    0,
                    last_sequence + 1,
                    CorruptionReason::Segment(why),
                ));
            }
            _ => {}
        }
        if let Some((first_sequence, first_prev)) = c
            .first
            .map(|(s, _)| s)
            .zip(first_prev_hash(&records[range.clone()]))
        {
            if (first_sequence, first_prev) != binding {
                let why = format!(
                    "the first record of segment {index:08} is not the one its header binds \
                     (record {first_sequence}, where the header says {})",
                    header.first_sequence
                );
                let place = SEGMENT_HEADER_BYTES as u64;
                return Err(segment_error(
                    index,
                    place,
                    header.first_sequence,
                    CorruptionReason::Segment(why),
                ));
            }
        }
        if let Some(torn) = &c.torn {
            if i + 1 < count {
                let why = format!(
                    "segment {index:08} ends in an incomplete record, but it is sealed (segment \
                     {:08} follows it): it was cut short or damaged",
                    index + 1
                );
                let place = SEGMENT_HEADER_BYTES as u64 + torn.offset;
                return Err(segment_error(
                    index,
                    place,
                    header.first_sequence + torn.sequence,
                    CorruptionReason::Segment(why),
                ));
            }
        }
        prev = Some((index, c.last));
        segments.push(Segment {
            header,
            path,
            start: base + range.start as u64,
            len: range.len() as u64,
        });
    }
    Ok(JournalImage {
        bytes: records,
        segments,
        base,
    })
}

/// The first record's `prev_hash`, when the segment's `records` hold one.
fn first_prev_hash(records: &[u8]) -> Option<Hash> {
    let frame = parse_frame(records, 0).ok()?;
    Some(frame.prev_hash())
}

/// The newest segment, open for appending: where the store's syncer writes. Rolls to a new
/// segment before a record would take the current one past `segment_bytes` (a record larger
/// than that alone fills a segment); a record never spans two segments.
///
/// Rolling syncs the current segment (it is sealed from then on), writes the new segment's
/// header aside, syncs it, renames it into place and syncs the directory
/// ([`JournalIo::create_whole`]), and only then appends records to it. A crash at any point
/// leaves the records written so far, a new segment holding its header alone (a valid, empty
/// newest segment), or a `.creating` file that is never read.
#[derive(Debug)]
pub struct SegmentedFile {
    io: Arc<dyn JournalIo>,
    dir: PathBuf,
    file: Box<dyn JournalFile>,
    /// The newest segment's number and its file's length (header included).
    index: u64,
    file_len: u64,
    segment_bytes: u64,
    /// The last record written: what a new segment binds to.
    last: (u64, Hash),
}

impl SegmentedFile {
    /// `file` is segment `index` of the data directory `dir`, `file_len` bytes long, whose
    /// journal ends with record `last`.
    pub fn new(
        io: Arc<dyn JournalIo>,
        dir: &Path,
        (index, file, file_len): (u64, Box<dyn JournalFile>, u64),
        segment_bytes: u64,
        last: (u64, Hash),
    ) -> SegmentedFile {
        SegmentedFile {
            io,
            dir: dir.to_path_buf(),
            file,
            index,
            file_len,
            segment_bytes,
            last,
        }
    }

    /// Creates segment 1 of a new journal in the data directory `dir` holding `genesis` (one
    /// whole genesis record, whose hash is `genesis_hash`), all at once, and opens it for
    /// appending. Fails with `AlreadyExists` when the segment exists.
    pub fn create(
        io: Arc<dyn JournalIo>,
        dir: &Path,
        genesis: &[u8],
        genesis_hash: Hash,
        segment_bytes: u64,
    ) -> io::Result<SegmentedFile> {
        let header = SegmentHeader {
            index: 1,
            first_sequence: 0,
            prev_hash: [0; 32],
        };
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(genesis);
        let path = segment_path(dir, 1);
        io.create_whole(&path, &bytes)?;
        let file = io.open_append(&path)?;
        let len = bytes.len() as u64;
        Ok(SegmentedFile::new(
            io,
            dir,
            (1, file, len),
            segment_bytes.max(SEGMENT_BYTES_MIN),
            (0, genesis_hash),
        ))
    }

    /// The newest segment's number.
    pub fn index(&self) -> u64 {
        self.index
    }

    fn roll(&mut self) -> io::Result<()> {
        self.file.sync()?;
        let header = SegmentHeader {
            index: self.index + 1,
            first_sequence: self.last.0 + 1,
            prev_hash: self.last.1,
        };
        let path = segment_path(&self.dir, header.index);
        self.io.create_whole(&path, &header.encode())?;
        self.file = self.io.open_append(&path)?;
        self.index = header.index;
        self.file_len = SEGMENT_HEADER_BYTES as u64;
        Ok(())
    }
}

impl JournalFile for SegmentedFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        // `bytes` holds whole records the writer framed itself.
        let mut run_start = 0;
        let mut at = 0;
        while at < bytes.len() {
            let len_bytes = &bytes[at + OFFSET_LENGTH..at + OFFSET_LENGTH + 4];
            let len = u32::from_le_bytes(len_bytes.try_into().expect("4 bytes")) as usize;
            let pending = (at - run_start) as u64;
            let used = self.file_len + pending;
            if used > SEGMENT_HEADER_BYTES as u64 && used + len as u64 > self.segment_bytes {
                self.file.append(&bytes[run_start..at])?;
                self.file_len += pending;
                self.roll()?;
                run_start = at;
            }
            let record = &bytes[at..at + len];
            let sequence = u64::from_le_bytes(
                record[crate::record::OFFSET_SEQUENCE..crate::record::OFFSET_SEQUENCE + 8]
                    .try_into()
                    .expect("8 bytes"),
            );
            self.last = (
                sequence,
                record[len - HASH_BYTES..].try_into().expect("32 bytes"),
            );
            at += len;
        }
        self.file.append(&bytes[run_start..])?;
        self.file_len += (bytes.len() - run_start) as u64;
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.truncate(len)?;
        self.file_len = len;
        Ok(())
    }
}
