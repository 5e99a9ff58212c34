//! `timebank account open|close|show|link|unlink|eligibility`.

use serde::Serialize;

use ledger_core::operation::OperationKind;
use ledger_core::timebank::Closing;
use ledger_core::{AccountKind, Command, Decimal, Eligibility, Link, NewAccount, UnitId};
use ledger_store::Store;

use crate::cli::{AccountCmd, CloseArgs, EligibilityArgs, KindArg, LinkArgs, OpenArgs};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json, print_outcome};
use crate::session::{account_id, unit_of, Session};
use crate::submit::submit;
use crate::time::{format_time_in, parse_time};

pub fn run(session: &Session, command: &AccountCmd) -> CliResult {
    let store = match command {
        AccountCmd::Show(_) => session.open_for_reading()?,
        _ => session.open()?,
    };
    match command {
        AccountCmd::Open(args) => open(session, &store, args),
        AccountCmd::Close(args) => close(session, &store, args),
        AccountCmd::Show(args) => show(session, &store, args.id),
        AccountCmd::Link(args) => link(session, &store, args, true),
        AccountCmd::Unlink(args) => link(session, &store, args, false),
        AccountCmd::Eligibility(args) => eligibility(session, &store, args),
    }
}

pub fn kind(arg: KindArg) -> AccountKind {
    match arg {
        KindArg::Member => AccountKind::Member,
        KindArg::Group => AccountKind::Group,
        KindArg::Issuer => AccountKind::Issuer,
        KindArg::Guarantee => AccountKind::Guarantee,
        KindArg::Clearing => AccountKind::Clearing,
        KindArg::Redemption => AccountKind::Redemption,
        KindArg::Expiry => AccountKind::Expiry,
        KindArg::Donation => AccountKind::Donation,
    }
}

/// A unit by name or number.
fn unit(store: &Store, text: &str) -> CliResult<UnitId> {
    store
        .read(|ledger| {
            ledger
                .units()
                .find(|u| u.name == text || u.id.to_string() == text)
                .map(|u| u.id)
        })
        .ok_or_else(|| {
            let names = store.read(|l| l.units().map(|u| u.name.clone()).collect::<Vec<_>>());
            CliError::usage(format!(
                "no unit {text:?} in this ledger (it has: {})",
                names.join(", ")
            ))
        })
}

/// A limit: an exact decimal, sign allowed (floors are zero or negative).
fn limit(text: &str, what: &str) -> CliResult<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    let value = plain
        .then(|| text.parse::<Decimal>().ok())
        .flatten()
        .ok_or_else(|| CliError::usage(format!("bad {what} {text:?}: give a plain decimal")))?;
    Ok(value)
}

fn open(session: &Session, store: &Store, args: &OpenArgs) -> CliResult {
    let id = account_id(args.id)?;
    let mut spec = NewAccount::new(id, unit(store, &args.unit)?, kind(args.kind))
        .community(args.community)
        .user_data(args.user_data);
    if let Some(floor) = &args.floor {
        spec = spec.floor(Some(limit(floor, "floor")?));
    }
    if let Some(ceiling) = &args.ceiling {
        spec = spec.ceiling(Some(limit(ceiling, "ceiling")?));
    }
    if let Some(at) = &args.eligible_from {
        spec = spec.eligible_from(Some(parse_time(at)?));
    }
    let what = format!("open account {id}");
    let outcome = submit(
        store,
        vec![Command::CreateAccounts(vec![spec])],
        session.attribution()?,
        session.write_time(store)?,
        &what,
    )?;
    print_outcome(store, session.json(), &what, &[], &outcome)
}

fn close(session: &Session, store: &Store, args: &CloseArgs) -> CliResult {
    let (from, to) = (account_id(args.account)?, account_id(args.to)?);
    unit_of(store, from)?;
    unit_of(store, to)?;
    let closing = Closing {
        accounts: vec![(from, to)],
    };
    let what = format!("close account {from} into {to}");
    crate::service::operate(
        session,
        store,
        &args.ids,
        &what,
        OperationKind::Closing(closing),
    )
}

