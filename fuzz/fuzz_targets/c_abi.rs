//! The C ABI of `ledger-ffi` on arbitrary bytes and strings, called as a C host would: strings
//! that are not UTF-8, NULL pointers, scales and ids out of range, transfer structs with any
//! field values, calls on closed handles. No call may crash or report `TIMEBANK_STATUS_PANIC`
//! (a bug caught at the boundary); out-params are written only on success; a successful amount
//! parse agrees with `Amount::parse_in`; every returned string is freed with the library's
//! own free function.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use arbitrary::Arbitrary;
use ledger_core::Amount;
use libfuzzer_sys::fuzz_target;
use timebank::*;

#[derive(Arbitrary, Debug)]
struct Input {
    amounts: Vec<(Vec<u8>, u8, bool)>,
    formats: Vec<(u64, u8)>,
    /// A store is opened (it is slow: a directory and an index) for one input in a few.
    store: Option<StorePlan>,
}

#[derive(Arbitrary, Debug)]
struct StorePlan {
    policy: Option<Vec<u8>>,
    calls: Vec<StoreCall>,
}

#[derive(Arbitrary, Debug)]
enum StoreCall {
    Transfers(Vec<RawTransfer>, u64),
    TextTransfers(Vec<(RawTransfer, Option<Vec<u8>>)>, u64),
    Status,
    Expire(u64),
    Verify,
    Close,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct RawTransfer {
    ids: [u8; 5],
    amount_minor: u64,
    timeout_s: u32,
    unit: u8,
    code: u16,
    flags: u16,
    reserved: [u16; 3],
}

impl RawTransfer {
    fn id(byte: u8) -> timebank_id {
        // Mostly small ids (so transfers meet accounts and each other), sometimes huge ones.
        match byte {
            0xF0..=0xFF => timebank_id {
                lo: u64::MAX,
                hi: u64::from(byte),
            },
            b => timebank_id {
                lo: u64::from(b % 16),
                hi: 0,
            },
        }
    }

    fn binary(&self) -> timebank_transfer {
        timebank_transfer {
            id: Self::id(self.ids[0]),
            debit_account_id: Self::id(self.ids[1]),
            credit_account_id: Self::id(self.ids[2]),
            related_id: Self::id(self.ids[3]),
            user_data: Self::id(self.ids[4]),
            amount_minor: self.amount_minor,
            timeout_s: self.timeout_s,
            unit: u16::from(self.unit % 4),
            code: self.code,
            flags: self.flags,
            reserved: self.reserved,
        }
    }
}

/// A NUL-terminated copy of `bytes` (cut at the first NUL, as C would read it).
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no interior NUL after the cut")
}

/// Checks a status and frees the error message, which is set exactly when the call failed.
fn settle(status: Status, error: *mut c_char, call: &str) -> Status {
    assert_ne!(status, Status::Panic, "{call} panicked: {}", message(error));
    assert_eq!(
        error.is_null(),
        status == Status::Ok,
        "{call}: an error message must come with every failure and only then"
    );
    // SAFETY: `error` is NULL or a string this library returned and nobody freed.
    unsafe { timebank_string_free(error) };
    status
}

fn message(error: *mut c_char) -> String {
    if error.is_null() {
        return String::new();
    }
    // SAFETY: the library returns NUL-terminated strings that live until freed.
    unsafe { CStr::from_ptr(error) }
        .to_string_lossy()
        .into_owned()
}

fn amounts(input: &Input) {
    for (text, scale, null_out) in input.amounts.iter().take(8) {
        let c_text = c_string(text);
        let scale = u32::from(*scale % 10);
        let mut minor = 0xDEAD_u64;
        let mut error = ptr::null_mut();
        let out = if *null_out {
            ptr::null_mut()
        } else {
            &mut minor as *mut u64
        };
        // SAFETY: `c_text` is NUL-terminated; `out` is NULL or a live u64; `error` a live pointer.
        let status = unsafe { timebank_amount_parse(c_text.as_ptr(), scale, out, &mut error) };
        let status = settle(status, error, "timebank_amount_parse");
        let expected = std::str::from_utf8(c_text.as_bytes())
            .ok()
            .filter(|_| scale <= 6)
            .and_then(|t| Amount::parse_in(t, scale).ok());
        if *null_out {
            // The text is checked first, so a bad text may be named instead.
            assert_ne!(status, Status::Ok, "wrote through a NULL out-param");
        } else if let Some(amount) = expected {
            assert_eq!(status, Status::Ok);
            assert_eq!(Some(minor), amount.to_minor(scale));
        } else {
            assert_ne!(status, Status::Ok, "accepted {c_text:?} at scale {scale}");
            assert_eq!(minor, 0xDEAD, "an out-param written on failure");
        }
    }
    // NULL text.
    let mut minor = 0u64;
    let mut error = ptr::null_mut();
    // SAFETY: NULL text is allowed by the contract; the out-params are live.
    let status = unsafe { timebank_amount_parse(ptr::null(), 2, &mut minor, &mut error) };
    assert_eq!(
        settle(status, error, "timebank_amount_parse(NULL)"),
        Status::NullPointer
    );
    for &(minor, scale) in input.formats.iter().take(8) {
        let scale = u32::from(scale % 10);
        let mut text = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: both out-params are live.
        let status = unsafe { timebank_amount_format(minor, scale, &mut text, &mut error) };
        if settle(status, error, "timebank_amount_format") == Status::Ok {
            let printed = message(text);
            let amount = Amount::from_minor(minor, scale).expect("formatted, so valid");
            assert_eq!(printed, amount.to_string());
            // SAFETY: `text` was returned by the library and is freed once.
            unsafe { timebank_string_free(text) };
        } else {
            assert!(text.is_null(), "an out-param written on failure");
        }
    }
}

