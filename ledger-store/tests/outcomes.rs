//! Every command record carries its outcome, and a replay that answers otherwise is corruption.
//!
//! A record used to hold only the request: events that failed inside an accepted batch were
//! journaled and dropped on replay with nothing in the record saying so, and sweeps made
//! transfers no record showed. A record now carries each event's code and timestamp, what the
//! ledger resolved (sides and amounts a post, void, reversal or balancing transfer left to it),
//! and for an expiry every released hold and every sweep; replay compares the engine's answer
//! with it and names the first differing event.

mod support;

use ledger_core::{Amount, Command, ResultCode, Transfer};
use ledger_store::codec::{decode_body, encode_body};
use ledger_store::journal::scan_frames;
use ledger_store::outcome::{EventOutcome, Outcome};
use ledger_store::record::{append_record, parse_frame, RecordHeader};
use ledger_store::{verify_bytes, CorruptionReason, Error};
use support::*;

fn journal(dir: &Scratch) -> Vec<u8> {
    support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap()
}

/// The body of record `index`.
fn body_of(bytes: &[u8], index: usize) -> Vec<u8> {
    let (offset, len) = scan_frames(bytes).unwrap().frames[index];
    let raw = &bytes[offset as usize..(offset + u64::from(len)) as usize];
    parse_frame(raw, offset).unwrap().body().to_vec()
}

/// The journal with record `index`'s body replaced and every later record re-linked, every
/// hash recomputed: only a replay (or a keyed checkpoint) can tell.
fn rewrite(bytes: &[u8], index: usize, body: &[u8]) -> Vec<u8> {
    let frames = scan_frames(bytes).unwrap().frames;
    let mut out = bytes[..frames[index].0 as usize].to_vec();
    let (po, pl) = frames[index - 1];
    let mut prev = parse_frame(&bytes[po as usize..(po + u64::from(pl)) as usize], po)
        .unwrap()
        .stored_hash();
    for (i, &(offset, len)) in frames.iter().enumerate().skip(index) {
        let raw = &bytes[offset as usize..(offset + u64::from(len)) as usize];
        let frame = parse_frame(raw, offset).unwrap();
        let header = RecordHeader {
            kind: frame.kind(),
            sequence: frame.sequence(),
            now: frame.now(),
            prev_hash: prev,
        };
        let new_body = if i == index { body } else { frame.body() };
        prev = append_record(&mut out, &header, |b| b.extend_from_slice(new_body));
    }
    out
}

#[test]
fn a_full_batch_of_plain_transfers_takes_at_most_100_bytes_a_transfer() {
    let dir = Scratch::new("outcome-size");
    let store = new_store(dir.path(), options());
    let before = store.status().journal_bytes;
    let n = ledger_core::limits::BATCH_EVENTS_MAX;
    store.create_transfers(services(1, n), NOW).unwrap();
    let after = store.status().journal_bytes;
    store.close().unwrap();
    let per_transfer = (after - before) as f64 / n as f64;
    assert!(per_transfer <= 100.0, "{per_transfer} bytes a transfer");
    // 84 bytes of request, 2 of code, 8 of timestamp, 1 resolved byte.
    assert_eq!(after - before, 92 + 3 + n as u64 * 95 + 1);
}

