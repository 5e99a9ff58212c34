//! Writing snapshots from a running store (the file format and loading are in
//! [`crate::snapshot`]): on demand, after a checkpoint, at a clean close, and (on a thread of
//! its own) after a commit once a segment's worth of journal was written without one.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::snapshot::{self, SnapshotHeader, SnapshotWritten};
use crate::store::{lock, Store};
use crate::store_pipeline::Shared;

impl Store {
    /// Writes a snapshot of the state at the durable head now (see [`crate::snapshot`]).
    /// Commits pause while the state is encoded and its digest computed, not while the file is
    /// written and synced. Older snapshots beyond the newest [`snapshot::SNAPSHOTS_KEPT`] are
    /// removed.
    ///
    /// On `Ok`: the snapshot is durable. On `Err`: the ledger is unaffected (a snapshot is
    /// derived data); a half-written file may remain, which opening ignores and reports.
    /// `Err(ReadOnly)` on a read-only store.
    pub fn write_snapshot(&self) -> Result<SnapshotWritten> {
        write_snapshot_of(&self.shared)
    }

    /// Why the last snapshot a checkpoint, or a commit once a segment's worth of journal was
    /// written without one, tried to write was not written (`None` when it was, or none was
    /// due). [`Store::write_snapshot`] returns its own error instead.
    pub fn snapshot_failure(&self) -> Option<String> {
        lock(&self.shared.snapshot_failure).clone()
    }

    /// After a durable checkpoint: a snapshot when one is due. The checkpoint stands whatever
    /// happens here; a failure is kept for [`Store::snapshot_failure`].
    pub(crate) fn snapshot_after_checkpoint(&self) {
        if self.snapshot_due() {
            let failure = self.write_snapshot().err().map(|e| e.to_string());
            *lock(&self.shared.snapshot_failure) = failure;
        }
    }

    /// After a commit: a snapshot when a segment's worth of journal
    /// ([`crate::StoreOptions::segment_bytes`], or `snapshot_after_bytes` when larger) was
    /// written since the newest snapshot's record, so that a host that neither checkpoints nor
    /// closes cleanly still opens from a recent snapshot after a crash. It is written on a
    /// thread of its own, started by the caller whose commit made it due once that commit is
    /// durable: the caller has its answer at once, as the others do, and commits pause only
    /// while the state is encoded (at 100 M transfers the file is 300 MB, and writing and
    /// syncing it held that caller for seconds). One is written at a time; a failure is kept
    /// for [`Store::snapshot_failure`]; closing waits for it.
    pub(crate) fn snapshot_after_commit(&self) {
        let shared = &self.shared;
        let threshold = shared
            .options
            .segment_bytes
            .max(shared.options.snapshot_after_bytes);
        if !snapshot_due_after(shared, threshold)
            || shared.snapshot_writing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let mut snapshotter = lock(&self.snapshotter);
        // The last one cleared the flag as its thread ended.
        if let Some(done) = snapshotter.take() {
            let _ = done.join();
        }
        let writing = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("ledger-snapshot".into())
            .spawn(move || {
                // Due again under the flag: another snapshot may have just been written.
                if snapshot_due_after(&writing, threshold) {
                    let failure = write_snapshot_of(&writing).err().map(|e| e.to_string());
                    *lock(&writing.snapshot_failure) = failure;
                }
                writing.snapshot_writing.store(false, Ordering::Release);
            });
        match spawned {
            Ok(handle) => *snapshotter = Some(handle),
            Err(e) => {
                *lock(&shared.snapshot_failure) = Some(format!("no thread to write it: {e}"));
                shared.snapshot_writing.store(false, Ordering::Release);
            }
        }
    }

    /// At a clean close (the threads stopped, the index flushed): a snapshot when one is due.
    /// Should it fail, the next open starts from an older one, or replays the whole journal,
    /// and its report says so.
    pub(crate) fn snapshot_at_close(&self) {
        if self.snapshot_due() {
            let _ = self.write_snapshot();
        }
    }

    /// Whether [`crate::StoreOptions::snapshot_after_bytes`] of journal were written since the
    /// newest snapshot's record (never on a read-only or poisoned store).
    fn snapshot_due(&self) -> bool {
        snapshot_due_after(&self.shared, self.shared.options.snapshot_after_bytes)
    }
}

/// Writes a snapshot of the state at the durable head ([`Store::write_snapshot`]).
fn write_snapshot_of(shared: &Shared) -> Result<SnapshotWritten> {
    if shared.options.read_only {
        return Err(Error::ReadOnly);
    }
    let (header, state, covers) = {
        let _gate = lock(&shared.commit_gate);
        shared.wait_synced();
        shared.check_not_poisoned()?;
        let ledger = shared.ledger.read().unwrap_or_else(|e| e.into_inner());
        let head = *lock(&shared.durable);
        // Invariant: the syncer grows the tree before it moves the durable head, and a
        // tree holds the frontier of every size from where it was pruned.
        let frontier = lock(&shared.tree)
            .frontier(head.sequence + 1)
            .expect("the tree covers the durable head");
        let header = SnapshotHeader {
            sequence: head.sequence,
            record_hash: head.hash,
            state_digest: ledger.state_digest(),
            frontier,
        };
        (header, ledger_core::snapshot::encode(&ledger), head.len)
    };
    let io = &*shared.options.io;
    let written = snapshot::write(io, &shared.dir, &header, &state)?;
    shared.snapshot_covers.fetch_max(covers, Ordering::AcqRel);
    Ok(written)
}

/// Whether `bytes` of journal were written since the newest snapshot's record (never on a
/// read-only or poisoned store, nor when `bytes` is `u64::MAX`).
fn snapshot_due_after(shared: &Shared, bytes: u64) -> bool {
    if bytes == u64::MAX || shared.options.read_only || shared.poisoned.load(Ordering::Acquire) {
        return false;
    }
    let written = lock(&shared.durable).len;
    let covered = shared.snapshot_covers.load(Ordering::Acquire);
    written.saturating_sub(covered) >= bytes
}
