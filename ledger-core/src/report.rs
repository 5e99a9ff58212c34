//! Reports: what the bank owes its members, where hours came from and went, and statements.
//!
//! Every report is deterministic: rows are sorted (by unit, then community or account id), so the
//! same ledger always prints the same report.
//! - [`liability`]: the outstanding liability per unit, the sum of what members and groups
//!   hold (posted balances), in total and by community. This is the figure a guarantee fund
//!   stands behind.
//! - [`flows`]: issued, withdrawn, donated, redeemed and expired totals per unit and per fund or
//!   pool, net of reversals (from every transfer in memory: refused once some were evicted).
//! - [`statement_entry`]: what one transfer does to one of its accounts, the part of a statement
//!   line the transfer decides. Statements themselves (an account's posted movements with a
//!   running balance, a page at a time) are the store's: `ledger_store::Store::statement` reads
//!   them from its index, where each entry is kept as the transfer applies.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use crate::account::{Account, AccountKind};
use crate::attribution::Attribution;
use crate::id::{AccountId, TransferId};
use crate::ledger::Ledger;
use crate::policy::Purpose;
use crate::transfer::{TransferFlags, TransferRecord, TransferState};
use crate::unit::UnitId;

/// Most lines one statement page holds.
pub const STATEMENT_PAGE_MAX: usize = 1_000;

/// The outstanding liability of one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLiability {
    /// The unit.
    pub unit: UnitId,
    /// The unit's name, as the policy gives it.
    pub unit_name: String,
    /// Held by members and groups together.
    pub total: Decimal,
    /// The posted balances of member accounts, summed.
    pub members: Decimal,
    /// The posted balances of group (volunteer team) accounts, summed.
    pub groups: Decimal,
    /// Per community, sorted by community.
    pub by_community: Vec<CommunityLiability>,
}

/// The liability towards the holders of one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityLiability {
    /// The community number the accounts carry.
    pub community: u32,
    /// The posted balances of its member and group accounts, summed.
    pub total: Decimal,
    /// Member and group accounts of the community (including empty ones).
    pub holders: u64,
}

/// The liability report: one entry per unit, sorted by unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiabilityReport {
    /// One entry per unit the ledger keeps (units no one holds included), sorted by unit id.
    pub units: Vec<UnitLiability>,
}

/// The outstanding liability per unit, in total and by community.
pub fn liability(ledger: &Ledger) -> LiabilityReport {
    let mut units: BTreeMap<UnitId, UnitLiability> = ledger
        .units()
        .map(|u| {
            let row = UnitLiability {
                unit: u.id,
                unit_name: u.name.clone(),
                total: Decimal::ZERO,
                members: Decimal::ZERO,
                groups: Decimal::ZERO,
                by_community: Vec::new(),
            };
            (u.id, row)
        })
        .collect();
    let mut communities: BTreeMap<(UnitId, u32), (Decimal, u64)> = BTreeMap::new();
    for account in ledger.accounts().filter(|a| a.kind.is_holder()) {
        let Some(row) = units.get_mut(&account.unit) else {
            continue;
        };
        let balance = account.posted();
        row.total += balance;
        match account.kind {
            AccountKind::Member => row.members += balance,
            _ => row.groups += balance,
        }
        let entry = communities
            .entry((account.unit, account.community))
            .or_default();
        entry.0 += balance;
        entry.1 += 1;
    }
    for ((unit, community), (total, holders)) in communities {
        if let Some(row) = units.get_mut(&unit) {
            row.by_community.push(CommunityLiability {
                community,
                total,
                holders,
            });
        }
    }
    LiabilityReport {
        units: units.into_values().collect(),
    }
}

impl fmt::Display for LiabilityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Outstanding liability (held by members and groups)")?;
        for u in &self.units {
            writeln!(
                f,
                "  {:<8} total {:>14}   members {:>14}   groups {:>12}",
                u.unit_name, u.total, u.members, u.groups
            )?;
            for c in &u.by_community {
                writeln!(
                    f,
                    "    community {:>6}: {:>14} ({} holders)",
                    c.community, c.total, c.holders
                )?;
            }
        }
        Ok(())
    }
}

/// Totals by purpose, net of reversals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flows {
    /// Newly earned credits and awarded points paid by funds (service and award codes).
    pub issued: Decimal,
    /// Care paid for with banked hours (care codes).
    pub withdrawn: Decimal,
    /// Given to donation pools (donations, gifts to pools, closings into pools).
    pub donated: Decimal,
    /// Points spent at redemption accounts.
    pub redeemed: Decimal,
    /// Swept to expiry accounts.
    pub expired: Decimal,
}

/// The flows of one fund or pool (any account that is not a member or group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFlows {
    /// The fund or pool.
    pub account: AccountId,
    /// Its kind (never member or group).
    pub kind: AccountKind,
    /// Its unit.
    pub unit: UnitId,
    /// Its community number.
    pub community: u32,
    /// What moved through it.
    pub flows: Flows,
}

