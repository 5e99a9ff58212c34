//! Services: `record` (one step), `withdraw` (care paid with banked hours), and the life of a
//! booking, `service book|complete|cancel` (held, then posted or voided).

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::policy::Purpose;
use ledger_core::timebank::{self, Booking, Completion, PointsAward, ServiceRecord};
use ledger_core::Command;
use ledger_store::Store;

use crate::cli::{
    BookArgs, CancelArgs, CompleteArgs, RecordArgs, ServiceCmd, TransferIdArg, WithdrawArgs,
};
use crate::error::{CliError, CliResult};
use crate::output::print_outcome;
use crate::session::{account_id, amount_in, transfer_id, unit_of, Session};
use crate::submit::{first_transfer_id, submit};
use crate::time::parse_time;

pub fn run_service(session: &Session, command: &ServiceCmd) -> CliResult {
    let store = session.open()?;
    match command {
        ServiceCmd::Book(args) => book(session, &store, args),
        ServiceCmd::Complete(args) => complete(session, &store, args),
        ServiceCmd::Cancel(args) => cancel(session, &store, args),
    }
}

/// Submits a domain operation under `--id` (or the first free id): the ledger plans and
/// applies it in one journal record, and a retry with the same id and arguments changes
/// nothing and reports what happened.
pub fn operate(
    session: &Session,
    store: &Store,
    ids: &TransferIdArg,
    what: &str,
    kind: OperationKind,
) -> CliResult {
    let id = first_transfer_id(store, ids.id)?;
    let command = Command::Operate(Operation { id, kind });
    let (who, now) = (session.attribution()?, session.write_time(store)?);
    let outcome = submit(store, vec![command], who, now, what)?;
    let transfers: Vec<u128> = store
        .operation(id)?
        .map(|r| r.transfers.iter().map(|t| t.get()).collect())
        .unwrap_or_default();
    print_outcome(store, session.json(), what, &transfers, &outcome)
}

pub fn record(session: &Session, args: &RecordArgs) -> CliResult {
    let store = session.open()?;
    let (payer, provider) = (account_id(args.payer)?, account_id(args.provider)?);
    unit_of(&store, payer)?;
    let hours = amount_in(&store, unit_of(&store, provider)?, &args.hours)?;
    let points = match (args.points_code, args.points_issuer, args.points_member) {
        (Some(code), Some(issuer), Some(member)) => Some(PointsAward {
            code,
            issuer: account_id(issuer)?,
            member: account_id(member)?,
            acts: args.acts,
        }),
        _ => None,
    };
    let request = ServiceRecord {
        served_at: args.served_at.as_deref().map(parse_time).transpose()?,
        code: args.code,
        payer,
        provider,
        hours,
        donation: args.donation.map(account_id).transpose()?,
        points,
        user_data: 0,
    };
    let what = format!("record service (code {}) by {provider}", args.code);
    operate(
        session,
        &store,
        &args.ids,
        &what,
        OperationKind::Service(request),
    )
}

pub fn withdraw(session: &Session, args: &WithdrawArgs) -> CliResult {
    let store = session.open()?;
    let (member, provider) = (account_id(args.member)?, account_id(args.provider)?);
    let unit = unit_of(&store, member)?;
    unit_of(&store, provider)?;
    let hours = amount_in(&store, unit, &args.hours)?;
    let code = match args.code {
        Some(code) => code,
        None => store
            .read(|ledger| {
                timebank::policy(ledger)
                    .and_then(|p| p.code_for(unit, Purpose::Care))
                    .map(|c| c.code)
            })
            .ok_or_else(|| {
                CliError::usage("the policy has no care code for this unit; pass --code")
            })?,
    };
    let request = ServiceRecord {
        code,
        payer: member,
        provider,
        hours,
        served_at: args.served_at.as_deref().map(parse_time).transpose()?,
        donation: None,
        points: None,
        user_data: 0,
    };
    let what = format!("withdraw care (code {code}) paid by {member}");
    operate(
        session,
        &store,
        &args.ids,
        &what,
        OperationKind::Service(request),
    )
}

fn book(session: &Session, store: &Store, args: &BookArgs) -> CliResult {
    let (payer, provider) = (account_id(args.payer)?, account_id(args.provider)?);
    unit_of(store, payer)?;
    let hours = amount_in(store, unit_of(store, provider)?, &args.hours)?;
    let booking = Booking {
        code: args.code,
        payer,
        provider,
        hours,
        timeout_s: args.timeout,
        user_data: 0,
    };
    let what = format!("book service (code {}) from {provider}", args.code);
    operate(
        session,
        store,
        &args.ids,
        &what,
        OperationKind::Booking(booking),
    )
}

