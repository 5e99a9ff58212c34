//! Who ran each command is journaled with it (annotations, format version 4) and replayed: a
//! reopened ledger shows the same operators and reasons in statements, and judges the same
//! reversals refused for want of a reason.

mod support;

use ledger_core::{
    AccountKind, Amount, Attribution, Command, NewAccount, Policy, ResultCode, Transfer,
};
use ledger_store::codec::decode_record_body;
use ledger_store::journal::scan_frames;
use ledger_store::record::{parse_frame, FORMAT_VERSION};
use ledger_store::{Store, StoreOptions};
use support::{account, tid, Scratch, JOURNAL_FILE_NAME, NOW};

const CLERK: u64 = 4_001;
const WRONG_ENTRY: u32 = 12;

#[test]
fn operators_and_reasons_are_journaled_and_survive_reopening() {
    let dir = Scratch::new("attribution");
    let store = Store::create(
        dir.path(),
        &Policy::default_policy(),
        NOW,
        StoreOptions::default(),
    )
    .unwrap();
    let clerk = Attribution::by(CLERK);
    store
        .submit_by(
            Command::CreateAccounts(vec![
                NewAccount::new(account(1), 1, AccountKind::Issuer),
                NewAccount::new(account(2), 1, AccountKind::Member),
            ]),
            clerk,
            NOW + 1,
        )
        .unwrap();
    let service = Transfer::new(
        tid(10),
        account(1),
        account(2),
        Amount::parse_in("2", 2).unwrap(),
        1,
    )
    .code(101);
    store
        .submit_by(Command::CreateTransfers(vec![service]), clerk, NOW + 2)
        .unwrap();
    let reversal = Command::CreateTransfers(vec![Transfer::reversal(tid(11), tid(10))]);
    let refused = store.submit_by(reversal.clone(), clerk, NOW + 3).unwrap();
    assert_eq!(refused.events()[0].code, ResultCode::ReasonRequired);
    let why = clerk.because(WRONG_ENTRY);
    let done = store.submit_by(reversal, why, NOW + 4).unwrap();
    assert_eq!(done.events()[0].code, ResultCode::Ok);
    let digest = store.state_digest();
    store.close().unwrap();

    // The last record carries both annotations, in this binary's format version.
    let bytes = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    let frames = scan_frames(&bytes).unwrap().frames;
    let (offset, len) = *frames.last().unwrap();
    let raw = &bytes[offset as usize..offset as usize + len as usize];
    let frame = parse_frame(raw, offset).unwrap();
    assert_eq!(frame.version(), FORMAT_VERSION);
    let (_, _, who) = decode_record_body(frame.body(), frame.version()).unwrap();
    assert_eq!(who, why);

    // Replayed: the same state, the same refusal recorded, the same statement.
    let reopened = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(reopened.state_digest(), digest);
    reopened.verify(&mut |_| {}).unwrap();
    let lines = reopened.statement(account(2), 0, 10).unwrap().lines;
    let shown: Vec<_> = lines.iter().map(|l| (l.operator, l.reason)).collect();
    assert_eq!(shown, [(CLERK, None), (CLERK, Some(WRONG_ENTRY))]);
}
