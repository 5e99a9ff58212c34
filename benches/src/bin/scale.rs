//! The journal at scale: writes (or reuses) a journal of N service transfers across the
//! fixture's accounts with the store's own writer (every record with its outcome), then times
//! `timebank verify`'s two modes and a replay through the engine, and prints one JSON object.
//!
//! `cargo run --release -p benches --bin scale -- --transfers N [--dir DIR]
//! [--segment-bytes BYTES] [--verify-runs R] [--verify-only] [--resident N] --json`
//!
//! With `--resident N` the journal's writer and every store opened here keep about N
//! transfers in memory (`StoreOptions::resident_transfers`, docs/FORMAT.md §16.4): the index
//! built by the first open holds the evicted ones, and the snapshot holds only what memory
//! does. `resident_transfers` echoes N (null without it), and `open_resident_transfers` is how
//! many transfers the open from the snapshot holds in memory. `replay` keeps every transfer in
//! memory either way; `verify_replay` keeps at most 32,768 and spills the others to scratch
//! files (`ledger_store::replay_spill`), as `timebank verify --replay` does.
//!
//! The journal is written in segments under `--segment-bytes` (default 256 MiB, the store's);
//! `segments` is how many there are, `journal_bytes` their records' bytes and `file_bytes` the
//! files' (segment headers included).
//! Without `--dir` the journal goes to a scratch directory that is removed afterwards. With it,
//! an existing journal there is reused (its transfer count is what it holds, not N).
//! `verify` is what `timebank verify` runs by default (`ledger_store::audit_ledger`: the file
//! read, frames, hashes, chain and every balance summed from the outcomes on two cores, without
//! the engine; and the sled index against those balances when `DIR` has one, which a journal
//! written here has not until the first run's open below builds it: `verify_index_checked`
//! says whether it was compared, and `verify_index_not_checked` why not, or null). With `--verify-runs R` the default verify runs R times
//! (`verify_runs_s`, every run; `verify_s` stays the first and `verify_median_s` is the median);
//! Then `verify_replay` times `verify_dir` in a child process of this binary (`--verify-replay
//! DIR`): the one replay `timebank verify --replay` runs (as `verify_dir_with_index`, before it
//! compares the index), every command replayed through the engine with its memory bounded;
//! `verify_replay_s`, `verify_replay_transfers_per_s` and `verify_replay_peak_rss_bytes` (the
//! child's peak resident memory, `VmHWM`, which holds the journal's image).
//! `--verify-only` stops there and prints `transfers` (as the audit counts them), `records`,
//! `journal_bytes`, `segments`, `write_s` and those fields alone. `replay` is the replay alone on
//! bytes in memory with every transfer kept; `audit` the audit alone.
//! `--no-replay` leaves out every figure that replays with every transfer in memory or reads
//! the journal into memory beside the store (`replay`, `audit`, `file_bytes`, and
//! `open_replay_s`, then null), so that a journal whose transfers do not fit in memory is
//! measured: the default verify, `verify_replay`, the index build, the snapshot and the open
//! from it.
//!
//! Then the ledger is opened as a store: the first open builds the sled index (`index_build_s`,
//! a full replay), times the state digest of the state in memory (`state_digest_s`: what a
//! checkpoint and an uncached `Store::status` compute while commits wait; `state_digest_v1_s`
//! the first digest, which checkpoints of record format 5 and before hold), writes a snapshot (`snapshot_write_s`, `snapshot_bytes`) and closes. Each
//! later open runs in a child process of this binary (`--open DIR [--no-snapshot]`), so its
//! resident memory is the open's alone: `open_s` opens from the snapshot (the index up to
//! date, no record after the snapshot), `open_rss_bytes` is the child's resident memory
//! (`VmRSS`) after that open, and `statement_last50_p99_us` the 99th percentile of
//! `Store::statement(account, from, 50)` over 1,000 random accounts, `from` being 50 lines
//! before the end of each one's statement (its last page of 50 lines). Then the child proves
//! the first transfer of each such page (`Store::prove_inclusion`, a member's proof of her
//! own transfer): `first_proof_s` is the first proof after the open (which also builds the
//! Merkle tree of the records before the snapshot), `proof_p99_ms` the 99th percentile of the
//! next 200, and `proof_peak_rss_bytes` the child's peak resident memory (`VmHWM`) after them.
//! `open_replay_s` opens with the snapshots moved aside (a full replay). `index_bytes` is the
//! size of the files under the index directory (`index.sled`) after the first open built the
//! index and the store closed (which flushes it), and `index_bytes_per_transfer` that over the
//! transfers. `index_payload` is what that index holds, per kind of key (docs/FORMAT.md §10:
//! `a`, `c`, `h`, `m`, `t`): `keys`, `bytes` (keys and values) and `per_transfer`; sled's
//! files take about twice their sum and more (its log, rewritten pages, segments it has not
//! cleaned).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use benches::journal_image::write_journal;
use benches::scratch_dir::ScratchDir;
use ledger_core::AccountId;
use ledger_store::audit_ledger::{audit_ledger, IndexCheck};
use ledger_store::index::Index;
use ledger_store::replay::replay;
use ledger_store::segment::{find_segments, read_journal};
use ledger_store::snapshot::SNAPSHOT_DIR_NAME;
use ledger_store::{verify_dir, OsIo, Store, StoreOptions, INDEX_DIR_NAME, SEGMENT_BYTES_DEFAULT};

