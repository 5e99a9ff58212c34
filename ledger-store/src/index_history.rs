//! An account's history as the sled index stores it: *runs* of up to [`RUN_ENTRIES_MAX`]
//! entries, each entry carrying what a statement line shows (FORMAT.md §10), so that a
//! statement page is read from the index alone.
//!
//! An index batch appends each touched account's new entries as new runs (one key per 64 of
//! them) and never rewrites a run: sled logs every value it writes, so rewriting an account's
//! last bucket on every batch (the layout before) cost several times the entries' own bytes.
//!
//! A run's key is `h` ‖ account (u128 BE) ‖ lines before it (u64 BE) ‖ its first entry's
//! timestamp (u64 BE), where *lines* counts the account's statement lines (transfers that moved
//! its posted balance). Timestamps are strictly increasing, so key order is the order applied,
//! and the run holding line *n* (from 0) is the last one whose lines before is at most *n*: one
//! seek. Its value starts with the posted balance before it, so the balance before any line is
//! that one read plus a sum over at most 64 entries.

use ledger_core::report::StatementEntry;
use ledger_core::{AccountId, Decimal, TransferId};

use crate::leb128;

pub const PREFIX_HISTORY: u8 = b'h';
pub const RUN_KEY_BYTES: usize = 1 + 16 + 8 + 8;
/// Entries in a run at most: big enough that a catch-up writes few keys, small enough that
/// reading the run that holds one line stays cheap.
pub const RUN_ENTRIES_MAX: usize = 64;

const FLAG_POSTED: u8 = 1;
const FLAG_REVERSAL: u8 = 1 << 1;
/// The counterparty is the entry before's (not written); never on a run's first entry.
const FLAG_SAME_COUNTERPARTY: u8 = 1 << 2;
/// The code is the entry before's (not written); never on a run's first entry.
const FLAG_SAME_CODE: u8 = 1 << 3;
/// The service was recorded after it was done: `timestamp - served_at` (not zero) is written.
const FLAG_SERVED_EARLIER: u8 = 1 << 4;
const FLAGS_DEFINED: u8 =
    FLAG_POSTED | FLAG_REVERSAL | FLAG_SAME_COUNTERPARTY | FLAG_SAME_CODE | FLAG_SERVED_EARLIER;

const DECIMAL_SIGN_BIT: u8 = 1 << 7;
const DECIMAL_SCALE_MASK: u8 = 0x1f;
const DECIMAL_SCALE_MAX: u32 = 28;
/// A decimal's magnitude is at most 96 bits.
const DECIMAL_MAGNITUDE_MAX: u128 = (1 << 96) - 1;

/// A run of an account's history: its entries in the order applied, the lines before it and
/// the account's posted balance before it (the running sum of the lines' amounts from zero,
/// with the scale that sum has, so summing on gives each line's balance exactly as shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The account's statement lines before the run's first entry.
    pub lines_before: u64,
    /// The account's posted balance before the run's first entry.
    pub opening_balance: Decimal,
    /// One to [`RUN_ENTRIES_MAX`] entries, timestamps strictly increasing.
    pub entries: Vec<StatementEntry>,
}

impl Run {
    /// The key the run is stored under (`None` for a run without entries, never stored).
    pub fn key(&self, account: AccountId) -> Option<[u8; RUN_KEY_BYTES]> {
        let first = self.entries.first()?;
        Some(run_key(account, self.lines_before, first.timestamp))
    }

    /// The lines and the posted balance after the run, or `None` when the sum overflows.
    pub fn end(&self) -> Option<(u64, Decimal)> {
        let mut lines = self.lines_before;
        let mut balance = self.opening_balance;
        for entry in self.entries.iter().filter(|e| e.posted) {
            lines += 1;
            balance = balance.checked_add(entry.amount)?;
        }
        Some((lines, balance))
    }
}

/// `h` ‖ account ‖ lines before ‖ first timestamp: byte order is the history's order.
pub fn run_key(account: AccountId, lines_before: u64, timestamp: u64) -> [u8; RUN_KEY_BYTES] {
    let mut key = [PREFIX_HISTORY; RUN_KEY_BYTES];
    key[1..17].copy_from_slice(&account.get().to_be_bytes());
    key[17..25].copy_from_slice(&lines_before.to_be_bytes());
    key[25..].copy_from_slice(&timestamp.to_be_bytes());
    key
}

/// `h` ‖ account: what every run key of the account starts with.
pub fn account_prefix(account: AccountId) -> [u8; 17] {
    let mut prefix = [PREFIX_HISTORY; 17];
    prefix[1..].copy_from_slice(&account.get().to_be_bytes());
    prefix
}

