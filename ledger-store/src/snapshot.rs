//! Snapshot files: the engine's state after one journal record (`ledger_core::snapshot`), bound
//! to that record by its hash, so that opening a long ledger replays only the records after it
//! (docs/FORMAT.md §16).
//!
//! Snapshots are derived data, like the index: the journal alone is the ledger. A snapshot is
//! used only when its file hash, its binding to the journal and the decoded state's digest all
//! hold; any other is skipped and reported (an older one, or a full replay, serves instead), and
//! `verify` names it as damage of a derived file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ledger_core::Ledger;

use crate::audit_stream::PIECE_BYTES;
use crate::error::{Corruption, CorruptionReason};
use crate::file::JournalIo;
use crate::journal::scan_frames;
use crate::merkle::FrontierBuilder;
use crate::record::{parse_frame, Hash, RecordKind, HASH_BYTES};

/// The directory, in the data directory, that holds the snapshot files.
pub const SNAPSHOT_DIR_NAME: &str = "snapshots";
/// The first bytes of a snapshot file: ASCII `TBSS`.
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"TBSS";
/// The snapshot file format version this build writes and reads (4: the state digest is the
/// third, §5.2; version 3 files held the second, version 2 files had no Merkle frontier after
/// the state, version 1 held the first digest: all are passed over).
pub const SNAPSHOT_VERSION: u8 = 4;
/// Bytes before the state: magic, version, reserved, sequence, record hash, digest, length.
pub const SNAPSHOT_HEADER_BYTES: usize = 88;
/// The context of the hash that closes a snapshot file (BLAKE3 derive_key mode).
pub const SNAPSHOT_HASH_CONTEXT: &str = "timebank-ledger 2026-11 snapshot file v1";
/// How many snapshot files the store keeps: the newest, and one more should it be damaged.
pub const SNAPSHOTS_KEPT: usize = 2;
/// Journal bytes written after the newest snapshot's record before a clean close writes a
/// new one: replaying fewer than this takes well under a second.
pub const SNAPSHOT_AFTER_BYTES_DEFAULT: u64 = 4 * 1024 * 1024;

/// Where the state of a snapshot stands in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The sequence number of the record the state follows.
    pub sequence: u64,
    /// That record's hash.
    pub record_hash: Hash,
    /// The state digest (FORMAT.md §5.2) of the state.
    pub state_digest: Hash,
    /// The frontier of the Merkle tree over records 0 to `sequence`
    /// ([`crate::merkle::MerkleTree::frontier`]): one hash per bit set in `sequence + 1`,
    /// so that an open from this snapshot can grow the tree without reading those records.
    pub frontier: Vec<Hash>,
}

/// What opening did with the snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotReport {
    /// The snapshot the state was rebuilt from (the records after it were replayed); `None`
    /// for a full replay.
    pub used: Option<SnapshotUsed>,
    /// Snapshot files passed over, newest first, each with why.
    pub skipped: Vec<SnapshotSkipped>,
}

/// The snapshot an open started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotUsed {
    /// Its file name in `snapshots/`.
    pub file: String,
    /// The record its state follows.
    pub sequence: u64,
}

/// A snapshot file an open did not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSkipped {
    /// Its file name in `snapshots/`.
    pub file: String,
    /// Why it was not used.
    pub why: String,
}

/// A snapshot file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotWritten {
    /// Where.
    pub path: PathBuf,
    /// The record its state follows.
    pub sequence: u64,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// A snapshot file's name: the sequence number as 20 decimal digits, then `.tbs`.
pub fn snapshot_name(sequence: u64) -> String {
    format!("{sequence:020}.tbs")
}

/// The sequence number a snapshot file's name gives, if it is one.
fn sequence_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".tbs")?;
    let all_digits = digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

/// The whole file: header, state, hash.
pub fn encode_file(header: &SnapshotHeader, state: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SNAPSHOT_HEADER_BYTES + state.len() + HASH_BYTES);
    out.extend_from_slice(&SNAPSHOT_MAGIC);
    out.push(SNAPSHOT_VERSION);
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&header.sequence.to_le_bytes());
    out.extend_from_slice(&header.record_hash);
    out.extend_from_slice(&header.state_digest);
    out.extend_from_slice(&(state.len() as u64).to_le_bytes());
    out.extend_from_slice(state);
    // Invariant: at most 64 bits are set in a u64, one frontier hash each.
    out.push(u8::try_from(header.frontier.len()).expect("at most 64 frontier hashes"));
    header
        .frontier
        .iter()
        .for_each(|h| out.extend_from_slice(h));
    let hash = file_hash(&out);
    out.extend_from_slice(&hash);
    out
}

