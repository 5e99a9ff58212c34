//! `timebank balance`: posted, available (less holds) and pending totals of accounts.

use serde::Serialize;

use ledger_core::Decimal;

use crate::cli::BalanceArgs;
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::{account_id, Session};

#[derive(Debug, Serialize)]
struct BalanceRow {
    account: u128,
    unit: String,
    posted: Decimal,
    available: Decimal,
    debits_pending: Decimal,
    credits_pending: Decimal,
    closed: bool,
}

pub fn run(session: &Session, args: &BalanceArgs) -> CliResult {
    let store = session.open_for_reading()?;
    let mut rows = Vec::with_capacity(args.ids.len());
    for &id in &args.ids {
        let id = account_id(id)?;
        let row = store.read(|ledger| {
            ledger.account(id).map(|a| BalanceRow {
                account: a.id.get(),
                unit: ledger
                    .unit(a.unit)
                    .map_or(String::new(), |u| u.name.clone()),
                posted: a.posted(),
                available: a.available(),
                debits_pending: a.decimal_at_scale(a.balances.debits_pending),
                credits_pending: a.decimal_at_scale(a.balances.credits_pending),
                closed: a.closed,
            })
        });
        rows.push(row.ok_or_else(|| CliError::not_found(format!("account {id} does not exist")))?);
    }
    if session.json() {
        return print_json(&rows);
    }
    out!(
        "{:>20} {:<8} {:>14} {:>14} {:>12} {:>12}",
        "account",
        "unit",
        "posted",
        "available",
        "held out",
        "held in"
    )?;
    for r in rows {
        let closed = if r.closed { "  (closed)" } else { "" };
        out!(
            "{:>20} {:<8} {:>14} {:>14} {:>12} {:>12}{closed}",
            r.account,
            r.unit,
            r.posted,
            r.available,
            r.debits_pending,
            r.credits_pending
        )?;
    }
    Ok(())
}
