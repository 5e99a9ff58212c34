//! Verification: of a live store (journal, checkpoints, state, Merkle tree and index), of a
//! journal without a store, and of a published checkpoint; and rebuilding the index.

use std::path::{Path, PathBuf};

use crate::checkpoint::{Checkpoint, CheckpointKey};
use crate::error::{Corruption, CorruptionReason, Error, Result};
use crate::file::{JournalIo, OsIo};
use crate::journal::{scan_frames, Head};
use crate::journal_walk::{record_place, segment_files, tree_of_first, FrameMarks};
use crate::merkle::{MerkleTree, TreeHash};
use crate::record::{is_a_digest_of, Hash, DIGEST_V3_VERSION};
use crate::replay::{replay, Progress, Replayed};
use crate::replay_spill::{replay_spilling, Spilled, Spilling};
use crate::replay_stream::{replay_dir_in_pieces, replay_in_pieces_of, Pieces};
use crate::segment::{read_journal, JournalImage};
use crate::snapshot::ReplayCheck;
use crate::store::{lock, Store, VerifyReport};
use crate::store_open::rebuild_generation;
use crate::store_open_pieces::rebuild_in_pieces;
use crate::store_pipeline::IndexPause;
use crate::store_proof::{journal_tree, TREE_BLOCK_LEVELS};

impl Store {
    // ---------------------------------------------------------------------------------------
    // Verification and repair

    /// Verifies the whole store: every checksum, link and sequence number of the journal, every
    /// checkpoint (digest; MAC too when the key was given), the replayed state against the live
    /// one, the Merkle tree against the journal's record hashes, and the sled index against it.
    /// Reports progress; uses two cores. Its memory does not grow with the journal: the journal
    /// is read in pieces up to the durable head, and the replay keeps the newest 16,384
    /// transfers in memory and the others in scratch files under the system's temporary
    /// directory ([`crate::replay_spill`]), as `timebank verify --replay` does.
    ///
    /// Commits pause only while the head and its state digest are noted; the index is then held
    /// at that head until it has been compared (commits go on; the index catches up after).
    /// A poisoned store's memory may be ahead of its journal, so it is not compared: reopen it
    /// (or use [`verify_dir`]) first.
    pub fn verify(&self, progress: &mut dyn FnMut(Progress)) -> Result<VerifyReport> {
        let (head, live_digest, _pause) = {
            let _gate = lock(&self.shared.commit_gate);
            self.wait_synced();
            self.check_not_poisoned()?;
            let head = *lock(&self.shared.durable);
            // Hold the index at this head while it is compared; commits go on meanwhile.
            (
                head,
                self.head_state_now()
                    .map_or_else(|| self.ledger().state_digest(), |s| s.state_digest),
                IndexPause::new(&self.shared, head.sequence),
            )
        };
        let (replayed, spilled, mut report, tree_root) = self.replay_to(&head, progress)?;
        let mismatch = |reason| -> Error {
            Corruption {
                segment: None,
                sequence: head.sequence,
                offset: head.len,
                reason,
            }
            .into()
        };
        if report.state_digest != live_digest || report.head_hash != head.hash {
            let why = "the replayed state differs from the live state".into();
            return Err(mismatch(CorruptionReason::Replay(why)));
        }
        // The tree in memory (what proofs and signed checkpoints come from) against one built
        // afresh from the verified journal.
        let size = head.sequence + 1;
        let live_root = self.tree_answer(&[size - 1], |t, b| t.root_with(size, b))?;
        if Some(tree_root) != live_root {
            let why = "the Merkle tree in memory differs from the journal's".into();
            return Err(mismatch(CorruptionReason::Replay(why)));
        }
        self.wait_indexed_to(head.sequence)?;
        let index = self.shared.index.live();
        if let Some(diff) = index.compare_spilled(&replayed.ledger, &spilled.history)? {
            return Err(mismatch(CorruptionReason::Index(diff)));
        }
        report.index_checked = true;
        Ok(report)
    }