/// Issued, withdrawn, donated, redeemed and expired totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowReport {
    /// Per unit, sorted by unit.
    pub units: Vec<(UnitId, Flows)>,
    /// Per fund or pool with any flow, sorted by (unit, account).
    pub pools: Vec<PoolFlows>,
}

/// The flow report sums every transfer ever applied, and some were evicted from memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the flow report sums every transfer ever applied, and {evicted} were evicted from memory \
     (a store opened with resident_transfers): open the store without resident_transfers, which \
     keeps every transfer in memory, to report flows"
)]
pub struct FlowsEvicted {
    /// How many evictions the ledger made ([`Ledger::evicted_transfer_count`]).
    pub evicted: u64,
}

/// Issued, withdrawn, donated, redeemed and expired totals per unit and per fund or pool.
/// Purposes come from the ledger's policy; without one, from the accounts' kinds.
///
/// It reads every transfer in memory, so it refuses with [`FlowsEvicted`] once the ledger has
/// evicted any ([`Ledger::evict_transfers`]; a store with `resident_transfers` set): summing
/// only the transfers still in memory would be a wrong report, not a partial one.
pub fn flows(ledger: &Ledger) -> Result<FlowReport, FlowsEvicted> {
    let evicted = ledger.evicted_transfer_count();
    if evicted > 0 {
        return Err(FlowsEvicted { evicted });
    }
    let mut units: BTreeMap<UnitId, Flows> =
        ledger.units().map(|u| (u.id, Flows::default())).collect();
    let mut pools: BTreeMap<(UnitId, AccountId), Flows> = BTreeMap::new();
    // A code's purpose in the policy in force when the transfer's service was done (an
    // amendment may redefine a code).
    let versions = ledger.rules.versions();
    let purpose_of = |code: u16, served_at: u64| {
        let (_, policy) = versions.iter().rev().find(|(from, _)| *from <= served_at)?;
        policy.code(code).map(|c| c.purpose)
    };
    for record in ledger.transfers().filter(|r| moved_posted_value(r)) {
        // A reversal counts as its original, negated.
        let reversal = record.flags().contains(TransferFlags::REVERSAL);
        let (debit_id, credit_id, sign) = if reversal {
            (
                record.credit_account_id,
                record.debit_account_id,
                Decimal::NEGATIVE_ONE,
            )
        } else {
            (
                record.debit_account_id,
                record.credit_account_id,
                Decimal::ONE,
            )
        };
        let (Some(debit), Some(credit)) = (ledger.account(debit_id), ledger.account(credit_id))
        else {
            continue;
        };
        let amount = record.amount.value() * sign;
        // A reversal is judged as its original, at the original's service time.
        let original = reversal
            .then(|| record.related_id().and_then(|id| ledger.transfer(id)))
            .flatten();
        let served_at = original.unwrap_or(record).served_at();
        let purpose =
            purpose_of(record.code, served_at).unwrap_or_else(|| purpose_by_kinds(debit, credit));
        let (field, pool): (fn(&mut Flows) -> &mut Decimal, &Account) = match purpose {
            Purpose::Service | Purpose::Award => (|f| &mut f.issued, debit),
            Purpose::Care => (|f| &mut f.withdrawn, debit),
            Purpose::Donation => (|f| &mut f.donated, credit),
            Purpose::Gift | Purpose::Closing if credit.kind == AccountKind::Donation => {
                (|f| &mut f.donated, credit)
            }
            Purpose::Redemption => (|f| &mut f.redeemed, credit),
            Purpose::Expiry => (|f| &mut f.expired, credit),
            _ => continue,
        };
        if let Some(total) = units.get_mut(&record.unit) {
            *field(total) += amount;
        }
        if !pool.kind.is_holder() {
            *field(pools.entry((record.unit, pool.id)).or_default()) += amount;
        }
    }
    let pools = pools
        .into_iter()
        .filter_map(|((unit, id), flows)| {
            let account = ledger.account(id)?;
            Some(PoolFlows {
                account: id,
                kind: account.kind,
                unit,
                community: account.community,
                flows,
            })
        })
        .collect();
    Ok(FlowReport {
        units: units.into_iter().collect(),
        pools,
    })
}

impl fmt::Display for FlowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<24} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "flows", "issued", "withdrawn", "donated", "redeemed", "expired"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: String, x: &Flows| {
            writeln!(
                f,
                "{:<24} {:>12} {:>12} {:>12} {:>12} {:>12}",
                name, x.issued, x.withdrawn, x.donated, x.redeemed, x.expired
            )
        };
        for (unit, x) in &self.units {
            row(f, format!("unit {unit}"), x)?;
        }
        for p in &self.pools {
            row(
                f,
                format!("  {} {} (c{})", p.kind.name(), p.account, p.community),
                &p.flows,
            )?;
        }
        Ok(())
    }
}

