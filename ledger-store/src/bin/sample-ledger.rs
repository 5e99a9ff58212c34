//! Writes a small ledger that uses every command and record kind, for the independent verifier's
//! tests. Prints `head <sequence> <hash hex>` and `checkpoint <text>` (the last checkpoint).
//!
//! Usage: `sample-ledger <new dir>` (the checkpoint key is 32 bytes of 0x5a: a test key).

use std::path::PathBuf;
use std::str::FromStr;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{
    AccountId, AccountKind, Amount, Attribution, Command, Decimal, Eligibility, Link, NewAccount,
    Policy, Rating, Transfer, TransferFlags, TransferId, Unit,
};
use ledger_store::checkpoint::hex;
use ledger_store::{Error, Store, StoreOptions};

const KEY: [u8; 32] = [0x5a; 32];
const NOW: u64 = 1_767_225_600_000_000_000;

fn main() {
    if let Err(e) = run() {
        eprintln!("sample-ledger: {e}");
        std::process::exit(2);
    }
}

fn account(n: u128) -> Result<AccountId, Error> {
    AccountId::new(n).ok_or(Error::CheckpointText("zero id"))
}

fn transfer(n: u128) -> Result<TransferId, Error> {
    TransferId::new(n).ok_or(Error::CheckpointText("zero id"))
}

fn amount(text: &str) -> Result<Amount, Error> {
    Amount::parse(text).map_err(|_| Error::CheckpointText("bad amount"))
}

fn run() -> Result<(), Error> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or(Error::CheckpointText("usage"))?,
    );
    let policy = Policy::units_only(vec![Unit::new(1, "hours", 2), Unit::new(2, "points", 0)]);
    let store = Store::create(
        &dir,
        &policy,
        NOW,
        StoreOptions::default().checkpoint_key(KEY),
    )?;
    let (fund, alice, bob, shop) = (account(1)?, account(2)?, account(3)?, account(4)?);
    let floor = Decimal::from_str("-1000.50").map_err(|_| Error::CheckpointText("decimal"))?;
    store.create_accounts(
        vec![
            NewAccount::new(fund, 1, AccountKind::Issuer).floor(Some(floor)),
            NewAccount::new(alice, 1, AccountKind::Member)
                .community(7)
                .user_data(99),
            NewAccount::new(bob, 1, AccountKind::Member)
                .ceiling(Some(Decimal::from(600)))
                .eligible_from(Some(NOW)),
            NewAccount::new(shop, 2, AccountKind::Redemption),
        ],
        NOW,
    )?;
    store.create_transfers(
        vec![
            Transfer::new(transfer(10)?, fund, alice, amount("2.5")?, 1).code(3),
            Transfer::new(transfer(11)?, fund, bob, amount("4")?, 1).user_data(u128::MAX),
            Transfer::new(transfer(12)?, alice, bob, amount("0.75")?, 1)
                .flags(TransferFlags::PENDING)
                .timeout_s(60),
            Transfer::new(transfer(13)?, bob, alice, amount("1")?, 1)
                .flags(TransferFlags::PENDING)
                .timeout_s(3600),
        ],
        NOW + 1,
    )?;
    store.checkpoint()?;
    store.create_transfers(
        vec![
            // Says when the service was done: a moment before it is recorded.
            Transfer::post(transfer(14)?, transfer(13)?, Some(amount("0.5")?)).served_at(NOW + 1),
            Transfer::reversal(transfer(15)?, transfer(11)?),
            // Fails (the unit has 2 decimals): failed events are journaled too.
            Transfer::new(transfer(16)?, fund, alice, amount("0.001")?, 1),
        ],
        NOW + 2,
    )?;
    // Attributed: operator 4001 for reason 5 (annotations, format version 4).
    store.submit_by(
        Command::LinkAccounts(vec![Link { a: alice, b: bob }]),
        Attribution::by(4_001).because(5),
        NOW + 3,
    )?;
    store.submit(
        Command::SetEligibility(vec![Eligibility {
            account: alice,
            from: Some(NOW + 5),
        }]),
        NOW + 4,
    )?;
    let rating = Rating {
        transfer: transfer(10)?,
        rating: 5,
    };
    store.submit(Command::RecordRatings(vec![rating]), NOW + 5)?;
    store.submit(
        Command::UnlinkAccounts(vec![Link { a: bob, b: alice }]),
        NOW + 6,
    )?;
    store.expire(NOW + 120_000_000_000)?;
    let checkpoint = store.checkpoint()?;
    store.create_transfers(
        vec![Transfer::void(transfer(17)?, transfer(12)?)],
        NOW + 121_000_000_000,
    )?;
    // The shop never received anything: an empty account closes.
    store.submit(Command::CloseAccounts(vec![shop]), NOW + 122_000_000_000)?;
    // A domain operation in one record: a service typed in a second after it was done.
    let service = ServiceRecord {
        code: 3,
        payer: fund,
        provider: alice,
        hours: amount("1.5")?,
        served_at: Some(NOW + 122_000_000_000),
        donation: None,
        points: None,
        user_data: 0,
    };
    let operation = Operation {
        id: transfer(20)?,
        kind: OperationKind::Service(service),
    };
    store.submit(Command::Operate(operation), NOW + 123_000_000_000)?;
    let status = store.status();
    println!("head {} {}", status.head_sequence, hex(&status.head_hash));
    println!("checkpoint {}", checkpoint.to_text());
    store.close()
}