    /// The replay [`Store::verify`] checks against: the journal up to the durable `head`, read
    /// in pieces and replayed with the engine's memory bounded (or, when that gives way, its
    /// image), every snapshot file checked against it; with the report and the root of the
    /// Merkle tree of its records.
    fn replay_to(
        &self,
        head: &Head,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Replayed, Spilled, VerifyReport, Hash)> {
        let options = &self.shared.options;
        let (io, dir) = (&*options.io, &self.shared.dir);
        let key = options.checkpoint_key;
        let tree = self.shared.profile.tree_hash();
        let size = head.sequence + 1;
        let spilling = Spilling::default();
        let pieces = Pieces {
            limit: head.len,
            tree: Some(tree),
            ..Pieces::default()
        };
        let streamed = replay_in_pieces_of(
            io,
            dir,
            &options.segments_from,
            key.as_ref(),
            &spilling,
            pieces,
            progress,
        )?;
        let root_of = |frontier: &[Hash]| {
            MerkleTree::from_frontier(tree, size, frontier).and_then(|t| t.root(size))
        };
        if let Some(streamed) = streamed {
            let root = streamed.frontier.as_deref().and_then(root_of);
            if let (Some(root), true) = (root, streamed.replayed.head == *head) {
                let mut report = report_of(&streamed.replayed, key.is_some())?;
                report.snapshots_checked = streamed.snapshots_checked;
                return Ok((streamed.replayed, streamed.spilled, report, root));
            }
        }
        let image = self.journal_image(head)?;
        let bytes = &image.bytes;
        let mut snapshots = ReplayCheck::new(io, dir, bytes)?;
        let (replayed, spilled) = replay_spilling(
            bytes,
            key.as_ref(),
            &spilling,
            progress,
            &mut |s, _, _, l| snapshots.observe(s, l),
        )
        .map_err(|e| image.locate(e))?;
        let mut report = report_of(&replayed, key.is_some()).map_err(|e| image.locate(e))?;
        let rebuilt = journal_tree(bytes, replayed.records, tree)?;
        let root = rebuilt.root(size).unwrap_or_else(|| tree.empty_root());
        report.snapshots_checked = snapshots.finish((head.sequence, head.len))?;
        Ok((replayed, spilled, report, root))
    }

    /// The journal's records up to the durable `head`, read from its segments.
    pub(crate) fn journal_image(&self, head: &Head) -> Result<JournalImage> {
        let options = &self.shared.options;
        let mut image = read_journal(&*options.io, &self.shared.dir, &options.segments_from)?;
        image.bytes.truncate(head.len as usize);
        Ok(image)
    }

    /// Checks a published checkpoint against this store's durable journal
    /// (see [`verify_published`]).
    pub fn verify_published(&self, checkpoint: &Checkpoint) -> Result<()> {
        let options = &self.shared.options;
        let head = *lock(&self.shared.durable);
        let key = options.checkpoint_key.as_ref();
        if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
            return Err(published(checkpoint, 0, MAC_FAILS));
        }
        if checkpoint.sequence > head.sequence {
            // Records past the durable head are not the ledger's yet.
            return Err(published(checkpoint, head.len, ENDS_BEFORE));
        }
        verify_published_in(
            &*options.io,
            &self.shared.dir,
            &options.segments_from,
            checkpoint,
            options.checkpoint_key.as_ref(),
        )
    }

    /// Rebuilds the sled index from the journal and checks it against the live state.
    ///
    /// The new index is built beside the old one and replaces it only once it is whole and
    /// checked, so an interruption (a crash, a kill) leaves the old index in use, never a
    /// half-cleared one. Commits pause while it runs. On `Ok`: the index reflects the durable
    /// head and equals the live state. On `Err`: the old index or the new one is in use, each
    /// whole and marked with what it reflects.
    pub fn rebuild_index(&self) -> Result<()> {
        if self.shared.options.read_only {
            return Err(Error::ReadOnly);
        }
        let _gate = lock(&self.shared.commit_gate);
        self.wait_synced();
        self.check_not_poisoned()?;
        self.wait_indexed()?;
        let head = *lock(&self.shared.durable);
        let (index, dir, options) = (&self.shared.index, &self.shared.dir, &self.shared.options);
        // The journal read in pieces; at anything it does not expect, read whole, which names it.
        let replayed = match rebuild_in_pieces(index, dir, options, head.len, "rebuild_index")? {
            Some(rebuilt) => rebuilt.replayed,
            None => {
                let image = self.journal_image(&head)?;
                let key = options.checkpoint_key.as_ref();
                rebuild_generation(index, &image.bytes, key, "rebuild_index", options)
                    .map_err(|e| image.locate(e))?
            }
        };
        if replayed.ledger.state_digest() != self.ledger().state_digest() {
            let why = "the replayed state differs from the live state".to_owned();
            return Err(Corruption {
                segment: None,
                sequence: head.sequence,
                offset: head.len,
                reason: CorruptionReason::Replay(why),
            }
            .into());
        }
        Ok(())
    }
}

