//! A simulated disk for crash tests and the fuzzer: files live in memory, every byte knows
//! whether it was synced, I/O can be made to fail after a countdown, and [`SimDisk::crash`]
//! models power loss by dropping, keeping part of, or garbling what was written after the last
//! sync.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::file::{JournalFile, JournalIo};

/// What power loss does to the bytes written after the last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// They are lost.
    DropUnsynced,
    /// The first `n` of them reached the disk, the rest did not.
    KeepUnsynced(usize),
    /// They reached the disk as garbage of the same length (a torn or misdirected write).
    GarbleUnsynced {
        /// The seed of the garbage bytes (the same seed gives the same bytes).
        seed: u64,
    },
}

/// The kinds of file operation a [`SimDisk`] counts, to fail one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimOp {
    /// Appending bytes (a failed append writes the first half of them, as a short write may).
    Append,
    /// `fdatasync`.
    Sync,
    /// Cutting a file back.
    Truncate,
    /// Creating a file.
    Create,
}

#[derive(Debug, Default)]
struct SimFile {
    data: Vec<u8>,
    synced_len: usize,
}

#[derive(Debug, Default)]
struct SimState {
    files: HashMap<PathBuf, SimFile>,
    /// Appends and syncs left before every further one fails (`None`: never fail).
    ops_before_failure: Option<u64>,
    /// Successful syncs so far.
    syncs: u64,
    /// Operations of each kind started so far (failed ones included).
    started: HashMap<SimOp, u64>,
    /// Fail the operation of this kind with this index (counted by `started`), once.
    fail_at: Option<(SimOp, u64)>,
    /// While set, syncs wait (to line up submitters behind a slow disk in tests).
    syncs_held: bool,
    syncs_waiting: u64,
}

/// An in-memory [`JournalIo`]. Clones share the same disk.
#[derive(Debug, Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
    held: Arc<Condvar>,
}

impl SimDisk {
    /// An empty disk with no failure planned.
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding this lock is a test failure already; keep going for its report.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After `ops` more appends or syncs succeed, every later one fails with an I/O error.
    pub fn fail_after(&self, ops: u64) {
        self.lock().ops_before_failure = Some(ops);
    }

    /// Makes the operation of kind `op` with index `index` (counting every such operation
    /// since the disk was made, from 0) fail with an I/O error, once; the ones after it
    /// succeed again, as they may on a real disk. Sweeping `index` over every call a workload
    /// makes tests a failure at every point.
    pub fn fail_at(&self, op: SimOp, index: u64) {
        self.lock().fail_at = Some((op, index));
    }

    /// How many operations of kind `op` were started so far.
    pub fn started(&self, op: SimOp) -> u64 {
        self.lock().started.get(&op).copied().unwrap_or(0)
    }

    /// Makes every sync wait until [`SimDisk::release_syncs`].
    pub fn hold_syncs(&self) {
        self.lock().syncs_held = true;
    }

    /// Lets held syncs go on, and later ones run without waiting.
    pub fn release_syncs(&self) {
        self.lock().syncs_held = false;
        self.held.notify_all();
    }

    /// Syncs waiting behind [`SimDisk::hold_syncs`].
    pub fn syncs_waiting(&self) -> u64 {
        self.lock().syncs_waiting
    }

    /// Successful syncs so far.
    pub fn sync_count(&self) -> u64 {
        self.lock().syncs
    }

    /// Lets I/O succeed again.
    pub fn heal(&self) {
        self.lock().ops_before_failure = None;
    }

    /// The bytes of a file as written so far (synced or not).
    pub fn contents(&self, path: &Path) -> Option<Vec<u8>> {
        self.lock().files.get(path).map(|f| f.data.clone())
    }

    /// How many bytes of a file are known durable.
    pub fn synced_len(&self, path: &Path) -> Option<usize> {
        self.lock().files.get(path).map(|f| f.synced_len)
    }

    /// Replaces a file's contents, all of them durable (to start from a chosen disk image).
    pub fn set_contents(&self, path: &Path, bytes: Vec<u8>) {
        let synced_len = bytes.len();
        self.lock().files.insert(
            path.to_path_buf(),
            SimFile {
                data: bytes,
                synced_len,
            },
        );
    }

