//! Opening by replaying the whole journal read in pieces (`docs/FORMAT.md` §16.2): when the
//! journal's tail cannot be used (no snapshot, none that checks, an index to rebuild), memory
//! holds a few pieces of the journal and the engine's bounded state, never the journal's image,
//! so a ledger of any length opens in the memory its accounts need.
//!
//! A torn tail (the newest segment ending in a record a crash left half written) is found
//! first, in the newest segment alone, as the whole read finds one; the replay then stops
//! before it, and the store cuts it as after any open. Like the other readers in pieces it
//! gives way rather than report: at the first thing a clean journal does not have (a problem
//! with a segment, a record that fails a check, an index that does not match its mark) it
//! returns `None`, and the caller reads the whole journal, which names the problem or
//! rebuilds the index.

use std::path::Path;

use crate::checkpoint::CheckpointKey;
use crate::error::{CorruptionReason, Result};
use crate::file::JournalIo;
use crate::index::{Index, IndexMark, IndexTree};
use crate::journal::{scan_frames, torn_or_corrupt, TornTail};
use crate::merkle::MerkleTree;
use crate::record::{parse_frame, Frame};
use crate::replay_stream::{replay_host_in_pieces, HostReplay};
use crate::segment::{newest_segment, Segment, JOURNAL_DIR_NAME, SEGMENT_HEADER_BYTES};
use crate::snapshot::{self, SnapshotReport};
use crate::store::{IndexRecovery, JournalRead, StoreOptions};
use crate::store_open::{index_damage, open_index_for, CatchUp, Opened};

/// Opens the store in `dir` by replaying its whole journal read in pieces: the index caught up
/// from its mark, or rebuilt (a fresh generation, checked, then made live) when it has no
/// usable mark or must be rebuilt. `snapshots` is what the open from the tail reported when it
/// passed over every snapshot file; with snapshot files it did not try, only a rebuild goes on
/// here (a rebuild reads no snapshot). `None`: it gave way, and the caller reads the whole
/// journal. The index opened is left in `opened_index` for that read.
pub(crate) fn open_in_pieces(
    dir: &Path,
    options: &StoreOptions,
    opened_index: &mut Option<(Index, Option<String>)>,
    snapshots: Option<SnapshotReport>,
) -> Result<Option<Opened>> {
    let io = &*options.io;
    // The newest segment, the one the store appends to, which must be in `dir` (the replay
    // checks its header, its join and its records).
    let Some(last) = newest_segment(io, dir, &options.segments_from) else {
        return Ok(None);
    };
    if last.path.parent() != Some(&dir.join(JOURNAL_DIR_NAME)) {
        return Ok(None);
    }
    // The records replayed end where the newest segment's whole records do.
    let Ok(torn) = torn_tail_of(io, &last) else {
        return Ok(None);
    };
    let end = torn.as_ref().map_or(last.start + last.len, |t| t.offset);
    if opened_index.is_none() {
        *opened_index = Some(open_index_for(dir, options)?);
    }
    // Invariant: opened just above when it was not.
    let (index, why) = opened_index.as_ref().expect("the index is open");
    let live = index.live();
    // The index's mark when it holds what the mark claims, else why the index is rebuilt.
    let usable = match (why, live.mark()) {
        (Some(why), _) => Err(why.clone()),
        (None, Err(e)) => Err(format!("unreadable mark: {e}")),
        (None, Ok(None)) => Err("the index was empty or missing".to_owned()),
        // The mark names a record the torn write left incomplete (one that will be cut).
        (None, Ok(Some(mark))) if torn.as_ref().is_some_and(|t| mark.sequence >= t.sequence) => {
            Err("the index reflects another journal or a lost record".to_owned())
        }
        (None, Ok(Some(mark))) => match live.probe(&mark) {
            Ok(None) => Ok(mark),
            Ok(Some(diff)) => Err(format!("the index diverged from its mark: {diff}")),
            Err(e) => Err(format!("unreadable index: {e}")),
        },
    };
    let key = options.checkpoint_key.as_ref();
    let (opened, index_recovery, snapshots) = match usable {
        Err(why) => {
            let Some(rebuilt) = rebuild_in_pieces(index, dir, options, end, &why)? else {
                return Ok(None);
            };
            let recovery = IndexRecovery::Rebuilt { why };
            (rebuilt, recovery, SnapshotReport::default())
        }
        Ok(mark) => {
            let snapshots = match snapshots {
                Some(report) => report,
                None if no_snapshot_files(dir, options)? => SnapshotReport::default(),
                None => return Ok(None),
            };
            let Some(caught_up) = catch_up_in_pieces(&live, &mark, dir, options, key, end)? else {
                return Ok(None);
            };
            let head = caught_up.replayed.head.sequence;
            let recovery = IndexRecovery::from_mark(mark.sequence, head);
            (caught_up, recovery, snapshots)
        }
    };
    let HostReplay {
        mut replayed,
        created,
        frontier,
    } = opened;
    // The records end where the newest segment's whole records do (the store appends there,
    // once a torn tail is cut).
    if replayed.head.len != end {
        return Ok(None);
    }
    replayed.torn = torn;
    let tree_hash = replayed.profile.tree_hash();
    let Some(tree) = MerkleTree::from_frontier(tree_hash, replayed.records, &frontier) else {
        return Ok(None);
    };
    // Invariant: opened above.
    let (index, _) = opened_index.take().expect("the index is open");
    Ok(Some(Opened {
        index,
        replayed,
        tree,
        last,
        index_recovery,
        snapshots,
        snapshot_covers: 0,
        created,
        journal_read: JournalRead::Pieces,
    }))
}

