//! Who did it (DOMAIN.md §2: audit rules tie each change to an operator, with its time and
//! result): every command may carry the host's operator id and a reason code; statements show
//! them; a correction (a reversal) and a closing by an operator must say why.

mod timebank_support;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::Closing;
use ledger_core::{
    AccountKind, Attribution, Command, Ledger, Policy, Reply, ResultCode, Transfer, TransferFlags,
    TransferId, Unit,
};
use timebank_support::*;

const CLERK: u64 = 4_001;
const WRONG_ENTRY: u32 = 12;
const DECEASED: u32 = 31;

/// A fund (1), two members (2, 3), a donation pool (9).
fn bank() -> Bank {
    let mut bank = Bank::new(&Policy::default_policy());
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 7);
    bank.open(9, HOURS, AccountKind::Donation, 7);
    bank
}

fn run(bank: &mut Bank, command: Command, who: Attribution) -> Vec<ResultCode> {
    bank.tick(1_000);
    match bank.ledger.execute_by(&command, who, bank.now).unwrap() {
        Reply::Events(events) => events.iter().map(|e| e.code).collect(),
        Reply::Expired(_) => unreachable!(),
    }
}

fn service(id: TransferId, h: &str) -> Command {
    Command::CreateTransfers(vec![Transfer::new(
        id,
        timebank_support::id(1),
        timebank_support::id(2),
        hours(h),
        HOURS,
    )
    .code(COMPANIONSHIP)])
}

#[test]
fn a_reversal_by_an_operator_needs_a_reason_and_refusing_it_changes_nothing() {
    let mut bank = bank();
    let original = tid(10);
    assert_eq!(
        run(&mut bank, service(original, "2"), Attribution::by(CLERK)),
        [ResultCode::Ok]
    );
    let digest = bank.ledger.state_digest();
    let reversal = Command::CreateTransfers(vec![Transfer::reversal(tid(11), original)]);
    assert_eq!(
        run(&mut bank, reversal.clone(), Attribution::by(CLERK)),
        [ResultCode::ReasonRequired]
    );
    assert_eq!(bank.balance(id(2)), dec("2"));
    // Not transient: the same id with a reason applies.
    let why = Attribution::by(CLERK).because(WRONG_ENTRY);
    assert_eq!(run(&mut bank, reversal, why), [ResultCode::Ok]);
    assert_eq!(bank.balance(id(2)), dec("0"));
    assert_ne!(bank.ledger.state_digest(), digest);
}

#[test]
fn a_closing_by_an_operator_needs_a_reason_whichever_way_it_is_asked() {
    let mut bank = bank();
    assert_eq!(
        run(&mut bank, service(tid(10), "2"), Attribution::by(CLERK)),
        [ResultCode::Ok]
    );
    let clerk = Attribution::by(CLERK);
    // An empty account, closed by the command that closes empty accounts.
    let close = Command::CloseAccounts(vec![id(3)]);
    assert_eq!(
        run(&mut bank, close.clone(), clerk),
        [ResultCode::ReasonRequired]
    );
    assert!(!bank.ledger.account(id(3)).unwrap().closed);
    assert_eq!(
        run(&mut bank, close, clerk.because(DECEASED)),
        [ResultCode::Ok]
    );
    // A closing transfer that moves the balance to a pool.
    let closing = Command::CreateTransfers(vec![Transfer::new(
        tid(20),
        id(2),
        id(9),
        hours("2"),
        HOURS,
    )
    .code(303)
    .flags(TransferFlags::CLOSING_DEBIT)]);
    assert_eq!(
        run(&mut bank, closing.clone(), clerk),
        [ResultCode::ReasonRequired]
    );
    assert_eq!(
        run(&mut bank, closing, clerk.because(DECEASED)),
        [ResultCode::Ok]
    );
    assert!(bank.ledger.account(id(2)).unwrap().closed);
}

#[test]
fn an_operation_refused_for_want_of_a_reason_can_be_sent_again_with_one_under_its_id() {
    let mut bank = bank();
    run(&mut bank, service(tid(10), "1"), Attribution::by(CLERK));
    let op = |id: u128, kind: OperationKind| Command::Operate(Operation { id: tid(id), kind });
    let reversal = op(100, OperationKind::Reversal { original: tid(10) });
    let clerk = Attribution::by(CLERK);
    assert_eq!(
        run(&mut bank, reversal.clone(), clerk),
        [ResultCode::ReasonRequired]
    );
    assert_eq!(
        run(&mut bank, reversal.clone(), clerk.because(WRONG_ENTRY)),
        [ResultCode::Ok]
    );
    // A retry answers as the first did, whoever retries.
    assert_eq!(run(&mut bank, reversal, clerk), [ResultCode::Exists]);
    let closing = op(
        200,
        OperationKind::Closing(Closing {
            accounts: vec![(id(3), id(9))],
        }),
    );
    assert_eq!(
        run(&mut bank, closing.clone(), clerk),
        [ResultCode::ReasonRequired]
    );
    assert_eq!(
        run(&mut bank, closing, clerk.because(DECEASED)),
        [ResultCode::Ok]
    );
}

#[test]
fn statements_show_who_made_each_movement_and_why() {
    let mut bank = bank();
    run(&mut bank, service(tid(10), "2"), Attribution::by(CLERK));
    run(
        &mut bank,
        Command::CreateTransfers(vec![Transfer::reversal(tid(11), tid(10))]),
        Attribution::by(CLERK + 1).because(WRONG_ENTRY),
    );
    bank.tick(1_000);
    // A command without attribution (operator 0: not given) is not held to reasons.
    let plain = Command::CreateTransfers(vec![Transfer::reversal(tid(13), tid(12))]);
    run(&mut bank, service(tid(12), "1"), Attribution::NONE);
    assert_eq!(run(&mut bank, plain, Attribution::NONE), [ResultCode::Ok]);
    let who: Vec<(u64, Option<u32>)> = statement_lines(&bank.ledger, id(2))
        .iter()
        .map(|l| (l.operator, l.reason))
        .collect();
    assert_eq!(
        who,
        [
            (CLERK, None),
            (CLERK + 1, Some(WRONG_ENTRY)),
            (0, None),
            (0, None)
        ]
    );
}

#[test]
fn attribution_is_part_of_the_state_only_when_given() {
    // A ledger whose commands never carried an operator has the digest it always had.
    let policy = Policy::default_policy();
    let mut plain = Ledger::with_policy(&policy).unwrap();
    let mut unattributed = Ledger::with_policy(&policy).unwrap();
    let mut attributed = Ledger::with_policy(&policy).unwrap();
    let open = Command::CreateAccounts(vec![ledger_core::NewAccount::new(
        id(1),
        HOURS,
        AccountKind::Issuer,
    )]);
    plain.execute(&open, START).unwrap();
    unattributed
        .execute_by(&open, Attribution::NONE, START)
        .unwrap();
    attributed
        .execute_by(&open, Attribution::by(CLERK), START)
        .unwrap();
    assert_eq!(plain.state_digest(), unattributed.state_digest());
    assert_ne!(plain.state_digest(), attributed.state_digest());
    // Without time-bank rules there are no corrections to justify.
    let mut engine = Ledger::new(vec![Unit::new(HOURS, "hours", 2)]).unwrap();
    engine.execute(&open, START).unwrap();
    let close = Command::CloseAccounts(vec![id(1)]);
    let reply = engine
        .execute_by(&close, Attribution::by(CLERK), START + 1)
        .unwrap();
    assert!(matches!(reply, Reply::Events(e) if e[0].code == ResultCode::Ok));
}
