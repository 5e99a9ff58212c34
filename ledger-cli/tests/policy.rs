//! `timebank policy amend` and `timebank policy show`: rules changed from a date on judge the
//! services done from then on; a service done before stays judged under the rules of its day,
//! even when it is typed in after the amendment.

mod support;

use support::{run_in, Bank, Run};

/// `policy show --json` at `at`.
fn shown(bank: &Bank, at: &str) -> serde_json::Value {
    let run: Run = run_in(&bank.data(), at, &["--json", "policy", "show"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

const JULY_1: &str = "2026-07-01T00:00:00+08:00";

/// The shipped policy with Shanghai Changning's daily cap of 2 credits.
fn capped_policy(bank: &Bank) -> String {
    let shipped = include_str!("../../ledger-core/policy/default.toml");
    let text = format!(
        "{shipped}\n[[caps]]\nunit = 1\nperiod = \"day\"\nlimit = \"2\"\nexcess = \"reject\"\n"
    );
    let path = bank.path("amended.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn record(bank: &Bank, hours: &str, served_at: &str) -> support::Run {
    bank.run(&[
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        hours,
        "--code",
        "101",
        "--served-at",
        served_at,
    ])
}

#[test]
fn an_amendment_judges_services_by_the_day_they_were_done() {
    let mut bank = Bank::new().with_accounts();
    let file = capped_policy(&bank);
    let amended = bank
        .ok(&["--json", "policy", "amend", &file, "--from", JULY_1])
        .json();
    assert_eq!(amended["from"], 1_782_835_200_000_000_000u64);

    bank.at = "2026-07-02T09:00:00+08:00".into();
    // Done on 30 June, before the cap existed: 3 hours are fine.
    let done = record(&bank, "3", "2026-06-30T10:00:00+08:00");
    assert_eq!(done.code, 0, "{}", done.stderr);
    // Done on 1 July: above the new daily cap of 2, refused and named.
    let refused = record(&bank, "3", "2026-07-01T10:00:00+08:00");
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(
        refused.stderr.contains("cap_exceeded_daily"),
        "{}",
        refused.stderr
    );
    assert_eq!(record(&bank, "2", "2026-07-01T10:00:00+08:00").code, 0);

    // The policy in force on 30 June is the one the ledger was created with; from 1 July, the
    // amendment.
    let june = shown(&bank, "2026-06-30");
    assert_eq!(june["from"], 0);
    assert_eq!(june["policy"]["caps"].as_array().unwrap().len(), 0);
    let july = shown(&bank, JULY_1);
    assert_eq!(july["from"], amended["from"]);
    assert_eq!(july["policy"]["caps"][0]["limit"], "2");
    assert_eq!(july["versions"][1], amended["from"]);
    let text = bank.ok(&["policy", "show"]).stdout;
    assert!(
        text.contains("# Amended from 2026-07-01T00:00:00+08:00."),
        "{text}"
    );
    assert!(text.contains("[[caps]]"), "{text}");
    bank.ok(&["verify"]);
}

#[test]
fn amendments_that_would_judge_the_past_again_or_do_not_parse_are_refused() {
    let bank = Bank::new().with_accounts();
    let file = capped_policy(&bank);
    // Before the ledger's last event (the accounts were opened at --at).
    bank.fails(
        &["policy", "amend", &file, "--from", "2026-02-01"],
        4,
        "not after the ledger's last event",
    );
    bank.fails(
        &["policy", "amend", &file, "--from", "July"],
        2,
        "is not a time",
    );
    let broken = bank.path("broken.toml");
    std::fs::write(&broken, "units = 3\n").unwrap();
    bank.fails(
        &[
            "policy",
            "amend",
            broken.to_str().unwrap(),
            "--from",
            JULY_1,
        ],
        2,
        "is not valid",
    );
    // A policy that changes the units is refused by the ledger.
    let shipped = include_str!("../../ledger-core/policy/default.toml");
    let other_units = bank.path("units.toml");
    std::fs::write(&other_units, shipped.replace("scale = 2", "scale = 3")).unwrap();
    bank.fails(
        &[
            "policy",
            "amend",
            other_units.to_str().unwrap(),
            "--from",
            JULY_1,
        ],
        4,
        "keeps the ledger's units",
    );
    // Nothing was journaled: the policy in force in August is still the first.
    let august = shown(&bank, "2026-08-01");
    assert_eq!(august["versions"].as_array().unwrap().len(), 1);
}
