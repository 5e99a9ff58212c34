//! Loading back what the engine let go of (`StoreOptions::resident_transfers`, docs/FORMAT.md
//! §16.4) before it applies a command that names it. The engine asks for each kind in turn and
//! refuses a command whose names are not loaded (`BatchError::NotLoaded`); this is the one place
//! that answers it, in its order, for every host: the committer and a replay catching the index
//! up (from the versions in flight, else the index), `verify --replay` (from its scratch runs)
//! and a reader trying a command on a copy of the engine (`Store::load_named_transfers`).

use ledger_core::operation::OperationRecord;
use ledger_core::{Command, Ledger, ResultCode, TransferId, TransferRecord};

/// Most rounds of loading one command may need: its own ids, then (for an operation) what its
/// plan applies once what planning reads is loaded.
const LOAD_ROUNDS_MAX: usize = 4;

/// Where a host keeps what the engine let go of: each lookup gives the entry, or `None` when
/// the id was never evicted (the engine then records it as absent).
pub(crate) trait Evicted {
    type Error;
    fn operation(&mut self, id: TransferId) -> Result<Option<OperationRecord>, Self::Error>;
    fn transfer(&mut self, id: TransferId) -> Result<Option<TransferRecord>, Self::Error>;
    fn failed(&mut self, id: TransferId) -> Result<Option<ResultCode>, Self::Error>;
    fn rating(&mut self, transfer: TransferId) -> Result<Option<u8>, Self::Error>;
}

/// Loads into `ledger` what `command`, about to be applied at `now`, names of what was let go:
/// the operation it retries, then its transfers (round after round, as an operation's plan
/// names more once what it reads is loaded), then the failed ids and ratings it looks up.
pub(crate) fn load_named<E: Evicted>(
    ledger: &mut Ledger,
    command: &Command,
    now: u64,
    from: &mut E,
) -> Result<(), E::Error> {
    if let Some(id) = ledger.operation_to_load(command) {
        match from.operation(id)? {
            Some(record) => ledger.load_operation(id, record),
            None => ledger.load_operation_absent(id),
        }
    }
    // Each round loads or declares absent every id named, so the rounds end well before.
    for _ in 0..LOAD_ROUNDS_MAX {
        let wanted = ledger.transfers_to_load(command, now);
        if wanted.is_empty() {
            break;
        }
        for id in wanted {
            match from.transfer(id)? {
                Some(record) => ledger.load_transfer(record),
                None => ledger.load_absent(id),
            }
        }
    }
    for id in ledger.failed_to_load(command, now) {
        match from.failed(id)? {
            Some(code) => ledger.load_failed(id, code),
            None => ledger.load_failed_absent(id),
        }
    }
    for transfer in ledger.ratings_to_load(command, now) {
        match from.rating(transfer)? {
            Some(rating) => ledger.load_rating(transfer, rating),
            None => ledger.load_rating_absent(transfer),
        }
    }
    Ok(())
}
