//! Submitting an operation: plan it on the ledger, try it on a copy, and journal it only when
//! every event would apply, so a refused operation changes nothing (not even the journal).
//!
//! The tool is one process and one thread, so nothing else writes between the trial and the
//! submission; the store still enforces every rule when the commands apply.

use ledger_core::policy::SWEEP_TRANSFER_ID_BIT;
use ledger_core::{Attribution, Command, Reply, ResultCode, TransferId};
use ledger_store::{Committed, Error as StoreError, Store};

use crate::error::{CliError, CliResult};

/// Most consecutive ids one plan may use (a service with a donation and points uses three).
const PLAN_IDS_MAX: u128 = 8;

/// What submitting an operation did.
#[derive(Debug)]
pub enum Outcome {
    /// Journaled and durable.
    Applied(Vec<Committed>),
    /// Every event already existed with the same fields (a resubmission): nothing was written.
    AlreadyApplied,
}

/// The first id for a plan: `explicit`, or the lowest id above every transfer id the ledger
/// applied (evicted ones included: the index holds them) or refused, with room for a whole plan.
pub fn first_transfer_id(store: &Store, explicit: Option<u128>) -> CliResult<TransferId> {
    if let Some(id) = explicit {
        if id & SWEEP_TRANSFER_ID_BIT != 0 {
            return Err(CliError::usage(
                "transfer ids with the top bit set are reserved for the ledger's own sweeps",
            ));
        }
        return crate::session::transfer_id(id);
    }
    // The engine keeps only its newest transfers in memory once it evicts: the store looks in
    // the index too. Sweep ids (the top bit set) are the ledger's own.
    let sweeps = TransferId::new(SWEEP_TRANSFER_ID_BIT).expect("the sweep bit is not zero");
    let applied = store.highest_transfer_id_below(sweeps)?;
    // Operation ids count too: a refused operation made no transfer but keeps its id.
    let operated = store.highest_operation_id_below(sweeps)?;
    let highest = applied.max(operated).map_or(0, |id| id.get());
    let mut first = highest + 1;
    // Ids that failed before are burned (evicted failures included): skip any in the plan's
    // range.
    while burned_in(store, first)? {
        first += 1;
    }
    crate::session::transfer_id(first)
}

