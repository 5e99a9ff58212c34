//! `kill -9` at random moments of `init`, `import` and `rebuild-index`.
//!
//! A kill early in `init` or `import` once left an empty journal that every later run called
//! damage ("no complete genesis record") while `init` said a ledger existed; a kill early in
//! `rebuild-index` once left a half-cleared index marked current, which `verify` then blamed
//! on the journal. Now creation is all or nothing and a rebuild swaps in a whole index. Each
//! case checks: no acknowledged commit lost, no panic, the documented exit code, and `verify`
//! passes (or, had anything been damaged, blames the right part).
//!
//! A short run by default; `TIMEBANK_LONG=1` kills each command 100 times.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{run_in, Run, START};

fn kills() -> u64 {
    match std::env::var("TIMEBANK_LONG").as_deref() {
        Ok("1") => 100,
        _ => 6,
    }
}

fn spawn(data: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_timebank"))
        .arg("--data")
        .arg(data)
        .arg("--at")
        .arg(START)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the timebank binary runs")
}

/// How long a whole run of `args` takes here (to spread the kills over it).
fn duration_of(data: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = spawn(data, args).wait().unwrap();
    assert!(status.success(), "timebank {args:?} failed on its own");
    started.elapsed()
}

/// Starts `args` and kills it (SIGKILL) after a fraction of `whole` that kill `i` picks,
/// spread a little beyond the whole run so some kills come after it ends.
fn kill_during(data: &Path, args: &[&str], whole: Duration, i: u64) {
    let mut child = spawn(data, args);
    // A fixed pseudo-random spread (a Weyl sequence): reproducible, covering the run.
    let fraction = ((i * 0x9E37_79B9) % 1000) as f64 / 1000.0 * 1.2;
    std::thread::sleep(whole.mul_f64(fraction));
    let _ = child.kill();
    let _ = child.wait();
}

fn no_panic(run: &Run, what: &str) {
    assert_ne!(run.code, 101, "{what} panicked: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn a_kill_during_init_leaves_no_ledger_or_a_whole_one() {
    let root = tempfile::tempdir().unwrap();
    let whole = duration_of(&root.path().join("probe"), &["init"]);
    let (mut whole_ledgers, mut none) = (0, 0);
    for i in 0..kills() {
        let data = root.path().join(format!("ledger-{i}"));
        kill_during(&data, &["init"], whole, i);
        let status = run_in(&data, START, &["--json", "status"]);
        no_panic(&status, "status after a killed init");
        match status.code {
            0 => {
                whole_ledgers += 1;
                assert_eq!(json(&status)["seq"], 0);
                let again = run_in(&data, START, &["init"]);
                assert_eq!(again.code, 2, "init over a whole ledger: {again:?}");
            }
            3 => {
                none += 1;
                // Named, and cleared by the command it names.
                assert!(status.stderr.contains("timebank init"), "{}", status.stderr);
                let again = run_in(&data, START, &["init"]);
                assert_eq!(again.code, 0, "init after a killed init: {again:?}");
            }
            other => panic!("status after a killed init exited {other}: {status:?}"),
        }
        let verify = run_in(&data, START, &["verify"]);
        assert_eq!(verify.code, 0, "{verify:?}");
    }
    eprint_counts("init", whole_ledgers, none);
}

/// An export of a small simulated ledger, and its head hash.
fn export_file(root: &Path) -> (std::path::PathBuf, String) {
    let source = root.join("source");
    let sim = run_in(
        &source,
        START,
        &["simulate", "--days", "6", "--communities", "6"],
    );
    assert_eq!(sim.code, 0, "{sim:?}");
    let file = root.join("export.jsonl");
    let export = run_in(&source, START, &["export", "--out", file.to_str().unwrap()]);
    assert_eq!(export.code, 0, "{export:?}");
    let head = json(&run_in(&source, START, &["--json", "status"]))["head"]
        .as_str()
        .unwrap()
        .to_owned();
    (file, head)
}

#[test]
fn a_kill_during_an_import_into_a_new_directory_leaves_nothing_or_the_whole_import() {
    let root = tempfile::tempdir().unwrap();
    let (file, head) = export_file(root.path());
    let file = file.to_str().unwrap();
    let whole = duration_of(&root.path().join("probe"), &["import", file]);
    let (mut whole_ledgers, mut none) = (0, 0);
    for i in 0..kills() {
        let data = root.path().join(format!("ledger-{i}"));
        kill_during(&data, &["import", file], whole, i);
        let status = run_in(&data, START, &["--json", "status"]);
        no_panic(&status, "status after a killed import");
        match status.code {
            // Never a part of the import: all of it or none.
            0 => {
                whole_ledgers += 1;
                assert_eq!(json(&status)["head"], head.as_str());
            }
            3 => {
                none += 1;
                assert!(status.stderr.contains("timebank"), "{}", status.stderr);
            }
            other => panic!("status after a killed import exited {other}: {status:?}"),
        }
        // The same import again finishes it (or changes nothing).
        let again = run_in(&data, START, &["--json", "import", file]);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(json(&again)["head"], head.as_str());
        let verify = run_in(&data, START, &["verify"]);
        assert_eq!(verify.code, 0, "{verify:?}");
    }
    eprint_counts("import", whole_ledgers, none);
}

#[test]
fn a_kill_during_rebuild_index_loses_nothing_and_the_index_is_never_blamed_falsely() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("ledger");
    let sim = run_in(
        &data,
        START,
        &["simulate", "--days", "6", "--communities", "6"],
    );
    assert_eq!(sim.code, 0, "{sim:?}");
    let before = json(&run_in(&data, START, &["--json", "status"]));
    let whole = duration_of(&data, &["rebuild-index"]);
    for i in 0..kills() {
        kill_during(&data, &["rebuild-index"], whole, i);
        let status = run_in(&data, START, &["--json", "status"]);
        no_panic(&status, "status after a killed rebuild-index");
        assert_eq!(status.code, 0, "{status:?}");
        let after = json(&status);
        // Every acknowledged commit is still there: the same head and state.
        for field in ["seq", "head", "state_digest", "transfers"] {
            assert_eq!(after[field], before[field], "{field} after kill {i}");
        }
        let verify = run_in(&data, START, &["--json", "verify"]);
        assert_eq!(verify.code, 0, "verify after kill {i}: {verify:?}");
        assert_eq!(json(&verify)["index_checked"], true);
    }
}

/// How the kills fell, for whoever reads the test output (`--nocapture`).
fn eprint_counts(what: &str, whole: u64, none: u64) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "killed {what}: {whole} left a whole ledger, {none} left none"
    );
}
