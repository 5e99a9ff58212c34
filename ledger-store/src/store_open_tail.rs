//! Opening from the journal's tail (`docs/FORMAT.md` §16.2): with a usable index and
//! snapshot, only the segments from the one holding the snapshot's record are read, the state
//! resumes from the snapshot and the Merkle tree grows from its frontier. Anything that does
//! not check leaves the open to the whole read (`store_open.rs`), which names what is wrong.

use std::path::Path;

use crate::error::Result;
use crate::index::{Index, IndexMark};
use crate::journal::{scan_frames, Scan};
use crate::merkle::MerkleTree;
use crate::record::parse_frame;
use crate::replay::{replay_tail, Resume, Tail};
use crate::segment::{
    find_segments, read_journal_tail, JournalImage, JOURNAL_DIR_NAME, SEGMENT_HEADER_BYTES,
};
use crate::snapshot::{self, ImageAt, Loaded, SnapshotReport};
use crate::store::{IndexRecovery, JournalRead, StoreOptions};
use crate::store_open::{open_index_for, CatchUp, Opened};

/// What the open from the journal's tail did.
pub(crate) enum FromTail {
    /// What the store starts with.
    Opened(Box<Opened>),
    /// Every snapshot file was tried and passed over (each in the report, once): the journal
    /// is replayed from its start.
    NoSnapshot(SnapshotReport),
    /// The tail was not used (one segment, no snapshot file, an index without a usable mark,
    /// or something else that did not check): the caller decides from the whole journal.
    NotUsed,
}

/// Opens from the newest snapshot without reading the journal before it (`docs/FORMAT.md`
/// §16.2): the index's mark, the snapshot (bound to a record of the tail read) and the
/// segments from the one holding that record on; the records after the snapshot are checked
/// and replayed as always, and the Merkle tree grows from the snapshot's frontier. When the
/// newest snapshot does not check, the next older one is tried the same way, with the tail
/// from its own record (a longer one).
///
/// The index it opens is left in `opened_index` unless it opened (sled is opened once).
pub(crate) fn open_from_tail(
    dir: &Path,
    options: &StoreOptions,
    opened_index: &mut Option<(Index, Option<String>)>,
) -> Result<FromTail> {
    let io = &*options.io;
    // Without a second segment or a snapshot there is no tail to read alone.
    let segments = find_segments(io, dir, &options.segments_from)?.unwrap_or_default();
    let (listed, _) = snapshot::list(io, dir)?;
    if segments.len() < 2 || listed.is_empty() {
        return Ok(FromTail::NotUsed);
    }
    // sled opens the index on a thread of its own while the newest snapshot's tail and state
    // are read and checked here: neither needs the other, and on a large ledger each takes
    // most of a second. What was read early counts only if the index's mark is at or after
    // that snapshot (else the snapshot is not the one to use, and the tails are read below).
    let (newest_listed, _) = &listed[0];
    let (opened, mut early) = std::thread::scope(|s| {
        let opening = std::thread::Builder::new()
            .name("ledger-open-index".into())
            .spawn_scoped(s, || open_index_for(dir, options));
        let early = Some(read_early(dir, options, *newest_listed));
        let opened = match opening {
            Ok(opening) => opening
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: the index opens after the read.
            Err(_) => open_index_for(dir, options),
        };
        (opened, early)
    });
    let (index, None) = opened_index.insert(opened?) else {
        return Ok(FromTail::NotUsed);
    };
    let Ok(Some(mark)) = index.live().mark() else {
        return Ok(FromTail::NotUsed);
    };
    // What every tail read passed over, each file once: a longer tail leaves them aside.
    let mut snapshots = SnapshotReport::default();
    let tried = |report: &SnapshotReport, name: &str| {
        report.used.is_some() || report.skipped.iter().any(|s| s.file == name)
    };
    for (newest, name) in listed.iter().filter(|(n, _)| *n <= mark.sequence) {
        if tried(&snapshots, name) {
            continue;
        }
        // Only the first tail tried can be the one read early (the newest snapshot's).
        let early = early.take().filter(|e| e.newest == *newest);
        match tail_from(
            dir,
            options,
            opened_index,
            &mark,
            *newest,
            &mut snapshots,
            early,
        )? {
            TailOpen::Opened(opened) => return Ok(FromTail::Opened(opened)),
            TailOpen::NoSnapshot => continue,
            TailOpen::Unusable => return Ok(FromTail::NotUsed),
        }
    }
    match listed.iter().all(|(_, name)| tried(&snapshots, name)) {
        true => Ok(FromTail::NoSnapshot(snapshots)),
        false => Ok(FromTail::NotUsed),
    }
}

