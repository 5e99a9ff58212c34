//! `timebank exchange`: two ledgers, each its own data directory and key, move hours through
//! message files, as two hosts would.

mod support;

use support::{decimal, Bank};

struct Side {
    bank: Bank,
    key: String,
    public: String,
}

fn side(id: &str) -> Side {
    let bank = Bank::new().with_accounts();
    let key = bank.path("exchange.key").display().to_string();
    let public = bank
        .ok(&["checkpoint", "keygen", "--out", &key])
        .stdout
        .trim()
        .to_owned();
    bank.ok(&[
        "record",
        "--payer",
        "1",
        "--provider",
        "2",
        "--hours",
        "5",
        "--code",
        "101",
    ]);
    let s = Side { bank, key, public };
    s.ok(&["--ledger-id", id, "pending"]);
    s
}

impl Side {
    fn args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["exchange", "--signing-key-file", &self.key];
        args.extend_from_slice(rest);
        args
    }

    fn ok(&self, rest: &[&str]) -> support::Run {
        self.bank.ok(&self.args(rest))
    }

    fn fails(&self, rest: &[&str], code: i32, expected: &str) -> support::Run {
        self.bank.fails(&self.args(rest), code, expected)
    }

    fn file(&self, name: &str) -> String {
        self.bank.path(name).display().to_string()
    }

    fn posted(&self, account: &str) -> String {
        let rows = self.bank.ok(&["--json", "balance", account]).json();
        decimal(&rows[0]["posted"])
    }
}

fn pair() -> (Side, Side) {
    let (a, b) = (side("310101"), side("310104"));
    a.ok(&["peer", "add", "310104", &b.public]);
    b.ok(&["peer", "add", "310101", &a.public]);
    (a, b)
}

#[test]
fn hours_move_once_with_an_offer_and_a_receipt() {
    let (a, b) = pair();
    let listed = a.bank.ok(&["exchange", "peer", "list"]);
    assert!(listed.stdout.contains(&b.public), "{}", listed.stdout);
    let offer = a.file("offer.json");
    a.ok(&[
        "send",
        "--number",
        "1",
        "--to",
        "310104",
        "--amount",
        "2",
        "--from-account",
        "2",
        "--to-account",
        "3",
        "--deadline",
        "2026-03-01T10:00:00+08:00",
        "--out",
        &offer,
    ]);
    assert_eq!(a.posted("2"), "5");
    let pending = a.bank.ok(&[
        "--json",
        "exchange",
        "--signing-key-file",
        &a.key,
        "pending",
    ]);
    assert_eq!(pending.json().as_array().unwrap().len(), 1);

    let receipt = b.file("receipt.json");
    b.ok(&["receive", &offer, "--reply", &receipt]);
    assert_eq!(b.posted("3"), "2");
    // The same offer again: `exists`, the receipt again, no second credit.
    b.ok(&["receive", &offer, "--reply", &receipt]);
    assert_eq!(b.posted("3"), "2");

    a.ok(&["receive", &receipt]);
    a.ok(&["receive", &receipt]);
    assert_eq!(a.posted("2"), "3");
    let positions = a.bank.ok(&[
        "--json",
        "exchange",
        "--signing-key-file",
        &a.key,
        "positions",
    ]);
    let hours = &positions.json()[0];
    assert_eq!(hours["peer"], 310104);
    assert_eq!(decimal(&hours["owed_to_peer"]), "2");
    let positions = b.bank.ok(&[
        "--json",
        "exchange",
        "--signing-key-file",
        &b.key,
        "positions",
    ]);
    assert_eq!(decimal(&positions.json()[0]["owed_to_peer"]), "-2");
    let text = b.ok(&["positions"]).stdout;
    let net: Vec<&str> = text
        .lines()
        .find(|l| l.trim_start().starts_with("net"))
        .expect("a net row")
        .split_whitespace()
        .collect();
    assert_eq!(net, ["net", "hours", "-2", "0"], "{text}");
    for side in [&a, &b] {
        side.bank.ok(&["verify"]);
    }
}

#[test]
fn a_forged_offer_is_refused_and_a_late_one_is_voided_on_the_refusal() {
    let (a, b) = pair();
    let offer = a.file("offer.json");
    a.ok(&[
        "send",
        "--number",
        "7",
        "--to",
        "310104",
        "--amount",
        "1",
        "--from-account",
        "2",
        "--to-account",
        "3",
        "--deadline",
        "2026-03-01T09:00:30+08:00",
        "--out",
        &offer,
    ]);
    let text = std::fs::read_to_string(&offer).unwrap();
    let forged = a.file("forged.json");
    std::fs::write(&forged, text.replace("\"1.00\"", "\"100.00\"")).unwrap();
    b.fails(&["receive", &forged], 4, "forged");
    assert_eq!(b.posted("3"), "0");

    // B gets the real offer an hour late: it refuses, finally, and A voids its hold.
    let refusal = b.file("refusal.json");
    let late = ["--at", "2026-03-01T10:00:00+08:00"];
    let mut args = b.args(&["receive", &offer, "--reply", &refusal]);
    args.extend_from_slice(&late);
    b.bank.fails(&args, 4, "past_deadline");
    a.ok(&["receive", &refusal]);
    assert_eq!(a.posted("2"), "5");
    let pending = a.bank.ok(&[
        "--json",
        "exchange",
        "--signing-key-file",
        &a.key,
        "pending",
    ]);
    assert_eq!(pending.json().as_array().unwrap().len(), 0);
    // The number cannot be reused.
    a.fails(
        &[
            "send",
            "--number",
            "7",
            "--to",
            "310104",
            "--amount",
            "1",
            "--from-account",
            "2",
            "--to-account",
            "3",
            "--deadline",
            "2026-03-01T11:00:00+08:00",
        ],
        4,
        "used before",
    );
}

#[test]
fn a_member_moves_with_their_whole_balance_once() {
    let (a, b) = pair();
    let offer = a.file("move.json");
    let mv = [
        "move-member",
        "--number",
        "7",
        "--to",
        "310104",
        "--from-account",
        "2",
        "--to-account",
        "3",
        "--deadline",
        "2026-03-01T10:00:00+08:00",
        "--out",
        &offer,
    ];
    a.ok(&mv);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&offer).unwrap()).unwrap();
    assert_eq!(json["kind"], "offer_with_state");
    assert_eq!(json["moving"], true);
    assert_eq!(json["amount"], "5.00");
    // Moving again with the same arguments writes the same offer and holds nothing more.
    a.ok(&mv);
    let receipt = b.file("receipt.json");
    b.ok(&["receive", &offer, "--reply", &receipt]);
    b.ok(&["receive", &offer, "--reply", &receipt]);
    a.ok(&["receive", &receipt]);
    assert_eq!(a.posted("2"), "0");
    assert_eq!(b.posted("3"), "5");
    // Nothing is left to move.
    a.fails(
        &[
            "move-member",
            "--number",
            "8",
            "--to",
            "310104",
            "--from-account",
            "2",
            "--to-account",
            "3",
            "--deadline",
            "2026-03-01T10:00:00+08:00",
        ],
        4,
        "nothing to move",
    );
    for side in [&a, &b] {
        side.bank.ok(&["verify", "--replay"]);
    }
}
