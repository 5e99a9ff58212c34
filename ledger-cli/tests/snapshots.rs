//! `timebank snapshot`, and snapshots in `status` and `verify`: the next open starts from the
//! snapshot; a damaged one is passed over (status names it) and `verify` (with and without
//! `--replay`) reports it as damage of a derived file, naming it, with exit 5.

mod support;

use support::*;

#[test]
fn a_snapshot_is_used_at_open_and_a_damaged_one_is_named_by_status_and_verify() {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "1.5", "101"));
    let written = bank.ok(&["--json", "snapshot"]).json();
    let seq = written["seq"].as_u64().unwrap();
    let file = format!("{seq:020}.tbs");
    assert!(
        written["path"].as_str().unwrap().ends_with(&file),
        "{written}"
    );
    bank.ok(&record("1", "2", "0.5", "101"));

    let status = bank.status();
    assert_eq!(
        status["snapshot_on_open"],
        format!("snapshot of record {seq} ({file})")
    );
    assert_eq!(status["snapshots_skipped"], serde_json::json!([]));
    let verdict = bank.ok(&["--json", "verify"]).json();
    assert_eq!(verdict["snapshots_checked"], 1, "{verdict}");
    let verdict = bank.ok(&["--json", "verify", "--replay"]).json();
    assert_eq!(verdict["snapshots_checked"], 1, "{verdict}");

    // One byte of the state flipped: the file's hash no longer matches.
    let path = bank.data().join("snapshots").join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let status = bank.status();
    assert_eq!(status["snapshot_on_open"], "full replay");
    // A journal of one segment with a snapshot file is read whole at once (docs/FORMAT.md §16.2).
    assert_eq!(status["journal_read_on_open"], "image");
    let skipped = status["snapshots_skipped"][0].as_str().unwrap();
    assert!(
        skipped.starts_with(&file) && skipped.contains("hash does not match"),
        "{skipped}"
    );
    for args in [&["verify"][..], &["verify", "--replay"][..]] {
        bank.fails(args, 5, &format!("a snapshot is damaged: snapshots/{file}"));
        let json: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
        let verdict = serde_json::from_str::<serde_json::Value>(&bank.run(&json).stdout).unwrap();
        assert_eq!(verdict["damaged"], "snapshot", "{verdict}");
    }
}
