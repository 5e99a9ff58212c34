//! The state digest and the snapshot encoding of one mixed ledger (caps, weighted codes with
//! rounding, expiring lots and their sweeps, holds posted, voided and expired, a reversal,
//! balancing transfers, floors and ceilings with decimals, a failed id, a link, a rating) are
//! fixed values: the engine's inner representation of amounts and balances may change, the bytes
//! it writes (FORMAT.md §5.2 and §16) may not.

use ledger_core::snapshot::{decode, encode};
use ledger_core::{
    AccountId, AccountKind, Amount, Cap, Command, Eligibility, Excess, Expiry, Ledger, Link,
    NewAccount, Period, Policy, Rating, Reply, ResultCode, Transfer, TransferFlags, TransferId,
};

const HOURS: u16 = 1;
const POINTS: u16 = 2;
const COMPANIONSHIP: u16 = 101;
const PERSONAL_CARE: u16 = 104;
const ESCORT: u16 = 105;
const CARE_COMPANIONSHIP: u16 = 201;
const GIFT: u16 = 301;
const DONATION: u16 = 302;
const VOLUNTEERING_POINTS: u16 = 401;
const POINTS_EXPIRY: u16 = 504;
const DAY: u64 = 86_400 * 1_000_000_000;
/// 2026-03-02 01:00 in UTC+8.
const START: u64 = 1_772_384_400 * 1_000_000_000;

/// The first state digest (`state_digest_v1`, FORMAT.md §5.2.1), recorded from the engine that
/// kept amounts and balances as decimals.
const DIGEST_V1: &str = "cd782263f9117ba1eedca31a9be01738cbf247c9118865cf4f45bd5fd402e5cb";
/// The second state digest (`state_digest_v2`, §5.2.2), recorded when the transfers entered it
/// through their history chain.
const DIGEST_V2: &str = "0bc22ae10d5d842c587b81d2fe26895f09f8a93d209aeb7db2ebe23f4c61d908";
/// The state digest (§5.2), recorded when the failed ids, ratings and operations entered it
/// through chains of their own.
const DIGEST: &str = "63106f4206c042dcc2da175fbaf99d7218fbc3263e07646f47be1452c0817abf";
/// blake3 of the snapshot encoding, recorded likewise, then again when state version 2 dropped
/// the per-account history part (6,285 bytes before; the digest did not change), then when
/// version 3 added the position of the first transfer in memory (8 bytes), then when version 4
/// added the three chains, each with the count of entries ever added and the filter of those
/// evicted (126 bytes).
const SNAPSHOT_HASH: &str = "4326be23cf61ba254f64460a05dac1e029003f12a1909bc476d0b6788b68003a";
const SNAPSHOT_LEN: usize = 6091;

fn id(n: u128) -> AccountId {
    AccountId::new(n).unwrap()
}

fn tid(n: u128) -> TransferId {
    TransferId::new(n).unwrap()
}

fn amount(text: &str, scale: u32) -> Amount {
    Amount::parse_in(text, scale).unwrap()
}

