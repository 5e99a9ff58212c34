//! The data directory's lock: one open store per directory, across processes and within one.
//!
//! Opening reads the journal (or its tail) and may cut a torn tail; a second store doing that while the
//! first appends a group could take the group's half-written bytes for a torn tail and cut
//! them, or rebuild the index under a writer. So `Store::create` and `Store::open` take an
//! exclusive lock on `LOCK` in the data directory before they read anything, and hold it as long
//! as the store lives. The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows): the store unlocks it when it is dropped, and the kernel releases it when the
//! holder's process dies, so a crash never leaves a stale lock. The file itself stays (it is empty), and is never deleted:
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
    file: File,
}

/// Unlocks before the file is closed. Closing alone releases a `flock` only when no other
/// descriptor refers to the same open file, and a process spawned by another thread of the host
/// holds a copy of every descriptor from its fork until its exec: a store closed meanwhile would
/// stay locked for that moment, and a process that opens the ledger right after the close (a
/// host's next step) would find it in use.
impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
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
            Ok(()) => Ok(DirLock { file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(Error::Io(e)),
        }
    }

    /// Whether the lock file exists (a ledger written before the lock existed has none).
    pub fn exists(dir: &Path) -> io::Result<bool> {
        dir.join(LOCK_FILE_NAME).try_exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_lock_releases_it_while_a_copy_of_its_descriptor_lives() {
        let dir = std::env::temp_dir().join(format!("ledger-store-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let held = DirLock::acquire(&dir, true).unwrap();
        assert!(matches!(
            DirLock::acquire(&dir, false),
            Err(Error::Locked(_))
        ));
        // What a process forked by another thread holds until it execs.
        let copy = held.file.try_clone().unwrap();
        drop(held);
        let again = DirLock::acquire(&dir, false).expect("released at drop");
        drop((again, copy));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
