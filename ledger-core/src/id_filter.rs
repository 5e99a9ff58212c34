//! A compact, growable filter of transfer ids: "certainly never inserted" or "maybe inserted".
//!
//! The engine keeps the ids of transfers it no longer holds in memory in an [`IdFilter`], so that
//! a new transfer id is accepted without a disk lookup when the filter says it was never seen.
//! The filter has no false negatives (a duplicate id would otherwise apply twice); a false
//! positive only costs the store a lookup.
//!
//! It is a scalable split-block Bloom filter. Each layer is an array of 512-bit blocks (one cache
//! line each) sized for a capacity of ids; an id sets one bit in each of the eight 64-bit words
//! of one block. When the newest layer holds its capacity, a layer of twice the capacity is
//! added, and the older layers are never written again, so growing rehashes nothing. A query
//! probes one block per layer; with doubling a filter of *n* ids has about log2(*n* / 65,536)
//! layers.
//!
//! The bit positions are a fixed function of the id (no seed, no `std` hasher): the filter is
//! written into snapshots and read back by later binaries. `docs/FORMAT.md` §16.3 specifies the
//! encoding and the hashing to the byte.
//!
//! ```
//! use ledger_core::{IdFilter, TransferId};
//!
//! let mut filter = IdFilter::new();
//! let id = TransferId::new(42).unwrap();
//! filter.insert(id);
//! assert!(filter.may_contain(id));
//!
//! let mut bytes = Vec::new();
//! filter.encode(&mut bytes);
//! let (decoded, read) = IdFilter::decode(&bytes).unwrap();
//! assert_eq!((decoded, read), (filter, bytes.len()));
//! ```

use crate::id::TransferId;

/// The version byte that opens an encoded filter.
pub const ID_FILTER_VERSION: u8 = 1;

/// The capacity of the first layer, in ids; layer *i* holds `FIRST_LAYER_CAPACITY << i`.
pub const FIRST_LAYER_CAPACITY: u64 = 65_536;

/// Bits of a layer per id of its capacity. Eighteen bits give a full layer a false-positive rate
/// of about 0.047% (Poisson model of the block loads; 0.048–0.051% measured in the tests), so the
/// rate over all the layers (at most their sum) stays at or below 1% up to 17 layers: 8.6 × 10^9
/// ids, twice the engine's `TRANSFERS_MAX`. Fewer bits cannot keep that bound: at 12 bits a full
/// layer misses 0.42% and five layers (a million ids) would pass 1%. The cost: 2.25 bytes per
/// id a filter can hold, so 2.25 to 4.5 bytes per id inserted (4.57 just after a layer is added,
/// as at a million ids).
pub const BITS_PER_ID: u64 = 18;

/// The most layers a filter holds: 65,536 × (2^32 − 1) ids, far beyond any memory.
pub const LAYERS_MAX: usize = 32;

/// The layers the 1% bound covers (see [`BITS_PER_ID`]).
pub const LAYERS_WITHIN_BOUND: usize = 17;

const WORDS_PER_BLOCK: usize = 8;
const BLOCK_BYTES: usize = WORDS_PER_BLOCK * 8;
/// The fixed part of an encoded layer: capacity, count, word count.
const LAYER_HEADER_BYTES: usize = 24;

// Every layer's block count is a whole number, and the largest layer's sizes fit a u64.
const _: () = assert!((FIRST_LAYER_CAPACITY * BITS_PER_ID).is_multiple_of(BLOCK_BYTES as u64 * 8));
const _: () = assert!(LAYERS_MAX <= 40 && LAYERS_WITHIN_BOUND <= LAYERS_MAX);

// The constants of the hashing (FORMAT.md §16.3). Changing any of them changes every encoded
// filter: a new `ID_FILTER_VERSION` then.
const HIGH_HALF_KEY: u64 = 0x9E37_79B9_7F4A_7C15;
const LOW_HALF_MULTIPLIER: u64 = 0xD6E8_FEB8_6659_FD93;
const BITS_KEY: u64 = 0xD1B5_4A32_D192_ED03;

/// One cache line: 512 bits, aligned so that a probe touches a single line.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(align(64))]
struct Block([u64; WORDS_PER_BLOCK]);

/// One layer: a fixed array of blocks and the ids inserted into it.
#[derive(Clone, PartialEq, Eq)]
struct Layer {
    capacity: u64,
    count: u64,
    blocks: Vec<Block>,
}

