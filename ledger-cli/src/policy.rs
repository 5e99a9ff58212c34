//! `timebank policy amend` and `timebank policy show`: change the rules from a date on, and see
//! the rules in force at a time.

use serde::Serialize;

use ledger_core::{Amendment, Command, Policy};
use ledger_store::checkpoint::hex;

use crate::cli::{PolicyAmendArgs, PolicyCmd};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::{read_policy_file, Session};
use crate::time::{format_time_in, parse_time};

pub fn run(session: &Session, command: &PolicyCmd) -> CliResult {
    match command {
        PolicyCmd::Amend(args) => amend(session, args),
        PolicyCmd::Show => show(session),
    }
}

#[derive(Debug, Serialize)]
struct Amended {
    seq: u64,
    head: String,
    /// When the amended policy takes effect, nanoseconds since 1970.
    from: u64,
}

fn amend(session: &Session, args: &PolicyAmendArgs) -> CliResult {
    let policy = read_policy_file(&args.file)?;
    let from = parse_time(&args.from)?;
    let store = session.open()?;
    let now = session.write_time(&store)?;
    let amendment = Amendment { from, policy };
    let done = store.submit_by(Command::AmendPolicy(amendment), session.attribution()?, now)?;
    if session.json() {
        return print_json(&Amended {
            seq: done.sequence,
            head: hex(&done.hash),
            from,
        });
    }
    let zone =
        store.read(|l| ledger_core::timebank::policy_at(l, from).map(|p| p.utc_offset_minutes));
    out!(
        "policy amended from {} (journal record {}, durable): services done from then on are \
         judged under it",
        format_time_in(from, zone.unwrap_or(0)),
        done.sequence
    )?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct Shown<'a> {
    /// The time asked about (`--at`, or the system clock), nanoseconds since 1970.
    at: u64,
    /// When the policy in force then took effect (0: the policy the ledger was created with).
    from: u64,
    policy: &'a Policy,
    /// Every version's effective time, in order (0 first).
    versions: Vec<u64>,
}

fn show(session: &Session) -> CliResult {
    let store = session.open_for_reading()?;
    let at = session.now()?;
    store.read(|ledger| {
        let versions = ledger_core::timebank::policy_versions(ledger);
        let Some(&(from, policy)) = versions.iter().rev().find(|(from, _)| *from <= at) else {
            return Err(CliError::not_found(
                "the ledger has no time-bank rules (it was created with units only)",
            ));
        };
        if session.json() {
            return print_json(&Shown {
                at,
                from,
                policy,
                versions: versions.iter().map(|(from, _)| *from).collect(),
            });
        }
        let zone = policy.utc_offset_minutes;
        let since = match from {
            0 => "since the ledger was created".to_string(),
            _ => format!("since {}", format_time_in(from, zone)),
        };
        out!(
            "# The policy in force at {} ({since}).",
            format_time_in(at, zone)
        )?;
        for (from, p) in versions.iter().skip(1) {
            out!(
                "# Amended from {}.",
                format_time_in(*from, p.utc_offset_minutes)
            )?;
        }
        let text = policy
            .to_toml()
            .map_err(|e| CliError::io(format!("cannot write the policy as TOML: {e}")))?;
        out!("{}", text.trim_end())
    })
}
