//! `timebank verify --replay`'s replay of a data directory's journal read in pieces: memory
//! holds a few pieces of the journal and the engine's bounded state ([`crate::replay_spill`]),
//! never the journal's image, and reading overlaps replaying.
//!
//! One thread reads the segments in pieces and checks every record's checksum, sequence number
//! and link, the segments' joins and the checkpoints' places (as the audit's reader does,
//! [`crate::audit_stream::read_in_pieces`]); the calling thread applies the records in order.
//! Like the audit in pieces it gives way rather than report: at the first thing a clean journal
//! does not have (a problem with a segment, a torn tail, a record that fails any check, a
//! replay that differs) it returns `None`, and the caller replays the whole image, which names
//! the first problem exactly as documented.

use std::path::{Path, PathBuf};

use crate::audit_stream::{read_in_pieces, PIECE_BYTES};
use crate::checkpoint::CheckpointKey;
use crate::error::Result;
use crate::file::JournalIo;
use crate::merkle::{FrontierBuilder, TreeHash};
use crate::record::{parse_frame, Frame, Hash};
use crate::replay::{Observer, Progress, ReplayHost, Replayed, Stepper};
use crate::replay_spill::{Spill, Spilled, Spilling};
use crate::segment::{find_segments, SEGMENT_HEADER_BYTES};
use crate::snapshot::StreamCheck;

/// Records applied between two progress reports.
const PROGRESS_EVERY_RECORDS: u64 = 4096;

/// What a replay in pieces found: the replay, what it spilled, the snapshot files checked,
/// and (when asked) the Merkle frontier of its records.
pub(crate) struct Streamed {
    pub replayed: Replayed,
    pub spilled: Spilled,
    pub snapshots_checked: u64,
    pub frontier: Option<Vec<Hash>>,
}

/// Replays the journal of `dir` (with segments moved to `archives`) read in pieces, with the
/// engine's memory bounded as `spilling` says, and (with `snapshots`) checks every snapshot
/// file against it.
/// `Ok(None)`: it gave way (see the module documentation); `Err` only for a damaged snapshot
/// file (the journal verified) or a scratch file that failed.
pub(crate) fn replay_dir_in_pieces(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    spilling: &Spilling,
    snapshots: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Streamed>> {
    let pieces = Pieces {
        snapshots,
        ..Pieces::default()
    };
    replay_in_pieces_of(io, dir, archives, key, spilling, pieces, progress)
}

/// How a replay in pieces reads and what it checks besides the journal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pieces {
    /// The bytes of a read (more when a record is longer).
    pub bytes: usize,
    /// Whether the snapshot files are checked.
    pub snapshots: bool,
    /// The image's bytes replayed: a live store's durable head (records after it are left).
    pub limit: u64,
    /// The Merkle tree whose frontier of the records replayed is wanted, if any.
    pub tree: Option<TreeHash>,
}

impl Default for Pieces {
    fn default() -> Pieces {
        Pieces {
            bytes: PIECE_BYTES,
            snapshots: true,
            limit: u64::MAX,
            tree: None,
        }
    }
}

