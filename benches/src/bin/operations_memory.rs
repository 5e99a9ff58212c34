//! The engine's memory as it runs domain operations (one service each, which its recipient
//! then rates), with and without eviction: what a host that records every service as an
//! operation keeps in memory per service once the ledger is old.
//!
//! `cargo run --release -p benches --bin operations_memory -- N MODE [KEEP [OPERATORS]]` runs N services
//! (the default policy, code 101, a fund paying 1,000 members) on a fresh `Ledger` in this
//! process and prints one JSON line. MODE is `all` (nothing evicted), `transfers` (every 4,096
//! operations the transfers are evicted down to the newest KEEP, default 10,000: what a store
//! with `resident_transfers` did before operations were evicted too) or `both` (the transfers,
//! the operations and the ratings, as the store does now). With OPERATORS (default 0, none),
//! service *i* is run by operator 1 + *i* mod OPERATORS, as staff at a desk take turns: each
//! change of operator is an attribution the ledger keeps. The line holds the resident memory after a tenth
//! of the operations and at the end, and `bytes_per_operation`: the growth between the two over
//! the operations in between. Run each mode in its own process: freed memory is not returned to
//! the system.

use std::time::Instant;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::ServiceRecord;
use ledger_core::{
    AccountId, AccountKind, Amount, Command, Ledger, NewAccount, Policy, Rating, ResultCode,
    TransferId,
};

const MEMBERS: u128 = 1_000;
const FUND: u128 = 1;
const EVERY: u64 = 4_096;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: operations_memory N all|transfers|both [KEEP [OPERATORS]]";
    let n: u64 = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let mode = args.get(1).map(String::as_str).expect(usage);
    let keep: usize = args.get(2).map_or(10_000, |a| a.parse().expect(usage));
    let operators: u64 = args.get(3).map_or(0, |a| a.parse().expect(usage));
    let (evict_transfers, evict_operations) = match mode {
        "all" => (false, false),
        "transfers" => (true, false),
        "both" => (true, true),
        _ => panic!("{usage}"),
    };

    let mut ledger = Ledger::with_policy(&Policy::default_policy()).expect("the default policy");
    let account = |n: u128| AccountId::new(n).expect("not zero");
    let mut accounts = vec![NewAccount::new(account(FUND), 1, AccountKind::Issuer)];
    accounts
        .extend((0..MEMBERS).map(|m| NewAccount::new(account(100 + m), 1, AccountKind::Member)));
    let mut now = 1_767_225_600_000_000_000u64;
    for chunk in accounts.chunks(1_000) {
        ledger.create_accounts(chunk, now).expect("valid accounts");
    }

    let started = Instant::now();
    let mut tenth_rss = 0;
    for i in 0..n {
        now += 1_000_000;
        let id = 1_000 + u128::from(i) * 2;
        let command = Command::Operate(Operation {
            id: TransferId::new(id).expect("not zero"),
            kind: OperationKind::Service(ServiceRecord {
                code: 101,
                payer: account(FUND),
                provider: account(100 + id % MEMBERS),
                hours: Amount::from_minor(25 + (i % 300), 2).expect("in range"),
                served_at: None,
                donation: None,
                points: None,
                user_data: 0,
            }),
        });
        // Every id is new: what the filters of evicted ids may name was never run or applied
        // (a store looks in its index and finds nothing).
        if let Some(id) = ledger.operation_to_load(&command) {
            ledger.load_operation_absent(id);
        }
        let fetch = &mut |_| Ok::<_, ()>(None);
        let who = match operators {
            0 => ledger_core::Attribution::NONE,
            k => ledger_core::Attribution::by(1 + i % k),
        };
        let reply = ledger
            .execute_fetching(&command, who, now, fetch)
            .expect("nothing to fetch")
            .expect("a valid command");
        if let ledger_core::Reply::Events(results) = &reply {
            assert!(
                results.iter().all(|r| r.code == ResultCode::Ok),
                "{results:?}"
            );
        }
        let rating = Command::RecordRatings(vec![Rating {
            transfer: TransferId::new(id).expect("not zero"),
            rating: 1 + (i % 5) as u8,
        }]);
        // The rated transfer is the service's own, in memory; a rating the filter of evicted
        // ones may name was never recorded.
        for transfer in ledger.ratings_to_load(&rating, now) {
            ledger.load_rating_absent(transfer);
        }
        ledger.execute(&rating, now).expect("a valid rating");
        if (i + 1) % EVERY == 0 {
            if evict_transfers {
                drop(ledger.evict_transfers(keep));
            }
            if evict_operations {
                drop(ledger.evict_operations(keep));
                drop(ledger.evict_ratings(keep));
            }
        }
        if i + 1 == n / 10 {
            tenth_rss = resident_bytes();
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let end_rss = resident_bytes();
    let between = (n - n / 10).max(1) as f64;
    println!(
        "{{\"operations\":{n},\"mode\":\"{mode}\",\"keep\":{keep},\"operators\":{operators},\"seconds\":{seconds:.3},\
         \"operations_held\":{},\"ratings_held\":{},\"transfers_held\":{},\"rss_after_tenth_bytes\":{tenth_rss},\
         \"rss_end_bytes\":{end_rss},\"bytes_per_operation\":{:.1}}}",
        ledger.operations_held(),
        ledger.ratings_held(),
        ledger.resident_transfer_count(),
        (end_rss as f64 - tenth_rss as f64) / between,
    );
}

/// This process's resident memory, from /proc/self/status (Linux).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}