fn file_hash(bytes: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new_derive_key(SNAPSHOT_HASH_CONTEXT);
    hasher.update(bytes);
    *hasher.finalize().as_bytes()
}

/// The header and state of a snapshot file, after its structure and hash are checked.
pub fn parse_file(bytes: &[u8]) -> Result<(SnapshotHeader, &[u8]), String> {
    let layout = layout_of(bytes)?;
    check_hash(bytes, &layout)?;
    header_of(bytes, &layout)
}

/// Where a snapshot file's parts end, from its size and length field.
struct Layout {
    /// The end of the state (the frontier's count follows).
    state_end: usize,
    /// The end of what the file's hash covers (the hash follows).
    end: usize,
    /// The state's length, as its field says.
    length: u64,
}

impl Layout {
    /// Why a file of `size` bytes does not hold what its length field says.
    fn size_mismatch(length: u64, size: usize) -> String {
        format!("its length field ({length}) does not match its size ({size} bytes): cut short or damaged")
    }
}

/// The first checks of a snapshot file: its size, magic and length field.
fn layout_of(bytes: &[u8]) -> Result<Layout, String> {
    if bytes.len() < SNAPSHOT_HEADER_BYTES + HASH_BYTES {
        return Err(format!(
            "{} bytes, less than a header and a hash: cut short",
            bytes.len()
        ));
    }
    if bytes[..4] != SNAPSHOT_MAGIC {
        return Err("not a snapshot file (no TBSS magic)".into());
    }
    let length = u64::from_le_bytes(bytes[80..88].try_into().expect("8 bytes"));
    // The state, then (from version 3) a count and that many frontier hashes, then the hash.
    let end = bytes.len() - HASH_BYTES;
    match (SNAPSHOT_HEADER_BYTES as u64)
        .checked_add(length)
        .filter(|&state_end| state_end <= end as u64)
    {
        Some(state_end) => Ok(Layout {
            state_end: state_end as usize,
            end,
            length,
        }),
        None => Err(Layout::size_mismatch(length, bytes.len())),
    }
}

fn check_hash(bytes: &[u8], layout: &Layout) -> Result<(), String> {
    match file_hash(&bytes[..layout.end]) == bytes[layout.end..] {
        true => Ok(()),
        false => Err("its hash does not match its bytes: damaged".into()),
    }
}

/// The header and state of a snapshot file whose layout was read: the checks after the hash.
fn header_of<'a>(bytes: &'a [u8], layout: &Layout) -> Result<(SnapshotHeader, &'a [u8]), String> {
    let Layout {
        state_end,
        end,
        length,
    } = *layout;
    let size_mismatch = || Layout::size_mismatch(length, bytes.len());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    if bytes[4] != SNAPSHOT_VERSION || bytes[5..8] != [0; 3] {
        return Err(format!(
            "snapshot format version {} is not one this binary reads (it reads {SNAPSHOT_VERSION})",
            bytes[4]
        ));
    }
    let frontier_bytes = bytes.get(state_end + 1..end).unwrap_or_default();
    let count = bytes[..end]
        .get(state_end)
        .copied()
        .ok_or_else(size_mismatch)? as usize;
    if frontier_bytes.len() != count * HASH_BYTES {
        return Err(size_mismatch());
    }
    let hash_at = |at: usize| -> Hash { bytes[at..at + 32].try_into().expect("32 bytes") };
    let header = SnapshotHeader {
        sequence: u64_at(8),
        record_hash: hash_at(16),
        state_digest: hash_at(48),
        frontier: frontier_bytes
            .chunks_exact(HASH_BYTES)
            .map(|h| h.try_into().expect("32 bytes"))
            .collect(),
    };
    let bits_set = header.sequence.wrapping_add(1).count_ones() as usize;
    if header.sequence == u64::MAX || header.frontier.len() != bits_set {
        return Err(format!(
            "its Merkle frontier holds {} hashes, where a tree of record 0 to {} has {bits_set}: \
             damaged",
            header.frontier.len(),
            header.sequence
        ));
    }
    Ok((header, &bytes[SNAPSHOT_HEADER_BYTES..state_end]))
}

