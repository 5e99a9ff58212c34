//! One implausible `now` used to brick a ledger for good: a host's `-1` (2^64 - 1 after the
//! conversion) was journaled, and since the journal never lets time go back every later command
//! ran at the largest timestamp and failed, even after reopening, while `verify` still passed.
//! The store's time guard now refuses such a time before anything is applied or journaled;
//! simulations opt out explicitly.

mod support;

use ledger_store::time_guard::system_clock_ns;
use ledger_store::{Error, Store, TimeGuard, TimeRefusal, CLOCK_SKEW_MAX_NS_DEFAULT};
use support::*;

const SECOND_NS: u64 = 1_000_000_000;

#[test]
fn an_implausible_now_is_refused_and_writes_nothing() {
    let dir = Scratch::new("time-guard-refused");
    let created = system_clock_ns();
    let store = Store::create(dir.path(), &policy(), created, options()).unwrap();
    store.create_accounts(accounts(), created).unwrap();
    let before = store.status();
    let wall = system_clock_ns();
    let implausible = [
        u64::MAX,
        1 << 63,
        wall.wrapping_mul(1000),
        wall + 3600 * SECOND_NS,
        created - CLOCK_SKEW_MAX_NS_DEFAULT - SECOND_NS,
        wall / 1000,
        1,
    ];
    for now in implausible {
        let refused = store.create_transfers(services(1, 1), now);
        assert!(
            matches!(refused, Err(Error::InvalidTime(_))),
            "{now}: {refused:?}"
        );
        assert!(matches!(store.expire(now), Err(Error::InvalidTime(_))));
        assert!(store.check_time(now).is_err());
    }
    assert_eq!(store.status(), before, "no record, no state change");
    // The ledger goes on at the clock, and after a reopen.
    store
        .create_transfers(services(1, 1), system_clock_ns())
        .unwrap();
    store.close().unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert!(matches!(
        store.create_transfers(services(2, 1), u64::MAX),
        Err(Error::InvalidTime(TimeRefusal::AheadOfClock { .. }))
    ));
    store
        .create_transfers(services(2, 1), system_clock_ns())
        .unwrap();
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn a_lagging_clock_within_the_skew_is_accepted_and_creation_is_guarded_too() {
    let dir = Scratch::new("time-guard-lag");
    let ahead = system_clock_ns() + 3600 * SECOND_NS;
    assert!(matches!(
        Store::create(dir.path(), &policy(), ahead, options()),
        Err(Error::InvalidTime(_))
    ));
    let created = system_clock_ns();
    let store = Store::create(dir.path(), &policy(), created, options()).unwrap();
    store
        .create_accounts(accounts(), created - 60 * SECOND_NS)
        .unwrap();
    let early = created - CLOCK_SKEW_MAX_NS_DEFAULT - 1;
    assert!(matches!(
        store.create_transfers(services(1, 1), early),
        Err(Error::InvalidTime(TimeRefusal::BeforeCreation { .. }))
    ));
}

#[test]
fn a_simulation_opts_out_and_a_wider_skew_is_an_option() {
    let dir = Scratch::new("time-guard-any");
    let year_ahead = system_clock_ns() + 365 * 86_400 * SECOND_NS;
    let store = Store::create(dir.path(), &policy(), NOW, options().any_time()).unwrap();
    store.create_accounts(accounts(), year_ahead).unwrap();
    store.create_transfers(services(1, 1), year_ahead).unwrap();
    store.close().unwrap();

    let wide = TimeGuard::WallClock {
        clock_skew_max_ns: 2 * 3600 * SECOND_NS,
    };
    let store = Store::open(dir.path(), options().time_guard(wide)).unwrap();
    store
        .create_transfers(services(2, 1), system_clock_ns() + 3600 * SECOND_NS)
        .unwrap();
    assert!(store.create_transfers(services(3, 1), year_ahead).is_err());
}
