//! The Merkle tree over the journal, in the shape of RFC 9162 §2.1 (Certificate Transparency
//! 2.0): leaf *i* is the hash of journal record *i*, so a tree of size *n* covers records
//! 0..*n*. It gives two short proofs against a root a verifier already trusts (from a signed
//! checkpoint): that a record is in the tree (inclusion, about log2 *n* hashes) and that a later
//! tree extends an earlier one (consistency).
//!
//! Leaves are record hashes rather than transfers: a record hash already commits to every byte
//! of its record and, through `prev_hash`, to the chain, whatever the record's body holds; the
//! tree so stays independent of the record format, and a proof of a transfer is the inclusion of
//! its record plus the record's bytes, which the verifier hashes and decodes itself.
//!
//! ```text
//! leaf hash     = H(0x00 || record hash)
//! interior node = H(0x01 || left || right)
//! MTH({})       = H("")
//! MTH(D[n])     = H(0x00 || d(0)) for n = 1; else with k the largest power of two below n,
//!                 H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
//! ```
//!
//! `H` is SHA-256 in the standard profile and SM3 (GB/T 32905) in the 国密 profile
//! ([`TreeHash`]). Generation ([`MerkleTree`]) follows RFC 9162's recursive definitions;
//! verification ([`verify_inclusion`], [`verify_consistency`]) follows its iterative algorithms
//! (§2.1.3.2, §2.1.4.2), so the tests check one against the other.

use sha2::Digest;

use crate::record::{Hash, HASH_BYTES};

/// Most hashes in a proof: a tree never has more than 2^64 leaves, so no path is longer than 64
/// (and a consistency proof has at most one more).
pub const PROOF_HASHES_MAX: usize = 65;

/// The hash function of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreeHash {
    /// SHA-256 (FIPS 180-4), as RFC 9162 uses; the standard profile.
    Sha256,
    /// SM3 (GB/T 32905-2016); the 国密 profile.
    Sm3,
}

impl TreeHash {
    /// The name used in proofs and checkpoint lines: `sha256` or `sm3`.
    pub fn name(self) -> &'static str {
        match self {
            TreeHash::Sha256 => "sha256",
            TreeHash::Sm3 => "sm3",
        }
    }

    /// The inverse of [`TreeHash::name`].
    pub fn from_name(name: &str) -> Option<TreeHash> {
        match name {
            "sha256" => Some(TreeHash::Sha256),
            "sm3" => Some(TreeHash::Sm3),
            _ => None,
        }
    }

    /// `H(parts[0] || parts[1] || ...)`.
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        match self {
            TreeHash::Sha256 => {
                let mut h = sha2::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().into()
            }
            TreeHash::Sm3 => {
                let mut h = sm3::Sm3::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().into()
            }
        }
    }

    /// The hash of a leaf: `H(0x00 || data)`.
    pub fn leaf(self, data: &[u8]) -> Hash {
        self.digest(&[&[0x00], data])
    }

    /// The hash of an interior node: `H(0x01 || left || right)`.
    pub fn node(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[0x01], left, right])
    }

    /// The root of the empty tree: `H("")`.
    pub fn empty_root(self) -> Hash {
        self.digest(&[])
    }
}

/// The largest power of two strictly below `n` (`n` ≥ 2): where RFC 9162 splits a tree.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// A Merkle tree that grows one leaf at a time and keeps the hash of every perfect subtree
/// (node `i` of level `k` covers leaves `i·2^k .. (i+1)·2^k`): about two hashes (64 bytes) per
/// leaf. Appending costs one leaf hash and, on average, one node hash; a root or a proof of any
/// size up to the current one reads O(log n) stored hashes.
///
/// A tree can keep less, in two ways; what it lacks, a root or a proof asks for (`None`).
///
/// - **Pruned** ([`MerkleTree::from_frontier`]): of its first `pruned` leaves it holds only the
///   frontier (the roots of the perfect subtrees that make up the tree of that size), which is
///   all that growing it and the roots of sizes from `pruned` on need. Proofs that reach into
///   the pruned leaves need the rest ([`MerkleTree::graft`]).
/// - **In blocks** ([`MerkleTree::in_blocks`]): below level `b` it holds only the nodes of the
///   newest block of `2^b` leaves, the one still filling: about `64 / 2^b` bytes per leaf
///   instead of 64. A root or proof that needs nodes inside an older block takes that block's
///   leaves from the caller ([`Blocks`], [`MerkleTree::blocks_needed`]), checked against the
///   block's root, which the tree holds.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    hash: TreeHash,
    size: u64,
    pruned: u64,
    /// Below this level only the newest, unfinished block's nodes are held (0: every node).
    block_levels: usize,
    /// `levels[k][j]` is node `first(k) + j` of level `k`.
    levels: Vec<Vec<Hash>>,
}

