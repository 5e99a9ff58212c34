//! The audit of a ledger's journal read in pieces: what [`crate::audit::audit`] checks of a
//! journal image, without the image.
//!
//! Reading a whole journal into memory costs memory in proportion to its size (a 100 M-transfer
//! journal is about 10 GB) and time in the kernel faulting in and zeroing a fresh buffer for it,
//! and every byte then travels to memory and back before it is hashed. Here one thread reads the
//! segments in pieces of a few MiB into a few buffers that are used again, finds the records'
//! frames and checks the chain, segment joins and checkpoints in order, while two threads hash,
//! decode and sum each piece while it is still in cache.
//!
//! It gives way rather than report: at the first thing that a clean journal does not have (a
//! segment missing, a damaged header, a torn tail, a record that fails any check, a read that
//! fails), it returns `None`, and the caller audits the whole image, which names the first
//! problem exactly as documented. A result it does return is the one the whole-image audit
//! gives for the same files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use crate::audit::{sum_parts, Audit, Chain, Part};
use crate::checkpoint::CheckpointKey;
use crate::file::JournalIo;
use crate::record::{parse_frame, FrameError, Hash, OFFSET_LENGTH};
use crate::segment::{find_segments, SegmentHeader, SEGMENT_HEADER_BYTES};

/// How many bytes of a segment one read fetches (more when a record is longer).
pub(crate) const PIECE_BYTES: usize = 4 << 20;

/// Buffers in use at once: one being filled, one queued and one in each hashing thread.
const BUFFERS: usize = 4;

/// Records read in one piece, for a hashing thread.
pub(crate) struct Piece {
    pub buffer: Vec<u8>,
    /// Where the buffer's first byte is in the journal image.
    pub image_offset: u64,
    /// `(start, length)` in the buffer of each whole record it holds.
    pub frames: Vec<(usize, usize)>,
}

/// Reads the journal of `dir` (with segments moved to `archives`) in pieces of `piece_bytes` on
/// a thread of its own, checking what the audit's reader does and each record's checksum too,
/// and hands the pieces in journal order to `consume` on the calling thread, which sends each
/// buffer back once done with it. `Some((consumed, head, bytes))`: every record read and
/// checked, `consume`'s result, the last record and the records' bytes; `None` at the first
/// thing a clean journal does not have, or when `consume` gives up (it returns `None`).
/// Records past `limit` bytes of the image (a record boundary: a live store's durable head)
/// are not read.
pub(crate) fn read_in_pieces<R>(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    (piece_bytes, limit): (usize, u64),
    consume: impl FnOnce(Receiver<Piece>, SyncSender<Vec<u8>>) -> Option<R>,
) -> Option<(R, crate::journal::Head)> {
    let found = find_segments(io, dir, archives).ok()??;
    let numbered = (1..).zip(&found).all(|(n, (index, _))| *index == n);
    if found.is_empty() || !numbered {
        return None;
    }
    let failed = AtomicBool::new(false);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        free_tx.send(Vec::new()).ok()?;
    }
    let (work_tx, work_rx) = sync_channel::<Piece>(BUFFERS);
    let (read, consumed) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reader = Reader {
                io,
                key,
                piece_bytes: piece_bytes.max(1),
                hash: true,
                limit,
                free: free_rx,
                spare: None,
                work: work_tx,
                failed: &failed,
                chain: Chain::default(),
                records: 0,
                image_len: 0,
            };
            let read = reader.read_all(&found);
            (read, reader.chain)
        });
        // The consumer owns its ends of both queues: when it returns, early or not, the
        // reader's next send or receive fails and it stops.
        let consumed = consume(work_rx, free_tx);
        if consumed.is_none() {
            failed.store(true, Ordering::Relaxed);
        }
        let read = reader.join().expect("the reader does not panic");
        (read, consumed)
    });
    let (segments, chain) = read;
    segments?;
    let head = chain.head().ok()?;
    Some((consumed?, head))
}