/// The journal record a snapshot binds to, if `journal` holds it with that hash (and, when
/// `journal` knows it, the Merkle frontier the snapshot holds); else why not.
fn check_binding(header: &SnapshotHeader, journal: &dyn RecordHashes) -> Result<(), String> {
    let stored = journal.record_hash(header.sequence)?;
    if stored != header.record_hash {
        return Err(format!(
            "it is bound to record {} with hash {}, but the journal's record {} has hash {}: \
             a snapshot of another ledger or of a rewritten history",
            header.sequence,
            hex(&header.record_hash),
            header.sequence,
            hex(&stored)
        ));
    }
    if journal
        .frontier(header.sequence)
        .is_some_and(|f| f != header.frontier)
    {
        return Err(format!(
            "its Merkle frontier is not that of the journal's records 0 to {}: damaged",
            header.sequence
        ));
    }
    Ok(())
}

/// Where a snapshot's binding finds the hashes of the journal's records.
pub trait RecordHashes {
    /// Record `sequence`'s stored hash, or why the journal has none to compare.
    fn record_hash(&self, sequence: u64) -> Result<Hash, String>;

    /// The Merkle frontier of records 0 to `sequence` (§13), when this source computed it
    /// (a verification reading every record does; an open does not).
    fn frontier(&self, _sequence: u64) -> Option<Vec<Hash>> {
        None
    }
}

/// A journal image and its frames (offset, length), as a replay or an open holds them.
#[derive(Debug, Clone, Copy)]
pub struct ImageRecords<'a> {
    /// The journal image.
    pub journal: &'a [u8],
    /// Its frames, in order.
    pub frames: &'a [(u64, u32)],
}

impl RecordHashes for ImageRecords<'_> {
    fn record_hash(&self, sequence: u64) -> Result<Hash, String> {
        let image = ImageAt {
            bytes: self.journal,
            first: 0,
            base: 0,
        };
        ImageAtRecords {
            image,
            frames: self.frames,
        }
        .record_hash(sequence)
    }
}

/// The hashes of a few records and the Merkle frontiers after them, found by reading every
/// record of the journal in order (in pieces, or from an image).
struct FoundRecords {
    hashes: BTreeMap<u64, (Hash, Vec<Hash>)>,
    /// How many records the journal holds.
    records: u64,
    /// The tree's frontier so far, once the genesis record named the tree's hash.
    tree: Option<FrontierBuilder>,
}

impl FoundRecords {
    fn new() -> FoundRecords {
        FoundRecords {
            hashes: BTreeMap::new(),
            records: 0,
            tree: None,
        }
    }

    /// Notes the next record; `false` when it is out of place (its sequence number is not the
    /// count so far).
    fn note(&mut self, frame: &crate::record::Frame<'_>, wanted: &[u64]) -> bool {
        if frame.sequence() != self.records {
            return false;
        }
        if self.records == 0 {
            let profile = crate::profile::split_genesis_body(frame.body()).map(|(p, _)| p);
            self.tree = profile.ok().map(|p| FrontierBuilder::new(p.tree_hash()));
        }
        let hash = frame.stored_hash();
        if let Some(tree) = self.tree.as_mut() {
            tree.push(&hash);
        }
        if wanted.contains(&self.records) {
            let frontier = self.tree.as_ref().map(|t| t.frontier()).unwrap_or_default();
            self.hashes.insert(self.records, (hash, frontier));
        }
        self.records += 1;
        true
    }
}

impl RecordHashes for FoundRecords {
    fn record_hash(&self, sequence: u64) -> Result<Hash, String> {
        match self.hashes.get(&sequence) {
            Some((hash, _)) => Ok(*hash),
            None => Err(past_the_end(sequence, self.records)),
        }
    }

    fn frontier(&self, sequence: u64) -> Option<Vec<Hash>> {
        self.tree.as_ref()?;
        self.hashes.get(&sequence).map(|(_, f)| f.clone())
    }
}

