//! A volunteer earns hours from a community fund, holds some for a booking, and spends them.

use ledger_core::{
    AccountId, AccountKind, Amount, Ledger, NewAccount, ResultCode, Transfer, TransferFlags,
    TransferId, Unit,
};

fn main() {
    let hours = 1;
    let mut ledger = Ledger::new(vec![Unit::new(hours, "hours", 2)]).expect("one valid unit");
    let id = |n| AccountId::new(n).expect("non-zero");
    let tid = |n| TransferId::new(n).expect("non-zero");
    let amount = |s| Amount::parse_in(s, 2).expect("a valid amount");
    let (fund, volunteer, elder) = (id(1), id(2), id(3));
    let mut now = 1_767_225_600_000_000_000u64;

    let accounts = [
        NewAccount::new(fund, hours, AccountKind::Issuer).community(7),
        NewAccount::new(volunteer, hours, AccountKind::Member).community(7),
        NewAccount::new(elder, hours, AccountKind::Member).community(7),
    ];
    let results = ledger
        .create_accounts(&accounts, now)
        .expect("a valid batch");
    assert!(results.iter().all(|r| r.code == ResultCode::Ok));

    now += 1_000;
    let batch = [
        Transfer::new(tid(1), fund, volunteer, amount("6"), hours),
        Transfer::new(tid(2), fund, elder, amount("3"), hours),
        Transfer::new(tid(3), elder, volunteer, amount("2"), hours)
            .flags(TransferFlags::PENDING)
            .timeout_s(86_400),
        Transfer::post(tid(4), tid(3), Some(amount("1.5"))),
    ];
    for (t, r) in batch
        .iter()
        .zip(ledger.create_transfers(&batch, now).expect("a valid batch"))
    {
        println!("transfer {:>2}: {}", t.id, r.code);
    }
    for (name, account) in [("fund", fund), ("volunteer", volunteer), ("elder", elder)] {
        let a = ledger.account(account).expect("created above");
        println!("{name:>9}: {:>6} hours", a.posted());
    }
    println!("state digest: {}", hex(&ledger.state_digest()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
