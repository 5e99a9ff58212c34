//! The store's Merkle tree over its records, the proofs made from it and signed checkpoints
//! (`docs/FORMAT.md` §13-§15).

use ledger_core::{AccountId, TransferId};

use crate::checkpoint::hex;
use crate::error::{Corruption, CorruptionReason, Error, Result};
use crate::file::JournalIo;
use crate::journal::scan_frames;
use crate::journal_walk::{
    read_records, segment_files, stored_hashes, tree_of_first, FrameMarks, SegmentFile,
};
use crate::merkle::{Blocks, MerkleTree, TreeHash};
use crate::profile::CryptoProfile;
use crate::proof::{
    ConsistencyProof, InclusionProof, RecordProof, StatementProof, STATEMENT_RECORDS_MAX,
};
use crate::record::{Hash, HASH_BYTES, OFFSET_LENGTH};
use crate::signed_checkpoint::{CheckpointClaim, SignedCheckpoint, SigningKey};
use crate::store::{lock, JournalRead, Store, HISTORY_PAGE_MAX};

/// The store's Merkle tree keeps the nodes below blocks of `2^TREE_BLOCK_LEVELS` (1,024)
/// records only for the newest block: about 0.06 bytes per record instead of 64.
pub(crate) const TREE_BLOCK_LEVELS: usize = 10;

impl Store {
    // ---------------------------------------------------------------------------------------
    // The Merkle tree, proofs and signed checkpoints (`docs/FORMAT.md` §13-§15).

    /// The cryptographic profile the genesis record names.
    pub fn profile(&self) -> CryptoProfile {
        self.shared.profile
    }

    /// Records the tree covers now (at least the durable head's sequence + 1).
    pub fn tree_size(&self) -> u64 {
        lock(&self.shared.tree).size()
    }

    /// The Merkle root over records `0..size`, or `None` when the tree is smaller (or, the
    /// tree started from a snapshot, its records before it do not give the snapshot's
    /// frontier: see [`Store::inclusion_proof`]; or a block of records it reads does not give
    /// the root the tree holds for it).
    pub fn tree_root(&self, size: u64) -> Option<Hash> {
        let leaves = [size.saturating_sub(1)];
        self.tree_answer(&leaves, |tree, blocks| tree.root_with(size, blocks))
            .ok()
            .flatten()
    }

    /// What `answer` makes of the store's Merkle tree, which reaches leaves `leaves` (as
    /// [`MerkleTree::blocks_needed`] takes them). The tree keeps the nodes below its blocks of
    /// 1,024 records only for the newest block, and after an open from a snapshot only the
    /// frontier of the records before it: when `answer` needs more, the tree is made whole
    /// once (`make_tree_whole`), and the stored hashes of the older blocks it reaches are read
    /// from the segments (`journal_walk`) and checked against the roots the tree holds for them.
    ///
    /// On `Err(Corrupted)`: those records do not give the tree's nodes (the journal was changed
    /// since they were added). `Ok(None)`: `answer` gives none with every block it needs.
    pub(crate) fn tree_answer<T>(
        &self,
        leaves: &[u64],
        answer: impl Fn(&MerkleTree, &Blocks) -> Option<T>,
    ) -> Result<Option<T>> {
        let mut blocks = Blocks::new();
        // The tree grows meanwhile: a block that was the newest may fill and need reading too.
        for _ in 0..4 {
            let (needed, pruned) = {
                let tree = lock(&self.shared.tree);
                if let Some(answer) = answer(&tree, &blocks) {
                    return Ok(Some(answer));
                }
                let mut needed = tree.blocks_needed(leaves);
                needed.retain(|range| !blocks.holds(range));
                (needed, tree.pruned())
            };
            if pruned > 0 {
                self.make_tree_whole()?;
            }
            if needed.is_empty() && pruned == 0 {
                return Ok(None);
            }
            for range in needed {
                let hashes = stored_hashes(self.walker(), &self.segment_files()?, range.clone())?;
                let tree = lock(&self.shared.tree);
                let checked = tree.check_block(&mut blocks, range.clone(), &hashes);
                checked.map_err(|_| {
                    let why = format!(
                        "the stored hashes of records {} to {} do not give the Merkle \
                         tree's node over them: the journal was changed since they were written",
                        range.start,
                        range.end - 1
                    );
                    Error::from(Corruption {
                        segment: None,
                        sequence: range.start,
                        offset: 0,
                        reason: CorruptionReason::Replay(why),
                    })
                })?;
            }
        }
        Ok(answer(&lock(&self.shared.tree), &blocks))
    }

