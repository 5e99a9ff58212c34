//! The demo's reconciliation: what members and groups were owed before a run, what came in
//! and went out during it, and what they are owed after, per unit, so the figures add up.
//!
//! Every posted movement of the run is classed by where it went: from a fund or pool to a
//! holder (earned: services, awards), from a holder to a pool (donated), to a redemption
//! account (redeemed), to an expiry account (expired), to any other fund (paid back: reversals
//! of earnings, closings into a fund), or between holders (moved: care paid with banked hours,
//! gifts), which leaves the total owed unchanged.

use std::collections::BTreeMap;

use ledger_core::transfer::{TransferFlags, TransferState};
use ledger_core::unit::UnitId;
use ledger_core::{AccountKind, Decimal, Ledger};

use crate::error::CliResult;
use crate::output::out;

/// What was owed to members and groups per unit, from the liability report.
pub fn owed(ledger: &Ledger) -> BTreeMap<UnitId, Decimal> {
    ledger_core::report::liability(ledger)
        .units
        .iter()
        .map(|u| (u.unit, u.total))
        .collect()
}

#[derive(Debug, Default)]
struct Movements {
    earned: Decimal,
    donated: Decimal,
    redeemed: Decimal,
    expired: Decimal,
    paid_back: Decimal,
    moved: Decimal,
}

/// Classes every posted movement made after `clock_before`.
fn movements(ledger: &Ledger, clock_before: u64) -> BTreeMap<UnitId, Movements> {
    let mut units: BTreeMap<UnitId, Movements> = BTreeMap::new();
    let moved_value = |state: TransferState, flags: TransferFlags| {
        state == TransferState::Posted && !flags.contains(TransferFlags::VOID_PENDING)
    };
    for record in ledger
        .transfers()
        .filter(|r| r.timestamp > clock_before && moved_value(r.state, r.flags()))
    {
        let (Some(from), Some(to)) = (
            ledger.account(record.debit_account_id),
            ledger.account(record.credit_account_id),
        ) else {
            continue;
        };
        let m = units.entry(record.unit).or_default();
        let amount = record.amount.value();
        match (from.kind.is_holder(), to.kind.is_holder()) {
            (true, true) => m.moved += amount,
            (false, true) => m.earned += amount,
            (true, false) => match to.kind {
                AccountKind::Donation => m.donated += amount,
                AccountKind::Redemption => m.redeemed += amount,
                AccountKind::Expiry => m.expired += amount,
                _ => m.paid_back += amount,
            },
            (false, false) => {}
        }
    }
    units
}

/// Why the run cannot be reconciled, when it cannot. The movements are summed from the
/// transfers in memory: once the engine evicted some (a store opened with resident transfers
/// limited), part of the run's may be gone, and a sum of the rest would be wrong.
pub(crate) fn not_reconciled(ledger: &Ledger) -> Option<String> {
    let evicted = ledger.evicted_transfer_count();
    (evicted > 0).then(|| {
        format!(
            "not reconciled: reconciling sums every transfer of the run, and the engine \
             evicted {evicted} transfers from memory (resident transfers are limited); open \
             the ledger without that limit to reconcile"
        )
    })
}

/// Prints, per unit: owed before + earned − donated − redeemed − expired − paid back = owed now,
/// and what moved between holders; or, when the engine evicted transfers from memory, a line
/// saying that it cannot reconcile and why.
pub fn print(
    ledger: &Ledger,
    owed_before: &BTreeMap<UnitId, Decimal>,
    clock_before: u64,
) -> CliResult {
    if let Some(why) = not_reconciled(ledger) {
        out!("  {why}")?;
        return Ok(());
    }
    let owed_now = owed(ledger);
    let movements = movements(ledger, clock_before);
    for unit in ledger.units() {
        let before = owed_before.get(&unit.id).copied().unwrap_or_default();
        let now = owed_now.get(&unit.id).copied().unwrap_or_default();
        let m = movements.get(&unit.id);
        let get = |f: fn(&Movements) -> Decimal| m.map_or(Decimal::ZERO, f).normalize();
        let (earned, donated, redeemed) =
            (get(|m| m.earned), get(|m| m.donated), get(|m| m.redeemed));
        let (expired, paid_back, moved) =
            (get(|m| m.expired), get(|m| m.paid_back), get(|m| m.moved));
        let balances = before + earned - donated - redeemed - expired - paid_back == now;
        out!(
            "  {}: owed before {} + credited by funds {} - donated to pools {} - redeemed {} \
             - expired {} - paid back to funds {} = owed now {}{}",
            unit.name,
            before.normalize(),
            earned,
            donated,
            redeemed,
            expired,
            paid_back,
            now.normalize(),
            if balances { "" } else { "  (DOES NOT ADD UP)" }
        )?;
        out!(
            "  {}: {} moved between members and groups (care paid with banked hours, gifts): \
             what is owed stays the same",
            unit.name,
            moved
        )?;
    }
    Ok(())
}
