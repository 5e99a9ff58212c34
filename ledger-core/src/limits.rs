//! Named maxima. Every batch, table and string in the engine has one, and the relations between
//! them are checked when the crate compiles.

/// Most events (account creations or transfers) in one batch. The same figure as TigerBeetle's
/// batch size so that one batch fits a 1 MiB message with room to spare.
pub const BATCH_EVENTS_MAX: usize = 8_190;

/// Most accounts one ledger holds. A province is about 10 M members; this leaves room for funds,
/// pools and growth while bounding memory.
pub const ACCOUNTS_MAX: usize = 64_000_000;

/// Most units (hours, points, ...) one ledger defines.
pub const UNITS_MAX: usize = 16;

/// Most decimal places a unit may have. Minutes need 2 places of an hour; nothing in the domain
/// needs more than 4, and a small scale keeps every balance far from `Decimal`'s limit.
pub const UNIT_SCALE_MAX: u32 = 6;

/// Most characters in a unit's name.
pub const UNIT_NAME_BYTES_MAX: usize = 32;

/// Most family links one account may have.
pub const LINKS_PER_ACCOUNT_MAX: usize = 64;

/// The largest amount of one transfer, in whole units: a billion hours is more than a province's
/// volunteers serve in a century, and a balance of `BALANCE_ABS_MAX` is still exact in `Decimal`.
pub const AMOUNT_WHOLE_MAX: u64 = 1_000_000_000;

/// The largest absolute value any balance total may reach, in whole units. Checked arithmetic
/// turns anything beyond into `ResultCode::OverflowsBalance` instead of an approximation.
pub const BALANCE_WHOLE_MAX: u64 = 1_000_000_000_000_000;

/// Longest pending timeout, in seconds (ten years): a booking can be made years ahead, never
/// forever.
pub const PENDING_TIMEOUT_S_MAX: u32 = 10 * 366 * 24 * 3600;

/// Most holds one `expire` releases; the rest wait for the next call. It bounds what one
/// journal record says about an expiry (every released hold is listed in its outcome).
pub const EXPIRED_PER_EXPIRE_MAX: usize = BATCH_EVENTS_MAX;

const _: () = assert!(BATCH_EVENTS_MAX <= u16::MAX as usize);
const _: () = assert!(AMOUNT_WHOLE_MAX < BALANCE_WHOLE_MAX);
// A balance at its limit, at the largest scale, still fits Decimal's 96-bit mantissa (7.9e28).
const _: () = assert!((BALANCE_WHOLE_MAX as u128) * 10u128.pow(UNIT_SCALE_MAX) < (1u128 << 96));
