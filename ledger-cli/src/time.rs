//! Times on the command line: nanoseconds since the Unix epoch inside the ledger, RFC 3339 text
//! for people. The ledger never reads a clock; the tool reads the system clock only when no
//! `--at` is given.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{CliError, CliResult};

pub const NANOS_PER_SECOND: u64 = 1_000_000_000;
pub const NANOS_PER_DAY: u64 = 86_400 * NANOS_PER_SECOND;

/// The system clock, in nanoseconds since the Unix epoch.
pub fn system_now() -> CliResult<u64> {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CliError::usage("the system clock is before 1970; pass --at"))?;
    u64::try_from(since.as_nanos()).map_err(|_| CliError::usage("the system clock is too late"))
}

/// Parses a time: nanoseconds since the epoch (`1767225600000000000`), a date (`2026-01-01`,
/// midnight UTC), or RFC 3339 (`2026-01-01T08:00:00+08:00`, `2026-01-01T00:00:00.5Z`).
pub fn parse_time(text: &str) -> CliResult<u64> {
    let bad = || {
        CliError::usage(format!(
            "{text:?} is not a time: give RFC 3339 (2026-01-01T08:00:00+08:00), a date \
             (2026-01-01) or nanoseconds since 1970"
        ))
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    let (date, rest) = text.split_at(text.find(['T', 't', ' ']).unwrap_or(text.len()));
    let days = parse_date(date).ok_or_else(bad)?;
    let (seconds, nanos, offset_s) = if rest.is_empty() {
        (0, 0, 0)
    } else {
        parse_clock(&rest[1..]).ok_or_else(bad)?
    };
    let total_s = days * 86_400 + seconds - offset_s;
    let total_s = u64::try_from(total_s).map_err(|_| bad())?;
    total_s
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|n| n.checked_add(nanos))
        .ok_or_else(bad)
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (number(y)?, number(m)?, number(d)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH:MM:SS[.fraction](Z|±HH:MM)`: (seconds into the day, nanoseconds, offset seconds).
fn parse_clock(text: &str) -> Option<(i64, u64, i64)> {
    let zone_at = text.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = text.split_at(zone_at);
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i64, i64) = (number(h)?, number(m)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    let mut parts = hms.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.len() != 2 || m.len() != 2 || s.len() != 2 {
        return None;
    }
    let (h, m, s): (i64, i64, i64) = (number(h)?, number(m)?, number(s)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if f.is_empty() || f.len() > 9 => return None,
        Some(f) => number::<u64>(f)? * 10u64.pow(9 - f.len() as u32),
    };
    Some((h * 3600 + m * 60 + s, nanos, offset))
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// RFC 3339 in UTC, to the second (`2026-01-01T00:00:00Z`).
pub fn format_time(nanos: u64) -> String {
    format_time_in(nanos, 0)
}

/// RFC 3339 in a zone `offset_minutes` east of UTC (the policy's), to the second:
/// `2026-01-01T08:00:00+08:00`, or `...Z` for UTC.
pub fn format_time_in(nanos: u64, offset_minutes: i32) -> String {
    let offset_s = i64::from(offset_minutes) * 60;
    let seconds = (nanos / NANOS_PER_SECOND) as i64 + offset_s;
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    let zone = match offset_minutes {
        0 => "Z".to_string(),
        o => format!(
            "{}{:02}:{:02}",
            if o < 0 { '-' } else { '+' },
            o.unsigned_abs() / 60,
            o.unsigned_abs() % 60
        ),
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{zone}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_accepted_form_and_format_back() {
        let new_year = 1_767_225_600 * NANOS_PER_SECOND;
        assert_eq!(parse_time("2026-01-01").unwrap(), new_year);
        assert_eq!(parse_time("2026-01-01T00:00:00Z").unwrap(), new_year);
        assert_eq!(parse_time("2026-01-01T08:00:00+08:00").unwrap(), new_year);
        assert_eq!(
            parse_time("2026-01-01T00:00:00.25Z").unwrap(),
            new_year + 250_000_000
        );
        assert_eq!(parse_time(&new_year.to_string()).unwrap(), new_year);
        assert_eq!(format_time(new_year), "2026-01-01T00:00:00Z");
        assert_eq!(format_time_in(new_year, 480), "2026-01-01T08:00:00+08:00");
        assert_eq!(format_time_in(new_year, -90), "2025-12-31T22:30:00-01:30");
        for zone in [480, -90, 0] {
            assert_eq!(
                parse_time(&format_time_in(new_year, zone)).unwrap(),
                new_year
            );
        }
        assert_eq!(
            format_time(parse_time("2028-02-29T23:59:59Z").unwrap()),
            "2028-02-29T23:59:59Z"
        );
        for bad in [
            "",
            "2026-02-30",
            "2026-1-01",
            "2026-01-01T25:00:00Z",
            "yesterday",
            "-5",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?} parsed");
        }
    }
}
