//! A proof reads the record it proves and a walk of that record's segment, never the journal
//! whole; after an open from a snapshot, the Merkle tree of the records before it comes from
//! their stored hashes, and a large record is stepped over, not read through
//! (`docs/FORMAT.md` §13).

mod support;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ledger_core::TransferId;
use ledger_store::file::{JournalFile, JournalIo, OsIo};
use ledger_store::{Error, Store, StoreOptions};
use support::*;

/// The operating system's files, counting the bytes read.
#[derive(Debug, Default)]
struct Counting {
    read: AtomicU64,
}

impl Counting {
    fn take(&self) -> u64 {
        self.read.swap(0, Ordering::SeqCst)
    }

    fn count(&self, n: usize) {
        self.read.fetch_add(n as u64, Ordering::SeqCst);
    }
}

impl JournalIo for Counting {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        let bytes = OsIo.read(path)?;
        self.count(bytes.as_ref().map_or(0, Vec::len));
        Ok(bytes)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        OsIo.create(path)
    }
    fn create_whole(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        OsIo.create_whole(path, bytes)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        OsIo.remove(path)
    }
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        OsIo.open_append(path)
    }
    fn list(&self, dir: &Path) -> io::Result<Option<Vec<String>>> {
        OsIo.list(dir)
    }
    fn size(&self, path: &Path) -> io::Result<u64> {
        OsIo.size(path)
    }
    fn read_append(&self, path: &Path, out: &mut Vec<u8>) -> io::Result<bool> {
        let before = out.len();
        let found = OsIo.read_append(path, out)?;
        self.count(out.len() - before);
        Ok(found)
    }
    fn read_at(&self, path: &Path, offset: u64, out: &mut [u8]) -> io::Result<bool> {
        let found = OsIo.read_at(path, offset, out)?;
        self.count(out.len());
        Ok(found)
    }
}

/// The journal's segment files: (first sequence, file length), oldest first.
fn segments(dir: &Path) -> Vec<(u64, u64)> {
    let mut names: Vec<_> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let first = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
            (first, bytes.len() as u64)
        })
        .collect()
}

/// The length of the segment file that holds record `sequence`.
fn segment_len_holding(dir: &Path, sequence: u64) -> u64 {
    let all = segments(dir);
    let at = all.partition_point(|(first, _)| *first <= sequence) - 1;
    all[at].1
}

/// Batches of `per_batch` services, a snapshot after batch `snapshot_after`; closed.
fn ledger(
    dir: &Path,
    options: StoreOptions,
    batches: u128,
    per_batch: usize,
    snapshot_after: u128,
) {
    let store = new_store(dir, options);
    for b in 0..batches {
        let batch = services(1_000 + b * per_batch as u128, per_batch);
        store.create_transfers(batch, NOW + 1 + b as u64).unwrap();
        if b == snapshot_after {
            store.write_snapshot().unwrap();
        }
    }
    store.close().unwrap();
}

fn open_counted(dir: &Path, options: StoreOptions) -> (Store, Arc<Counting>) {
    let io = Arc::new(Counting::default());
    let store = Store::open(dir, options.io(io.clone())).unwrap();
    assert!(
        store.open_report().snapshots.used.is_some(),
        "the test opens from a snapshot"
    );
    (store, io)
}

fn id(n: u128) -> TransferId {
    TransferId::new(n).unwrap()
}

/// Segments of 4 KiB (a few records each), snapshots only when asked for.
fn small_segments() -> StoreOptions {
    options()
        .snapshot_after_bytes(u64::MAX)
        .segment_bytes(4_096)
}

/// The place (byte offset in the file, length) of each record of the segment file `bytes`.
fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut frames = Vec::new();
    let mut at = 88; // the segment header's size
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        frames.push((at, len));
        at += len;
    }
    frames
}

#[test]
fn a_proof_reads_the_segment_that_holds_its_record_not_the_journal() {
    let dir = Scratch::new("proof-reads-small");
    let options = small_segments;
    ledger(dir.path(), options(), 40, 10, 30);
    let journal: u64 = segments(dir.path()).iter().map(|(_, len)| len).sum();
    assert!(
        segments(dir.path()).len() > 8,
        "the test needs many segments"
    );

    let (store, io) = open_counted(dir.path(), options());
    // The first proof builds the tree of the records before the snapshot, once.
    let first = store.prove_inclusion(id(1_005), None).unwrap();
    first.verify(None).unwrap();
    for (n, transfer) in [1_015u128, 1_120, 1_250, 1_395].into_iter().enumerate() {
        io.take();
        let proof = store.prove_inclusion(id(transfer), None).unwrap();
        proof.verify(None).unwrap();
        let read = io.take();
        let sequence = proof.record.leaf_index;
        let headers = 88 * segments(dir.path()).len() as u64;
        let record = proof.record.record.len() as u64;
        let bound = segment_len_holding(dir.path(), sequence) + record + headers;
        assert!(
            read <= bound,
            "proof {n} (record {sequence}) read {read} bytes, more than its segment, its record \
             and the headers ({bound}); the journal is {journal}"
        );
    }
    store.close().unwrap();
}