/// The journal's tail from the segment that holds record `newest` on, with what the open from
/// it reads besides: the genesis record and the tail's frames.
struct TailRead {
    image: JournalImage,
    genesis: Vec<u8>,
    scan: Scan,
}

impl TailRead {
    /// The tail, or `None` when something does not check (the whole read says what).
    fn read(dir: &Path, options: &StoreOptions, newest: u64) -> Option<TailRead> {
        let io = &*options.io;
        let image = read_journal_tail(io, dir, &options.segments_from, newest)
            .ok()
            .flatten()?;
        let first = image.segments[0].header.first_sequence;
        // The newest segment is written, so it must be in the data directory (the whole read
        // says so when it is not).
        if image.last().path.parent() != Some(&dir.join(JOURNAL_DIR_NAME)) {
            return None;
        }
        let genesis = read_genesis(dir, options).filter(|_| first > 0)?;
        let scan = scan_frames(&image.bytes).ok()?;
        Some(TailRead {
            image,
            genesis,
            scan,
        })
    }

    fn first(&self) -> u64 {
        self.image.segments[0].header.first_sequence
    }

    fn at(&self) -> ImageAt<'_> {
        ImageAt {
            bytes: &self.image.bytes,
            first: self.first(),
            base: self.image.base,
        }
    }
}

/// The newest snapshot's tail and state, read before the index's mark is known.
struct Early {
    /// The record the newest snapshot file follows.
    newest: u64,
    /// Its tail; `None` when it did not check.
    tail: Option<TailRead>,
    /// What [`snapshot::load`] gave on that tail, as if the index stood at or after `newest`:
    /// a state, and what it passed over.
    loaded: Option<Loaded>,
    report: SnapshotReport,
}

fn read_early(dir: &Path, options: &StoreOptions, newest: u64) -> Early {
    let tail = TailRead::read(dir, options, newest);
    let mut report = SnapshotReport::default();
    let loaded = tail.as_ref().and_then(|tail| {
        let keep_all = options.resident_transfers.is_none();
        // `newest` was the newest file listed: with the mark at or after it, a bound there is
        // the bound the mark sets.
        snapshot::load(&*options.io, dir, tail.at(), newest, keep_all, &mut report)
    });
    Early {
        newest,
        tail,
        loaded,
        report,
    }
}

/// What a read of the tail from one snapshot's record gave.
enum TailOpen {
    /// What the store starts with.
    Opened(Box<Opened>),
    /// No snapshot of that tail checked (each is in the report, with why).
    NoSnapshot,
    /// Something else did not check: only the whole read says what.
    Unusable,
}

