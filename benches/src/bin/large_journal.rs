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

use benches::fixture::ServiceStream;
use benches::workload::T0;
use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{Command, Ledger, Policy};
use ledger_store::file::{JournalIo, OsIo};
use ledger_store::journal::{write_durably, write_genesis, JournalWriter};
use ledger_store::outcome::outcome_of;
use ledger_store::{verify_dir, JOURNAL_FILE_NAME};

/// Records written with one sync (the sync is not what this measures).
const RECORDS_PER_WRITE: usize = 64;

fn write_journal(dir: &Path, transfers: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let io = OsIo;
    let mut file = io
        .create(&dir.join(JOURNAL_FILE_NAME))
        .map_err(|e| e.to_string())?;
    let policy = Policy::default_policy();
    let mut ledger = Ledger::with_policy(&policy).map_err(|e| e.to_string())?;
    let json = policy.to_json().into_bytes();
    let head = write_genesis(file.as_mut(), &json, T0).map_err(|e| e.to_string())?;
    let mut writer = JournalWriter::new(head);
    // Each record carries its outcome, so the engine runs every command (as the store does).
    let mut stage = |writer: &mut JournalWriter, now: u64, command: Command| {
        let now = writer.next_now(now);
        let reply = ledger.execute(&command, now).map_err(|e| e.to_string())?;
        let outcome = outcome_of(&command, &reply, &ledger);
        writer.stage_command(now, &command, &outcome);
        Ok::<(), String>(())
    };
    let mut stream = ServiceStream::new(2026);
    for chunk in stream.accounts().chunks(BATCH_EVENTS_MAX) {
        stage(&mut writer, T0, Command::CreateAccounts(chunk.to_vec()))?;
    }
    let (mut left, mut staged) = (transfers, 0);
    while left > 0 {
        let (batch, now) = stream.batch(left.min(BATCH_EVENTS_MAX));
        left -= batch.len();
        stage(&mut writer, now, Command::CreateTransfers(batch))?;
        staged += 1;
        if staged == RECORDS_PER_WRITE || left == 0 {
            let (group, _) = writer.take_staged();
            write_durably(file.as_mut(), &group).map_err(|e| e.to_string())?;
            staged = 0;
        }
    }
    Ok(())
}

fn run(dir: &Path, transfers: usize) -> Result<(), String> {
    if !dir.join(JOURNAL_FILE_NAME).exists() {
        let start = Instant::now();
        write_journal(dir, transfers)?;
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
