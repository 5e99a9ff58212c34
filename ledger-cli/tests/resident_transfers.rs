//! `--resident-transfers N`: the store keeps the newest N transfers in memory and lets older ones
//! go to its index. The ledger it writes is the one written without the option; a snapshot it
//! writes holds a state that let transfers go, which a run without the option (or with 0)
//! passes over and a run with it starts from.

mod support;

use support::*;

/// About 5,800 transfers: past one eviction (every 4,096 transfers).
const SIMULATE: [&str; 7] = [
    "simulate",
    "--days",
    "30",
    "--communities",
    "120",
    "--seed",
    "7",
];

#[test]
fn resident_transfers_reaches_the_store_and_changes_no_answer() {
    let bounded = Bank::empty();
    let keep = ["--resident-transfers", "100"];
    bounded.ok(&[&keep[..], &SIMULATE[..]].concat());
    let everything = Bank::empty();
    everything.ok(&SIMULATE);
    let status = bounded.status();
    assert!(status["transfers"].as_u64().unwrap() > 4096, "{status}");
    for field in ["seq", "head", "state_digest", "transfers"] {
        assert_eq!(status[field], everything.status()[field], "{field}");
    }

    bounded.ok(&[&keep[..], &["snapshot"]].concat());
    let with = bounded
        .ok(&[&keep[..], &["--json", "status"]].concat())
        .json();
    assert!(
        with["snapshot_on_open"]
            .as_str()
            .unwrap()
            .starts_with("snapshot of record"),
        "{with}"
    );
    for without in [
        bounded.status(),
        bounded
            .ok(&["--resident-transfers", "0", "--json", "status"])
            .json(),
    ] {
        assert_eq!(without["snapshot_on_open"], "full replay", "{without}");
        let skipped = without["snapshots_skipped"][0].as_str().unwrap();
        assert!(skipped.contains("let old transfers go"), "{without}");
        assert_eq!(without["state_digest"], with["state_digest"]);
    }
    let run = bounded.ok(&["status"]);
    assert!(
        run.stderr
            .contains("pass --resident-transfers N to open from it"),
        "{}",
        run.stderr
    );
    let run = bounded.ok(&[&keep[..], &["status"]].concat());
    assert!(
        !run.stderr.contains("--resident-transfers N"),
        "{}",
        run.stderr
    );
    bounded.ok(&[&keep[..], &["verify"]].concat());
}

#[test]
fn resident_transfers_that_is_not_a_count_is_a_usage_error() {
    let bank = Bank::new();
    for bad in ["-1", "many", "1.5", ""] {
        let option = format!("--resident-transfers={bad}");
        bank.fails(&[&option, "status"], 2, "--resident-transfers");
    }
}
