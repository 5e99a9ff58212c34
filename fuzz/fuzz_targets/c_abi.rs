//! The C ABI of `ledger-ffi` on arbitrary bytes and strings, called as a C host would: strings
//! that are not UTF-8, NULL pointers, scales and ids out of range, transfer structs with any
//! field values, calls on closed, freed and forged handles, batch counts above the maximum with
//! a short array, and clock values from the plausible to 2^64 - 1. No call may crash or report
//! `TIMEBANK_STATUS_PANIC` (a bug caught at the boundary); out-params are written only on
//! success; a successful amount parse agrees with `Amount::parse_in`; a forged or freed handle is
//! `INVALID_HANDLE`; an oversized count is `INVALID_ARGUMENT` before anything is read; a retried
//! operation that succeeds again gets the first outcome; under the
//! time guard an implausible `now` is never accepted and a refused one leaves the journal head
//! where it was; every returned string is freed with the library's own free function.
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
    /// Handle values no open call ever returned (no store is open while they are tried).
    forged_handles: Vec<usize>,
    /// A store is opened (it is slow: a directory and an index) for one input in a few.
    store: Option<StorePlan>,
}

#[derive(Arbitrary, Debug)]
struct StorePlan {
    policy: Option<Vec<u8>>,
    /// Opened with `TIMEBANK_OPEN_ANY_TIME` (the time guard off), or with the guard and this
    /// skew in seconds (0: the default).
    any_time: bool,
    skew_s: u16,
    calls: Vec<StoreCall>,
}

#[derive(Arbitrary, Debug)]
enum StoreCall {
    Transfers(Vec<RawTransfer>, Clock),
    TextTransfers(Vec<(RawTransfer, Option<Vec<u8>>)>, Clock),
    /// A count above the batch maximum (at least 8191, up to `SIZE_MAX`) with a one-element
    /// array: refused before anything is read.
    OversizedBatch(RawTransfer, u64),
    /// A service as one operation (`timebank_store_operate_service`) with any ids, code, hours
    /// text, `served_at` and attribution (its `has_reason` byte as given); sent twice when
    /// `retry`: a second success must be the first outcome.
    Service {
        ids: [u8; 4],
        code: u16,
        hours: Vec<u8>,
        served_at: Clock,
        by: Option<(u64, u32, u8)>,
        clock: Clock,
        retry: bool,
    },
    /// Accounts closed by `timebank_store_close_accounts`: up to 16, or a count above the batch
    /// maximum with that short array (refused before anything is read).
    CloseAccounts(Vec<u8>, Option<u64>, Clock),
    Status,
    Expire(Clock),
    Verify {
        cancel: bool,
    },
    Close,
    /// Freed: every later call on the handle must say `INVALID_HANDLE`.
    Free,
}

/// A `now` as hosts get it wrong and right.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Clock {
    /// 0: the system clock.
    System,
    /// The wall clock moved by a number of seconds (a host's small skew, or minutes off).
    Wall(i16),
    MinusOne,
    TwoToThe63,
    /// Nanoseconds multiplied by 1000 (wrapping, as in C).
    NanosTimes1000,
    Raw(u64),
}

impl Clock {
    fn ns(self) -> u64 {
        let wall = wall_clock_ns();
        match self {
            Clock::System => 0,
            Clock::Wall(s) => wall.wrapping_add_signed(i64::from(s) * 1_000_000_000),
            Clock::MinusOne => u64::MAX,
            Clock::TwoToThe63 => 1 << 63,
            Clock::NanosTimes1000 => wall.wrapping_mul(1000),
            Clock::Raw(n) => n,
        }
    }
}

fn wall_clock_ns() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_nanos() as u64)
}

/// Whether the time guard with `skew_ns` must refuse `now`: more than the skew ahead of the
/// clock (read after the call, so a value the guard accepted is never counted here), or so far
/// before any ledger made in this run that no creation time could excuse it.
fn implausible(now: u64, skew_ns: u64) -> bool {
    now != 0 && (now > wall_clock_ns().saturating_add(skew_ns) || now < 1_700_000_000_000_000_000)
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
            // The same amount, written at the scale: exactly `scale` decimals.
            assert_eq!(
                Amount::parse_in(&printed, scale).ok(),
                Some(amount),
                "{printed}"
            );
            let decimals = printed.split_once('.').map_or(0, |(_, d)| d.len());
            assert_eq!(decimals, scale as usize, "{printed} at scale {scale}");
            // SAFETY: `text` was returned by the library and is freed once.
            unsafe { timebank_string_free(text) };
        } else {
            assert!(text.is_null(), "an out-param written on failure");
        }
    }
}

