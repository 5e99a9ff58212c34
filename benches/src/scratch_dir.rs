//! A directory for one benchmark's files, removed when dropped.
//!
//! It lives under `TIMEBANK_BENCH_DIR` when set (to measure another disk), else the system's
//! temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that picks where benchmark files go.
pub const BENCH_DIR_ENV: &str = "TIMEBANK_BENCH_DIR";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty directory, deleted with everything in it on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<root>/timebank-bench-<name>-<pid>-<n>`.
    pub fn new(name: &str) -> std::io::Result<ScratchDir> {
        let root = std::env::var_os(BENCH_DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("timebank-bench-{name}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(ScratchDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temporary directory harms nothing.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The bytes of every file under `path` (0 when it does not exist).
pub fn size_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| size_bytes(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}
