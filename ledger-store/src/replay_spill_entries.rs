//! The operations, failed ids and ratings a spilling replay lets go (docs/FORMAT.md §16.4),
//! kept in sorted runs in the replay's scratch directory.
//!
//! These entries never change once recorded: each is written once, when the engine lets it go,
//! and read back only when a later command names it (a retried operation, an id that failed
//! before, a transfer rated again), which the engine's filters of evicted ids make rare. So,
//! unlike transfers, they need no newest version: the entries let go are held in memory until
//! there are [`PENDING_ENTRIES`], then written as one run sorted by kind and id, with the first
//! key of each block of [`BLOCK_ENTRIES`] and a Bloom filter of the run's keys in memory. A
//! lookup asks the entries pending, then each run whose filter says "maybe", reading one block.
//! The runs are removed with the scratch directory; nothing else reads them, so their layout
//! is not in docs/FORMAT.md: per entry the kind (`o`, `f`, `r`), the id (u128, big-endian), a
//! u16 length (LE) and the value the index keeps for it (§10).

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use ledger_core::operation::OperationRecord;
use ledger_core::snapshot::decode_operation_record;
use ledger_core::{ResultCode, TransferId};

use crate::id_hasher::IdHasherBuilder;
use crate::index_entries::{decode_failed, decode_rating, encode_operation};
use crate::replay_spill::{new_run_file, read_block, RunFilter};

const OPERATION: u8 = b'o';
const FAILED: u8 = b'f';
const RATING: u8 = b'r';

/// Entries held in memory before they are written as one run.
const PENDING_ENTRIES: usize = 1 << 16;
/// Entries in a block of a run: a lookup reads one block.
const BLOCK_ENTRIES: usize = 64;

/// An entry's key: its kind, then its id (so a run sorts by kind, then id).
type Key = (u8, u128);

/// The entries let go so far: the newest in memory, the rest in runs.
#[derive(Default)]
pub(crate) struct SpilledEntries {
    pending: BTreeMap<Key, Vec<u8>>,
    runs: Vec<EntryRun>,
    hasher: IdHasherBuilder,
    /// Entries let go (each once).
    pub(crate) written: u64,
}

fn damaged(path: &Path, why: String) -> io::Error {
    let why = format!("the replay's scratch file {}: {why}", path.display());
    io::Error::new(io::ErrorKind::InvalidData, why)
}

impl SpilledEntries {
    /// Takes what the engine let go: operations, failed ids with their codes, ratings of
    /// transfers; writes a run to `scratch` (the replay's own directory) once enough are held.
    pub(crate) fn put(
        &mut self,
        scratch: &Path,
        operations: Vec<(TransferId, OperationRecord)>,
        failed: Vec<(TransferId, ResultCode)>,
        ratings: Vec<(TransferId, u8)>,
    ) -> io::Result<()> {
        self.written += (operations.len() + failed.len() + ratings.len()) as u64;
        for (id, record) in &operations {
            let value = encode_operation(*id, record);
            self.pending.insert((OPERATION, id.get()), value);
        }
        for (id, code) in failed {
            let value = u16::from(code).to_le_bytes().to_vec();
            self.pending.insert((FAILED, id.get()), value);
        }
        for (id, rating) in ratings {
            self.pending.insert((RATING, id.get()), vec![rating]);
        }
        if self.pending.len() >= PENDING_ENTRIES {
            let path = scratch.join(format!("entries-{}", self.runs.len()));
            let pending = std::mem::take(&mut self.pending);
            let run = EntryRun::write(&path, &pending, &self.hasher)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            self.runs.push(run);
        }
        Ok(())
    }

    /// Runs written.
    pub(crate) fn runs(&self) -> u64 {
        self.runs.len() as u64
    }

    /// Bytes the runs hold.
    pub(crate) fn bytes(&self) -> u64 {
        self.runs.iter().map(|run| run.len).sum()
    }

    fn get(&self, kind: u8, id: TransferId) -> io::Result<Option<Vec<u8>>> {
        let key = (kind, id.get());
        if let Some(value) = self.pending.get(&key) {
            return Ok(Some(value.clone()));
        }
        let hash = self.hasher.hash_one(key);
        for run in &self.runs {
            if let Some(value) = run.find(key, hash)? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// The operation `id` the engine let go, if it did.
    pub(crate) fn operation(&self, id: TransferId) -> io::Result<Option<OperationRecord>> {
        let Some(value) = self.get(OPERATION, id)? else {
            return Ok(None);
        };
        match decode_operation_record(&value) {
            Ok((inner, record)) if inner == id => Ok(Some(record)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the replay's scratch runs hold a bad operation {}",
                    id.get()
                ),
            )),
        }
    }

