//! Exact decimals as `(mantissa, scale)` pairs, the form the model keeps limits in.

/// A limit as a decimal: `(mantissa, scale)` with trailing zeros stripped, so equal values have
/// equal pairs.
pub type Exact = (i128, u32);

/// Strips trailing decimal zeros: 1.50 becomes 1.5, 2.0 becomes 2, 100 stays 100.
pub fn normalized(mut mantissa: i128, mut scale: u32) -> Exact {
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    (mantissa, scale)
}