/// A growable filter of transfer ids with no false negatives (see the module documentation).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdFilter {
    /// Oldest first; every layer but the newest holds its capacity, and none is empty.
    layers: Vec<Layer>,
}

/// Where an id's bits go: `select` picks the block of a layer, `bits` the bit of each word.
#[derive(Clone, Copy)]
struct Probe {
    select: u64,
    bits: [u64; WORDS_PER_BLOCK],
}

/// The SplitMix64 finalizer (Stafford's mix 13): a bijection of u64 whose every output bit
/// depends on every input bit.
const fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Probe {
    fn of(id: TransferId) -> Probe {
        let value = id.get();
        let low = value as u64;
        let high = (value >> 64) as u64;
        // The odd multiplier first spreads a counter's low-bit steps over all 64 bits, so
        // sequential ids land in unrelated blocks; the high half enters through its own mix.
        let select = mix64(low.wrapping_mul(LOW_HALF_MULTIPLIER) ^ mix64(high ^ HIGH_HALF_KEY));
        // A second, independent-looking word for the bit positions: `select`'s top bits choose
        // the block, so they must not also choose the bits within it.
        let positions = mix64(select ^ BITS_KEY);
        let mut bits = [0u64; WORDS_PER_BLOCK];
        for (word, bit) in bits.iter_mut().enumerate() {
            *bit = 1 << ((positions >> (6 * word)) & 63);
        }
        Probe { select, bits }
    }
}

/// The words of a layer of `capacity` ids.
fn words_for(capacity: u64) -> u64 {
    capacity * BITS_PER_ID / 64
}

impl Layer {
    fn new(index: usize) -> Layer {
        let capacity = FIRST_LAYER_CAPACITY << index;
        let blocks = (words_for(capacity) / WORDS_PER_BLOCK as u64) as usize;
        Layer {
            capacity,
            count: 0,
            blocks: vec![Block::default(); blocks],
        }
    }

    /// The block a probe uses: `select` scaled to the block count (multiply and keep the high
    /// word), which needs no power-of-two count and no division.
    fn block_index(&self, probe: &Probe) -> usize {
        ((u128::from(probe.select) * self.blocks.len() as u128) >> 64) as usize
    }

    fn insert(&mut self, probe: &Probe) {
        let index = self.block_index(probe);
        let block = &mut self.blocks[index];
        for (word, bit) in block.0.iter_mut().zip(probe.bits) {
            *word |= bit;
        }
        self.count += 1;
    }

    fn may_contain(&self, probe: &Probe) -> bool {
        let block = &self.blocks[self.block_index(probe)];
        // No early exit: the eight tests compile to straight-line code on one cache line.
        let mut missing = 0u64;
        for (word, bit) in block.0.iter().zip(probe.bits) {
            missing |= bit & !word;
        }
        missing == 0
    }
}

impl IdFilter {
    /// An empty filter; it allocates nothing until the first insert.
    pub fn new() -> IdFilter {
        IdFilter::default()
    }

    /// Records `id`, so that [`IdFilter::may_contain`] is true for it from now on. Inserting an
    /// id again counts again (the filter cannot tell).
    pub fn insert(&mut self, id: TransferId) {
        let probe = Probe::of(id);
        let full = self
            .layers
            .last()
            .is_none_or(|layer| layer.count >= layer.capacity);
        if full {
            // A filter of LAYERS_MAX layers would hold 2.8 × 10^14 ids in 630 TB: unreachable.
            assert!(
                self.layers.len() < LAYERS_MAX,
                "id filter: more than {LAYERS_MAX} layers"
            );
            self.layers.push(Layer::new(self.layers.len()));
        }
        let newest = self.layers.len() - 1;
        self.layers[newest].insert(&probe);
    }

    /// False when `id` was certainly never inserted; true when it was, or (rarely: at most 1%
    /// of ids never inserted, up to 8.6 × 10^9 ids) when it was not.
    pub fn may_contain(&self, id: TransferId) -> bool {
        let probe = Probe::of(id);
        // Newest first: it holds about half the ids, so a hit usually ends the search there.
        self.layers
            .iter()
            .rev()
            .any(|layer| layer.may_contain(&probe))
    }

    /// The ids inserted, duplicates counted.
    pub fn len(&self) -> u64 {
        self.layers.iter().map(|layer| layer.count).sum()
    }