fn policy() -> Policy {
    let mut policy = Policy::default_policy();
    let weigh = |code: u16, weight: &str, rounding: &str| {
        let json = format!(r#"{{"weight":"{weight}","rounding":"{rounding}"}}"#);
        (code, json)
    };
    let mut value: serde_json::Value = serde_json::from_str(&policy.to_json()).unwrap();
    for (code, extra) in [
        weigh(PERSONAL_CARE, "1.5", "refuse"),
        weigh(ESCORT, "1.25", "half_even"),
    ] {
        let extra: serde_json::Value = serde_json::from_str(&extra).unwrap();
        let rule = value["codes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["code"] == code)
            .unwrap();
        for (k, v) in extra.as_object().unwrap() {
            rule[k] = v.clone();
        }
    }
    policy = Policy::from_json(&value.to_string()).unwrap();
    let cap = |period, limit: &str, excess| Cap {
        unit: HOURS,
        period,
        limit: limit.parse().unwrap(),
        excess,
    };
    policy.caps = vec![
        cap(Period::Day, "6.5", Excess::Reject),
        cap(Period::Month, "40.25", Excess::Donate),
        cap(Period::Lifetime, "1000", Excess::Reject),
    ];
    policy.expiry.push(Expiry {
        unit: POINTS,
        lifetime_days: 30,
        account: id(90),
        code: POINTS_EXPIRY,
    });
    policy.validate().unwrap();
    policy
}

struct Run {
    ledger: Ledger,
    now: u64,
    codes: Vec<ResultCode>,
}

impl Run {
    fn exec(&mut self, command: Command) {
        self.now += 1_000_000;
        match self.ledger.execute(&command, self.now).unwrap() {
            Reply::Events(results) => self.codes.extend(results.iter().map(|r| r.code)),
            Reply::Expired(_) => {}
        }
    }

    fn transfers(&mut self, batch: Vec<Transfer>) {
        self.exec(Command::CreateTransfers(batch));
    }
}

fn dec(text: &str) -> Option<ledger_core::Decimal> {
    Some(text.parse().unwrap())
}

fn mixed_ledger() -> Ledger {
    let mut run = Run {
        ledger: Ledger::with_policy(&policy()).unwrap(),
        now: START,
        codes: Vec::new(),
    };
    run.exec(Command::CreateAccounts(vec![
        NewAccount::new(id(1), HOURS, AccountKind::Issuer)
            .floor(dec("-100000.5"))
            .community(7),
        NewAccount::new(id(2), HOURS, AccountKind::Member)
            .ceiling(dec("45.75"))
            .user_data(0xfeed),
        NewAccount::new(id(3), HOURS, AccountKind::Member).floor(dec("-1.25")),
        NewAccount::new(id(4), HOURS, AccountKind::Member).ceiling(dec("3.5")),
        NewAccount::new(id(5), HOURS, AccountKind::Donation),
        NewAccount::new(id(10), POINTS, AccountKind::Issuer).floor(dec("-500")),
        NewAccount::new(id(11), POINTS, AccountKind::Member).ceiling(dec("100")),
        NewAccount::new(id(12), POINTS, AccountKind::Redemption),
        NewAccount::new(id(90), POINTS, AccountKind::Expiry),
        // Refused: a limit with more decimals than the unit keeps.
        NewAccount::new(id(13), HOURS, AccountKind::Member).floor(dec("-0.125")),
    ]));
    run.exec(Command::LinkAccounts(vec![Link { a: id(2), b: id(3) }]));
    run.exec(Command::SetEligibility(vec![
        Eligibility {
            account: id(2),
            from: Some(START),
        },
        Eligibility {
            account: id(3),
            from: Some(START),
        },
    ]));
    let service =
        |n, to, h: &str, code| Transfer::new(tid(n), id(1), id(to), amount(h, 2), HOURS).code(code);
    run.transfers(vec![
        service(100, 2, "2.5", COMPANIONSHIP),
        service(101, 2, "1.5", PERSONAL_CARE),  // 2.25 credits
        service(102, 3, "1.01", ESCORT),        // 1.2625 rounds to 1.26
        service(103, 3, "1.01", PERSONAL_CARE), // 1.515: refused, inexact
        service(104, 2, "5", COMPANIONSHIP),    // passes the daily cap
        service(105, 4, "3", COMPANIONSHIP),
    ]);
    // Balancing: asks for more than the ceiling leaves room for.
    let mut balancing = service(106, 4, "2", COMPANIONSHIP);
    balancing.flags = TransferFlags::BALANCING_CREDIT;
    run.transfers(vec![balancing]);
    let mut drain = Transfer::new(tid(107), id(3), id(2), amount("9", 2), HOURS).code(GIFT);
    drain.flags = TransferFlags::BALANCING_DEBIT;
    run.transfers(vec![drain]);
    run.now += DAY;
    // Holds: one posted in part, one voided, one left to expire; a linked chain that fails.
    let hold = |n, from, to, h: &str, timeout_s| {
        let mut t =
            Transfer::new(tid(n), id(from), id(to), amount(h, 2), HOURS).code(CARE_COMPANIONSHIP);
        t.flags = TransferFlags::PENDING;
        t.timeout_s = timeout_s;
        t
    };
    run.transfers(vec![
        hold(200, 2, 1, "1.75", 0),
        hold(201, 2, 1, "0.5", 60),
        hold(202, 2, 1, "0.25", 3_600),
    ]);
    let mut post = Transfer::new(tid(203), id(2), id(1), amount("1.5", 2), HOURS);
    post.flags = TransferFlags::POST_PENDING;
    post.related_id = Some(tid(200));
    post.debit_account_id = None;
    post.credit_account_id = None;
    post.unit = 0;
    let mut void = Transfer::new(tid(204), id(2), id(1), amount("0.5", 2), HOURS);
    void.flags = TransferFlags::VOID_PENDING;
    void.related_id = Some(tid(201));
    run.transfers(vec![post, void]);
    let mut linked = service(205, 3, "0.5", COMPANIONSHIP);
    linked.flags = TransferFlags::LINKED;
    run.transfers(vec![linked, service(206, 3, "50", COMPANIONSHIP)]);
    run.transfers(vec![Transfer::reversal(tid(207), tid(100))]);
    run.transfers(vec![
        Transfer::new(tid(208), id(2), id(5), amount("0.33", 2), HOURS).code(DONATION),
        // Overdraws: a transient failure, so the id is remembered.
        Transfer::new(tid(209), id(3), id(5), amount("30", 2), HOURS).code(DONATION),
    ]);
    run.exec(Command::RecordRatings(vec![Rating {
        transfer: tid(101),
        rating: 5,
    }]));
    // Points: awarded, redeemed, expired oldest first by sweeps.
    let award = |n, acts: u32| {
        Transfer::new(
            tid(n),
            id(10),
            id(11),
            amount(&(10 * acts).to_string(), 0),
            POINTS,
        )
        .code(VOLUNTEERING_POINTS)
    };
    run.transfers(vec![award(300, 3)]);
    let redeem_code = policy()
        .codes
        .iter()
        .find(|c| c.unit == POINTS && c.purpose == ledger_core::Purpose::Redemption)
        .unwrap()
        .code;
    run.transfers(vec![Transfer::new(
        tid(301),
        id(11),
        id(12),
        amount("12", 0),
        POINTS,
    )
    .code(redeem_code)]);
    run.now += 20 * DAY;
    run.transfers(vec![award(302, 1)]);
    run.exec(Command::Expire);
    run.now += 11 * DAY;
    run.exec(Command::Expire);
    let ok = run.codes.iter().filter(|c| **c == ResultCode::Ok).count();
    let refused = run.codes.len() - ok;
    assert!(ok >= 20 && refused >= 4, "{:?}", run.codes);
    assert!(run.ledger.failed_code(tid(209)).is_some());
    assert_eq!(
        run.ledger.transfer(tid(202)).unwrap().state,
        ledger_core::TransferState::PendingExpired
    );
    assert!(run
        .ledger
        .transfer(tid(ledger_core::SWEEP_TRANSFER_ID_BIT | 1))
        .is_some());
    run.ledger
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn digest_and_snapshot_bytes_are_the_recorded_ones() {
    let ledger = mixed_ledger();
    let bytes = encode(&ledger);
    let restored = decode(&bytes).unwrap();
    assert_eq!(encode(&restored), bytes);
    assert_eq!(restored.state_digest(), ledger.state_digest());
    assert_eq!(hex(&ledger.state_digest_v1().unwrap()), DIGEST_V1);
    assert_eq!(hex(&restored.state_digest_v1().unwrap()), DIGEST_V1);
    assert_eq!(hex(&ledger.state_digest_v2().unwrap()), DIGEST_V2);
    assert_eq!(hex(&restored.state_digest_v2().unwrap()), DIGEST_V2);
    assert_eq!(hex(&ledger.state_digest()), DIGEST);
    assert_eq!(bytes.len(), SNAPSHOT_LEN);
    assert_eq!(blake3::hash(&bytes).to_hex().as_str(), SNAPSHOT_HASH);
}
