//! Measures verification of a large journal without building a store first: writes a journal of
//! `<transfers>` service records (the fixture's accounts and batches, with the store's own
//! journal writer) into `<dir>` unless one is there, then times `verify_dir` on it once.
//!
//! Building a store of 10 M transfers through `Store` is bound by its sled index (and its memory);
//! writing the journal directly gives the same bytes a store would have written, so verification
//! and replay (most of what reopening does) can be measured at that size.
//!
//! `cargo run --release -p benches --bin large_journal -- /tmp/journal-10m 10000000`

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use benches::journal_image::write_journal;
use ledger_store::segment::find_segments;
use ledger_store::{verify_dir, OsIo, SEGMENT_BYTES_DEFAULT};

fn run(dir: &Path, transfers: usize) -> Result<(), String> {
    let found = find_segments(&OsIo, dir, &[]).map_err(|e| e.to_string())?;
    if found.is_none_or(|f| f.is_empty()) {
        let start = Instant::now();
        write_journal(dir, transfers, SEGMENT_BYTES_DEFAULT, None)?;
        println!("wrote {transfers} transfers in {:.2?}", start.elapsed());
    }
    let start = Instant::now();
    let report = verify_dir(dir, None, &mut |_| {}).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    println!(
        "verify_dir: {} records, {} journal bytes, {elapsed:.2?}: {:.2} M transfers/s, {:.0} records/s",
        report.records,
        report.journal_bytes,
        transfers as f64 / elapsed.as_secs_f64() / 1e6,
        report.records as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(transfers)) = (args.next(), args.next()) else {
        eprintln!("usage: large_journal <dir> <transfers>");
        return ExitCode::from(2);
    };
    let Ok(transfers) = transfers.replace('_', "").parse::<usize>() else {
        eprintln!("large_journal: {transfers:?} is not a number of transfers");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir), transfers) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("large_journal: {e}");
            ExitCode::FAILURE
        }
    }
}
