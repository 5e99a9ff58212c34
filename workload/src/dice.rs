//! The seeded die every workload draws from: SplitMix64, small and the same on every machine, so
//! a seed always gives the same workload.

use ledger_core::Amount;

use crate::city::{CITY_COMMUNITIES, DAYS_PER_MONTH};

/// A small deterministic generator (SplitMix64): the same seed gives the same draws.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// A die whose draws follow from `seed` alone.
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n.max(1))) as u32
    }

    /// An index into a slice of `len` items (`0` when `len` is 0); one draw, as [`Dice::below`].
    pub fn index(&mut self, len: usize) -> usize {
        (self.next_u64() % len.max(1) as u64) as usize
    }

    /// A non-zero 128-bit id that looks like a host's UUID (two draws).
    pub fn id(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())).max(1)
    }

    /// Hours of one service: half an hour to three hours, in quarter hours.
    pub fn hours(&mut self) -> Amount {
        // Invariant: 50 to 300 hundredths is a positive amount at scale 2.
        Amount::from_minor(50 + u64::from(self.below(11)) * 25, 2).expect("positive hours")
    }

    /// How many of an event happen today in `communities` communities, given the report city's
    /// monthly count: the expected number, `city_per_month × communities / (227 × 30)` to the
    /// thousandth, its fraction rounded up with that chance (one draw).
    pub fn per_day(&mut self, city_per_month: u64, communities: u32) -> u32 {
        let thousandths =
            city_per_month * u64::from(communities) * 1_000 / (CITY_COMMUNITIES * DAYS_PER_MONTH);
        let whole = thousandths / 1_000;
        let extra = u64::from(self.below(1_000) as u16) < thousandths % 1_000;
        (whole + u64::from(extra)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_draws_and_another_seed_others() {
        let draws = |seed| {
            let mut dice = Dice::new(seed);
            (0..8).map(|_| dice.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        // SplitMix64's published first output for seed 0.
        assert_eq!(Dice::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn below_and_index_draw_the_same_number() {
        let (mut a, mut b) = (Dice::new(3), Dice::new(3));
        for n in [1u32, 2, 7, 1_000] {
            assert_eq!(a.below(n) as usize, b.index(n as usize));
        }
        assert_eq!(Dice::new(1).below(0), 0);
    }
}