fn past_the_end(sequence: u64, records: u64) -> String {
    format!(
        "it follows record {sequence}, past the journal's last ({})",
        records.saturating_sub(1)
    )
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a snapshot file fully: structure and hash, binding to `journal`, the state decoded,
/// and its digest against the recorded one. Returns the header and the ledger.
pub fn check_file(
    file: &[u8],
    journal: &dyn RecordHashes,
) -> Result<(SnapshotHeader, Ledger), String> {
    checked_while_hashed(file, |header, state| {
        check_binding(&header, journal)?;
        let (ledger, digest) =
            ledger_core::snapshot::decode_digested(state).map_err(|e| e.to_string())?;
        check_digest(&header, digest)?;
        Ok((header, ledger))
    })
}

/// Checks a snapshot file as [`check_file`] does, without building the ledger: the state is
/// decoded and digested a transfer at a time ([`ledger_core::snapshot::digest`]), so a check
/// takes memory in proportion to the accounts, not the history. Returns the header.
pub fn check_file_digest(
    file: &[u8],
    journal: &dyn RecordHashes,
) -> Result<SnapshotHeader, String> {
    checked_while_hashed(file, |header, state| {
        check_binding(&header, journal)?;
        let digest = ledger_core::snapshot::digest(state).map_err(|e| e.to_string())?;
        check_digest(&header, digest)?;
        Ok(header)
    })
}

/// `check(header, state)` of a snapshot file, run while a second thread checks the file's
/// hash: neither needs the other, so a check takes the longer of the two rather than both
/// (at 100 M transfers the file is 300 MB). Its result counts only once the hash matches: a
/// file whose hash fails is refused for that, as when the hash was checked first, whatever
/// the decoder made of its bytes (it refuses any bytes it cannot read, hashed or not).
fn checked_while_hashed<T>(
    file: &[u8],
    check: impl FnOnce(SnapshotHeader, &[u8]) -> Result<T, String>,
) -> Result<T, String> {
    let layout = layout_of(file)?;
    let (hashed, checked) = std::thread::scope(|scope| {
        let hashed = scope.spawn(|| check_hash(file, &layout));
        let checked = header_of(file, &layout).and_then(|(header, state)| check(header, state));
        (hashed.join(), checked)
    });
    hashed.unwrap_or_else(|_| Err("its hash could not be computed".into()))?;
    checked
}

fn check_digest(header: &SnapshotHeader, decoded: Hash) -> Result<(), String> {
    match decoded == header.state_digest {
        true => Ok(()),
        false => Err("the decoded state's digest is not the one it records".into()),
    }
}

/// Checks that the file named for record `sequence` holds the state after that record.
fn check_name(header: &SnapshotHeader, sequence: u64) -> Result<(), String> {
    match header.sequence == sequence {
        true => Ok(()),
        false => Err(format!(
            "it holds the state after record {}, not {sequence} as its name says",
            header.sequence
        )),
    }
}

/// The snapshot files of a data directory, newest first, as (sequence, file name), and the
/// names beside them that are not snapshots.
pub type Listing = (Vec<(u64, String)>, Vec<String>);

/// The snapshot files in `dir/snapshots/`, newest first, and the names there that are not
/// snapshots (a `.creating` file is one whose writing did not finish).
pub fn list(io: &dyn JournalIo, dir: &Path) -> std::io::Result<Listing> {
    let names = io.list(&dir.join(SNAPSHOT_DIR_NAME))?.unwrap_or_default();
    let (mut snapshots, mut others) = (Vec::new(), Vec::new());
    for name in names {
        match sequence_of(&name) {
            Some(sequence) => snapshots.push((sequence, name)),
            None => others.push(name),
        }
    }
    snapshots.sort_unstable_by(|a, b| b.cmp(a));
    others.sort_unstable();
    Ok((snapshots, others))
}

/// A journal image as [`load`] reads it: whole, or the journal's tail.
#[derive(Debug, Clone, Copy)]
pub struct ImageAt<'a> {
    /// The image's bytes.
    pub bytes: &'a [u8],
    /// The sequence number of its first record (0 for a whole image).
    pub first: u64,
    /// Where it starts in the whole journal's image (0 for a whole image).
    pub base: u64,
}

/// A snapshot [`load`] found good.
#[derive(Debug)]
pub struct Loaded {
    /// The record its state follows.
    pub sequence: u64,
    /// Where that record ends in the whole journal's image.
    pub covers: u64,
    /// The state.
    pub ledger: Ledger,
    /// The Merkle frontier of records 0 to `sequence`.
    pub frontier: Vec<Hash>,
}

/// The hashes of an image's records, by the whole journal's sequence numbers.
struct ImageAtRecords<'a> {
    image: ImageAt<'a>,
    frames: &'a [(u64, u32)],
}

impl RecordHashes for ImageAtRecords<'_> {
    fn record_hash(&self, sequence: u64) -> Result<Hash, String> {
        let (journal, first) = (self.image.bytes, self.image.first);
        let Some(local) = sequence.checked_sub(first) else {
            return Err(format!(
                "record {sequence} is before the journal's tail that was read"
            ));
        };
        let Some(&(offset, len)) = usize::try_from(local).ok().and_then(|i| self.frames.get(i))
        else {
            return Err(past_the_end(sequence, first + self.frames.len() as u64));
        };
        let frame = parse_frame(
            &journal[offset as usize..(offset + u64::from(len)) as usize],
            offset,
        )
        .map_err(|e| format!("the journal's record {sequence} does not parse: {e}"))?;
        match frame.sequence() == sequence {
            true => Ok(frame.stored_hash()),
            false => Err(format!("the journal's record {sequence} is out of place")),
        }
    }
}