    /// The code `id` failed with, if the engine let that failure go.
    pub(crate) fn failed(&self, id: TransferId) -> io::Result<Option<ResultCode>> {
        let value = self.get(FAILED, id)?;
        let bad = |why| io::Error::new(io::ErrorKind::InvalidData, why);
        value.map(|v| decode_failed(&v).map_err(bad)).transpose()
    }

    /// The rating of transfer `id`, if the engine let it go.
    pub(crate) fn rating(&self, id: TransferId) -> io::Result<Option<u8>> {
        let value = self.get(RATING, id)?;
        let bad = |why| io::Error::new(io::ErrorKind::InvalidData, why);
        value.map(|v| decode_rating(&v).map_err(bad)).transpose()
    }
}

/// One sorted run of entries in a scratch file.
struct EntryRun {
    path: PathBuf,
    file: File,
    /// The first key of each block and where the block starts.
    blocks: Vec<(Key, u64)>,
    len: u64,
    filter: RunFilter,
}

impl EntryRun {
    fn write(
        path: &Path,
        entries: &BTreeMap<Key, Vec<u8>>,
        hasher: &IdHasherBuilder,
    ) -> io::Result<EntryRun> {
        let mut filter = RunFilter::new(entries.len());
        let mut blocks = Vec::with_capacity(entries.len().div_ceil(BLOCK_ENTRIES));
        let file = new_run_file(path)?;
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        let mut len = 0u64;
        for (n, (key, value)) in entries.iter().enumerate() {
            if n % BLOCK_ENTRIES == 0 {
                blocks.push((*key, len));
            }
            filter.insert(hasher.hash_one(key));
            // Invariant: an entry's value is an operation's encoding or a few bytes.
            let size = u16::try_from(value.len()).expect("an entry's value is under 64 KiB");
            out.write_all(&[key.0])?;
            out.write_all(&key.1.to_be_bytes())?;
            out.write_all(&size.to_le_bytes())?;
            out.write_all(value)?;
            len += 19 + value.len() as u64;
        }
        out.flush()?;
        drop(out);
        Ok(EntryRun {
            path: path.to_path_buf(),
            file,
            blocks,
            len,
            filter,
        })
    }

    fn find(&self, key: Key, hash: u64) -> io::Result<Option<Vec<u8>>> {
        if !self.filter.may_contain(hash) {
            return Ok(None);
        }
        let Some(bytes) = read_block(&self.file, &self.blocks, self.len, &key)? else {
            return Ok(None);
        };
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (Some((&kind, after)), true) = (rest.split_first(), rest.len() >= 19) else {
                return Err(damaged(&self.path, "an entry is cut short".into()));
            };
            let id = u128::from_be_bytes(after[..16].try_into().expect("16 bytes"));
            let size = usize::from(u16::from_le_bytes([after[16], after[17]]));
            let Some(value) = after.get(18..18 + size) else {
                return Err(damaged(&self.path, "an entry is cut short".into()));
            };
            if (kind, id) == key {
                return Ok(Some(value.to_vec()));
            }
            rest = &after[18 + size..];
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay_spill::ScratchDir;

    #[test]
    fn entries_read_back_by_kind_and_id_from_memory_and_from_runs() {
        let scratch = ScratchDir::in_temp();
        let mut entries = SpilledEntries::default();
        let id = |n: u128| TransferId::new(n).unwrap();
        assert_eq!(entries.rating(id(1)).unwrap(), None);
        let code = ResultCode::CreditAccountNotFound;
        // More than one run's worth: the first ones are read back from a file.
        let n = PENDING_ENTRIES as u128 + 10;
        let failed = (1..=n).map(|i| (id(i), code)).collect();
        let ratings = (1..=n).map(|i| (id(i), 1 + (i % 5) as u8)).collect();
        entries
            .put(&scratch.path, Vec::new(), failed, ratings)
            .unwrap();
        assert_eq!(entries.written, 2 * n as u64);
        assert_eq!(entries.runs.len(), 1);
        for i in [1, 2, 63, 64, 65, 1_000, n - 1, n] {
            assert_eq!(entries.failed(id(i)).unwrap(), Some(code), "{i}");
            assert_eq!(
                entries.rating(id(i)).unwrap(),
                Some(1 + (i % 5) as u8),
                "{i}"
            );
        }
        assert_eq!(entries.failed(id(n + 1)).unwrap(), None);
        assert_eq!(entries.rating(id(n + 1)).unwrap(), None);
        assert!(entries.operation(id(1)).unwrap().is_none());
        entries
            .put(
                &scratch.path,
                Vec::new(),
                vec![(id(n + 1), code)],
                Vec::new(),
            )
            .unwrap();
        assert_eq!(entries.failed(id(n + 1)).unwrap(), Some(code));
    }
}
