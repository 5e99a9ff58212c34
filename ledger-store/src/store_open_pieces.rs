//! Opening by replaying the whole journal read in pieces (`docs/FORMAT.md` §16.2): when the
//! journal's tail cannot be used (no snapshot, none that checks, an index to rebuild), memory
//! holds a few pieces of the journal and the engine's bounded state, never the journal's image,
//! so a ledger of any length opens in the memory its accounts need.
//!
//! Like the other readers in pieces it gives way rather than report: at the first thing a
//! clean journal does not have (a problem with a segment, a torn tail, a record that fails a
//! check, an index that does not match its mark) it returns `None`, and the caller reads the
//! whole journal, which names the problem, cuts a torn tail, or rebuilds the index.

use std::path::Path;

use crate::checkpoint::CheckpointKey;
use crate::error::Result;
use crate::index::{Index, IndexMark, IndexTree};
use crate::merkle::MerkleTree;
use crate::record::Frame;
use crate::replay_stream::{replay_host_in_pieces, HostReplay};
use crate::segment::{newest_segment, JOURNAL_DIR_NAME};
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
        (None, Ok(Some(mark))) => match live.probe(&mark) {
            Ok(None) => Ok(mark),
            Ok(Some(diff)) => Err(format!("the index diverged from its mark: {diff}")),
            Err(e) => Err(format!("unreadable index: {e}")),
        },
    };
    let key = options.checkpoint_key.as_ref();
    let (opened, index_recovery, snapshots) = match usable {
        Err(why) => {
            let Some(rebuilt) = rebuild_in_pieces(index, dir, options, u64::MAX, &why)? else {
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
            let Some(caught_up) = catch_up_in_pieces(&live, &mark, dir, options, key)? else {
                return Ok(None);
            };
            let head = caught_up.replayed.head.sequence;
            let recovery = IndexRecovery::from_mark(mark.sequence, head);
            (caught_up, recovery, snapshots)
        }
    };
    let HostReplay {
        replayed,
        created,
        frontier,
    } = opened;
    // The records end where the newest segment does (the store appends there).
    if replayed.head.len != last.start + last.len {
        return Ok(None);
    }
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
) -> Result<Option<HostReplay>> {
    let mut marked = false;
    let mut inspect = |frame: &Frame<'_>| {
        if frame.sequence() == mark.sequence {
            marked = frame.stored_hash() == mark.hash;
            return marked;
        }
        true
    };
    let Some((catch_up, replayed)) = replay_catching_up(
        live,
        mark.sequence,
        dir,
        options,
        key,
        u64::MAX,
        &mut inspect,
    ) else {
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