/// The newest snapshot whose record is at most `at_most` and that checks (see [`check_file`]):
/// its record's sequence, the image offset where that record ends, the state and the
/// Merkle frontier. Every file
/// passed over is noted in `report`, and so is every unfinished one. With `keep_all` (a store
/// that keeps every transfer in memory) a state that let transfers go is passed over too.
/// Files `report` already notes, and those whose record is before the image (a tail), are
/// left alone.
pub fn load(
    io: &dyn JournalIo,
    dir: &Path,
    journal: ImageAt<'_>,
    at_most: u64,
    keep_all: bool,
    report: &mut SnapshotReport,
) -> Option<Loaded> {
    let (snapshots, others) = match list(io, dir) {
        Ok(found) => found,
        Err(e) => {
            report.skipped.push(SnapshotSkipped {
                file: SNAPSHOT_DIR_NAME.into(),
                why: format!("the directory cannot be read: {e}"),
            });
            return None;
        }
    };
    let noted = |report: &SnapshotReport, name: &str| report.skipped.iter().any(|s| s.file == name);
    for name in others.into_iter().filter(|n| n.ends_with(".creating")) {
        if noted(report, &name) {
            continue;
        }
        report.skipped.push(SnapshotSkipped {
            file: name,
            why: "half-written (its writing did not finish): ignored".into(),
        });
    }
    // Scanning the journal's frames hashes every record: only when there are snapshots.
    let frames = match snapshots.is_empty() {
        true => Vec::new(),
        false => frames_of(journal.bytes),
    };
    let mut found = None;
    for (sequence, name) in snapshots {
        if found.is_some() {
            break;
        }
        // Passed over by the read of a shorter tail (and noted then), or before this tail (a
        // longer one may take it): neither is tried here.
        if noted(report, &name) || sequence < journal.first {
            continue;
        }
        let why = if sequence > at_most {
            format!(
                "it follows record {sequence}, after record {at_most}, where the index \
                 stands: the index is caught up by replaying from there"
            )
        } else {
            match io.read(&dir.join(SNAPSHOT_DIR_NAME).join(&name)) {
                Ok(Some(bytes)) => match check_file(
                    &bytes,
                    &ImageAtRecords {
                        image: journal,
                        frames: &frames,
                    },
                )
                .and_then(|(header, ledger)| {
                    check_name(&header, sequence).map(|()| (header, ledger))
                })
                .and_then(|(header, ledger)| {
                    match keep_all && ledger.evicted_transfer_count() > 0 {
                        true => Err(
                            "its state let old transfers go, and this store keeps every \
                                 transfer in memory (no resident_transfers): passed over"
                                .into(),
                        ),
                        false => Ok((header, ledger)),
                    }
                }) {
                    Ok((header, ledger)) => {
                        report.used = Some(SnapshotUsed {
                            file: name,
                            sequence,
                        });
                        // Invariant: the binding found the record in the image.
                        let (offset, len) = frames[(sequence - journal.first) as usize];
                        found = Some(Loaded {
                            sequence,
                            covers: journal.base + offset + u64::from(len),
                            ledger,
                            frontier: header.frontier,
                        });
                        continue;
                    }
                    Err(why) => why,
                },
                Ok(None) => "it vanished while being read".into(),
                Err(e) => format!("it cannot be read: {e}"),
            }
        };
        report.skipped.push(SnapshotSkipped { file: name, why });
    }
    found
}

/// Writes the snapshot of `state` (the engine state after record `header.sequence`) to
/// `dir/snapshots/`, durably (a temporary file synced, renamed, the directory synced), then
/// removes all but the newest [`SNAPSHOTS_KEPT`].
pub fn write(
    io: &dyn JournalIo,
    dir: &Path,
    header: &SnapshotHeader,
    state: &[u8],
) -> std::io::Result<SnapshotWritten> {
    let path = dir
        .join(SNAPSHOT_DIR_NAME)
        .join(snapshot_name(header.sequence));
    let file = encode_file(header, state);
    match io.create_whole(&path, &file) {
        // A snapshot of this record exists: the same state, so nothing to write, unless its
        // bytes differ (a build with another state encoding wrote it, or it is damaged): it
        // is replaced. A crash in between leaves no snapshot of this record, never part of one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if io.read(&path)?.as_deref() != Some(&file[..]) {
                io.remove(&path)?;
                io.create_whole(&path, &file)?;
            }
        }
        other => other?,
    }
    let (snapshots, _) = list(io, dir)?;
    for (_, name) in snapshots.iter().skip(SNAPSHOTS_KEPT) {
        io.remove(&dir.join(SNAPSHOT_DIR_NAME).join(name))?;
    }
    Ok(SnapshotWritten {
        path,
        sequence: header.sequence,
        bytes: file.len() as u64,
    })
}

