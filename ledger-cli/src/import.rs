//! `timebank import`: apply an export's records to the ledger in the data directory.
//!
//! Every line is checked before anything changes: sequence numbers count from 0, each `prev` is
//! the previous line's `hash`, times never go back, and each `hash` equals the hash of the record
//! rebuilt from the line's content. A new ledger is created from the genesis line's exact record
//! bytes (`Store::create_from_genesis`), never from a re-serialized policy. Records the ledger
//! already holds must be the same records
//! (same hashes) and are skipped, so importing twice changes nothing. The rest are journaled in
//! order at their own times, which rebuilds the same chain: the same head hash and state digest.

use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

use ledger_store::checkpoint::hex;
use ledger_store::journal::scan_frames;
use std::path::Path;

use ledger_store::{Error as StoreError, Status, Store, INDEX_DIR_NAME, JOURNAL_DIR_NAME};

use crate::cli::ImportArgs;
use crate::error::{corruption, CliError, CliResult};
use crate::export::{LineKind, RecordLine};
use crate::output::{out, print_json};
use crate::session::Session;

#[derive(Debug, Serialize)]
struct Imported {
    imported: u64,
    skipped: u64,
    seq: u64,
    head: String,
    state_digest: String,
}

/// Where an import into a new ledger is built (inside the data directory), until it is whole.
pub const IMPORT_STAGING_DIR_NAME: &str = "import.staging";

pub fn run(session: &Session, args: &ImportArgs) -> CliResult {
    let lines = read_lines(args)?;
    check_chain(session, &lines)?;
    let (status, imported, held) = match open_existing(session, &lines)? {
        Some((store, held)) => {
            let (status, imported) = apply_lines(&store, &lines, held)?;
            store.close()?;
            (status, imported, held)
        }
        None => {
            // The genesis record counts as held, as when a ledger is opened.
            let (status, imported) = import_new(session, &lines)?;
            (status, imported, 1)
        }
    };
    if session.json() {
        return print_json(&Imported {
            imported,
            skipped: held.min(lines.len()) as u64,
            seq: status.head_sequence,
            head: hex(&status.head_hash),
            state_digest: hex(&status.state_digest),
        });
    }
    out!(
        "imported {imported} record(s), skipped {} already held; head record {} {}, state \
         digest {}",
        held.min(lines.len()),
        status.head_sequence,
        hex(&status.head_hash),
        hex(&status.state_digest)
    )?;
    Ok(())
}

/// Journals the lines from `held` on, each checked to land with the export's hash and
/// sequence number. Returns the status after them and how many were journaled.
fn apply_lines(store: &Store, lines: &[RecordLine], held: usize) -> CliResult<(Status, u64)> {
    let mut imported = 0u64;
    for line in lines.iter().skip(held) {
        let sequence = match (&line.kind, &line.command) {
            (LineKind::Command, Some(command)) => {
                // In the record's own format version, so it lands with the export's hash.
                let who = line.attribution();
                let done = store.submit_in(command.clone(), who, line.now, line.version)?;
                if hex(&done.hash) != line.hash {
                    return Err(CliError::damaged(format!(
                        "record {} was journaled with hash {}, not the export's {}",
                        line.seq,
                        hex(&done.hash),
                        line.hash
                    )));
                }
                done.sequence
            }
            (LineKind::Checkpoint, _) => store.checkpoint_in(line.version)?.sequence + 1,
            _ => {
                return Err(CliError::damaged(format!(
                    "record {}: no content",
                    line.seq
                )))
            }
        };
        if sequence != line.seq {
            return Err(CliError::damaged(format!(
                "record {} was journaled as record {sequence}: another writer used the ledger",
                line.seq
            )));
        }
        imported += 1;
    }
    let status = store.status();
    let last = lines.last().map(|l| l.hash.clone()).unwrap_or_default();
    if imported > 0 && hex(&status.head_hash) != last {
        return Err(CliError::damaged(format!(
            "after the import the head is {}, not the export's {last}",
            hex(&status.head_hash)
        )));
    }
    Ok((status, imported))
}

/// Imports into a new ledger atomically: the whole ledger is built in `DIR/import.staging`,
/// closed, and moved into `DIR` with the journal's rename last. A crash before that rename
/// leaves no journal in `DIR` (and a staging directory the next import clears); after it, the
/// whole import. Returns the status and how many records were journaled after the genesis
/// record.
fn import_new(session: &Session, lines: &[RecordLine]) -> CliResult<(Status, u64)> {
    session.lock(true)?;
    let data = session.data();
    let staging = data.join(IMPORT_STAGING_DIR_NAME);
    let io = |what: &str, e: std::io::Error| CliError::io(format!("cannot {what}: {e}"));
    if staging.exists() {
        // What an interrupted import left: never a ledger anyone used.
        std::fs::remove_dir_all(&staging)
            .map_err(|e| io("clear an interrupted import's staging directory", e))?;
    }
    let genesis = &lines[0];
    // Checked by `check_chain`: the exact record the export's ledger began with.
    let (bytes, _) = genesis
        .rebuild()
        .ok_or_else(|| CliError::damaged("import record 0: no genesis record"))?;
    // The import replays times recorded elsewhere (perhaps by a simulation): no time guard.
    let store = Store::create_from_genesis(&staging, &bytes, session.simulation_options())?;
    if hex(&store.status().head_hash) != genesis.hash {
        return Err(CliError::damaged(
            "the new ledger's genesis record differs from the import's",
        ));
    }
    let (status, imported) = apply_lines(&store, lines, 1)?;
    store.close()?;
    publish(&staging, data).map_err(|e| io("move the imported ledger into place", e))?;
    Ok((status, imported))
}

