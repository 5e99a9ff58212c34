//! An account as the sled index stores it: a fixed-size little-endian record (FORMAT.md §10),
//! several times smaller and cheaper to write than JSON. The id is the key's, not repeated.

use ledger_core::limits::{BALANCE_WHOLE_MAX, UNIT_SCALE_MAX};
use ledger_core::{Account, AccountId, AccountKind, Balances};

/// The size of every account value.
pub const ACCOUNT_VALUE_BYTES: usize = 118;

const OFFSET_UNIT: usize = 0;
const OFFSET_KIND: usize = 2;
const OFFSET_COMMUNITY: usize = 3;
const OFFSET_USER_DATA: usize = 7;
const OFFSET_TIMESTAMP: usize = 23;
const OFFSET_FLAGS: usize = 31;
const OFFSET_ELIGIBLE_FROM: usize = 32;
const OFFSET_FLOOR: usize = 40;
const OFFSET_CEILING: usize = 53;
const OFFSET_DEBITS_PENDING: usize = 66;
const OFFSET_DEBITS_POSTED: usize = 79;
const OFFSET_CREDITS_PENDING: usize = 92;
const OFFSET_CREDITS_POSTED: usize = 105;
const DECIMAL_BYTES: usize = 13;
const _: () = assert!(OFFSET_CREDITS_POSTED + DECIMAL_BYTES == ACCOUNT_VALUE_BYTES);

const FLAG_CLOSED: u8 = 1;
const FLAG_FLOOR: u8 = 1 << 1;
const FLAG_CEILING: u8 = 1 << 2;
const FLAG_ELIGIBLE_FROM: u8 = 1 << 3;
const FLAGS_DEFINED: u8 = FLAG_CLOSED | FLAG_FLOOR | FLAG_CEILING | FLAG_ELIGIBLE_FROM;

const DECIMAL_SIGN_BIT: u8 = 1 << 7;
const DECIMAL_SCALE_MASK: u8 = 0x1f;

/// Writes `account` into `out` (every byte, absent optional fields as zeros).
pub fn encode_account(account: &Account, out: &mut [u8; ACCOUNT_VALUE_BYTES]) {
    out.fill(0);
    out[OFFSET_UNIT..OFFSET_KIND].copy_from_slice(&account.unit.to_le_bytes());
    out[OFFSET_KIND] = account.kind as u8;
    out[OFFSET_COMMUNITY..OFFSET_USER_DATA].copy_from_slice(&account.community.to_le_bytes());
    out[OFFSET_USER_DATA..OFFSET_TIMESTAMP].copy_from_slice(&account.user_data.to_le_bytes());
    out[OFFSET_TIMESTAMP..OFFSET_FLAGS].copy_from_slice(&account.timestamp.to_le_bytes());
    let mut flags = 0;
    if account.closed {
        flags |= FLAG_CLOSED;
    }
    let scale = account.scale;
    if let Some(floor) = account.floor {
        flags |= FLAG_FLOOR;
        put_minor(out, OFFSET_FLOOR, floor, scale);
    }
    if let Some(ceiling) = account.ceiling {
        flags |= FLAG_CEILING;
        put_minor(out, OFFSET_CEILING, ceiling, scale);
    }
    if let Some(from) = account.eligible_from {
        flags |= FLAG_ELIGIBLE_FROM;
        out[OFFSET_ELIGIBLE_FROM..OFFSET_FLOOR].copy_from_slice(&from.to_le_bytes());
    }
    out[OFFSET_FLAGS] = flags;
    let b = &account.balances;
    put_minor(out, OFFSET_DEBITS_PENDING, b.debits_pending, scale);
    put_minor(out, OFFSET_DEBITS_POSTED, b.debits_posted, scale);
    put_minor(out, OFFSET_CREDITS_PENDING, b.credits_pending, scale);
    put_minor(out, OFFSET_CREDITS_POSTED, b.credits_posted, scale);
}

