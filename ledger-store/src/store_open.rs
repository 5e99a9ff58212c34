//! Creating and opening a store: the genesis record, the data directory's lock, reading and
//! replaying the journal (only its tail when it can: `store_open_tail.rs`), cutting back a torn
//! tail (its bytes kept), and bringing the sled index up to the journal (caught up from its
//! mark, or rebuilt beside the old one).

use std::path::Path;
use std::sync::Arc;

use ledger_core::{Account, Command, Ledger, Policy, Reply};

use crate::checkpoint::CheckpointKey;
use crate::error::{Corruption, CorruptionReason, Error, IndexError, IndexErrorKind, Result};
use crate::eviction::Eviction;
use crate::file::{create_private_dir, JournalFile, JournalIo};
use crate::index::{Index, IndexDelta, IndexMark, IndexTree, REBUILD_CHUNK_TRANSFERS};
use crate::journal::{genesis_record, scan_frames, JournalWriter, TornTail};
use crate::lock::DirLock;
use crate::merkle::MerkleTree;
use crate::profile::{genesis_body, CryptoProfile};
use crate::record::{parse_frame, Hash};
use crate::replay::{replay, replay_from, ReplayHost, Replayed, Resume};
use crate::segment::{
    find_segments, read_journal, segment_path, JournalImage, Segment, SegmentHeader, SegmentedFile,
    JOURNAL_DIR_NAME, SEGMENT_HEADER_BYTES,
};
use crate::snapshot::{self, ImageAt, Loaded, SnapshotReport};
use crate::store::{IndexRecovery, JournalRead, OpenReport, Store, StoreOptions, INDEX_DIR_NAME};
use crate::store_open_pieces::open_in_pieces;
use crate::store_open_tail::{open_from_tail, FromTail};
use crate::store_proof::journal_tree;

/// Most copies of torn tails cut at the same offset that the data directory keeps.
const TORN_COPIES_MAX: u32 = 100;

/// The `now` of the journal's genesis record (the ledger's creation time). `bytes` was replayed
/// successfully, so it starts with a well-formed genesis record.
fn genesis_now(bytes: &[u8]) -> u64 {
    // Invariant: replay accepted the journal, whose first record is a complete genesis record.
    parse_frame(bytes, 0)
        .expect("a replayed journal starts with a genesis record")
        .now()
}

impl Store {
    /// Creates a new ledger under `policy` in `dir` (created if missing) and opens it. `now`
    /// (nanoseconds since the Unix epoch, from the host's clock like every time) is journaled as
    /// the creation time; no command runs before it.
    ///
    /// Like [`Store::open`], it first takes the data directory's lock (the file `LOCK`, created
    /// here) and holds it as long as the store lives; another holder makes it fail fast with
    /// `Err(Locked)`.
    ///
    /// On `Ok`: the journal holds a durable genesis record with the policy as JSON. On `Err`:
    /// nothing exists (invalid policy, a `now` the time guard refuses (`InvalidTime`), existing
    /// ledger, `Locked`), or the journal may hold part
    /// of a genesis record, which a later `open` reports as an unfinished creation.
    pub fn create(dir: &Path, policy: &Policy, now: u64, options: StoreOptions) -> Result<Store> {
        Store::create_in_profile(dir, policy, CryptoProfile::Standard, now, options)
    }

    /// [`Store::create`] under a cryptographic profile, which the genesis record keeps for the
    /// ledger's life (`docs/FORMAT.md` §4.1): `Gm` makes the Merkle tree SM3 and checkpoint
    /// signatures SM2. A `Standard` ledger's genesis record is exactly [`Store::create`]'s.
    pub fn create_in_profile(
        dir: &Path,
        policy: &Policy,
        profile: CryptoProfile,
        now: u64,
        options: StoreOptions,
    ) -> Result<Store> {
        options.time_guard.check(now, 0)?;
        Ledger::with_policy(policy).map_err(|e| Error::Policy(e.to_string()))?;
        // Invariant: a validated Policy is plain data and always serializes.
        let json = serde_json::to_vec(policy).expect("a policy serializes");
        let (genesis, _) = genesis_record(&genesis_body(&json, profile), now);
        Store::create_with(dir, &genesis, options)
    }

