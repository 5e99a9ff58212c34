//! Reading a ledger that cannot be written: a read-only mount, a copy the user may not write,
//! a full disk.
//!
//! On a read-only mount (an auditor's copy, a backup) `status`, `verify`, `balance` and
//! `export` once failed because sled wanted to write, and a full disk blocked every read the
//! same way. Now the reading commands fall back to opening the ledger read-only: the journal is
//! only read and the index is a temporary copy. Each case checks that every reading
//! command answers as it did on the writable original, that a write fails with its documented
//! exit code and changes nothing, and that no run panics.
//!
//! The tests run as root in CI, where permission bits stop nothing: each case makes the real
//! condition (a tmpfs remounted read-only, a non-root user through `setpriv`, a 1 MiB tmpfs
//! filled up) and skips, saying so, where the machine does not allow it.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_in, Bank, Run, START};

/// Says on stderr why a case did not run (visible with `--nocapture`).
fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// A ledger with accounts, services, a checkpoint; and what every reading command printed.
struct Original {
    bank: Bank,
    key: PathBuf,
    checkpoint: String,
    answers: Vec<(Vec<&'static str>, String)>,
}

const READS: [&[&str]; 6] = [
    &["--json", "balance", "1", "2", "12"],
    &["--json", "statement", "2"],
    &["--json", "report", "liabilities"],
    &["export"],
    &["--json", "verify"],
    &["--json", "account", "show", "2"],
];

fn original() -> Original {
    let bank = Bank::new().with_accounts();
    let key = bank.path("checkpoint.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    support::owner_only(&key);
    for id in ["100", "101"] {
        bank.ok(&[
            "record",
            "--payer",
            "1",
            "--provider",
            "2",
            "--hours",
            "1.5",
            "--code",
            "101",
            "--id",
            id,
        ]);
    }
    let exported = bank.ok(&["--key-file", key.to_str().unwrap(), "checkpoint", "export"]);
    let checkpoint = exported.stdout.lines().next().unwrap().to_owned();
    let answers = READS
        .iter()
        .map(|args| (args.to_vec(), bank.ok(args).stdout))
        .collect();
    Original {
        bank,
        key,
        checkpoint,
        answers,
    }
}

/// Every reading command on `data` (run through `runner`) answers as on the original.
fn reads_answer_the_same(original: &Original, data: &Path, runner: &dyn Fn(&[&str]) -> Run) {
    let status = runner(&["--json", "status"]);
    no_panic(&status);
    assert_eq!(status.code, 0, "status: {status:?}");
    assert!(status.stderr.contains("read-only"), "{}", status.stderr);
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json["read_only"], true);
    assert_eq!(json["seq"], original.bank.status()["seq"]);
    for (args, expected) in &original.answers {
        let run = runner(args);
        no_panic(&run);
        assert_eq!(run.code, 0, "{args:?} on {}: {run:?}", data.display());
        // Every one prints the same bytes: `verify` too, which checks the index (from a copy
        // outside the directory) as it does on the original.
        assert_eq!(&run.stdout, expected, "{args:?}");
        if args.contains(&"verify") {
            assert_eq!(run.json()["index_checked"], true, "{}", run.stdout);
        }
    }
    let line = original.checkpoint.as_str();
    let key = original.key.to_str().unwrap();
    let run = runner(&["--key-file", key, "checkpoint", "verify", line]);
    assert_eq!(run.code, 0, "checkpoint verify: {run:?}");
}

fn no_panic(run: &Run) {
    assert_ne!(run.code, 101, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
}

/// Copies a directory tree (files and directories only, as a ledger holds).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn tree_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(tree_bytes(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// A tmpfs mounted at a fresh directory, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        status.status.success().then_some(Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn remount_read_only(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}

#[test]
fn reads_work_on_a_read_only_mount_and_a_write_changes_nothing() {
    let Some(mount) = Tmpfs::mount("64m") else {
        return skip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
    };
    let original = original();
    let data = mount.path().join("ledger");
    copy_tree(&original.bank.data(), &data);
    if !mount.remount_read_only() {
        return skip("cannot remount the tmpfs read-only");
    }
    let before = tree_bytes(&data);
    reads_answer_the_same(&original, &data, &|args| run_in(&data, START, args));
    // A write says why it cannot be done (I/O, exit 6) and changes nothing.
    let write = run_in(&data, START, &["account", "open", "50", "--kind", "member"]);
    no_panic(&write);
    assert_eq!(write.code, 6, "{write:?}");
    assert_eq!(tree_bytes(&data), before);
}

/// The `timebank` binary copied where any user may run it, and the `setpriv` prefix that runs
/// it as `nobody`.
fn as_nobody(root: &Path) -> Option<PathBuf> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| o.stdout.starts_with(b"0"));
    let has_setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !is_root || !has_setpriv {
        return None;
    }
    let binary = root.join("timebank");
    std::fs::copy(env!("CARGO_BIN_EXE_timebank"), &binary).ok()?;
    Some(binary)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod_tree(dir: &Path, dir_mode: u32, file_mode: u32) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            chmod_tree(&path, dir_mode, file_mode);
        } else {
            chmod(&path, file_mode);
        }
    }
    chmod(dir, dir_mode);
}