struct Args {
    transfers: usize,
    dir: Option<PathBuf>,
    segment_bytes: u64,
    verify_runs: usize,
    verify_only: bool,
    no_replay: bool,
    resident: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut transfers, mut dir) = (None, None);
    let mut segment_bytes = SEGMENT_BYTES_DEFAULT;
    let (mut verify_runs, mut verify_only, mut no_replay) = (1, false, false);
    let mut resident = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--transfers" => {
                let n = args.next().ok_or("--transfers needs a number")?;
                transfers = Some(n.replace('_', "").parse().map_err(|_| format!("{n:?}"))?);
            }
            "--dir" => dir = Some(PathBuf::from(args.next().ok_or("--dir needs a path")?)),
            "--segment-bytes" => {
                let n = args.next().ok_or("--segment-bytes needs a number")?;
                segment_bytes = n.replace('_', "").parse().map_err(|_| format!("{n:?}"))?;
            }
            "--verify-runs" => {
                let n = args.next().ok_or("--verify-runs needs a number")?;
                verify_runs = n.parse().map_err(|_| format!("{n:?}"))?;
                if verify_runs == 0 {
                    return Err("--verify-runs needs at least 1".into());
                }
            }
            "--verify-only" => verify_only = true,
            "--no-replay" => no_replay = true,
            "--resident" => {
                let n = args.next().ok_or("--resident needs a number")?;
                resident = Some(n.replace('_', "").parse().map_err(|_| format!("{n:?}"))?);
            }
            "--json" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        transfers: transfers.ok_or(
            "usage: scale --transfers N [--dir DIR] [--segment-bytes BYTES] [--verify-runs R] \
             [--verify-only | --no-replay] [--resident N] --json",
        )?,
        dir,
        segment_bytes,
        verify_runs,
        verify_only,
        no_replay,
        resident,
    })
}

