//! The second pass of the time-bank rules from the command line: the day a service was done
//! (`--served-at`), times in the policy's zone, `--at` checked on every command, operations
//! retried under their `--id`, and empty accounts closing.

mod support;

use support::{record, run_in, Bank};

fn record_service(bank: &Bank, hours: &str, extra: &[&str]) -> support::Run {
    bank.run(&[&record("1", "2", hours, "101")[..], extra].concat())
}

#[test]
fn a_service_typed_in_later_keeps_the_day_it_was_done() {
    let bank = Bank::new().with_accounts();
    let done = record_service(&bank, "2", &["--served-at", "2026-02-28T10:00:00+08:00"]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let page = bank.ok(&["--json", "statement", "2"]).json();
    let line = &page["lines"][0];
    assert_eq!(line["served"], "2026-02-28T10:00:00+08:00");
    // Recorded at --at, printed in the policy's zone (UTC+8).
    assert!(
        line["time"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-01T09:00:00+08:00"),
        "{line}"
    );
    // Past the policy's 30 days, or after the record: refused, nothing changed.
    bank.fails(
        &[
            &record("1", "2", "1", "101")[..],
            &["--served-at", "2026-01-15"],
        ]
        .concat(),
        4,
        "served_at_too_late (210)",
    );
    bank.fails(
        &[
            &record("1", "2", "1", "101")[..],
            &["--served-at", "2026-03-02"],
        ]
        .concat(),
        4,
        "served_at_in_future (22)",
    );
    let balance = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(support::decimal(&balance[0]["posted"]), "2");
}

#[test]
fn a_time_that_does_not_parse_is_an_error_everywhere_and_the_clock_never_goes_back() {
    let bank = Bank::new().with_accounts();
    let read = run_in(&bank.data(), "yesterday", &["balance", "2"]);
    assert_eq!(read.code, 2, "{}", read.stderr);
    assert!(read.stderr.contains("is not a time"), "{}", read.stderr);
    let earlier = run_in(
        &bank.data(),
        "2026-02-01T00:00:00Z",
        &record("1", "2", "1", "101"),
    );
    assert_eq!(earlier.code, 2, "{}", earlier.stderr);
    assert!(
        earlier.stderr.contains("before the ledger's clock"),
        "{}",
        earlier.stderr
    );
    // The same --at again is fine: the ledger spreads events within that second.
    assert_eq!(record_service(&bank, "1", &[]).code, 0);
}

#[test]
fn a_completion_retried_under_its_id_is_done_and_other_arguments_are_named() {
    let bank = Bank::new().with_accounts();
    bank.ok(&[
        "service",
        "book",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "2",
        "--code",
        "101",
        "--id",
        "500",
    ]);
    let first = bank.ok(&[
        "--json", "service", "complete", "500", "--rating", "5", "--id", "600",
    ]);
    assert_eq!(first.json()["applied"], true);
    // The booking is no longer pending; the retry still answers what happened.
    let again = bank.ok(&[
        "--json", "service", "complete", "500", "--rating", "5", "--id", "600",
    ]);
    assert_eq!(again.json()["applied"], false);
    bank.fails(
        &["service", "complete", "500", "--rating", "4", "--id", "600"],
        4,
        "operation_exists_with_different_details (45)",
    );
    let balance = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(support::decimal(&balance[0]["posted"]), "2");
}

#[test]
fn an_empty_account_closes_and_a_balance_goes_only_where_a_gift_could() {
    let bank = Bank::new().with_accounts();
    bank.ok(&["--reason", "7", "account", "close", "3", "--to", "4"]);
    let shown = bank.ok(&["--json", "account", "show", "3"]).json();
    assert_eq!(shown["closed"], true);
    assert_eq!(record_service(&bank, "1", &[]).code, 0);
    // Member 2 has an hour; member 3 is not family.
    bank.ok(&[
        "account",
        "open",
        "5",
        "--kind",
        "member",
        "--community",
        "7",
    ]);
    bank.fails(
        &["--reason", "7", "account", "close", "2", "--to", "5"],
        4,
        "closing_destination_not_allowed (212)",
    );
    bank.ok(&["account", "link", "2", "5"]);
    bank.ok(&["--reason", "7", "account", "close", "2", "--to", "5"]);
    let balance = bank.ok(&["--json", "balance", "5"]).json();
    assert_eq!(support::decimal(&balance[0]["posted"]), "1");
}
