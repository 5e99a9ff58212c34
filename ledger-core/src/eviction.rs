//! Keeping memory bounded by the accounts, not the history: the host evicts old settled
//! transfers to its store, and loads back the few a command names before it applies.
//!
//! The protocol, for a host that evicts (one that never calls [`Ledger::evict_transfers`] sees
//! no change):
//! 1. after a command, [`Ledger::evict_transfers`] returns the records to keep in the store
//!    (each as it stands now; a record loaded back and changed comes back with its new state);
//! 2. before the next command, [`Ledger::transfers_to_load`] names the ids it would look up
//!    that are not in memory but may have been applied (a compact filter of the evicted ids can
//!    answer "maybe" for an id never applied); the host loads each record it finds
//!    ([`Ledger::load_transfer`]), declares the others absent ([`Ledger::load_absent`]), and
//!    asks again until nothing is named (an operation's plan is known only once the transfers
//!    it reads are loaded);
//! 3. the command then applies exactly as it would have with every transfer in memory. A
//!    command applied while one of its ids is still unloaded is refused whole
//!    ([`BatchError::NotLoaded`]) and changes nothing.
//!
//! Only transfers already in the history chain ([`crate::history`]) are evicted, so the state
//! digest, which reads the chain, the transfers after it and the pending holds, is the same
//! whatever was evicted.
//!
//! Operations go the same way ([`Ledger::evict_operations`]): a retry of an evicted one names
//! its id ([`Ledger::operation_to_load`]), and the host loads its record
//! ([`Ledger::load_operation`]) or declares it never ran ([`Ledger::load_operation_absent`])
//! before anything else is loaded for the command. So do failed ids ([`Ledger::evict_failed`],
//! [`Ledger::failed_to_load`]) and ratings ([`Ledger::evict_ratings`],
//! [`Ledger::ratings_to_load`]), loaded once what the command names of transfers is in memory.
//! The digest takes these three through their chains, so it too is the same whatever was
//! evicted.

use crate::attribution::Attribution;
use crate::command::{Command, Reply};
use crate::id::TransferId;
use crate::ledger::{BatchError, Ledger};
use crate::operation::{plan, OperationKind, OperationRecord};
use crate::result::ResultCode;
use crate::transfer::{Transfer, TransferRecord};
use crate::transfer_table::Presence;

/// Most rounds of fetching one command may need: its own ids, then (for an operation) what its
/// plan applies once what planning reads is loaded.
const FETCH_ROUNDS_MAX: usize = 4;

impl Ledger {
    /// Evicts the settled transfers older than the newest `keep`, as far as the history chain
    /// reaches (holds still pending stay in memory), and drops every record loaded back. Returns
    /// the records the host must keep to load them back later: each evicted transfer as it stands
    /// now, and each loaded record a command changed since, oldest first then by id.
    pub fn evict_transfers(&mut self, keep: usize) -> Vec<TransferRecord> {
        let mut out = Vec::new();
        self.evict_transfers_into(keep, &mut out);
        out
    }

    /// [`Ledger::evict_transfers`], appending the records to `out`: a host that evicts often
    /// uses one buffer again rather than allocating (and the kernel zeroing) a fresh one each
    /// time.
    pub fn evict_transfers_into(&mut self, keep: usize, out: &mut Vec<TransferRecord>) {
        let before = self
            .transfers
            .len()
            .saturating_sub(keep)
            .min(self.history.chained);
        self.transfers.evict(before, out);
    }

    /// Evicts all but the newest `keep` operations (in the order they ran) and drops every one
    /// loaded back. Returns those the host must keep to load them back later, oldest first; an
    /// operation never changes, so one loaded back is not returned again.
    pub fn evict_operations(&mut self, keep: usize) -> Vec<(TransferId, OperationRecord)> {
        let mut out = Vec::new();
        self.operations.evict(keep, &mut out);
        out
    }

    /// Evicts all but the newest `keep` failed ids (in the order they failed) and returns the
    /// others with their codes, oldest first, for the host to keep; drops those loaded back.
    pub fn evict_failed(&mut self, keep: usize) -> Vec<(TransferId, ResultCode)> {
        let mut out = Vec::new();
        self.failed.evict(keep, &mut out);
        out
    }

    /// Evicts all but the newest `keep` ratings (in the order recorded) and returns the others
    /// (rated transfer and rating), oldest first, for the host to keep; drops those loaded back.
    pub fn evict_ratings(&mut self, keep: usize) -> Vec<(TransferId, u8)> {
        let mut out = Vec::new();
        self.rules.ratings.evict(keep, &mut out);
        out
    }

    /// Puts back a failed id the host kept, for the next command.
    pub fn load_failed(&mut self, id: TransferId, code: ResultCode) {
        self.failed.load(id, code);
    }

    /// Declares that `id` never failed, although the filter of evicted failed ids names it.
    pub fn load_failed_absent(&mut self, id: TransferId) {
        self.failed.load_absent(id);
    }

    /// Puts back a rating the host kept, for the next command.
    pub fn load_rating(&mut self, transfer: TransferId, rating: u8) {
        self.rules.ratings.load(transfer, rating);
    }

