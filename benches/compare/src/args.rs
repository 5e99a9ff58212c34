//! Command-line options.

use timebank_workload::community_bank::Size;

pub const USAGE: &str = "\
compare: this ledger side by side with SQLite, the raw disk and a naive in-memory engine

usage: compare [--quick] [--json] [--batch N] [--transfers N] [--members N] [--seed N]

  --quick        a small run (about 20,000 transfers; well under a minute)
  --json         print one JSON object instead of the table
  --batch N      events per batch, 1 to 8190 (default 1000)
  --transfers N  events measured in all (default: 200 batches, within 2,000..1,000,000;
                 with --quick 20 batches, within 200..40,000)
  --members N    members, spread over 227 communities (default 22,700; --quick 2,270)
  --seed N       the workload's seed (default 2026)";

/// Bengbu's urban communities (DOMAIN.md): one fund each.
pub const COMMUNITIES: usize = 227;

#[derive(Debug)]
pub struct Args {
    pub json: bool,
    pub quick: bool,
    pub size: Size,
}

fn number(flag: &str, value: Option<String>) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value
        .replace(['_', ','], "")
        .parse::<usize>()
        .map_err(|_| format!("{flag}: {value:?} is not a whole number"))
}

pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut json, mut quick) = (false, false);
    let (mut batch, mut transfers, mut members, mut seed) = (1000, None, None, 2026);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--quick" => quick = true,
            "--batch" => batch = number("--batch", argv.next())?,
            "--transfers" => transfers = Some(number("--transfers", argv.next())?),
            "--members" => members = Some(number("--members", argv.next())?),
            "--seed" => seed = number("--seed", argv.next())? as u64,
            "-h" | "--help" => return Ok(None),
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    if !(1..=ledger_core::limits::BATCH_EVENTS_MAX).contains(&batch) {
        return Err(format!("--batch must be 1 to 8190, not {batch}"));
    }
    let (batches, lo, hi) = if quick {
        (20, 200, 40_000)
    } else {
        (200, 2_000, 1_000_000)
    };
    let transfers = transfers.unwrap_or((batch * batches).clamp(lo, hi));
    let members = members.unwrap_or(if quick { 2_270 } else { 22_700 });
    if transfers == 0 {
        return Err("--transfers must be at least 1".into());
    }
    if members < 3 * COMMUNITIES {
        return Err(format!(
            "--members must be at least {} (three per community)",
            3 * COMMUNITIES
        ));
    }
    Ok(Some(Args {
        json,
        quick,
        size: Size {
            communities: COMMUNITIES,
            members,
            transfers,
            batch,
            seed,
        },
    }))
}