#[test]
fn reads_work_for_a_user_who_may_not_write_the_copy() {
    let root = tempfile::tempdir().unwrap();
    chmod(root.path(), 0o755);
    let Some(binary) = as_nobody(root.path()) else {
        return skip("not root, or no setpriv: cannot run as a user without write permission");
    };
    chmod(&binary, 0o755);
    let original = original();
    let data = root.path().join("copy");
    copy_tree(&original.bank.data(), &data);
    chmod_tree(&data, 0o555, 0o444);
    let key = root.path().join("key");
    std::fs::copy(&original.key, &key).unwrap();
    // The auditor's own key: hers alone, as timebank requires of keys.
    std::os::unix::fs::chown(&key, Some(65534), Some(65534)).unwrap();
    chmod(&key, 0o400);
    let original = Original {
        key: key.clone(),
        ..original
    };
    let runner = |args: &[&str]| -> Run {
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .arg("--data")
            .arg(&data)
            .arg("--at")
            .arg(START)
            .args(args)
            .output()
            .unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    };
    let before = tree_bytes(&data);
    reads_answer_the_same(&original, &data, &runner);
    let write = runner(&["account", "open", "50", "--kind", "member"]);
    no_panic(&write);
    assert_eq!(write.code, 6, "{write:?}");
    assert_eq!(tree_bytes(&data), before);
}

#[test]
fn reads_work_on_a_full_disk_and_no_acknowledged_write_is_lost() {
    let Some(mount) = Tmpfs::mount("4m") else {
        return skip("cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN)");
    };
    let original = original();
    let data = mount.path().join("ledger");
    copy_tree(&original.bank.data(), &data);
    let record = |id: u32| {
        run_in(
            &data,
            START,
            &[
                "record",
                "--payer",
                "1",
                "--provider",
                "3",
                "--hours",
                "1",
                "--code",
                "101",
                "--id",
                &id.to_string(),
            ],
        )
    };
    // Writes acknowledged before the disk fills.
    let mut acked = vec![];
    for id in 190..193u32 {
        assert_eq!(record(id).code, 0);
        acked.push(id);
    }
    // Fill the disk.
    let mut filler = std::fs::File::create(mount.path().join("filler")).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while filler.write_all(&chunk).is_ok() {}
    let _ = filler.sync_all();
    // Writes until the disk refuses: each one either succeeds, or fails with a documented code.
    for id in 200..230u32 {
        let run = record(id);
        no_panic(&run);
        match run.code {
            0 => acked.push(id),
            6 | 8 => {}
            other => panic!("a write on a full disk exited {other}: {run:?}"),
        }
    }
    // Reads answer (read-only when the disk refuses even the index), and keep every ack.
    let status = run_in(&data, START, &["--json", "status"]);
    no_panic(&status);
    assert_eq!(status.code, 0, "{status:?}");
    let verify = run_in(&data, START, &["--json", "verify"]);
    no_panic(&verify);
    assert_eq!(verify.code, 0, "{verify:?}");
    for args in READS {
        let run = run_in(&data, START, args);
        no_panic(&run);
        assert_eq!(run.code, 0, "{args:?} on a full disk: {run:?}");
    }
    let statement = run_in(&data, START, &["--json", "statement", "3"]);
    for id in &acked {
        assert!(
            statement.stdout.contains(&format!("\"transfer\":{id},")),
            "acknowledged transfer {id} is missing: {}",
            statement.stdout
        );
    }
}
