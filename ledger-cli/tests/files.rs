//! The files around a ledger: secret keys, the journal, the operator's input files and the run
//! lock.
//!
//! A checkpoint key left readable by every user (what `openssl rand -hex 32 > key` makes under
//! the usual umask) or kept inside the data directory is copied with every backup of the ledger,
//! and then proves nothing; such keys are refused unless `--allow-exposed-key`. A FIFO put where
//! the journal belongs once made every command wait forever; a journal that is not a regular
//! file is refused at once. A missing input file is a usage error (exit 2), like any bad
//! argument. A run waiting for another can give up after `--lock-timeout` seconds (exit 7).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{owner_only, Bank};

const KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

fn write_key(path: &Path, mode: u32) -> String {
    std::fs::write(path, KEY_HEX).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.display().to_string()
}

#[test]
fn a_key_other_users_can_read_is_refused_unless_allowed() {
    let bank = Bank::new();
    let key = write_key(&bank.path("key"), 0o644);
    let before = std::fs::read(bank.data().join("journal/00000001.tbj")).unwrap();
    let run = bank.fails(
        &["--key-file", &key, "checkpoint", "export"],
        2,
        "mode 0644",
    );
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
    assert_eq!(
        before,
        std::fs::read(bank.data().join("journal/00000001.tbj")).unwrap(),
        "a refused key changes nothing"
    );
    bank.ok(&[
        "--allow-exposed-key",
        "--key-file",
        &key,
        "checkpoint",
        "export",
    ]);
    owner_only(&bank.path("key"));
    bank.ok(&["--key-file", &key, "checkpoint", "export"]);
}

#[test]
fn a_key_inside_the_data_directory_is_refused_unless_allowed() {
    let bank = Bank::new();
    let key = write_key(&bank.data().join("checkpoint.key"), 0o600);
    let journal_before = std::fs::read(bank.data().join("journal/00000001.tbj")).unwrap();
    bank.fails(
        &["--key-file", &key, "checkpoint", "export"],
        2,
        "inside the data directory",
    );
    assert_eq!(
        journal_before,
        std::fs::read(bank.data().join("journal/00000001.tbj")).unwrap(),
        "a refused key changes nothing"
    );
    bank.ok(&[
        "--allow-exposed-key",
        "--key-file",
        &key,
        "checkpoint",
        "export",
    ]);
}

#[test]
fn a_signing_key_others_can_read_is_refused() {
    let bank = Bank::new();
    let key = bank.path("signing.key");
    let key_text = key.display().to_string();
    bank.ok(&["checkpoint", "keygen", "--out", &key_text]);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600,
        "keygen writes keys for their owner alone"
    );
    bank.ok(&["checkpoint", "sign", "--signing-key-file", &key_text]);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    bank.fails(
        &["checkpoint", "sign", "--signing-key-file", &key_text],
        2,
        "mode 0640",
    );
}

/// Runs `timebank status` with a wall-clock limit, so a command that would wait forever on a
/// FIFO fails the test instead of hanging it.
fn status_within_a_minute(bank: &Bank) -> support::Run {
    let started = Instant::now();
    let run = bank.run(&["status"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    run
}

#[test]
fn a_journal_that_is_not_a_regular_file_is_refused_at_once() {
    for kind in ["fifo", "symlink", "directory"] {
        let bank = Bank::new();
        let journal = bank.data().join("journal/00000001.tbj");
        let elsewhere = bank.path("journal-elsewhere.tbj");
        std::fs::rename(&journal, &elsewhere).unwrap();
        match kind {
            "fifo" => {
                let made = Command::new("mkfifo").arg(&journal).status().unwrap();
                assert!(made.success());
            }
            "symlink" => std::os::unix::fs::symlink(&elsewhere, &journal).unwrap(),
            _ => std::fs::create_dir(&journal).unwrap(),
        }
        // A FIFO must not make the run wait for a writer: a watchdog writer would unblock it,
        // so none is started, and the run must still end.
        let run = status_within_a_minute(&bank);
        assert_ne!(run.code, 0, "{kind}: {run:?}");
        assert!(
            run.stderr.contains("not a regular file"),
            "{kind}: {}",
            run.stderr
        );
        let verify = bank.run(&["verify"]);
        assert_ne!(verify.code, 0, "{kind}: {verify:?}");
        assert!(
            verify.stderr.contains("not a regular file"),
            "{kind}: {}",
            verify.stderr
        );
    }
}

#[test]
fn a_missing_input_file_is_a_usage_error() {
    let empty = Bank::empty();
    let missing = empty.path("missing.toml").display().to_string();
    empty.fails(&["--policy", &missing, "init"], 2, "missing.toml");
    let bank = Bank::new();
    let missing = bank.path("missing").display().to_string();
    bank.fails(&["--key-file", &missing, "status"], 2, "missing");
    bank.fails(&["import", &missing], 2, "the import file");
    bank.fails(
        &["proof", "verify", &missing, "--public-key", KEY_HEX],
        2,
        "the proof",
    );
    let directory = bank.path("").display().to_string();
    bank.fails(&["import", &directory], 2, "not a regular file");
}

#[test]
fn a_run_gives_up_waiting_for_another_after_the_lock_timeout() {
    let bank = Bank::new();
    let lock = bank.data().join("timebank.lock");
    // Another run holds the ledger (flock(1) takes the same kind of lock a run takes; `-o`
    // keeps it in flock itself, so killing flock releases it). Its `sleep` outlives it: without
    // the test's output, so nothing waiting for that output waits for the sleep.
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(&lock)
        .args(["sleep", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("flock(1) from util-linux");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let run = bank.fails(&["--lock-timeout", "1", "status"], 7, "--lock-timeout");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "gave up too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(20),
        "waited too long: {waited:?}"
    );
    assert!(run.stderr.contains("waiting for it"), "{}", run.stderr);
    holder.kill().unwrap();
    holder.wait().unwrap();
    bank.ok(&["--lock-timeout", "1", "status"]);
}
