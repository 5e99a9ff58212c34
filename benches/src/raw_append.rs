//! The raw disk limit: append bytes to a file and `fdatasync` it, nothing else. The store's
//! durable commit does exactly this once per group, so its throughput and latency are the ceiling
//! the store is measured against.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// An append-only file synced after every append.
#[derive(Debug)]
pub struct RawAppender {
    file: File,
    len: u64,
}

impl RawAppender {
    /// Creates the file (failing if it exists), the way the store creates its journal.
    pub fn create(path: &Path) -> io::Result<RawAppender> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)?;
        file.sync_all()?;
        Ok(RawAppender { file, len: 0 })
    }

    /// Writes `bytes` at the end and returns once they are durable (`fdatasync`).
    pub fn append_synced(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.file.sync_data()?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes appended so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