fn measure(dir: &Path, args: &Args) -> Result<String, String> {
    let mut write_s = None;
    let found = find_segments(&OsIo, dir, &[]).map_err(|e| e.to_string())?;
    if found.is_none_or(|f| f.is_empty()) {
        let start = Instant::now();
        write_journal(dir, args.transfers, args.segment_bytes, args.resident)?;
        write_s = Some(start.elapsed().as_secs_f64());
    }
    let write_s = write_s.map_or("null".into(), |s| format!("{s:.3}"));
    let mut runs = Vec::new();
    let mut verified = None;
    for _ in 0..args.verify_runs {
        let start = Instant::now();
        verified = Some(audit_ledger(dir, None, true).map_err(|e| e.to_string())?);
        runs.push(start.elapsed().as_secs_f64());
    }
    let verified = verified.expect("at least one verify run");
    let verify_s = runs[0];
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = match sorted.len() % 2 {
        1 => sorted[sorted.len() / 2],
        _ => (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0,
    };
    let runs_s: Vec<String> = runs.iter().map(|s| format!("{s:.3}")).collect();
    // Why the index was not compared (no index yet, behind the journal, not copyable), so a
    // `false` says which.
    let not_checked = match &verified.index {
        IndexCheck::Matches => "null".to_owned(),
        IndexCheck::NotChecked(why) => json_string(why),
    };
    let verify_fields = format!(
        "\"verify_s\":{verify_s:.3},\"verify_median_s\":{median:.3},\"verify_runs_s\":[{}],\
         \"verify_index_checked\":{},\"verify_index_not_checked\":{not_checked}",
        runs_s.join(","),
        verified.index == IndexCheck::Matches
    );
    let (replay_fields, replayed_records) = verify_replay_fields(dir, verified.transfers)?;
    if replayed_records != verified.records {
        return Err("the audit and verify_dir disagree on the records".into());
    }
    if args.verify_only {
        let per_s = |seconds: f64| (verified.transfers as f64 / seconds).round();
        return Ok(format!(
            "{{\"transfers\":{},\"records\":{},\"journal_bytes\":{},\"segments\":{},\
             \"write_s\":{write_s},{verify_fields},\"verify_transfers_per_s\":{},\
             \"verify_median_transfers_per_s\":{},{replay_fields}}}",
            verified.transfers,
            verified.records,
            verified.journal_bytes,
            verified.segments,
            per_s(verify_s),
            per_s(median),
        ));
    }
    if args.no_replay {
        let per_s = |seconds: f64| (verified.transfers as f64 / seconds).round();
        return Ok(format!(
            "{{\"transfers\":{},\"records\":{},\"journal_bytes\":{},\"bytes_per_transfer\":{:.2},\
             \"segments\":{},\"write_s\":{write_s},{verify_fields},\"verify_transfers_per_s\":{},\
             {replay_fields},{}}}",
            verified.transfers,
            verified.records,
            verified.journal_bytes,
            verified.journal_bytes as f64 / verified.transfers.max(1) as f64,
            verified.segments,
            per_s(verify_s),
            measure_open(dir, args.resident, false)?,
        ));
    }
    let image = read_journal(&OsIo, dir, &[]).map_err(|e| e.to_string())?;
    let file_bytes: u64 = image.segments.iter().map(|s| s.len).sum::<u64>()
        + image.segments.len() as u64 * ledger_store::SEGMENT_HEADER_BYTES as u64;
    let bytes = image.bytes;
    let start = Instant::now();
    let replayed =
        replay(&bytes, None, &mut |_| {}, &mut |_, _, _, _| {}).map_err(|e| e.to_string())?;
    let replay_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let audited = ledger_store::audit::audit(&bytes, None).map_err(|e| e.to_string())?;
    let audit_s = start.elapsed().as_secs_f64();
    if audited.records != verified.records {
        return Err("the audit and the default verify disagree on the records".into());
    }
    let held = replayed.ledger.transfer_count();
    let per_s = |seconds: f64| (held as f64 / seconds).round();
    Ok(format!(
        "{{\"transfers\":{held},\"records\":{},\"journal_bytes\":{},\"bytes_per_transfer\":{:.2},\
         \"segments\":{},\"file_bytes\":{file_bytes},\"write_s\":{write_s},{verify_fields},\"verify_transfers_per_s\":{},\
         {replay_fields},\"replay_s\":{replay_s:.3},\"replay_transfers_per_s\":{},\"audit_s\":{audit_s:.3},\
         \"audit_transfers_per_s\":{},{}}}",
        verified.records,
        verified.journal_bytes,
        verified.journal_bytes as f64 / held.max(1) as f64,
        verified.segments,
        per_s(verify_s),
        per_s(replay_s),
        per_s(audit_s),
        {
            drop(bytes);
            drop(replayed);
            measure_open(dir, args.resident, true)?
        },
    ))
}

/// The options of every store opened here.
fn store_options(resident: Option<usize>) -> StoreOptions {
    let options = StoreOptions::default()
        .any_time()
        .snapshot_after_bytes(u64::MAX);
    match resident {
        Some(n) => options.resident_transfers(n),
        None => options,
    }
}

/// Opens the store in `dir` (this process is the child `--open` runs), and prints
/// `open_s rss_bytes accounts p99_us used resident` (the p99 of the last-50 statement pages).
fn open_child(dir: &Path, resident: Option<usize>) -> Result<String, String> {
    let options = store_options(resident);
    let start = Instant::now();
    let store = Store::open(dir, options).map_err(|e| e.to_string())?;
    let open_s = start.elapsed().as_secs_f64();
    let rss = resident_bytes()?;
    let used = store.open_report().snapshots.used.is_some();
    let accounts: Vec<AccountId> = store.read(|l| {
        let mut ids: Vec<AccountId> = l.accounts().map(|a| a.id).collect();
        ids.sort_unstable();
        ids
    });
    let in_memory = store.read(|l| l.resident_transfer_count());
    // 1,000 accounts picked by a fixed xorshift, and how many lines each one's statement has,
    // so the page read is its last 50.
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut sample = BTreeMap::new();
    for _ in 0..1_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        sample.insert(accounts[(rng % accounts.len() as u64) as usize], 0usize);
    }
    for (account, lines) in sample.iter_mut() {
        *lines = store.statement_lines(*account).map_err(|e| e.to_string())?;
    }
    let mut micros = Vec::new();
    let mut proved = Vec::new();
    for (account, lines) in &sample {
        let from = lines.saturating_sub(50);
        let start = Instant::now();
        let page = store
            .statement(*account, from, 50)
            .map_err(|e| e.to_string())?;
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        proved.extend(page.lines.first().map(|line| line.transfer));
        std::hint::black_box(page);
    }
    micros.sort_by(f64::total_cmp);
    let p99 = micros[(micros.len() * 99).div_ceil(100) - 1];
    // A member's proof of a transfer of hers: the first after the open also builds the Merkle
    // tree of the records before the snapshot; the next 200 are timed for their p99.
    let mut proofs = Vec::new();
    for transfer in proved.iter().take(201) {
        let start = Instant::now();
        let proof = store
            .prove_inclusion(*transfer, None)
            .map_err(|e| e.to_string())?;
        proofs.push(start.elapsed().as_secs_f64());
        std::hint::black_box(proof);
    }
    let first_proof_s = proofs.first().copied().unwrap_or(f64::NAN);
    let mut later: Vec<f64> = proofs.iter().skip(1).map(|s| s * 1e3).collect();
    later.sort_by(f64::total_cmp);
    let proof_p99_ms = match later.len() {
        0 => f64::NAN,
        n => later[(n * 99).div_ceil(100) - 1],
    };
    let proof_rss = memory_field("VmHWM")?;
    store.close().map_err(|e| e.to_string())?;
    Ok(format!(
        "{open_s} {rss} {} {p99} {used} {in_memory} {first_proof_s} {proof_p99_ms} {proof_rss}",
        accounts.len()
    ))
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The bytes of the regular files under `path`, recursively.
fn dir_bytes(path: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += dir_bytes(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// This process's resident memory, from /proc/self/status (Linux).
fn resident_bytes() -> Result<u64, String> {
    memory_field("VmRSS")
}

/// A memory figure of this process's /proc/self/status (`VmRSS`, `VmHWM`: its peak), in bytes.
fn memory_field(name: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let line = status
        .lines()
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .ok_or(format!("no {name}"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or(format!("a {name} without a number"))?;
    Ok(kib * 1024)
}

/// Runs `verify_dir` on `dir` (this process is the child `--verify-replay` runs) and prints
/// `seconds peak_rss_bytes records`.
fn verify_replay_child(dir: &Path) -> Result<String, String> {
    let start = Instant::now();
    let report = verify_dir(dir, None, &mut |_| {}).map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(format!(
        "{seconds} {} {}",
        memory_field("VmHWM")?,
        report.records
    ))
}

/// `timebank verify --replay`'s replay, timed in a child process: the JSON fields
/// `verify_replay_s`, `verify_replay_transfers_per_s` (over `transfers`) and
/// `verify_replay_peak_rss_bytes`; and the records it replayed.
fn verify_replay_fields(dir: &Path, transfers: u64) -> Result<(String, u64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .arg("--verify-replay")
        .arg(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parse_err = || format!("the verify child printed {text:?}");
    let words: Vec<&str> = text.split_whitespace().collect();
    let [seconds, peak, records] = words[..] else {
        return Err(parse_err());
    };
    let seconds: f64 = seconds.parse().map_err(|_| parse_err())?;
    let peak: u64 = peak.parse().map_err(|_| parse_err())?;
    let fields = format!(
        "\"verify_replay_s\":{seconds:.3},\"verify_replay_transfers_per_s\":{},\
         \"verify_replay_peak_rss_bytes\":{peak}",
        (transfers as f64 / seconds).round()
    );
    Ok((fields, records.parse().map_err(|_| parse_err())?))
}

/// What a child's open measured.
struct Opened {
    open_s: f64,
    rss: u64,
    accounts: u64,
    p99: f64,
    /// Whether it started from a snapshot.
    used: bool,
    /// Transfers in memory after it.
    in_memory: u64,
    first_proof_s: f64,
    proof_p99_ms: f64,
    proof_peak_rss: u64,
}

/// Runs `--open dir [resident]` in a child process.
fn open_in_child(dir: &Path, resident: Option<usize>) -> Result<Opened, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe);
    child.arg("--open").arg(dir);
    if let Some(n) = resident {
        child.arg(n.to_string());
    }
    let out = child.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    let parse_err = || format!("the open child printed {text:?}");
    match words[..] {
        [open_s, rss, accounts, p99, used, in_memory, first_proof_s, proof_p99_ms, proof_rss] => {
            Ok(Opened {
                first_proof_s: first_proof_s.parse().map_err(|_| parse_err())?,
                proof_p99_ms: proof_p99_ms.parse().map_err(|_| parse_err())?,
                proof_peak_rss: proof_rss.parse().map_err(|_| parse_err())?,
                open_s: open_s.parse().map_err(|_| parse_err())?,
                rss: rss.parse().map_err(|_| parse_err())?,
                accounts: accounts.parse().map_err(|_| parse_err())?,
                p99: p99.parse().map_err(|_| parse_err())?,
                used: used == "true",
                in_memory: in_memory.parse().map_err(|_| parse_err())?,
            })
        }
        _ => Err(parse_err()),
    }
}

/// The store figures: the index built, a snapshot written, the opens timed in children (the
/// open by full replay only when `full_replay`).
fn measure_open(dir: &Path, resident: Option<usize>, full_replay: bool) -> Result<String, String> {
    let options = store_options(resident);
    let start = Instant::now();
    let store = Store::open(dir, options).map_err(|e| e.to_string())?;
    let index_build_s = start.elapsed().as_secs_f64();
    let transfers = store.status().transfers as u64;
    // What a checkpoint and an uncached status compute while commits wait: the state digest,
    // beside the first digest (format 5 and before), which read every transfer.
    let timed = |digest: fn(&ledger_core::Ledger) -> Option<[u8; 32]>| {
        let start = Instant::now();
        std::hint::black_box(store.read(digest));
        start.elapsed().as_secs_f64()
    };
    let state_digest_s = timed(|ledger| Some(ledger.state_digest()));
    let state_digest_v1_s = timed(ledger_core::Ledger::state_digest_v1);
    let start = Instant::now();
    let written = store.write_snapshot().map_err(|e| e.to_string())?;
    let snapshot_write_s = start.elapsed().as_secs_f64();
    // Closing flushes the index: its directory's size is then what it keeps on disk.
    store.close().map_err(|e| e.to_string())?;
    let index_bytes = dir_bytes(&dir.join(INDEX_DIR_NAME)).map_err(|e| e.to_string())?;
    let index_payload = index_payload(&dir.join(INDEX_DIR_NAME), transfers)?;
    let opened = open_in_child(dir, resident)?;
    if !opened.used {
        return Err("the open did not start from the snapshot".into());
    }
    let open_replay_s = match full_replay {
        false => "null".to_owned(),
        true => {
            let snapshots = dir.join(SNAPSHOT_DIR_NAME);
            let aside = dir.join("snapshots.aside");
            std::fs::rename(&snapshots, &aside).map_err(|e| e.to_string())?;
            let replayed = open_in_child(dir, resident);
            std::fs::rename(&aside, &snapshots).map_err(|e| e.to_string())?;
            let replayed = replayed?;
            if replayed.used {
                return Err("the open without snapshots used one".into());
            }
            format!("{:.3}", replayed.open_s)
        }
    };
    let Opened {
        open_s,
        rss,
        accounts,
        p99,
        in_memory,
        first_proof_s,
        proof_p99_ms,
        proof_peak_rss,
        ..
    } = opened;
    let resident = resident.map_or("null".into(), |n| n.to_string());
    Ok(format!(
        "\"index_build_s\":{index_build_s:.3},\"state_digest_s\":{state_digest_s:.4},\
         \"state_digest_v1_s\":{state_digest_v1_s:.4},\"snapshot_write_s\":{snapshot_write_s:.3},\
         \"snapshot_bytes\":{},\"open_s\":{open_s:.3},\"open_replay_s\":{open_replay_s},\
         \"open_rss_bytes\":{rss},\"accounts\":{accounts},\"statement_last50_p99_us\":{p99:.1},\
         \"index_bytes\":{index_bytes},\"index_bytes_per_transfer\":{:.1},\
         \"index_payload\":{index_payload},\
         \"resident_transfers\":{resident},\"open_resident_transfers\":{in_memory},\
         \"first_proof_s\":{first_proof_s:.3},\"proof_p99_ms\":{proof_p99_ms:.2},\
         \"proof_peak_rss_bytes\":{proof_peak_rss}",
        written.bytes,
        index_bytes as f64 / transfers.max(1) as f64,
    ))
}

/// What the index holds per kind of key, as a JSON object: for each kind (its first byte as a
/// letter) its keys, their bytes (keys and values) and those bytes over the transfers.
fn index_payload(path: &Path, transfers: u64) -> Result<String, String> {
    let index = Index::open(path).map_err(|e| e.to_string())?;
    let kinds = index.live().payload_by_kind().map_err(|e| e.to_string())?;
    let kinds: Vec<String> = kinds
        .iter()
        .map(|&(kind, keys, bytes)| {
            format!(
                "\"{}\":{{\"keys\":{keys},\"bytes\":{bytes},\"per_transfer\":{:.1}}}",
                char::from(kind).escape_default(),
                bytes as f64 / transfers.max(1) as f64
            )
        })
        .collect();
    Ok(format!("{{{}}}", kinds.join(",")))
}

fn main() -> ExitCode {
    let mut raw = std::env::args().skip(1);
    let first = raw.next();
    if first.as_deref() == Some("--verify-replay") {
        let result = match raw.next() {
            None => Err("--verify-replay needs a directory".to_owned()),
            Some(dir) => verify_replay_child(Path::new(&dir)),
        };
        return match result {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("scale --verify-replay: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if first.as_deref() == Some("--open") {
        let dir = raw.next();
        let resident = raw.next().map(|n| n.parse::<usize>());
        let result = match (dir, resident) {
            (None, _) => Err("--open needs a directory".to_owned()),
            (Some(_), Some(Err(e))) => Err(format!("--open DIR [RESIDENT]: {e}")),
            (Some(dir), resident) => open_child(Path::new(&dir), resident.and_then(Result::ok)),
        };
        return match result {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("scale --open: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let result = parse().and_then(|args| match &args.dir {
        Some(dir) => measure(dir, &args),
        None => {
            let scratch = ScratchDir::new("scale").map_err(|e| e.to_string())?;
            measure(scratch.path(), &args)
        }
    });
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scale: {e}");
            ExitCode::FAILURE
        }
    }
}