/// Audits the journal of the data directory `dir` (with segments moved to `archives`) in
/// pieces of `piece_bytes`, on two hashing threads: `Some((audit, segments))` when every check
/// passes (the audit the whole image gives, and how many segments there are), `None` at the
/// first thing that is not as a clean journal has it.
pub(crate) fn audit_in_pieces(
    io: &dyn JournalIo,
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    piece_bytes: usize,
) -> Option<(Audit, u64)> {
    let found = find_segments(io, dir, archives).ok()??;
    // Numbered 1 to n, none missing or found twice.
    let numbered = (1..).zip(&found).all(|(n, (index, _))| *index == n);
    if found.is_empty() || !numbered {
        return None;
    }
    let failed = AtomicBool::new(false);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        free_tx.send(Vec::new()).ok()?;
    }
    let (work_tx, work_rx) = sync_channel::<Piece>(BUFFERS);
    let work_rx = Mutex::new(work_rx);
    let (read, parts) = std::thread::scope(|s| {
        let hashers: Vec<_> = (0..2)
            .map(|_| s.spawn(|| hash_pieces(&work_rx, &free_tx, &failed)))
            .collect();
        let mut reader = Reader {
            io,
            key,
            piece_bytes: piece_bytes.max(1),
            hash: false,
            limit: u64::MAX,
            free: free_rx,
            spare: None,
            work: work_tx,
            failed: &failed,
            chain: Chain::default(),
            records: 0,
            image_len: 0,
        };
        let read = reader.read_all(&found);
        if read.is_none() {
            failed.store(true, Ordering::Relaxed);
        }
        // Closing the queue: the hashing threads finish what is queued and stop.
        let Reader { chain, work, .. } = reader;
        drop(work);
        let parts: Vec<Part> = hashers
            .into_iter()
            .map(|h| h.join().expect("a hashing thread does not panic"))
            .collect();
        (read.map(|segments| (chain, segments)), parts)
    });
    let (chain, segments) = read?;
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    let head = chain.head().ok()?;
    let (accounts, transfers) = sum_parts(parts, head).ok()?;
    Some((
        Audit {
            records: head.sequence + 1,
            head,
            checkpoints: chain.checkpoints,
            accounts,
            transfers,
            torn: None,
        },
        segments,
    ))
}

/// The hashing side: takes pieces until the queue closes, checks each record's hash, decodes
/// it and sums its outcomes, and gives every buffer back. After a failure (its own or the
/// reader's) it only gives buffers back.
fn hash_pieces(
    work: &Mutex<Receiver<Piece>>,
    free: &SyncSender<Vec<u8>>,
    failed: &AtomicBool,
) -> Part {
    let mut part = Part::default();
    loop {
        // Invariant: no thread panics while holding the lock.
        let piece = work.lock().expect("the queue lock is not poisoned").recv();
        let Ok(piece) = piece else {
            return part;
        };
        if !failed.load(Ordering::Relaxed) {
            for &(start, len) in &piece.frames {
                let offset = piece.image_offset + start as u64;
                let Ok(frame) = parse_frame(&piece.buffer[start..start + len], offset) else {
                    failed.store(true, Ordering::Relaxed);
                    break;
                };
                if part.check(&frame).is_err() {
                    failed.store(true, Ordering::Relaxed);
                    break;
                }
            }
        }
        // The reader holds the other end until it is done with every buffer.
        let _ = free.send(piece.buffer);
    }
}

/// The reading side: segment files in order, each read in pieces, frames found and the chain
/// checked in order.
struct Reader<'a> {
    io: &'a dyn JournalIo,
    key: Option<&'a CheckpointKey>,
    piece_bytes: usize,
    /// Whether the reader checks each record's checksum itself (else the hashing threads do).
    hash: bool,
    /// The image's bytes to read; the records after them are left out.
    limit: u64,
    free: Receiver<Vec<u8>>,
    /// A buffer read into but not queued (it held no whole record).
    spare: Option<Vec<u8>>,
    work: SyncSender<Piece>,
    failed: &'a AtomicBool,
    chain: Chain,
    /// Records found so far.
    records: u64,
    /// The journal image's length so far: where the next segment's records go in it.
    image_len: u64,
}

