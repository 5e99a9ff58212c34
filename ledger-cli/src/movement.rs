//! Moving hours and points: `gift`, `award`, `redeem`, `reverse`, and `expire`.

use serde::Serialize;

use ledger_core::operation::OperationKind;
use ledger_core::timebank::{Gift, PointsAward, Redemption};
use ledger_core::{Command, Reply};
use ledger_store::checkpoint::hex;

use crate::cli::{AwardArgs, GiftArgs, RedeemArgs, ReverseArgs};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::service::operate;
use crate::session::{account_id, amount_in, transfer_id, unit_of, Session};

pub fn gift(session: &Session, args: &GiftArgs) -> CliResult {
    let store = session.open()?;
    let (from, to) = (account_id(args.from)?, account_id(args.to)?);
    let unit = unit_of(&store, from)?;
    unit_of(&store, to)?;
    let gift = Gift {
        from,
        to,
        amount: amount_in(&store, unit, &args.amount)?,
        code: args.code,
    };
    let what = format!("gift from {from} to {to}");
    operate(session, &store, &args.ids, &what, OperationKind::Gift(gift))
}

pub fn award(session: &Session, args: &AwardArgs) -> CliResult {
    let store = session.open()?;
    let award = PointsAward {
        code: args.code,
        issuer: account_id(args.issuer)?,
        member: account_id(args.member)?,
        acts: args.acts,
    };
    let what = format!("award points (code {}) to {}", args.code, award.member);
    operate(
        session,
        &store,
        &args.ids,
        &what,
        OperationKind::Award(award),
    )
}

pub fn redeem(session: &Session, args: &RedeemArgs) -> CliResult {
    let store = session.open()?;
    let (member, shop) = (account_id(args.member)?, account_id(args.shop)?);
    let unit = unit_of(&store, member)?;
    unit_of(&store, shop)?;
    let request = Redemption {
        member,
        redemption: shop,
        amount: amount_in(&store, unit, &args.amount)?,
        code: args.code,
    };
    let what = format!("redeem points of {member} at {shop}");
    operate(
        session,
        &store,
        &args.ids,
        &what,
        OperationKind::Redemption(request),
    )
}

pub fn reverse(session: &Session, args: &ReverseArgs) -> CliResult {
    let store = session.open()?;
    let original = transfer_id(args.transfer)?;
    if store.transfer(original)?.is_none() {
        return Err(CliError::not_found(format!(
            "transfer {original} does not exist"
        )));
    }
    let what = format!("reverse transfer {original}");
    operate(
        session,
        &store,
        &args.ids,
        &what,
        OperationKind::Reversal { original },
    )
}

#[derive(Debug, Serialize)]
struct ExpireOutput {
    seq: u64,
    head: String,
    /// Bookings released and sweeps made, in order.
    expired: Vec<u128>,
}

/// Expiry always journals (the sweep time is part of the history), even when nothing expired.
pub fn expire(session: &Session) -> CliResult {
    let store = session.open()?;
    let who = session.attribution()?;
    let done = store.submit_by(Command::Expire, who, session.write_time(&store)?)?;
    let expired: Vec<u128> = match &done.reply {
        Reply::Expired(ids) => ids.iter().map(|id| id.get()).collect(),
        Reply::Events(_) => Vec::new(),
    };
    let status = store.status();
    if session.json() {
        return print_json(&ExpireOutput {
            seq: done.sequence,
            head: hex(&status.head_hash),
            expired,
        });
    }
    out!(
        "expire: {} transfer(s) released or swept (journal record {}, durable)",
        expired.len(),
        done.sequence
    )?;
    for id in expired {
        out!("  {id}")?;
    }
    Ok(())
}
