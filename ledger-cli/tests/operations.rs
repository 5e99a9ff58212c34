//! Every subcommand's happy path, through the real binary: what an operator sees and what the
//! ledger then holds.

mod support;

use support::{decimal, record, Bank};

fn posted(bank: &Bank, account: &str) -> String {
    let rows = bank.ok(&["--json", "balance", account]).json();
    decimal(&rows[0]["posted"])
}

#[test]
fn init_creates_a_ledger_once() {
    let bank = Bank::empty();
    let run = bank.ok(&["init"]);
    assert!(run.stdout.contains("hours"), "{}", run.stdout);
    assert_eq!(bank.status()["seq"], 0);
    bank.fails(&["init"], 2, "already exists");
}

#[test]
fn accounts_open_show_link_set_eligibility_and_close() {
    let bank = Bank::new().with_accounts();
    let shown = bank.ok(&["--json", "account", "show", "2"]).json();
    assert_eq!(shown["kind"], "member");
    assert_eq!(shown["unit_name"], "hours");
    assert_eq!(shown["community"], 7);
    assert_eq!(shown["closed"], false);
    // Opening the same account again is idempotent.
    let again = bank.ok(&[
        "--json",
        "account",
        "open",
        "2",
        "--kind",
        "member",
        "--community",
        "7",
    ]);
    assert_eq!(again.json()["applied"], false);

    bank.ok(&["account", "link", "2", "3"]);
    bank.ok(&["account", "unlink", "2", "3"]);
    bank.ok(&["account", "eligibility", "3", "--from", "2026-01-01"]);
    let shown = bank.ok(&["--json", "account", "show", "3"]).json();
    // Times print in the policy's zone (UTC+8 in the shipped policy).
    assert_eq!(shown["eligible_from"], "2026-01-01T08:00:00+08:00");

    bank.ok(&record("1", "2", "2", "101"));
    let closed = bank.ok(&["--reason", "7", "account", "close", "2", "--to", "4"]);
    assert!(
        closed.stdout.contains("close account 2 into 4"),
        "{}",
        closed.stdout
    );
    let shown = bank.ok(&["--json", "account", "show", "2"]).json();
    assert_eq!(shown["closed"], true);
    assert_eq!(posted(&bank, "4"), "2");
    let text = bank.ok(&["account", "show", "2"]).stdout;
    assert!(text.contains("closed      yes"), "{text}");
}

#[test]
fn record_withdraw_gift_award_and_redeem_move_exact_amounts() {
    let bank = Bank::new().with_accounts();
    let run = bank.ok(&[
        "--json",
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "2.75",
        "--code",
        "101",
        "--points-code",
        "401",
        "--points-issuer",
        "11",
        "--points-member",
        "12",
    ]);
    let out = run.json();
    assert_eq!(out["applied"], true);
    assert_eq!(
        out["transfers"].as_array().unwrap().len(),
        2,
        "hours and points, one chain"
    );
    assert_eq!(posted(&bank, "2"), "2.75");
    assert_eq!(posted(&bank, "12"), "10");

    bank.ok(&["account", "eligibility", "2", "--from", "2026-01-01"]);
    bank.ok(&[
        "withdraw",
        "--member",
        "2",
        "--provider",
        "3",
        "--hours",
        "0.5",
    ]);
    assert_eq!(posted(&bank, "2"), "2.25");
    assert_eq!(posted(&bank, "3"), "0.5");

    bank.ok(&["account", "link", "2", "3"]);
    bank.ok(&["gift", "--from", "2", "--to", "3", "--amount", "1.25"]);
    assert_eq!(posted(&bank, "3"), "1.75");
    bank.ok(&["gift", "--from", "3", "--to", "4", "--amount", "0.75"]);
    assert_eq!(posted(&bank, "4"), "0.75", "gifts to a pool are donations");

    bank.ok(&[
        "award", "--issuer", "11", "--member", "12", "--code", "403", "--acts", "3",
    ]);
    assert_eq!(posted(&bank, "12"), "16");
    bank.ok(&["redeem", "--member", "12", "--shop", "13", "--amount", "15"]);
    assert_eq!(posted(&bank, "12"), "1");
    assert_eq!(posted(&bank, "13"), "15");
}

#[test]
fn a_booking_is_held_then_completed_for_fewer_hours_or_cancelled() {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "5", "101"));
    bank.ok(&["account", "eligibility", "2", "--from", "2026-01-01"]);
    let booked = bank.ok(&[
        "--json",
        "service",
        "book",
        "--payer",
        "2",
        "--provider",
        "3",
        "--hours",
        "2",
        "--code",
        "201",
        "--timeout",
        "86400",
    ]);
    let booking = booked.json()["transfers"][0].as_u64().unwrap().to_string();
    let rows = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(decimal(&rows[0]["available"]), "3", "two hours are held");
    assert_eq!(decimal(&rows[0]["posted"]), "5");

    bank.ok(&[
        "service", "complete", &booking, "--hours", "1.5", "--rating", "5",
    ]);
    assert_eq!(posted(&bank, "2"), "3.5");
    assert_eq!(posted(&bank, "3"), "1.5");

    let second = bank.ok(&[
        "--json",
        "service",
        "book",
        "--payer",
        "2",
        "--provider",
        "3",
        "--hours",
        "1",
        "--code",
        "201",
    ]);
    let second = second.json()["transfers"][0].as_u64().unwrap().to_string();
    bank.ok(&["service", "cancel", &second]);
    let rows = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(
        decimal(&rows[0]["available"]),
        "3.5",
        "the hold is released"
    );
}