impl Reader<'_> {
    /// Reads every segment; the number read, or `None` at the first problem.
    fn read_all(&mut self, found: &[(u64, PathBuf)]) -> Option<u64> {
        // What the next segment's header binds to: the genesis for segment 1, else the record
        // before it. The chain then checks that its first record is that one's successor.
        let mut binding: (u64, Hash) = (0, [0; 32]);
        for (i, (index, path)) in found.iter().enumerate() {
            if self.image_len >= self.limit {
                break;
            }
            let whole = (self.limit - self.image_len).saturating_add(SEGMENT_HEADER_BYTES as u64);
            let size = self.io.size(path).ok()?.min(whole);
            let mut header = [0u8; SEGMENT_HEADER_BYTES];
            if size < SEGMENT_HEADER_BYTES as u64 || !self.io.read_at(path, 0, &mut header).ok()? {
                return None;
            }
            let header = SegmentHeader::decode(&header).ok()?;
            if header.index != *index || (header.first_sequence, header.prev_hash) != binding {
                return None;
            }
            let before = self.records;
            self.read_segment(path, size)?;
            // A sealed segment holds at least one record.
            if self.records == before && i + 1 < found.len() && self.image_len < self.limit {
                return None;
            }
            let head = self.chain.head().ok()?;
            binding = (head.sequence + 1, head.hash);
        }
        Some(found.len() as u64)
    }

    /// Reads the records of one segment file of `size` bytes (header included).
    fn read_segment(&mut self, path: &Path, size: u64) -> Option<()> {
        let mut at = SEGMENT_HEADER_BYTES as u64;
        let mut want = self.piece_bytes;
        while at < size {
            if self.failed.load(Ordering::Relaxed) {
                return None;
            }
            let mut buffer = match self.spare.take() {
                Some(buffer) => buffer,
                None => self.free.recv().ok()?,
            };
            let len = usize::try_from(size - at).ok()?.min(want);
            buffer.resize(len, 0);
            if !self.io.read_at(path, at, &mut buffer).ok()? {
                return None;
            }
            let image_offset = self.image_len + at - SEGMENT_HEADER_BYTES as u64;
            let mut frames = Vec::new();
            let mut start = 0;
            while start < len {
                match parse_frame(&buffer[start..], image_offset + start as u64) {
                    Ok(frame) => {
                        if self.hash && !frame.hash_matches() {
                            return None;
                        }
                        self.chain.next(&frame, self.key).ok()?;
                        frames.push((start, frame.len()));
                        start += frame.len();
                    }
                    Err(FrameError::Incomplete) => break,
                    Err(_) => return None,
                }
            }
            // The record that did not fit starts the next read, which holds it whole even when
            // it is longer than a piece.
            want = self.piece_bytes;
            if start < len {
                if at + len as u64 == size {
                    // The segment ends inside a record: a torn tail or damage.
                    return None;
                }
                let rest = &buffer[start..];
                let needed = match rest.get(OFFSET_LENGTH..OFFSET_LENGTH + 4) {
                    Some(b) => u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize,
                    None => OFFSET_LENGTH + 4,
                };
                want = want.max(needed);
            }
            self.records += frames.len() as u64;
            at += start as u64;
            if frames.is_empty() {
                self.spare = Some(buffer);
                continue;
            }
            self.work
                .send(Piece {
                    buffer,
                    image_offset,
                    frames,
                })
                .ok()?;
        }
        self.image_len += size - SEGMENT_HEADER_BYTES as u64;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit;
    use crate::file::OsIo;
    use crate::segment::{read_journal, JOURNAL_DIR_NAME};
    use crate::store::{Store, StoreOptions};
    use ledger_core::{
        AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferId, Unit,
    };

    const NOW: u64 = 1_767_225_600_000_000_000;
    const KEY: [u8; 32] = [0x5a; 32];

    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A ledger of a fund, 8 members and `batches` batches of 3 services, with a keyed
    /// checkpoint after every fourth batch, in segments of `segment_bytes`.
    fn ledger(name: &str, batches: u128, segment_bytes: u64) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "ledger-store-audit-stream-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let options = StoreOptions::default()
            .checkpoint_key(KEY)
            .segment_bytes(segment_bytes);
        let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
        let store = Store::create(&dir, &policy, NOW, options).unwrap();
        let id = |n: u128| AccountId::new(n).unwrap();
        let mut accounts = vec![NewAccount::new(id(1), 1, AccountKind::Issuer)];
        accounts.extend((100..108).map(|n| NewAccount::new(id(n), 1, AccountKind::Member)));
        store.create_accounts(accounts, NOW).unwrap();
        for b in 0..batches {
            let services = (0..3u128)
                .map(|i| {
                    let n = b * 3 + i + 1;
                    let amount = Amount::from_minor(1 + (n % 300) as u64, 2).unwrap();
                    Transfer::new(
                        TransferId::new(n).unwrap(),
                        id(1),
                        id(100 + n % 8),
                        amount,
                        1,
                    )
                })
                .collect();
            store.create_transfers(services, NOW + 1).unwrap();
            if b % 4 == 3 {
                store.checkpoint().unwrap();
            }
        }
        store.close().unwrap();
        Scratch(dir)
    }

    /// The whole-image audit `timebank verify` falls back to: the audit, or that it failed.
    fn whole(dir: &Path, key: Option<&CheckpointKey>) -> Option<(Audit, u64)> {
        let image = read_journal(&OsIo, dir, &[]).ok()?;
        let audited = audit(&image.bytes, key).ok()?;
        audited
            .torn
            .is_none()
            .then_some((audited, image.segments.len() as u64))
    }

    /// Reading in pieces of `piece` bytes gives the whole-image audit's result, or gives way
    /// exactly when that audit fails; `true` when it passed.
    fn agrees(dir: &Path, piece: usize) -> bool {
        let key: CheckpointKey = KEY;
        let pieces = audit_in_pieces(&OsIo, dir, &[], Some(&key), piece);
        match (pieces, whole(dir, Some(&key))) {
            (Some((a, sa)), Some((b, sb))) => {
                assert_eq!(
                    (a.records, a.head, a.checkpoints, a.transfers, sa),
                    (b.records, b.head, b.checkpoints, b.transfers, sb)
                );
                assert_eq!(a.accounts, b.accounts);
                true
            }
            (None, None) => false,
            (a, b) => panic!(
                "in pieces of {piece}: {:?}, whole: {:?}",
                a.map(|a| a.0.records),
                b.map(|b| b.0.records)
            ),
        }
    }

    fn segment_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(JOURNAL_DIR_NAME))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn pieces_of_any_size_give_the_whole_image_audit() {
        let dir = ledger("sizes", 40, 1024);
        assert!(segment_files(&dir.0).len() > 5);
        // Pieces smaller than a header, than a record, a few records, a segment.
        for piece in [1, 7, 100, 333, 1000, 5000, PIECE_BYTES] {
            assert!(agrees(&dir.0, piece), "pieces of {piece}");
        }
    }

    #[test]
    fn a_flipped_byte_anywhere_makes_it_give_way() {
        let dir = ledger("flips", 6, 1024);
        for file in segment_files(&dir.0) {
            let bytes = std::fs::read(&file).unwrap();
            // Every byte of the segment header, then every fifth (a few seconds in a debug
            // build).
            let places =
                (0..SEGMENT_HEADER_BYTES).chain((SEGMENT_HEADER_BYTES..bytes.len()).step_by(5));
            for at in places {
                let mut flipped = bytes.clone();
                flipped[at] ^= 0x10;
                std::fs::write(&file, &flipped).unwrap();
                let key: CheckpointKey = KEY;
                let pieces = audit_in_pieces(&OsIo, &dir.0, &[], Some(&key), 200);
                assert!(pieces.is_none(), "{} byte {at}", file.display());
            }
            std::fs::write(&file, &bytes).unwrap();
            assert!(agrees(&dir.0, 200));
        }
    }

    #[test]
    fn a_cut_journal_is_audited_in_pieces_only_when_it_ends_at_a_record() {
        let dir = ledger("cuts", 6, 1024);
        let files = segment_files(&dir.0);
        let last = files.last().unwrap();
        let bytes = std::fs::read(last).unwrap();
        let mut whole_records = 0;
        for len in (0..bytes.len()).rev() {
            std::fs::write(last, &bytes[..len]).unwrap();
            whole_records += usize::from(agrees(&dir.0, 150));
        }
        // Every record of the newest segment is a place the journal can end (a cut to the
        // header alone leaves an empty newest segment, which is valid too).
        assert!(whole_records >= 2, "{whole_records}");
        // A header whose hash holds but that binds another record, a sealed segment cut
        // short, or one missing, is never accepted.
        std::fs::write(last, &bytes).unwrap();
        let mut header = SegmentHeader::decode(&bytes).ok().unwrap();
        header.prev_hash[0] ^= 1;
        let rebound = [&header.encode()[..], &bytes[SEGMENT_HEADER_BYTES..]].concat();
        std::fs::write(last, rebound).unwrap();
        assert!(!agrees(&dir.0, 150));
        std::fs::write(last, &bytes).unwrap();
        assert!(agrees(&dir.0, 150));
        let sealed = &files[files.len() - 2];
        let sealed_bytes = std::fs::read(sealed).unwrap();
        std::fs::write(sealed, &sealed_bytes[..sealed_bytes.len() - 1]).unwrap();
        assert!(!agrees(&dir.0, 150));
        std::fs::remove_file(sealed).unwrap();
        assert!(!agrees(&dir.0, 150));
    }
}