/// The opening balance (decimal), then per entry: flags (bit 0 posted, bit 1 reversal, bit 2
/// the counterparty is the entry before's, bit 3 the code is, bit 4 served earlier) ‖
/// timestamp − the previous entry's (LEB128; 0 for the first, whose timestamp is the key's) ‖
/// transfer id − the previous entry's (zigzag LEB128, the first's from 0) ‖ counterparty (u128
/// LE, unless bit 2) ‖ code (u16 LE, unless bit 3) ‖ timestamp − served_at (LEB128, if bit 4) ‖
/// amount (decimal). A decimal is one byte of sign (bit 7) and scale (bits 0–4) then its
/// magnitude in LEB128.
pub fn encode_run(run: &Run) -> Vec<u8> {
    let mut value = Vec::with_capacity(16 + run.entries.len() * 16);
    put_decimal(&mut value, run.opening_balance);
    let mut previous: Option<&StatementEntry> = None;
    for entry in &run.entries {
        let same_counterparty = previous.is_some_and(|p| p.counterparty == entry.counterparty);
        let same_code = previous.is_some_and(|p| p.code == entry.code);
        let earlier = entry.timestamp.saturating_sub(entry.served_at);
        let mut flags = 0;
        for (bit, on) in [
            (FLAG_POSTED, entry.posted),
            (FLAG_REVERSAL, entry.reversal),
            (FLAG_SAME_COUNTERPARTY, same_counterparty),
            (FLAG_SAME_CODE, same_code),
            (FLAG_SERVED_EARLIER, earlier != 0),
        ] {
            if on {
                flags |= bit;
            }
        }
        value.push(flags);
        let (after, previous_id) =
            previous.map_or((entry.timestamp, 0), |p| (p.timestamp, p.transfer.get()));
        leb128::put(&mut value, u128::from(entry.timestamp - after));
        leb128::put(
            &mut value,
            leb128::step(previous_id, entry.transfer.get(), 128),
        );
        if !same_counterparty {
            value.extend_from_slice(&entry.counterparty.get().to_le_bytes());
        }
        if !same_code {
            value.extend_from_slice(&entry.code.to_le_bytes());
        }
        if earlier != 0 {
            leb128::put(&mut value, u128::from(earlier));
        }
        put_decimal(&mut value, entry.amount);
        previous = Some(entry);
    }
    value
}

/// The run stored under `key` with `value`, or `None` when either is not well formed.
pub fn decode_run(key: &[u8], value: &[u8]) -> Option<Run> {
    let key: &[u8; RUN_KEY_BYTES] = key.try_into().ok()?;
    if key[0] != PREFIX_HISTORY {
        return None;
    }
    let lines_before = u64::from_be_bytes(key[17..25].try_into().ok()?);
    let mut timestamp = u64::from_be_bytes(key[25..].try_into().ok()?);
    let mut rest = value;
    let opening_balance = get_decimal(&mut rest)?;
    let mut entries: Vec<StatementEntry> = Vec::new();
    let mut id: u128 = 0;
    while let Some((&flags, after_flags)) = rest.split_first() {
        rest = after_flags;
        if flags & !FLAGS_DEFINED != 0 || entries.len() == RUN_ENTRIES_MAX {
            return None;
        }
        let step = u64::try_from(leb128::take(&mut rest, u128::from(u64::MAX))?).ok()?;
        // The first entry is at the key's timestamp; each later one strictly after.
        if (step == 0) != entries.is_empty() {
            return None;
        }
        timestamp = timestamp.checked_add(step)?;
        id = leb128::apply_step(id, leb128::take(&mut rest, u128::MAX)?, 128);
        // A repeat on the first entry, or of what is written, is not this encoding.
        let counterparty = match (flags & FLAG_SAME_COUNTERPARTY != 0, entries.last()) {
            (true, Some(previous)) => previous.counterparty,
            (true, None) => return None,
            (false, previous) => {
                let counterparty = AccountId::new(take::<16>(&mut rest).map(u128::from_le_bytes)?)?;
                if previous.is_some_and(|p| p.counterparty == counterparty) {
                    return None;
                }
                counterparty
            }
        };
        let code = match (flags & FLAG_SAME_CODE != 0, entries.last()) {
            (true, Some(previous)) => previous.code,
            (true, None) => return None,
            (false, previous) => {
                let code = take::<2>(&mut rest).map(u16::from_le_bytes)?;
                if previous.is_some_and(|p| p.code == code) {
                    return None;
                }
                code
            }
        };
        let earlier = if flags & FLAG_SERVED_EARLIER != 0 {
            match u64::try_from(leb128::take(&mut rest, u128::from(u64::MAX))?).ok()? {
                0 => return None,
                earlier => earlier,
            }
        } else {
            0
        };
        let amount = get_decimal(&mut rest)?;
        entries.push(StatementEntry {
            transfer: TransferId::new(id)?,
            timestamp,
            served_at: timestamp.checked_sub(earlier)?,
            code,
            counterparty,
            amount,
            reversal: flags & FLAG_REVERSAL != 0,
            posted: flags & FLAG_POSTED != 0,
        });
    }
    let run = Run {
        lines_before,
        opening_balance,
        entries,
    };
    // At least one entry, and sums that do not overflow.
    (!run.entries.is_empty() && run.end().is_some()).then_some(run)
}

fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = bytes.split_first_chunk::<N>()?;
    *bytes = rest;
    Some(*head)
}

fn put_decimal(out: &mut Vec<u8>, d: Decimal) {
    let sign = if d.is_sign_negative() {
        DECIMAL_SIGN_BIT
    } else {
        0
    };
    out.push(sign | d.scale() as u8);
    leb128::put(out, d.mantissa().unsigned_abs());
}

fn get_decimal(bytes: &mut &[u8]) -> Option<Decimal> {
    let (&sign_scale, rest) = bytes.split_first()?;
    *bytes = rest;
    let scale = u32::from(sign_scale & DECIMAL_SCALE_MASK);
    if sign_scale & !(DECIMAL_SIGN_BIT | DECIMAL_SCALE_MASK) != 0 || scale > DECIMAL_SCALE_MAX {
        return None;
    }
    let magnitude = leb128::take(bytes, DECIMAL_MAGNITUDE_MAX)?;
    let word = |i: u32| (magnitude >> (32 * i)) as u32;
    Some(Decimal::from_parts(
        word(0),
        word(1),
        word(2),
        sign_scale & DECIMAL_SIGN_BIT != 0,
        scale,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn entry(id: u128, timestamp: u64, amount: &str) -> StatementEntry {
        StatementEntry {
            transfer: TransferId::new(id).unwrap(),
            timestamp,
            served_at: timestamp - 1_000_000_000_000,
            code: 101,
            counterparty: AccountId::new(u128::MAX >> 1).unwrap(),
            amount: Decimal::from_str(amount).unwrap(),
            reversal: id.is_multiple_of(2),
            posted: !id.is_multiple_of(3),
        }
    }

    fn sample() -> Run {
        let t = 1_700_000_000_000_000_000;
        Run {
            lines_before: 5,
            opening_balance: Decimal::from_str("-7922816251426433759354395033.5").unwrap(),
            entries: vec![
                entry(u128::MAX, t, "1.25"),
                entry(1, t + 1, "-2.50"),
                entry(7, t + 1_000_000, "0.0000000000000000000000000001"),
                entry(6, u64::MAX, "-3"),
            ],
        }
    }

    #[test]
    fn a_run_round_trips_with_its_scales_signs_and_ids() {
        let account = AccountId::new(3).unwrap();
        let run = sample();
        let key = run.key(account).unwrap();
        let back = decode_run(&key, &encode_run(&run)).unwrap();
        assert_eq!(back, run);
        let amounts: Vec<String> = back.entries.iter().map(|e| e.amount.to_string()).collect();
        assert_eq!(
            amounts,
            ["1.25", "-2.50", "0.0000000000000000000000000001", "-3"]
        );
        // A zero keeps its scale: the running sum is kept exactly ("0.0" is not "0").
        let zero = Run {
            opening_balance: Decimal::new(0, 1),
            ..run
        };
        let back = decode_run(&key, &encode_run(&zero)).unwrap();
        assert_eq!(back.opening_balance.to_string(), "0.0");
    }

    #[test]
    fn malformed_runs_read_as_none() {
        let account = AccountId::new(3).unwrap();
        // The opening balance (one) takes the first two bytes.
        let run = Run {
            opening_balance: Decimal::ONE,
            ..sample()
        };
        let key = run.key(account).unwrap();
        let value = encode_run(&run);
        assert!(decode_run(&key, &value).is_some());
        assert!(decode_run(&key[1..], &value).is_none());
        assert!(decode_run(&key, &value[..value.len() - 1]).is_none());
        let mut longer = value.clone();
        longer.push(0);
        assert!(decode_run(&key, &longer).is_none());
        // No entries; a flag byte out of range; an opening balance with scale 29.
        assert!(decode_run(&key, &value[..2]).is_none());
        let mut bad = value.clone();
        bad[2] = 0x04;
        assert!(decode_run(&key, &bad).is_none());
        let mut bad = value.clone();
        bad[0] = 0x80 | 29;
        assert!(decode_run(&key, &bad).is_none());
        // A first entry's served_at after its timestamp: the key says an earlier time.
        let early = run_key(account, 5, 5);
        assert!(decode_run(&early, &value).is_none());
        // More than RUN_ENTRIES_MAX entries.
        let t = 1_700_000_000_000_000_000;
        let long = Run {
            lines_before: 0,
            opening_balance: Decimal::ZERO,
            entries: (1..=RUN_ENTRIES_MAX as u128 + 1)
                .map(|i| entry(i, t + i as u64, "1"))
                .collect(),
        };
        assert!(decode_run(&long.key(account).unwrap(), &encode_run(&long)).is_none());
    }

    /// Counterparties and codes that repeat are not written again, a service recorded when done
    /// writes no gap; anything else is spelled out, and the flags must say which.
    #[test]
    fn repeats_are_flagged_not_written_and_a_wrong_flag_is_damage() {
        let account = AccountId::new(3).unwrap();
        let t = 1_700_000_000_000_000_000;
        let mut entries: Vec<StatementEntry> =
            (1..=4).map(|i| entry(i, t + i as u64, "1")).collect();
        entries[0].served_at = entries[0].timestamp;
        entries[2].counterparty = AccountId::new(9).unwrap();
        entries[3].code = 102;
        entries[3].served_at = entries[3].timestamp;
        let run = Run {
            lines_before: 0,
            opening_balance: Decimal::ZERO,
            entries,
        };
        let key = run.key(account).unwrap();
        let value = encode_run(&run);
        assert_eq!(decode_run(&key, &value), Some(run.clone()));
        // Opening balance (2 bytes), then the first entry: flags, timestamp step, id step,
        // counterparty (16), code (2), no gap, amount (2).
        assert_eq!(value[2], FLAG_POSTED);
        let second = 2 + 1 + 1 + 1 + 16 + 2 + 2;
        assert_eq!(
            value[second] & (FLAG_SAME_COUNTERPARTY | FLAG_SAME_CODE | FLAG_SERVED_EARLIER),
            FLAG_SAME_COUNTERPARTY | FLAG_SAME_CODE | FLAG_SERVED_EARLIER
        );
        let repeats = Run {
            entries: (1..=4).map(|i| entry(i, t + i as u64, "1")).collect(),
            ..run.clone()
        };
        // The opening balance 2 bytes; the first entry 29 (flags, timestamp and id steps, the
        // counterparty 16, the code 2, the gap of 10^12 ns 6, the amount 2); each later one 11.
        assert_eq!(encode_run(&repeats).len(), 2 + 29 + 3 * 11);
        // A repeat flag on the first entry: there is nothing before it to repeat.
        for flag in [FLAG_SAME_COUNTERPARTY, FLAG_SAME_CODE] {
            let mut bad = value.clone();
            bad[2] |= flag;
            assert_eq!(decode_run(&key, &bad), None, "flag {flag}");
        }
        // A gap flagged but written as zero.
        let one = Run {
            entries: run.entries[..1].to_vec(),
            ..run.clone()
        };
        let mut zero_gap = encode_run(&one);
        zero_gap[2] |= FLAG_SERVED_EARLIER;
        zero_gap.insert(2 + 1 + 1 + 1 + 16 + 2, 0);
        assert_eq!(decode_run(&key, &zero_gap), None);
        // A counterparty (or code) written out equal to the entry before's.
        let two = Run {
            entries: run.entries[..2].to_vec(),
            ..run.clone()
        };
        let compact = encode_run(&two);
        let at = 2 + 1 + 1 + 1 + 16 + 2 + 2;
        let mut spelled_out = compact.clone();
        spelled_out[at] &= !FLAG_SAME_COUNTERPARTY;
        let counterparty = run.entries[0].counterparty.get().to_le_bytes();
        spelled_out.splice(at + 3..at + 3, counterparty);
        assert_eq!(decode_run(&key, &spelled_out), None);
        let mut code_out = compact;
        code_out[at] &= !FLAG_SAME_CODE;
        code_out.splice(at + 3..at + 3, 101u16.to_le_bytes());
        assert_eq!(decode_run(&key, &code_out), None);
    }

    #[test]
    fn run_keys_sort_as_the_history() {
        let a = AccountId::new(3).unwrap();
        assert!(run_key(a, 1, u64::MAX) < run_key(a, 2, 1));
        assert!(run_key(a, 2, 1) < run_key(a, 2, 2));
        assert!(run_key(a, 9, 9).starts_with(&account_prefix(a)));
        assert!(run_key(a, u64::MAX, u64::MAX) < run_key(AccountId::new(4).unwrap(), 0, 0));
    }
}