#[test]
fn expire_releases_a_booking_after_its_deadline() {
    let mut bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "3", "101"));
    bank.ok(&["account", "eligibility", "2", "--from", "2026-01-01"]);
    bank.ok(&[
        "service",
        "book",
        "--payer",
        "2",
        "--provider",
        "3",
        "--hours",
        "2",
        "--code",
        "201",
        "--timeout",
        "3600",
    ]);
    let early = bank.ok(&["--json", "expire"]).json();
    assert_eq!(early["expired"].as_array().unwrap().len(), 0);
    bank.at = "2026-03-02T09:00:00+08:00".into();
    let later = bank.ok(&["--json", "expire"]).json();
    assert_eq!(later["expired"].as_array().unwrap().len(), 1);
    let rows = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(decimal(&rows[0]["available"]), "3");
}

#[test]
fn reverse_moves_a_transfer_back_once() {
    let bank = Bank::new().with_accounts();
    let run = bank.ok(&[
        "--json",
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "2",
        "--code",
        "101",
    ]);
    let original = run.json()["transfers"][0].as_u64().unwrap().to_string();
    // A correction needs a reason (the host's code for why).
    bank.fails(&["reverse", &original], 4, "reason_required");
    bank.ok(&["--reason", "3", "reverse", &original]);
    assert_eq!(posted(&bank, "2"), "0");
    bank.fails(
        &["--reason", "3", "reverse", &original],
        4,
        "already_reversed",
    );
}

#[test]
fn an_explicit_id_makes_a_retry_change_nothing() {
    let bank = Bank::new().with_accounts();
    let args = [
        "--json",
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "1",
        "--code",
        "101",
        "--id",
        "500",
    ];
    assert_eq!(bank.ok(&args).json()["applied"], true);
    let before = bank.status();
    assert_eq!(bank.ok(&args).json()["applied"], false);
    assert_eq!(bank.status(), before);
    assert_eq!(posted(&bank, "2"), "1");
}

#[test]
fn statements_page_in_table_json_and_csv() {
    let bank = Bank::new().with_accounts();
    for hours in ["1", "2", "0.5"] {
        bank.ok(&record("1", "2", hours, "102"));
    }
    let page = bank
        .ok(&["--json", "statement", "2", "--limit", "2"])
        .json();
    let lines = page["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(decimal(&lines[1]["balance"]), "3");
    assert_eq!(page["next"], 2);
    let rest = bank.ok(&["--json", "statement", "2", "--from", "2"]).json();
    assert_eq!(decimal(&rest["opening_balance"]), "3");
    assert_eq!(decimal(&rest["lines"][0]["balance"]), "3.5");
    assert_eq!(rest["next"], serde_json::Value::Null);

    let csv = bank.ok(&["statement", "2", "--format", "csv"]).stdout;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "transfer,time,served,code,counterparty,amount,balance,reversal,operator,reason"
    );
    assert_eq!(rows.len(), 4);
    assert!(rows[3].contains(",102,1,0.5,3.5,false,"), "{}", rows[3]);
    let table = bank.ok(&["statement", "2", "--limit", "1"]).stdout;
    assert!(table.contains("more: --from 1"), "{table}");
}

#[test]
fn the_liability_report_shows_what_members_hold_by_community() {
    let bank = Bank::new().with_accounts();
    bank.ok(&[
        "account",
        "open",
        "20",
        "--kind",
        "member",
        "--community",
        "8",
    ]);
    bank.ok(&record("1", "2", "2", "101"));
    bank.ok(&record("1", "20", "1.5", "101"));
    let units = bank
        .ok(&["--json", "report", "liabilities", "--by", "community"])
        .json();
    assert_eq!(units[0]["unit_name"], "hours");
    assert_eq!(decimal(&units[0]["total"]), "3.5");
    let communities = units[0]["by_community"].as_array().unwrap();
    assert_eq!(communities.len(), 2);
    assert_eq!(communities[1]["community"], 8);
    assert_eq!(decimal(&communities[1]["total"]), "1.5");
    let table = bank.ok(&["report", "liabilities"]).stdout;
    assert!(table.contains("Outstanding liability"), "{table}");
    assert!(table.contains("3.5"), "{table}");
}

#[test]
fn status_names_the_head_and_rebuild_index_keeps_it() {
    let bank = Bank::new().with_accounts();
    let status = bank.status();
    assert_eq!(status["seq"], 7);
    assert_eq!(status["head"].as_str().unwrap().len(), 64);
    let rebuilt = bank.ok(&["--json", "rebuild-index"]).json();
    assert_eq!(rebuilt["indexed_seq"], 7);
    assert_eq!(bank.status()["state_digest"], status["state_digest"]);
    let text = bank.ok(&["status"]).stdout;
    assert!(text.contains("head          record 7"), "{text}");
}

#[test]
fn every_subcommand_has_help_and_the_exit_codes_are_listed() {
    let bank = Bank::empty();
    let top = bank.ok(&["--help"]).stdout;
    assert!(top.contains("Exit codes:"), "{top}");
    assert!(top.contains("4  refused"), "{top}");
    for sub in [
        "init",
        "account",
        "account open",
        "account close",
        "account show",
        "account link",
        "account unlink",
        "account eligibility",
        "service",
        "service book",
        "service complete",
        "service cancel",
        "record",
        "withdraw",
        "gift",
        "award",
        "redeem",
        "reverse",
        "expire",
        "balance",
        "statement",
        "report",
        "report liabilities",
        "status",
        "verify",
        "checkpoint",
        "checkpoint export",
        "checkpoint verify",
        "export",
        "import",
        "rebuild-index",
        "simulate",
        "demo",
    ] {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        let run = bank.ok(&args);
        assert!(
            run.stdout.contains("Usage:") && run.stdout.contains("Exit codes:"),
            "{sub} --help: {}",
            run.stdout
        );
    }
}