/// The account stored under `id`, or `None` when `value` is not a well-formed account value.
pub fn decode_account(id: AccountId, value: &[u8]) -> Option<Account> {
    let value: &[u8; ACCOUNT_VALUE_BYTES] = value.try_into().ok()?;
    let flags = value[OFFSET_FLAGS];
    if flags & !FLAGS_DEFINED != 0 {
        return None;
    }
    // Every total and limit is written at the unit's scale; the first total says which it is.
    let scale = value[OFFSET_DEBITS_PENDING] & DECIMAL_SCALE_MASK;
    let optional = |flag: u8, at: usize| {
        if flags & flag != 0 {
            get_minor(value, at, scale).map(Some)
        } else {
            Some(None)
        }
    };
    Some(Account {
        id,
        unit: u16::from_le_bytes(array(value, OFFSET_UNIT)),
        scale,
        kind: AccountKind::from_u8(value[OFFSET_KIND])?,
        community: u32::from_le_bytes(array(value, OFFSET_COMMUNITY)),
        user_data: u128::from_le_bytes(array(value, OFFSET_USER_DATA)),
        floor: optional(FLAG_FLOOR, OFFSET_FLOOR)?,
        ceiling: optional(FLAG_CEILING, OFFSET_CEILING)?,
        eligible_from: (flags & FLAG_ELIGIBLE_FROM != 0)
            .then(|| u64::from_le_bytes(array(value, OFFSET_ELIGIBLE_FROM))),
        timestamp: u64::from_le_bytes(array(value, OFFSET_TIMESTAMP)),
        closed: flags & FLAG_CLOSED != 0,
        balances: Balances {
            debits_pending: get_minor(value, OFFSET_DEBITS_PENDING, scale)?,
            debits_posted: get_minor(value, OFFSET_DEBITS_POSTED, scale)?,
            credits_pending: get_minor(value, OFFSET_CREDITS_PENDING, scale)?,
            credits_posted: get_minor(value, OFFSET_CREDITS_POSTED, scale)?,
        },
    })
}

fn array<const N: usize>(value: &[u8; ACCOUNT_VALUE_BYTES], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&value[at..at + N]);
    out
}

/// A total or limit (minor units of a unit of `scale`) as the decimal it is, written as in the
/// journal (§4): sign (bit 7) and scale (bits 0–4) in one byte, then the 96-bit magnitude,
/// little-endian.
fn put_minor(out: &mut [u8; ACCOUNT_VALUE_BYTES], at: usize, minor: i128, scale: u8) {
    let sign = if minor < 0 { DECIMAL_SIGN_BIT } else { 0 };
    out[at] = sign | scale;
    out[at + 1..at + DECIMAL_BYTES].copy_from_slice(&minor.unsigned_abs().to_le_bytes()[..12]);
}

