//! The data directory's lock: one open store per directory, across processes and within one.
//!
//! Opening reads the whole journal and may cut a torn tail; a second store doing that while the
//! first appends a group could take the group's half-written bytes for a torn tail and cut
//! them, or rebuild the index under a writer. So `Store::create` and `Store::open` take an
//! exclusive lock on `LOCK` in the data directory before they read anything, and hold it as long
//! as the store lives. The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows): the kernel releases it when the holder closes the file or its process dies, so a
//! crash never leaves a stale lock. The file itself stays (it is empty), and is never deleted:
//! deleting a lock file while another process has it open would let two holders lock two files.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::Path;

use crate::error::{Error, Result};

/// The lock file's name in the data directory.
pub const LOCK_FILE_NAME: &str = "LOCK";

/// The held lock on a data directory; dropping it releases the lock.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the exclusive lock on `dir`, creating the lock file when `create` is set (else a
    /// missing lock file is `io::ErrorKind::NotFound`).
    ///
    /// On `Ok`: no other `DirLock` on `dir` exists until this one is dropped. On
    /// `Err(Locked)`: another holder has it; nothing was changed. On `Err(Io)`: the lock file
    /// could not be opened or locked (a missing directory is `NotFound`).
    pub fn acquire(dir: &Path, create: bool) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE_NAME);
        // Write access is not needed to lock; asking for it only when creating lets a store on
        // a read-only directory fail later with the journal's own error.
        let file = crate::file::private_file(&mut OpenOptions::new())
            .read(true)
            .write(create)
            .create(create)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(Error::Io(e)),
        }
    }

    /// Whether the lock file exists (a ledger written before the lock existed has none).
    pub fn exists(dir: &Path) -> io::Result<bool> {
        dir.join(LOCK_FILE_NAME).try_exists()
    }
}
