//! The raw disk limit: the store's own journal records for the measured batches, appended to a
//! plain file with one `fdatasync` per batch. No encoding, hashing or validation: only the write
//! and the sync the store cannot avoid.

use std::time::Instant;

use benches::latency::Latencies;
use benches::raw_append::RawAppender;
use benches::scratch_dir::ScratchDir;

use crate::measurement::Measurement;

/// `records`: one journal record per measured batch, as the store wrote it.
pub fn run(records: &[Vec<u8>], transfers: usize) -> Result<Measurement, String> {
    let dir = ScratchDir::new("compare-raw").map_err(|e| e.to_string())?;
    let mut file = RawAppender::create(&dir.path().join("raw.bin")).map_err(|e| e.to_string())?;
    let mut latencies = Latencies::with_capacity(records.len());
    let start = Instant::now();
    for record in records {
        let t = Instant::now();
        file.append_synced(record).map_err(|e| e.to_string())?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    Ok(Measurement {
        name: "raw append+fdatasync",
        about:
            "the store's journal bytes appended to a file, one fdatasync per batch (the disk limit)",
        transfers,
        accepted: None,
        elapsed,
        batches: latencies,
        disk_bytes: Some(file.len()),
    })
}
