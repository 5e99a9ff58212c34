//! Moving hours and points: `gift`, `award`, `redeem`, `reverse`, and `expire`.

use serde::Serialize;

use ledger_core::timebank::{self, Gift, PointsAward, Redemption};
use ledger_core::{Command, Reply};
use ledger_store::checkpoint::hex;

use crate::cli::{AwardArgs, GiftArgs, RedeemArgs, ReverseArgs};
use crate::error::CliResult;
use crate::output::{out, print_json};
use crate::service::plan_and_submit;
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
    plan_and_submit(session, &store, &args.ids, &what, |ledger, first| {
        Ok(timebank::plan_gift(ledger, first, &gift)?)
    })
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
    plan_and_submit(session, &store, &args.ids, &what, |ledger, first| {
        Ok(timebank::plan_award(ledger, first, &award)?)
    })
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
    plan_and_submit(session, &store, &args.ids, &what, |ledger, first| {
        Ok(timebank::plan_redemption(ledger, first, &request)?)
    })
}

pub fn reverse(session: &Session, args: &ReverseArgs) -> CliResult {
    let store = session.open()?;
    let original = transfer_id(args.transfer)?;
    let what = format!("reverse transfer {original}");
    plan_and_submit(session, &store, &args.ids, &what, |ledger, first| {
        Ok(timebank::plan_reversal(ledger, first, original)?)
    })
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
    let done = store.submit(Command::Expire, session.now()?)?;
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