/// Checks every snapshot file of `dir` against `journal` (as [`check_file_digest`] does); per
/// file, its name and its header, or why it is bad. A half-written file (`.creating`) is not a
/// snapshot: never read, so not checked.
pub fn check_all(
    io: &dyn JournalIo,
    dir: &Path,
    journal: &dyn RecordHashes,
) -> std::io::Result<Vec<(String, Result<SnapshotHeader, String>)>> {
    let (snapshots, _) = list(io, dir)?;
    let mut out = Vec::new();
    for (sequence, name) in snapshots {
        let result = match io.read(&dir.join(SNAPSHOT_DIR_NAME).join(&name))? {
            Some(bytes) => check_file_digest(&bytes, journal)
                .and_then(|header| check_name(&header, sequence).map(|()| header)),
            None => continue,
        };
        out.push((name, result));
    }
    Ok(out)
}

/// The journal's frames (offset, length), found once for every snapshot check against it.
fn frames_of(journal: &[u8]) -> Vec<(u64, u32)> {
    scan_frames(journal).map(|s| s.frames).unwrap_or_default()
}

/// Snapshot checks riding on a replay of the whole journal (`verify --replay`): each file is
/// checked as [`check_all`] does, and its digest compared with the replayed state's after its
/// record.
#[derive(Debug)]
pub struct ReplayCheck {
    files: Vec<(String, Result<SnapshotHeader, String>)>,
    /// Per file: the command record after which the state is the snapshot's (the last command
    /// at or before its record: checkpoints change no state), if any.
    targets: Vec<Option<u64>>,
    /// The replayed digest after each target record, once the replay passed it.
    digests: BTreeMap<u64, Option<Hash>>,
}

impl ReplayCheck {
    /// The checks for the snapshot files of `dir`, against `journal` (its image).
    pub fn new(io: &dyn JournalIo, dir: &Path, journal: &[u8]) -> std::io::Result<ReplayCheck> {
        // Scanning the journal's frames hashes every record: only when there are snapshots.
        let named: Vec<u64> = list(io, dir)?.0.into_iter().map(|(n, _)| n).collect();
        let frames = match named.is_empty() {
            true => Vec::new(),
            false => frames_of(journal),
        };
        let files = check_all(io, dir, &found_in_image(journal, &frames, &named))?;
        let kind_at = |i: usize| {
            let (offset, len) = frames[i];
            let bytes = &journal[offset as usize..(offset + u64::from(len)) as usize];
            parse_frame(bytes, offset).map(|f| f.kind()).ok()
        };
        let mut targets = Vec::new();
        let mut digests = BTreeMap::new();
        for (_, result) in &files {
            let target = result.as_ref().ok().and_then(|header| {
                let last = (header.sequence as usize).min(frames.len().checked_sub(1)?);
                (1..=last)
                    .rev()
                    .find(|&i| kind_at(i) == Some(RecordKind::Command))
                    .map(|i| i as u64)
            });
            if let Some(t) = target {
                digests.insert(t, None);
            }
            targets.push(target);
        }
        Ok(ReplayCheck {
            files,
            targets,
            digests,
        })
    }

    /// Called by the replay after each command record.
    pub fn observe(&mut self, sequence: u64, ledger: &Ledger) {
        if let Some(slot) = self.digests.get_mut(&sequence) {
            *slot = Some(ledger.state_digest());
        }
    }

    /// The number of snapshots checked, or the first that fails, as damage of a derived file
    /// after the journal's `head` (sequence, end offset).
    pub fn finish(self, head: (u64, u64)) -> Result<u64, Corruption> {
        let mut checked = 0;
        for ((file, result), target) in self.files.into_iter().zip(self.targets) {
            let header = result.map_err(|why| damaged(&file, why, head))?;
            let replayed = target.and_then(|t| self.digests.get(&t).copied().flatten());
            if target.is_some() && replayed != Some(header.state_digest) {
                let why = format!(
                    "its state differs from the replayed state after record {}",
                    header.sequence
                );
                return Err(damaged(&file, why, head));
            }
            checked += 1;
        }
        Ok(checked)
    }
}

