//! Random request sequences against the engine and against a reference model.
//!
//! The model is `timebank-model` (../model), the one the fuzz targets use: accounts, transfers
//! and holds in `BTreeMap`s with balances as integers of millionths, the documented semantics
//! applied one rule at a time, and a failed linked chain undone by restoring a copy taken when
//! the chain began. The engine must agree with it on every result and on the whole state after
//! every request, and must keep the invariants: per unit, posted balances sum to zero and pending
//! debits equal pending credits; no floor or ceiling is crossed (holds included); a refused
//! request changes nothing; a replay gives the same results and the same `state_digest()`.
//!
//! `TIMEBANK_LONG=1` runs many more cases (or set `PROPTEST_CASES`).

use std::collections::BTreeSet;

use ledger_core::limits::PENDING_TIMEOUT_S_MAX;
use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, EventResult, Ledger, NewAccount, ResultCode as R,
    Transfer, TransferFlags as F, TransferId, Unit, UnitId,
};
use proptest::prelude::*;
use timebank_model::engine_view::{check_invariants, check_same_state, exact_of, request_of};
use timebank_model::model::{self as reference, Model};

const HOURS: UnitId = 1;
const POINTS: UnitId = 2;
const T0: u64 = 1_767_225_600_000_000_000;
const SECOND: u64 = 1_000_000_000;
/// Transfer ids the random requests use at most (they count up from 1).
const IDS: u128 = 300;
/// Account ids the random requests use: 1 to 6 exist, 7 does not.
const ACCOUNTS: u128 = 7;

fn account_specs() -> Vec<NewAccount> {
    let id = |n| AccountId::new(n).unwrap();
    let d = |s: &str| Some(s.parse::<Decimal>().unwrap());
    vec![
        NewAccount::new(id(1), HOURS, AccountKind::Issuer),
        NewAccount::new(id(2), HOURS, AccountKind::Member),
        NewAccount::new(id(3), HOURS, AccountKind::Member).ceiling(d("30")),
        NewAccount::new(id(4), HOURS, AccountKind::Clearing)
            .floor(d("-5"))
            .ceiling(d("40")),
        NewAccount::new(id(5), POINTS, AccountKind::Issuer),
        NewAccount::new(id(6), POINTS, AccountKind::Member).ceiling(d("500")),
    ]
}

/// Money on the members before the random requests (ids above the random ones).
fn funding() -> Vec<Transfer> {
    let t = |id, debit, credit, amount: &str, unit| {
        Transfer::new(
            TransferId::new(id).unwrap(),
            AccountId::new(debit).unwrap(),
            AccountId::new(credit).unwrap(),
            Amount::parse(amount).unwrap(),
            unit,
        )
    };
    vec![
        t(1001, 1, 2, "20", HOURS),
        t(1002, 1, 3, "10", HOURS),
        t(1003, 5, 6, "100", POINTS),
    ]
}

// -------------------------------------------------------------------------------------------
// The reference model (timebank-model, shared with the fuzz targets), set up as the ledger is

fn model_account(a: &NewAccount) -> reference::AccountSpec {
    reference::AccountSpec {
        id: a.id.get(),
        unit: a.unit,
        kind: a.kind as u8,
        community: a.community,
        user_data: a.user_data,
        floor: a.floor.map(exact_of),
        ceiling: a.ceiling.map(exact_of),
        eligible_from: a.eligible_from,
    }
}

fn new_model() -> Model {
    let mut model = Model::new(&[(HOURS, 2), (POINTS, 0)]);
    let accounts: Vec<_> = account_specs().iter().map(model_account).collect();
    let outcomes = model.create_accounts(&accounts, T0).unwrap();
    assert!(outcomes.iter().all(|(code, _)| *code == R::Ok));
    let funding: Vec<_> = funding().iter().map(request_of).collect();
    let outcomes = model.create_transfers(&funding, T0 + SECOND).unwrap();
    assert!(outcomes.iter().all(|(code, _)| *code == R::Ok));
    model
}

/// Every transfer id the requests can use, and the funding's: their failed codes must agree.
fn every_transfer_id() -> BTreeSet<u128> {
    (1..=IDS)
        .chain(funding().iter().map(|t| t.id.get()))
        .collect()
}

