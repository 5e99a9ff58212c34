//! A fast hasher for maps keyed by 128-bit ids (accounts, transfers), where std's SipHash
//! costs more than the rest of summing a transfer. Seeded at random per map, like std's, so a
//! journal cannot be written to make its ids collide.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher, RandomState};

/// A `HashMap` with [`IdHasher`].
pub(crate) type IdHashMap<K, V> = HashMap<K, V, IdHasherBuilder>;

/// A `HashSet` with [`IdHasher`].
pub(crate) type IdHashSet<K> = HashSet<K, IdHasherBuilder>;

/// Builds [`IdHasher`]s with one random seed.
#[derive(Clone, Debug)]
pub(crate) struct IdHasherBuilder {
    seed: [u64; 2],
}

impl Default for IdHasherBuilder {
    fn default() -> IdHasherBuilder {
        let random = RandomState::new();
        IdHasherBuilder {
            seed: [random.hash_one(1u8) | 1, random.hash_one(2u8)],
        }
    }
}

impl BuildHasher for IdHasherBuilder {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            seed: self.seed,
            hash: self.seed[1],
        }
    }
}

/// One folded 64x64 multiply a word: the high and low halves of the product mixed, so both
/// the bucket (low bits) and the tag (high bits) depend on every input bit.
#[derive(Debug)]
pub(crate) struct IdHasher {
    seed: [u64; 2],
    hash: u64,
}

fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.hash = fold(self.hash ^ value, self.seed[0]);
    }

    fn write_u128(&mut self, value: u128) {
        self.hash = fold(
            self.hash ^ value as u64,
            self.seed[0] ^ (value >> 64) as u64,
        );
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_differ_in_either_half_hash_apart() {
        let builder = IdHasherBuilder::default();
        let hashes: std::collections::HashSet<u64> = (1u128..=1000)
            .flat_map(|n| [n, n << 64, n | (n << 64)])
            .map(|id| builder.hash_one(id))
            .collect();
        assert_eq!(hashes.len(), 3000);
    }
}