/// [`open_from_tail`] with the tail from the segment that holds record `newest` on.
fn tail_from(
    dir: &Path,
    options: &StoreOptions,
    opened_index: &mut Option<(Index, Option<String>)>,
    mark: &IndexMark,
    newest: u64,
    snapshots: &mut SnapshotReport,
    early: Option<Early>,
) -> Result<TailOpen> {
    let io = &*options.io;
    // Invariant: the caller opened the index.
    let live = opened_index.as_ref().expect("the index is open").0.live();
    let (tail, loaded_early) = match early {
        Some(early) => (early.tail, Some((early.loaded, early.report))),
        None => (TailRead::read(dir, options, newest), None),
    };
    let Some(tail) = tail else {
        return Ok(TailOpen::Unusable);
    };
    let first = tail.first();
    let (image, genesis, scan) = (&tail.image, &tail.genesis, &tail.scan);
    let bytes = &image.bytes;
    let record = |sequence: u64| {
        let &(offset, len) = scan
            .frames
            .get(usize::try_from(sequence.checked_sub(first)?).ok()?)?;
        parse_frame(
            &bytes[offset as usize..(offset + u64::from(len)) as usize],
            offset,
        )
        .ok()
    };
    let marked = record(mark.sequence)
        .is_some_and(|f| f.sequence() == mark.sequence && f.stored_hash() == mark.hash);
    if !marked || !matches!(live.probe(mark), Ok(None)) {
        return Ok(TailOpen::Unusable);
    }
    let keep = options.resident_transfers;
    let loaded = match loaded_early {
        // The caller's report is empty: this is the first tail it tries.
        Some((loaded, report)) => {
            *snapshots = report;
            loaded
        }
        None => snapshot::load(io, dir, tail.at(), mark.sequence, keep.is_none(), snapshots),
    };
    let Some(loaded) = loaded else {
        return Ok(TailOpen::NoSnapshot);
    };
    let Some(genesis_frame) = parse_frame(genesis, 0).ok() else {
        return Ok(TailOpen::Unusable);
    };
    let created = genesis_frame.now();
    let mut catch_up = CatchUp::new(live.clone(), mark.sequence, keep, 0);
    catch_up.counts_at_from = (
        loaded.ledger.account_count() as u64,
        loaded.ledger.transfer_count() as u64,
    );
    let tail = Tail {
        genesis,
        sequence: first,
        prev_hash: image.segments[0].header.prev_hash,
        offset: image.base,
    };
    let resume = Resume {
        sequence: loaded.sequence,
        ledger: loaded.ledger,
    };
    let key = options.checkpoint_key.as_ref();
    let Ok(replayed) = replay_tail(bytes, tail, key, resume, &mut catch_up) else {
        return Ok(TailOpen::Unusable);
    };
    let last = image.last().clone();
    let sealed_torn = replayed
        .torn
        .as_ref()
        .is_some_and(|t| t.offset < last.start);
    if sealed_torn || catch_up.counts_at_from != (mark.accounts, mark.transfers) {
        return Ok(TailOpen::Unusable);
    }
    let tree_hash = replayed.profile.tree_hash();
    let Some(mut tree) =
        MerkleTree::from_frontier(tree_hash, loaded.sequence + 1, &loaded.frontier)
    else {
        return Ok(TailOpen::Unusable);
    };
    for sequence in loaded.sequence + 1..replayed.records {
        // Invariant: the replay checked every record up to its head, all in the tail.
        let frame = record(sequence).expect("a replayed record is in the tail");
        tree.push(&frame.stored_hash());
    }
    catch_up.finish(&replayed, false)?;
    // Invariant: the index was opened by the caller.
    let (index, _) = opened_index.take().expect("the index is open");
    let index_recovery = IndexRecovery::from_mark(mark.sequence, replayed.head.sequence);
    Ok(TailOpen::Opened(Box::new(Opened {
        index,
        replayed,
        tree,
        last,
        index_recovery,
        snapshots: std::mem::take(snapshots),
        snapshot_covers: loaded.covers,
        created,
        journal_read: JournalRead::Tail,
    })))
}

/// The journal's genesis record, read alone from the start of segment 1 (the replay checks it).
fn read_genesis(dir: &Path, options: &StoreOptions) -> Option<Vec<u8>> {
    use crate::record::{OFFSET_LENGTH, RECORD_BYTES_MAX, RECORD_BYTES_MIN};
    let io = &*options.io;
    let found = find_segments(io, dir, &options.segments_from).ok()??;
    let (_, path) = found.iter().find(|(n, _)| *n == 1)?;
    let at = SEGMENT_HEADER_BYTES as u64;
    let mut start = [0u8; OFFSET_LENGTH + 4];
    io.read_at(path, at, &mut start).ok()?.then_some(())?;
    let len = u32::from_le_bytes(start[OFFSET_LENGTH..].try_into().ok()?) as usize;
    let mut frame = vec![0u8; len.clamp(RECORD_BYTES_MIN, RECORD_BYTES_MAX)];
    io.read_at(path, at, &mut frame).ok()?.then_some(frame)
}