/// The leaves of whole blocks of a tree kept [`MerkleTree::in_blocks`], given for the roots and
/// proofs that reach inside them ([`MerkleTree::check_block`] adds them).
#[derive(Debug, Clone, Default)]
pub struct Blocks {
    /// Each block's leaf hashes (`H(0x00 || data)`), by the block's first leaf.
    leaves: std::collections::BTreeMap<u64, Vec<Hash>>,
}

impl Blocks {
    /// No blocks.
    pub fn new() -> Blocks {
        Blocks::default()
    }

    /// Whether the block of leaves `range` is here.
    pub fn holds(&self, range: &std::ops::Range<u64>) -> bool {
        self.leaves.contains_key(&range.start)
    }
}

impl MerkleTree {
    /// An empty tree.
    pub fn new(hash: TreeHash) -> MerkleTree {
        MerkleTree {
            hash,
            size: 0,
            pruned: 0,
            block_levels: 0,
            levels: vec![Vec::new()],
        }
    }

    /// The tree of `size` leaves of which only `frontier` is known: for each bit `k` set in
    /// `size`, from the highest, the root of the perfect subtree of `2^k` leaves that the tree of
    /// that size ends with after the larger ones ([`MerkleTree::frontier`]). `None` when the
    /// number of hashes is not the number of bits set in `size`.
    pub fn from_frontier(hash: TreeHash, size: u64, frontier: &[Hash]) -> Option<MerkleTree> {
        if frontier.len() != size.count_ones() as usize {
            return None;
        }
        let height = (64 - size.leading_zeros() as usize).max(1);
        let mut levels = vec![Vec::new(); height];
        let set_bits = (0..height).rev().filter(|k| size >> k & 1 == 1);
        for (k, node) in set_bits.zip(frontier) {
            levels[k].push(*node);
        }
        Some(MerkleTree {
            hash,
            size,
            pruned: size,
            block_levels: 0,
            levels,
        })
    }

    /// This tree, keeping from now on below level `block_levels` (at most 32) only the nodes
    /// of its newest block of `2^block_levels` leaves; the nodes it holds of older blocks
    /// below that level are dropped now.
    pub fn in_blocks(mut self, block_levels: usize) -> MerkleTree {
        let block_levels = block_levels.min(32);
        let before: Vec<u64> = (0..block_levels).map(|k| self.first(k)).collect();
        self.block_levels = block_levels;
        for (k, old_first) in before.into_iter().enumerate() {
            let drop = (self.first(k) - old_first) as usize;
            if let Some(nodes) = self.levels.get_mut(k) {
                nodes.drain(..drop.min(nodes.len()));
            }
        }
        self
    }