    /// Power loss: every file keeps its synced bytes, and what followed is treated by `mode`.
    /// Afterwards everything on the disk counts as synced.
    pub fn crash(&self, mode: CrashMode) {
        let mut state = self.lock();
        for file in state.files.values_mut() {
            let synced = file.synced_len.min(file.data.len());
            let unsynced = file.data.len() - synced;
            match mode {
                CrashMode::DropUnsynced => file.data.truncate(synced),
                CrashMode::KeepUnsynced(n) => file.data.truncate(synced + n.min(unsynced)),
                CrashMode::GarbleUnsynced { seed } => {
                    let mut x = seed | 1;
                    for byte in &mut file.data[synced..] {
                        // xorshift64: garbage that differs from run to run only by seed.
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        *byte = x as u8;
                    }
                }
            }
            file.synced_len = file.data.len();
        }
        state.ops_before_failure = None;
    }

    fn spend_op(&self, op: SimOp) -> io::Result<()> {
        let mut state = self.lock();
        let started = state.started.entry(op).or_insert(0);
        let index = *started;
        *started += 1;
        if state.fail_at == Some((op, index)) {
            state.fail_at = None;
            return Err(io::Error::other(format!(
                "simulated failure of {op:?} number {index}"
            )));
        }
        if op == SimOp::Create {
            return Ok(()); // `fail_after` counts appends, syncs and truncations only
        }
        match state.ops_before_failure {
            Some(0) => Err(io::Error::other("simulated I/O failure")),
            Some(n) => {
                state.ops_before_failure = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl JournalIo for SimDisk {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.contents(path))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        self.spend_op(SimOp::Create)?;
        let mut state = self.lock();
        if state.files.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
        }
        state.files.insert(path.to_path_buf(), SimFile::default());
        Ok(Box::new(SimHandle {
            disk: self.clone(),
            path: path.to_path_buf(),
        }))
    }

    fn create_whole(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        // The temporary file's write and sync can fail like any; until the rename nothing is
        // at `path`.
        self.spend_op(SimOp::Create)?;
        self.spend_op(SimOp::Append)?;
        self.spend_op(SimOp::Sync)?;
        let mut state = self.lock();
        if state.files.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
        }
        let file = SimFile {
            data: bytes.to_vec(),
            synced_len: bytes.len(),
        };
        state.files.insert(path.to_path_buf(), file);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        match self.lock().files.remove(path) {
            Some(_) => Ok(()),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no such file")),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Option<Vec<String>>> {
        // Directories exist while they hold a file.
        let names: Vec<String> = self
            .lock()
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        Ok((!names.is_empty()).then_some(names))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        if !self.lock().files.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
        }
        Ok(Box::new(SimHandle {
            disk: self.clone(),
            path: path.to_path_buf(),
        }))
    }
}

#[derive(Debug)]
struct SimHandle {
    disk: SimDisk,
    path: PathBuf,
}

impl SimHandle {
    fn with_file<T>(&self, f: impl FnOnce(&mut SimFile) -> T) -> io::Result<T> {
        let mut state = self.disk.lock();
        let file = state
            .files
            .get_mut(&self.path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "file removed"))?;
        Ok(f(file))
    }
}

impl JournalFile for SimHandle {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Err(e) = self.disk.spend_op(SimOp::Append) {
            // A failed write may still have written part of its bytes.
            self.with_file(|f| f.data.extend_from_slice(&bytes[..bytes.len() / 2]))?;
            return Err(e);
        }
        self.with_file(|f| f.data.extend_from_slice(bytes))
    }

    fn sync(&mut self) -> io::Result<()> {
        {
            let mut state = self.disk.lock();
            state.syncs_waiting += 1;
            while state.syncs_held {
                state = self
                    .disk
                    .held
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            state.syncs_waiting -= 1;
        }
        self.disk.spend_op(SimOp::Sync)?;
        self.with_file(|f| f.synced_len = f.data.len())?;
        self.disk.lock().syncs += 1;
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.disk.spend_op(SimOp::Truncate)?;
        self.with_file(|f| {
            f.data.truncate(len as usize);
            f.synced_len = f.data.len();
        })
    }
}