/// [`ReplayCheck`] for a journal replayed as it is read, record by record: what it needs of
/// the journal is noted on the way ([`StreamCheck::before`]), and the files are checked at the
/// end.
pub(crate) struct StreamCheck {
    /// The records the snapshot files' names say they follow, ascending.
    named: Vec<u64>,
    /// How many of them the replay has passed.
    passed: usize,
    found: FoundRecords,
    /// The newest command record seen.
    last_command: Option<u64>,
    /// Per named record: the replayed state's digest after the last command record at or
    /// before it, or `None` when there is none.
    digests: BTreeMap<u64, Option<Hash>>,
}

impl StreamCheck {
    pub(crate) fn new(io: &dyn JournalIo, dir: &Path) -> std::io::Result<StreamCheck> {
        let mut named: Vec<u64> = list(io, dir)?.0.into_iter().map(|(n, _)| n).collect();
        named.sort_unstable();
        named.dedup();
        Ok(StreamCheck {
            named,
            passed: 0,
            found: FoundRecords::new(),
            last_command: None,
            digests: BTreeMap::new(),
        })
    }

    /// Called before the replay applies `frame`, with the state before it: the state of every
    /// snapshot named before this record is this one (checkpoints change no state).
    pub(crate) fn before(&mut self, frame: &crate::record::Frame<'_>, state: Option<&Ledger>) {
        self.pass_before(frame.sequence(), state);
        self.found.note(frame, &self.named);
        if frame.kind() == RecordKind::Command {
            self.last_command = Some(frame.sequence());
        }
    }

    fn pass_before(&mut self, sequence: u64, state: Option<&Ledger>) {
        while let Some(&at) = self.named.get(self.passed).filter(|&&at| at < sequence) {
            let digest = self.last_command.and(state).map(Ledger::state_digest);
            self.digests.insert(at, digest);
            self.passed += 1;
        }
    }

    /// After the last record, with the final state: every snapshot file checked (structure,
    /// hash, binding, decoded state) and its digest compared with the replayed state after its
    /// record, as [`ReplayCheck::finish`] does; the number checked.
    pub(crate) fn finish(
        mut self,
        io: &dyn JournalIo,
        dir: &Path,
        state: &Ledger,
        head: (u64, u64),
    ) -> crate::Result<u64> {
        self.pass_before(u64::MAX, Some(state));
        let mut checked = 0;
        for (file, result) in check_all(io, dir, &self.found)? {
            let header = result.map_err(|why| damaged(&file, why, head))?;
            let replayed = self.digests.get(&header.sequence).copied().flatten();
            if replayed.is_some_and(|digest| digest != header.state_digest) {
                let why = format!(
                    "its state differs from the replayed state after record {}",
                    header.sequence
                );
                return Err(damaged(&file, why, head).into());
            }
            checked += 1;
        }
        Ok(checked)
    }
}

fn damaged(file: &str, why: String, (sequence, offset): (u64, u64)) -> Corruption {
    Corruption {
        segment: None,
        sequence,
        offset,
        reason: CorruptionReason::Snapshot {
            file: file.to_owned(),
            why,
        },
    }
}

/// Checks every snapshot file of `dir` (as [`check_all`] does) against the journal read from
/// `dir` and `archives`: the number checked, or the first that fails as
/// [`CorruptionReason::Snapshot`]. Reads the journal only when there are snapshots, and then
/// in pieces, keeping the hashes of the records they name (memory does not grow with the
/// journal); a journal that does not read as whole records is read as one image instead.
pub fn verify_snapshots(dir: &Path, archives: &[PathBuf]) -> crate::Result<u64> {
    let io = crate::file::OsIo;
    let named: Vec<u64> = list(&io, dir)?.0.into_iter().map(|(n, _)| n).collect();
    if named.is_empty() {
        return Ok(0);
    }
    let pieces = records_in_pieces(&io, dir, archives, &named, PIECE_BYTES);
    let (files, head) = match pieces {
        Some((found, head)) => (check_all(&io, dir, &found)?, head),
        None => {
            let image = crate::segment::read_journal(&io, dir, archives)?;
            let frames = frames_of(&image.bytes);
            let head = frames.last().map_or((0, 0), |&(offset, len)| {
                (frames.len() as u64 - 1, offset + u64::from(len))
            });
            let found = found_in_image(&image.bytes, &frames, &named);
            (check_all(&io, dir, &found)?, head)
        }
    };
    let mut checked = 0;
    for (file, result) in files {
        result.map_err(|why| damaged(&file, why, head))?;
        checked += 1;
    }
    Ok(checked)
}

