//! The journal's file I/O, behind a small trait so tests and the fuzzer can inject failures and
//! simulate power loss ([`crate::SimDisk`]). [`OsIo`] is the real thing.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Opens and reads journal files.
pub trait JournalIo: Send + Sync + Debug {
    /// The whole file, or `None` when it does not exist.
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// Creates a new, empty file (failing if it exists) and makes its name durable.
    fn create(&self, path: &Path) -> io::Result<Box<dyn JournalFile>>;
    /// Opens an existing file for appending at its end.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>>;
}

/// An open journal file. Appends go to the end; nothing is durable until [`JournalFile::sync`].
pub trait JournalFile: Send + Debug {
    /// Writes all of `bytes` at the end of the file.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes every appended byte durable (`fdatasync`): data and the file size.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes and makes that durable.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// The operating system's files.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsIo;

impl JournalIo for OsIo {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)?;
        file.sync_all()?;
        // A new file's name lives in its directory: sync the directory so a crash cannot lose
        // the file after its first records were acknowledged.
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(Box::new(OsFile { file }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Box::new(OsFile { file }))
    }
}

#[derive(Debug)]
struct OsFile {
    file: File,
}

impl JournalFile for OsFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()
    }
}