/// Handle values no open call returned: `INVALID_HANDLE` (or `NULL_POINTER` for 0), never a read.
fn forged_handles(input: &Input) {
    for &token in input.forged_handles.iter().take(8) {
        let handle: *const timebank_store = ptr::without_provenance(token);
        let mut info = std::mem::MaybeUninit::<timebank_store_info>::uninit();
        let mut error = ptr::null_mut();
        // SAFETY: the library never dereferences a handle; `info` and `error` are live.
        let status = unsafe { timebank_store_status(handle, info.as_mut_ptr(), &mut error) };
        let status = settle(status, error, "timebank_store_status(forged)");
        let expected = if token == 0 {
            Status::NullPointer
        } else {
            Status::InvalidHandle
        };
        assert_eq!(status, expected, "handle {token:#x}");
        timebank_store_free(handle.cast_mut());
    }
}

/// The journal head, or `None` when the handle is no longer usable.
fn head(handle: *mut timebank_store) -> Option<u64> {
    let mut info = std::mem::MaybeUninit::<timebank_store_info>::uninit();
    let mut error = ptr::null_mut();
    // SAFETY: `info` and `error` are live; a handle is a checked token.
    let status = unsafe { timebank_store_status(handle, info.as_mut_ptr(), &mut error) };
    // SAFETY: written, since the call succeeded.
    (settle(status, error, "timebank_store_status") == Status::Ok)
        .then(|| unsafe { info.assume_init() }.head_sequence)
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
    let skew_ns = match plan.skew_s {
        0 => 300_000_000_000,
        s => u64::from(s) * 1_000_000_000,
    };
    let options = timebank_open_options {
        clock_skew_max_ns: u64::from(plan.skew_s) * 1_000_000_000,
        flags: if plan.any_time {
            TIMEBANK_OPEN_ANY_TIME
        } else {
            0
        },
        resident_transfers: 0,
    };
    // SAFETY: the strings are NUL-terminated or NULL; the options and out-params are live.
    let status = unsafe {
        timebank_store_open_with_options(
            path.as_ptr(),
            policy_ptr,
            ptr::null(),
            &options,
            &mut handle,
            &mut error,
        )
    };
    if settle(status, error, "timebank_store_open") == Status::Ok {
        assert!(!handle.is_null());
        let guard = (!plan.any_time).then_some(skew_ns);
        let mut freed = false;
        for call in plan.calls.iter().take(8) {
            let before = head(handle);
            let (status, now) = store_call(handle, call);
            if freed && !matches!(call, StoreCall::Free) {
                assert_eq!(status, Status::InvalidHandle, "a call on a freed handle");
            }
            freed |= matches!(call, StoreCall::Free);
            if let (Some(skew), Some(now)) = (guard, now) {
                if implausible(now, skew) {
                    assert_ne!(status, Status::Ok, "the guard accepted now = {now}");
                }
            }
            if status == Status::InvalidTime {
                assert_eq!(head(handle), before, "a refused time wrote a record");
            }
        }
        let mut error = ptr::null_mut();
        // SAFETY: a handle is a checked token (closing a freed one is INVALID_HANDLE).
        let status = unsafe { timebank_store_close(handle, &mut error) };
        settle(status, error, "timebank_store_close");
        timebank_store_free(handle);
    } else {
        assert!(handle.is_null(), "an out-param written on failure");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Makes one call; returns its status and the `now` it passed, if any.
fn store_call(handle: *mut timebank_store, call: &StoreCall) -> (Status, Option<u64>) {
    let mut error = ptr::null_mut();
    match call {
        StoreCall::Transfers(raw, clock) => {
            let now = clock.ns();
            let batch: Vec<timebank_transfer> =
                raw.iter().take(16).map(RawTransfer::binary).collect();
            let mut codes = vec![u16::MAX; batch.len()];
            // SAFETY: `batch` and `codes` hold `batch.len()` elements; `handle` is live.
            let status = unsafe {
                timebank_store_submit_transfers(
                    handle,
                    batch.as_ptr(),
                    batch.len() as u64,
                    now,
                    codes.as_mut_ptr(),
                    &mut error,
                )
            };
            (
                settle(status, error, "timebank_store_submit_transfers"),
                Some(now),
            )
        }
        StoreCall::TextTransfers(raw, clock) => {
            let now = clock.ns();
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
                    batch.len() as u64,
                    now,
                    codes.as_mut_ptr(),
                    &mut error,
                )
            };
            (
                settle(status, error, "timebank_store_submit_transfers_text"),
                Some(now),
            )
        }
        StoreCall::OversizedBatch(raw, count) => {
            let one = raw.binary();
            let count = (*count).max(TIMEBANK_BATCH_MAX as u64 + 1);
            let mut code = u16::MAX;
            // SAFETY: the arrays hold one element; the contract's count check comes before any
            // read (AddressSanitizer would catch a read past them).
            let status = unsafe {
                timebank_store_submit_transfers(handle, &one, count, 0, &mut code, &mut error)
            };
            let status = settle(status, error, "timebank_store_submit_transfers(oversized)");
            assert!(
                matches!(
                    status,
                    Status::InvalidArgument | Status::Closed | Status::InvalidHandle
                ),
                "count {count}: {status:?}"
            );
            assert_eq!(code, u16::MAX, "an out-param written on failure");
            (status, None)
        }
        StoreCall::Service {
            ids,
            code,
            hours,
            served_at,
            by,
            clock,
            retry,
        } => {
            let now = clock.ns();
            let [id, payer, provider, donation] = ids.map(RawTransfer::id);
            let hours = c_string(hours);
            let by = by.map(|(operator_id, reason, has_reason)| timebank_attribution {
                operator_id,
                reason,
                has_reason,
                reserved: [0; 3],
            });
            let by_ptr = by.as_ref().map_or(ptr::null(), |b| b as *const _);
            let served_at = served_at.ns();
            let send = || {
                let mut outcome = timebank_operation_outcome {
                    code: u16::MAX,
                    ..Default::default()
                };
                let mut error = ptr::null_mut();
                // SAFETY: every pointer is live for the call; a handle is a checked token.
                let status = unsafe {
                    timebank_store_operate_service(
                        handle,
                        &id,
                        *code,
                        &payer,
                        &provider,
                        hours.as_ptr(),
                        &donation,
                        served_at,
                        by_ptr,
                        now,
                        &mut outcome,
                        &mut error,
                    )
                };
                let status = settle(status, error, "timebank_store_operate_service");
                if status != Status::Ok {
                    assert_eq!(outcome.code, u16::MAX, "an out-param written on failure");
                }
                (status, outcome)
            };
            let (status, first) = send();
            if *retry && status == Status::Ok {
                let (again, second) = send();
                if again == Status::Ok {
                    assert_eq!(second.retried, 1, "a retry is answered from the record");
                    assert_eq!(
                        (second.timestamp, second.transfers),
                        (first.timestamp, first.transfers),
                        "a retry gets the first outcome"
                    );
                }
            }
            (status, Some(now))
        }
        StoreCall::CloseAccounts(accounts, oversized, clock) => {
            let now = clock.ns();
            let ids: Vec<timebank_id> = accounts
                .iter()
                .take(16)
                .map(|b| RawTransfer::id(*b))
                .collect();
            let count = match oversized {
                Some(n) => (*n).max(TIMEBANK_BATCH_MAX as u64 + 1),
                None => ids.len() as u64,
            };
            let mut codes = vec![u16::MAX; ids.len()];
            // SAFETY: `ids` and `codes` hold `ids.len()` elements; an oversized count is refused
            // before any element is read (AddressSanitizer would catch a read past them).
            let status = unsafe {
                timebank_store_close_accounts(
                    handle,
                    ids.as_ptr(),
                    count,
                    ptr::null(),
                    now,
                    codes.as_mut_ptr(),
                    &mut error,
                )
            };
            let status = settle(status, error, "timebank_store_close_accounts");
            if oversized.is_some() || ids.is_empty() {
                assert!(
                    matches!(
                        status,
                        Status::InvalidArgument | Status::Closed | Status::InvalidHandle
                    ),
                    "count {count}: {status:?}"
                );
                assert!(
                    codes.iter().all(|c| *c == u16::MAX),
                    "an out-param written on failure"
                );
                return (status, None);
            }
            (status, Some(now))
        }
        StoreCall::Status => {
            let mut info = std::mem::MaybeUninit::<timebank_store_info>::uninit();
            // SAFETY: `info` is valid for a write; a handle is a checked token.
            let status = unsafe { timebank_store_status(handle, info.as_mut_ptr(), &mut error) };
            (settle(status, error, "timebank_store_status"), None)
        }
        StoreCall::Expire(clock) => {
            let now = clock.ns();
            let mut expired = 0u64;
            // SAFETY: the out-params are live; a handle is a checked token.
            let status = unsafe { timebank_store_expire(handle, now, &mut expired, &mut error) };
            (settle(status, error, "timebank_store_expire"), Some(now))
        }
        StoreCall::Verify { cancel } => {
            let mut report = std::mem::MaybeUninit::uninit();
            let progress: timebank_progress_fn = if *cancel { Some(stop) } else { None };
            // SAFETY: the callback takes no context; `report` is valid for a write.
            let status = unsafe {
                timebank_store_verify(
                    handle,
                    progress,
                    ptr::null_mut(),
                    report.as_mut_ptr(),
                    &mut error,
                )
            };
            let status = settle(status, error, "timebank_store_verify");
            let expected = if *cancel {
                Status::Cancelled
            } else {
                Status::Ok
            };
            assert!(
                matches!(status, Status::Closed | Status::InvalidHandle) || status == expected,
                "a store written through the C ABI verifies (or was closed): {status:?}"
            );
            (status, None)
        }
        StoreCall::Close => {
            // SAFETY: closing twice is allowed (later calls say CLOSED).
            let status = unsafe { timebank_store_close(handle, &mut error) };
            (settle(status, error, "timebank_store_close"), None)
        }
        StoreCall::Free => {
            timebank_store_free(handle);
            (Status::Ok, None)
        }
    }
}

/// A progress callback that asks to stop.
unsafe extern "C" fn stop(_context: *mut std::ffi::c_void, _done: u64, _total: u64) -> i32 {
    1
}

fuzz_target!(|input: Input| {
    amounts(&input);
    forged_handles(&input);
    if let Some(plan) = &input.store {
        store(plan);
    }
});
