//! The relations a host registers beside transfers (family links, eligibility dates, ratings):
//! each refusal code, and that a refused event changes nothing.

mod engine_support;

use engine_support::*;
use ledger_core::limits::LINKS_PER_ACCOUNT_MAX;
use ledger_core::{
    AccountKind, Eligibility, EventResult, Ledger, Link, NewAccount, Rating, ResultCode as R,
};

fn link(a: u128, b: u128) -> Link {
    Link {
        a: acc(a),
        b: acc(b),
    }
}

/// Applies `apply` and asserts the codes, and that the ledger is exactly as a twin whose clock
/// moved as far without any change.
fn refused(
    f: &mut Fixture,
    len: usize,
    expected: &[R],
    apply: impl FnOnce(&mut Ledger, u64) -> Vec<EventResult>,
) {
    let mut twin = f.ledger.clone();
    let now = f.tick();
    twin.create_accounts(&vec![account_specs()[0].clone(); len], now)
        .unwrap();
    let results = apply(&mut f.ledger, now);
    let codes: Vec<_> = results.iter().map(|r| r.code).collect();
    assert_eq!(codes, expected);
    assert!(results.iter().all(|r| r.timestamp == 0));
    assert_eq!(f.ledger.state_digest(), twin.state_digest());
}

#[test]
fn links_join_two_members_of_one_unit_once() {
    let mut f = Fixture::new();
    let now = f.tick();
    let results = f.ledger.link_accounts(&[link(ALICE, BOB)], now).unwrap();
    assert_eq!(results[0].code, R::Ok);
    // Links are symmetric: the same pair the other way round is the same link.
    refused(&mut f, 1, &[R::Exists], |l, now| {
        l.link_accounts(&[link(BOB, ALICE)], now).unwrap()
    });
}

#[test]
fn account_not_found() {
    let mut f = Fixture::new();
    refused(&mut f, 2, &[R::AccountNotFound; 2], |l, now| {
        l.link_accounts(&[link(ALICE, 99), link(99, ALICE)], now)
            .unwrap()
    });
    refused(&mut f, 1, &[R::AccountNotFound], |l, now| {
        let e = Eligibility {
            account: acc(99),
            from: Some(T0),
        };
        l.set_eligibility(&[e], now).unwrap()
    });
}

#[test]
fn link_invalid() {
    let mut f = Fixture::new();
    // A fund is not family, and members of different units cannot be linked.
    refused(&mut f, 2, &[R::LinkInvalid; 2], |l, now| {
        l.link_accounts(&[link(ALICE, FUND), link(ALICE, CAROL)], now)
            .unwrap()
    });
    refused(&mut f, 1, &[R::AccountsMustBeDifferent], |l, now| {
        l.link_accounts(&[link(ALICE, ALICE)], now).unwrap()
    });
}

#[test]
fn too_many_links() {
    let mut f = Fixture::new();
    let relatives: Vec<u128> = (100..100 + LINKS_PER_ACCOUNT_MAX as u128 + 1).collect();
    let specs: Vec<_> = relatives
        .iter()
        .map(|n| NewAccount::new(acc(*n), HOURS, AccountKind::Member))
        .collect();
    let now = f.tick();
    f.ledger.create_accounts(&specs, now).unwrap();
    let links: Vec<_> = relatives[..LINKS_PER_ACCOUNT_MAX]
        .iter()
        .map(|n| link(ALICE, *n))
        .collect();
    let now = f.tick();
    let results = f.ledger.link_accounts(&links, now).unwrap();
    assert!(results.iter().all(|r| r.code == R::Ok));
    let last = relatives[LINKS_PER_ACCOUNT_MAX];
    refused(&mut f, 1, &[R::TooManyLinks], |l, now| {
        l.link_accounts(&[link(last, ALICE)], now).unwrap()
    });
    // Unlinking one makes room again.
    let now = f.tick();
    let results = f.ledger.unlink_accounts(&[link(ALICE, 100)], now).unwrap();
    assert_eq!(results[0].code, R::Ok);
    let now = f.tick();
    let results = f.ledger.link_accounts(&[link(last, ALICE)], now).unwrap();
    assert_eq!(results[0].code, R::Ok);
}

#[test]
fn link_not_found() {
    let mut f = Fixture::new();
    refused(&mut f, 1, &[R::LinkNotFound], |l, now| {
        l.unlink_accounts(&[link(ALICE, BOB)], now).unwrap()
    });
}

#[test]
fn transfer_not_found() {
    let mut f = Fixture::new();
    f.ok(&[hold(1, ALICE, BOB, "1"), pay(2, ALICE, BOB, "1")]);
    let rate = |id, rating| Rating {
        transfer: tid(id),
        rating,
    };
    // Only a posted transfer can be rated: not an unknown id, not a hold.
    refused(&mut f, 2, &[R::TransferNotFound; 2], |l, now| {
        l.record_ratings(&[rate(77, 5), rate(1, 5)], now).unwrap()
    });
    let now = f.tick();
    let results = f.ledger.record_ratings(&[rate(2, 4)], now).unwrap();
    assert_eq!(results[0].code, R::Ok);
}

#[test]
fn eligibility_is_set_and_cleared() {
    let mut f = Fixture::new();
    let set = |from| Eligibility {
        account: acc(ALICE),
        from,
    };
    let now = f.tick();
    let results = f.ledger.set_eligibility(&[set(Some(T0 + 5))], now).unwrap();
    assert_eq!(results[0].code, R::Ok);
    assert_eq!(f.account(ALICE).eligible_from, Some(T0 + 5));
    let now = f.tick();
    f.ledger.set_eligibility(&[set(None)], now).unwrap();
    assert_eq!(f.account(ALICE).eligible_from, None);
}