/// What one transfer does to one of its accounts, as a store keeps it per account for
/// statements: a statement line but for the running balance and the attribution, which the
/// store adds (the balance as it appends, the attribution from [`Ledger::attribution_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementEntry {
    /// The transfer.
    pub transfer: TransferId,
    /// When the ledger recorded it.
    pub timestamp: u64,
    /// When the service it pays for was done (`timestamp` unless recorded later).
    pub served_at: u64,
    /// The transfer's code.
    pub code: u16,
    /// The account on the other side.
    pub counterparty: AccountId,
    /// Positive for a credit to the account, negative for a debit (what was held or released,
    /// for a transfer that moved no posted balance).
    pub amount: Decimal,
    /// Whether the transfer reverses an earlier one.
    pub reversal: bool,
    /// Whether it moved the posted balance (a plain transfer, a post or a reversal): only
    /// these are statement lines; a hold, and the record of a void, are not.
    pub posted: bool,
}

impl StatementEntry {
    /// The line this entry shows, given the posted balance after it and who recorded it.
    pub fn line(&self, balance: Decimal, by: Attribution) -> StatementLine {
        StatementLine {
            transfer: self.transfer,
            timestamp: self.timestamp,
            served_at: self.served_at,
            code: self.code,
            counterparty: self.counterparty,
            amount: self.amount,
            balance,
            reversal: self.reversal,
            operator: by.operator,
            reason: by.reason,
        }
    }
}

/// What `record` does to `account`, when it is one of its two accounts. Pure: what the
/// transfer record says, whatever the ledger holds now. A posted transfer's entry never
/// changes (its state stays posted), so an entry made when the transfer applies stays true.
pub fn statement_entry(record: &TransferRecord, account: AccountId) -> Option<StatementEntry> {
    let credit = record.credit_account_id == account;
    if !credit && record.debit_account_id != account {
        return None;
    }
    let amount = record.amount.value();
    Some(StatementEntry {
        transfer: record.id(),
        timestamp: record.timestamp,
        served_at: record.served_at(),
        code: record.code,
        counterparty: if credit {
            record.debit_account_id
        } else {
            record.credit_account_id
        },
        amount: if credit { amount } else { -amount },
        reversal: record.flags().contains(TransferFlags::REVERSAL),
        posted: moved_posted_value(record),
    })
}

/// One posted movement of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementLine {
    /// The transfer that moved the balance.
    pub transfer: TransferId,
    /// When the ledger recorded it.
    pub timestamp: u64,
    /// When the service it pays for was done (`timestamp` unless recorded later).
    pub served_at: u64,
    /// The transfer's code.
    pub code: u16,
    /// The account on the other side.
    pub counterparty: AccountId,
    /// Positive for a credit to the account, negative for a debit.
    pub amount: Decimal,
    /// The posted balance after this movement.
    pub balance: Decimal,
    /// Whether this movement is a reversal of an earlier one.
    pub reversal: bool,
    /// Who recorded it: the operator of the command that made it (0: not given).
    pub operator: u64,
    /// Why, when the command gave a reason code.
    pub reason: Option<u32>,
}

/// A page of an account's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The account the statement is of.
    pub account: AccountId,
    /// The account's unit.
    pub unit: UnitId,
    /// The balance before the first line of this page.
    pub opening_balance: Decimal,
    /// The page's movements, in the order applied (at most the `limit` asked for).
    pub lines: Vec<StatementLine>,
    /// The `from` of the next page, when there is one.
    pub next: Option<usize>,
}

/// Why a statement could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// No account has this id.
    #[error("account {0} does not exist")]
    AccountNotFound(AccountId),
    /// The page size asked for is 0 or above [`STATEMENT_PAGE_MAX`]; holds it.
    #[error("a page holds 1 to {max} lines, not {0}", max = STATEMENT_PAGE_MAX)]
    PageSize(usize),
}

/// Whether a stored transfer moved posted balances (plain, post or reversal; not a hold, not a
/// void's record).
fn moved_posted_value(record: &TransferRecord) -> bool {
    record.state == TransferState::Posted && !record.flags().contains(TransferFlags::VOID_PENDING)
}

/// The purpose of a transfer the policy does not describe, from the accounts' kinds.
fn purpose_by_kinds(debit: &Account, credit: &Account) -> Purpose {
    use AccountKind::*;
    match (debit.kind, credit.kind) {
        (Issuer, Member | Group) => Purpose::Service,
        (Member, Member | Group) => Purpose::Care,
        (_, Donation) => Purpose::Donation,
        (_, Redemption) => Purpose::Redemption,
        (_, Expiry) => Purpose::Expiry,
        (Member | Group, _) => Purpose::Closing,
        _ => Purpose::Funding,
    }
}
