//! Refusals: each prints a human sentence and exits with its documented code, and a refused
//! operation changes nothing (the journal's head and the state digest stay as they were).

mod support;

use support::{record, Bank};

/// The default policy with Shanghai Changning's daily cap: at most 2 hours earned a day.
fn capped_policy(bank: &Bank) -> String {
    let default = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ledger-core/policy/default.toml"
    );
    let mut text = std::fs::read_to_string(default).expect("the shipped policy");
    text.push_str("\n[[caps]]\nunit = 1\nperiod = \"day\"\nlimit = \"2\"\nexcess = \"reject\"\n");
    let path = bank.path("capped.toml");
    std::fs::write(&path, text).expect("write the policy");
    path.to_string_lossy().into_owned()
}

/// Runs a refused command and checks that nothing changed.
fn refused_changes_nothing(bank: &Bank, args: &[&str], code: i32, expected: &str) {
    let before = bank.status();
    bank.fails(args, code, expected);
    assert_eq!(
        bank.status(),
        before,
        "timebank {args:?} changed the ledger"
    );
}

#[test]
fn an_unknown_account_is_not_found() {
    let bank = Bank::new().with_accounts();
    refused_changes_nothing(
        &bank,
        &record("1", "99", "1", "101"),
        3,
        "account 99 does not exist",
    );
    bank.fails(&["account", "show", "99"], 3, "account 99 does not exist");
    bank.fails(&["balance", "2", "99"], 3, "account 99 does not exist");
    bank.fails(&["statement", "99"], 3, "account 99 does not exist");
    bank.fails(&["reverse", "12345"], 3, "transfer 12345 does not exist");
}

#[test]
fn a_missing_ledger_is_not_found() {
    let bank = Bank::empty();
    bank.fails(&["status"], 3, "no ledger in");
    bank.fails(&["verify"], 3, "no ledger in");
}

#[test]
fn a_daily_cap_refuses_the_credit_and_names_the_result_code() {
    let bank = Bank::empty();
    let policy = capped_policy(&bank);
    bank.ok(&["--policy", &policy, "init"]);
    let bank = bank.with_accounts();
    bank.ok(&record("1", "2", "1.5", "101"));
    refused_changes_nothing(
        &bank,
        &record("1", "2", "1", "102"),
        4,
        "cap_exceeded_daily (200)",
    );
    let rows = bank.ok(&["--json", "balance", "2"]).json();
    assert_eq!(rows[0]["posted"], "1.5");
    // Within the cap it still applies.
    bank.ok(&record("1", "2", "0.5", "102"));
}

#[test]
fn a_bad_amount_is_a_usage_error() {
    let bank = Bank::new().with_accounts();
    for (amount, expected) in [
        ("1.234", "more than 2 decimal places"),
        ("-1", "not a plain decimal"),
        ("1e3", "not a plain decimal"),
        ("0", "greater than zero"),
    ] {
        refused_changes_nothing(&bank, &record("1", "2", amount, "101"), 2, expected);
    }
    refused_changes_nothing(
        &bank,
        &[
            "redeem", "--member", "12", "--shop", "13", "--amount", "1.5",
        ],
        2,
        "more than 0 decimal places",
    );
    let bad_time = support::run_in(&bank.data(), "tomorrow", &["expire"]);
    assert_eq!(bad_time.code, 2);
    assert!(
        bad_time.stderr.contains("is not a time"),
        "{}",
        bad_time.stderr
    );
    bank.fails(&["record", "--payer", "1"], 2, "required");
}

#[test]
fn a_gift_to_a_stranger_is_refused() {
    let bank = Bank::new().with_accounts();
    bank.ok(&record("1", "2", "3", "101"));
    refused_changes_nothing(
        &bank,
        &["gift", "--from", "2", "--to", "3", "--amount", "1"],
        4,
        "gift_not_allowed (204)",
    );
    bank.ok(&["account", "link", "2", "3"]);
    bank.ok(&["gift", "--from", "2", "--to", "3", "--amount", "1"]);
}

#[test]
fn engine_refusals_name_the_result_code() {
    let bank = Bank::new().with_accounts();
    // Nothing banked yet: a member cannot spend hours it does not have.
    refused_changes_nothing(
        &bank,
        &["gift", "--from", "2", "--to", "4", "--amount", "1"],
        4,
        "exceeds_floor (110)",
    );
    // Paying for care before the eligibility date.
    bank.ok(&record("1", "2", "3", "101"));
    refused_changes_nothing(
        &bank,
        &[
            "withdraw",
            "--member",
            "2",
            "--provider",
            "3",
            "--hours",
            "1",
        ],
        4,
        "not_yet_eligible (203)",
    );
    // A code the policy does not define.
    refused_changes_nothing(&bank, &record("1", "2", "1", "999"), 4, "refused");
}

#[test]
fn a_bad_key_file_is_a_usage_error() {
    let bank = Bank::new();
    let key = bank.path("key");
    std::fs::write(&key, "not hex").unwrap();
    support::owner_only(&key);
    bank.fails(
        &["--key-file", key.to_str().unwrap(), "status"],
        2,
        "64 hexadecimal characters",
    );
    bank.fails(&["checkpoint", "export"], 2, "--key-file");
}

/// An implausible `--at` (decades ahead of the clock) is refused by the store's time guard
/// before anything is journaled: exit 2, and the ledger's clock is not pushed into the future.
#[test]
fn a_time_far_ahead_of_the_clock_is_refused_and_changes_nothing() {
    let bank = Bank::new().with_accounts();
    let before = bank.status();
    let run = support::run_in(
        &bank.data(),
        "2099-01-01T00:00:00Z",
        &record("1", "2", "1", "101"),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not plausible"), "{}", run.stderr);
    assert_eq!(bank.status(), before, "the refused time changed the ledger");
}
