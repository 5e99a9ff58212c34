//! The journal at scale: writes (or reuses) a journal of N service transfers across the
//! fixture's accounts with the store's own writer (every record with its outcome), then times
//! `timebank verify`'s two modes and a replay through the engine, and prints one JSON object.
//!
//! `cargo run --release -p benches --bin scale -- --transfers N [--dir DIR]
//! [--segment-bytes BYTES] --json`
//!
//! The journal is written in segments under `--segment-bytes` (default 256 MiB, the store's);
//! `segments` is how many there are, `journal_bytes` their records' bytes and `file_bytes` the
//! files' (segment headers included).
//! Without `--dir` the journal goes to a scratch directory that is removed afterwards. With it,
//! an existing journal there is reused (its transfer count is what it holds, not N).
//! `verify` is what `timebank verify` runs by default (`ledger_store::audit_ledger`: the file
//! read, frames, hashes, chain and every balance summed from the outcomes on two cores, without
//! the engine; the journal written here has no index to compare). `verify_replay` is
//! `verify_dir`, the one replay `timebank verify --replay` runs (as `verify_dir_with_index`,
//! before it compares the index): every command replayed through the engine. `replay` is the replay alone on bytes in memory; `audit` the audit alone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use benches::journal_image::write_journal;
use benches::scratch_dir::ScratchDir;
use ledger_store::audit_ledger::audit_ledger;
use ledger_store::replay::replay;
use ledger_store::segment::{find_segments, read_journal};
use ledger_store::{verify_dir, OsIo, SEGMENT_BYTES_DEFAULT};

struct Args {
    transfers: usize,
    dir: Option<PathBuf>,
    segment_bytes: u64,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut transfers, mut dir) = (None, None);
    let mut segment_bytes = SEGMENT_BYTES_DEFAULT;
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
            "--json" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        transfers: transfers
            .ok_or("usage: scale --transfers N [--dir DIR] [--segment-bytes BYTES] --json")?,
        dir,
        segment_bytes,
    })
}

fn measure(dir: &Path, transfers: usize, segment_bytes: u64) -> Result<String, String> {
    let mut write_s = None;
    let found = find_segments(&OsIo, dir, &[]).map_err(|e| e.to_string())?;
    if found.is_none_or(|f| f.is_empty()) {
        let start = Instant::now();
        write_journal(dir, transfers, segment_bytes)?;
        write_s = Some(start.elapsed().as_secs_f64());
    }
    let start = Instant::now();
    let verified = audit_ledger(dir, None, true).map_err(|e| e.to_string())?;
    let verify_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let report = verify_dir(dir, None, &mut |_| {}).map_err(|e| e.to_string())?;
    let verify_replay_s = start.elapsed().as_secs_f64();
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
    if audited.records != report.records || verified.records != report.records {
        return Err("the audit and verify_dir disagree on the records".into());
    }
    let held = replayed.ledger.transfer_count();
    let per_s = |seconds: f64| (held as f64 / seconds).round();
    Ok(format!(
        "{{\"transfers\":{held},\"records\":{},\"journal_bytes\":{},\"bytes_per_transfer\":{:.2},\
         \"segments\":{},\"file_bytes\":{file_bytes},\"write_s\":{},\"verify_s\":{verify_s:.3},\"verify_transfers_per_s\":{},\
         \"verify_replay_s\":{verify_replay_s:.3},\"verify_replay_transfers_per_s\":{},\
         \"replay_s\":{replay_s:.3},\"replay_transfers_per_s\":{},\"audit_s\":{audit_s:.3},\
         \"audit_transfers_per_s\":{}}}",
        report.records,
        report.journal_bytes,
        report.journal_bytes as f64 / held.max(1) as f64,
        verified.segments,
        write_s.map_or("null".into(), |s| format!("{s:.3}")),
        per_s(verify_s),
        per_s(verify_replay_s),
        per_s(replay_s),
        per_s(audit_s),
    ))
}

fn main() -> ExitCode {
    let result = parse().and_then(|args| match &args.dir {
        Some(dir) => measure(dir, args.transfers, args.segment_bytes),
        None => {
            let scratch = ScratchDir::new("scale").map_err(|e| e.to_string())?;
            measure(scratch.path(), args.transfers, args.segment_bytes)
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