/// The total or limit at `at`, which must be written at `scale` (the unit's: the engine keeps
/// every total and limit at it) and within the largest balance.
fn get_minor(value: &[u8; ACCOUNT_VALUE_BYTES], at: usize, scale: u8) -> Option<i128> {
    let sign_scale = value[at];
    if sign_scale & !(DECIMAL_SIGN_BIT | DECIMAL_SCALE_MASK) != 0
        || sign_scale & DECIMAL_SCALE_MASK != scale
        || u32::from(scale) > UNIT_SCALE_MAX
    {
        return None;
    }
    let mut magnitude = [0u8; 16];
    magnitude[..12].copy_from_slice(&value[at + 1..at + DECIMAL_BYTES]);
    let magnitude = i128::from_le_bytes(magnitude);
    if magnitude > i128::from(BALANCE_WHOLE_MAX) * 10i128.pow(u32::from(scale)) {
        return None;
    }
    Some(if sign_scale & DECIMAL_SIGN_BIT != 0 {
        -magnitude
    } else {
        magnitude
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn sample() -> Account {
        Account {
            id: AccountId::new(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10).unwrap(),
            unit: 7,
            scale: 2,
            kind: AccountKind::Issuer,
            community: 0xdead_beef,
            user_data: u128::MAX - 5,
            floor: Some(-1_050),
            ceiling: None,
            eligible_from: Some(1_700_000_000_000_000_000),
            timestamp: 42,
            closed: true,
            balances: Balances {
                debits_pending: 0,
                debits_posted: i128::from(BALANCE_WHOLE_MAX) * 100,
                credits_pending: 150,
                credits_posted: -1,
            },
        }
    }

    #[test]
    fn an_account_round_trips_with_its_scale() {
        let account = sample();
        let mut value = [0u8; ACCOUNT_VALUE_BYTES];
        encode_account(&account, &mut value);
        let back = decode_account(account.id, &value).unwrap();
        assert_eq!(back, account);
        assert_eq!(
            value[OFFSET_FLOOR],
            DECIMAL_SIGN_BIT | 2,
            "-10.50: negative, scale 2"
        );
        assert_eq!(back.ceiling, None);
        let mut beyond = account.clone();
        beyond.balances.credits_pending = i128::from(BALANCE_WHOLE_MAX) * 100 + 1;
        encode_account(&beyond, &mut value);
        assert!(
            decode_account(account.id, &value).is_none(),
            "past the largest balance"
        );
    }

    /// The bytes of accounts the engine made (limits with decimals, posted and pending totals),
    /// recorded once: the engine's inner representation may change, these bytes may not.
    #[test]
    fn engine_accounts_encode_to_the_recorded_bytes() {
        use ledger_core::{Amount, Ledger, NewAccount, Transfer, TransferFlags, TransferId, Unit};
        let mut ledger = Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap();
        let (fund, member) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
        let d = |s: &str| Some(ledger_core::Decimal::from_str(s).unwrap());
        ledger
            .create_accounts(
                &[
                    NewAccount::new(fund, 1, AccountKind::Issuer).floor(d("-10.5")),
                    NewAccount::new(member, 1, AccountKind::Member).ceiling(d("45.750")),
                ],
                1_000,
            )
            .unwrap();
        let amount = |s| Amount::parse_in(s, 2).unwrap();
        let mut hold = Transfer::new(TransferId::new(2).unwrap(), member, fund, amount("0.25"), 1);
        hold.flags = TransferFlags::PENDING;
        let paid = Transfer::new(TransferId::new(1).unwrap(), fund, member, amount("2.5"), 1);
        ledger.create_transfers(&[paid, hold], 2_000).unwrap();
        let hex = |id| {
            let mut value = [0u8; ACCOUNT_VALUE_BYTES];
            encode_account(ledger.account(id).unwrap(), &mut value);
            value.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(
            hex(fund),
            "0100030000000000000000000000000000000000000000e8030000000000000200000000000000\
             00821a0400000000000000000000000000000000000000000000000200000000000000000000\
             000002fa00000000000000000000000219000000000000000000000002000000000000000000\
             000000"
        );
        assert_eq!(
            hex(member),
            "0100010000000000000000000000000000000000000000e9030000000000000600000000000000\
             000200000000000000000000000002df11000000000000000000000219000000000000000000\
             0000020000000000000000000000000200000000000000000000000002fa0000000000000000\
             000000"
        );
    }

    #[test]
    fn malformed_values_read_as_no_account() {
        let account = sample();
        let mut value = [0u8; ACCOUNT_VALUE_BYTES];
        encode_account(&account, &mut value);
        assert!(decode_account(account.id, &value[..ACCOUNT_VALUE_BYTES - 1]).is_none());
        for (at, byte) in [
            (OFFSET_KIND, 0),
            (OFFSET_FLAGS, 0x10),
            (OFFSET_FLOOR, 29),
            (OFFSET_FLOOR, 3),
        ] {
            let mut bad = value;
            bad[at] = byte;
            assert!(
                decode_account(account.id, &bad).is_none(),
                "byte {at} = {byte}"
            );
        }
    }
}