    /// The tree's hash function.
    pub fn tree_hash(&self) -> TreeHash {
        self.hash
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Leaves of which only the frontier is held (0 for a whole tree).
    pub fn pruned(&self) -> u64 {
        self.pruned
    }

    /// The hashes the tree holds (at 32 bytes each, its memory).
    pub fn hashes_held(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// The leaves of a block (`2^block_levels` of them; 1 when the tree is not kept in blocks).
    fn block_leaves(&self) -> u64 {
        1 << self.block_levels
    }

    /// The first leaf of the newest block, the one whose nodes below the block level are held.
    fn open_block_start(&self) -> u64 {
        self.size >> self.block_levels << self.block_levels
    }

    /// The index of the first node held at `level`: below it, only the frontier of the pruned
    /// leaves (a node of odd count, waiting for its right sibling) is kept, and below the block
    /// level nothing before the newest block.
    fn first(&self, level: usize) -> u64 {
        let after_pruned = match level {
            64.. => 0,
            _ => (self.pruned >> level) & !1,
        };
        match level < self.block_levels {
            true => after_pruned.max(self.open_block_start() >> level),
            false => after_pruned,
        }
    }

    /// Node `index` of `level`, when held.
    fn node(&self, level: usize, index: u64) -> Option<Hash> {
        let at = index.checked_sub(self.first(level))?;
        self.levels
            .get(level)?
            .get(usize::try_from(at).ok()?)
            .copied()
    }

    /// Appends a leaf whose data is `data` (in the journal's tree, a record hash), completing
    /// every perfect subtree it closes.
    pub fn push(&mut self, data: &[u8]) {
        let mut node = self.hash.leaf(data);
        let (mut level, mut index) = (0, self.size);
        self.size += 1;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(node);
            if index % 2 == 0 {
                break;
            }
            // Invariant: a right child's left sibling is held (it is at or after `first`).
            let len = nodes.len();
            node = self.hash.node(&nodes[len - 2], &nodes[len - 1]);
            level += 1;
            index /= 2;
        }
        if self.block_levels > 0 && self.size.is_multiple_of(self.block_leaves()) {
            // A block is whole: its root is held at the block level, and nothing below it.
            self.levels[..self.block_levels]
                .iter_mut()
                .for_each(Vec::clear);
        }
    }

    /// The frontier of the tree of the first `size` leaves: for each bit `k` set in `size`,
    /// from the highest, `MTH(D[a : a + 2^k])` where `a` is the sum of the larger powers of two
    /// of `size`. `None` when the tree is smaller, or holds not those nodes (pruned beyond
    /// `size`, or kept in blocks and `size` in an older block than the newest).
    pub fn frontier(&self, size: u64) -> Option<Vec<Hash>> {
        if size > self.size {
            return None;
        }
        self.frontier_held(size).into_iter().collect()
    }

    /// The nodes of the frontier of `size` (at most the tree's size), each where held.
    fn frontier_held(&self, size: u64) -> Vec<Option<Hash>> {
        let height = 64 - size.leading_zeros() as usize;
        let set_bits = (0..height).rev().filter(|k| size >> k & 1 == 1);
        set_bits.map(|k| self.node(k, (size >> k) - 1)).collect()
    }

    /// Fills in the pruned leaves from `prefix`, the tree of exactly those leaves, not pruned
    /// itself (and, when this tree is kept in blocks, holding at least what it keeps: `prefix`
    /// may be kept in blocks of the same size). Fails, changing nothing, when `prefix` does not
    /// fit so or has another frontier (it is not the tree whose frontier this one kept).
    pub fn graft(&mut self, prefix: &MerkleTree) -> Result<(), ProofError> {
        let fits = prefix.pruned == 0
            && prefix.size == self.pruned
            && prefix.block_levels <= self.block_levels;
        // Kept in blocks, this tree may have let go of the frontier's nodes below the block
        // level since (their block filled): those the graft does not use, and its block's root
        // checks the leaves given for it later (`check_block`).
        let theirs = prefix
            .frontier(self.pruned)
            .ok_or(ProofError::RootMismatch)?;
        let mine = self.frontier_held(self.pruned);
        let differs = mine
            .iter()
            .zip(&theirs)
            .any(|(m, t)| m.is_some_and(|m| m != *t));
        if !fits || mine.len() != theirs.len() || differs {
            return Err(ProofError::RootMismatch);
        }
        let mut whole = self.clone();
        whole.pruned = 0;
        let firsts: Vec<u64> = (0..whole.levels.len()).map(|k| whole.first(k)).collect();
        for (level, nodes) in whole.levels.iter_mut().enumerate() {
            let (from, to) = (firsts[level], self.first(level));
            let before: Option<Vec<Hash>> = (from..to).map(|i| prefix.node(level, i)).collect();
            let mut before = before.ok_or(ProofError::RootMismatch)?;
            before.append(nodes);
            *nodes = before;
        }
        *self = whole;
        Ok(())
    }

    /// The root of the tree of the first `size` leaves (`MTH(D[0:size])`), or `None` when the
    /// tree has fewer leaves (or holds not enough of them: pruned, or kept in blocks).
    pub fn root(&self, size: u64) -> Option<Hash> {
        self.root_with(size, &Blocks::new())
    }

    /// [`MerkleTree::root`], with the leaves of older blocks in `blocks`.
    pub fn root_with(&self, size: u64, blocks: &Blocks) -> Option<Hash> {
        match size {
            0 => Some(self.hash.empty_root()),
            _ if size > self.size() => None,
            _ => self.subtree(0, size, blocks),
        }
    }

    /// The blocks whose leaves a root or proof needs that reaches leaves `leaves` (for a root of
    /// size `n`: `n − 1`; an inclusion proof of leaf `m` in size `n`: `m` and `n − 1`; a
    /// consistency proof from `m` to `n`: `m − 1` and `n − 1`): the older blocks they lie in,
    /// each as the range of its leaves. Empty for a tree not kept in blocks.
    pub fn blocks_needed(&self, leaves: &[u64]) -> Vec<std::ops::Range<u64>> {
        let open = self.open_block_start();
        let mut starts: Vec<u64> = leaves
            .iter()
            .filter(|&&leaf| self.block_levels > 0 && leaf < open)
            .map(|leaf| leaf >> self.block_levels << self.block_levels)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        starts
            .into_iter()
            .map(|start| start..start + self.block_leaves())
            .collect()
    }

    /// Adds to `blocks` the block of leaves `range` (one [`MerkleTree::blocks_needed`] gave)
    /// whose leaf data is `data`, after checking that they give the block's root this tree
    /// holds. Fails, adding nothing, when they do not.
    pub fn check_block(
        &self,
        blocks: &mut Blocks,
        range: std::ops::Range<u64>,
        data: &[Hash],
    ) -> Result<(), ProofError> {
        let whole_block = range.end - range.start == self.block_leaves()
            && range.start.is_multiple_of(self.block_leaves())
            && range.end <= self.open_block_start();
        if !whole_block || data.len() as u64 != self.block_leaves() {
            return Err(ProofError::Malformed);
        }
        let leaves: Vec<Hash> = data.iter().map(|d| self.hash.leaf(d)).collect();
        let root = perfect_root(self.hash, &leaves);
        let level = self.block_levels;
        if self.node(level, range.start >> level) != Some(root) {
            return Err(ProofError::RootMismatch);
        }
        blocks.leaves.insert(range.start, leaves);
        Ok(())
    }

    /// `MTH(D[start:end])` for a range RFC 9162's recursion produces: `start` is a multiple of
    /// the largest power of two not above `end - start`, `start < end <= size`.
    fn subtree(&self, start: u64, end: u64, blocks: &Blocks) -> Option<Hash> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            if let Some(node) = self.node(level, start >> level) {
                return Some(node);
            }
            let block = start >> self.block_levels << self.block_levels;
            let leaves = blocks.leaves.get(&block)?;
            let at = (start % self.block_leaves()) as usize;
            return (level < self.block_levels)
                .then(|| perfect_root(self.hash, &leaves[at..at + n as usize]));
        }
        let k = split_point(n);
        Some(self.hash.node(
            &self.subtree(start, start + k, blocks)?,
            &self.subtree(start + k, end, blocks)?,
        ))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves
    /// (RFC 9162 §2.1.3.1, `PATH(m, D[n])`), or `None` unless `index < size <= self.size()`
    /// (and the tree holds the nodes the proof needs).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        self.inclusion_proof_with(index, size, &Blocks::new())
    }

    /// [`MerkleTree::inclusion_proof`], with the leaves of older blocks in `blocks`.
    pub fn inclusion_proof_with(
        &self,
        index: u64,
        size: u64,
        blocks: &Blocks,
    ) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, blocks, &mut path)?;
        Some(path)
    }

    fn path(
        &self,
        m: u64,
        start: u64,
        end: u64,
        blocks: &Blocks,
        out: &mut Vec<Hash>,
    ) -> Option<()> {
        let n = end - start;
        if n == 1 {
            return Some(());
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, blocks, out)?;
            out.push(self.subtree(start + k, end, blocks)?);
        } else {
            self.path(m - k, start + k, end, blocks, out)?;
            out.push(self.subtree(start, start + k, blocks)?);
        }
        Some(())
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new` leaves
    /// (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`), or `None` unless `0 < old <= new <= size`
    /// (and the tree holds the nodes the proof needs).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        self.consistency_proof_with(old, new, &Blocks::new())
    }

    /// [`MerkleTree::consistency_proof`], with the leaves of older blocks in `blocks`.
    pub fn consistency_proof_with(&self, old: u64, new: u64, blocks: &Blocks) -> Option<Vec<Hash>> {
        if old == 0 || old > new || new > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        self.subproof(old, 0, new, true, blocks, &mut proof)?;
        Some(proof)
    }

    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        blocks: &Blocks,
        out: &mut Vec<Hash>,
    ) -> Option<()> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end, blocks)?);
            }
            return Some(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, blocks, out)?;
            out.push(self.subtree(start + k, end, blocks)?);
        } else {
            self.subproof(m - k, start + k, end, false, blocks, out)?;
            out.push(self.subtree(start, start + k, blocks)?);
        }
        Some(())
    }
}