/// Verifies a journal image without a store: checksums, links, sequence numbers, bodies,
/// checkpoint digests (and MACs with a key). A torn tail is reported as corruption here: the
/// ledger was not reopened since the crash.
pub fn verify_bytes(
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    let spilling = Spilling::default();
    let (replayed, _) = replay_spilling(bytes, key, &spilling, progress, &mut |_, _, _, _| {})?;
    report_of(&replayed, key.is_some())
}

/// [`verify_dir_from`] that also compares the sled index (read from a copy, see
/// [`Index::open_copy_of`](crate::index::Index::open_copy_of)) with the replayed state, every
/// key: one replay for the journal and the index, and nothing in `dir` written.
/// `Ok((report, None))` has `index_checked` set;
/// `Ok((report, Some(why)))`: the journal verified but the index was not compared (none, not
/// at the journal's head, or unreadable), and why; opening the store brings it to the head.
/// `Err(Corrupted)` with [`CorruptionReason::Index`]: an index at the head that differs.
pub fn verify_dir_with_index(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(VerifyReport, Option<String>)> {
    // The index is copied and opened while the journal is read and replayed; a bad journal is
    // reported before anything the index holds. The snapshots are checked against the replay.
    let (replayed, copy) = std::thread::scope(|s| {
        let copy = s.spawn(|| crate::audit_ledger::open_index_copy(dir));
        (
            replay_to_verify(dir, archives, key, true, progress),
            copy.join().expect("opening the index does not panic"),
        )
    });
    let (replayed, spilled, mut report) = replayed?;
    let head = replayed.head;
    let index = match copy.at_head(head)? {
        Ok(index) => index,
        Err(why) => return Ok((report, Some(why))),
    };
    let compared = index
        .live()
        .compare_spilled(&replayed.ledger, &spilled.history)?;
    if let Some(diff) = compared {
        return Err(Corruption {
            segment: None,
            sequence: head.sequence,
            offset: head.len,
            reason: CorruptionReason::Index(diff),
        }
        .into());
    }
    report.index_checked = true;
    Ok((report, None))
}

/// The replay `timebank verify --replay` runs, with the engine's memory bounded
/// ([`Spilling::default`]): of the journal read in pieces, or, when that gives way (damage,
/// a torn tail), of its whole image, which names the problem. With `snapshots`, every snapshot
/// file is checked against it.
fn replay_to_verify(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    snapshots: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Replayed, Spilled, VerifyReport)> {
    let spilling = Spilling::default();
    let streamed = replay_dir_in_pieces(&OsIo, dir, archives, key, &spilling, snapshots, progress)?;
    if let Some(streamed) = streamed {
        let mut report = report_of(&streamed.replayed, key.is_some())?;
        report.snapshots_checked = streamed.snapshots_checked;
        return Ok((streamed.replayed, streamed.spilled, report));
    }
    let image = read_journal(&OsIo, dir, archives)?;
    let mut check = match snapshots {
        true => Some(ReplayCheck::new(&OsIo, dir, &image.bytes)?),
        false => None,
    };
    let (replayed, spilled) =
        replay_spilling(&image.bytes, key, &spilling, progress, &mut |s, _, _, l| {
            if let Some(check) = check.as_mut() {
                check.observe(s, l)
            }
        })
        .map_err(|e| image.locate(e))?;
    let mut report = report_of(&replayed, key.is_some()).map_err(|e| image.locate(e))?;
    let head = replayed.head;
    if let Some(check) = check {
        report.snapshots_checked = check.finish((head.sequence, head.len))?;
    }
    Ok((replayed, spilled, report))
}

/// The report of a replay; a torn tail still in the image is corruption here.
fn report_of(replayed: &Replayed, macs_checked: bool) -> Result<VerifyReport> {
    if let Some(torn) = &replayed.torn {
        return Err(Corruption {
            segment: None,
            sequence: torn.sequence,
            offset: torn.offset,
            reason: CorruptionReason::TornTail,
        }
        .into());
    }
    Ok(VerifyReport {
        records: replayed.records,
        journal_bytes: replayed.head.len,
        checkpoints_verified: replayed.checkpoints,
        macs_checked,
        head_sequence: replayed.head.sequence,
        head_hash: replayed.head.hash,
        state_digest: replayed.ledger.state_digest(),
        index_checked: false,
        snapshots_checked: 0,
    })
}

/// Checks a published checkpoint (see [`Checkpoint::from_text`]) against a journal image: the
/// journal up to record `checkpoint.sequence` verifies, that record's hash is the checkpoint's
/// head hash, the state replayed through it has the checkpoint's digest, and, with the key, the
/// MAC verifies. A rewritten history fails this even without the key.
pub fn verify_published(
    bytes: &[u8],
    checkpoint: &Checkpoint,
    key: Option<&CheckpointKey>,
) -> Result<()> {
    let published = |offset: u64, why| published(checkpoint, offset, why);
    if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
        return Err(published(0, MAC_FAILS));
    }
    let scan = scan_frames(bytes)?;
    let index = usize::try_from(checkpoint.sequence).unwrap_or(usize::MAX);
    let Some(&(offset, len)) = scan.frames.get(index) else {
        return Err(published(bytes.len() as u64, ENDS_BEFORE));
    };
    let end = (offset + u64::from(len)) as usize;
    let replayed = replay(&bytes[..end], key, &mut |_| {}, &mut |_, _, _, _| {})?;
    if replayed.torn.is_some() || replayed.head.sequence != checkpoint.sequence {
        return Err(published(offset, "its record does not verify"));
    }
    if replayed.head.hash != checkpoint.head_hash {
        return Err(published(
            offset,
            "the record's hash differs from the published head",
        ));
    }
    // A line made before record format 7 holds an earlier digest (FORMAT.md §5.2.1, §5.2.2).
    if !is_a_digest_of(&replayed.ledger, &checkpoint.state_digest) {
        return Err(published(
            offset,
            "the replayed state differs from the published digest",
        ));
    }
    Ok(())
}

