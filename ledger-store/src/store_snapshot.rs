//! Writing snapshots from a running store (the file format and loading are in
//! [`crate::snapshot`]): on demand, after a checkpoint, at a clean close, and after a commit
//! once a segment's worth of journal was written without one.

use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::snapshot::{self, SnapshotHeader, SnapshotWritten};
use crate::store::{lock, Store};

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
        if self.shared.options.read_only {
            return Err(Error::ReadOnly);
        }
        let (header, state, covers) = {
            let _gate = lock(&self.shared.commit_gate);
            self.wait_synced();
            self.check_not_poisoned()?;
            let ledger = self.ledger();
            let head = *lock(&self.shared.durable);
            // Invariant: the syncer grows the tree before it moves the durable head, and a
            // tree holds the frontier of every size from where it was pruned.
            let frontier = lock(&self.shared.tree)
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
        let io = &*self.shared.options.io;
        let written = snapshot::write(io, &self.shared.dir, &header, &state)?;
        self.shared
            .snapshot_covers
            .fetch_max(covers, Ordering::AcqRel);
        Ok(written)
    }

    /// Why the snapshot the last checkpoint tried to write was not written (`None` when it
    /// was, or none was due).
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
    /// written since the newest snapshot's record, written by this commit's caller after its
    /// record is durable, so that a host that neither checkpoints nor closes cleanly still
    /// opens from a recent snapshot after a crash. One caller at a time writes it (the others
    /// go on); a failure is kept for [`Store::snapshot_failure`].
    pub(crate) fn snapshot_after_commit(&self) {
        let shared = &self.shared;
        let options = &shared.options;
        if !self.snapshot_due_after(options.segment_bytes.max(options.snapshot_after_bytes)) {
            return;
        }
        if shared.snapshot_writing.swap(true, Ordering::AcqRel) {
            return;
        }
        // Due again under the flag: another caller may have just written one.
        if self.snapshot_due_after(options.segment_bytes.max(options.snapshot_after_bytes)) {
            let failure = self.write_snapshot().err().map(|e| e.to_string());
            *lock(&shared.snapshot_failure) = failure;
        }
        shared.snapshot_writing.store(false, Ordering::Release);
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
        self.snapshot_due_after(self.shared.options.snapshot_after_bytes)
    }

    /// Whether `bytes` of journal were written since the newest snapshot's record (never on a
    /// read-only or poisoned store, nor when `bytes` is `u64::MAX`).
    fn snapshot_due_after(&self, bytes: u64) -> bool {
        let shared = &self.shared;
        if bytes == u64::MAX || shared.options.read_only || shared.poisoned.load(Ordering::Acquire)
        {
            return false;
        }
        let written = lock(&shared.durable).len;
        let covered = shared.snapshot_covers.load(Ordering::Acquire);
        written.saturating_sub(covered) >= bytes
    }
}