fn store(plan: &StorePlan) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("timebank-fuzz-cabi-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = CString::new(dir.to_string_lossy().as_bytes()).expect("no NUL in a temp path");
    let policy = plan.policy.as_deref().map(c_string);
    let mut handle: *mut timebank_store = ptr::null_mut();
    let mut error = ptr::null_mut();
    let policy_ptr = policy.as_ref().map_or(ptr::null(), |p| p.as_ptr());
    // SAFETY: the strings are NUL-terminated or NULL; the out-params are live.
    let status = unsafe {
        timebank_store_open(
            path.as_ptr(),
            policy_ptr,
            ptr::null(),
            &mut handle,
            &mut error,
        )
    };
    if settle(status, error, "timebank_store_open") == Status::Ok {
        assert!(!handle.is_null());
        for call in plan.calls.iter().take(8) {
            store_call(handle, call);
        }
        let mut error = ptr::null_mut();
        // SAFETY: `handle` is live until freed below.
        let status = unsafe { timebank_store_close(handle, &mut error) };
        settle(status, error, "timebank_store_close");
        timebank_store_free(handle);
    } else {
        assert!(handle.is_null(), "an out-param written on failure");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn store_call(handle: *mut timebank_store, call: &StoreCall) {
    let mut error = ptr::null_mut();
    match call {
        StoreCall::Transfers(raw, now) => {
            let batch: Vec<timebank_transfer> =
                raw.iter().take(16).map(RawTransfer::binary).collect();
            let mut codes = vec![u16::MAX; batch.len()];
            // SAFETY: `batch` and `codes` hold `batch.len()` elements; `handle` is live.
            let status = unsafe {
                timebank_store_submit_transfers(
                    handle,
                    batch.as_ptr(),
                    batch.len(),
                    *now,
                    codes.as_mut_ptr(),
                    &mut error,
                )
            };
            settle(status, error, "timebank_store_submit_transfers");
        }
        StoreCall::TextTransfers(raw, now) => {
            let texts: Vec<Option<CString>> = raw
                .iter()
                .take(16)
                .map(|(_, t)| t.as_deref().map(c_string))
                .collect();
            let batch: Vec<timebank_transfer_text> = raw
                .iter()
                .zip(&texts)
                .map(|((r, _), text)| {
                    let b = r.binary();
                    timebank_transfer_text {
                        id: b.id,
                        debit_account_id: b.debit_account_id,
                        credit_account_id: b.credit_account_id,
                        related_id: b.related_id,
                        user_data: b.user_data,
                        amount: text.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
                        timeout_s: b.timeout_s,
                        unit: b.unit,
                        code: b.code,
                        flags: b.flags,
                        reserved: b.reserved,
                    }
                })
                .collect();
            let mut codes = vec![u16::MAX; batch.len()];
            // SAFETY: as above; every `amount` is NULL or a live NUL-terminated string.
            let status = unsafe {
                timebank_store_submit_transfers_text(
                    handle,
                    batch.as_ptr(),
                    batch.len(),
                    *now,
                    codes.as_mut_ptr(),
                    &mut error,
                )
            };
            settle(status, error, "timebank_store_submit_transfers_text");
        }
        StoreCall::Status => {
            let mut info = std::mem::MaybeUninit::<timebank_store_info>::uninit();
            // SAFETY: `info` is valid for a write; `handle` is live.
            let status = unsafe { timebank_store_status(handle, info.as_mut_ptr(), &mut error) };
            settle(status, error, "timebank_store_status");
        }
        StoreCall::Expire(now) => {
            let mut expired = 0usize;
            // SAFETY: the out-params are live; `handle` is live.
            let status = unsafe { timebank_store_expire(handle, *now, &mut expired, &mut error) };
            settle(status, error, "timebank_store_expire");
        }
        StoreCall::Verify => {
            let mut report = std::mem::MaybeUninit::uninit();
            // SAFETY: no callback; `report` is valid for a write; `handle` is live.
            let status = unsafe {
                timebank_store_verify(
                    handle,
                    None,
                    ptr::null_mut(),
                    report.as_mut_ptr(),
                    &mut error,
                )
            };
            let status = settle(status, error, "timebank_store_verify");
            assert!(
                matches!(status, Status::Ok | Status::Closed),
                "a store written through the C ABI verifies (or was closed): {status:?}"
            );
        }
        StoreCall::Close => {
            // SAFETY: `handle` is live; closing twice is allowed (later calls say CLOSED).
            let status = unsafe { timebank_store_close(handle, &mut error) };
            settle(status, error, "timebank_store_close");
        }
    }
}

fuzz_target!(|input: Input| {
    amounts(&input);
    if let Some(plan) = &input.store {
        store(plan);
    }
});
