//! A journal of service transfers written without a store: the same bytes a store writes (the
//! engine runs every command, so each record carries its outcome), without the sled index that
//! bounds a store's write speed at tens of millions of transfers.

use std::path::Path;

use ledger_core::history::HISTORY_CHUNK_TRANSFERS;
use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{Command, Ledger, Policy};
use std::sync::Arc;

use ledger_store::file::OsIo;
use ledger_store::journal::{genesis_record, write_durably, JournalWriter};
use ledger_store::outcome::outcome_of;
use ledger_store::segment::SegmentedFile;

use timebank_workload::service_stream::ServiceStream;
use timebank_workload::T0;

/// Records written with one sync (the sync is not what this measures).
const RECORDS_PER_WRITE: usize = 64;

/// Writes the journal segments of `dir` (each under `segment_bytes`): the fixture's accounts,
/// then `transfers` service transfers in full batches. With `resident`, the writer's engine
/// keeps about that many transfers in memory (it evicts the older ones and forgets them: no
/// later command of this stream names an earlier transfer), so memory does not grow with N.
pub fn write_journal(
    dir: &Path,
    transfers: usize,
    segment_bytes: u64,
    resident: Option<usize>,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let policy = Policy::default_policy();
    let mut ledger = Ledger::with_policy(&policy).map_err(|e| e.to_string())?;
    let json = policy.to_json().into_bytes();
    let (genesis, head) = genesis_record(&json, T0);
    let mut file = SegmentedFile::create(Arc::new(OsIo), dir, &genesis, head.hash, segment_bytes)
        .map_err(|e| e.to_string())?;
    let mut writer = JournalWriter::new(head);
    // Each record carries its outcome, so the engine runs every command (as the store does).
    let mut stage = |writer: &mut JournalWriter, now: u64, command: Command| {
        let now = writer.next_now(now);
        // Every id of the stream is new: one the filter of evicted ids names was never applied.
        for id in ledger.transfers_to_load(&command, now) {
            ledger.load_absent(id);
        }
        let reply = ledger.execute(&command, now).map_err(|e| e.to_string())?;
        let outcome = outcome_of(&command, &reply, &ledger);
        writer.stage_command(now, &command, &outcome);
        if let Some(keep) = resident {
            if ledger.resident_transfer_count() >= 2 * keep.max(HISTORY_CHUNK_TRANSFERS) {
                drop(ledger.evict_transfers(keep));
            }
        }
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
            write_durably(&mut file, &group).map_err(|e| e.to_string())?;
            staged = 0;
        }
    }
    Ok(())
}