/// The hashes of records `wanted` and the Merkle frontiers after them, from a journal image
/// and its frames (up to the first frame out of place, which the binding then names).
fn found_in_image(journal: &[u8], frames: &[(u64, u32)], wanted: &[u64]) -> FoundRecords {
    let mut found = FoundRecords::new();
    for &(offset, len) in frames {
        let bytes = &journal[offset as usize..(offset + u64::from(len)) as usize];
        match parse_frame(bytes, offset) {
            Ok(frame) if found.note(&frame, wanted) => {}
            _ => break,
        }
    }
    found
}

/// The hashes of records `wanted`, read from the segments in pieces of `piece_bytes` (more when a
/// record is longer), and the journal's head
/// (last sequence, end offset in the image); `None` when a segment does not hold whole,
/// well-formed records in order (the caller reads the image, which names the problem).
fn records_in_pieces(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    wanted: &[u64],
    piece_bytes: usize,
) -> Option<(FoundRecords, (u64, u64))> {
    use crate::record::OFFSET_LENGTH;
    use crate::segment::{find_segments, SEGMENT_HEADER_BYTES};
    let segments = find_segments(io, dir, archives).ok()??;
    let mut found = FoundRecords::new();
    let (mut image_len, mut buffer) = (0u64, Vec::new());
    for (_, path) in &segments {
        let size = io.size(path).ok()?;
        let mut at = SEGMENT_HEADER_BYTES as u64;
        let mut want = piece_bytes.max(1);
        while at < size {
            let len = usize::try_from(size - at).ok()?.min(want);
            buffer.resize(len, 0);
            if !io.read_at(path, at, &mut buffer).ok()? {
                return None;
            }
            let image_offset = image_len + at - SEGMENT_HEADER_BYTES as u64;
            let mut start = 0;
            while let Ok(frame) = parse_frame(&buffer[start..], image_offset + start as u64) {
                if !found.note(&frame, wanted) {
                    return None;
                }
                start += frame.len();
            }
            if start < len && at + len as u64 == size {
                return None;
            }
            // A record that did not fit starts the next read, which holds it whole.
            want = match buffer.get(start + OFFSET_LENGTH..start + OFFSET_LENGTH + 4) {
                Some(b) => piece_bytes.max(u32::from_le_bytes(b.try_into().ok()?) as usize),
                None => piece_bytes.max(OFFSET_LENGTH + 4),
            };
            if start == 0 && len >= want {
                return None;
            }
            at += start as u64;
        }
        image_len += size.checked_sub(SEGMENT_HEADER_BYTES as u64)?;
    }
    let head = (found.records.checked_sub(1)?, image_len);
    Some((found, head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::OsIo;
    use crate::segment::read_journal;
    use crate::store::{Store, StoreOptions};
    use ledger_core::{
        AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferId, Unit,
    };

    #[test]
    fn records_read_in_pieces_of_any_size_have_the_images_hashes() {
        let dir = std::env::temp_dir().join(format!(
            "ledger-store-snapshot-pieces-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let now = 1_767_225_600_000_000_000;
        let options = StoreOptions::default().segment_bytes(1_024);
        let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
        let store = Store::create(&dir, &policy, now, options).unwrap();
        let id = |n: u128| AccountId::new(n).unwrap();
        let accounts = vec![
            NewAccount::new(id(1), 1, AccountKind::Issuer),
            NewAccount::new(id(2), 1, AccountKind::Member),
        ];
        store.create_accounts(accounts, now).unwrap();
        for n in 1..=40u128 {
            let service = Transfer::new(
                TransferId::new(n).unwrap(),
                id(1),
                id(2),
                Amount::from_minor(25, 2).unwrap(),
                1,
            );
            store.create_transfers(vec![service], now + 1).unwrap();
        }
        store.close().unwrap();

        let image = read_journal(&OsIo, &dir, &[]).unwrap();
        assert!(image.segments.len() > 3);
        let frames = frames_of(&image.bytes);
        let whole = ImageRecords {
            journal: &image.bytes,
            frames: &frames,
        };
        let every: Vec<u64> = (0..frames.len() as u64).collect();
        let end = frames.last().map(|&(o, l)| o + u64::from(l)).unwrap();
        for piece in [1, 7, 100, 1_000, PIECE_BYTES] {
            let (found, head) =
                records_in_pieces(&OsIo, &dir, &[], &every, piece).expect("whole records");
            assert_eq!(head, (frames.len() as u64 - 1, end), "piece {piece}");
            for &n in &every {
                assert_eq!(
                    found.record_hash(n),
                    whole.record_hash(n),
                    "record {n}, piece {piece}"
                );
            }
            assert_eq!(
                found.record_hash(every.len() as u64),
                whole.record_hash(every.len() as u64)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