    /// Declares that `transfer` was never rated, although the filter of evicted ratings names
    /// it.
    pub fn load_rating_absent(&mut self, transfer: TransferId) {
        self.rules.ratings.load_absent(transfer);
    }

    /// The ids `command` would check for an earlier failure (each new transfer's, an
    /// operation's planned ones) that are not in memory and may have been evicted, in the order
    /// named; empty for a ledger that never evicted a failed id. Asked once the transfers the
    /// command names are loaded (an operation's plan reads them).
    pub fn failed_to_load(&self, command: &Command, now: u64) -> Vec<TransferId> {
        if !self.failed.has_evicted() {
            return Vec::new();
        }
        match command {
            Command::CreateTransfers(batch) => self.failed.unloaded(batch.iter().map(|t| t.id)),
            Command::Operate(_) => self.new_plan(command, now).map_or_else(Vec::new, |plan| {
                self.failed.unloaded(plan.transfers.iter().map(|t| t.id))
            }),
            _ => Vec::new(),
        }
    }

    /// The transfers `command` rates (a rating's, a completion's) whose rating is not in memory
    /// and may have been evicted, in the order named; empty for a ledger that never evicted a
    /// rating. Asked once the transfers the command names are loaded.
    pub fn ratings_to_load(&self, command: &Command, now: u64) -> Vec<TransferId> {
        let ratings = &self.rules.ratings;
        if !ratings.has_evicted() {
            return Vec::new();
        }
        match command {
            Command::RecordRatings(batch) => ratings.unloaded(batch.iter().map(|r| r.transfer)),
            Command::Operate(_) => self.new_plan(command, now).map_or_else(Vec::new, |plan| {
                ratings.unloaded(plan.ratings.iter().map(|r| r.transfer))
            }),
            _ => Vec::new(),
        }
    }

    /// The plan of an operation not run before, as it would apply at `now`.
    fn new_plan(&self, command: &Command, now: u64) -> Option<crate::timebank::Plan> {
        let Command::Operate(operation) = command else {
            return None;
        };
        if self.operations.presence(&operation.id) != Presence::Absent {
            return None;
        }
        let at = now.max(self.clock.saturating_add(1));
        plan(self, operation, at).ok()
    }

    /// Puts back the record the host kept for an evicted operation, for the next command
    /// (ignored when that id is in memory already).
    pub fn load_operation(&mut self, id: TransferId, record: OperationRecord) {
        self.operations.load(id, record);
    }

    /// Declares that no operation with `id` ran: the filter of evicted operation ids named it,
    /// but the host's store holds none. Holds until the next eviction.
    pub fn load_operation_absent(&mut self, id: TransferId) {
        self.operations.load_absent(id);
    }

    /// The id of the operation `command` runs, when an operation with that id may have been
    /// evicted and is not in memory: the host loads it first (is the command a retry?).
    /// Always `None` for a ledger that never evicted an operation.
    pub fn operation_to_load(&self, command: &Command) -> Option<TransferId> {
        match command {
            Command::Operate(operation)
                if self.operations.presence(&operation.id) == Presence::Unloaded =>
            {
                Some(operation.id)
            }
            _ => None,
        }
    }

    /// Puts back the record the host kept for an evicted id, for the next command (ignored when
    /// that id is in memory already: the memory copy is the current one). The record must be
    /// one [`Ledger::evict_transfers`] returned, as the ledger stood when the next command's
    /// journal position was reached: a later version would make the command see the future.
    pub fn load_transfer(&mut self, record: TransferRecord) {
        self.transfers.load(record);
    }

    /// Declares that `id` was never applied: the filter of evicted ids named it, but the host's
    /// store holds no record of it. Holds until the next eviction.
    pub fn load_absent(&mut self, id: TransferId) {
        self.transfers.load_absent(id);
    }

    /// The transfer ids `command` would look up that are not in memory and may have been
    /// evicted, in the order it names them (repeats removed); empty when the command can apply.
    /// Always empty for a ledger that never evicted.
    pub fn transfers_to_load(&self, command: &Command, now: u64) -> Vec<TransferId> {
        let mut wanted = Vec::new();
        if !self.transfers.has_evicted() {
            return wanted;
        }
        let mut want = |id: TransferId| {
            if self.transfers.presence(&id) == Presence::Unloaded && !wanted.contains(&id) {
                wanted.push(id);
            }
        };
        match command {
            Command::CreateTransfers(batch) => transfer_ids(batch, &mut want),
            Command::RecordRatings(ratings) => ratings.iter().for_each(|r| want(r.transfer)),
            Command::Operate(operation)
                if self.operations.presence(&operation.id) == Presence::Absent =>
            {
                let read = match &operation.kind {
                    OperationKind::Completion(c) => Some(c.booking),
                    OperationKind::Cancellation { booking } => Some(*booking),
                    OperationKind::Reversal { original } => Some(*original),
                    _ => None,
                };
                match read.filter(|id| self.transfers.presence(id) == Presence::Unloaded) {
                    Some(id) => want(id),
                    None => {
                        // What the plan applies, once what planning reads is in memory.
                        let at = now.max(self.clock.saturating_add(1));
                        if let Ok(plan) = plan(self, operation, at) {
                            transfer_ids(&plan.transfers, &mut want);
                        }
                    }
                }
            }
            Command::Operate(_)
            | Command::CreateAccounts(_)
            | Command::Expire
            | Command::LinkAccounts(_)
            | Command::UnlinkAccounts(_)
            | Command::SetEligibility(_)
            | Command::CloseAccounts(_)
            | Command::AmendPolicy(_) => {}
        }
        wanted
    }

