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
    /// Creates `path` holding exactly `bytes`, durable, all at once: the bytes go to a
    /// temporary sibling (`<name>.creating`) that is synced and renamed into place, and the
    /// directory is synced. A crash leaves no file at `path` or the whole one, never part of
    /// it. Fails with `AlreadyExists` when `path` exists (the caller holds the directory's
    /// lock, so nothing else creates it meanwhile).
    fn create_whole(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Opens an existing file for appending at its end.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>>;
    /// The names of the files in directory `dir`, or `None` when it does not exist.
    fn list(&self, dir: &Path) -> io::Result<Option<Vec<String>>>;
    /// The length of the file at `path` (0 when it does not exist): a hint for
    /// [`JournalIo::read_append`]'s buffer, and how much [`JournalIo::read_at`] may read.
    fn size(&self, path: &Path) -> io::Result<u64> {
        Ok(self.read(path)?.map_or(0, |bytes| bytes.len() as u64))
    }
    /// Appends the whole file at `path` to `out`; `false` when it does not exist.
    fn read_append(&self, path: &Path, out: &mut Vec<u8>) -> io::Result<bool> {
        match self.read(path)? {
            Some(bytes) => {
                out.extend_from_slice(&bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }
    /// Fills `out` with the bytes of the file at `path` from `offset` on; `false` when it does
    /// not exist, an `UnexpectedEof` error when it ends before `out` is full. Several parts of
    /// one file may be read at once from different threads.
    fn read_at(&self, path: &Path, offset: u64, out: &mut [u8]) -> io::Result<bool> {
        let Some(bytes) = self.read(path)? else {
            return Ok(false);
        };
        let part = usize::try_from(offset)
            .ok()
            .and_then(|start| bytes.get(start..start.checked_add(out.len())?))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        out.copy_from_slice(part);
        Ok(true)
    }
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
        refuse_non_regular(path)?;
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        let file = private_file(OpenOptions::new().append(true).create_new(true)).open(path)?;
        file.sync_all()?;
        // A new file's name lives in its directory: sync the directory so a crash cannot lose
        // the file after its first records were acknowledged.
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(Box::new(OsFile { file }))
    }

    fn create_whole(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if path.try_exists()? {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists",
            ));
        }
        // The first segment of a new ledger creates the journal directory.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.try_exists()? {
                create_private_dir(dir)?;
                if let Some(above) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
                    File::open(above)?.sync_all()?;
                }
            }
        }
        let temporary = creating_path(path);
        // A leftover of a creation that crashed: it was never renamed, so never used.
        match std::fs::remove_file(&temporary) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file =
            private_file(OpenOptions::new().write(true).create_new(true)).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        // The rename lives in the directory: sync it, as for a new file.
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn JournalFile>> {
        refuse_non_regular(path)?;
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Box::new(OsFile { file }))
    }

    fn size(&self, path: &Path) -> io::Result<u64> {
        refuse_non_regular(path)?;
        match std::fs::metadata(path) {
            Ok(metadata) => Ok(metadata.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn read_append(&self, path: &Path, out: &mut Vec<u8>) -> io::Result<bool> {
        use std::io::Read;
        refuse_non_regular(path)?;
        match File::open(path) {
            // Straight into the caller's buffer: no copy of a file that may be 256 MiB.
            Ok(mut file) => file.read_to_end(out).map(|_| true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn read_at(&self, path: &Path, offset: u64, out: &mut [u8]) -> io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom};
        refuse_non_regular(path)?;
        match File::open(path) {
            Ok(mut file) => {
                file.seek(SeekFrom::Start(offset))?;
                file.read_exact(out).map(|()| true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Option<Vec<String>>> {
        refuse_non_directory(dir)?;
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(Some(names))
    }
}

/// Refuses a journal directory that exists but is not a directory, or is a symbolic link
/// (`InvalidInput`): segments are written through it only inside the data directory's lock.
pub fn refuse_non_directory(path: &Path) -> io::Result<()> {
    let file_type = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if file_type.is_dir() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is not a directory: the journal's segments are in a directory of the data \
             directory",
            path.display()
        ),
    ))
}

/// Refuses a journal path that exists but is not a regular file (`InvalidInput`): reading a
/// FIFO would wait forever, a device or a directory is no journal, and appending through a
/// symbolic link would write wherever it points, outside the data directory's lock. A missing
/// path is left to the caller.
pub fn refuse_non_regular(path: &Path) -> io::Result<()> {
    let file_type = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if file_type.is_file() {
        return Ok(());
    }
    let what = if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else {
        "a FIFO, socket or device"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a regular file: a journal is a regular file in the data directory",
            path.display()
        ),
    ))
}

/// The temporary name [`JournalIo::create_whole`] writes `path` under.
pub fn creating_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".creating");
    path.with_file_name(name)
}

/// Files the store creates are readable and writable by their owner alone (0600), whatever
/// the umask: a ledger holds members' hours and care records.
pub fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and missing parents) as a private directory (0700 whatever the umask; an
/// existing directory keeps its mode).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        if !dir.exists() {
            builder.create(dir)?;
            // `mode` is filtered by the umask; set it exactly.
            return std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    builder.create(dir)
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
