//! Running the real `timebank` binary on a temporary data directory.
#![allow(dead_code)] // each test file uses a different part of the support

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A ledger in a temporary directory, and the time every command runs at.
pub struct Bank {
    pub dir: tempfile::TempDir,
    /// RFC 3339 time passed as `--at` (the tests never read the clock).
    pub at: String,
}

pub const START: &str = "2026-03-01T09:00:00+08:00";

impl Bank {
    /// An empty directory (no ledger yet).
    pub fn empty() -> Bank {
        Bank {
            dir: tempfile::tempdir().expect("a temporary directory"),
            at: START.to_owned(),
        }
    }

    /// A ledger under the default policy.
    pub fn new() -> Bank {
        let bank = Bank::empty();
        bank.ok(&["init"]);
        bank
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("ledger")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `timebank --data <dir> --at <at> <args>`.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(&self.data(), &self.at, args)
    }

    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "timebank {args:?} failed: {}", run.stderr);
        run
    }

    /// Runs and asserts the exit code and that stderr names `expected`.
    pub fn fails(&self, args: &[&str], code: i32, expected: &str) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, code, "timebank {args:?}: {run:?}");
        assert!(
            run.stderr.contains(expected),
            "timebank {args:?}: stderr lacks {expected:?}: {}",
            run.stderr
        );
        run
    }

    /// `status --json`.
    pub fn status(&self) -> serde_json::Value {
        self.ok(&["--json", "status"]).json()
    }

    /// Opens member and fund accounts: 1 fund (issuer, hours), 2 and 3 members, 4 a pool,
    /// 11 points issuer, 12 member's points, 13 a points shop; all in community 7.
    pub fn with_accounts(self) -> Bank {
        for (id, kind, unit) in [
            ("1", "issuer", "hours"),
            ("2", "member", "hours"),
            ("3", "member", "hours"),
            ("4", "donation", "hours"),
            ("11", "issuer", "points"),
            ("12", "member", "points"),
            ("13", "redemption", "points"),
        ] {
            self.ok(&[
                "account",
                "open",
                id,
                "--kind",
                kind,
                "--unit",
                unit,
                "--community",
                "7",
            ]);
        }
        self
    }
}

pub fn run_in(data: &Path, at: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .arg("--data")
        .arg(data)
        .arg("--at")
        .arg(at)
        .args(args)
        .output()
        .expect("the timebank binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The decimal in a JSON string field (amounts are exact strings).
pub fn decimal(value: &serde_json::Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"))
        .to_owned()
}

/// Makes a key file readable by its owner alone, as `timebank` requires of keys.
pub fn owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The arguments of `record --payer P --provider V --hours H --code C`, the service most
/// tests record; extend them with `[&record(..)[..], &[..]].concat()`.
pub fn record<'a>(
    payer: &'a str,
    provider: &'a str,
    hours: &'a str,
    code: &'a str,
) -> Vec<&'a str> {
    vec![
        "record",
        "--payer",
        payer,
        "--provider",
        provider,
        "--hours",
        hours,
        "--code",
        code,
    ]
}