/// Why a published checkpoint does not hold.
const MAC_FAILS: &str = "the MAC does not verify under the key";
const ENDS_BEFORE: &str = "the journal ends before its record";

fn published(checkpoint: &Checkpoint, offset: u64, why: &'static str) -> Error {
    Corruption {
        segment: None,
        sequence: checkpoint.sequence,
        offset,
        reason: CorruptionReason::Published(why),
    }
    .into()
}

/// [`verify_published`] against the journal in `dir` (with sealed segments moved to
/// `archives`), without reading it whole: record `checkpoint.sequence` is found by a walk of its
/// segment's frames (`docs/FORMAT.md` §13), and the journal up to it is read in pieces and
/// replayed with the engine's memory bounded, as `timebank verify --replay` does. Where that
/// cannot decide (damage or a torn record before it, or a line that may hold the first digest,
/// which needs every transfer, §5.2.1), the image is read and checked as [`verify_published`]
/// does, which names the problem. The errors are [`verify_published`]'s.
pub fn verify_published_dir(
    dir: &Path,
    archives: &[PathBuf],
    checkpoint: &Checkpoint,
    key: Option<&CheckpointKey>,
) -> Result<()> {
    verify_published_in(&OsIo, dir, archives, checkpoint, key)
}

fn verify_published_in(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    checkpoint: &Checkpoint,
    key: Option<&CheckpointKey>,
) -> Result<()> {
    if let Some(decided) = published_in_pieces(io, dir, archives, checkpoint, key)? {
        return decided;
    }
    let image = read_journal(io, dir, archives)?;
    verify_published(&image.bytes, checkpoint, key).map_err(|e| image.locate(e))
}

