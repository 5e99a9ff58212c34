//! A hash chain over entries a ledger only ever adds (failed ids, ratings, operations), in the
//! order they were added, so that the state digest covers them without reading them all: the
//! digest takes the count and the chain's last hash, and a ledger that evicted old entries
//! digests exactly as one that kept them.
//!
//! Entry *k* (from 1) gives hash *E*ₖ = BLAKE3 in derive_key mode with the chain's context over
//! *E*ₖ₋₁ ‖ the entry's bytes, from *E*₀ = 32 zero bytes (docs/FORMAT.md §5.2).

use crate::digest::Digester;

/// The context of the chain over failed ids (§5.2 part 4).
pub const FAILED_IDS_CONTEXT: &str = "timebank-ledger 2026-11 failed ids v1";
/// The context of the chain over ratings (§5.2 part 6).
pub const RATINGS_CONTEXT: &str = "timebank-ledger 2026-11 ratings v1";
/// The context of the chain over operations (§5.2 part 8).
pub const OPERATIONS_CONTEXT: &str = "timebank-ledger 2026-11 operations v1";

/// Entries added so far and the hash over them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryChain {
    /// How many entries were added.
    pub count: u64,
    /// The hash after the last one (32 zero bytes before the first).
    pub hash: [u8; 32],
}

impl EntryChain {
    /// Adds one entry's bytes under `context`.
    pub(crate) fn push(&mut self, context: &str, entry: &[u8]) {
        let mut h = blake3::Hasher::new_derive_key(context);
        h.update(&self.hash);
        h.update(entry);
        self.hash = *h.finalize().as_bytes();
        self.count += 1;
    }

    /// Feeds the count (u64) and the hash into the state digest.
    pub(crate) fn write(&self, h: &mut Digester) {
        h.update(&self.count.to_le_bytes());
        h.update(&self.hash);
    }
}

/// A failed id's entry: id u128 ‖ code u16.
pub(crate) fn failed_entry(id: u128, code: u16) -> [u8; 18] {
    let mut e = [0; 18];
    e[..16].copy_from_slice(&id.to_le_bytes());
    e[16..].copy_from_slice(&code.to_le_bytes());
    e
}

/// A rating's entry: transfer u128 ‖ rating u8.
pub(crate) fn rating_entry(transfer: u128, rating: u8) -> [u8; 17] {
    let mut e = [0; 17];
    e[..16].copy_from_slice(&transfer.to_le_bytes());
    e[16] = rating;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain is the one FORMAT.md §5.2 defines, computed here with blake3 alone.
    #[test]
    fn each_entry_hashes_the_chain_before_it_then_its_bytes() {
        let mut chain = EntryChain::default();
        chain.push(RATINGS_CONTEXT, &rating_entry(7, 5));
        chain.push(RATINGS_CONTEXT, &rating_entry(9, 1));

        let mut first = [0u8; 32 + 17];
        first[32..48].copy_from_slice(&7u128.to_le_bytes());
        first[48] = 5;
        let e1 = blake3::derive_key(RATINGS_CONTEXT, &first);
        let mut second = [0u8; 32 + 17];
        second[..32].copy_from_slice(&e1);
        second[32..48].copy_from_slice(&9u128.to_le_bytes());
        second[48] = 1;
        let e2 = blake3::derive_key(RATINGS_CONTEXT, &second);
        assert_eq!(chain, EntryChain { count: 2, hash: e2 });

        // The same entries under another context give another chain.
        let mut other = EntryChain::default();
        other.push(FAILED_IDS_CONTEXT, &rating_entry(7, 5));
        assert_ne!(other.hash, e1);
    }
}