// -------------------------------------------------------------------------------------------
// Random requests
//
// Requests are drawn as recipes and turned into transfers as they run, so that posts, voids,
// reversals and resubmissions mostly name transfers that were really submitted before.

#[derive(Debug, Clone)]
enum Op {
    /// A batch, `dt_s` seconds after (or before, when negative) the previous request.
    Transfers {
        dt_s: i64,
        batch: Vec<Event>,
    },
    Expire {
        dt_s: i64,
    },
}

#[derive(Debug, Clone)]
enum Event {
    New(Recipe),
    /// An earlier transfer again (`back` picks which), with one field changed or none.
    Resubmit {
        back: usize,
        change: Option<u8>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Plain,
    Pending,
    Post,
    Void,
    Reversal,
    /// Any flag bits, reserved ones included.
    Raw(u16),
}

#[derive(Debug, Clone)]
struct Recipe {
    kind: Kind,
    extra: F,
    linked: bool,
    /// `None`: a fresh id; otherwise an earlier id, picked like `back`.
    reuse_id: Option<usize>,
    unit: UnitId,
    /// Picks of the debit and credit account: 0 none, 1 an unknown id, 2 the other unit's
    /// account, anything else one of the unit's accounts.
    debit: u8,
    credit: u8,
    amount: Option<Amount>,
    /// Which earlier hold or transfer a post, void or reversal names.
    related: usize,
    /// For a post, void or reversal: which of the related transfer's fields to repeat (bits:
    /// debit, credit, unit, code), and whether to get one of them wrong.
    repeat: u8,
    wrong: bool,
    code: u16,
    timeout_s: u32,
    user_data: u128,
}

fn units_accounts(unit: UnitId) -> &'static [u128] {
    match unit {
        POINTS => &[5, 6],
        _ => &[1, 2, 3, 4],
    }
}

/// What the run has submitted so far, to aim later requests at.
#[derive(Debug, Default)]
struct History {
    all: Vec<Transfer>,
    holds: Vec<Transfer>,
    moves: Vec<Transfer>,
    next_id: u128,
}

fn pick<T: Clone>(items: &[T], k: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[k % items.len()].clone())
}

impl History {
    fn account(&self, unit: UnitId, choice: u8) -> Option<AccountId> {
        let id = match choice {
            0 => return None,
            1 => ACCOUNTS,
            2 => units_accounts(if unit == POINTS { HOURS } else { POINTS })[0],
            n => {
                let pool = units_accounts(unit);
                pool[n as usize % pool.len()]
            }
        };
        Some(AccountId::new(id).unwrap())
    }

    fn make(&mut self, event: &Event) -> Transfer {
        let t = match event {
            Event::Resubmit { back, change } => match pick(&self.all, *back) {
                Some(earlier) => changed(earlier, *change),
                None => self.fresh_plain(),
            },
            Event::New(r) => self.recipe(r),
        };
        self.all.push(t.clone());
        t
    }

    /// Remembers the holds and moves that applied, for later posts, voids and reversals.
    fn applied(&mut self, batch: &[Transfer], results: &[EventResult]) {
        for (t, r) in batch.iter().zip(results) {
            if r.code != R::Ok {
                continue;
            }
            if t.flags.contains(F::PENDING) {
                self.holds.push(t.clone());
            } else if t.related_id.is_none() || t.flags.contains(F::POST_PENDING) {
                self.moves.push(t.clone());
            }
        }
    }

    fn fresh_id(&mut self) -> TransferId {
        self.next_id += 1;
        TransferId::new(self.next_id).unwrap()
    }

    fn fresh_plain(&mut self) -> Transfer {
        let id = self.fresh_id();
        let acc = |n| AccountId::new(n).unwrap();
        Transfer::new(id, acc(1), acc(2), Amount::parse("1").unwrap(), HOURS)
    }

