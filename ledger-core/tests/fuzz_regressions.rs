//! Regressions found by the fuzz targets in `fuzz/`. Each test is named after the bug it guards
//! and says what went wrong and what fixed it.

use ledger_core::{
    AccountId, AccountKind, BatchError, Eligibility, Ledger, NewAccount, ResultCode, Unit,
};

fn account(id: u128) -> AccountId {
    AccountId::new(id).unwrap()
}

fn hours_ledger() -> Ledger {
    Ledger::new(vec![Unit::new(1, "hours", 2)]).unwrap()
}

/// A batch whose last event got the very last timestamp, `u64::MAX`, panicked with "attempt to
/// add with overflow" (overflow checks are on in release builds too) instead of being answered:
/// `create_accounts` and the link, eligibility and rating batches numbered their events with
/// `zip(first..)`, and an open range computes the successor of every value it yields. Found by
/// `engine_model` with the host's clock near the end of `u64` time. The ranges are now inclusive,
/// ending at `u64::MAX`.
#[test]
fn batch_ending_at_the_last_timestamp_does_not_overflow() {
    let mut ledger = hours_ledger();
    let accounts = [
        NewAccount::new(account(1), 1, AccountKind::Member),
        NewAccount::new(account(2), 1, AccountKind::Member),
    ];
    let results = ledger.create_accounts(&accounts, u64::MAX - 1).unwrap();
    assert!(results.iter().all(|r| r.code == ResultCode::Ok));
    assert_eq!(results[1].timestamp, u64::MAX);
    assert_eq!(ledger.account_count(), 2);
    // The clock is spent: the next batch is refused whole, and nothing changes.
    let digest = ledger.state_digest();
    let eligibility = [Eligibility {
        account: account(1),
        from: Some(1),
    }];
    assert_eq!(
        ledger.set_eligibility(&eligibility, u64::MAX),
        Err(BatchError::ClockExhausted)
    );
    assert_eq!(ledger.state_digest(), digest);

    let mut ledger = hours_ledger();
    ledger.create_accounts(&accounts, 1).unwrap();
    let results = ledger.set_eligibility(&eligibility, u64::MAX).unwrap();
    assert_eq!(results[0].code, ResultCode::Ok);
    assert_eq!(results[0].timestamp, u64::MAX);
    assert_eq!(ledger.account(account(1)).unwrap().eligible_from, Some(1));
}