/// The root of a perfect subtree from its leaf hashes (a power of two of them).
fn perfect_root(hash: TreeHash, leaves: &[Hash]) -> Hash {
    match leaves.len() {
        1 => leaves[0],
        n => {
            let (left, right) = leaves.split_at(n / 2);
            hash.node(&perfect_root(hash, left), &perfect_root(hash, right))
        }
    }
}

/// The frontier of a tree grown one leaf at a time, without the tree: O(log n) hashes, for
/// checking a snapshot's frontier (`docs/FORMAT.md` §16.2) while reading a journal of any size.
#[derive(Debug, Clone)]
pub struct FrontierBuilder {
    hash: TreeHash,
    size: u64,
    /// `nodes[k]` is the root of the perfect subtree of `2^k` leaves the tree ends with, when
    /// bit `k` of `size` is set.
    nodes: Vec<Hash>,
}

impl FrontierBuilder {
    /// The frontier of the empty tree.
    pub fn new(hash: TreeHash) -> FrontierBuilder {
        FrontierBuilder {
            hash,
            size: 0,
            nodes: Vec::new(),
        }
    }

    /// Appends a leaf whose data is `data`.
    pub fn push(&mut self, data: &[u8]) {
        let mut node = self.hash.leaf(data);
        let mut level = 0;
        while self.size >> level & 1 == 1 {
            node = self.hash.node(&self.nodes[level], &node);
            level += 1;
        }
        if self.nodes.len() == level {
            self.nodes.push(node);
        } else {
            self.nodes[level] = node;
        }
        self.size += 1;
    }

