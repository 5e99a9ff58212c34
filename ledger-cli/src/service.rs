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
    let transfers: Vec<u128> = store.read(|ledger| {
        ledger
            .operation(id)
            .map(|r| r.transfers.iter().map(|t| t.get()).collect())
            .unwrap_or_default()
    });
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
