//! What a simulation did: the line printed per durable commit, and the counts summarised for
//! people at the end.

use std::collections::BTreeMap;

use serde::Serialize;

use ledger_core::{Decimal, ResultCode};

use crate::time::format_time;

/// One durable commit, as printed on stdout.
#[derive(Debug, Serialize)]
pub struct CommitLine {
    pub seq: u64,
    pub head: String,
    pub transfers: usize,
}

/// What the simulation did.
#[derive(Debug, Default)]
pub struct Tally {
    pub first_day: u64,
    pub days: u32,
    pub communities: u32,
    pub teams: u32,
    pub accounts_opened: u64,
    pub commits: u64,
    pub services: u64,
    pub service_hours: Decimal,
    pub withdrawals: u64,
    pub withdrawn_hours: Decimal,
    pub bookings: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub released: u64,
    pub gifts: u64,
    pub gift_hours: Decimal,
    pub team_donations: u64,
    pub awards: u64,
    pub points_awarded: Decimal,
    pub redemptions: u64,
    pub points_redeemed: Decimal,
    /// Requests for care skipped because the elder had too few hours left.
    pub short_of_hours: u64,
    /// Operations the planners would not make (the policy lacks a code they need, ...).
    pub not_planned: u64,
    pub first_not_planned: Option<String>,
    /// Events the ledger refused, by result code.
    pub refused: BTreeMap<ResultCode, u64>,
    pub seq: u64,
    pub head: String,
}

/// The summary for people (stderr for `simulate`, stdout for `demo`).
pub fn summary(t: &Tally) -> String {
    let mut text = format!(
        "Simulated {} day(s) from {} in {} communities with {} volunteer teams \
         ({} accounts opened):\n",
        t.days,
        format_time(t.first_day),
        t.communities,
        t.teams,
        t.accounts_opened
    );
    let mut line = |s: String| {
        text.push_str("  ");
        text.push_str(&s);
        text.push('\n');
    };
    line(format!(
        "{} services recorded: {} hours earned",
        t.services,
        t.service_hours.normalize()
    ));
    line(format!(
        "{} care withdrawals paid with banked hours: {} hours ({} bookings made, {} completed \
         and rated, {} cancelled, {} released at their deadline)",
        t.withdrawals,
        t.withdrawn_hours.normalize(),
        t.bookings,
        t.completed,
        t.cancelled,
        t.released
    ));
    line(format!(
        "{} gifts from children to registered parents: {} hours; {} team donations to pools",
        t.gifts,
        t.gift_hours.normalize(),
        t.team_donations
    ));
    line(format!(
        "{} points awards: {} points; {} redemptions: {} points",
        t.awards,
        t.points_awarded.normalize(),
        t.redemptions,
        t.points_redeemed.normalize()
    ));
    if t.short_of_hours > 0 {
        line(format!(
            "{} requests for care not made: the elder had too few hours left",
            t.short_of_hours
        ));
    }
    if let Some(why) = &t.first_not_planned {
        line(format!(
            "{} operations could not be planned (the first: {why})",
            t.not_planned
        ));
    }
    for (code, count) in &t.refused {
        line(format!("{count} event(s) refused with {}", code.name()));
    }
    line(format!(
        "{} durable commits; head record {} {}",
        t.commits, t.seq, t.head
    ));
    text
}