#[test]
fn a_failed_event_is_recorded_with_its_code_and_a_changed_outcome_is_named() {
    let dir = Scratch::new("outcome-failed");
    let store = new_store(dir.path(), options());
    let mut batch = services(1, 3);
    // Event 1 names a debit account that does not exist.
    batch[1].debit_account_id = Some(account(999));
    let done = store.create_transfers(batch.clone(), NOW).unwrap();
    assert_eq!(done.events()[1].code, ResultCode::DebitAccountNotFound);
    store.close().unwrap();
    let bytes = journal(&dir);
    let (command, outcome) = decode_body(&body_of(&bytes, 2)).unwrap();
    assert_eq!(command, Command::CreateTransfers(batch));
    let Outcome::Events(events) = &outcome else {
        panic!("a transfer batch has event outcomes");
    };
    let codes: Vec<_> = events.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            ResultCode::Ok,
            ResultCode::DebitAccountNotFound,
            ResultCode::Ok
        ]
    );
    assert_eq!(events[1].timestamp, 0);
    assert_eq!(events[2].timestamp, events[0].timestamp + 2);

    // Claim the failed event applied; re-hash and re-link everything after it.
    let mut forged = events.clone();
    forged[1] = EventOutcome {
        code: ResultCode::Ok,
        timestamp: events[0].timestamp + 1,
        resolved: Default::default(),
    };
    let mut body = Vec::new();
    encode_body(&mut body, &command, &Outcome::Events(forged));
    let tampered = rewrite(&bytes, 2, &body);
    let Err(Error::Corrupted(c)) = verify_bytes(&tampered, None, &mut |_| {}) else {
        panic!("a changed outcome verified");
    };
    assert_eq!(c.sequence, 2);
    assert_eq!(
        c.reason,
        CorruptionReason::OutcomeDiffers(
            "event 1: recorded ok, engine says debit_account_not_found".into()
        )
    );
    assert!(c
        .to_string()
        .contains("replay differs at event 1: recorded ok, engine says debit_account_not_found"));
}

#[test]
fn posts_voids_reversals_and_expiries_carry_what_the_ledger_resolved() {
    let dir = Scratch::new("outcome-resolved");
    let store = new_store(dir.path(), options());
    let amount = |text| Amount::parse(text).unwrap();
    store.create_transfers(services(1, 8), NOW).unwrap();
    store
        .create_transfers(
            vec![
                hold(20, 0, 1, 0),
                hold(21, 4, 3, 0),
                hold(22, 6, 5, 1),
                Transfer::post(tid(23), tid(20), Some(amount("0.02"))),
                Transfer::void(tid(24), tid(21)),
                Transfer::reversal(tid(25), tid(1)),
            ],
            NOW,
        )
        .unwrap();
    store.expire(NOW + 10_000_000_000).unwrap();
    store.close().unwrap();
    let bytes = journal(&dir);

    let (_, outcome) = decode_body(&body_of(&bytes, 3)).unwrap();
    let Outcome::Events(events) = outcome else {
        panic!("events");
    };
    let codes: Vec<_> = events.iter().map(|e| e.code).collect();
    assert!(codes.iter().all(|c| *c == ResultCode::Ok), "{codes:?}");
    // Holds name everything: nothing to resolve.
    assert!(events[..3].iter().all(|e| e.resolved.is_empty()));
    let post = events[3].resolved;
    assert_eq!(
        (post.debit, post.credit, post.amount, post.held),
        (
            Some(account(100)),
            Some(account(101)),
            None,
            Some(amount("0.05"))
        )
    );
    let void = events[4].resolved;
    assert_eq!(
        (void.debit, void.credit, void.amount, void.held),
        (
            Some(account(104)),
            Some(account(103)),
            Some(amount("0.05")),
            None
        )
    );
    let reversal = events[5].resolved;
    assert_eq!(
        (reversal.debit, reversal.credit, reversal.amount),
        (
            Some(account(101)),
            Some(account(FUND)),
            Some(amount("0.02"))
        )
    );

    let (command, outcome) = decode_body(&body_of(&bytes, 4)).unwrap();
    assert_eq!(command, Command::Expire);
    let Outcome::Expired { released, swept } = outcome else {
        panic!("an expiry");
    };
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].id, tid(22));
    assert_eq!(
        (released[0].debit, released[0].credit, released[0].amount),
        (account(106), account(105), amount("0.05"))
    );
    assert!(swept.is_empty());
    verify_bytes(&bytes, None, &mut |_| {}).unwrap();
}