    /// Creates a new ledger in `dir` whose genesis record is `genesis`, byte for byte (for
    /// instance the first record of an exported journal: the new ledger then has the same
    /// genesis hash, whatever later versions do to `Policy`'s JSON form), and opens it.
    ///
    /// `genesis` must be exactly one complete record as `docs/FORMAT.md` §3 and §4.1 specify:
    /// well formed, its hash matching, kind genesis, sequence 0, `prev_hash` zero, and a body
    /// that is a valid policy. Locking is as for [`Store::create`].
    ///
    /// On `Ok`: the journal holds exactly `genesis`, durable. On `Err(InvalidGenesis)` or
    /// `Err(Policy)`: nothing was written. Other errors: as for [`Store::create`].
    pub fn create_from_genesis(dir: &Path, genesis: &[u8], options: StoreOptions) -> Result<Store> {
        check_genesis(genesis)?;
        Store::create_with(dir, genesis, options)
    }

    /// Locks `dir`, writes a checked genesis record as a new journal, all at once, and opens
    /// it. A journal left by a creation that did not finish (no complete genesis record: it
    /// never acknowledged anything) is removed first.
    fn create_with(dir: &Path, genesis: &[u8], options: StoreOptions) -> Result<Store> {
        create_private_dir(dir)?;
        let lock = DirLock::acquire(dir, true)?;
        let path = segment_path(dir, 1);
        match find_segments(&*options.io, dir, &[])? {
            Some(found) if !found.is_empty() => match unfinished_creation(&*options.io, dir)? {
                true => options.io.remove(&path)?,
                false => return Err(Error::AlreadyExists(dir.to_path_buf())),
            },
            _ => {}
        }
        let mut first = SegmentHeader {
            index: 1,
            first_sequence: 0,
            prev_hash: [0; 32],
        }
        .encode()
        .to_vec();
        first.extend_from_slice(genesis);
        options.io.create_whole(&path, &first)?;
        Store::open_locked(dir, options, Some(lock))
    }