fn link(session: &Session, store: &Store, args: &LinkArgs, add: bool) -> CliResult {
    let link = Link {
        a: account_id(args.a)?,
        b: account_id(args.b)?,
    };
    let (command, what) = if add {
        (Command::LinkAccounts(vec![link]), "link")
    } else {
        (Command::UnlinkAccounts(vec![link]), "unlink")
    };
    let what = format!("{what} accounts {} and {}", link.a, link.b);
    let (who, now) = (session.attribution()?, session.write_time(store)?);
    let outcome = submit(store, vec![command], who, now, &what)?;
    print_outcome(store, session.json(), &what, &[], &outcome)
}

fn eligibility(session: &Session, store: &Store, args: &EligibilityArgs) -> CliResult {
    let account = account_id(args.id)?;
    let from = match &args.from {
        Some(at) if !args.never => Some(parse_time(at)?),
        _ => None,
    };
    let what = format!("set the eligibility of account {account}");
    let command = Command::SetEligibility(vec![Eligibility { account, from }]);
    let (who, now) = (session.attribution()?, session.write_time(store)?);
    let outcome = submit(store, vec![command], who, now, &what)?;
    print_outcome(store, session.json(), &what, &[], &outcome)
}

#[derive(Debug, Serialize)]
struct AccountView {
    id: u128,
    kind: &'static str,
    unit: UnitId,
    unit_name: String,
    community: u32,
    user_data: u128,
    floor: Option<Decimal>,
    ceiling: Option<Decimal>,
    eligible_from: Option<String>,
    opened: String,
    closed: bool,
    posted: Decimal,
    available: Decimal,
    debits_pending: Decimal,
    credits_pending: Decimal,
}

fn show(session: &Session, store: &Store, id: u128) -> CliResult {
    let id = account_id(id)?;
    let zone = session.zone(store);
    let view = store
        .read(|ledger| {
            let a = ledger.account(id)?;
            let unit_name = ledger
                .unit(a.unit)
                .map_or(String::new(), |u| u.name.clone());
            Some(AccountView {
                id: a.id.get(),
                kind: a.kind.name(),
                unit: a.unit,
                unit_name,
                community: a.community,
                user_data: a.user_data,
                floor: a.floor.map(|f| a.decimal_at_scale(f)),
                ceiling: a.ceiling.map(|c| a.decimal_at_scale(c)),
                eligible_from: a.eligible_from.map(|t| format_time_in(t, zone)),
                opened: format_time_in(a.timestamp, zone),
                closed: a.closed,
                posted: a.posted(),
                available: a.available(),
                debits_pending: a.decimal_at_scale(a.balances.debits_pending),
                credits_pending: a.decimal_at_scale(a.balances.credits_pending),
            })
        })
        .ok_or_else(|| CliError::not_found(format!("account {id} does not exist")))?;
    if session.json() {
        return print_json(&view);
    }
    let none = || "none".to_owned();
    out!("account     {}", view.id)?;
    out!("kind        {}", view.kind)?;
    out!("unit        {} ({})", view.unit_name, view.unit)?;
    out!("community   {}", view.community)?;
    out!("opened      {}", view.opened)?;
    out!("closed      {}", if view.closed { "yes" } else { "no" })?;
    out!(
        "floor       {}",
        view.floor.map_or_else(none, |d| d.to_string())
    )?;
    out!(
        "ceiling     {}",
        view.ceiling.map_or_else(none, |d| d.to_string())
    )?;
    out!("eligible    {}", view.eligible_from.unwrap_or_else(none))?;
    out!("posted      {}", view.posted)?;
    out!("available   {}", view.available)?;
    out!(
        "pending     -{} / +{}",
        view.debits_pending,
        view.credits_pending
    )?;
    Ok(())
}
