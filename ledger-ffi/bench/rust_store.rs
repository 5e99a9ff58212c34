//! The FFI benchmark's baseline: batch submission and one account lookup on the Rust API, and
//! the same lookup through the C ABI called from Rust. Run by `ledger-ffi/bench/run.sh`.
//!
//! Usage: `bench_store DIR BATCHES SINGLES`

use std::path::Path;
use std::time::Instant;

use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Policy, Transfer, TransferId};
use ledger_store::{Store, StoreOptions};

const MEMBERS: u64 = 1000;
const BATCH: u64 = 8190;
const SERVICE: u16 = 101;
const HOURS: u16 = 1;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(
        args.get(1)
            .map_or("/tmp/timebank-bench-rust", String::as_str),
    );
    let batches: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let singles: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as u64
    };
    let store = Store::create(
        dir,
        &Policy::default_policy(),
        now(),
        StoreOptions::default(),
    )
    .expect("a fresh directory");
    let id = |n: u64| AccountId::new(u128::from(n)).expect("non-zero");
    let mut accounts = vec![NewAccount::new(id(1), HOURS, AccountKind::Issuer)];
    accounts.extend((0..MEMBERS).map(|m| NewAccount::new(id(2 + m), HOURS, AccountKind::Member)));
    store.create_accounts(accounts, now()).expect("accounts");

    let one_hundredth = Amount::from_minor(1, 2).expect("positive");
    let started = Instant::now();
    for b in 0..batches {
        let batch: Vec<Transfer> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                let tid = TransferId::new(u128::from(1_000_000 + n)).expect("non-zero");
                Transfer::new(tid, id(1), id(2 + n % MEMBERS), one_hundredth, HOURS).code(SERVICE)
            })
            .collect();
        let committed = store.create_transfers(batch, now()).expect("a valid batch");
        assert!(committed.events().iter().all(|r| r.is_ok()));
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "rust   batch : {:>10.0} transfers/s",
        (batches * BATCH) as f64 / seconds
    );

    let member = id(2);
    let per_call = fastest_round(singles, || {
        std::hint::black_box(store.account(member));
    });
    println!("rust   single: {per_call:>10.0} ns/call (Store::account)");
    store.close().expect("closed");

    // The same lookup through the C ABI, from Rust: the library's own cost, with no language
    // boundary, to compare the C, Python and Java figures with.
    let path = std::ffi::CString::new(dir.to_str().expect("UTF-8 path")).expect("no NUL");
    let mut handle = std::ptr::null_mut();
    // SAFETY: a valid path, no policy or key, a valid out-param, no error wanted.
    let status = unsafe {
        timebank::timebank_store_open(
            path.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            &mut handle,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(status, timebank::Status::Ok);
    let account = timebank::timebank_id { lo: 2, hi: 0 };
    // SAFETY: the struct is plain data; every byte pattern of it is valid.
    let mut out: timebank::timebank_account = unsafe { std::mem::zeroed() };
    let per_call = fastest_round(singles, || {
        // SAFETY: a live handle, a valid id and out-param, no error wanted.
        let status = unsafe {
            timebank::timebank_store_account(handle, &account, &mut out, std::ptr::null_mut())
        };
        assert_eq!(status, timebank::Status::Ok);
    });
    println!("rust   single: {per_call:>10.0} ns/call (timebank_store_account)");
    timebank::timebank_store_free(handle);
}

/// Nanoseconds per call of the fastest of five rounds of `calls / 5` calls: on a shared machine
/// the fastest round is the one least disturbed by other processes.
fn fastest_round(calls: u64, mut call: impl FnMut()) -> f64 {
    let per_round = (calls / 5).max(1);
    (0..5)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_round {
                call();
            }
            started.elapsed().as_nanos() as f64 / per_round as f64
        })
        .fold(f64::INFINITY, f64::min)
}
