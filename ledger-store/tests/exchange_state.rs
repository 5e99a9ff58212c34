//! Hours crossing ledgers keep the state the rules kept for them at home.
//!
//! Exchange credits in a unit whose points expire started a new lot with a fresh expiry on the
//! receiving ledger, so points moved between ledgers lived longer than at home. Offers of such
//! hours now carry when each part expires (an offer with state), and the receiver's credit (an
//! arrival) keeps it. A member who moves takes their whole balance with their lifetime
//! earnings and eligibility date, so moving never resets a cap or revives expired points; the
//! move completes exactly once however its messages are duplicated, reordered or retried.

mod support;

use std::path::Path;

use ledger_core::timebank::expiring_credits;
use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, Eligibility, NewAccount, Policy, ResultCode, Transfer,
    TransferId,
};
use ledger_exchange::SendError;
use ledger_exchange::{Body, Message, Peer, PeerId, SendRequest, Signer, Verdict};
use ledger_store::exchange::{Exchange, ExchangeError};
use ledger_store::{Store, StoreOptions};
use support::{Scratch, NOW};

const HOURS: u16 = 1;
const POINTS: u16 = 2;
const FUND: u128 = 1;
const POINTS_ISSUER: u128 = 2;
const MEMBER: u128 = 100;
const EXPIRY_ACCOUNT: u128 = 9_000_000_002;
const DAY: u64 = 86_400_000_000_000;
const MINUTE: u64 = 60_000_000_000;

/// The default policy with points exchangeable (clearing code 506) and expiring 30 days after
/// they are credited, and a lifetime cap of 10 hours.
fn policy() -> Policy {
    let extra = r#"
[[codes]]
code = 506
name = "portability (points)"
unit = 2
purpose = "clearing"

[[expiry]]
unit = 2
lifetime_days = 30
account = 9000000002
code = 504

[[caps]]
unit = 1
period = "lifetime"
limit = "10"
excess = "reject"
"#;
    let text = include_str!("../../ledger-core/policy/default.toml").to_owned() + extra;
    Policy::from_toml(&text).unwrap()
}