    /// Opens the ledger in `dir`: takes the data directory's lock, reads and verifies the
    /// journal, rebuilds the ledger by replay, cuts back a torn tail (reported in
    /// [`Store::open_report`]), and catches the sled index up (or rebuilds it when it is
    /// missing, damaged or from another journal).
    ///
    /// With a usable index and snapshot, only the journal's tail is read: the segments from the
    /// one that holds the newest snapshot's record on, the state resumed from the snapshot
    /// (`docs/FORMAT.md` §16.2, "Opening from the journal's tail"); the snapshot and the tail
    /// are read and checked while sled opens the index. The records before it are then read, and checked against the snapshot's Merkle frontier, only when a root or proof
    /// first needs them; [`crate::audit_ledger::audit_ledger`] and [`Store::verify`] check
    /// every record. Otherwise the whole journal is read, checked and replayed: in pieces of a
    /// few MiB, never held at once (a torn tail found in the newest segment first, and cut),
    /// unless it holds something else a clean journal does not have (damage, an index that
    /// does not match its mark), which a read of it as one image then names or rebuilds
    /// (`docs/FORMAT.md` §16.2, "Replaying the whole journal in pieces";
    /// [`OpenReport::journal_read`] says which read it made).
    ///
    /// The lock is an exclusive operating-system lock on the file `LOCK` in `dir` (created if a
    /// ledger is there without one), taken before anything is read and held until the store is
    /// closed or dropped. While another store holds it, in this process or another, opening
    /// fails at once with `Err(Locked)` and reads nothing: a second reader could take a group
    /// being written for a torn tail and cut it. A process that dies releases its lock.
    ///
    /// With [`StoreOptions::read_only`] nothing in the directory is written: the journal is
    /// only read (a torn tail is reported in [`OpenReport::torn_tail`], not cut), the index is
    /// a private copy of the one on disk, made in the system's temporary directory and removed
    /// when the store is dropped (it takes as much space there as the index takes here), which
    /// the open catches up or rebuilds as a writable open does its own; without an index on
    /// disk, or one that cannot be copied or opened, a temporary index (in memory where the
    /// system allows) is built from the journal. The journal is read as a writable open reads
    /// it: from the newest snapshot, else in pieces. The lock is taken when the lock file can
    /// be opened, and every write fails with `Err(ReadOnly)`. This is for read-only media, full
    /// disks and auditors' copies.
    ///
    /// On `Ok`: the journal ends at its last complete record, durable, and the index reflects
    /// it. On `Err(Locked)` or `Err(NotFound)`: nothing was read or changed. On
    /// `Err(Corrupted)`: the journal was not changed (the derived index may have been cleared
    /// or partly caught up); the error names the first bad record. On other errors: the
    /// journal is unchanged unless the error came while cutting a torn tail, in which case
    /// opening again redoes it.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        use std::io::ErrorKind::NotFound;
        let lock = match DirLock::acquire(dir, false) {
            Ok(lock) => Some(lock),
            Err(Error::Io(e)) if e.kind() == NotFound => {
                // No lock file: no ledger here (do not leave a file behind), or a ledger that
                // was written before the store locked its directory.
                if !DirLock::exists(dir)?
                    && find_segments(&*options.io, dir, &[])?.is_none_or(|f| f.is_empty())
                {
                    return Err(Error::NotFound(dir.to_path_buf()));
                }
                match DirLock::acquire(dir, !options.read_only) {
                    Ok(lock) => Some(lock),
                    // Read-only, on a directory without a lock file: nothing can be created.
                    Err(Error::Io(e)) if options.read_only && e.kind() == NotFound => None,
                    Err(e) => return Err(e),
                }
            }
            // A read-only medium may refuse even to open the lock file; nobody writes there.
            Err(Error::Io(e)) if options.read_only && is_refusal_to_write(&e) => None,
            Err(e) => return Err(e),
        };
        Store::open_locked(dir, options, lock)
    }

    /// [`Store::open`] once the directory's lock is held.
    fn open_locked(dir: &Path, options: StoreOptions, lock: Option<DirLock>) -> Result<Store> {
        if unfinished_creation(&*options.io, dir)? {
            return Err(Error::UnfinishedCreation(dir.to_path_buf()));
        }
        let mut index = None;
        let snapshots = match open_from_tail(dir, &options, &mut index)? {
            FromTail::Opened(opened) => return start_store(dir, options, lock, *opened),
            FromTail::NoSnapshot(report) => Some(report),
            FromTail::NotUsed => None,
        };
        if let Some(opened) = open_in_pieces(dir, &options, &mut index, snapshots)? {
            return start_store(dir, options, lock, opened);
        }
        let image = read_journal(&*options.io, dir, &options.segments_from)?;
        Store::open_image(dir, options, lock, image, index)
    }

    /// [`Store::open_locked`] once the journal is read (and perhaps the index opened, with why
    /// it must be rebuilt); corruption is named by segment.
    fn open_image(
        dir: &Path,
        options: StoreOptions,
        lock: Option<DirLock>,
        image: JournalImage,
        index: Option<(Index, Option<String>)>,
    ) -> Result<Store> {
        let last = image.last().clone();
        if !options.read_only && last.path.parent() != Some(&dir.join(JOURNAL_DIR_NAME)) {
            return Err(Error::Io(std::io::Error::other(format!(
                "the newest segment, {}, is not in the data directory's {JOURNAL_DIR_NAME}: \
                 only the newest segment is written, and it stays there",
                last.path.display()
            ))));
        }
        let bytes = &image.bytes;
        let (index, mut rebuild_why) = match index {
            Some(opened) => opened,
            None => open_index_for(dir, &options)?,
        };
        let live = index.live();
        let mark = match live.mark() {
            Ok(mark) => mark,
            Err(e) => {
                rebuild_why.get_or_insert(format!("unreadable mark: {e}"));
                None
            }
        };
        let catch_up_from = match (mark, &rebuild_why) {
            (Some(m), None) if marker_matches(bytes, m.sequence, &m.hash) => {
                // The mark names a record of this journal; does the tree hold what it claims?
                match live.probe(&m) {
                    Ok(None) => m.sequence,
                    Ok(Some(diff)) => {
                        rebuild_why = Some(format!("the index diverged from its mark: {diff}"));
                        0
                    }
                    Err(e) => {
                        rebuild_why = Some(format!("unreadable index: {e}"));
                        0
                    }
                }
            }
            (_, None) => {
                rebuild_why = Some(match mark {
                    None => "the index was empty or missing".into(),
                    Some(_) => "the index reflects another journal or a lost record".into(),
                });
                0
            }
            (_, Some(_)) => 0,
        };
        let key = options.checkpoint_key.as_ref();
        let mut snapshots = SnapshotReport::default();
        let mut snapshot_covers = 0;
        let replayed = match (&rebuild_why, mark) {
            (None, Some(mark)) => {
                let keep = options.resident_transfers;
                let mut catch_up = CatchUp::new(live.clone(), catch_up_from, keep, 0);
                // The newest snapshot at or before the index's mark: only the records after it
                // are replayed (and fed to the index from the mark on).
                let io = &*options.io;
                let whole = ImageAt {
                    bytes,
                    first: 0,
                    base: 0,
                };
                let resume = snapshot::load(
                    io,
                    dir,
                    whole,
                    catch_up_from,
                    keep.is_none(),
                    &mut snapshots,
                )
                .map(
                    |Loaded {
                         sequence,
                         covers,
                         ledger,
                         ..
                     }| {
                        snapshot_covers = covers;
                        catch_up.counts_at_from = (
                            ledger.account_count() as u64,
                            ledger.transfer_count() as u64,
                        );
                        Resume { sequence, ledger }
                    },
                );
                let (replayed, again) = catch_up.replay(bytes, key, resume);
                if again {
                    // Started again without the snapshot, whose state had let transfers go.
                    snapshot_covers = 0;
                    snapshots.used = None;
                }
                let replayed = replayed.map_err(|e| image.locate(e))?;
                let counted = catch_up.counts_at_from;
                if counted == (mark.accounts, mark.transfers) {
                    catch_up.finish(&replayed, false)?;
                    replayed
                } else {
                    // The fingerprint differs: the index is not what its mark says. Rebuild
                    // it (a second replay, on this rare path only).
                    let why = format!(
                        "the index diverged from its mark: it counts {} accounts and {} \
                         transfers at record {}, the journal {} and {}",
                        mark.accounts, mark.transfers, mark.sequence, counted.0, counted.1
                    );
                    let replayed = rebuild_generation(&index, bytes, key, &why, &options)
                        .map_err(|e| image.locate(e))?;
                    rebuild_why = Some(why);
                    replayed
                }
            }
            // No mark always comes with a reason to rebuild.
            (why, _) => {
                let why = why.as_deref().unwrap_or("the index has no mark");
                rebuild_generation(&index, bytes, key, why, &options)
                    .map_err(|e| image.locate(e))?
            }
        };
        let tree = journal_tree(bytes, replayed.records, replayed.profile.tree_hash())?;
        let created = genesis_now(bytes);
        if let Some(torn) = replayed.torn.as_ref().filter(|t| t.offset < last.start) {
            // Only the newest segment may end in a torn record; a sealed one was synced whole.
            let why = format!(
                "a sealed segment ends in an incomplete record ({}), and segment {:08} follows",
                torn.why, last.header.index
            );
            return Err(image.locate(Corruption {
                segment: None,
                sequence: torn.sequence,
                offset: torn.offset,
                reason: CorruptionReason::Segment(why),
            }));
        }
        drop(image);
        let index_recovery = match rebuild_why {
            Some(why) => IndexRecovery::Rebuilt { why },
            None => IndexRecovery::from_mark(catch_up_from, replayed.head.sequence),
        };
        let opened = Opened {
            index,
            replayed,
            tree,
            last,
            index_recovery,
            snapshots,
            snapshot_covers,
            created,
            journal_read: JournalRead::Image,
        };
        start_store(dir, options, lock, opened)
    }
}

