//! Statements come from the sled index alone: every line (amount, running balance, counterparty,
//! reversal, when served, who recorded it) as the ledger applied it, paged by line, the same
//! after a reopen and after the index is rebuilt.

mod support;

use std::str::FromStr;

use ledger_core::report::StatementLine;
use ledger_core::{
    Amount, Attribution, Command, Decimal, Reply, ResultCode, Statement, StatementError, Transfer,
    TransferFlags,
};
use ledger_store::{Error, Store, INDEX_DIR_NAME};
use support::*;

const SECOND: u64 = 1_000_000_000;

fn hours(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn submit(store: &Store, transfers: Vec<Transfer>, who: Attribution, at: u64) {
    let committed = store
        .submit_by(Command::CreateTransfers(transfers), who, at)
        .unwrap();
    match &committed.reply {
        Reply::Events(results) => assert!(
            results.iter().all(|r| r.code == ResultCode::Ok),
            "{results:?}"
        ),
        other => panic!("{other:?}"),
    }
}

/// Member 101 is paid a service, has a hold posted in part, one voided and one expired, sees
/// the first service reversed, is paid a service served earlier, and pays member 102.
fn mixed(store: &Store) {
    let (fund, member) = (account(FUND), account(101));
    let clerk = Attribution::by(5);
    let t = |n: u64| NOW + n * SECOND;
    submit(
        store,
        vec![Transfer::new(tid(10), fund, member, hours("1.5"), HOURS).code(1)],
        clerk,
        t(1),
    );
    let pending = |id, amount, timeout| {
        Transfer::new(tid(id), fund, member, hours(amount), HOURS)
            .code(2)
            .flags(TransferFlags::PENDING)
            .timeout_s(timeout)
    };
    // Three holds in one record: timestamps t(2), t(2) + 1, t(2) + 2.
    submit(
        store,
        vec![
            pending(20, "3", 0),
            pending(21, "1", 0),
            pending(22, "0.5", 5),
        ],
        clerk,
        t(2),
    );
    submit(
        store,
        vec![
            Transfer::post(tid(23), tid(20), Some(hours("2.5"))),
            Transfer::void(tid(24), tid(21)),
        ],
        clerk,
        t(3),
    );
    let expired = store.submit(Command::Expire, t(10)).unwrap();
    assert_eq!(expired.reply, Reply::Expired(vec![tid(22)]));
    submit(
        store,
        vec![Transfer::reversal(tid(25), tid(10))],
        Attribution::by(6).because(9),
        t(11),
    );
    submit(
        store,
        vec![Transfer::new(tid(26), fund, member, hours("0.75"), HOURS)
            .code(1)
            .served_at(t(1) + 7)],
        Attribution::NONE,
        t(12),
    );
    submit(
        store,
        vec![Transfer::new(tid(27), member, account(102), hours("1"), HOURS).code(3)],
        clerk,
        t(13),
    );
}

/// Member 101's statement, written out by hand from the scenario above.
fn expected() -> Vec<StatementLine> {
    let t = |n: u64| NOW + n * SECOND;
    let line = |transfer, at: u64, code, counterparty, amount, balance, reversal, by: (u64, _)| {
        StatementLine {
            transfer: tid(transfer),
            timestamp: at,
            served_at: at,
            code,
            counterparty: account(counterparty),
            amount: dec(amount),
            balance: dec(balance),
            reversal,
            operator: by.0,
            reason: by.1,
        }
    };
    vec![
        line(10, t(1), 1, FUND, "1.5", "1.5", false, (5, None)),
        // The post of hold 20 (the void of 21 and the expiry of 22 move no posted balance).
        line(23, t(3), 2, FUND, "2.5", "4.0", false, (5, None)),
        line(25, t(11), 1, FUND, "-1.5", "2.5", true, (6, Some(9))),
        StatementLine {
            served_at: t(1) + 7,
            ..line(26, t(12), 1, FUND, "0.75", "3.25", false, (0, None))
        },
        line(27, t(13), 3, 102, "-1", "2.25", false, (5, None)),
    ]
}

/// Every page shape of member 101's statement against the lines written out by hand, the
/// balances compared as text (their scale is what the running sum has: "4.0", not "4").
fn assert_statements(store: &Store) {
    let lines = expected();
    let member = account(101);
    let whole = store.statement(member, 0, 1000).unwrap();
    assert_eq!(
        whole,
        Statement {
            account: member,
            unit: HOURS,
            opening_balance: Decimal::ZERO,
            lines: lines.clone(),
            next: None,
        }
    );
    let shown: Vec<String> = whole.lines.iter().map(|l| l.balance.to_string()).collect();
    assert_eq!(shown, ["1.5", "4.0", "2.5", "3.25", "2.25"]);
    for (from, limit, opening, next) in [
        (0, 2, "0", Some(2)),
        (2, 2, "4.0", Some(4)),
        (4, 2, "3.25", None),
        (1, 1, "1.5", Some(2)),
        (5, 3, "2.25", None),
        (500, 3, "2.25", None),
        (usize::MAX, 1000, "2.25", None),
    ] {
        let page = store.statement(member, from, limit).unwrap();
        assert_eq!(page.opening_balance.to_string(), opening, "from {from}");
        let end = from.saturating_add(limit).min(lines.len());
        assert_eq!(
            page.lines,
            lines[from.min(end)..end],
            "from {from}, limit {limit}"
        );
        assert_eq!(page.next, next, "from {from}, limit {limit}");
    }
    // How many lines each statement holds, as its pages show.
    assert_eq!(store.statement_lines(member).unwrap(), lines.len());
    assert_eq!(store.statement_lines(account(102)).unwrap(), 1);
    assert!(store.statement_lines(account(999)).is_err());
    // The member paid: one line, from the other side.
    let payee = store.statement(account(102), 0, 10).unwrap();
    assert_eq!(payee.lines.len(), 1);
    assert_eq!(
        (payee.lines[0].counterparty, payee.lines[0].amount),
        (member, dec("1"))
    );
    assert_eq!(
        store.account(member).unwrap().posted(),
        whole.lines.last().unwrap().balance
    );
}

#[test]
fn a_statement_from_the_index_shows_every_posted_movement_as_applied() {
    let dir = Scratch::new("statement-mixed");
    let store = new_store(dir.path(), options());
    mixed(&store);
    assert_statements(&store);
    // The history pages every transfer of the account, holds and voids included.
    let history = store.history(account(101), None, 100).unwrap();
    let ids: Vec<u128> = history.transfers.iter().map(|t| t.id().get()).collect();
    assert_eq!(ids, [10, 20, 21, 22, 23, 24, 25, 26, 27]);
    store.close().unwrap();

    // Reopened: the same statement.
    let store = Store::open(dir.path(), options()).unwrap();
    assert_statements(&store);
    // Rebuilt in place, then rebuilt on open after the index directory is deleted.
    store.rebuild_index().unwrap();
    assert_statements(&store);
    store.verify(&mut |_| {}).unwrap();
    store.close().unwrap();
    std::fs::remove_dir_all(dir.path().join(INDEX_DIR_NAME)).unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert_statements(&store);
    store.close().unwrap();
}

#[test]
fn an_unknown_account_and_a_bad_page_size_are_refused() {
    let dir = Scratch::new("statement-refused");
    let store = new_store(dir.path(), options());
    mixed(&store);
    let unknown = account(999);
    for (account, limit, wanted) in [
        (unknown, 10, StatementError::AccountNotFound(unknown)),
        // The account is looked up first.
        (unknown, 0, StatementError::AccountNotFound(unknown)),
        (account(101), 0, StatementError::PageSize(0)),
        (account(101), 1001, StatementError::PageSize(1001)),
    ] {
        match store.statement(account, 0, limit) {
            Err(Error::Statement(error)) => assert_eq!(error, wanted),
            other => panic!("{account:?} limit {limit}: {other:?}"),
        }
    }
    // A fund with no movement of its own beyond the services: an account without lines
    // has an empty statement, not an error.
    let empty = store.statement(account(107), 0, 10).unwrap();
    assert_eq!(
        (empty.opening_balance, empty.lines.len(), empty.next),
        (Decimal::ZERO, 0, None)
    );
    store.close().unwrap();
}

#[test]
fn statement_pages_join_into_the_whole_across_many_entries_and_records() {
    let dir = Scratch::new("statement-pages");
    let store = new_store(dir.path(), options());
    // 150 services to member 103 in records of uneven size, a voided hold after every tenth.
    let mut id = 1_000u128;
    let mut at = NOW + SECOND;
    for size in [1usize, 9, 40, 3, 64, 33] {
        let mut batch = Vec::new();
        for _ in 0..size {
            batch.push(service(id, 3, 1 + (id % 7) as u64 * 25));
            id += 1;
            if id.is_multiple_of(10) {
                batch.push(hold(id + 100_000, 3, 4, 0));
                batch.push(Transfer::void(tid(id + 200_000), tid(id + 100_000)));
            }
        }
        submit(&store, batch, Attribution::NONE, at);
        at += SECOND;
    }
    let member = account(103);
    let whole = store.statement(member, 0, 1000).unwrap();
    assert_eq!(whole.lines.len(), 150);
    // Where each transfer was journaled, from the index's runs of consecutive ids: the
    // services (records 2 to 7: genesis 0, accounts 1), a hold and its void, none in a gap.
    for (id, sequence) in [
        (1_000, Some(2)),
        (1_001, Some(3)),
        (1_009, Some(3)),
        (1_010, Some(4)),
        (1_149, Some(7)),
        (1_150, None),
        (101_010, Some(3)),
        (201_010, Some(3)),
        (101_011, None),
        (999, None),
    ] {
        assert_eq!(store.transfer_sequence(tid(id)).unwrap(), sequence, "{id}");
    }
    for limit in [1, 7, 64, 149, 150] {
        let mut joined = Vec::new();
        let mut from = 0;
        loop {
            let page = store.statement(member, from, limit).unwrap();
            let opening = joined
                .last()
                .map_or(Decimal::ZERO, |l: &StatementLine| l.balance);
            assert_eq!(page.opening_balance, opening, "from {from}, limit {limit}");
            joined.extend(page.lines);
            match page.next {
                Some(next) => from = next,
                None => break,
            }
        }
        assert_eq!(joined, whole.lines, "limit {limit}");
    }
    assert_eq!(
        whole.lines.last().unwrap().balance,
        store.account(member).unwrap().posted()
    );
    store.close().unwrap();
}