    fn recipe(&mut self, r: &Recipe) -> Transfer {
        let id = match r.reuse_id.and_then(|k| pick(&self.all, k)) {
            Some(earlier) => earlier.id,
            None => self.fresh_id(),
        };
        let mut flags = match r.kind {
            Kind::Plain => r.extra,
            Kind::Pending => F::PENDING | r.extra,
            Kind::Post => F::POST_PENDING,
            Kind::Void => F::VOID_PENDING,
            Kind::Reversal => F::REVERSAL,
            Kind::Raw(bits) => F(bits),
        };
        if r.linked {
            flags = flags | F::LINKED;
        }
        let debit = self.account(r.unit, r.debit);
        let mut credit = self.account(r.unit, r.credit);
        if debit == credit && !r.credit.is_multiple_of(8) {
            // Mostly two different accounts of the unit.
            credit = self.account(r.unit, r.credit.wrapping_add(1).max(3));
        }
        let mut t = Transfer {
            id,
            debit_account_id: debit,
            credit_account_id: credit,
            amount: r.amount,
            related_id: None,
            unit: r.unit,
            code: r.code,
            flags,
            timeout_s: r.timeout_s,
            user_data: r.user_data,
            // `repeat` shapes only posts, voids and reversals; here it says, now and then, that
            // the service was done at the start (in the past) or at the end of time (ahead).
            served_at: match (r.kind, r.repeat % 16) {
                (Kind::Post | Kind::Void | Kind::Reversal, _) => None,
                (_, 0) => Some(T0),
                (_, 1) => Some(u64::MAX),
                _ => None,
            },
        };
        let related = match r.kind {
            // Now and then any earlier transfer, whatever it was.
            Kind::Post | Kind::Void | Kind::Reversal | Kind::Raw(_)
                if r.related.is_multiple_of(10) =>
            {
                pick(&self.all, r.related / 10)
            }
            Kind::Post | Kind::Void => pick(&self.holds, r.related),
            Kind::Reversal => pick(&self.moves, r.related),
            _ => None,
        };
        if let Some(related) = related {
            t.related_id = Some(related.id);
            let bit = |n: u8| r.repeat & (1 << n) != 0;
            let reversal = matches!(r.kind, Kind::Reversal);
            // A reversal's accounts mirror the original's.
            let (debit, credit) = if reversal {
                (related.credit_account_id, related.debit_account_id)
            } else {
                (related.debit_account_id, related.credit_account_id)
            };
            t.debit_account_id = debit.filter(|_| bit(0));
            t.credit_account_id = credit.filter(|_| bit(1));
            t.unit = if bit(2) { related.unit } else { 0 };
            t.code = if bit(3) { related.code } else { 0 };
            if r.wrong {
                t.code = related.code + 1;
            }
            if !matches!(r.kind, Kind::Post) && !bit(4) {
                t.amount = None;
            }
        } else if matches!(r.kind, Kind::Post | Kind::Void | Kind::Reversal) {
            // Nothing to name yet: a made-up id.
            t.related_id = Some(TransferId::new(999).unwrap());
        }
        t
    }
}

/// An earlier request with one field changed (`None`: exactly the same request).
fn changed(mut t: Transfer, change: Option<u8>) -> Transfer {
    let other = |a: Option<AccountId>| match a.map(AccountId::get) {
        Some(2) => AccountId::new(3),
        _ => AccountId::new(2),
    };
    match change {
        None => {}
        Some(0) => t.flags = F(t.flags.0 ^ F::BALANCING_DEBIT.0),
        Some(1) => t.debit_account_id = other(t.debit_account_id),
        Some(2) => t.credit_account_id = other(t.credit_account_id),
        Some(3) => t.amount = Some(Amount::parse("7").unwrap()),
        Some(4) => t.related_id = TransferId::new(998),
        Some(5) => t.unit = if t.unit == POINTS { HOURS } else { POINTS },
        Some(6) => t.code += 1,
        Some(7) => t.timeout_s += 1,
        Some(8) => t.served_at = Some(t.served_at.map_or(T0, |at| at ^ 1)),
        Some(_) => t.user_data += 1,
    }
    t
}