/// The audit sums every balance from the outcomes alone (no engine) and gets the engine's.
#[test]
fn balances_summed_from_the_outcomes_equal_the_engines() {
    let dir = Scratch::new("outcome-audit");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 8), NOW).unwrap();
    store
        .create_transfers(
            vec![
                hold(20, 0, 1, 0),
                hold(21, 4, 3, 0),
                hold(22, 6, 5, 1),
                Transfer::post(tid(23), tid(20), Some(Amount::parse("0.02").unwrap())),
                Transfer::void(tid(24), tid(21)),
                Transfer::reversal(tid(25), tid(1)),
            ],
            NOW,
        )
        .unwrap();
    store.expire(NOW + 10_000_000_000).unwrap();
    store.checkpoint().unwrap();
    let engine: Vec<_> = store.read(|l| l.accounts().cloned().collect());
    store.close().unwrap();
    let bytes = journal(&dir);
    let audit = ledger_store::audit::audit(&bytes, Some(&KEY)).unwrap();
    assert_eq!(audit.checkpoints, 1);
    assert_eq!(audit.accounts.len(), engine.len());
    for account in engine {
        let (unit, totals) = audit.accounts[&account.id];
        assert_eq!(unit, account.unit);
        assert_eq!(
            totals,
            ledger_store::audit::Totals::of(&account),
            "{}",
            account.id
        );
    }
    // A record re-hashed with a changed amount: the chain holds, the key does not.
    let (command, outcome) = decode_body(&body_of(&bytes, 2)).unwrap();
    let Command::CreateTransfers(mut items) = command else {
        panic!("a transfer batch");
    };
    items[0].amount = Some(Amount::parse("500").unwrap());
    let mut body = Vec::new();
    encode_body(&mut body, &Command::CreateTransfers(items), &outcome);
    let forged = rewrite(&bytes, 2, &body);
    let unkeyed = ledger_store::audit::audit(&forged, None).unwrap();
    let fund = unkeyed.accounts[&account(FUND)].1;
    assert!(fund.debits_posted > 500_000_000);
    let Err(c) = ledger_store::audit::audit(&forged, Some(&KEY)) else {
        panic!("the keyed checkpoint missed a rewritten record");
    };
    assert_eq!(c.reason, CorruptionReason::CheckpointMac);
}

/// A weighted code moves hours × weight, not the hours the request names: the outcome carries
/// the amount moved, so balances summed from the outcomes (no engine) are the engine's.
#[test]
fn a_weighted_codes_amount_is_in_the_outcome_and_the_audit_sums_it() {
    use ledger_core::Policy;
    use ledger_store::Store;
    let mut value: serde_json::Value =
        serde_json::from_str(&Policy::default_policy().to_json()).unwrap();
    let rule = value["codes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["code"] == 104)
        .unwrap();
    rule["weight"] = "2".into();
    let policy = Policy::from_json(&value.to_string()).unwrap();
    let dir = Scratch::new("outcome-weighted");
    let store = Store::create(dir.path(), &policy, NOW, options()).unwrap();
    store.create_accounts(accounts(), NOW).unwrap();
    let hour = Amount::parse("1").unwrap();
    let weighted = Transfer::new(tid(1), account(FUND), account(100), hour, HOURS).code(104);
    let plain = Transfer::new(tid(2), account(FUND), account(101), hour, HOURS).code(101);
    let done = store.create_transfers(vec![weighted, plain], NOW).unwrap();
    assert!(
        done.events().iter().all(|e| e.code == ResultCode::Ok),
        "{done:?}"
    );
    let moved = store.transfer(tid(1)).unwrap().unwrap().amount;
    assert_eq!(moved, Amount::parse("2").unwrap());
    store.checkpoint().unwrap();
    let engine: Vec<_> = store.read(|l| l.accounts().cloned().collect());
    store.close().unwrap();

    let bytes = journal(&dir);
    let (_, outcome) = decode_body(&body_of(&bytes, 2)).unwrap();
    let Outcome::Events(events) = outcome else {
        panic!("a transfer batch's outcome");
    };
    let resolved = |e: &EventOutcome| e.resolved.amount;
    assert_eq!(resolved(&events[0]), Some(moved), "{events:?}");
    assert_eq!(resolved(&events[1]), None, "{events:?}");
    let audit = ledger_store::audit::audit(&bytes, Some(&KEY)).unwrap();
    for account in engine {
        let totals = audit.accounts[&account.id].1;
        assert_eq!(
            totals,
            ledger_store::audit::Totals::of(&account),
            "{}",
            account.id
        );
    }
}