/// What opening found, read and replayed, for the store to start with.
pub(crate) struct Opened {
    pub(crate) index: Index,
    pub(crate) replayed: Replayed,
    pub(crate) tree: MerkleTree,
    /// The newest segment, which the store appends to.
    pub(crate) last: Segment,
    pub(crate) index_recovery: IndexRecovery,
    pub(crate) snapshots: SnapshotReport,
    pub(crate) snapshot_covers: u64,
    /// The genesis record's time.
    pub(crate) created: u64,
    /// How the journal was read.
    pub(crate) journal_read: JournalRead,
}

/// Cuts a torn tail back (keeping its bytes), opens the newest segment for appending, and
/// starts the store.
fn start_store(
    dir: &Path,
    options: StoreOptions,
    lock: Option<DirLock>,
    opened: Opened,
) -> Result<Store> {
    let Opened {
        index,
        replayed,
        tree,
        last,
        index_recovery,
        snapshots,
        snapshot_covers,
        created,
        journal_read,
    } = opened;
    let file: Box<dyn JournalFile> = match options.read_only {
        true => Box::new(ReadOnlyJournal),
        false => {
            let mut file = options.io.open_append(&last.path)?;
            let mut file_len = SEGMENT_HEADER_BYTES as u64 + last.len;
            if let Some(torn) = &replayed.torn {
                let at = SEGMENT_HEADER_BYTES as u64 + torn.offset - last.start;
                keep_torn_bytes(&options, torn, &last.path, at)?;
                file.truncate(at)?;
                file_len = at;
            }
            Box::new(SegmentedFile::new(
                Arc::clone(&options.io),
                dir,
                (last.header.index, file, file_len),
                options.segment_bytes,
                (replayed.head.sequence, replayed.head.hash),
            ))
        }
    };
    let report = OpenReport {
        torn_tail: replayed.torn.clone(),
        read_only: options.read_only,
        // Read-only, whatever was done to it was done to a private copy.
        index: match options.read_only {
            true => IndexRecovery::Temporary,
            false => index_recovery,
        },
        records: replayed.records,
        checkpoints_verified: replayed.checkpoints,
        snapshots,
        journal_read,
    };
    let writer = JournalWriter::new(replayed.head);
    Ok(Store::start(
        dir,
        (options, created),
        (replayed, tree, snapshot_covers),
        index,
        (writer, file),
        report,
        lock,
    ))
}