    /// The frontier of the leaves pushed so far, as [`MerkleTree::frontier`] gives it.
    pub fn frontier(&self) -> Vec<Hash> {
        let height = 64 - self.size.leading_zeros() as usize;
        let set_bits = (0..height).rev().filter(|k| self.size >> k & 1 == 1);
        set_bits.map(|k| self.nodes[k]).collect()
    }
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The index, sizes or number of hashes do not fit together.
    Malformed,
    /// The hashes are well formed but lead to another root.
    RootMismatch,
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProofError::Malformed => "the proof's index, sizes and hashes do not fit together",
            ProofError::RootMismatch => "the proof leads to another root",
        })
    }
}

/// Checks that the leaf with data `data` (in the journal's tree, a record hash) is leaf `index`
/// of the tree of `size` leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    hash: TreeHash,
    index: u64,
    size: u64,
    data: &[u8],
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size || path.len() > PROOF_HASHES_MAX {
        return Err(ProofError::Malformed);
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = hash.leaf(data);
    for p in path {
        if s_n == 0 {
            return Err(ProofError::Malformed);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = hash.node(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = hash.node(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::Malformed);
    }
    match &r == root {
        true => Ok(()),
        false => Err(ProofError::RootMismatch),
    }
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof
/// and equal roots.
pub fn verify_consistency(
    hash: TreeHash,
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size == 0 || old_size > new_size || proof.len() > PROOF_HASHES_MAX {
        return Err(ProofError::Malformed);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::Malformed);
        }
        return match old_root == new_root {
            true => Ok(()),
            false => Err(ProofError::RootMismatch),
        };
    }
    // Step 1: when the old size is a power of two, the old root is the proof's implicit first
    // hash.
    let mut owned;
    let path: &[Hash] = if old_size.is_power_of_two() {
        owned = Vec::with_capacity(proof.len() + 1);
        owned.push(*old_root);
        owned.extend_from_slice(proof);
        &owned
    } else {
        proof
    };
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::Malformed);
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::Malformed);
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = hash.node(c, &fr);
            sr = hash.node(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = hash.node(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::Malformed);
    }
    match &fr == old_root && &sr == new_root {
        true => Ok(()),
        false => Err(ProofError::RootMismatch),
    }
}

