//! `timebank statement`: an account's posted movements with a running balance, paged, as a
//! table, JSON or CSV.

use serde::Serialize;

use ledger_core::report::{StatementError, STATEMENT_PAGE_MAX};
use ledger_core::Decimal;

use crate::cli::{Format, StatementArgs};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::{account_id, Session};
use crate::time::format_time_in;

#[derive(Debug, Serialize)]
struct Line {
    transfer: u128,
    /// When the ledger recorded it, in the policy's time zone.
    time: String,
    /// When the service was done (the same as `time` unless typed in later).
    served: String,
    code: u16,
    counterparty: u128,
    amount: Decimal,
    balance: Decimal,
    reversal: bool,
    /// Who recorded it: the operator of the command that made it (0: not given).
    operator: u64,
    /// The command's reason code, when it gave one.
    reason: Option<u32>,
}

#[derive(Debug, Serialize)]
struct Page {
    account: u128,
    unit: String,
    from: usize,
    opening_balance: Decimal,
    lines: Vec<Line>,
    /// The `--from` of the next page, when there is one.
    next: Option<usize>,
}

pub fn run(session: &Session, args: &StatementArgs) -> CliResult {
    let store = session.open_for_reading()?;
    let id = account_id(args.id)?;
    let zone = session.zone(&store);
    let statement = store
        .statement(id, args.from, args.limit)
        .map_err(|e| match e {
            ledger_store::Error::Statement(e @ StatementError::AccountNotFound(_)) => {
                CliError::not_found(e.to_string())
            }
            ledger_store::Error::Statement(e) => {
                CliError::usage(format!("{e} (pass --limit from 1 to {STATEMENT_PAGE_MAX})"))
            }
            e => CliError::from(e),
        })?;
    let unit = store.read(|ledger| {
        ledger
            .unit(statement.unit)
            .map_or(String::new(), |u| u.name.clone())
    });
    let page = Page {
        account: id.get(),
        unit,
        from: args.from,
        opening_balance: statement.opening_balance,
        lines: statement
            .lines
            .iter()
            .map(|l| Line {
                transfer: l.transfer.get(),
                time: format_time_in(l.timestamp, zone),
                served: format_time_in(l.served_at, zone),
                code: l.code,
                counterparty: l.counterparty.get(),
                amount: l.amount,
                balance: l.balance,
                reversal: l.reversal,
                operator: l.operator,
                reason: l.reason,
            })
            .collect(),
        next: statement.next,
    };
    let format = if session.json() {
        Format::Json
    } else {
        args.format
    };
    match format {
        Format::Json => print_json(&page),
        Format::Csv => {
            out!("transfer,time,served,code,counterparty,amount,balance,reversal,operator,reason")?;
            for l in &page.lines {
                let reason = l.reason.map_or(String::new(), |r| r.to_string());
                out!(
                    "{},{},{},{},{},{},{},{},{},{reason}",
                    l.transfer,
                    l.time,
                    l.served,
                    l.code,
                    l.counterparty,
                    l.amount,
                    l.balance,
                    l.reversal,
                    l.operator
                )?;
            }
            Ok(())
        }
        Format::Table => {
            out!(
                "statement of account {} ({}), from line {}; opening balance {}",
                page.account,
                page.unit,
                page.from,
                page.opening_balance
            )?;
            out!(
                "{:<25} {:<25} {:>12} {:>5} {:>20} {:>12} {:>12} {:>20} {:>10}",
                "time",
                "served",
                "transfer",
                "code",
                "counterparty",
                "amount",
                "balance",
                "operator",
                "reason"
            )?;
            for l in &page.lines {
                let mark = if l.reversal { "  reversal" } else { "" };
                let reason = l.reason.map_or("-".to_string(), |r| r.to_string());
                out!(
                    "{:<25} {:<25} {:>12} {:>5} {:>20} {:>12} {:>12} {:>20} {:>10}{mark}",
                    l.time,
                    l.served,
                    l.transfer,
                    l.code,
                    l.counterparty,
                    l.amount,
                    l.balance,
                    l.operator,
                    reason
                )?;
            }
            match page.next {
                Some(next) => out!("more: --from {next}")?,
                None => out!("end of statement")?,
            }
            Ok(())
        }
    }
}
