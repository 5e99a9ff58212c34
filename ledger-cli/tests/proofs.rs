//! Signed checkpoints and proofs through the real binary, in both profiles: a member's
//! statement checks out offline with the public key; another key is exit 9 ("not signed by this
//! key"), an altered checkpoint or proof exit 5; consistency between published checkpoints holds,
//! and a rewritten history cannot prove it.

mod support;

use support::{run_in, Bank, START};

fn bank_in(profile: &str) -> Bank {
    let bank = Bank::empty();
    bank.ok(&["init", "--profile", profile]);
    let bank = bank.with_accounts();
    for (provider, hours) in [("2", "3"), ("3", "1.25"), ("2", "0.5")] {
        bank.ok(&[
            "record",
            "--payer",
            "1",
            "--provider",
            provider,
            "--hours",
            hours,
            "--code",
            "101",
        ]);
    }
    bank
}

fn keygen(bank: &Bank, profile: &str, name: &str) -> String {
    let key = bank.path(name);
    let run = bank.ok(&[
        "checkpoint",
        "keygen",
        "--profile",
        profile,
        "--out",
        key.to_str().unwrap(),
    ]);
    run.stdout.trim().to_owned()
}

#[test]
fn a_statement_checks_out_offline_with_the_public_key_in_both_profiles() {
    for profile in ["standard", "gm"] {
        let bank = bank_in(profile);
        assert_eq!(bank.status()["profile"], profile);
        let public = keygen(&bank, profile, "signing.key");
        let key = bank.path("signing.key");
        let key = key.to_str().unwrap();
        // A second keygen never overwrites the key.
        bank.fails(
            &["checkpoint", "keygen", "--profile", profile, "--out", key],
            2,
            "never overwrites",
        );
        let line = bank
            .ok(&["checkpoint", "sign", "--signing-key-file", key])
            .stdout;
        let line = line.trim();
        assert!(line.starts_with(&format!("timebank-signed-checkpoint v1 {profile} ")));
        let signed = bank.ok(&["--json", "checkpoint", "sign", "--signing-key-file", key]);
        assert_eq!(signed.json()["checkpoint"], line);
        assert_eq!(signed.json()["public_key"], public.as_str());
        let status = bank.status();
        assert_eq!(status["tree_root"], signed.json()["root"]);
        assert_eq!(status["tree_size"], signed.json()["tree_size"]);

        bank.ok(&["checkpoint", "verify", line, "--public-key", &public]);
        let other = keygen(&bank, profile, "other.key");
        bank.fails(
            &["checkpoint", "verify", line, "--public-key", &other],
            9,
            "not signed by this key",
        );
        let altered = line.replacen(" 1", " 2", 1);
        assert_ne!(altered, line);
        bank.fails(
            &["checkpoint", "verify", &altered, "--public-key", &public],
            5,
            "altered",
        );

        // The member's statement, written to a file, checked with nothing but the key.
        let proof = bank.ok(&["proof", "statement", "--account", "2", "--checkpoint", line]);
        let json: serde_json::Value = serde_json::from_str(&proof.stdout).unwrap();
        assert_eq!(json["transfers"].as_array().unwrap().len(), 2);
        let file = bank.path("statement.json");
        std::fs::write(&file, &proof.stdout).unwrap();
        let elsewhere = bank.path("nowhere");
        let check = |public: &str| {
            run_in(
                &elsewhere,
                START,
                &[
                    "proof",
                    "verify",
                    file.to_str().unwrap(),
                    "--public-key",
                    public,
                ],
            )
        };
        assert_eq!(check(&public).code, 0, "{:?}", check(&public));
        assert_eq!(check(&other).code, 9);
        let tampered = proof
            .stdout
            .replacen("\"leaf_index\":", "\"leaf_index\":1", 1);
        std::fs::write(&file, tampered).unwrap();
        assert_eq!(check(&public).code, 5);

        let inclusion = bank.ok(&[
            "proof",
            "inclusion",
            "--transfer",
            "1",
            "--checkpoint",
            line,
        ]);
        std::fs::write(&file, &inclusion.stdout).unwrap();
        assert_eq!(check(&public).code, 0);
        // A transfer that does not exist has no proof.
        bank.fails(
            &[
                "proof",
                "inclusion",
                "--transfer",
                "99",
                "--checkpoint",
                line,
            ],
            3,
            "no transfer 99",
        );
    }
}

#[test]
fn consistency_holds_between_published_checkpoints_and_a_rewritten_history_cannot_prove_it() {
    let bank = bank_in("standard");
    keygen(&bank, "standard", "signing.key");
    let key = bank.path("signing.key");
    let key = key.to_str().unwrap();
    let first = bank
        .ok(&["checkpoint", "sign", "--signing-key-file", key])
        .stdout;
    bank.ok(&["gift", "--from", "2", "--to", "4", "--amount", "0.5"]);
    let second = bank
        .ok(&["checkpoint", "sign", "--signing-key-file", key])
        .stdout;
    let proof = bank.ok(&[
        "proof",
        "consistency",
        "--from",
        first.trim(),
        "--to",
        second.trim(),
    ]);
    let file = bank.path("consistency.json");
    std::fs::write(&file, &proof.stdout).unwrap();
    bank.ok(&["proof", "verify", file.to_str().unwrap()]);

    // Another ledger made the same way but with a different last service: the same records
    // up to a point, then another history. The first checkpoint does not hold for it.
    let forged = Bank::empty();
    forged.ok(&["init"]);
    let forged = forged.with_accounts();
    for (provider, hours) in [("2", "3"), ("3", "1.25"), ("2", "0.75")] {
        forged.ok(&[
            "record",
            "--payer",
            "1",
            "--provider",
            provider,
            "--hours",
            hours,
            "--code",
            "101",
        ]);
    }
    forged.ok(&["gift", "--from", "2", "--to", "4", "--amount", "0.5"]);
    let forged_key = forged.path("k");
    forged.ok(&[
        "checkpoint",
        "keygen",
        "--out",
        forged_key.to_str().unwrap(),
    ]);
    let forged_now = forged
        .ok(&[
            "checkpoint",
            "sign",
            "--signing-key-file",
            forged_key.to_str().unwrap(),
        ])
        .stdout;
    forged.fails(
        &[
            "proof",
            "consistency",
            "--from",
            first.trim(),
            "--to",
            forged_now.trim(),
        ],
        5,
        "does not match this ledger",
    );
}