fn account(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

struct Side {
    id: PeerId,
    signer_seed: u8,
    store: Store,
    exchange: Exchange,
}

fn side_with(dir: &Path, id: u64, seed: u8, options: StoreOptions) -> Side {
    let store = Store::create(dir, &policy(), NOW, options).unwrap();
    let id = PeerId::new(id).unwrap();
    let exchange = Exchange::open(&store, Some(id), Signer::from_seed(&[seed; 32]), NOW).unwrap();
    let accounts = vec![
        NewAccount::new(account(FUND), HOURS, AccountKind::Issuer),
        NewAccount::new(account(POINTS_ISSUER), POINTS, AccountKind::Issuer),
        NewAccount::new(account(EXPIRY_ACCOUNT), POINTS, AccountKind::Expiry),
        NewAccount::new(account(MEMBER), HOURS, AccountKind::Member),
        NewAccount::new(account(MEMBER + 1), POINTS, AccountKind::Member),
    ];
    let done = store.create_accounts(accounts, NOW).unwrap();
    assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
    Side {
        id,
        signer_seed: seed,
        store,
        exchange,
    }
}

fn pair(scratch: &Scratch) -> (Side, Side) {
    pair_with(scratch, StoreOptions::default())
}

fn pair_with(scratch: &Scratch, options: StoreOptions) -> (Side, Side) {
    let mut a = side_with(&scratch.path().join("a"), 310101, 1, options.clone());
    let mut b = side_with(&scratch.path().join("b"), 310104, 2, options);
    let peer = |s: &Side| Peer {
        id: s.id,
        key: Signer::from_seed(&[s.signer_seed; 32]).public_key(),
    };
    let (a_peer, b_peer) = (peer(&a), peer(&b));
    a.exchange.add_peer(&a.store, b_peer, NOW).unwrap();
    b.exchange.add_peer(&b.store, a_peer, NOW).unwrap();
    (a, b)
}

impl Side {
    /// A service (code 101, hours) or an award (code 401, points).
    fn credit(&self, id: u128, from: u128, to: u128, amount: &str, code: u16, at: u64) {
        let (unit, scale) = if code == 101 { (HOURS, 2) } else { (POINTS, 0) };
        let t = Transfer::new(
            TransferId::new(id).unwrap(),
            account(from),
            account(to),
            Amount::parse_in(amount, scale).unwrap(),
            unit,
        )
        .code(code);
        let done = self.store.create_transfers(vec![t], at).unwrap();
        assert_eq!(done.events()[0].code, ResultCode::Ok);
    }

    fn request(&self, number: u64, to: &Side, unit: u16, amount: &str, at: u64) -> SendRequest {
        let (source, scale) = if unit == HOURS {
            (MEMBER, 2)
        } else {
            (MEMBER + 1, 0)
        };
        SendRequest {
            number,
            to: to.id,
            unit,
            amount: Amount::parse_in(amount, scale).unwrap(),
            source: account(source),
            destination: account(source),
            deadline: at + 60 * MINUTE,
        }
    }

    fn receive(&mut self, message: &Message, at: u64) -> (Verdict, Option<Message>) {
        let r = self
            .exchange
            .receive(&self.store, &message.to_bytes(), at)
            .unwrap();
        (r.verdict, r.reply)
    }

    fn posted(&self, n: u128) -> Decimal {
        self.store
            .read(|l| l.account(account(n)).unwrap().posted())
            .normalize()
    }

    fn lots(&self, n: u128) -> Vec<(u64, Decimal)> {
        self.store.read(|l| {
            expiring_credits(l, account(n))
                .into_iter()
                .map(|(at, d)| (at, d.normalize()))
                .collect()
        })
    }

    fn lifetime_earned(&self, at: u64) -> Decimal {
        self.store
            .read(|l| ledger_core::timebank::earnings(l, account(MEMBER), at).lifetime)
            .normalize()
    }
}

/// Exchange and deliver both ways; returns the offer.
fn exchange(a: &mut Side, b: &mut Side, request: &SendRequest, moving: bool, at: u64) -> Message {
    let offer = if moving {
        a.exchange.move_member(&a.store, request, at).unwrap()
    } else {
        a.exchange.send(&a.store, request, at).unwrap()
    };
    let (verdict, receipt) = b.receive(&offer, at + 1);
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(a.receive(&receipt.unwrap(), at + 2).0, Verdict::Ok);
    offer
}

#[test]
fn exchanged_points_keep_the_expiry_they_had_at_home() {
    let scratch = Scratch::new("exchange-expiry");
    let (mut a, mut b) = pair(&scratch);
    // 10 points credited at A on day 0 (expire on day 30), 5 more on day 10 (day 40).
    a.credit(1, POINTS_ISSUER, MEMBER + 1, "10", 401, NOW + 1);
    a.credit(2, POINTS_ISSUER, MEMBER + 1, "5", 401, NOW + 10 * DAY);
    let home = a.lots(MEMBER + 1);
    assert_eq!(home.len(), 2);
    // On day 20, 12 points go to B: 10 expiring on day 30 and 2 on day 40.
    let at = NOW + 20 * DAY;
    let request = a.request(1, &b, POINTS, "12", at);
    let offer = exchange(&mut a, &mut b, &request, false, at);
    assert_eq!(offer.kind_name(), "offer_with_state");
    assert_eq!(
        b.lots(MEMBER + 1),
        vec![
            (home[0].0, Decimal::from(10)),
            (home[1].0, Decimal::from(2))
        ],
        "the points keep their home expiry, not a fresh one from day 20"
    );
    // Past day 30 both ledgers sweep the first part.
    let later = home[0].0 + 1;
    a.store.expire(later).unwrap();
    b.store.expire(later).unwrap();
    assert_eq!(b.posted(MEMBER + 1), Decimal::from(2));
    assert_eq!(b.posted(EXPIRY_ACCOUNT), Decimal::from(10));
    assert_eq!(a.posted(MEMBER + 1), Decimal::from(3));
}

#[test]
fn hours_that_do_not_expire_go_as_a_plain_offer() {
    let scratch = Scratch::new("exchange-plain");
    let (mut a, mut b) = pair(&scratch);
    a.credit(1, FUND, MEMBER, "3", 101, NOW + 1);
    let request = a.request(1, &b, HOURS, "2", NOW + MINUTE);
    let offer = exchange(&mut a, &mut b, &request, false, NOW + MINUTE);
    assert_eq!(offer.kind_name(), "offer");
    assert_eq!(b.posted(MEMBER), Decimal::from(2));
}

#[test]
fn a_member_who_moves_keeps_caps_eligibility_and_expiry() {
    let scratch = Scratch::new("exchange-move");
    let (mut a, mut b) = pair(&scratch);
    // 8 hours earned at A (of a lifetime cap of 10), eligible for care from day 5.
    a.credit(1, FUND, MEMBER, "8", 101, NOW + 1);
    let eligible_from = NOW + 5 * DAY;
    let eligibility = vec![Eligibility {
        account: account(MEMBER),
        from: Some(eligible_from),
    }];
    let done = a
        .store
        .submit(ledger_core::Command::SetEligibility(eligibility), NOW + 2)
        .unwrap();
    assert_eq!(done.events()[0].code, ResultCode::Ok);
    a.credit(2, POINTS_ISSUER, MEMBER + 1, "10", 401, NOW + 3);
    let at = NOW + DAY;

    // Part of the balance is not a move.
    let part = a.request(1, &b, HOURS, "5", at);
    let refused = a.exchange.move_member(&a.store, &part, at).unwrap_err();
    assert!(matches!(
        refused,
        ExchangeError::Send(SendError::NotWholeBalance { .. })
    ));
    assert_eq!(a.posted(MEMBER), Decimal::from(8));

    let hours = a.request(1, &b, HOURS, "8", at);
    exchange(&mut a, &mut b, &hours, true, at);
    let points = a.request(2, &b, POINTS, "10", at);
    exchange(&mut a, &mut b, &points, true, at);
    assert_eq!(a.posted(MEMBER), Decimal::ZERO);
    assert_eq!(b.posted(MEMBER), Decimal::from(8));
    // The cap counts what was earned at A: 3 more hours would pass 10, 2 do not.
    assert_eq!(b.lifetime_earned(at + 10), Decimal::from(8));
    let over = Transfer::new(
        TransferId::new(10).unwrap(),
        account(FUND),
        account(MEMBER),
        Amount::parse_in("3", 2).unwrap(),
        HOURS,
    )
    .code(101);
    let done = b.store.create_transfers(vec![over], at + 10).unwrap();
    assert_eq!(done.events()[0].code, ResultCode::CapExceededLifetime);
    b.credit(11, FUND, MEMBER, "2", 101, at + 11);
    // The eligibility date came along.
    let moved = b
        .store
        .read(|l| l.account(account(MEMBER)).unwrap().eligible_from);
    assert_eq!(moved, Some(eligible_from));
    // The points keep their day-30 expiry and are swept then, not 30 days after the move.
    assert_eq!(b.lots(MEMBER + 1), a_lots_before_move_expiry(&a));
    b.store.expire(NOW + 31 * DAY).unwrap();
    assert_eq!(b.posted(MEMBER + 1), Decimal::ZERO);
}

/// The expiry the points had at A (their lot is spent there now): day 30, local midnight.
fn a_lots_before_move_expiry(a: &Side) -> Vec<(u64, Decimal)> {
    let offer = a
        .exchange
        .offers()
        .find(|o| o.header.exchange.number == 2)
        .unwrap();
    let Body::Offer(o) = &offer.body else {
        panic!("an offer")
    };
    let parts = &o.carried.as_ref().unwrap().parts;
    assert!(parts[0].expires_at < NOW + 31 * DAY);
    parts
        .iter()
        .map(|p| (p.expires_at, Decimal::from(p.minor)))
        .collect()
}

#[test]
fn a_move_applies_once_whatever_happens_to_its_messages() {
    let scratch = Scratch::new("exchange-move-once");
    let (mut a, mut b) = pair(&scratch);
    a.credit(1, FUND, MEMBER, "8", 101, NOW + 1);
    let at = NOW + DAY;
    let request = a.request(1, &b, HOURS, "8", at);
    let offer = a.exchange.move_member(&a.store, &request, at).unwrap();
    // The first delivery's receipt is lost; the sender retries with the same request and gets
    // the same offer; it arrives twice more.
    let (first, _lost) = b.receive(&offer, at + 1);
    assert_eq!(first, Verdict::Ok);
    let retried = a.exchange.move_member(&a.store, &request, at + 2).unwrap();
    assert_eq!(retried, offer);
    let (again, receipt) = b.receive(&retried, at + 3);
    assert_eq!(again, Verdict::Exists);
    let (third, receipt_again) = b.receive(&offer, at + 4);
    assert_eq!(third, Verdict::Exists);
    // The later receipt arrives first, then the earlier one.
    assert_eq!(a.receive(&receipt_again.unwrap(), at + 5).0, Verdict::Ok);
    assert_eq!(a.receive(&receipt.unwrap(), at + 6).0, Verdict::Exists);
    // The same number as a plain send is another request.
    assert!(matches!(
        a.exchange.send(&a.store, &request, at + 7),
        Err(ExchangeError::NumberUsed(1))
    ));
    assert_eq!(b.posted(MEMBER), Decimal::from(8));
    assert_eq!(a.posted(MEMBER), Decimal::ZERO);
    assert_eq!(b.lifetime_earned(at + 8), Decimal::from(8));
    // Reopened, both ledgers verify and agree.
    for side in [&a, &b] {
        side.store.verify(&mut |_| {}).unwrap();
    }
}

/// Duplicate messages of an exchange settled long ago, on ledgers that evict old transfers from
/// memory (`StoreOptions::resident_transfers`) and on ledgers that keep them: the sender's hold
/// and the receiver's credit are evicted, yet each duplicate gets the same verdict and reply as
/// on ledgers that keep every transfer. (Reading the hold from memory alone answered a
/// duplicate receipt with `unknown_exchange`.)
#[test]
fn duplicates_of_an_evicted_exchange_get_the_answers_they_got_before() {
    let answers = |options: StoreOptions, evicts: bool| {
        let scratch = Scratch::new("exchange-evicted");
        let (mut a, mut b) = pair_with(&scratch, options);
        a.credit(1, FUND, MEMBER, "3", 101, NOW + 1);
        let request = a.request(1, &b, HOURS, "2", NOW + MINUTE);
        let offer = a.exchange.send(&a.store, &request, NOW + MINUTE).unwrap();
        let (verdict, receipt) = b.receive(&offer, NOW + MINUTE + 1);
        assert_eq!(verdict, Verdict::Ok);
        let receipt = receipt.unwrap();
        assert_eq!(a.receive(&receipt, NOW + MINUTE + 2).0, Verdict::Ok);
        // 9,000 later awards on each side: eviction runs twice (every 4,096 transfers).
        for batch in 0..3u128 {
            let awards: Vec<Transfer> = (0..3_000u128)
                .map(|n| {
                    let id = TransferId::new(1_000 + batch * 3_000 + n).unwrap();
                    let one = Amount::parse_in("1", 0).unwrap();
                    Transfer::new(id, account(POINTS_ISSUER), account(MEMBER + 1), one, POINTS)
                        .code(401)
                })
                .collect();
            for side in [&a, &b] {
                let at = NOW + 2 * MINUTE + batch as u64;
                let done = side.store.create_transfers(awards.clone(), at).unwrap();
                assert!(done.events().iter().all(|e| e.code == ResultCode::Ok));
            }
        }
        let hold = offer.header.exchange.hold_transfer();
        let credit = offer.header.exchange.credit_transfer();
        let in_memory = |side: &Side, id| side.store.read(|l| l.transfer(id).is_some());
        assert_eq!(in_memory(&a, hold), !evicts, "the hold was evicted");
        assert_eq!(in_memory(&b, credit), !evicts, "the credit was evicted");
        let later = NOW + 3 * MINUTE;
        let (offer_again, receipt_again) = b.receive(&offer, later);
        let (receipt_verdict, _) = a.receive(&receipt, later + 1);
        let pending = a.exchange.pending(&a.store).len();
        (
            offer_again,
            receipt_again.map(|r| r.body),
            receipt_verdict,
            pending,
        )
    };
    let keeping = answers(StoreOptions::default(), false);
    assert_eq!(keeping.0, Verdict::Exists);
    assert_eq!(keeping.2, Verdict::Exists);
    let evicting = answers(StoreOptions::default().resident_transfers(100), true);
    assert_eq!(evicting, keeping);
}