/// Moves a whole ledger from `staging` into `data`: the index first, the journal last (the
/// rename that makes the ledger exist), then the directory is synced.
fn publish(staging: &Path, data: &Path) -> std::io::Result<()> {
    let index = data.join(INDEX_DIR_NAME);
    if index.exists() {
        std::fs::remove_dir_all(&index)?; // derived data of no ledger
    }
    std::fs::rename(staging.join(INDEX_DIR_NAME), &index)?;
    let journal = data.join(JOURNAL_DIR_NAME);
    if journal.exists() {
        // An unfinished creation's (nothing in it was ever acknowledged).
        std::fs::remove_dir_all(&journal)?;
    }
    std::fs::rename(staging.join(JOURNAL_DIR_NAME), &journal)?;
    std::fs::File::open(data)?.sync_all()?;
    std::fs::remove_dir_all(staging)
}

fn read_lines(args: &ImportArgs) -> CliResult<Vec<RecordLine>> {
    let source: Box<dyn Read> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(crate::input::open(&args.file, "the import file")?)
    };
    let mut lines = Vec::new();
    for (n, text) in BufReader::new(source).lines().enumerate() {
        let text = text.map_err(|e| CliError::io(format!("cannot read the import: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: RecordLine = serde_json::from_str(&text).map_err(|e| {
            CliError::usage(format!("line {}: not an export record line: {e}", n + 1))
        })?;
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(CliError::usage("the import holds no records"));
    }
    Ok(lines)
}

/// Checks the lines as a hash chain, and checkpoint MACs when the key is given.
fn check_chain(session: &Session, lines: &[RecordLine]) -> CliResult {
    let mut prev = "0".repeat(64);
    let mut now = 0u64;
    for (i, line) in lines.iter().enumerate() {
        let bad = |why: &str| CliError::damaged(format!("import record {}: {why}", line.seq));
        if line.seq != i as u64 {
            return Err(bad(&format!("expected sequence number {i}")));
        }
        if (i == 0) != (line.kind == LineKind::Genesis) {
            return Err(bad("only the first record is a genesis record"));
        }
        if line.prev != prev {
            return Err(bad("`prev` is not the previous record's hash"));
        }
        if line.now < now {
            return Err(bad("its time is before the previous record's"));
        }
        let (_, hash) = line
            .rebuild()
            .ok_or_else(|| bad("its content is missing or malformed"))?;
        if hex(&hash) != line.hash {
            return Err(bad("its hash does not match its content"));
        }
        if line.kind == LineKind::Checkpoint {
            let checkpoint = line
                .checkpoint()
                .ok_or_else(|| bad("malformed checkpoint"))?;
            match &session.key {
                None => {
                    return Err(CliError::usage(
                        "the import holds checkpoint records: pass --key-file with the key that \
                         signed them, so they can be journaled again",
                    ))
                }
                Some(key) if !checkpoint.verify_mac(key) => {
                    return Err(bad("its checkpoint MAC does not verify under this key"))
                }
                Some(_) => {}
            }
        }
        prev = line.hash.clone();
        now = line.now;
    }
    Ok(())
}

/// Opens the ledger, checking that it holds a prefix of the import (or the import is a prefix
/// of it), and returns it with how many of the lines it already holds; `None` when there is no
/// ledger yet (no journal, or one an interrupted creation left).
fn open_existing(session: &Session, lines: &[RecordLine]) -> CliResult<Option<(Store, usize)>> {
    if !session.has_journal() {
        return Ok(None);
    }
    let store = match session.try_open_with(session.simulation_options()) {
        Ok(store) => store,
        Err(StoreError::UnfinishedCreation(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let end = store.status().journal_bytes as usize;
    let mut bytes = session.journal_image()?.bytes;
    bytes.truncate(end);
    let scan = scan_frames(&bytes).map_err(|c| corruption(&c))?;
    for (line, &(offset, len)) in lines.iter().zip(&scan.frames) {
        let start = (offset + u64::from(len)) as usize - 32;
        if hex(&bytes[start..start + 32]) != line.hash {
            return Err(CliError::refused(format!(
                "refused: the ledger in {} differs from the import at record {}: it is another \
                 ledger's history",
                session.data().display(),
                line.seq
            )));
        }
    }
    Ok(Some((store, scan.frames.len())))
}
