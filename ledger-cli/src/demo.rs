//! `timebank demo`, the README's main job: a month of a community time bank on the embedded
//! store, then what is owed and whether the ledger verifies, in a readable summary. Run again,
//! it continues the same ledger with another month.

use ledger_core::report;

use crate::cli::{SimulateArgs, VerifyArgs};
use crate::error::{CliError, CliResult};
use crate::liability::{print_table, view};
use crate::output::out;
use crate::reconcile;
use crate::session::Session;
use crate::simulate::{open_or_create, simulate};
use crate::tally::summary;
use crate::verify::{check, summary as verify_summary};

/// Communities listed in the demo's liability table (the full list is
/// `timebank report liabilities --by community`).
const COMMUNITIES_SHOWN: usize = 5;

pub fn run(session: &Session, args: &SimulateArgs) -> CliResult {
    let (store, created) = open_or_create(session)?;
    let before = store.status();
    if created {
        out!("Created a new ledger in {}", session.data().display())?;
    } else {
        out!(
            "Continuing the ledger in {} ({} records, {} accounts, {} transfers so far)",
            session.data().display(),
            before.head_sequence + 1,
            before.accounts,
            before.transfers
        )?;
    }
    let (owed_before, clock_before) =
        store.read(|ledger| (reconcile::owed(ledger), ledger.clock()));
    let who = session.attribution()?;
    let tally = simulate(&store, args, who, session.now()?, &mut |_| Ok(()))?;
    out!("\n1. Recorded (every commit durable before the next):")?;
    out!("{}", summary(&tally).trim_end())?;
    out!(
        "\n   Reconciled: what members and groups were owed before this run, what came in and \
         went out, and what they are owed now (credited by funds: services, points awards and \
         the hours the elders this run opened brought with them)"
    )?;
    store.read(|ledger| reconcile::print(ledger, &owed_before, clock_before))?;

    out!("\n2. Owed: the hours and points members and groups hold, which the bank must honour")?;
    let liability = store.read(report::liability);
    let mut units = view(&liability, true);
    for unit in &mut units {
        if let Some(communities) = &mut unit.by_community {
            communities.sort_by(|a, b| b.total.cmp(&a.total).then(a.community.cmp(&b.community)));
            communities.truncate(COMMUNITIES_SHOWN);
        }
    }
    print_table(&units)?;
    out!(
        "  (the {COMMUNITIES_SHOWN} communities owed the most per unit; all of them: \
         timebank report liabilities --by community)"
    )?;
    let after = store.status();
    store.close()?;

    out!("\n3. Verified: every record's checksum and link, the replayed state, the index")?;
    let report = check(
        session,
        &VerifyArgs {
            journal_only: false,
            replay: true,
        },
    )
    .map_err(CliError::from)?;
    out!("  {}", verify_summary(&report))?;
    if report.state_digest != after.state_digest {
        return Err(CliError::damaged(
            "the replayed state differs from the state the simulation left",
        ));
    }
    out!(
        "\nThe ledger is in {}: try `timebank status`, `timebank report liabilities --by \
         community` or `timebank verify`.",
        session.data().display()
    )?;
    Ok(())
}
