//! The tool in hostile surroundings: outputs aimed at the ledger's own files, unwritable
//! streams, long arguments.
//!
//! `export --out DIR/journal.tbj` once truncated the journal it was copying (exit 0, and every
//! later run failed); `balance 999 2>/dev/full` once exited 101 because `eprintln!` panicked.
//! Outputs are now resolved (relative paths, `..`, symbolic links) and refused inside the data
//! directory, and every message goes through a writer that ignores a dead stream.

mod support;

use std::process::{Command, Stdio};

use support::Bank;

/// The journal's bytes, to show a refused run left them alone.
fn journal(bank: &Bank) -> Vec<u8> {
    std::fs::read(bank.data().join("journal/00000001.tbj")).unwrap()
}

#[test]
fn an_export_never_lands_on_the_ledgers_own_files() {
    let bank = Bank::new().with_accounts();
    let before = journal(&bank);
    let outside = bank.path("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    let link = outside.join("innocent.jsonl");
    std::os::unix::fs::symlink(bank.data().join("journal/00000001.tbj"), &link).unwrap();
    let via_dotdot = outside.join("../ledger/timebank.lock");
    let dir_link = bank.path("ledger-link");
    std::os::unix::fs::symlink(bank.data(), &dir_link).unwrap();
    for target in [
        bank.data().join("journal/00000001.tbj"),
        bank.data().join("LOCK"),
        via_dotdot,
        link,
        dir_link.join("journal/00000001.tbj"),
        bank.data().join("index.sled/db"),
    ] {
        let target = target.to_str().unwrap();
        bank.fails(&["export", "--out", target], 2, "inside the data directory");
    }
    // A relative path, from inside the data directory.
    let run = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .current_dir(bank.data())
        .args(["--data", ".", "export", "--out", "journal/00000001.tbj"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    assert_eq!(
        journal(&bank),
        before,
        "a refused export changed the journal"
    );
    bank.ok(&["verify"]);
    // Beside the data directory is fine.
    let fine = outside.join("export.jsonl");
    bank.ok(&["export", "--out", fine.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&fine).unwrap().lines().count() > 1);
}

#[test]
fn an_unwritable_stderr_or_stdout_keeps_the_exit_code() {
    let bank = Bank::new().with_accounts();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    // A failure whose message cannot be written still exits with its own code.
    let run = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(["--data", bank.data().to_str().unwrap(), "balance", "999"])
        .stderr(Stdio::from(full.try_clone().unwrap()))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    // A success with notes on an unwritable stderr is a success.
    let run = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(["--data", bank.data().to_str().unwrap(), "--json", "status"])
        .stderr(Stdio::from(full.try_clone().unwrap()))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    // An unwritable stdout is an I/O error (6), never a panic (101).
    let run = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(["--data", bank.data().to_str().unwrap(), "status"])
        .stdout(Stdio::from(full.try_clone().unwrap()))
        .stderr(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(6), "{run:?}");
}

#[test]
fn long_arguments_are_quoted_shortened() {
    let bank = Bank::new();
    let long = "y".repeat(100_000); // one argument may be at most 128 KiB
    let run = bank.run(&[
        "export",
        "--out",
        &format!("{}/{long}", bank.data().display()),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes of stderr",
        run.stderr.len()
    );
}

#[test]
fn a_write_whose_report_cannot_be_printed_is_an_unknown_outcome_and_a_retry_with_its_id_is_safe() {
    let bank = Bank::new().with_accounts();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let record = [
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
        "500",
    ];
    let run = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(["--data", bank.data().to_str().unwrap(), "--at", &bank.at])
        .args(record)
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(8), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("is durable (journal record"), "{stderr}");
    // The retry with the same id changes nothing.
    let head = bank.status()["seq"].clone();
    let retry = bank.ok(&record);
    assert!(
        retry.stdout.contains("already recorded"),
        "{}",
        retry.stdout
    );
    assert_eq!(bank.status()["seq"], head);
    bank.ok(&["verify"]);
}