    /// Makes the Merkle tree whole after an open from a snapshot, which started it from the
    /// snapshot's frontier without reading the records before it, or after an open that read
    /// the journal in pieces and kept only its frontier: walks their frames in the
    /// segment files (`journal_walk`: their stored hashes, not the journal read whole), builds
    /// the tree of those records and grafts it on, once, when a root or proof first needs it.
    ///
    /// On `Err(Corrupted)`: those records do not give the frontier the snapshot holds (the
    /// journal before the snapshot, or the snapshot, was changed); the tree stays as it was.
    fn make_tree_whole(&self) -> Result<()> {
        let pruned = lock(&self.shared.tree).pruned();
        if pruned == 0 {
            return Ok(());
        }
        let empty = MerkleTree::new(self.shared.profile.tree_hash()).in_blocks(TREE_BLOCK_LEVELS);
        let prefix = tree_of_first(self.walker(), &self.segment_files()?, pruned, empty)?;
        let mut tree = lock(&self.shared.tree);
        if tree.pruned() == 0 {
            return Ok(()); // another request made it whole meanwhile
        }
        let grafted = tree.graft(&prefix);
        drop(tree);
        grafted.map_err(|_| {
            let last = pruned - 1;
            let why = match self.open_report().journal_read {
                JournalRead::Tail => format!(
                    "the Merkle tree of records 0 to {last} differs from the frontier the \
                     snapshot the store opened from holds: the journal before it, or the \
                     snapshot, was changed"
                ),
                _ => format!(
                    "the Merkle tree of records 0 to {last} differs from the frontier the store \
                     computed when it opened: the journal was changed since"
                ),
            };
            Corruption {
                segment: None,
                sequence: pruned - 1,
                offset: 0,
                reason: CorruptionReason::Replay(why),
            }
            .into()
        })
    }

    /// What a checkpoint of the durable head states: tree size (head sequence + 1), root, head
    /// hash, state digest and the head's time, all of one moment (as [`Store::status`]).
    pub fn checkpoint_claim(&self) -> CheckpointClaim {
        loop {
            let state = self.head_state();
            let tree_size = state.head.sequence + 1;
            // The tree holds every node of the root at any size in its newest block. The syncer
            // grows it just before it moves the durable head (with nothing between that can
            // fail), so only a group that has just filled a block leaves the head behind it in
            // an older block, for a moment: then wait for the head to move.
            if let Some(root) = lock(&self.shared.tree).root(tree_size) {
                return CheckpointClaim {
                    tree_size,
                    root,
                    head_hash: state.head.hash,
                    state_digest: state.state_digest,
                    time_ns: state.head.now,
                };
            }
            std::thread::yield_now();
        }
    }

    /// Signs a checkpoint of the durable head with `key`, which must be of the ledger's
    /// profile. Writes nothing: publish the returned line.
    ///
    /// On `Err(WrongProfile)`: the key is of the other profile; nothing was signed.
    pub fn sign_checkpoint(&self, key: &SigningKey) -> Result<SignedCheckpoint> {
        if key.profile() != self.shared.profile {
            return Err(Error::WrongProfile {
                ledger: self.shared.profile.name(),
                key: key.profile().name(),
            });
        }
        Ok(SignedCheckpoint::sign(&self.checkpoint_claim(), key))
    }

    /// The inclusion proof of record `sequence` in the tree of `tree_size` records.
    ///
    /// On `Err(NoProof)`: `sequence < tree_size <= tree_size()` does not hold. On
    /// `Err(Corrupted)`: records the proof reads do not give the tree's nodes.
    pub fn inclusion_proof(&self, sequence: u64, tree_size: u64) -> Result<Vec<Hash>> {
        let leaves = [sequence, tree_size.saturating_sub(1)];
        let proof = self.tree_answer(&leaves, |tree, blocks| {
            tree.inclusion_proof_with(sequence, tree_size, blocks)
        })?;
        proof.ok_or_else(|| {
            Error::NoProof(format!(
                "record {sequence} is not in a tree of {tree_size} records of the {} this ledger \
                 has",
                self.tree_size()
            ))
        })
    }

