//! Where outputs may go: never onto the ledger's own files.
//!
//! `export --out DIR/journal.tbj` once truncated the journal it was about to copy. An output
//! path is therefore resolved the way the kernel will resolve it (relative to the working
//! directory, through every symbolic link, `..` included) and refused when it lands inside the
//! data directory, resolved the same way.

use std::path::{Component, Path, PathBuf};

use crate::error::{CliError, CliResult};

/// Most symbolic links followed while resolving one path (the kernel's own limit is 40).
const SYMLINKS_MAX: usize = 40;

/// Refuses `output` (exit 2) when it resolves into `data`, the data directory.
pub fn refuse_inside_data(output: &Path, data: &Path, what: &str) -> CliResult {
    let (Some(output_real), Some(data_real)) = (resolve(output), resolve(data)) else {
        return Ok(()); // unresolvable (e.g. a symlink loop): opening it fails on its own
    };
    if output_real.starts_with(&data_real) {
        return Err(CliError::usage(format!(
            "{what} {} is inside the data directory {} (it resolves to {}): the ledger's own \
             files are never overwritten; write it elsewhere",
            crate::error::shorten_path(output),
            crate::error::shorten_path(data),
            crate::error::shorten_path(&output_real),
        )));
    }
    Ok(())
}

/// `path` made absolute with every symbolic link followed, even where the last components do
/// not exist yet (they are kept as they are). `None` after too many links.
fn resolve(path: &Path) -> Option<PathBuf> {
    let start = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().ok()?
    };
    let mut pending: Vec<PathBuf> = vec![path.to_path_buf()];
    let mut resolved = start;
    let mut links = 0usize;
    // `pending` is a stack of paths whose components are still to be walked, innermost first.
    while let Some(next) = pending.pop() {
        let mut components = next.components();
        let Some(component) = components.next() else {
            continue;
        };
        let rest = components.as_path().to_path_buf();
        if !rest.as_os_str().is_empty() {
            pending.push(rest);
        }
        match component {
            Component::Prefix(p) => resolved = PathBuf::from(p.as_os_str()),
            Component::RootDir => resolved.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                let candidate = resolved.join(name);
                match std::fs::read_link(&candidate) {
                    Ok(target) => {
                        links += 1;
                        if links > SYMLINKS_MAX {
                            return None;
                        }
                        // An absolute target restarts from the root; a relative one from here.
                        pending.push(target);
                    }
                    Err(_) => resolved = candidate,
                }
            }
        }
    }
    Some(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_resolving_into_the_data_directory_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("ledger");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("journal.tbj"), b"x").unwrap();
        let outside = root.path().join("out");
        std::fs::create_dir(&outside).unwrap();
        let link_to_journal = outside.join("j");
        std::os::unix::fs::symlink(data.join("journal.tbj"), &link_to_journal).unwrap();
        let link_to_dir = root.path().join("d");
        std::os::unix::fs::symlink("ledger", &link_to_dir).unwrap();
        for bad in [
            data.join("journal.tbj"),
            data.join("new-file"),
            outside.join("../ledger/timebank.lock"),
            link_to_journal,
            link_to_dir.join("journal.tbj"),
            link_to_dir.join("missing/deeper"),
        ] {
            assert!(
                refuse_inside_data(&bad, &data, "the export").is_err(),
                "{bad:?} was accepted"
            );
        }
        // The data directory named through a link is still the data directory.
        assert!(refuse_inside_data(&data.join("x"), &link_to_dir, "the export").is_err());
        for good in [outside.join("export.jsonl"), root.path().join("ledger2")] {
            assert!(
                refuse_inside_data(&good, &data, "the export").is_ok(),
                "{good:?}"
            );
        }
    }
}