#[test]
fn large_records_are_stepped_over_by_the_tree_and_by_a_proof() {
    let dir = Scratch::new("proof-reads-large");
    let options = || {
        options()
            .snapshot_after_bytes(u64::MAX)
            .segment_bytes(1 << 19)
    };
    // Records of 2,000 services (about 190 KB each), two to a segment.
    ledger(dir.path(), options(), 12, 2_000, 8);
    let journal: u64 = segments(dir.path()).iter().map(|(_, len)| len).sum();
    assert!(
        segments(dir.path()).len() >= 3,
        "the test needs several segments"
    );

    let (store, io) = open_counted(dir.path(), options());
    io.take();
    // A root of the first records needs the tree before the snapshot: stored hashes only.
    assert!(store.tree_root(2).is_some());
    // The first segment starts with small records (the genesis, the accounts), read through a
    // window at a time; every other segment holds only large ones.
    let read = io.take();
    let first_segment = segments(dir.path())[0].1;
    assert!(
        read < first_segment + (16 << 10) && read < journal / 3,
        "the tree of the records before the snapshot read {read} bytes of {journal}"
    );
    // A proof of a transfer in batch 6 (a segment of large records only) reads its record, not
    // the ones before it.
    let proof = store
        .prove_inclusion(id(1_000 + 6 * 2_000 + 7), None)
        .unwrap();
    let first_of_second = segments(dir.path())[1].0;
    assert!(proof.record.leaf_index > first_of_second);
    proof.verify(None).unwrap();
    let read = io.take();
    let record = proof.record.record.len() as u64;
    assert!(
        read < record + (16 << 10),
        "a proof of a record of {record} bytes read {read} of {journal}"
    );
    store.close().unwrap();
}

#[test]
fn a_damaged_record_before_the_snapshot_fails_its_proof_and_no_other() {
    let dir = Scratch::new("proof-reads-damaged");
    let options = small_segments;
    ledger(dir.path(), options(), 40, 10, 30);
    let whole = Store::open(dir.path(), options().read_only()).unwrap();
    let proved = whole.prove_inclusion(id(1_055), None).unwrap();
    let sequence = proved.record.leaf_index;
    whole.close().unwrap();

    // One byte of the record's body changed, its stored hash left as it was: the tree of
    // stored hashes still holds, the record's checksum does not.
    let all = segments(dir.path());
    let at = all.partition_point(|(first, _)| *first <= sequence) - 1;
    let path = dir
        .path()
        .join("journal")
        .join(format!("{:08}.tbj", at + 1));
    let mut bytes = std::fs::read(&path).unwrap();
    let (offset, _) = frames(&bytes)[(sequence - all[at].0) as usize];
    bytes[offset + 70] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();

    let store = Store::open(dir.path(), options()).unwrap();
    assert!(store.open_report().snapshots.used.is_some());
    let err = store.prove_inclusion(id(1_055), None).unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
    assert!(err.to_string().contains(&format!("{:08}", at + 1)), "{err}");
    for other in [1_005u128, 1_105, 1_395] {
        store
            .prove_inclusion(id(other), None)
            .unwrap()
            .verify(None)
            .unwrap();
    }
    store.close().unwrap();
}

/// Each record's stored hash, from the segment files.
fn stored_hashes(dir: &Path) -> Vec<[u8; 32]> {
    let mut names: Vec<_> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut hashes = Vec::new();
    for path in names {
        let bytes = std::fs::read(path).unwrap();
        for (at, len) in frames(&bytes) {
            hashes.push(bytes[at + len - 32..at + len].try_into().unwrap());
        }
    }
    hashes
}

/// The byte offset of record `sequence`'s stored hash in segment 1 (which holds every record),
/// whose file is `path`.
fn hash_offset_in_first_segment(path: &Path, sequence: u64) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let (at, len) = frames(&bytes)[sequence as usize];
    (at + len - 32) as u64
}