    /// The consistency proof from the tree of `old_size` records to that of `new_size`.
    ///
    /// On `Err(NoProof)`: `0 < old_size <= new_size <= tree_size()` does not hold. On
    /// `Err(Corrupted)`: records the proof reads do not give the tree's nodes.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>> {
        let leaves = [old_size.saturating_sub(1), new_size.saturating_sub(1)];
        let proof = self.tree_answer(&leaves, |tree, blocks| {
            tree.consistency_proof_with(old_size, new_size, blocks)
        })?;
        proof.ok_or_else(|| {
            Error::NoProof(format!(
                "no consistency proof from {old_size} to {new_size} records (the ledger has {})",
                self.tree_size()
            ))
        })
    }

    /// The bytes of the durable records `sequences`, in the order asked, each checked against
    /// its stored hash. Each is read on its own from its segment file, after a walk of that
    /// segment's frames up to it (`journal_walk`): what it costs is bounded by a segment, not
    /// by the journal.
    ///
    /// On `Err(NoProof)`: a sequence is beyond the durable head. On `Err(Corrupted)`: a record
    /// does not match its stored hash, or the frames before it in its segment do not follow
    /// each other.
    pub fn records(&self, sequences: &[u64]) -> Result<Vec<Vec<u8>>> {
        let head = *lock(&self.shared.durable);
        if let Some(beyond) = sequences.iter().find(|&&s| s > head.sequence) {
            return Err(Error::NoProof(format!(
                "record {beyond} is beyond the durable head {}",
                head.sequence
            )));
        }
        read_records(self.walker(), &self.segment_files()?, sequences)
    }

    /// What walks of the journal's frames read with, and the marks they leave.
    fn walker(&self) -> (&dyn JournalIo, &FrameMarks) {
        (&*self.shared.options.io, &self.shared.frame_marks)
    }

    /// The journal's segment files, their headers read.
    fn segment_files(&self) -> Result<Vec<SegmentFile>> {
        let options = &self.shared.options;
        segment_files(&*options.io, &self.shared.dir, &options.segments_from)
    }

    /// The tree size and root a proof is made against: `checkpoint`'s (after checking that its
    /// root is this ledger's at that size), or the durable head's.
    ///
    /// On `Err(NoProof)`: the checkpoint is beyond this ledger's head, or of another profile.
    /// On `Err(CheckpointMismatch)`: this ledger's tree of that size has another root: the
    /// checkpoint is of another ledger, or this one was rewritten since.
    fn proof_target(&self, checkpoint: Option<&SignedCheckpoint>) -> Result<(u64, Hash)> {
        let Some(checkpoint) = checkpoint else {
            let claim = self.checkpoint_claim();
            return Ok((claim.tree_size, claim.root));
        };
        if checkpoint.profile != self.shared.profile {
            return Err(Error::NoProof(format!(
                "the checkpoint is of the {} profile and this ledger of {}",
                checkpoint.profile.name(),
                self.shared.profile.name()
            )));
        }
        let head = lock(&self.shared.durable).sequence;
        let size = checkpoint.tree_size;
        let root = match size <= head + 1 {
            true => self.tree_answer(&[size.saturating_sub(1)], |t, b| t.root_with(size, b))?,
            false => None,
        }
        .ok_or_else(|| {
            Error::NoProof(format!(
                "the checkpoint covers {} records; this ledger has {}",
                checkpoint.tree_size,
                head + 1
            ))
        })?;
        if root != checkpoint.root {
            return Err(Error::CheckpointMismatch(format!(
                "this ledger's first {} records have root {}, the checkpoint says {}",
                checkpoint.tree_size,
                hex(&root),
                hex(&checkpoint.root)
            )));
        }
        Ok((checkpoint.tree_size, root))
    }

    /// The proof that the record which made `transfer` is in the tree `checkpoint` signs (or,
    /// without one, the tree of the durable head: the caller then signs or publishes the root).
    ///
    /// On `Err(NoProof)`: no such transfer, it came after the checkpoint, or the checkpoint is
    /// beyond this ledger's head or of another profile. On `Err(CheckpointMismatch)`: this
    /// ledger's tree of the checkpoint's size has another root. On `Err(Corrupted)`: a record
    /// the proof reads does not match its stored hash, or the tree's nodes over it. Otherwise:
    /// the index's and the journal's I/O errors.
    pub fn prove_inclusion(
        &self,
        transfer: TransferId,
        checkpoint: Option<SignedCheckpoint>,
    ) -> Result<InclusionProof> {
        let (tree_size, root) = self.proof_target(checkpoint.as_ref())?;
        let sequence = self
            .transfer_sequence(transfer)?
            .ok_or_else(|| Error::NoProof(format!("no transfer {}", transfer.get())))?;
        if sequence >= tree_size {
            return Err(Error::NoProof(format!(
                "transfer {} is in record {sequence}, after the checkpoint's {tree_size} records",
                transfer.get()
            )));
        }
        let path = self.inclusion_proof(sequence, tree_size)?;
        let record = self.records(&[sequence])?.remove(0);
        Ok(InclusionProof {
            profile: self.shared.profile,
            tree_size,
            root,
            checkpoint,
            transfer: Some(transfer.get()),
            record: RecordProof {
                leaf_index: sequence,
                record,
                path,
            },
        })
    }

    /// The proof that every record holding a transfer of `account` up to the checkpoint (or the
    /// durable head) is in its tree: the member's statement, checkable offline.
    ///
    /// On `Err(NoProof)`: the account has transfers in more than [`STATEMENT_RECORDS_MAX`]
    /// records before the checkpoint (prove them one by one with [`Store::prove_inclusion`]).
    /// Otherwise as [`Store::prove_inclusion`].
    pub fn prove_statement(
        &self,
        account: AccountId,
        checkpoint: Option<SignedCheckpoint>,
    ) -> Result<StatementProof> {
        let (tree_size, root) = self.proof_target(checkpoint.as_ref())?;
        let mut transfers = Vec::new();
        let mut sequences = std::collections::BTreeSet::new();
        let mut after = None;
        loop {
            self.wait_indexed()?;
            let page = self
                .shared
                .index
                .live()
                .history(account, after, HISTORY_PAGE_MAX + 1)?;
            let more = page.len() > HISTORY_PAGE_MAX;
            for id in page.iter().take(HISTORY_PAGE_MAX).map(|(_, e)| e.transfer) {
                let Some(sequence) = self.shared.index.live().transfer(id)? else {
                    continue;
                };
                if sequence < tree_size {
                    transfers.push((id.get(), sequence));
                    sequences.insert(sequence);
                }
            }
            if sequences.len() > STATEMENT_RECORDS_MAX {
                return Err(Error::NoProof(format!(
                    "account {} has transfers in more than {STATEMENT_RECORDS_MAX} records",
                    account.get()
                )));
            }
            match (more, page.get(HISTORY_PAGE_MAX - 1)) {
                (true, Some((lines, last))) => after = Some((*lines, last.timestamp)),
                _ => break,
            }
        }
        let sequences: Vec<u64> = sequences.into_iter().collect();
        let bytes = self.records(&sequences)?;
        let records = sequences
            .iter()
            .zip(bytes)
            .map(|(&leaf_index, record)| {
                Ok(RecordProof {
                    leaf_index,
                    record,
                    path: self.inclusion_proof(leaf_index, tree_size)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(StatementProof {
            profile: self.shared.profile,
            tree_size,
            root,
            checkpoint,
            account: account.get(),
            transfers,
            records,
        })
    }

    /// The proof that the tree `new` signs extends the tree `old` signs (both checked against
    /// this ledger as for [`Store::prove_inclusion`]).
    pub fn prove_consistency(
        &self,
        old: SignedCheckpoint,
        new: SignedCheckpoint,
    ) -> Result<ConsistencyProof> {
        let (old_size, old_root) = self.proof_target(Some(&old))?;
        let (new_size, new_root) = self.proof_target(Some(&new))?;
        Ok(ConsistencyProof {
            profile: self.shared.profile,
            old_size,
            new_size,
            old_root,
            new_root,
            path: self.consistency_proof(old_size, new_size)?,
            old_checkpoint: Some(old),
            new_checkpoint: Some(new),
        })
    }
}

/// The Merkle tree over the first `records` records of a verified journal image, kept in
/// blocks as the store keeps it: leaf *i* is record *i*'s stored hash (replay has checked it).
pub(crate) fn journal_tree(bytes: &[u8], records: u64, hash: TreeHash) -> Result<MerkleTree> {
    let scan = scan_frames(bytes)?;
    let mut tree = MerkleTree::new(hash).in_blocks(TREE_BLOCK_LEVELS);
    for &(offset, len) in scan.frames.iter().take(records as usize) {
        let end = (offset + u64::from(len)) as usize;
        tree.push(&bytes[end - HASH_BYTES..end]);
    }
    Ok(tree)
}

/// Adds the records of a durable group (whole records, back to back) to the tree.
pub(crate) fn grow_tree(tree: &mut MerkleTree, group: &[u8]) {
    let mut at = 0;
    while at < group.len() {
        // Invariant: the group holds whole records the writer framed itself.
        let len_bytes = &group[at + OFFSET_LENGTH..at + OFFSET_LENGTH + 4];
        let len = u32::from_le_bytes(len_bytes.try_into().expect("4 bytes")) as usize;
        tree.push(&group[at + len - HASH_BYTES..at + len]);
        at += len;
    }
}
