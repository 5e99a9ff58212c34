//! `timebank_open_options.resident_transfers` reaches the store: with 100, a store that wrote
//! past two evictions (one every 4,096 transfers) has moved its early transfers to the index;
//! with 0 (the default) it keeps them all in memory and the index holds none. The answers the
//! two give are compared in the Python and Java suites.

use std::path::{Path, PathBuf};
use std::ptr;

use ledger_core::TransferId;
use ledger_store::index::Index;
use ledger_store::store::INDEX_DIR_NAME;
use timebank::*;

const PER_BATCH: u64 = 3000;
const BATCHES: u64 = 3;
const FIRST_ID: u64 = 1000;
const FUND: u64 = 1;
const MEMBER: u64 = 2;

fn id(lo: u64) -> timebank_id {
    timebank_id { lo, hi: 0 }
}

fn account(lo: u64, kind: u8) -> timebank_account_new {
    timebank_account_new {
        id: id(lo),
        user_data: id(0),
        floor_minor: 0,
        ceiling_minor: 0,
        eligible_from: 0,
        community: 0,
        unit: 1,
        kind,
        limits: 0,
    }
}

/// Opens a store in `dir` through the C ABI with these options, writes 9,000 transfers and frees
/// it.
fn write_through_the_abi(dir: &Path, options: timebank_open_options) {
    let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let mut store = ptr::null_mut();
    // SAFETY: every pointer is live for the call, the options and out-params included.
    let opened = unsafe {
        timebank_store_open_with_options(
            path.as_ptr(),
            ptr::null(),
            ptr::null(),
            &options,
            &mut store,
            ptr::null_mut(),
        )
    };
    assert_eq!(opened, Status::Ok);
    let accounts = [
        account(FUND, TIMEBANK_KIND_ISSUER),
        account(MEMBER, TIMEBANK_KIND_MEMBER),
    ];
    let mut codes = [u16::MAX; PER_BATCH as usize];
    // SAFETY: as above; `codes` holds one code per account.
    let created = unsafe {
        timebank_store_create_accounts(
            store,
            accounts.as_ptr(),
            2,
            0,
            codes.as_mut_ptr(),
            ptr::null_mut(),
        )
    };
    assert_eq!((created, &codes[..2]), (Status::Ok, &[0, 0][..]));
    for b in 0..BATCHES {
        let batch: Vec<timebank_transfer> = (0..PER_BATCH)
            .map(|i| timebank_transfer {
                id: id(FIRST_ID + b * PER_BATCH + i),
                debit_account_id: id(FUND),
                credit_account_id: id(MEMBER),
                related_id: id(0),
                user_data: id(0),
                amount_minor: 1,
                timeout_s: 0,
                unit: 1,
                code: 101,
                flags: 0,
                reserved: [0; 3],
            })
            .collect();
        // SAFETY: as above; `codes` holds one code per transfer.
        let submitted = unsafe {
            timebank_store_submit_transfers(
                store,
                batch.as_ptr(),
                PER_BATCH,
                0,
                codes.as_mut_ptr(),
                ptr::null_mut(),
            )
        };
        assert_eq!(submitted, Status::Ok);
        assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
    }
    timebank_store_free(store);
}

/// Whether the index in `dir` holds an evicted version of transfer `id`.
fn evicted(dir: &Path, id: u64) -> bool {
    let index = Index::open(&dir.join(INDEX_DIR_NAME)).unwrap();
    let id = TransferId::new(u128::from(id)).unwrap();
    index
        .live()
        .evicted_transfer(id, u64::MAX)
        .unwrap()
        .is_some()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "timebank-ffi-resident-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn resident_transfers_moves_early_transfers_to_the_index_and_zero_keeps_them() {
    let bounded = scratch("100");
    write_through_the_abi(
        &bounded,
        timebank_open_options {
            resident_transfers: 100,
            ..Default::default()
        },
    );
    let everything = scratch("0");
    write_through_the_abi(&everything, timebank_open_options::default());
    assert!(evicted(&bounded, FIRST_ID + 1));
    assert!(!evicted(&bounded, FIRST_ID + BATCHES * PER_BATCH - 1)); // among the newest 100
    assert!(!evicted(&everything, FIRST_ID + 1));
    std::fs::remove_dir_all(&bounded).unwrap();
    std::fs::remove_dir_all(&everything).unwrap();
}
