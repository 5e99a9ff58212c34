//! Unsigned LEB128 (7 bits a byte, lowest first, in its shortest form) and the zigzag steps
//! the index's compact values write with it (FORMAT.md §10).

/// Appends `n` as LEB128.
pub fn put(out: &mut Vec<u8>, mut n: u128) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Takes a LEB128 number of at most `max` from the front of `bytes`, in its shortest form;
/// `None` when it is cut short, longer than it needs to be, or above `max`.
pub fn take(bytes: &mut &[u8], max: u128) -> Option<u128> {
    let mut n: u128 = 0;
    for shift in (0..128).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        let bits = u128::from(byte & 0x7f);
        if shift == 126 && bits > 3 {
            return None; // past 128 bits
        }
        n |= bits << shift;
        if byte & 0x80 == 0 {
            // A zero last byte after the first is a longer form of a shorter number.
            let shortest = byte != 0 || shift == 0;
            return (shortest && n <= max).then_some(n);
        }
    }
    None
}

/// The largest value of a `bits`-bit field (8 to 128).
pub fn field_max(bits: u32) -> u128 {
    u128::MAX >> (128 - bits)
}

/// The step from `previous` to `value`, both `bits`-bit fields: their difference modulo
/// 2^`bits` read as a signed `bits`-bit number, zigzag-encoded (0, −1, 1, −2 ... as 0, 1, 2,
/// 3 ...), so a small step either way is a small number.
pub fn step(previous: u128, value: u128, bits: u32) -> u128 {
    let shift = 128 - bits;
    // The difference as a signed number of `bits` bits, sign-extended to 128.
    let difference = ((value.wrapping_sub(previous) << shift) as i128) >> shift;
    ((difference << 1) ^ (difference >> 127)) as u128 & field_max(bits)
}

/// The value `step` (as [`step`] gives it, at most [`field_max`]`(bits)`) leads to from
/// `previous`.
pub fn apply_step(previous: u128, step: u128, bits: u32) -> u128 {
    let difference = (step >> 1) as i128 ^ -((step & 1) as i128);
    previous.wrapping_add(difference as u128) & field_max(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_only_in_their_shortest_form_and_range() {
        for n in [0, 1, 127, 128, 300, u128::from(u64::MAX), u128::MAX] {
            let mut out = Vec::new();
            put(&mut out, n);
            let mut rest = &out[..];
            assert_eq!(take(&mut rest, u128::MAX), Some(n));
            assert!(rest.is_empty());
            let mut cut = &out[..out.len() - 1];
            assert_eq!(take(&mut cut, u128::MAX), None, "{n} cut short");
        }
        assert_eq!(take(&mut &[0x80, 0x00][..], u128::MAX), None);
        assert_eq!(take(&mut &[0x80, 0x02][..], 255), None, "256 is above 255");
        assert_eq!(take(&mut &[0xff, 0x01][..], 255), Some(255));
        let past = [0xff; 18]
            .iter()
            .chain(&[0x04])
            .copied()
            .collect::<Vec<_>>();
        assert_eq!(take(&mut &past[..], u128::MAX), None);
    }

    #[test]
    fn steps_are_small_either_way_and_wrap_at_the_field_width() {
        for bits in [16, 32, 64, 128] {
            let max = field_max(bits);
            for (previous, value) in [(0, 0), (5, 6), (6, 5), (0, max), (max, 0), (7, max / 2)] {
                let s = step(previous, value, bits);
                assert!(s <= max);
                assert_eq!(apply_step(previous, s, bits), value, "{bits} bits");
            }
            assert_eq!(step(5, 6, bits), 2);
            assert_eq!(step(6, 5, bits), 1);
            assert_eq!(step(0, max, bits), 1);
        }
        assert_eq!(apply_step(0, field_max(16), 16), 0x8000);
    }
}