/// [`replay_dir_in_pieces`] as `pieces` says.
pub(crate) fn replay_in_pieces_of(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    spilling: &Spilling,
    Pieces {
        bytes,
        snapshots,
        limit,
        tree,
    }: Pieces,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Streamed>> {
    let Some(found) = find_segments(io, dir, archives).ok().flatten() else {
        return Ok(None);
    };
    // For the progress: the records' bytes, from the files' sizes.
    let mut bytes_total = 0u64;
    for (_, path) in &found {
        let Ok(size) = io.size(path) else {
            return Ok(None);
        };
        bytes_total += size.saturating_sub(SEGMENT_HEADER_BYTES as u64);
    }
    let mut restarts = 0;
    let mut evict_after = 0;
    loop {
        let mut observe = |_: u64, _: &ledger_core::Command, _: &ledger_core::Reply, _: &_| {};
        let observer: Observer<'_> = &mut observe;
        let mut host = Spill::new(spilling, evict_after, observer);
        let mut check = match snapshots {
            true => match StreamCheck::new(io, dir) {
                Ok(check) => Some(check),
                Err(_) => return Ok(None),
            },
            false => None,
        };
        let mut stepper = Stepper::new(key);
        let mut frontier = tree.map(FrontierBuilder::new);
        let read = read_in_pieces(io, dir, archives, key, (bytes, limit), |work, free| {
            for piece in work {
                for &(start, len) in &piece.frames {
                    let offset = piece.image_offset + start as u64;
                    let frame = parse_frame(&piece.buffer[start..start + len], offset).ok()?;
                    if let Some(check) = check.as_mut() {
                        check.before(&frame, stepper.ledger());
                    }
                    stepper.step(&frame, &mut host).ok()?;
                    if let Some(frontier) = frontier.as_mut() {
                        frontier.push(&frame.stored_hash());
                    }
                    let done = stepper.records();
                    if done.is_multiple_of(PROGRESS_EVERY_RECORDS) {
                        // The records to come are not counted yet: estimated from the bytes.
                        let read = (offset + len as u64).max(1);
                        let total = (done as u128 * u128::from(bytes_total) / u128::from(read))
                            .max(u128::from(done));
                        progress(Progress {
                            records_done: done,
                            records_total: u64::try_from(total).unwrap_or(u64::MAX),
                        });
                    }
                }
                // The reader stops at its next read when this end is gone.
                let _ = free.send(piece.buffer);
            }
            Some(())
        });
        host.finish()?;
        match (read, host.needs_history_at) {
            // The engine refused the record: start again, keeping every transfer up to it.
            (None, Some(at)) if at > evict_after => {
                evict_after = at;
                restarts += 1;
            }
            (None, _) => return Ok(None),
            (Some(((), head)), _) => {
                let Ok(replayed) = stepper.finish(progress) else {
                    return Ok(None);
                };
                if replayed.head != head {
                    return Ok(None);
                }
                let spilled = host.spilled(&replayed, restarts);
                let snapshots_checked = match check {
                    Some(check) => {
                        check.finish(io, dir, &replayed.ledger, (head.sequence, head.len))?
                    }
                    None => 0,
                };
                return Ok(Some(Streamed {
                    replayed,
                    spilled,
                    snapshots_checked,
                    frontier: frontier.map(|f| f.frontier()),
                }));
            }
        }
    }
}

/// What [`replay_host_in_pieces`] made: the replay, its genesis record's time and the Merkle
/// frontier of its records.
pub(crate) struct HostReplay {
    pub replayed: Replayed,
    pub created: u64,
    pub frontier: Vec<Hash>,
}

/// Replays the journal of `dir` (with segments moved to `archives`) read in pieces through
/// `host`, the records up to `limit` bytes of the image; `inspect` sees each record first and
/// gives way by returning `false`. `None`: it gave way, for the reasons of the module
/// documentation, or the engine refused a record (the host may know why).
pub(crate) fn replay_host_in_pieces(
    io: &dyn JournalIo,
    (dir, archives): (&Path, &[PathBuf]),
    key: Option<&CheckpointKey>,
    limit: u64,
    host: &mut dyn ReplayHost,
    inspect: &mut dyn FnMut(&Frame<'_>) -> bool,
) -> Option<HostReplay> {
    let mut stepper = Stepper::new(key);
    let mut frontier: Option<FrontierBuilder> = None;
    let mut created = None;
    let read = read_in_pieces(
        io,
        dir,
        archives,
        key,
        (PIECE_BYTES, limit),
        |work, free| {
            for piece in work {
                for &(start, len) in &piece.frames {
                    let offset = piece.image_offset + start as u64;
                    let frame = parse_frame(&piece.buffer[start..start + len], offset).ok()?;
                    if !inspect(&frame) {
                        return None;
                    }
                    stepper.step(&frame, host).ok()?;
                    // The genesis record, applied first, names the tree's hash.
                    created.get_or_insert(frame.now());
                    frontier
                        .get_or_insert_with(|| FrontierBuilder::new(stepper.profile().tree_hash()))
                        .push(&frame.stored_hash());
                }
                let _ = free.send(piece.buffer);
            }
            Some(())
        },
    );
    let ((), head) = read?;
    let replayed = stepper.finish(&mut |_| {}).ok()?;
    let (created, frontier) = (created?, frontier?.frontier());
    (replayed.head == head).then_some(HostReplay {
        replayed,
        created,
        frontier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::OsIo;
    use crate::replay::replay;
    use crate::replay_spill::ScratchDir;
    use crate::segment::read_journal;
    use crate::{Store, StoreOptions};
    use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferId};

    const NOW: u64 = 1_767_225_600_000_000_000;
    const KEY: [u8; 32] = [0x5a; 32];

    /// 40 batches of 300 services over segments of 64 KiB, a keyed checkpoint and a snapshot
    /// every tenth batch.
    fn ledger(dir: &Path) {
        let options = StoreOptions::default()
            .checkpoint_key(KEY)
            .segment_bytes(64 << 10);
        let store = Store::create(dir, &Policy::default_policy(), NOW, options).unwrap();
        let id = |n: u128| AccountId::new(n).unwrap();
        let mut accounts = vec![NewAccount::new(id(1), 1, AccountKind::Issuer)];
        accounts.extend((100..108).map(|n| NewAccount::new(id(n), 1, AccountKind::Member)));
        store.create_accounts(accounts, NOW).unwrap();
        for batch in 0..40u128 {
            let services = (1..=300u128)
                .map(|i| {
                    let n = batch * 300 + i;
                    let amount = Amount::from_minor(1 + (n % 300) as u64, 2).unwrap();
                    Transfer::new(
                        TransferId::new(n).unwrap(),
                        id(1),
                        id(100 + n % 8),
                        amount,
                        1,
                    )
                    .code(101)
                })
                .collect();
            store
                .create_transfers(services, NOW + 1 + batch as u64)
                .unwrap();
            if batch % 10 == 9 {
                store.checkpoint().unwrap();
                store.write_snapshot().unwrap();
            }
        }
        store.close().unwrap();
    }

    /// The keyed replay of the ledger in `dir` as `pieces` says.
    fn with_pieces(dir: &Path, spilling: &Spilling, pieces: Pieces) -> Result<Option<Streamed>> {
        let key = Some(KEY);
        replay_in_pieces_of(&OsIo, dir, &[], key.as_ref(), spilling, pieces, &mut |_| {})
    }

    fn in_pieces(dir: &Path, spilling: &Spilling, bytes: usize) -> Option<Streamed> {
        let pieces = Pieces {
            bytes,
            ..Pieces::default()
        };
        with_pieces(dir, spilling, pieces).unwrap()
    }

    #[test]
    fn a_replay_in_pieces_of_any_size_is_the_replay_of_the_image() {
        let dir = ScratchDir::in_temp();
        ledger(&dir.path);
        let image = read_journal(&OsIo, &dir.path, &[]).unwrap();
        assert!(
            image.segments.len() > 10,
            "{} segments",
            image.segments.len()
        );
        let whole = replay(&image.bytes, Some(&KEY), &mut |_| {}, &mut |_, _, _, _| {}).unwrap();
        let files = crate::snapshot::list(&OsIo, &dir.path).unwrap().0.len() as u64;
        assert!(files >= 2);
        let scratch = ScratchDir::in_temp();
        let spilling = Spilling {
            resident_transfers: 100,
            run_versions: 2_000,
            scratch: scratch.path.clone(),
        };
        for bytes in [1, 300, 5_000, 1 << 20] {
            let streamed = in_pieces(&dir.path, &spilling, bytes).expect("a clean journal streams");
            assert_eq!(streamed.replayed.head, whole.head, "pieces of {bytes}");
            assert_eq!(streamed.replayed.records, whole.records);
            assert_eq!(streamed.replayed.checkpoints, whole.checkpoints);
            let digest = streamed.replayed.ledger.state_digest();
            assert_eq!(digest, whole.ledger.state_digest());
            assert_eq!(streamed.snapshots_checked, files);
            assert!(
                streamed.spilled.report.runs >= 2,
                "{:?}",
                streamed.spilled.report
            );
        }
    }

    #[test]
    fn a_replay_in_pieces_up_to_a_head_is_the_replay_of_the_image_up_to_it_and_its_tree() {
        let dir = ScratchDir::in_temp();
        ledger(&dir.path);
        let image = read_journal(&OsIo, &dir.path, &[]).unwrap();
        let frames = crate::journal::scan_frames(&image.bytes).unwrap().frames;
        let tree = crate::merkle::TreeHash::Sha256;
        // A head in the middle of a segment, and one at a segment's end.
        let middle = frames.len() / 2;
        let join = image.segments[3].start;
        let at_join = frames
            .iter()
            .position(|&(offset, len)| offset + u64::from(len) == join)
            .unwrap();
        for last in [middle, at_join, frames.len() - 1] {
            let (offset, len) = frames[last];
            let limit = offset + u64::from(len);
            let bytes = &image.bytes[..limit as usize];
            let whole = replay(bytes, Some(&KEY), &mut |_| {}, &mut |_, _, _, _| {}).unwrap();
            let pieces = Pieces {
                bytes: 3_000,
                snapshots: false,
                limit,
                tree: Some(tree),
            };
            let streamed = with_pieces(&dir.path, &Spilling::default(), pieces)
                .unwrap()
                .expect("a clean journal streams");
            assert_eq!(streamed.replayed.head, whole.head, "up to record {last}");
            assert_eq!(
                streamed.replayed.ledger.state_digest(),
                whole.ledger.state_digest()
            );
            let size = last as u64 + 1;
            let journal = crate::store_proof::journal_tree(bytes, size, tree).unwrap();
            let frontier = streamed.frontier.unwrap();
            let streamed_tree = crate::merkle::MerkleTree::from_frontier(tree, size, &frontier);
            assert_eq!(streamed_tree.unwrap().root(size), journal.root(size));
        }
    }

    #[test]
    fn a_replay_in_pieces_gives_way_to_the_image_at_a_torn_tail_and_names_a_bad_snapshot() {
        let dir = ScratchDir::in_temp();
        ledger(&dir.path);
        let spilling = Spilling::default();
        let snapshots = dir.path.join(crate::snapshot::SNAPSHOT_DIR_NAME);
        let newest = crate::snapshot::list(&OsIo, &dir.path).unwrap().0[0]
            .1
            .clone();
        let path = snapshots.join(&newest);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let pieces = Pieces {
            bytes: 4096,
            ..Pieces::default()
        };
        let damaged = with_pieces(&dir.path, &spilling, pieces);
        let why = damaged
            .err()
            .expect("a damaged snapshot is named")
            .to_string();
        assert!(why.contains(&newest), "{why}");

        // Half a record at the end: a torn tail, which the image's replay names.
        let image = read_journal(&OsIo, &dir.path, &[]).unwrap();
        let newest_segment = &image.last().path;
        let mut segment = std::fs::OpenOptions::new()
            .append(true)
            .open(newest_segment)
            .unwrap();
        std::io::Write::write_all(&mut segment, &[0x54, 0x42, 0x4a, 0x31]).unwrap();
        assert!(in_pieces(&dir.path, &spilling, 4096).is_none());
    }

    #[test]
    fn a_published_line_is_decided_in_pieces_without_reading_the_image() {
        use crate::checkpoint::Checkpoint;
        use crate::store_verify::published_in_pieces;
        let dir = ScratchDir::in_temp();
        ledger(&dir.path);
        let image = read_journal(&OsIo, &dir.path, &[]).unwrap();
        let frames = crate::journal::scan_frames(&image.bytes).unwrap().frames;
        for sequence in [0, 1, 7, 20, frames.len() as u64 - 1] {
            let (offset, len) = frames[sequence as usize];
            let end = (offset + u64::from(len)) as usize;
            let replayed = replay(
                &image.bytes[..end],
                Some(&KEY),
                &mut |_| {},
                &mut |_, _, _, _| {},
            )
            .unwrap();
            let digest = replayed.ledger.state_digest();
            let line = Checkpoint::sign(sequence, replayed.head.hash, digest, &KEY);
            let decided = published_in_pieces(&OsIo, &dir.path, &[], &line, Some(&KEY)).unwrap();
            assert!(
                matches!(decided, Some(Ok(()))),
                "record {sequence}: {decided:?}"
            );
            let other = Checkpoint::sign(sequence, replayed.head.hash, [1; 32], &KEY);
            let decided = published_in_pieces(&OsIo, &dir.path, &[], &other, Some(&KEY)).unwrap();
            assert!(
                matches!(decided, Some(Err(_))),
                "record {sequence}: {decided:?}"
            );
        }
    }
}
