//! The auditor's side: verify (and what it says about a damaged journal), checkpoints, export
//! and import, and the simulation's durable commit lines.

mod support;

use support::{record, run_in, Bank, START};

/// A ledger with a little history: accounts, services, a gift, points.
fn busy_bank() -> Bank {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "3", "101"));
    bank.ok(&record("1", "3", "1.25", "104"));
    bank.ok(&["account", "link", "2", "3"]);
    bank.ok(&["gift", "--from", "2", "--to", "3", "--amount", "0.5"]);
    bank.ok(&["award", "--issuer", "11", "--member", "12", "--code", "401"]);
    bank
}

/// Byte offsets of the journal's records (docs/FORMAT.md: each starts with "TBJR" and a u32
/// little-endian length of the whole record).
/// The byte offsets of the records in a segment file (after its header).
fn record_offsets(journal: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = ledger_store::SEGMENT_HEADER_BYTES;
    while at < journal.len() {
        assert_eq!(&journal[at..at + 4], b"TBJR");
        offsets.push(at);
        at += u32::from_le_bytes(journal[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    offsets
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_key(bank: &Bank) -> String {
    let path = bank.path("checkpoint.key");
    std::fs::write(&path, format!("{}\n", "5a".repeat(32))).unwrap();
    support::owner_only(&path);
    path.to_string_lossy().into_owned()
}

#[test]
fn verify_passes_an_intact_ledger() {
    let bank = busy_bank();
    let verdict = bank.ok(&["--json", "verify"]).json();
    assert_eq!(verdict["intact"], true);
    assert_eq!(verdict["index_checked"], true);
    assert_eq!(verdict["seq"], bank.status()["seq"]);
    let text = bank.ok(&["verify"]).stdout;
    assert!(text.starts_with("intact:"), "{text}");
}

#[test]
fn verify_names_the_record_whose_byte_was_flipped() {
    let bank = busy_bank();
    let path = bank.data().join("journal/00000001.tbj");
    let mut journal = std::fs::read(&path).unwrap();
    let offsets = record_offsets(&journal);
    assert!(offsets.len() > 8);
    let damaged = 5;
    // A byte inside record 5's body (after its 60-byte header).
    journal[offsets[damaged] + 61] ^= 0x01;
    std::fs::write(&path, &journal).unwrap();

    let run = bank.fails(&["verify"], 5, "first bad record 5");
    assert!(run.stderr.contains("checksum"), "{}", run.stderr);
    let json = bank.run(&["--json", "verify"]);
    assert_eq!(json.code, 5);
    let verdict = json.json();
    assert_eq!(verdict["intact"], false);
    assert_eq!(verdict["first_bad_record"], damaged);
    assert_eq!(verdict["offset"], offsets[damaged]);
    // Every other command refuses the damaged ledger too, rather than guess.
    bank.fails(&["status"], 5, "first bad record 5");
}

#[test]
fn verify_reports_a_torn_tail_and_opening_cuts_it_back() {
    let bank = busy_bank();
    let before = bank.status();
    let path = bank.data().join("journal/00000001.tbj");
    let journal = std::fs::read(&path).unwrap();
    let last = *record_offsets(&journal).last().unwrap();
    // A crash in the middle of writing the last record.
    std::fs::write(&path, &journal[..last + 70]).unwrap();

    bank.fails(&["verify"], 5, "torn tail");
    let status = bank.ok(&["--json", "status"]);
    assert!(status.stderr.contains("cut"), "{}", status.stderr);
    let seq = before["seq"].as_u64().unwrap();
    assert_eq!(
        status.json()["seq"],
        seq - 1,
        "back to the last complete record"
    );
    bank.ok(&["verify"]);
}

#[test]
fn export_then_import_into_a_fresh_ledger_gives_the_same_state_and_twice_changes_nothing() {
    let bank = busy_bank();
    let export = bank.ok(&["export"]).stdout;
    let lines: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let status = bank.status();
    assert_eq!(lines.len() as u64, status["seq"].as_u64().unwrap() + 1);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], i, "one line per record, in order");
        assert_eq!(line["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(lines.last().unwrap()["hash"], status["head"]);
    let file = bank.path("export.jsonl");
    std::fs::write(&file, &export).unwrap();

    let fresh = bank.path("fresh");
    let file = file.to_str().unwrap();
    let imported = run_in(&fresh, START, &["--json", "import", file]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let first = imported.json();
    assert_eq!(first["state_digest"], status["state_digest"]);
    assert_eq!(first["head"], status["head"]);
    let again = run_in(&fresh, START, &["--json", "import", file]).json();
    assert_eq!(again["imported"], 0);
    assert_eq!(again["state_digest"], status["state_digest"]);
    assert_eq!(again["seq"], status["seq"]);
    // The original ledger also holds every record already.
    assert_eq!(bank.ok(&["--json", "import", file]).json()["imported"], 0);

    // An export written before genesis lines carried `record` still imports (from `policy`).
    let mut genesis = lines[0].clone();
    assert!(genesis["record"].is_string(), "{genesis}");
    genesis.as_object_mut().unwrap().remove("record");
    let older: String = std::iter::once(genesis.to_string())
        .chain(export.lines().skip(1).map(str::to_owned))
        .map(|l| l + "\n")
        .collect();
    let older_file = bank.path("older.jsonl");
    std::fs::write(&older_file, older).unwrap();
    let older_fresh = bank.path("older-fresh");
    let imported = run_in(
        &older_fresh,
        START,
        &["--json", "import", older_file.to_str().unwrap()],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(imported.json()["head"], status["head"]);
}

#[test]
fn import_refuses_a_tampered_export_and_another_ledgers_history() {
    let bank = busy_bank();
    let export = bank.ok(&["export"]).stdout;
    let tampered = export.replacen("\"3\"", "\"30\"", 1);
    assert_ne!(tampered, export, "the export holds the 3-hour service");
    let file = bank.path("tampered.jsonl");
    std::fs::write(&file, tampered).unwrap();
    let fresh = bank.path("fresh");
    let run = run_in(&fresh, START, &["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("hash does not match"), "{}", run.stderr);
    assert!(!fresh.exists(), "nothing was created");

    // A line whose content no journal could hold (an empty batch) is refused, not a crash.
    let mut lines: Vec<&str> = export.lines().collect();
    let empty = lines[1].replace(
        &lines[1][lines[1].find("\"command\":").unwrap()..],
        "\"command\":{\"CreateTransfers\":[]}}",
    );
    lines[1] = &empty;
    let file = bank.path("empty-batch.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let run = run_in(&fresh, START, &["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("import record 1"), "{}", run.stderr);

    let other = Bank::new();
    other.ok(&["account", "open", "1", "--kind", "issuer"]);
    let file = bank.path("export.jsonl");
    std::fs::write(&file, export).unwrap();
    other.fails(
        &["import", file.to_str().unwrap()],
        4,
        "differs from the import at record 1",
    );
}

#[test]
fn checkpoints_are_exported_verified_and_survive_an_import() {
    let bank = busy_bank();
    let key = write_key(&bank);
    let text = bank
        .ok(&["--key-file", &key, "checkpoint", "export"])
        .stdout;
    assert!(text.starts_with("timebank-checkpoint v1 "), "{text}");
    let line = text.trim();
    let ok = bank
        .ok(&["--key-file", &key, "--json", "checkpoint", "verify", line])
        .json();
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["mac_checked"], true);
    // Without the key the journal side is still checked.
    bank.ok(&["checkpoint", "verify", line]);
    // A forged MAC is caught with the key.
    let forged = format!(
        "{}{}",
        &line[..line.len() - 2],
        if line.ends_with("00") { "11" } else { "00" }
    );
    bank.fails(
        &["--key-file", &key, "checkpoint", "verify", &forged],
        5,
        "MAC",
    );
    // Another ledger's history does not hold it.
    let other = Bank::new().with_accounts();
    other.fails(
        &["checkpoint", "verify", line],
        5,
        "does not hold for this ledger",
    );
    // The checkpoint record is verified with the rest of the journal.
    let verdict = bank.ok(&["--key-file", &key, "--json", "verify"]).json();
    assert_eq!(verdict["checkpoints_verified"], 1);
    assert_eq!(verdict["macs_checked"], true);

    let file = bank.path("export.jsonl");
    bank.ok(&["export", "--out", file.to_str().unwrap()]);
    let fresh = bank.path("fresh");
    let file = file.to_str().unwrap();
    let without_key = run_in(&fresh, START, &["import", file]);
    assert_eq!(without_key.code, 2, "{without_key:?}");
    assert!(without_key.stderr.contains("--key-file"));
    let imported = run_in(
        &fresh,
        START,
        &["--key-file", &key, "--json", "import", file],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(imported.json()["head"], bank.status()["head"]);
}

#[test]
fn simulate_prints_one_line_per_durable_commit_and_the_ledger_verifies() {
    let bank = Bank::empty();
    let args = [
        "simulate",
        "--days",
        "2",
        "--communities",
        "2",
        "--seed",
        "7",
    ];
    let run = bank.ok(&args);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 5, "{}", run.stdout);
    for pair in lines.windows(2) {
        assert_eq!(
            pair[1]["seq"].as_u64(),
            pair[0]["seq"].as_u64().map(|s| s + 1)
        );
    }
    let transfers: u64 = lines.iter().map(|l| l["transfers"].as_u64().unwrap()).sum();
    assert!(transfers > 0);
    let status = bank.status();
    let last = lines.last().unwrap();
    assert_eq!(last["seq"], status["seq"]);
    assert_eq!(last["head"], status["head"]);
    assert!(run.stderr.contains("services recorded"), "{}", run.stderr);
    // Each line names the record it made by that record's own hash (its last 32 bytes).
    let journal = std::fs::read(ledger_store::segment_path(&bank.data(), 1)).unwrap();
    let mut ends: Vec<usize> = record_offsets(&journal).into_iter().skip(1).collect();
    ends.push(journal.len());
    for line in &lines {
        let end = ends[line["seq"].as_u64().unwrap() as usize];
        assert_eq!(line["head"], hex(&journal[end - 32..end]), "{line}");
    }
    bank.ok(&["verify"]);

    // The same seed on a fresh ledger at the same time writes the same journal.
    let twin = Bank::empty();
    let again = twin.ok(&args);
    assert_eq!(again.stdout, run.stdout);
    // A second run continues the same ledger.
    let more = bank.ok(&args);
    let first: serde_json::Value =
        serde_json::from_str(more.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"].as_u64(), last["seq"].as_u64().map(|s| s + 1));
    bank.ok(&["verify"]);
}

#[test]
fn demo_records_reports_and_verifies_and_runs_again() {
    let bank = Bank::empty();
    let args = ["demo", "--days", "2", "--communities", "2"];
    let first = bank.ok(&args);
    for part in [
        "Recorded",
        "Owed",
        "Outstanding liability",
        "Verified",
        "intact",
    ] {
        assert!(first.stdout.contains(part), "{part}: {}", first.stdout);
    }
    let second = bank.ok(&args);
    assert!(
        second.stdout.contains("Continuing the ledger"),
        "{}",
        second.stdout
    );
    assert!(second.stdout.contains("intact"), "{}", second.stdout);
    // The second run starts from what the first left owed, and its figures add up.
    assert!(second.stdout.contains("Reconciled"), "{}", second.stdout);
    assert!(
        !second.stdout.contains("owed before 0 "),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("DOES NOT ADD UP"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("moved between members"),
        "{}",
        second.stdout
    );
}

/// Two processes on one ledger: the second waits for the first, so it never reads a group
/// being written (it would take it for a torn tail) nor rebuilds the index under the writer.
#[test]
fn a_second_process_waits_for_the_first() {
    let bank = Bank::new();
    let writer = std::process::Command::new(env!("CARGO_BIN_EXE_timebank"))
        .arg("--data")
        .arg(bank.data())
        .args([
            "--at",
            START,
            "simulate",
            "--days",
            "3",
            "--communities",
            "2",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the simulation starts");
    let mut writer = writer;
    for _ in 0..5 {
        let status = bank.ok(&["--json", "status"]).json();
        assert_eq!(status["index_on_open"], "up to date", "{status}");
        assert_eq!(status["torn_tail_cut"], serde_json::Value::Null);
    }
    assert!(writer.wait().unwrap().success());
    bank.ok(&["verify"]);
}

/// A ledger whose genesis policy JSON is not what this version's serializer writes (as after a
/// change to `Policy`'s JSON form): its export still imports, from the genesis record's bytes.
#[test]
fn import_keeps_the_exact_genesis_record_whatever_the_policy_serializes_to() {
    let bank = Bank::empty();
    let policy = ledger_core::Policy::default_policy();
    let pretty = serde_json::to_vec_pretty(&policy).unwrap();
    assert_ne!(pretty, serde_json::to_vec(&policy).unwrap());
    let (genesis, _) = ledger_store::journal::genesis_record(&pretty, 1_772_326_800_000_000_000);
    let store = ledger_store::Store::create_from_genesis(
        &bank.data(),
        &genesis,
        ledger_store::StoreOptions::default(),
    )
    .unwrap();
    store.close().unwrap();
    bank.ok(&[
        "account", "open", "1", "--kind", "issuer", "--unit", "hours",
    ]);
    let status = bank.status();

    let export = bank.ok(&["export"]).stdout;
    let first: serde_json::Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["record"],
        hex(&genesis),
        "the genesis line carries its exact bytes"
    );
    let file = bank.path("export.jsonl");
    std::fs::write(&file, &export).unwrap();
    let fresh = bank.path("fresh");
    let imported = run_in(&fresh, START, &["--json", "import", file.to_str().unwrap()]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(imported.json()["head"], status["head"]);
    assert_eq!(imported.json()["state_digest"], status["state_digest"]);
    let again = run_in(&fresh, START, &["--json", "import", file.to_str().unwrap()]).json();
    assert_eq!(again["imported"], 0);
    assert_eq!(again["head"], status["head"]);

    // A genesis record altered by one byte is refused before anything is created.
    let mut bad = genesis.clone();
    let last = bad.len() - 40;
    bad[last] ^= 1;
    let tampered = export.replacen(&hex(&genesis), &hex(&bad), 1);
    std::fs::write(&file, tampered).unwrap();
    let other = bank.path("other");
    let run = run_in(&other, START, &["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("import record 0"), "{}", run.stderr);
    assert!(!other.join(ledger_store::JOURNAL_DIR_NAME).exists());
}

/// Another process embedding the store (here: this test) holds the ledger: a run fails at once
/// with its own exit code and sentence, and changes nothing.
#[test]
fn a_ledger_held_by_another_process_is_reported_in_use() {
    let bank = Bank::new().with_accounts();
    let before = bank.status();
    let store =
        ledger_store::Store::open(&bank.data(), ledger_store::StoreOptions::default()).unwrap();
    for args in [&["status"][..], &record("1", "2", "1", "101")[..]] {
        let run = bank.run(args);
        assert_eq!(run.code, 7, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("in use by another process"),
            "{}",
            run.stderr
        );
    }
    store.close().unwrap();
    let after = bank.status();
    for field in ["seq", "head", "state_digest"] {
        assert_eq!(after[field], before[field], "{field}");
    }
}

/// Two whole records of a newer format version (hashes and links correct) after a ledger's
/// history: `status`, `verify` and a write refuse with exit 5, name the version, and leave every
/// byte in place (an older binary used to cut them as a torn tail and fork the history).
#[test]
fn records_of_a_newer_format_version_are_refused_never_cut() {
    let bank = busy_bank();
    let path = bank.data().join("journal/00000001.tbj");
    let mut journal = std::fs::read(&path).unwrap();
    for _ in 0..2 {
        let last = *record_offsets(&journal).last().unwrap();
        let prev = &journal[last..];
        let mut record = b"TBJR\0\0\0\0".to_vec();
        record.push(99); // a format version from the future
        record.push(2); // a command
        record.extend_from_slice(&[0, 0]);
        let sequence = u64::from_le_bytes(prev[12..20].try_into().unwrap()) + 1;
        record.extend_from_slice(&sequence.to_le_bytes());
        record.extend_from_slice(&prev[20..28]);
        record.extend_from_slice(&prev[prev.len() - 32..]);
        record.extend_from_slice(b"a body this binary cannot read");
        let length = (record.len() + 32) as u32;
        record[4..8].copy_from_slice(&length.to_le_bytes());
        let hash = ledger_store::record::record_hash(&record);
        record.extend_from_slice(&hash);
        journal.extend_from_slice(&record);
    }
    std::fs::write(&path, &journal).unwrap();
    let expected = "written by a newer timebank (format version 99); this binary reads up to";
    bank.fails(&["status"], 5, expected);
    bank.fails(&["verify"], 5, expected);
    let write = [
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "1",
        "--code",
        "101",
    ];
    bank.fails(&write, 5, expected);
    assert_eq!(std::fs::read(&path).unwrap(), journal);
    let names: Vec<String> = std::fs::read_dir(bank.data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("torn")), "{names:?}");
}

fn segment_count(data: &std::path::Path) -> usize {
    std::fs::read_dir(data.join(ledger_store::JOURNAL_DIR_NAME))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            ledger_store::segment::segment_index_of(&name.to_string_lossy()).is_some()
        })
        .count()
}

/// A ledger kept in 1 KiB segments: every command reads across them (status, verify both ways,
/// checkpoints, rebuild-index, export and import), and segments moved to an archive directory
/// are read from there with --segments-from.
#[test]
fn a_ledger_in_many_segments_works_with_every_command_and_an_archive() {
    let bank = Bank::new().with_accounts();
    let small = |args: &[&str]| -> Vec<String> {
        ["--segment-bytes", "1024"]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let run_small = |args: &[&str]| {
        let args = small(args);
        bank.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    for hours in ["1", "2", "0.5", "3", "1.25", "2.5", "1", "4", "0.75", "1.5"] {
        run_small(&record("1", "2", hours, "101"));
    }
    let count = segment_count(&bank.data());
    assert!(count >= 4, "{count} segments");
    let verdict = bank.ok(&["--json", "verify"]).json();
    assert_eq!(verdict["segments"], count);
    bank.ok(&["verify", "--replay"]);
    let key = write_key(&bank);
    let line = bank
        .ok(&["--key-file", &key, "checkpoint", "export"])
        .stdout;
    bank.ok(&["--key-file", &key, "checkpoint", "verify", line.trim()]);
    bank.ok(&["rebuild-index"]);
    let status = bank.status();
    assert_eq!(status["segments"], count, "status counts the segment files");
    assert_eq!(
        status["segment_bytes"], 268_435_456,
        "the default without --segment-bytes"
    );
    let small_status = run_small(&["--json", "status"]).json();
    assert_eq!(small_status["segment_bytes"], 1024);
    assert!(run_small(&["status"]).stdout.contains(&format!(
        "segments      {count} (kept under 1024 bytes each)"
    )));

    let export = bank.ok(&["export"]).stdout;
    let file = bank.path("segments.jsonl");
    std::fs::write(&file, &export).unwrap();
    let fresh = bank.path("fresh");
    let args = small(&[
        "--key-file",
        &key,
        "--json",
        "import",
        file.to_str().unwrap(),
    ]);
    let imported = run_in(
        &fresh,
        START,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(imported.json()["head"], status["head"]);
    assert!(segment_count(&fresh) > 1);

    // Sealed segments moved to archive storage.
    let archive = bank.path("archive");
    std::fs::create_dir(&archive).unwrap();
    for index in 1..count as u64 {
        let name = ledger_store::segment::segment_name(index);
        let journal = bank.data().join(ledger_store::JOURNAL_DIR_NAME);
        std::fs::rename(journal.join(&name), archive.join(&name)).unwrap();
    }
    bank.fails(&["verify"], 5, "segment 00000001 is missing");
    bank.fails(&["status"], 5, "segment 00000001 is missing");
    let from = ["--segments-from", archive.to_str().unwrap()];
    let with_archive =
        |args: &[&str]| -> Vec<String> { from.iter().chain(args).map(|s| s.to_string()).collect() };
    for args in [
        with_archive(&["verify"]),
        with_archive(&["verify", "--replay"]),
        with_archive(&["status"]),
        with_archive(&["export"]),
        with_archive(&record("1", "3", "2", "101")),
    ] {
        bank.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let archived_status = bank
        .ok(&with_archive(&["--json", "status"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>())
        .json();
    assert_eq!(
        archived_status["segments"], count,
        "archived segments are counted"
    );
    assert_eq!(
        std::fs::read_dir(&archive).unwrap().count(),
        count - 1,
        "the archive is only read"
    );
}

/// Every file and directory under `dir`: its path, bytes (files) and modification time.
fn tree_state(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut state = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        if path.is_dir() {
            state.push((path.clone(), vec![], modified));
            state.extend(tree_state(&path));
        } else {
            state.push((path.clone(), std::fs::read(&path).unwrap(), modified));
        }
    }
    state.sort();
    state
}

/// `verify` once opened the sled index in place, and sled writes when it opens (its lock, its
/// recovery state, a snapshot on close): auditing a ledger changed it. The audit now reads a
/// copy of the index made outside the directory, so every file keeps its bytes and its
/// modification time, and the index is still checked.
#[test]
fn verify_writes_nothing_in_the_ledger_directory() {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "1.5", "101"));
    bank.ok(&["status"]);
    let before = tree_state(&bank.data());
    assert!(
        before
            .iter()
            .any(|(path, _, _)| path.ends_with(ledger_store::INDEX_DIR_NAME)),
        "the ledger has an index"
    );
    for args in [
        &["--json", "verify"][..],
        &["verify"],
        &["verify", "--journal-only"],
    ] {
        let run = bank.ok(args);
        if args[0] == "--json" {
            assert_eq!(run.json()["index_checked"], true, "{}", run.stdout);
        }
        assert_eq!(
            tree_state(&bank.data()),
            before,
            "{args:?} changed the directory"
        );
    }
}

/// `verify --replay` once replayed the journal three times (on its own, when the store opened,
/// and in the store's verify). Now an index at the journal's head is compared with the one
/// replay, read from a copy: the verdict is the same (every field and the sentence), and
/// nothing in the directory is written, which opening the store would do.
#[test]
fn verify_replay_replays_once_says_the_same_and_writes_nothing() {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "1.5", "101"));
    let status = bank.status();
    let before = tree_state(&bank.data());
    let verdict = bank.ok(&["--json", "verify", "--replay"]).json();
    assert_eq!(tree_state(&bank.data()), before, "verify --replay wrote");
    let expected = serde_json::json!({
        "intact": true, "replayed": true, "records": status["seq"].as_u64().unwrap() + 1,
        "segments": null, "seq": status["seq"], "head": status["head"],
        "state_digest": status["state_digest"], "checkpoints_verified": 0,
        "macs_checked": false, "accounts": null, "index_checked": true,
        "index_not_checked": null, "snapshots_checked": 0, "damaged": null,
        "first_bad_record": null, "segment": null, "offset": null, "reason": null,
    });
    assert_eq!(verdict, expected);
    let sentence = bank.ok(&["verify", "--replay"]).stdout;
    assert_eq!(
        sentence.trim(),
        format!(
            "intact: {} records ({} bytes), head record {} {}, 0 checkpoint(s) verified (MACs \
             not checked (no --key-file)), replayed state digest {}, the index matches",
            expected["records"],
            status["journal_bytes"],
            status["seq"],
            status["head"].as_str().unwrap(),
            status["state_digest"].as_str().unwrap(),
        )
    );
}