fn complete(session: &Session, store: &Store, args: &CompleteArgs) -> CliResult {
    let booking = transfer_id(args.booking)?;
    // From the store: a settled booking may be evicted from memory (the engine then refuses
    // it as no longer a booking, not as unknown).
    let unit = store
        .transfer(booking)?
        .map(|t| t.unit)
        .ok_or_else(|| CliError::not_found(format!("transfer {booking} does not exist")))?;
    let hours = args
        .hours
        .as_deref()
        .map(|h| amount_in(store, unit, h))
        .transpose()?;
    let completion = Completion {
        served_at: args.served_at.as_deref().map(parse_time).transpose()?,
        booking,
        hours,
        rating: args.rating,
        donation: args.donation.map(account_id).transpose()?,
    };
    let what = format!("complete booking {booking}");
    operate(
        session,
        store,
        &args.ids,
        &what,
        OperationKind::Completion(completion),
    )
}

fn cancel(session: &Session, store: &Store, args: &CancelArgs) -> CliResult {
    let booking = transfer_id(args.booking)?;
    let what = format!("cancel booking {booking}");
    operate(
        session,
        store,
        &args.ids,
        &what,
        OperationKind::Cancellation { booking },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Global;
    use ledger_core::{
        AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferFlags, TransferId,
        Unit,
    };
    use ledger_store::StoreOptions;

    const NOW: u64 = 1_767_225_600_000_000_000;

    fn account(n: u128) -> AccountId {
        AccountId::new(n).unwrap()
    }

    fn tid(n: u128) -> TransferId {
        TransferId::new(n).unwrap()
    }

    /// A booking (hold 1) posted by 2, then 9,000 payments in three batches (eviction runs
    /// every 4,096 transfers).
    fn store(dir: &std::path::Path, options: StoreOptions) -> Store {
        let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
        let store = Store::create(dir, &policy, NOW, options.any_time()).unwrap();
        let accounts = vec![
            NewAccount::new(account(1), 1, AccountKind::Issuer),
            NewAccount::new(account(2), 1, AccountKind::Member),
        ];
        store.create_accounts(accounts, NOW).unwrap();
        let hours = |n| Amount::from_minor(n, 2).unwrap();
        let booking = vec![
            Transfer::new(tid(1), account(1), account(2), hours(100), 1)
                .flags(TransferFlags::PENDING),
            Transfer::post(tid(2), tid(1), None),
        ];
        store.create_transfers(booking, NOW + 1).unwrap();
        for batch in 0..3u64 {
            let from = 10_000 + u128::from(batch) * 3_000;
            let payments = (from..from + 3_000)
                .map(|id| Transfer::new(tid(id), account(1), account(2), hours(1), 1))
                .collect();
            store.create_transfers(payments, NOW + 2 + batch).unwrap();
        }
        store
    }

    /// What `timebank service complete 1 --id 50000` says.
    fn completed(dir: &std::path::Path, store: &Store) -> CliResult {
        let global = Global {
            data: dir.to_path_buf(),
            policy: None,
            key_file: None,
            json: false,
            at: Some((NOW + 100).to_string()),
            allow_exposed_key: false,
            operator: Some(1),
            reason: None,
            lock_timeout: None,
            segments_from: Vec::new(),
            segment_bytes: None,
            resident_transfers: None,
        };
        let args = CompleteArgs {
            booking: 1,
            hours: None,
            rating: None,
            donation: None,
            served_at: None,
            ids: TransferIdArg { id: Some(50_000) },
        };
        complete(&Session::new(global)?, store, &args)
    }

    #[test]
    fn completing_a_booking_settled_long_ago_is_refused_as_when_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (keeping_dir, evicting_dir) = (dir.path().join("keeping"), dir.path().join("evicting"));
        let keeping = store(&keeping_dir, StoreOptions::default());
        let evicting = store(
            &evicting_dir,
            StoreOptions::default().resident_transfers(100),
        );
        assert!(evicting.read(|l| l.transfer(tid(1)).is_none()));
        let expected = completed(&keeping_dir, &keeping).unwrap_err();
        assert!(
            !expected.message.contains("does not exist"),
            "{}",
            expected.message
        );
        let got = completed(&evicting_dir, &evicting).unwrap_err();
        assert_eq!(got.message, expected.message);
    }
}