/// Checks that `genesis` is exactly one valid genesis record: a well-formed frame filling all
/// of it, its hash matching, then (by replaying it as a whole journal) kind genesis, sequence
/// 0, zero `prev_hash` and a valid policy.
fn check_genesis(genesis: &[u8]) -> Result<()> {
    let invalid = |why: String| Error::InvalidGenesis(why);
    let frame = parse_frame(genesis, 0).map_err(|e| invalid(e.to_string()))?;
    if frame.len() != genesis.len() {
        return Err(invalid(format!(
            "{} bytes follow the {}-byte record",
            genesis.len() - frame.len(),
            frame.len()
        )));
    }
    if !frame.hash_matches() {
        return Err(invalid("its stored hash does not match its bytes".into()));
    }
    replay(genesis, None, &mut |_| {}, &mut |_, _, _, _| {}).map_err(|c| match c.reason {
        CorruptionReason::Policy(e) => Error::Policy(e),
        reason => invalid(reason.to_string()),
    })?;
    Ok(())
}

/// The index an open uses, with why it must be rebuilt if it must: the data directory's, or,
/// read-only, a private copy of it in the system's temporary directory (`Index::open_copy_of`),
/// which the open catches up or rebuilds without writing the data directory. Read-only
/// without an index to copy, or with one that cannot be copied or opened, it is a temporary
/// index (in memory where the system allows) that the open rebuilds from the journal.
pub(crate) fn open_index_for(
    dir: &Path,
    options: &StoreOptions,
) -> Result<(Index, Option<String>)> {
    let path = dir.join(INDEX_DIR_NAME);
    if !options.read_only {
        return open_index(&path);
    }
    let why = match path.is_dir() {
        true => match Index::open_copy_of(&path) {
            Ok(copy) => return Ok((copy, None)),
            Err(e) => format!("opened read-only, and the index could not be copied: {e}"),
        },
        false => "the index was empty or missing".to_owned(),
    };
    Ok((Index::open_temporary()?, Some(why)))
}

