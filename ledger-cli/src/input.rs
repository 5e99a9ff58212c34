//! Files the operator names as input (policies, imports, proofs, messages, keys).
//!
//! An input that is missing, unreadable or not a file is the operator's mistake, like a bad
//! argument: exit 2, naming the file. Only a failure while reading an existing file (a disk
//! error) is exit 6. Secret keys are also checked for where they are kept and who can read
//! them: a checkpoint or signing key kept in the data directory, or readable by other users,
//! travels with every copy of the ledger and proves nothing.

use std::io::ErrorKind;
use std::path::Path;

use crate::error::{shorten_path, CliError, CliResult};

/// The whole of the input file `path`; `what` names it in errors ("the policy").
pub fn read(path: &Path, what: &str) -> CliResult<Vec<u8>> {
    refuse_non_file(path, what)?;
    std::fs::read(path).map_err(|e| failure(path, what, &e))
}

/// The input file `path` as UTF-8 text.
pub fn read_text(path: &Path, what: &str) -> CliResult<String> {
    let bytes = read(path, what)?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{what} {} is not UTF-8 text", shorten_path(path))))
}

/// Opens the input file `path` for streaming.
pub fn open(path: &Path, what: &str) -> CliResult<std::fs::File> {
    refuse_non_file(path, what)?;
    std::fs::File::open(path).map_err(|e| failure(path, what, &e))
}

/// Where a secret key may be read from: never the data directory `data`, never a file other
/// users can read or write (unless `allow_exposed`, for keys the host protects otherwise).
pub struct KeyRules<'a> {
    pub data: &'a Path,
    pub allow_exposed: bool,
}

/// The text of the secret key file `path` (`what`: "the checkpoint key").
pub fn read_secret(path: &Path, what: &str, rules: &KeyRules) -> CliResult<String> {
    refuse_non_file(path, what)?;
    if !rules.allow_exposed {
        crate::paths::refuse_inside_data(path, rules.data, what).map_err(|e| {
            CliError::usage(format!(
                "{} (a key kept with the ledger is copied with it; pass --allow-exposed-key to \
                 use it anyway)",
                e.message
            ))
        })?;
        refuse_readable_by_others(path, what)?;
    }
    read_text(path, what)
}

#[cfg(unix)]
fn refuse_readable_by_others(path: &Path, what: &str) -> CliResult {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).map_err(|e| failure(path, what, &e))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CliError::usage(format!(
            "{what} {} can be read or written by other users (mode {mode:04o}): `chmod 600 {}`, \
             or pass --allow-exposed-key to use it anyway",
            shorten_path(path),
            shorten_path(path),
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_readable_by_others(_path: &Path, _what: &str) -> CliResult {
    Ok(())
}

/// A directory, FIFO or device named as an input is refused before it is opened (reading a
/// FIFO would wait for a writer forever).
fn refuse_non_file(path: &Path, what: &str) -> CliResult {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => Ok(()),
        Ok(_) => Err(CliError::usage(format!(
            "{what} {} is not a regular file",
            shorten_path(path)
        ))),
        Err(e) => Err(failure(path, what, &e)),
    }
}

fn failure(path: &Path, what: &str, e: &std::io::Error) -> CliError {
    let message = format!("cannot read {what} {}: {e}", shorten_path(path));
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::PermissionDenied | ErrorKind::IsADirectory => {
            CliError::usage(message)
        }
        _ => CliError::io(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_a_usage_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&dir.path().join("nope.toml"), "the policy").unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert!(err.message.contains("the policy"), "{}", err.message);
        assert!(err.message.contains("nope.toml"), "{}", err.message);
    }

    #[test]
    fn a_directory_is_not_an_input_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), "the proof").unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_or_inside_the_data_directory_is_refused_unless_allowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ledger");
        std::fs::create_dir(&data).unwrap();
        let outside = dir.path().join("key");
        std::fs::write(&outside, "ab").unwrap();
        let strict = KeyRules {
            data: &data,
            allow_exposed: false,
        };
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = read_secret(&outside, "the key", &strict).unwrap_err();
        assert!(err.message.contains("mode 0640"), "{}", err.message);
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret(&outside, "the key", &strict).unwrap(), "ab");

        let inside = data.join("key");
        std::fs::write(&inside, "cd").unwrap();
        std::fs::set_permissions(&inside, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = read_secret(&inside, "the key", &strict).unwrap_err();
        assert!(
            err.message.contains("inside the data directory"),
            "{}",
            err.message
        );
        let lenient = KeyRules {
            data: &data,
            allow_exposed: true,
        };
        assert_eq!(read_secret(&inside, "the key", &lenient).unwrap(), "cd");
    }
}