/// Whether an id of the plan's range from `first` failed before (evicted failures included).
fn burned_in(store: &Store, first: u128) -> CliResult<bool> {
    for id in (first..first + PLAN_IDS_MAX).filter_map(TransferId::new) {
        if store.failed_code(id)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Tries `commands` on a copy of the ledger at `now`, then journals them on behalf of `who`.
/// `what` names the operation in messages.
pub fn submit(
    store: &Store,
    commands: Vec<Command>,
    who: Attribution,
    now: u64,
    what: &str,
) -> CliResult<Outcome> {
    if commands.is_empty() {
        return Err(CliError::refused(format!(
            "refused: {what} has nothing to do"
        )));
    }
    let mut all_existed = true;
    {
        let mut trial = store.read(|ledger| ledger.clone());
        for command in &commands {
            // Transfers the command names that the engine evicted, back from the index.
            store.load_named_transfers(&mut trial, command, now)?;
            let reply = trial
                .execute_by(command, who, now)
                .map_err(|e| CliError::refused(format!("refused: {what}: {e}")))?;
            all_existed &= check(&reply, what)?;
        }
    }
    if all_existed {
        return Ok(Outcome::AlreadyApplied);
    }
    let mut committed = Vec::with_capacity(commands.len());
    for command in commands {
        let ids = transfer_ids(&command);
        let done = store.submit_by(command, who, now).map_err(|e| match e {
            StoreError::OutcomeUnknown { .. } if !ids.is_empty() => {
                let mut error = CliError::from(e);
                error.message.push_str(&format!(
                    "; its transfer ids are {ids}: retrying with --id {} changes nothing if it \
                     happened",
                    ids.split(',').next().unwrap_or_default()
                ));
                error
            }
            other => other.into(),
        })?;
        check(&done.reply, what)?;
        committed.push(done);
    }
    Ok(Outcome::Applied(committed))
}

/// The transfer ids a command creates, comma-separated (empty for other commands).
fn transfer_ids(command: &Command) -> String {
    match command {
        Command::CreateTransfers(transfers) => transfers
            .iter()
            .map(|t| t.id.get().to_string())
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

/// `Ok(true)` when every event already existed, `Ok(false)` when they applied; otherwise the
/// refusal, naming the first event's own result code (not `linked_event_failed`).
fn check(reply: &Reply, what: &str) -> CliResult<bool> {
    let Reply::Events(results) = reply else {
        return Ok(false);
    };
    let failed = results
        .iter()
        .map(|r| r.code)
        .filter(|c| !matches!(c, ResultCode::Ok | ResultCode::Exists))
        .find(|c| *c != ResultCode::LinkedEventFailed)
        .or_else(|| {
            results
                .iter()
                .map(|r| r.code)
                .find(|c| !matches!(c, ResultCode::Ok | ResultCode::Exists))
        });
    match failed {
        Some(code) => Err(CliError::result_code(code, what)),
        None => Ok(results.iter().all(|r| r.code == ResultCode::Exists)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, Unit};
    use ledger_store::StoreOptions;

    const NOW: u64 = 1_767_225_600_000_000_000;

    fn account(n: u128) -> AccountId {
        AccountId::new(n).unwrap()
    }

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    /// A fund paying one member, 9,000 transfers in three batches (eviction runs every 4,096
    /// transfers): the first batch has the highest ids, so a store that evicts keeps none of
    /// them in memory.
    fn filled(dir: &std::path::Path, options: StoreOptions) -> Store {
        let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
        let store = Store::create(dir, &policy, NOW, options.any_time()).unwrap();
        let accounts = vec![
            NewAccount::new(account(1), 1, AccountKind::Issuer),
            NewAccount::new(account(2), 1, AccountKind::Member),
        ];
        store.create_accounts(accounts, NOW).unwrap();
        for (batch, first) in [(0u64, 1_000_000u128), (1, 10_000), (2, 20_000)] {
            let transfers = (first..first + 3_000)
                .map(|id| {
                    let amount = Amount::from_minor(1, 2).unwrap();
                    Transfer::new(tid(id), account(1), account(2), amount, 1).code(1)
                })
                .collect();
            store.create_transfers(transfers, NOW + 1 + batch).unwrap();
        }
        store
    }

    fn both(dir: &tempfile::TempDir) -> [Store; 2] {
        let keeping = filled(&dir.path().join("keeping"), StoreOptions::default());
        let evicting = filled(
            &dir.path().join("evicting"),
            StoreOptions::default().resident_transfers(100),
        );
        assert!(evicting.read(|l| l.transfer(tid(1_000_000)).is_none()));
        [keeping, evicting]
    }

    #[test]
    fn the_first_free_id_passes_every_transfer_evicted_ones_included() {
        let dir = tempfile::tempdir().unwrap();
        for store in both(&dir) {
            assert_eq!(first_transfer_id(&store, None).unwrap(), tid(1_003_000));
        }
    }

    #[test]
    fn the_reconciliation_says_it_cannot_once_transfers_were_evicted() {
        let dir = tempfile::tempdir().unwrap();
        let [keeping, evicting] = both(&dir);
        assert_eq!(keeping.read(crate::reconcile::not_reconciled), None);
        let why = evicting.read(crate::reconcile::not_reconciled).unwrap();
        assert!(why.starts_with("not reconciled:") && why.contains("evicted"));
    }

    #[test]
    fn a_trial_loads_the_evicted_transfers_a_command_names() {
        let dir = tempfile::tempdir().unwrap();
        let who = Attribution::default();
        for store in both(&dir) {
            // A reversal of an evicted transfer applies; a retry of one existed already.
            let reversal = Transfer::reversal(tid(2_000_000), tid(1_000_001));
            let command = Command::CreateTransfers(vec![reversal]);
            let done = submit(&store, vec![command], who, NOW + 10, "reversal").unwrap();
            assert!(matches!(done, Outcome::Applied(_)));
            let amount = Amount::from_minor(1, 2).unwrap();
            let retry = Transfer::new(tid(1_000_002), account(1), account(2), amount, 1).code(1);
            let command = Command::CreateTransfers(vec![retry]);
            let done = submit(&store, vec![command], who, NOW + 11, "retry").unwrap();
            assert!(matches!(done, Outcome::AlreadyApplied));
        }
    }
}