fn amount_in(unit: UnitId) -> impl Strategy<Value = Option<Amount>> {
    let make = |m: i64, s: u32| Some(Amount::try_from(Decimal::new(m, s)).unwrap());
    let fine = if unit == POINTS { 1 } else { 3 };
    let usual = if unit == POINTS { 0 } else { 2 };
    prop_oneof![
        1 => Just(None),
        20 => (1i64..=800).prop_map(move |m| make(m, usual)),
        3 => (50i64..=400).prop_map(move |m| make(m, 0)),
        1 => (1i64..=99).prop_map(move |m| make(m * 10 + 1, fine)),
    ]
}

fn recipe() -> impl Strategy<Value = Recipe> {
    let kind = prop_oneof![
        40 => Just(Kind::Plain),
        25 => Just(Kind::Pending),
        12 => Just(Kind::Post),
        6 => Just(Kind::Void),
        8 => Just(Kind::Reversal),
        2 => (0u16..1 << 10).prop_map(Kind::Raw),
    ];
    let extra = prop_oneof![
        60 => Just(F::NONE),
        5 => Just(F::BALANCING_DEBIT),
        3 => Just(F::BALANCING_CREDIT),
        2 => Just(F::CLOSING_DEBIT),
        2 => Just(F::CLOSING_CREDIT),
        // Sweeping a member's whole balance away closes it.
        4 => Just(F::BALANCING_DEBIT | F::CLOSING_DEBIT),
    ];
    let unit = prop_oneof![15 => Just(HOURS), 4 => Just(POINTS), 1 => Just(3u16)];
    let account = prop_oneof![1 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 30 => 3u8..=255];
    let timeout = prop_oneof![
        10 => Just(0u32),
        9 => 1u32..=40,
        1 => Just(PENDING_TIMEOUT_S_MAX + 1),
    ];
    let reuse = prop_oneof![12 => Just(None), 1 => any::<usize>().prop_map(Some)];
    let shape = (kind, extra, prop::bool::weighted(0.12), reuse);
    let accounts = (unit, account.clone(), account);
    let resolving = (any::<usize>(), any::<u8>(), prop::bool::weighted(0.05));
    let rest = (0u16..=2, timeout, 0u128..=1, prop::bool::weighted(0.04));
    (shape, accounts, resolving, rest)
        .prop_flat_map(|(shape, accounts, resolving, rest)| {
            (
                Just((shape, accounts, resolving, rest)),
                amount_in(accounts.0),
            )
        })
        .prop_map(
            |(
                (
                    (kind, extra, linked, reuse_id),
                    (unit, debit, credit),
                    (related, repeat, wrong),
                    (code, timeout, user_data, stray_timeout),
                ),
                amount,
            )| {
                let pending = matches!(kind, Kind::Pending);
                Recipe {
                    kind,
                    extra,
                    linked,
                    reuse_id,
                    unit,
                    debit,
                    credit,
                    amount,
                    related,
                    repeat,
                    wrong,
                    code,
                    timeout_s: if pending || stray_timeout { timeout } else { 0 },
                    user_data,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        14 => recipe().prop_map(Event::New),
        1 => (any::<usize>(), prop_oneof![1 => Just(None), 1 => (0u8..=9).prop_map(Some)])
            .prop_map(|(back, change)| Event::Resubmit { back, change }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![1 => -30i64..0, 6 => 0i64..=15];
    prop_oneof![
        8 => (dt.clone(), prop::collection::vec(event(), 1..=6))
            .prop_map(|(dt_s, batch)| Op::Transfers { dt_s, batch }),
        1 => dt.prop_map(|dt_s| Op::Expire { dt_s }),
    ]
}

fn new_ledger() -> Ledger {
    let mut ledger = Ledger::new(vec![
        Unit::new(HOURS, "hours", 2),
        Unit::new(POINTS, "points", 0),
    ])
    .unwrap();
    let results = ledger.create_accounts(&account_specs(), T0).unwrap();
    assert!(results.iter().all(|r| r.code == R::Ok));
    let results = ledger.create_transfers(&funding(), T0 + SECOND).unwrap();
    assert!(results.iter().all(|r| r.code == R::Ok));
    ledger
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Events(Vec<EventResult>),
    Expired(Vec<TransferId>),
}

/// Runs the requests, checking the invariants and the model after each; returns the outcomes.
fn run(ops: &[Op], ledger: &mut Ledger, mut model: Option<&mut Model>) -> Vec<Outcome> {
    let mut now = T0 + 10 * SECOND;
    let mut outcomes = Vec::new();
    let mut history = History::default();
    let ids = every_transfer_id();
    for op in ops {
        let dt_s = match op {
            Op::Transfers { dt_s, .. } | Op::Expire { dt_s } => *dt_s,
        };
        now = now.saturating_add_signed(dt_s * SECOND as i64);
        let before = ledger.clone();
        let outcome = match op {
            Op::Transfers { batch, .. } => {
                let batch: Vec<Transfer> = batch.iter().map(|e| history.make(e)).collect();
                let batch = &batch;
                let results = ledger.create_transfers(batch, now).unwrap();
                history.applied(batch, &results);
                if let Some(model) = model.as_deref_mut() {
                    let requests: Vec<_> = batch.iter().map(request_of).collect();
                    let got: Vec<_> = results.iter().map(|r| (r.code, r.timestamp)).collect();
                    assert_eq!(
                        got,
                        model.create_transfers(&requests, now).unwrap(),
                        "results differ"
                    );
                }
                if results.iter().all(|r| r.code != R::Ok) {
                    // Nothing applied: the books are as they were.
                    let accounts = |l: &Ledger| {
                        let mut v: Vec<_> = l.accounts().cloned().collect();
                        v.sort_by_key(|a| a.id);
                        v
                    };
                    assert_eq!(accounts(&before), accounts(ledger));
                    assert_eq!(before.transfer_count(), ledger.transfer_count());
                    for t in before.transfers() {
                        assert_eq!(Some(t), ledger.transfer(t.id()));
                    }
                }
                Outcome::Events(results)
            }
            Op::Expire { .. } => {
                let expired = ledger.expire(now).unwrap();
                if let Some(model) = model.as_deref_mut() {
                    let got: Vec<u128> = expired.iter().map(|id| id.get()).collect();
                    assert_eq!(got, model.expire(now).unwrap(), "expired holds differ");
                }
                Outcome::Expired(expired)
            }
        };
        if let Some(model) = model.as_deref() {
            check_same_state(ledger, model, &ids);
        }
        check_invariants(ledger);
        outcomes.push(outcome);
    }
    outcomes
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    let long = std::env::var("TIMEBANK_LONG").is_ok_and(|v| v == "1");
    if long && std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 20_000;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn engine_agrees_with_the_model_and_keeps_its_invariants(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let mut ledger = new_ledger();
        let mut model = new_model();
        let outcomes = run(&ops, &mut ledger, Some(&mut model));

        // A replay into a fresh ledger gives the same results and the same state.
        let mut replayed = new_ledger();
        let again = run(&ops, &mut replayed, None);
        prop_assert_eq!(outcomes, again);
        prop_assert_eq!(ledger.state_digest(), replayed.state_digest());
    }

    /// A ledger rebuilt from its snapshot (`ledger_core::snapshot`) has the same state digest
    /// and the same encoding, and answers every later request as the original does: holds,
    /// timeouts, failed ids and idempotency survive the round trip.
    #[test]
    fn a_snapshot_rebuilds_a_ledger_that_behaves_the_same(
        ops in prop::collection::vec(op(), 1..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let cut = cut.index(ops.len() + 1);
        let mut ledger = new_ledger();
        run(&ops[..cut], &mut ledger, None);
        let bytes = ledger_core::snapshot::encode(&ledger);
        let mut restored = ledger_core::snapshot::decode(&bytes).unwrap();
        prop_assert_eq!(restored.state_digest(), ledger.state_digest());
        prop_assert_eq!(ledger_core::snapshot::encode(&restored), bytes);
        // The rest of the requests, and all of them again (every id now exists).
        let rest: Vec<Op> = ops[cut..].iter().chain(&ops).cloned().collect();
        prop_assert_eq!(run(&rest, &mut ledger, None), run(&rest, &mut restored, None));
        prop_assert_eq!(restored.state_digest(), ledger.state_digest());
    }
}
