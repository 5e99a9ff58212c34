//! What one system's run measured.

use std::time::Duration;

use benches::latency::Latencies;

/// The outcome of running the workload's measured batches through one system.
#[derive(Debug)]
pub struct Measurement {
    pub name: &'static str,
    /// What the system is, in a few words (printed under the table).
    pub about: &'static str,
    /// Events submitted (accepted or refused).
    pub transfers: usize,
    /// Events the system accepted (`None` where it does not validate).
    pub accepted: Option<usize>,
    /// From the first batch submitted to the last one done (for the store: durable and indexed).
    pub elapsed: Duration,
    pub batches: Latencies,
    /// Bytes the run added on disk (`None` for an in-memory system).
    pub disk_bytes: Option<u64>,
}

impl Measurement {
    pub fn transfers_per_s(&self) -> f64 {
        self.transfers as f64 / self.elapsed.as_secs_f64()
    }

    pub fn bytes_per_transfer(&self) -> Option<f64> {
        self.disk_bytes
            .map(|bytes| bytes as f64 / self.transfers as f64)
    }
}