/// The store keeps the Merkle tree's nodes below blocks of 1,024 records only for the newest
/// block; roots and proofs that reach into older blocks read those blocks' stored hashes and
/// check them against the block roots it holds.
#[test]
fn roots_and_proofs_reach_into_older_blocks_of_the_tree_and_a_changed_block_is_refused() {
    use ledger_store::merkle::{verify_consistency, verify_inclusion, MerkleTree};
    let dir = Scratch::new("proof-reads-blocks");
    let options = || options().snapshot_after_bytes(u64::MAX);
    let store = new_store(dir.path(), options());
    let mut snapshot = 0;
    for n in 0..2_200u128 {
        store
            .create_transfers(services(10_000 + n, 1), NOW + 1 + n as u64)
            .unwrap();
        if n == 1_500 {
            snapshot = store.write_snapshot().unwrap().sequence;
        }
    }
    let size = store.tree_size();
    assert!(size > 2_048 + 100, "three blocks, the last open");
    let hashes = stored_hashes(dir.path());
    assert_eq!(hashes.len() as u64, size);
    let mut whole = MerkleTree::new(store.profile().tree_hash());
    hashes.iter().for_each(|h| whole.push(h));
    let sizes = [
        1u64, 2, 700, 1_023, 1_024, 1_025, 1_600, 2_047, 2_048, 2_049, size,
    ];
    let check = |store: &Store| {
        let hash = store.profile().tree_hash();
        for &n in &sizes {
            let root = store.tree_root(n).unwrap();
            assert_eq!(Some(root), whole.root(n), "root of {n}");
            for m in [0, n / 3, n - 1] {
                let path = store.inclusion_proof(m, n).unwrap();
                assert_eq!(
                    Some(path.clone()),
                    whole.inclusion_proof(m, n),
                    "{m} in {n}"
                );
                verify_inclusion(hash, m, n, &hashes[m as usize], &path, &root).unwrap();
            }
            for old in [1, n / 2 + 1, n] {
                let old_root = whole.root(old).unwrap();
                let path = store.consistency_proof(old, n).unwrap();
                verify_consistency(hash, old, n, &old_root, &root, &path).unwrap();
            }
        }
        let proof = store.prove_inclusion(id(10_005), None).unwrap();
        proof.verify(None).unwrap();
    };
    check(&store);
    store.close().unwrap();

    // Opened from the snapshot (the tree from its frontier), and by a whole replay.
    let tail = Store::open(dir.path(), options()).unwrap();
    assert_eq!(
        tail.open_report()
            .snapshots
            .used
            .as_ref()
            .map(|u| u.sequence),
        Some(snapshot)
    );
    check(&tail);
    tail.close().unwrap();
    let (replayed, copy) = open_whole(dir.path(), options());
    check(&replayed);

    // A stored hash in the first block changed under the open store (in the copy it reads):
    // a proof into that block reads it and refuses; one into the newest block does not read it.
    let path = copy.path().join("archive").join("00000001.tbj");
    let at = hash_offset_in_first_segment(&path, 10);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let mut byte = [0u8; 1];
    std::os::unix::fs::FileExt::read_at(&std::fs::File::open(&path).unwrap(), &mut byte, at)
        .unwrap();
    std::os::unix::fs::FileExt::write_at(&file, &[byte[0] ^ 1], at).unwrap();
    let err = replayed.inclusion_proof(10, size).unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
    let why = "the stored hashes of records 0 to 1023 do not give the Merkle tree's node over \
               them: the journal was changed since they were written";
    assert!(err.to_string().contains(why), "{err}");
    assert!(replayed.inclusion_proof(size - 1, size).is_ok());
    replayed.close().unwrap();
}

/// A walk leaves a mark every 1,024 records of a segment; the next walk to a record after a
/// mark starts there.
#[test]
fn a_second_proof_walks_from_the_nearest_mark_not_the_segments_start() {
    let dir = Scratch::new("proof-reads-marks");
    let io = Arc::new(Counting::default());
    let store = new_store(dir.path(), options().io(io.clone()));
    for n in 0..2_200u128 {
        store
            .create_transfers(services(10_000 + n, 1), NOW + 1 + n as u64)
            .unwrap();
    }
    assert_eq!(
        segments(dir.path()).len(),
        1,
        "one segment of small records"
    );
    io.take();
    let first = store.prove_inclusion(id(12_150), None).unwrap();
    let read_first = io.take();
    let second = store.prove_inclusion(id(12_160), None).unwrap();
    let read_second = io.take();
    first.verify(None).unwrap();
    second.verify(None).unwrap();
    let record = second.record.record.len() as u64;
    assert!(
        first.record.leaf_index > 2_048 && read_first > 300 << 10,
        "the first proof walks the segment from its start: {read_first} bytes"
    );
    assert!(
        read_second <= (64 << 10) + record + 88,
        "the second starts at the mark of record 2,048: {read_second} bytes"
    );
    store.close().unwrap();
}

/// Proofs made while commits go on, across the ends of blocks of the tree: every claim's root
/// and every proof against it verify.
#[test]
fn proofs_made_while_records_are_committed_verify() {
    use ledger_store::merkle::verify_inclusion;
    let dir = Scratch::new("proof-reads-concurrent");
    let store = new_store(dir.path(), options());
    let hash = store.profile().tree_hash();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for n in 0..2_300u128 {
                store
                    .create_transfers(services(10_000 + n, 1), NOW + 1 + n as u64)
                    .unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut proved = 0;
        let mut rng = 7u64;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || proved < 50 {
            let claim = store.checkpoint_claim();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let leaf = rng % claim.tree_size;
            let path = store.inclusion_proof(leaf, claim.tree_size).unwrap();
            let record = store.records(&[leaf]).unwrap().remove(0);
            let stored = &record[record.len() - 32..];
            verify_inclusion(hash, leaf, claim.tree_size, stored, &path, &claim.root).unwrap();
            assert_eq!(store.tree_root(claim.tree_size), Some(claim.root));
            proved += 1;
        }
        assert!(proved >= 50);
    });
    store.close().unwrap();
}