    /// True when nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The heap bytes the filter holds (its layers' blocks and the list of layers).
    pub fn memory_bytes(&self) -> usize {
        let blocks: usize = self
            .layers
            .iter()
            .map(|layer| layer.blocks.capacity() * BLOCK_BYTES)
            .sum();
        blocks + self.layers.capacity() * std::mem::size_of::<Layer>()
    }

    /// Appends the filter's canonical encoding (`docs/FORMAT.md` §16.3) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ID_FILTER_VERSION);
        // LAYERS_MAX fits a byte (asserted above).
        out.push(self.layers.len() as u8);
        for layer in &self.layers {
            out.extend_from_slice(&layer.capacity.to_le_bytes());
            out.extend_from_slice(&layer.count.to_le_bytes());
            out.extend_from_slice(&((layer.blocks.len() * WORDS_PER_BLOCK) as u64).to_le_bytes());
            out.reserve(layer.blocks.len() * BLOCK_BYTES);
            for word in layer.blocks.iter().flat_map(|block| block.0) {
                out.extend_from_slice(&word.to_le_bytes());
            }
        }
    }

    /// Reads a filter from the start of `bytes`: the filter and the bytes it took. Bytes after
    /// the filter are left to the caller (compare the count with `bytes.len()`). Refuses, never
    /// panics on, bytes that are not a filter this version writes; allocates only for layers
    /// whose words are present.
    pub fn decode(bytes: &[u8]) -> Result<(IdFilter, usize), &'static str> {
        let [version, layer_count, ..] = *bytes else {
            return Err("id filter: truncated before the layer count");
        };
        if version != ID_FILTER_VERSION {
            return Err("id filter: unknown version");
        }
        let layer_count = usize::from(layer_count);
        if layer_count > LAYERS_MAX {
            return Err("id filter: more layers than LAYERS_MAX");
        }
        let mut at = 2;
        let mut layers = Vec::with_capacity(layer_count);
        for index in 0..layer_count {
            let (layer, read) = decode_layer(&bytes[at..], index, index + 1 == layer_count)?;
            layers.push(layer);
            at += read;
        }
        Ok((IdFilter { layers }, at))
    }
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Layer `index` from the start of `bytes`, and the bytes it took.
fn decode_layer(bytes: &[u8], index: usize, newest: bool) -> Result<(Layer, usize), &'static str> {
    if bytes.len() < LAYER_HEADER_BYTES {
        return Err("id filter: truncated in a layer header");
    }
    let capacity = read_u64(bytes, 0);
    let count = read_u64(bytes, 8);
    let words = read_u64(bytes, 16);
    if capacity != FIRST_LAYER_CAPACITY << index {
        return Err("id filter: a layer's capacity is not 65,536 × 2^index");
    }
    if words != words_for(capacity) {
        return Err("id filter: a layer's word count does not match its capacity");
    }
    if count == 0 || count > capacity {
        return Err("id filter: a layer's count is zero or above its capacity");
    }
    if !newest && count != capacity {
        return Err("id filter: a layer other than the newest is not full");
    }
    // The word count is bounded by the capacity check; the bytes must be present before a
    // single block is allocated.
    let body_bytes = words
        .checked_mul(8)
        .filter(|&n| n <= (bytes.len() - LAYER_HEADER_BYTES) as u64);
    let Some(body_bytes) = body_bytes else {
        return Err("id filter: truncated in a layer's words");
    };
    let body = &bytes[LAYER_HEADER_BYTES..LAYER_HEADER_BYTES + body_bytes as usize];
    let mut blocks = Vec::with_capacity(body.len() / BLOCK_BYTES);
    let mut bits_set = 0u64;
    for chunk in body.chunks_exact(BLOCK_BYTES) {
        let mut block = Block::default();
        for (word, at) in block.0.iter_mut().zip((0..BLOCK_BYTES).step_by(8)) {
            *word = read_u64(chunk, at);
            bits_set += u64::from(word.count_ones());
        }
        // An insert sets a bit in every word of its block, so a block is all zero or has no
        // zero word.
        let zero_words = block.0.iter().filter(|&&word| word == 0).count();
        if zero_words != 0 && zero_words != WORDS_PER_BLOCK {
            return Err("id filter: a block has some words set and others zero");
        }
        blocks.push(block);
    }
    if bits_set == 0 || bits_set > count * WORDS_PER_BLOCK as u64 {
        return Err("id filter: a layer has more bits set than its count allows, or none");
    }
    Ok((
        Layer {
            capacity,
            count,
            blocks,
        },
        LAYER_HEADER_BYTES + body.len(),
    ))
}