    /// Whether `command` needs every transfer ever applied in memory, which is no longer the
    /// case: an amendment capping a unit no earlier version capped (it recounts the earnings of
    /// the whole history). Such a command is refused with [`BatchError::HistoryEvicted`]; a
    /// host replaying a journal that holds one replays without evicting up to it.
    pub fn needs_evicted_history(&self, command: &Command) -> bool {
        match command {
            Command::AmendPolicy(amendment) => {
                self.transfers.has_evicted() && self.rules.amendment_recounts(amendment)
            }
            _ => false,
        }
    }

    /// [`Ledger::execute_by`] for a host that evicts, which hands the loading to the engine:
    /// before `command` applies, `fetch` is asked for each transfer it names that is not in
    /// memory and may have been evicted ([`Ledger::transfers_to_load`], in as many rounds as an
    /// operation's plan needs); `Ok(Some(record))` is loaded ([`Ledger::load_transfer`]: the
    /// host's newest version, as of this command), `Ok(None)` declares the id never applied
    /// ([`Ledger::load_absent`]), and an error stops the command before it applies (returned
    /// as is). The reply is then `execute_by`'s. Each id is looked up in the filter of evicted
    /// ids once, where loading with [`Ledger::transfers_to_load`] and then calling `execute_by`
    /// looks twice: for every command but an operation, one round loads all it names. A host
    /// that also evicts operations, failed ids or ratings loads them itself
    /// ([`Ledger::operation_to_load`], [`Ledger::failed_to_load`], [`Ledger::ratings_to_load`]);
    /// this refuses the command with [`BatchError::NotLoaded`] otherwise.
    pub fn execute_fetching<E>(
        &mut self,
        command: &Command,
        who: Attribution,
        now: u64,
        fetch: &mut dyn FnMut(TransferId) -> Result<Option<TransferRecord>, E>,
    ) -> Result<Result<Reply, BatchError>, E> {
        if !self.transfers.has_evicted() {
            return Ok(self.execute_by(command, who, now));
        }
        let operation = matches!(command, Command::Operate(_));
        for _ in 0..FETCH_ROUNDS_MAX {
            let wanted = self.transfers_to_load(command, now);
            if wanted.is_empty() {
                break;
            }
            for id in wanted {
                match fetch(id)? {
                    Some(record) => self.load_transfer(record),
                    None => self.load_absent(id),
                }
            }
            if !operation {
                break;
            }
        }
        // A batch of transfers or ratings named every id it looks up in the first round, and
        // each is now held or known absent; an operation is checked again (its plan may name
        // more than the rounds loaded).
        let checked = match operation {
            true => self.check_loaded(command, now),
            false if self.needs_evicted_history(command) => Err(BatchError::HistoryEvicted),
            false => self.check_entries_loaded(command, now),
        };
        Ok(checked.and_then(|()| self.execute_unchecked(command, who, now)))
    }

    /// Refuses a command that names a transfer not loaded back, or that needs the whole history.
    pub(crate) fn check_loaded(&self, command: &Command, now: u64) -> Result<(), BatchError> {
        if let Some(id) = self.operation_to_load(command) {
            return Err(BatchError::NotLoaded { id });
        }
        if self.transfers.has_evicted() {
            if let Some(&id) = self.transfers_to_load(command, now).first() {
                return Err(BatchError::NotLoaded { id });
            }
        }
        self.check_entries_loaded(command, now)?;
        if self.needs_evicted_history(command) {
            return Err(BatchError::HistoryEvicted);
        }
        Ok(())
    }

    /// Refuses a command that looks up a failed id or a rating not loaded back.
    fn check_entries_loaded(&self, command: &Command, now: u64) -> Result<(), BatchError> {
        let entries = [
            self.failed_to_load(command, now),
            self.ratings_to_load(command, now),
        ];
        match entries.iter().flatten().next() {
            Some(&id) => Err(BatchError::NotLoaded { id }),
            None => Ok(()),
        }
    }
}

/// Every id a batch of transfers looks up: each transfer's own (is it a retry?) and the one a
/// post, void or reversal names (any other transfer naming one is refused for its shape, and
/// loading its record first changes nothing).
fn transfer_ids(batch: &[Transfer], want: &mut impl FnMut(TransferId)) {
    for transfer in batch {
        want(transfer.id);
        if let Some(related) = transfer.related_id {
            want(related);
        }
    }
}
