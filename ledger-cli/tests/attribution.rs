//! `--operator` and `--reason`: who ran each write and why, journaled with it, shown in
//! statements and exports; `reverse` and `account close` need a reason.

mod support;

use std::process::Command;

use support::Bank;

fn record(bank: &Bank, extra: &[&str]) -> support::Run {
    bank.run(&[extra, &support::record("1", "2", "2", "101")[..]].concat())
}

#[test]
fn statements_and_exports_show_who_ran_each_write_and_why() {
    let bank = Bank::new().with_accounts();
    assert_eq!(record(&bank, &["--operator", "4001"]).code, 0);
    let original = bank.ok(&["--json", "statement", "2"]).json()["lines"][0]["transfer"]
        .as_u64()
        .unwrap()
        .to_string();
    bank.fails(
        &["--operator", "4002", "reverse", &original],
        4,
        "reason_required",
    );
    bank.ok(&["--operator", "4002", "--reason", "12", "reverse", &original]);
    let lines = bank.ok(&["--json", "statement", "2"]).json()["lines"].clone();
    assert_eq!(lines[0]["operator"], 4001);
    assert_eq!(lines[0]["reason"], serde_json::Value::Null);
    assert_eq!(lines[1]["operator"], 4002);
    assert_eq!(lines[1]["reason"], 12);
    let csv = bank.ok(&["statement", "2", "--format", "csv"]).stdout;
    assert!(
        csv.lines().nth(2).unwrap().ends_with(",true,4002,12"),
        "{csv}"
    );

    // The export names them on each command line; an import rebuilds the same chain.
    let export = bank.ok(&["export"]).stdout;
    let last = export.lines().next_back().unwrap();
    let reversal: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(reversal["operator"], 4002);
    assert_eq!(reversal["reason"], 12);
    let file = bank.path("export.jsonl");
    std::fs::write(&file, &export).unwrap();
    let copy = Bank::empty();
    copy.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(copy.status()["head"], bank.status()["head"]);
    copy.ok(&["verify"]);
}

#[test]
fn the_operator_defaults_to_the_environment_then_to_the_local_account() {
    let bank = Bank::new().with_accounts();
    let run = |env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_timebank"));
        command
            .arg("--data")
            .arg(bank.data())
            .args([
                "--at",
                &bank.at,
                "record",
                "--payer",
                "1",
                "--provider",
                "2",
            ])
            .args(["--hours", "1", "--code", "101"])
            .env_remove("TIMEBANK_OPERATOR");
        if let Some(value) = env {
            command.env("TIMEBANK_OPERATOR", value);
        }
        command.output().unwrap()
    };
    assert!(run(Some("77")).status.success());
    assert!(run(None).status.success());
    let refused = run(Some("somebody"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an operator id"));
    let lines = bank.ok(&["--json", "statement", "2"]).json()["lines"].clone();
    assert_eq!(lines[0]["operator"], 77);
    // 2^32 + the Unix user id running the test.
    let local = lines[1]["operator"].as_u64().unwrap();
    assert!(local >= 1 << 32, "{local}");
    assert_eq!(lines.as_array().unwrap().len(), 2);
    bank.fails(&["--operator", "0", "expire"], 2, "positive integer");
}

/// A ledger begun by an earlier binary (records of format versions 2 and 3) and continued by
/// this one (version 7) exports and imports to the same chain: each record is rebuilt in the
/// version it was written in.
#[test]
fn a_ledger_begun_in_earlier_format_versions_exports_and_imports_to_the_same_chain() {
    use ledger_core::{AccountId, AccountKind, Amendment, Attribution, NewAccount, Policy};
    use ledger_store::{Store, StoreOptions};

    let bank = Bank::empty();
    let at = 1_772_326_800_000_000_000u64; // 2026-03-01T09:00:00+08:00
                                           // The genesis record as a version-2 binary wrote it.
    let json = serde_json::to_vec(&Policy::default_policy()).unwrap();
    let (mut genesis, _) = ledger_store::journal::genesis_record(&json, at);
    genesis[ledger_store::record::OFFSET_VERSION] = 2;
    let covered = genesis.len() - 32;
    let hash = ledger_store::record::record_hash(&genesis[..covered]);
    genesis[covered..].copy_from_slice(&hash);
    let store =
        Store::create_from_genesis(&bank.data(), &genesis, StoreOptions::default()).unwrap();
    let open = |id: u128, kind| NewAccount::new(AccountId::new(id).unwrap(), 1, kind);
    let accounts = vec![open(1, AccountKind::Issuer), open(2, AccountKind::Member)];
    let command = ledger_core::Command::CreateAccounts(accounts);
    store.submit_in(command, Attribution::NONE, at, 2).unwrap();
    let amendment = ledger_core::Command::AmendPolicy(Amendment {
        from: at + 86_400_000_000_000,
        policy: Policy::default_policy(),
    });
    // Version 2 has no amendments and no operators; version 3 has amendments only.
    let refused = store.submit_in(amendment.clone(), Attribution::NONE, at, 2);
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("format version 2"));
    let refused = store.submit_in(amendment.clone(), Attribution::by(5), at, 3);
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("format version 3"));
    store
        .submit_in(amendment, Attribution::NONE, at, 3)
        .unwrap();
    // Arrivals from other ledgers exist from version 5 on.
    let arrival = ledger_core::Command::Operate(ledger_core::operation::Operation {
        id: ledger_core::TransferId::new(77).unwrap(),
        kind: ledger_core::operation::OperationKind::Arrival(ledger_core::Arrival {
            clearing: AccountId::new(1).unwrap(),
            member: AccountId::new(2).unwrap(),
            unit: 1,
            code: 304,
            user_data: 0,
            lots: vec![ledger_core::CarriedLot {
                expires_at: ledger_core::NO_EXPIRY,
                amount: ledger_core::Amount::parse("1").unwrap(),
            }],
            earned_lifetime: None,
            eligible_from: None,
        }),
    });
    let refused = store.submit_in(arrival, Attribution::NONE, at, 4);
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("format version 5"));
    store.close().unwrap();
    assert_eq!(record(&bank, &["--operator", "4001"]).code, 0);

    let export = bank.ok(&["export"]).stdout;
    let versions: Vec<u64> = export
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["version"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        versions,
        [2, 2, 3, u64::from(ledger_store::record::FORMAT_VERSION)]
    );
    let file = bank.path("export.jsonl");
    std::fs::write(&file, &export).unwrap();
    let copy = Bank::empty();
    copy.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(copy.status()["head"], bank.status()["head"]);
    assert_eq!(copy.status()["state_digest"], bank.status()["state_digest"]);
    copy.ok(&["verify"]);
}