const _: () = assert!(HASH_BYTES == 32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::hex;

    /// RFC 9162's definition, straight from the text: the reference the tree is checked against.
    fn mth(hash: TreeHash, leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => hash.empty_root(),
            1 => hash.leaf(&leaves[0]),
            n => {
                let k = split_point(n as u64) as usize;
                hash.node(&mth(hash, &leaves[..k]), &mth(hash, &leaves[k..]))
            }
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| *blake3::hash(&(i as u64).to_le_bytes()).as_bytes())
            .collect()
    }

    fn tree_of(hash: TreeHash, leaves: &[Hash]) -> MerkleTree {
        let mut tree = MerkleTree::new(hash);
        leaves.iter().for_each(|l| tree.push(l));
        tree
    }

    #[test]
    fn roots_equal_the_rfc_definition_at_every_size() {
        for hash in [TreeHash::Sha256, TreeHash::Sm3] {
            let all = leaves(70);
            let tree = tree_of(hash, &all);
            for n in 0..=70 {
                assert_eq!(tree.root(n as u64), Some(mth(hash, &all[..n])), "size {n}");
            }
            assert_eq!(tree.root(71), None);
        }
    }

    /// A tree started from the frontier of its first `pruned` leaves, then grown to `all`:
    /// the same roots from `pruned` on as the whole tree, no proof that needs a pruned node,
    /// and after a graft of the prefix every root and proof the whole tree gives.
    #[test]
    fn a_pruned_tree_grows_as_the_whole_one_and_a_graft_makes_it_whole() {
        let hash = TreeHash::Sha256;
        let all = leaves(70);
        let whole = tree_of(hash, &all);
        for pruned in 0..=70u64 {
            let frontier = whole.frontier(pruned).unwrap();
            assert_eq!(frontier.len(), pruned.count_ones() as usize);
            let mut tree = MerkleTree::from_frontier(hash, pruned, &frontier).unwrap();
            assert_eq!(tree.root(pruned), whole.root(pruned), "pruned {pruned}");
            all[pruned as usize..].iter().for_each(|l| tree.push(l));
            assert_eq!(tree.size(), 70);
            for n in pruned..=70 {
                assert_eq!(tree.root(n), whole.root(n), "pruned {pruned}, size {n}");
                assert_eq!(
                    tree.frontier(n),
                    whole.frontier(n),
                    "pruned {pruned}, size {n}"
                );
            }
            for m in 0..70 {
                // What a pruned tree gives is right; what it cannot give is None.
                let proof = tree.inclusion_proof(m, 70);
                assert!(proof.is_none() || proof == whole.inclusion_proof(m, 70));
                if m >= pruned.next_power_of_two() {
                    assert!(proof.is_some(), "pruned {pruned}, leaf {m}");
                }
            }
            if pruned > 0 {
                let wrong = tree_of(hash, &leaves(pruned as usize + 1)[1..]);
                assert_eq!(tree.graft(&wrong), Err(ProofError::RootMismatch));
                assert_eq!(tree.pruned(), pruned, "a failed graft changes nothing");
            }
            let prefix = tree_of(hash, &all[..pruned as usize]);
            tree.graft(&prefix).unwrap();
            assert_eq!(tree.pruned(), 0);
            for n in 0..=70u64 {
                assert_eq!(tree.root(n), whole.root(n));
                for m in 0..n {
                    assert_eq!(tree.inclusion_proof(m, n), whole.inclusion_proof(m, n));
                }
                if n > 0 {
                    assert_eq!(
                        tree.consistency_proof(n, 70),
                        whole.consistency_proof(n, 70)
                    );
                }
            }
        }
        assert!(MerkleTree::from_frontier(hash, 5, &[[0; 32]]).is_none());
    }

    /// The blocks `tree` needs for the leaves `at`, taken from `all` and checked.
    fn blocks_for(tree: &MerkleTree, all: &[Hash], at: &[u64]) -> Blocks {
        let mut blocks = Blocks::new();
        for range in tree.blocks_needed(at) {
            let data = &all[range.start as usize..range.end as usize];
            tree.check_block(&mut blocks, range, data).unwrap();
        }
        blocks
    }

    #[test]
    fn a_tree_in_blocks_gives_every_root_and_proof_from_its_blocks_leaves() {
        let hash = TreeHash::Sha256;
        let all = leaves(70);
        let whole = tree_of(hash, &all);
        for levels in 1..=3usize {
            let mut tree = MerkleTree::new(hash).in_blocks(levels);
            for (pushed, leaf) in all.iter().enumerate() {
                tree.push(leaf);
                // The open block's nodes (fewer than two a leaf) and two a block above them.
                let bound = 2 * (1 << levels) + 2 * (pushed + 1) / (1 << levels) + 8;
                assert!(
                    tree.hashes_held() <= bound,
                    "{levels} levels, {pushed} leaves"
                );
            }
            for n in 0..=70u64 {
                let at = [n.saturating_sub(1)];
                assert_eq!(
                    tree.root_with(n, &blocks_for(&tree, &all, &at)),
                    whole.root(n)
                );
                if n >= 70 >> levels << levels || n.is_multiple_of(1 << levels) {
                    assert_eq!(
                        tree.frontier(n),
                        whole.frontier(n),
                        "{levels}: frontier of {n}"
                    );
                }
                for m in 0..n {
                    let blocks = blocks_for(&tree, &all, &[m, n - 1]);
                    let proof = tree.inclusion_proof_with(m, n, &blocks);
                    assert_eq!(proof, whole.inclusion_proof(m, n), "{levels}: {m} in {n}");
                    let blocks = blocks_for(&tree, &all, &[m, n - 1]);
                    let proof = tree.consistency_proof_with(m + 1, n, &blocks);
                    assert_eq!(
                        proof,
                        whole.consistency_proof(m + 1, n),
                        "{levels}: {m}+1 to {n}"
                    );
                }
            }
            // Without its block, a proof inside an older block is not made; a wrong block is
            // refused.
            assert_eq!(tree.inclusion_proof(0, 70), None);
            let range = tree.blocks_needed(&[0]).remove(0);
            let mut wrong = all[..1 << levels].to_vec();
            wrong[0][0] ^= 1;
            let mut blocks = Blocks::new();
            assert_eq!(
                tree.check_block(&mut blocks, range.clone(), &wrong),
                Err(ProofError::RootMismatch)
            );
            assert_eq!(
                tree.check_block(&mut blocks, range.start..range.end - 1, &wrong[1..]),
                Err(ProofError::Malformed)
            );
            assert_eq!(tree.inclusion_proof_with(0, 70, &blocks), None);

            // A tree from a frontier, kept in blocks, grafted with a prefix kept in blocks.
            for pruned in [0u64, 1, 5, 8, 13, 64, 69, 70] {
                let frontier = whole.frontier(pruned).unwrap();
                let mut grown = MerkleTree::from_frontier(hash, pruned, &frontier)
                    .unwrap()
                    .in_blocks(levels);
                all[pruned as usize..].iter().for_each(|l| grown.push(l));
                let mut prefix = MerkleTree::new(hash).in_blocks(levels);
                all[..pruned as usize].iter().for_each(|l| prefix.push(l));
                grown.graft(&prefix).unwrap();
                // Sizes at and around the pruned leaves, a block's end and the whole tree.
                for n in [pruned.max(1), pruned + 1, 32, 63, 64, 65, 70] {
                    let n = n.min(70);
                    for m in 0..n {
                        let blocks = blocks_for(&grown, &all, &[m, n - 1]);
                        let proof = grown.inclusion_proof_with(m, n, &blocks);
                        assert_eq!(proof, whole.inclusion_proof(m, n), "pruned {pruned}");
                    }
                }
            }
        }
        // A whole tree put in blocks drops the nodes of its older blocks.
        let held = whole.hashes_held();
        let blocked = whole.clone().in_blocks(3);
        assert!(blocked.hashes_held() < held / 4);
        let blocks = blocks_for(&blocked, &all, &[3, 69]);
        assert_eq!(
            blocked.inclusion_proof_with(3, 70, &blocks),
            whole.inclusion_proof(3, 70)
        );
    }

    #[test]
    fn the_frontier_builder_gives_the_trees_frontier_at_every_size() {
        for hash in [TreeHash::Sha256, TreeHash::Sm3] {
            let all = leaves(70);
            let whole = tree_of(hash, &all);
            let mut builder = FrontierBuilder::new(hash);
            assert_eq!(Some(builder.frontier()), whole.frontier(0));
            for (n, leaf) in all.iter().enumerate() {
                builder.push(leaf);
                let size = n as u64 + 1;
                assert_eq!(
                    Some(builder.frontier()),
                    whole.frontier(size),
                    "size {size}"
                );
            }
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_no_altered_one_does() {
        for hash in [TreeHash::Sha256, TreeHash::Sm3] {
            let all = leaves(40);
            let tree = tree_of(hash, &all);
            for n in 1..=40u64 {
                let root = tree.root(n).unwrap();
                for m in 0..n {
                    let path = tree.inclusion_proof(m, n).unwrap();
                    let leaf = &all[m as usize];
                    assert_eq!(verify_inclusion(hash, m, n, leaf, &path, &root), Ok(()));
                    let other = &all[(m as usize + 1) % 40];
                    assert!(verify_inclusion(hash, m, n, other, &path, &root).is_err());
                    for i in 0..path.len() {
                        let mut bad = path.clone();
                        bad[i][i % 32] ^= 1;
                        assert!(verify_inclusion(hash, m, n, leaf, &bad, &root).is_err());
                    }
                    let mut bad_root = root;
                    bad_root[31] ^= 0x80;
                    assert!(verify_inclusion(hash, m, n, leaf, &path, &bad_root).is_err());
                    // One hash fewer or more never fits the size.
                    let mut longer = path.clone();
                    longer.push(root);
                    assert!(verify_inclusion(hash, m, n, leaf, &longer, &root).is_err());
                    if let Some((_, shorter)) = path.split_last() {
                        assert!(verify_inclusion(hash, m, n, leaf, shorter, &root).is_err());
                    }
                    if m + 1 < n {
                        assert!(verify_inclusion(hash, m + 1, n, leaf, &path, &root).is_err());
                    }
                }
            }
            assert_eq!(tree.inclusion_proof(5, 5), None);
            assert_eq!(tree.inclusion_proof(0, 41), None);
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_no_altered_one_does() {
        for hash in [TreeHash::Sha256, TreeHash::Sm3] {
            let all = leaves(33);
            let tree = tree_of(hash, &all);
            for n in 1..=33u64 {
                let new_root = tree.root(n).unwrap();
                for m in 1..=n {
                    let old_root = tree.root(m).unwrap();
                    let proof = tree.consistency_proof(m, n).unwrap();
                    assert_eq!(
                        verify_consistency(hash, m, n, &old_root, &new_root, &proof),
                        Ok(()),
                        "{m} -> {n}"
                    );
                    for i in 0..proof.len() {
                        let mut bad = proof.clone();
                        bad[i][0] ^= 1;
                        assert!(verify_consistency(hash, m, n, &old_root, &new_root, &bad).is_err());
                    }
                    let mut bad_old = old_root;
                    bad_old[3] ^= 4;
                    assert!(verify_consistency(hash, m, n, &bad_old, &new_root, &proof).is_err());
                    if m < n {
                        let mut fewer = proof.clone();
                        fewer.pop();
                        assert!(
                            verify_consistency(hash, m, n, &old_root, &new_root, &fewer).is_err()
                        );
                    }
                }
            }
            assert_eq!(tree.consistency_proof(0, 3), None);
            assert_eq!(tree.consistency_proof(4, 3), None);
        }
    }

    /// A rewritten suffix: the same first records, then others. The old root is still a prefix
    /// of neither tree's proof, so no consistency proof from the honest tree's old checkpoint to
    /// the rewritten tree verifies.
    #[test]
    fn a_rewritten_suffix_has_no_consistency_proof() {
        let hash = TreeHash::Sha256;
        let honest = leaves(20);
        let mut forged = honest.clone();
        forged[12] = [9; 32];
        forged.truncate(16);
        let honest_tree = tree_of(hash, &honest);
        let forged_tree = tree_of(hash, &forged[..16]);
        let mut forged_tree = forged_tree;
        (0..10).for_each(|_| forged_tree.push(&[7; 32]));
        let old_root = honest_tree.root(14).unwrap();
        let new_root = forged_tree.root(26).unwrap();
        let proof = forged_tree.consistency_proof(14, 26).unwrap();
        assert_eq!(
            verify_consistency(hash, 14, 26, &old_root, &new_root, &proof),
            Err(ProofError::RootMismatch)
        );
    }

    /// The test vectors of Certificate Transparency's reference implementations (RFC 6962, whose
    /// tree RFC 9162 keeps): leaf data given as bytes rather than 32-byte hashes, the roots of
    /// the first 1..=8 leaves, and the RFC's own example proofs (§2.1.5) for a tree of 7.
    #[test]
    fn rfc_test_vectors() {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let hash = TreeHash::Sha256;
        let mut tree = MerkleTree::new(hash);
        data.iter().for_each(|d| tree.push(d));
        let h = |text: &str| -> Hash {
            let mut out = [0u8; 32];
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
            }
            out
        };
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, root) in roots.iter().enumerate() {
            assert_eq!(
                hex(&tree.root(n as u64 + 1).unwrap()),
                *root,
                "size {}",
                n + 1
            );
        }
        let (a, b, c, d, e, f) = (
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        );
        // (leaf, size, path)
        let inclusions: [(u64, u64, Vec<&str>); 4] = [
            (0, 8, vec![a, b, c]),
            (5, 8, vec![d, e, roots[3]]),
            (2, 3, vec![roots[1]]),
            (1, 5, vec![roots[0], b, d]),
        ];
        for (m, n, path) in inclusions {
            let path: Vec<Hash> = path.into_iter().map(h).collect();
            assert_eq!(tree.inclusion_proof(m, n).unwrap(), path, "leaf {m} of {n}");
            let root = h(roots[n as usize - 1]);
            assert_eq!(
                verify_inclusion(hash, m, n, data[m as usize], &path, &root),
                Ok(())
            );
        }
        // (old size, new size, proof)
        let consistencies: [(u64, u64, Vec<&str>); 4] = [
            (1, 1, vec![]),
            (1, 8, vec![a, b, c]),
            (6, 8, vec![f, e, roots[3]]),
            (2, 5, vec![b, d]),
        ];
        for (m, n, proof) in consistencies {
            let proof: Vec<Hash> = proof.into_iter().map(h).collect();
            assert_eq!(tree.consistency_proof(m, n).unwrap(), proof, "{m} -> {n}");
            let (old, new) = (h(roots[m as usize - 1]), h(roots[n as usize - 1]));
            assert_eq!(verify_consistency(hash, m, n, &old, &new, &proof), Ok(()));
        }
        assert_eq!(
            hex(&hash.empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// GB/T 32905-2016 Appendix A: SM3 of "abc" and of "abcd" × 16.
    #[test]
    fn sm3_gb_t_32905_vectors() {
        assert_eq!(
            hex(&TreeHash::Sm3.digest(&[b"abc"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex(&TreeHash::Sm3.digest(&[b"abcd".repeat(16).as_slice()])),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }
}
