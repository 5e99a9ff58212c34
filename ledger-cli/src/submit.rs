//! Submitting an operation: plan it on the ledger, try it on a copy, and journal it only when
//! every event would apply, so a refused operation changes nothing (not even the journal).
//!
//! The tool is one process and one thread, so nothing else writes between the trial and the
//! submission; the store still enforces every rule when the commands apply.

use ledger_core::policy::SWEEP_TRANSFER_ID_BIT;
use ledger_core::{Attribution, Command, Ledger, Reply, ResultCode, TransferId};
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
/// holds or refused, with room for a whole plan.
pub fn first_transfer_id(ledger: &Ledger, explicit: Option<u128>) -> CliResult<TransferId> {
    if let Some(id) = explicit {
        if id & SWEEP_TRANSFER_ID_BIT != 0 {
            return Err(CliError::usage(
                "transfer ids with the top bit set are reserved for the ledger's own sweeps",
            ));
        }
        return crate::session::transfer_id(id);
    }
    // Operation ids count too: a refused operation made no transfer but keeps its id.
    let highest = ledger
        .transfers()
        .map(|t| t.id().get())
        .chain(ledger.operations().map(|(id, _)| id.get()))
        .filter(|id| id & SWEEP_TRANSFER_ID_BIT == 0)
        .max()
        .unwrap_or(0);
    let mut first = highest + 1;
    // Ids that failed before are burned: skip any in the plan's range.
    while (first..first + PLAN_IDS_MAX)
        .any(|id| TransferId::new(id).is_some_and(|id| ledger.failed_code(id).is_some()))
    {
        first += 1;
    }
    crate::session::transfer_id(first)
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