/// [`verify_published_in`] from a replay in pieces; `None` when it cannot decide.
pub(crate) fn published_in_pieces(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    checkpoint: &Checkpoint,
    key: Option<&CheckpointKey>,
) -> Result<Option<Result<()>>> {
    if key.is_some_and(|key| !checkpoint.verify_mac(key)) {
        return Ok(Some(Err(published(checkpoint, 0, MAC_FAILS))));
    }
    let Ok(segments) = segment_files(io, dir, archives) else {
        return Ok(None);
    };
    let walked = record_place((io, &FrameMarks::default()), &segments, checkpoint.sequence);
    let Ok(Some((record, version))) = walked else {
        return Ok(None);
    };
    let end = record.end;
    let pieces = Pieces {
        limit: end,
        snapshots: false,
        ..Pieces::default()
    };
    let spilling = Spilling::default();
    let streamed = replay_in_pieces_of(io, dir, archives, key, &spilling, pieces, &mut |_| {})?;
    let Some(streamed) = streamed else {
        return Ok(None);
    };
    let replayed = &streamed.replayed;
    if replayed.head.sequence != checkpoint.sequence || replayed.head.len != end {
        return Ok(None);
    }
    let published = |why| published(checkpoint, record.start, why);
    if replayed.head.hash != checkpoint.head_hash {
        let why = "the record's hash differs from the published head";
        return Ok(Some(Err(published(why))));
    }
    if is_a_digest_of(&replayed.ledger, &checkpoint.state_digest) {
        return Ok(Some(Ok(())));
    }
    // A line made for a record before format 7 may hold the first or second digest, which a
    // replay that let transfers or operations go cannot compute.
    let earlier_unknown =
        replayed.ledger.state_digest_v1().is_none() || replayed.ledger.state_digest_v2().is_none();
    if version < DIGEST_V3_VERSION && earlier_unknown {
        return Ok(None);
    }
    let why = "the replayed state differs from the published digest";
    Ok(Some(Err(published(why))))
}

/// The Merkle root (`docs/FORMAT.md` §13) of the first `size` records of the journal in `dir`
/// (with sealed segments moved to `archives`), from their stored hashes, found by a walk of the
/// segments' frames without reading the journal whole. The records' checksums are not checked
/// here: [`verify_published_dir`] of the same size checks them.
///
/// On `Err(Corrupted)`: the journal holds fewer records, or a frame is out of place.
pub fn journal_root_dir(
    dir: &Path,
    archives: &[PathBuf],
    size: u64,
    hash: TreeHash,
) -> Result<Hash> {
    let segments = segment_files(&OsIo, dir, archives)?;
    let empty = MerkleTree::new(hash).in_blocks(TREE_BLOCK_LEVELS);
    let tree = tree_of_first((&OsIo, &FrameMarks::default()), &segments, size, empty)?;
    Ok(tree
        .root(size)
        .expect("a tree of exactly `size` leaves has its root"))
}

/// Verifies the journal in `dir` without opening the store (and without its index): for
/// auditors working on a copy. See [`verify_bytes`].
pub fn verify_dir(
    dir: &Path,
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    verify_dir_from(dir, &[], key, progress)
}

/// [`verify_dir`] with sealed segments read from `archives` too (directories they were moved
/// to); corruption is named by segment and byte offset in its file.
pub fn verify_dir_from(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    replay_to_verify(dir, archives, key, false, progress).map(|(_, _, report)| report)
}