impl std::fmt::Debug for IdFilter {
    /// The sizes, not the bits (a layer holds megabytes).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layers: Vec<(u64, u64)> = self.layers.iter().map(|l| (l.count, l.capacity)).collect();
        f.debug_struct("IdFilter")
            .field("len", &self.len())
            .field("layers (count, capacity)", &layers)
            .field("memory_bytes", &self.memory_bytes())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test-only generator of random ids (xorshift64*, unrelated to the filter's mixing).
    struct Ids(u64);

    impl Ids {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn next(&mut self) -> TransferId {
            let value = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
            TransferId::new(value).unwrap_or(TransferId::new(1).unwrap())
        }
    }

    fn id(value: u128) -> TransferId {
        TransferId::new(value).expect("test ids are not zero")
    }

    #[test]
    fn inserted_ids_are_always_found() {
        let mut filter = IdFilter::new();
        let mut random = Ids(0x0123_4567_89AB_CDEF);
        let mut inserted = Vec::with_capacity(300_000);
        for n in 0..100_000u128 {
            inserted.push(id(n + 1));
            inserted.push(random.next());
            // High bit set (as the ledger's sweeps), counting in the high half too.
            inserted.push(id((1 << 127) | (n << 64) | n));
        }
        for &each in &inserted {
            filter.insert(each);
            assert!(
                filter.may_contain(each),
                "{each:?} not found right after its insert"
            );
        }
        assert_eq!(filter.len(), 300_000);
        assert_eq!(filter.layers.len(), 3, "65,536 + 131,072 + the rest");
        for &each in &inserted {
            assert!(
                filter.may_contain(each),
                "{each:?} lost after later inserts"
            );
        }
    }

    /// The share of `queries` the filter wrongly claims.
    fn false_positive_rate(filter: &IdFilter, queries: &[TransferId]) -> f64 {
        let hits = queries.iter().filter(|&&q| filter.may_contain(q)).count();
        hits as f64 / queries.len() as f64
    }

    /// Fills a filter with sequential ids and with random ids, and at each fill level (a full
    /// layer, just after the next starts) measures 200,000 ids never inserted: the next
    /// sequential ids, and random ones.
    #[test]
    fn false_positives_stay_within_the_bound() {
        let levels = [65_536u64, 65_537, 196_608, 196_609];
        for sequential in [true, false] {
            let mut filter = IdFilter::new();
            let mut random = Ids(0xFEED_FACE_CAFE_BEEF);
            let mut inserted: u64 = 0;
            for level in levels {
                while inserted < level {
                    inserted += 1;
                    filter.insert(if sequential {
                        id(inserted.into())
                    } else {
                        random.next()
                    });
                }
                let queries: Vec<TransferId> = if sequential {
                    (1..=200_000).map(|n| id(u128::from(level) + n)).collect()
                } else {
                    let mut fresh = Ids(level);
                    (0..200_000).map(|_| fresh.next()).collect()
                };
                let rate = false_positive_rate(&filter, &queries);
                let full_layers = (filter.layers.len() - usize::from(level % 2 == 1)) as f64;
                // The design's bound per full layer, and the 1% total.
                let per_layer_bound = 0.01 / LAYERS_WITHIN_BOUND as f64;
                println!(
                    "{level} ids (sequential: {sequential}): {:.4}% false",
                    100.0 * rate
                );
                assert!(
                    rate <= 0.01,
                    "{rate} at {level} ids (sequential: {sequential})"
                );
                assert!(
                    rate <= per_layer_bound * full_layers,
                    "{rate} at {level} ids, {full_layers} full layers (sequential: {sequential})"
                );
            }
        }
    }

    /// Sequential ids spread over a layer's blocks as random ones would: the block loads have
    /// the variance of a Poisson count (a poor mix would pile counters into a few blocks).
    #[test]
    fn sequential_ids_spread_evenly_over_the_blocks() {
        for start in [1u128, 1 << 64, (1 << 127) | 1] {
            let layer = Layer::new(0);
            let mut loads = vec![0u32; layer.blocks.len()];
            for n in 0..FIRST_LAYER_CAPACITY {
                loads[layer.block_index(&Probe::of(id(start + u128::from(n))))] += 1;
            }
            let mean = FIRST_LAYER_CAPACITY as f64 / loads.len() as f64;
            let variance = loads
                .iter()
                .map(|&l| (f64::from(l) - mean).powi(2))
                .sum::<f64>()
                / loads.len() as f64;
            let ratio = variance / mean;
            assert!(
                (0.85..1.15).contains(&ratio),
                "variance/mean {ratio} from {start}"
            );
        }
    }

    fn sample_filter() -> IdFilter {
        let mut filter = IdFilter::new();
        for n in 1..=70_000u128 {
            filter.insert(id(n * 7919));
        }
        filter
    }

    #[test]
    fn encoding_round_trips() {
        for filter in [IdFilter::new(), sample_filter()] {
            let mut bytes = vec![0xAA]; // encode appends
            filter.encode(&mut bytes);
            let (decoded, read) = IdFilter::decode(&bytes[1..]).unwrap();
            assert_eq!(read, bytes.len() - 1);
            assert_eq!(decoded, filter);
            for n in 1..=80_000u128 {
                assert_eq!(decoded.may_contain(id(n)), filter.may_contain(id(n)));
            }
        }
        assert_eq!(IdFilter::decode(&[1, 0]), Ok((IdFilter::new(), 2)));
    }

    #[test]
    fn trailing_bytes_are_left_to_the_caller() {
        let filter = sample_filter();
        let mut bytes = Vec::new();
        filter.encode(&mut bytes);
        let length = bytes.len();
        bytes.extend_from_slice(b"next part");
        assert_eq!(IdFilter::decode(&bytes), Ok((filter, length)));
    }

    fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
        bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn malformed_encodings_are_refused() {
        let mut good = Vec::new();
        sample_filter().encode(&mut good);
        let layer0_words = words_for(FIRST_LAYER_CAPACITY) as usize;
        let layer1 = 2 + LAYER_HEADER_BYTES + layer0_words * 8;
        let refused = |bytes: &[u8], reason: &str| {
            let error = IdFilter::decode(bytes).expect_err(reason);
            assert!(error.contains(reason), "{error:?} does not say {reason:?}");
        };
        // Every cut is refused, at every kind of boundary.
        for cut in [
            0,
            1,
            2,
            10,
            25,
            26,
            1000,
            layer1 - 1,
            layer1,
            layer1 + 30,
            good.len() - 1,
        ] {
            refused(&good[..cut], "truncated");
        }
        let edit = |at: usize, value: u64| {
            let mut bytes = good.clone();
            put_u64(&mut bytes, at, value);
            bytes
        };
        let mut bad = good.clone();
        bad[0] = 2;
        refused(&bad, "unknown version");
        bad = good.clone();
        bad[1] = LAYERS_MAX as u8 + 1;
        refused(&bad, "more layers");
        bad[1] = 3; // a third layer: the second is then not the newest, and not full
        refused(&bad, "not full");
        refused(&edit(2, FIRST_LAYER_CAPACITY * 2), "capacity");
        refused(&edit(layer1, FIRST_LAYER_CAPACITY), "capacity");
        // Word counts too large to allocate, or that overflow when counted in bytes.
        for words in [layer0_words as u64 + 8, u64::MAX, u64::MAX / 8 + 1, 1 << 40] {
            refused(&edit(2 + 16, words), "word count");
        }
        refused(&edit(2 + 8, 0), "count is zero");
        refused(
            &edit(layer1 + 8, FIRST_LAYER_CAPACITY * 2 + 1),
            "above its capacity",
        );
        refused(&edit(2 + 8, FIRST_LAYER_CAPACITY - 1), "not full");
        // A block with one word cleared, and a layer with more bits than its ids could set.
        let block_start = good[26..].chunks(8).position(|w| w != [0; 8]).unwrap() / 8 * 64 + 26;
        refused(&edit(block_start, 0), "some words set");
        refused(&edit(layer1 + 8, 1), "more bits set");
    }

    /// The bytes of a small filter, pinned: a change to the hashing or the layout fails here
    /// (and then needs a new `ID_FILTER_VERSION`). The first id is FORMAT.md §16.3's example.
    #[test]
    fn encoding_is_pinned() {
        let mut filter = IdFilter::new();
        for value in [1u128, 2, 3, u128::MAX, 1 << 127] {
            filter.insert(id(value));
        }
        let mut bytes = Vec::new();
        filter.encode(&mut bytes);
        assert_eq!(bytes.len(), 2 + 24 + 18_432 * 8);
        assert_eq!(
            bytes[..26],
            [
                1, 1, //
                0, 0, 1, 0, 0, 0, 0, 0, // capacity 65,536
                5, 0, 0, 0, 0, 0, 0, 0, // count 5
                0, 72, 0, 0, 0, 0, 0, 0, // 18,432 words
            ]
        );
        // FORMAT.md §16.3's worked example: id 1.
        let probe = Probe::of(id(1));
        assert_eq!(probe.select, 0xE8F0_52B6_0D5E_2BF6);
        assert_eq!(mix64(probe.select ^ BITS_KEY), 0xC99A_1851_F963_7197);
        // The bytes, block by block: the bit set in each of the eight words of every block that
        // is not zero (each word here has one bit).
        let words: Vec<u64> = bytes[26..]
            .chunks(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
            .collect();
        let set: Vec<(usize, [u32; 8])> = words
            .chunks(8)
            .enumerate()
            .filter(|(_, block)| block.iter().any(|&w| w != 0))
            .map(|(index, block)| {
                assert!(block.iter().all(|w| w.count_ones() == 1), "block {index}");
                (index, std::array::from_fn(|w| block[w].trailing_zeros()))
            })
            .collect();
        assert_eq!(
            set,
            [
                (809, [56, 24, 45, 21, 45, 30, 22, 13]), // id 3
                (1425, [31, 34, 31, 51, 53, 12, 0, 20]), // id 2^127
                (1460, [2, 39, 37, 30, 24, 50, 51, 7]),  // id 2
                (2096, [23, 6, 55, 24, 57, 7, 5, 6]),    // id 1
                (2198, [16, 26, 51, 30, 15, 58, 41, 5]), // id 2^128 − 1
            ]
        );
    }

    /// Memory per id at the worst point the test sizes reach: a million ids, just after the
    /// fifth layer (1,048,576 ids) was added to four full ones (983,040 ids).
    #[test]
    fn memory_per_id_at_a_million_ids() {
        let mut filter = IdFilter::new();
        for n in 1..=1_000_000u128 {
            filter.insert(id(n));
        }
        let per_id = filter.memory_bytes() as f64 / filter.len() as f64;
        println!("{filter:?}: {per_id:.3} bytes per id");
        // Five layers of 65,536 × (1 + 2 + 4 + 8 + 16) ids' worth of blocks, and the list.
        let layer_bytes = (65_536 * 31 * BITS_PER_ID / 8) as usize;
        let list_bytes = filter.layers.capacity() * std::mem::size_of::<Layer>();
        assert_eq!(
            filter.memory_bytes(),
            layer_bytes + list_bytes,
            "{filter:?}"
        );
        assert!(per_id < 4.6, "{per_id} bytes per id");
    }

    /// Speed of insert and query; a measurement, not a check. Run it with
    /// `cargo test -p timebank-core --release --lib id_filter -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: run in release with --ignored --nocapture"]
    fn speed() {
        use std::hint::black_box;
        use std::time::Instant;
        for total in [1_000_000u64, 10_000_000] {
            let mut random = Ids(total);
            let ids: Vec<TransferId> = (0..total).map(|_| random.next()).collect();
            let mut filter = IdFilter::new();
            let start = Instant::now();
            for &each in &ids {
                filter.insert(black_box(each));
            }
            let insert_ns = start.elapsed().as_nanos() as f64 / total as f64;
            let queries: Vec<TransferId> = (0..total).map(|_| random.next()).collect();
            let start = Instant::now();
            let hits = queries
                .iter()
                .filter(|&&q| filter.may_contain(black_box(q)))
                .count();
            let absent_ns = start.elapsed().as_nanos() as f64 / total as f64;
            let start = Instant::now();
            let found = ids
                .iter()
                .filter(|&&q| filter.may_contain(black_box(q)))
                .count();
            let present_ns = start.elapsed().as_nanos() as f64 / total as f64;
            assert_eq!(found as u64, total);
            println!(
                "{total} ids, {} layers, {:.2} bytes/id: insert {insert_ns:.1} ns, query \
                 (absent) {absent_ns:.1} ns, query (present) {present_ns:.1} ns, false \
                 positives {:.4}%",
                filter.layers.len(),
                filter.memory_bytes() as f64 / total as f64,
                100.0 * hits as f64 / total as f64,
            );
        }
    }
}
