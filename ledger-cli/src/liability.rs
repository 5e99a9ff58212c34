//! `timebank report liabilities`: what the bank owes members and groups, per unit and, with
//! `--by community`, per community.

use serde::Serialize;

use ledger_core::report::{self, LiabilityReport};
use ledger_core::{Decimal, UnitId};

use crate::cli::{GroupBy, LiabilitiesArgs};
use crate::error::CliResult;
use crate::output::{out, print_json};
use crate::session::Session;

#[derive(Debug, Serialize)]
pub struct UnitView {
    pub unit: UnitId,
    pub unit_name: String,
    pub total: Decimal,
    pub members: Decimal,
    pub groups: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_community: Option<Vec<CommunityView>>,
}

#[derive(Debug, Serialize)]
pub struct CommunityView {
    pub community: u32,
    pub total: Decimal,
    pub holders: u64,
}

pub fn view(report: &LiabilityReport, by_community: bool) -> Vec<UnitView> {
    report
        .units
        .iter()
        .map(|u| UnitView {
            unit: u.unit,
            unit_name: u.unit_name.clone(),
            total: u.total.normalize(),
            members: u.members.normalize(),
            groups: u.groups.normalize(),
            by_community: by_community.then(|| {
                u.by_community
                    .iter()
                    .map(|c| CommunityView {
                        community: c.community,
                        total: c.total.normalize(),
                        holders: c.holders,
                    })
                    .collect()
            }),
        })
        .collect()
}

pub fn run(session: &Session, args: &LiabilitiesArgs) -> CliResult {
    let store = session.open_for_reading()?;
    let by_community = args.by == Some(GroupBy::Community);
    let units = view(&store.read(report::liability), by_community);
    if session.json() {
        return print_json(&units);
    }
    print_table(&units)
}

pub fn print_table(units: &[UnitView]) -> CliResult {
    out!("Outstanding liability (held by members and groups)")?;
    out!(
        "{:<10} {:>16} {:>16} {:>14}",
        "unit",
        "total",
        "members",
        "groups"
    )?;
    for u in units {
        out!(
            "{:<10} {:>16} {:>16} {:>14}",
            u.unit_name,
            u.total,
            u.members,
            u.groups
        )?;
        for c in u.by_community.iter().flatten() {
            out!(
                "  community {:>8} {:>16}   ({} holders)",
                c.community,
                c.total,
                c.holders
            )?;
        }
    }
    Ok(())
}