/// Opens (or creates) the index at `path`; one sled cannot open is started afresh.
pub(crate) fn open_index(path: &Path) -> Result<(Index, Option<String>)> {
    use IndexErrorKind::{Corrupted, Unsupported};
    // sled creates its files with the umask's modes; a private directory keeps them private.
    create_private_dir(path)?;
    match Index::open(path) {
        Ok(index) => Ok((index, None)),
        // Damage sled itself reports: the index is derived data, so start it afresh.
        Err(e) if matches!(e.kind(), Corrupted | Unsupported) => {
            std::fs::remove_dir_all(path)?;
            create_private_dir(path)?;
            Ok((
                Index::open(path)?,
                Some(format!("sled could not open it: {e}")),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The journal file of a read-only store: the store refuses writes before they reach it.
#[derive(Debug)]
struct ReadOnlyJournal;

impl JournalFile for ReadOnlyJournal {
    fn append(&mut self, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("the store is read-only"))
    }

    fn sync(&mut self) -> std::io::Result<()> {
        Ok(()) // nothing was written
    }

    fn truncate(&mut self, _: u64) -> std::io::Result<()> {
        Err(std::io::Error::other("the store is read-only"))
    }
}

/// Whether an I/O error says the medium refuses writes (read-only, no permission, full).
pub fn is_refusal_to_write(error: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        error.kind(),
        K::PermissionDenied | K::ReadOnlyFilesystem | K::StorageFull | K::QuotaExceeded
    )
}

/// Whether a journal image is what an unfinished creation leaves: no complete record at all
/// (an empty file, or part of a genesis record). Such a journal never acknowledged anything.
/// (The store creates journals whole since it writes them through `create_whole`; earlier
/// versions, and crashes of theirs, could leave these.)
fn is_unfinished_creation(bytes: &[u8]) -> bool {
    scan_frames(bytes).is_ok_and(|scan| scan.frames.is_empty())
}

/// Whether the journal in `dir` is a creation that did not finish: segment 1 alone, without a
/// whole header and genesis record (nothing in it was ever acknowledged).
fn unfinished_creation(io: &dyn JournalIo, dir: &Path) -> Result<bool> {
    let found = find_segments(io, dir, &[])?.unwrap_or_default();
    if found.len() != 1 || found[0].0 != 1 {
        return Ok(false);
    }
    Ok(io.read(&found[0].1)?.is_some_and(|bytes| {
        bytes.len() < SEGMENT_HEADER_BYTES
            || (bytes.starts_with(&crate::segment::SEGMENT_MAGIC)
                && is_unfinished_creation(&bytes[SEGMENT_HEADER_BYTES..]))
    }))
}

/// Whether record `sequence` of the journal image has hash `hash` (checked on the stored hash;
/// replay then checks that the stored hashes are right).
fn marker_matches(bytes: &[u8], sequence: u64, hash: &Hash) -> bool {
    let Ok(scan) = scan_frames(bytes) else {
        return false;
    };
    scan.frames
        .get(sequence as usize)
        .is_some_and(|&(offset, len)| {
            parse_frame(
                &bytes[offset as usize..offset as usize + len as usize],
                offset,
            )
            .is_ok_and(|f| f.sequence() == sequence && f.stored_hash() == *hash)
        })
}

/// Keeps the torn bytes of the newest segment `path`, from its byte `at`, in
/// `<segment file>.torn-<at>` beside it.
fn keep_torn_bytes(options: &StoreOptions, torn: &TornTail, path: &Path, at: u64) -> Result<()> {
    let bytes = options.io.read(path)?.unwrap_or_default();
    let tail = bytes.get(at as usize..).unwrap_or_default();
    debug_assert_eq!(tail.len() as u64, torn.len);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let base = format!("{name}.torn-{at}");
    let dir = path.parent().unwrap_or(Path::new("."));
    // A later crash can tear at the same offset: never overwrite, never drop, what was kept.
    for attempt in 0..TORN_COPIES_MAX {
        let name = match attempt {
            0 => base.clone(),
            n => format!("{base}.{n}"),
        };
        let kept = dir.join(name);
        if options.io.read(&kept)?.as_deref() == Some(tail) {
            return Ok(()); // kept by an earlier open that stopped before cutting
        }
        match options.io.create(&kept) {
            Ok(mut file) => {
                file.append(tail)?;
                file.sync()?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Io(std::io::Error::other(format!(
        "{TORN_COPIES_MAX} torn tails at offset {} are kept already; move them away",
        torn.offset
    ))))
}

/// Index updates gathered during a replay, written in chunks to one generation; and the
/// transfers the replay evicts, loaded back from that generation.
pub(crate) struct CatchUp {
    index: IndexTree,
    from: u64,
    delta: IndexDelta,
    error: Option<IndexError>,
    /// Accounts and transfers after record `from` (what a mark at `from` must count).
    pub(crate) counts_at_from: (u64, u64),
    keep: Option<usize>,
    eviction: Eviction,
}

impl CatchUp {
    /// Catches `index` up from record `from`; the replay evicts (when `keep` is set) after
    /// record `evict_after` only.
    pub(crate) fn new(index: IndexTree, from: u64, keep: Option<usize>, evict_after: u64) -> Self {
        CatchUp {
            index,
            from,
            delta: IndexDelta::default(),
            error: None,
            counts_at_from: (0, 0),
            keep,
            eviction: Eviction::replay(keep, evict_after),
        }
    }

    /// Replays `bytes` (from `resume`) through this catch-up. When a record needs every
    /// transfer in memory after the replay let some go, the replay starts again from the
    /// journal's start without `resume`, evicting only after that record (as often as it takes);
    /// the flag says whether it did.
    fn replay(
        &mut self,
        bytes: &[u8],
        key: Option<&CheckpointKey>,
        resume: Option<Resume>,
    ) -> (std::result::Result<Replayed, Corruption>, bool) {
        let mut replayed = replay_from(bytes, key, resume, &mut |_| {}, self);
        let mut again = false;
        while let (Err(_), Some(at)) = (&replayed, self.eviction.needs_history_at) {
            *self = CatchUp::new(self.index.clone(), self.from, self.keep, at);
            replayed = replay_from(bytes, key, None, &mut |_| {}, self);
            again = true;
        }
        (replayed, again)
    }

    /// The record that needed every transfer in memory after the replay let some go, if one
    /// did (a replay then starts again, evicting only after it).
    pub(crate) fn needs_history_at(&self) -> Option<u64> {
        self.eviction.needs_history_at
    }

    fn observe(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &Ledger) {
        if sequence <= self.from {
            self.counts_at_from = (
                ledger.account_count() as u64,
                ledger.transfer_count() as u64,
            );
            return;
        }
        if self.error.is_some() {
            return;
        }
        self.delta.collect(sequence, command, reply, ledger);
    }

    /// Writes the transfers and evicted versions gathered once they fill a chunk.
    fn write_chunk_when_full(&mut self, sequence: u64) {
        if self.error.is_some() || self.delta.transfer_entries() < REBUILD_CHUNK_TRANSFERS {
            return;
        }
        // The transfers and evicted versions go; the touched accounts stay for the end.
        let mut chunk = IndexDelta::default();
        chunk.append_transfers(&mut self.delta);
        // No mark: if this stops half way, the next open catches up from the old one.
        match self.index.apply(&chunk, &[], None) {
            Ok(()) => self.eviction.unindexed.indexed_through(sequence),
            Err(e) => self.error = Some(e),
        }
    }

    /// Writes what is left with the mark of the replayed head.
    pub(crate) fn finish(mut self, replayed: &Replayed, all_accounts: bool) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        let ledger = &replayed.ledger;
        let accounts: Vec<Account> = if all_accounts || self.delta.all_accounts {
            ledger.accounts().cloned().collect()
        } else {
            let ids = self.delta.touched_accounts().iter();
            ids.filter_map(|id| ledger.account(*id).cloned()).collect()
        };
        let mark = IndexMark::of(replayed.head.sequence, replayed.head.hash, ledger);
        self.index.apply(&self.delta, &accounts, Some(mark))?;
        Ok(())
    }
}

impl ReplayHost for CatchUp {
    fn prepare(
        &mut self,
        sequence: u64,
        command: &Command,
        now: u64,
        ledger: &mut Ledger,
    ) -> std::result::Result<(), String> {
        if let Some(e) = &self.error {
            return Err(e.to_string());
        }
        let index = &self.index;
        (self.eviction.prepare(ledger, command, now, sequence, index)).map_err(|e| e.to_string())
    }

    fn needs_history(&mut self, sequence: u64) {
        self.eviction.needs_history_at = Some(sequence);
    }

    fn applied(&mut self, sequence: u64, command: &Command, reply: &Reply, ledger: &mut Ledger) {
        self.observe(sequence, command, reply, ledger);
        self.eviction.after(ledger, sequence, &mut self.delta);
        self.write_chunk_when_full(sequence);
    }
}

/// Fills a fresh index generation from the journal image `bytes`, checks it against the
/// replayed state, and makes it live. The live generation stays as it was until the swap, so
/// an interruption anywhere leaves a whole index (old or new) behind.
pub(crate) fn rebuild_generation(
    index: &Index,
    bytes: &[u8],
    key: Option<&CheckpointKey>,
    why: &str,
    options: &StoreOptions,
) -> Result<Replayed> {
    let fresh = index.fresh()?;
    let keep = options.resident_transfers;
    let mut catch_up = CatchUp::new(fresh.clone(), 0, keep, 0);
    let replayed = catch_up.replay(bytes, key, None).0?;
    catch_up.finish(&replayed, true)?;
    if let Some(diff) = fresh.compare(&replayed.ledger)? {
        return Err(index_damage(
            &replayed,
            format!("after a rebuild ({why}): {diff}"),
        ));
    }
    index.swap_in(fresh)?;
    Ok(replayed)
}

/// The index disagrees with a journal that verifies (never a fault of the journal).
pub(crate) fn index_damage(replayed: &Replayed, why: String) -> Error {
    Corruption {
        segment: None,
        sequence: replayed.head.sequence,
        offset: replayed.head.len,
        reason: CorruptionReason::Index(why),
    }
    .into()
}