/// The newest segment's torn tail, found as the whole read finds one (`crate::replay`): the
/// first record whose checksum fails, or bytes that do not make a whole record, with no whole
/// record after them. `Ok(None)`: the segment ends in a whole record. `Err(())`: something
/// else is wrong in it (bad bytes with a whole record after them, a record of a newer binary),
/// which the whole read names.
fn torn_tail_of(io: &dyn JournalIo, last: &Segment) -> std::result::Result<Option<TornTail>, ()> {
    let mut bytes = vec![0u8; usize::try_from(last.len).map_err(|_| ())?];
    if !io
        .read_at(&last.path, SEGMENT_HEADER_BYTES as u64, &mut bytes)
        .map_err(|_| ())?
    {
        return Err(());
    }
    let scan = scan_frames(&bytes).map_err(|_| ())?;
    let first = last.header.first_sequence;
    let in_journal = |torn: TornTail| TornTail {
        offset: last.start + torn.offset,
        sequence: first + torn.sequence,
        ..torn
    };
    for (i, &(offset, len)) in scan.frames.iter().enumerate() {
        let at = offset as usize;
        let frame = parse_frame(&bytes[at..at + len as usize], offset).map_err(|_| ())?;
        if !frame.hash_matches() {
            let reason = CorruptionReason::Checksum;
            torn_or_corrupt(&bytes, at, i as u64, reason).map_err(|_| ())?;
            return Ok(Some(in_journal(TornTail {
                offset,
                len: bytes.len() as u64 - offset,
                sequence: i as u64,
                why: "the record's checksum does not match".into(),
            })));
        }
    }
    Ok(scan.torn.map(in_journal))
}

/// Whether `snapshots/` holds no snapshot file and no half-written one (the whole read would
/// report either).
fn no_snapshot_files(dir: &Path, options: &StoreOptions) -> Result<bool> {
    let (snapshots, others) = snapshot::list(&*options.io, dir)?;
    Ok(snapshots.is_empty() && !others.iter().any(|n| n.ends_with(".creating")))
}

/// Replays the whole journal in pieces, catching the live index up from its `mark`. `None`
/// when the journal's record at the mark is not the one the mark names, or the index's counts
/// at the mark are not the ledger's (the whole read rebuilds the index then), or the replay
/// gave way.
fn catch_up_in_pieces(
    live: &IndexTree,
    mark: &IndexMark,
    dir: &Path,
    options: &StoreOptions,
    key: Option<&CheckpointKey>,
    limit: u64,
) -> Result<Option<HostReplay>> {
    let mut marked = false;
    let mut inspect = |frame: &Frame<'_>| {
        if frame.sequence() == mark.sequence {
            marked = frame.stored_hash() == mark.hash;
            return marked;
        }
        true
    };
    let Some((catch_up, replayed)) =
        replay_catching_up(live, mark.sequence, dir, options, key, limit, &mut inspect)
    else {
        return Ok(None);
    };
    if !marked || catch_up.counts_at_from != (mark.accounts, mark.transfers) {
        return Ok(None);
    }
    catch_up.finish(&replayed.replayed, false)?;
    Ok(Some(replayed))
}

/// Fills a fresh generation of `index` from the journal read in pieces (its records up to
/// `limit` bytes), checks it against the replayed state, and makes it live, as
/// [`crate::store_open::rebuild_generation`] does from the journal's image. `None` when the
/// replay gave way: the live generation is untouched (the unfinished one is dropped by the
/// next rebuild).
pub(crate) fn rebuild_in_pieces(
    index: &Index,
    dir: &Path,
    options: &StoreOptions,
    limit: u64,
    why: &str,
) -> Result<Option<HostReplay>> {
    let fresh = index.fresh()?;
    let key = options.checkpoint_key.as_ref();
    let Some((catch_up, rebuilt)) =
        replay_catching_up(&fresh, 0, dir, options, key, limit, &mut |_| true)
    else {
        return Ok(None);
    };
    catch_up.finish(&rebuilt.replayed, true)?;
    if let Some(diff) = fresh.compare(&rebuilt.replayed.ledger)? {
        let why = format!("after a rebuild ({why}): {diff}");
        return Err(index_damage(&rebuilt.replayed, why));
    }
    index.swap_in(fresh)?;
    Ok(Some(rebuilt))
}

/// The replay in pieces through a [`CatchUp`] of `tree` from record `from`. When a record
/// needs every transfer in memory after the replay let some go, it starts again, evicting
/// only after that record (as often as it takes), as the replay of an image does.
fn replay_catching_up(
    tree: &IndexTree,
    from: u64,
    dir: &Path,
    options: &StoreOptions,
    key: Option<&CheckpointKey>,
    limit: u64,
    inspect: &mut dyn FnMut(&Frame<'_>) -> bool,
) -> Option<(CatchUp, HostReplay)> {
    let io = &*options.io;
    let archives = &options.segments_from;
    let keep = options.resident_transfers;
    let mut evict_after = 0;
    loop {
        let mut catch_up = CatchUp::new(tree.clone(), from, keep, evict_after);
        let replayed =
            replay_host_in_pieces(io, (dir, archives), key, limit, &mut catch_up, inspect);
        match (replayed, catch_up.needs_history_at()) {
            (Some(replayed), _) => return Some((catch_up, replayed)),
            (None, Some(at)) if at > evict_after => evict_after = at,
            (None, _) => return None,
        }
    }
}
