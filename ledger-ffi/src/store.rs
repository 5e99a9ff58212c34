//! The store handle: open (or create) a durable ledger, close it, free it; its status,
//! checkpoints, verification and the expiry sweep.
//!
//! A handle is safe to share between threads (the store itself is thread-safe, and concurrent
//! submissions share one group commit); `handle.rs` says how handles are checked, closed and
//! freed without ever dangling.

use std::ffi::{c_char, c_void};
use std::path::Path;

use ledger_core::{Attribution, Command, EventResult, Policy, ResultCode};
use ledger_store::{CheckpointKey, Committed, Progress, Store, StoreOptions};
use ledger_store::{TimeGuard, CLOCK_SKEW_MAX_NS_DEFAULT};

use crate::attribution::{attribution_arg, timebank_attribution};
use crate::boundary;
use crate::callback::{self, Stop};
use crate::handle::{self, timebank_store, OpenStore};
use crate::pointer;
use crate::status::{Error, Status};

/// The length of a checkpoint key: 32 secret bytes, kept outside the data directory.
pub const TIMEBANK_CHECKPOINT_KEY_BYTES: usize = 32;

impl OpenStore<'_> {
    /// Submits one command on behalf of `who` (journaled with it). A batch error (empty, too
    /// large) is `INVALID_ARGUMENT`, a `now` the time guard refuses `INVALID_TIME` (nothing
    /// written either way), and a failed write or sync `OUTCOME_UNKNOWN`: the command's record
    /// may or may not be durable.
    pub(crate) fn run_by(
        &self,
        command: Command,
        who: Attribution,
        now: u64,
    ) -> Result<Committed, Error> {
        Ok(self.submit_by(command, who, now_or_clock(now))?)
    }
}

/// `now`, or the system clock's time when the host passed 0.
pub(crate) fn now_or_clock(now: u64) -> u64 {
    if now != 0 {
        return now;
    }
    ledger_store::time_guard::system_clock_ns().max(1)
}

/// The first event result that is neither `ok` nor `exists`, as a refusal; in a linked chain the
/// event that failed is named, not the ones failed with it.
pub(crate) fn refusal(results: &[EventResult]) -> Result<(), Error> {
    let failed = |r: &&EventResult| !matches!(r.code, ResultCode::Ok | ResultCode::Exists);
    let first = results
        .iter()
        .filter(failed)
        .find(|r| r.code != ResultCode::LinkedEventFailed)
        .or_else(|| results.iter().find(failed));
    match first {
        Some(result) => Err(Error::refused(result.code)),
        None => Ok(()),
    }
}

pub(crate) fn parse_policy(text: &str) -> Result<Policy, Error> {
    // JSON starts with '{'; anything else is read as TOML.
    let parsed = if text.trim_start().starts_with('{') {
        Policy::from_json(text)
    } else {
        Policy::from_toml(text)
    };
    parsed.map_err(|e| Error::invalid(format!("policy: {e}")))
}

fn open_or_create(
    dir: &Path,
    policy: Option<Policy>,
    options: StoreOptions,
) -> Result<Store, Error> {
    match Store::open(dir, options.clone()) {
        Ok(store) => {
            if let Some(wanted) = policy {
                let same = store.read(|l| ledger_core::timebank::policy(l) == Some(&wanted));
                if !same {
                    return Err(Error::invalid(format!(
                        "the ledger in {} was created under another policy",
                        dir.display()
                    )));
                }
            }
            Ok(store)
        }
        Err(ledger_store::Error::NotFound(_)) => {
            let policy = policy.unwrap_or_else(Policy::default_policy);
            // The creation time is journaled; the host passes no time to open, so it is the clock.
            Ok(Store::create(dir, &policy, now_or_clock(0), options)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// `timebank_open_options.flags`: accept any `now` (the time guard off), for simulations that
/// run ahead of the clock. Never for a live ledger: one wrong `now` then stamps every later
/// event with it.
pub const TIMEBANK_OPEN_ANY_TIME: u32 = 1;
/// Every flag `timebank_open_options.flags` knows.
const OPEN_FLAGS_ALL: u32 = TIMEBANK_OPEN_ANY_TIME;

/// How to open a store (`timebank_store_open_with_options`). All zero is the default: zero the
/// whole struct and set the fields wanted (`= {.flags = TIMEBANK_OPEN_ANY_TIME}`, `= {0}` or
/// `memset`), so that a field added in a later version starts at its default.
///
/// The time guard: every write's `now` (after 0 is replaced by the system clock) must be at most
/// `clock_skew_max_ns` ahead of the system clock and at most as much before the ledger's
/// creation; otherwise the call returns `TIMEBANK_STATUS_INVALID_TIME` and nothing is written, not even a
/// journal record. Creating a ledger runs at the system clock.
///
/// Memory: `resident_transfers` bounds the transfers the open store keeps in memory. It sits
/// where the struct had 4 bytes of padding after `flags`: the size (16) and the other fields'
/// offsets are unchanged.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct timebank_open_options {
    /// How far ahead of the system clock a `now` may be, in nanoseconds; 0 for the default,
    /// 5 minutes (300000000000).
    pub clock_skew_max_ns: u64,
    /// `TIMEBANK_OPEN_*` bits; any other bit is `TIMEBANK_STATUS_INVALID_ARGUMENT`.
    pub flags: u32,
    /// How many of the newest transfers the store keeps in memory; 0 (the default) keeps every
    /// transfer. With n > 0, every max(n, 4096) transfers written the store moves the older
    /// settled ones (holds still pending stay) to its index and loads back those a later call
    /// names, so memory is bounded by the accounts, the pending holds and n rather than by the
    /// history. Operations, failed ids and ratings likewise: beyond n + max(n, 4096) of a kind in
    /// memory, all but the newest n go to the index, and a retry or `timebank_store_operation`
    /// finds them there. Every answer is the same either way; a ledger written with one setting opens
    /// with any other (docs/FORMAT.md §16.4).
    pub resident_transfers: u32,
}

impl timebank_open_options {
    fn time_guard(&self) -> Result<TimeGuard, Error> {
        if self.flags & !OPEN_FLAGS_ALL != 0 {
            return Err(Error::invalid(format!(
                "options.flags: unknown bits {:#x}",
                self.flags & !OPEN_FLAGS_ALL
            )));
        }
        if self.flags & TIMEBANK_OPEN_ANY_TIME != 0 {
            return Ok(TimeGuard::AnyTime);
        }
        Ok(TimeGuard::WallClock {
            clock_skew_max_ns: match self.clock_skew_max_ns {
                0 => CLOCK_SKEW_MAX_NS_DEFAULT,
                skew => skew,
            },
        })
    }

    /// `resident_transfers` for the store: `None` (keep everything) for 0. Every value of the
    /// `uint32_t` is valid (a usize holds it: checked below at compile time).
    fn resident_transfers(&self) -> Option<usize> {
        const _: () = assert!(usize::BITS >= u32::BITS);
        match self.resident_transfers {
            0 => None,
            n => Some(n as usize),
        }
    }
}

/// Opens the ledger in the directory `path`, creating it (and the directory) when there is none,
/// with the default options (the time guard on, 5 minutes of clock skew): as
/// `timebank_store_open_with_options` with `options` NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// As for `timebank_store_open_with_options`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_open(
    path: *const c_char,
    policy: *const c_char,
    checkpoint_key: *const u8,
    store_out: *mut *mut timebank_store,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the same contract.
    unsafe {
        timebank_store_open_with_options(
            path,
            policy,
            checkpoint_key,
            std::ptr::null(),
            store_out,
            error_out,
        )
    }
}

/// Opens the ledger in the directory `path`, creating it (and the directory) when there is none.
///
/// `policy` is the policy as TOML or JSON text (JSON when it starts with `{`), or NULL for the
/// default policy (hours with 2 decimals, whole points, the default codes). For an existing
/// ledger, a given policy must equal the one it was created with (amendments aside: see
/// `timebank_store_amend_policy`). `checkpoint_key` is NULL or
/// points to `TIMEBANK_CHECKPOINT_KEY_BYTES` secret bytes that authenticate checkpoints.
/// `options` is NULL for the defaults, or see `timebank_open_options` (the time guard, and how
/// many transfers stay in memory).
///
/// On success `*store_out` is a new handle; free it with `timebank_store_free`. A handle is a
/// checked token, not an address: a freed or never-made one is `TIMEBANK_STATUS_INVALID_HANDLE`
/// in every call. Errors: `INVALID_ARGUMENT` (empty path, bad policy, another policy than the
/// ledger's, unknown option flags), `BUSY` (the ledger is already open, in this process or
/// another, or 65536 stores are open in this process), `DAMAGED` (the journal does not verify),
/// `IO`.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `path` and `policy` are NULL or NUL-terminated strings; `checkpoint_key` is NULL or points to
/// 32 readable bytes; `options` is NULL or points to one `timebank_open_options`; `store_out` is
/// NULL or valid for a write of one pointer; `error_out` is NULL or valid for a write of one
/// `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_open_with_options(
    path: *const c_char,
    policy: *const c_char,
    checkpoint_key: *const u8,
    options: *const timebank_open_options,
    store_out: *mut *mut timebank_store,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers every pointer read here.
        let path = unsafe { pointer::str_arg(path, "path") }?;
        // SAFETY: as above.
        let policy = unsafe { pointer::optional_str_arg(policy, "policy") }?;
        // SAFETY: as above.
        let key = unsafe { pointer::optional_array_arg::<u8, 32>(checkpoint_key) };
        // SAFETY: as above.
        let options = unsafe { pointer::optional_ref_arg(options) }
            .copied()
            .unwrap_or_default();
        // SAFETY: as above.
        let store_out = unsafe { pointer::out_arg(store_out, "store_out") }?;
        if path.is_empty() {
            return Err(Error::invalid("path must not be empty"));
        }
        let mut store_options = StoreOptions::default().time_guard(options.time_guard()?);
        if let Some(keep) = options.resident_transfers() {
            store_options = store_options.resident_transfers(keep);
        }
        let policy = policy.map(parse_policy).transpose()?;
        if let Some(key) = key {
            let key: CheckpointKey = *key;
            store_options = store_options.checkpoint_key(key);
        }
        let store = open_or_create(Path::new(path), policy, store_options)?;
        store_out.write(handle::register(store)?);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Closes the store: new calls on the handle return `TIMEBANK_STATUS_CLOSED` at once, a verify
/// in flight stops at its next progress report (returning `CLOSED`), other calls in flight on
/// other threads are waited for; then every acknowledged command is made durable and the
/// directory is released. The handle stays valid: later calls on it return `CLOSED`, and
/// `timebank_store_free` releases it. Closing twice is OK.
///
/// Errors: `REENTRANT` when called from inside one of this store's callbacks (it would wait for
/// itself; nothing is closed); `INVALID_HANDLE`; `IO`.
///
/// Thread safety: may be called while other threads use the handle (it waits for them).
///
/// # Safety
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_close(
    store: *const timebank_store,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || handle::enter(store)?.close();
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Releases the handle, closing the store if it is open. NULL, a freed handle and a never-made
/// one do nothing. While a call on the handle is in flight (on another thread, or this one when
/// freed from inside a callback) the store stays open until that call returns; the handle is
/// invalid at once either way.
///
/// Thread safety: may be called from any thread, also while other threads use the handle.
#[no_mangle]
pub extern "C" fn timebank_store_free(store: *mut timebank_store) {
    boundary::call_or((), || {
        handle::unregister(store);
    })
}

/// The store's head and state.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_store_info {
    /// The last durable journal record.
    pub head_sequence: u64,
    /// The journal's records in bytes, every segment's (segment headers not counted).
    pub journal_bytes: u64,
    /// Accounts in the ledger after the head (closed ones included).
    pub accounts: u64,
    /// Transfers in the ledger after the head, in every state (a post or void is one of its own).
    pub transfers: u64,
    /// The journal record the sled index reflects.
    pub indexed_sequence: u64,
    /// The head record's hash.
    pub head_hash: [u8; 32],
    /// The digest of the ledger's whole state: equal digests, equal ledgers.
    pub state_digest: [u8; 32],
}

/// Writes the store's head, counts and state digest to `*info_out`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `info_out` is NULL or valid for a write of one
/// `timebank_store_info`; `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_status(
    store: *const timebank_store,
    info_out: *mut timebank_store_info,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `info_out`.
        let out = unsafe { pointer::out_arg(info_out, "info_out") }?;
        let s = store.status();
        out.write(timebank_store_info {
            head_sequence: s.head_sequence,
            journal_bytes: s.journal_bytes,
            accounts: s.accounts as u64,
            transfers: s.transfers as u64,
            indexed_sequence: s.indexed_sequence,
            head_hash: s.head_hash,
            state_digest: s.state_digest,
        });
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Journals a checkpoint of the current head and state, authenticated with the checkpoint key,
/// and writes its text (one line to publish) to `*text_out`, freed with `timebank_string_free`.
///
/// Errors: `INVALID_ARGUMENT` when the store was opened without a checkpoint key; `IO`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `text_out` and `error_out` are NULL or valid for a write of
/// one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_checkpoint(
    store: *const timebank_store,
    text_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `text_out`.
        let out = unsafe { pointer::out_arg(text_out, "text_out") }?;
        let checkpoint = store.checkpoint()?;
        out.write(pointer::owned_string(&checkpoint.to_text()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Called during `timebank_store_verify` with the records checked so far and in all (the
/// journal is read as it is replayed, so until the last call `records_total` is an estimate
/// from the bytes read; the last call has the two equal), on the thread that called verify.
/// Return 0 to go on; any other value stops the verification, which
/// then returns `TIMEBANK_STATUS_CANCELLED` (verification changes nothing either way). A call
/// on the same store from inside the callback returns `TIMEBANK_STATUS_REENTRANT`; calls on
/// other stores are allowed.
pub type timebank_progress_fn = Option<
    unsafe extern "C" fn(context: *mut c_void, records_done: u64, records_total: u64) -> i32,
>;

/// What `timebank_store_verify` checked.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_verify_report {
    /// Records verified, genesis included.
    pub records: u64,
    /// The journal's records in bytes, every segment's (segment headers not counted).
    pub journal_bytes: u64,
    /// Checkpoints whose state digest was checked (and MAC, when the store has the key).
    pub checkpoints_verified: u64,
    /// The last verified record's sequence number.
    pub head_sequence: u64,
    /// 1 when checkpoint MACs were checked (the store has the key).
    pub macs_checked: u8,
    /// 1 when the sled index was compared with the replayed state.
    pub index_checked: u8,
    /// Padding, always written as zero.
    pub reserved: [u8; 6],
    /// The last verified record's hash.
    pub head_hash: [u8; 32],
    /// The state digest after replaying every record.
    pub state_digest: [u8; 32],
}

/// Verifies the whole store: every checksum, link and sequence number of the journal, every
/// checkpoint, the replayed state against the live one, and the index against it. Calls
/// `progress` (when not NULL) with `context` as it goes, on the calling thread (see
/// `timebank_progress_fn`).
///
/// Errors: `DAMAGED`, with a message naming the first bad record and why; `CANCELLED` when the
/// callback returned non-zero; `CLOSED` when `timebank_store_close` started on another thread
/// meanwhile (the verification stops at its next progress report); `IO`.
///
/// Thread safety: `store` may be used from several threads at once (commits pause only while
/// the index is compared).
///
/// # Safety
/// `store` is NULL or a live handle; `progress` is NULL or a function safe to call with
/// `context`; `report_out` is NULL or valid for a write of one `timebank_verify_report`;
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_verify(
    store: *const timebank_store,
    progress: timebank_progress_fn,
    context: *mut c_void,
    report_out: *mut timebank_verify_report,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `report_out`.
        let out = unsafe { pointer::out_arg(report_out, "report_out") }?;
        let mut report_progress = |p: Progress| {
            if call.closing() {
                callback::stop(Stop::Closing);
            }
            if let Some(callback) = progress {
                // SAFETY: the caller guarantees `progress` may be called with `context`.
                if unsafe { callback(context, p.records_done, p.records_total) } != 0 {
                    callback::stop(Stop::Cancelled);
                }
            }
        };
        let r = callback::stoppable(|| Ok(store.verify(&mut report_progress)?))?;
        out.write(timebank_verify_report {
            records: r.records,
            journal_bytes: r.journal_bytes,
            checkpoints_verified: r.checkpoints_verified,
            head_sequence: r.head_sequence,
            macs_checked: u8::from(r.macs_checked),
            index_checked: u8::from(r.index_checked),
            reserved: [0; 6],
            head_hash: r.head_hash,
            state_digest: r.state_digest,
        });
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Releases every pending transfer (booking) whose timeout has passed at `now` (nanoseconds
/// since the Unix epoch; 0 for the system clock), and runs the policy's expiry sweeps. Writes
/// how many holds were released to `*expired_out`.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `expired_out` is NULL or valid for a write of one `uint64_t`;
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_expire(
    store: *const timebank_store,
    now: u64,
    expired_out: *mut u64,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers every argument; no attribution.
    unsafe { timebank_store_expire_by(store, std::ptr::null(), now, expired_out, error_out) }
}

/// As `timebank_store_expire`, on behalf of `by` (NULL: no operator, no reason; see
/// `timebank_attribution`): both are journaled with the command and kept for its events.
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// As for `timebank_store_expire`; `by` is NULL or points to one `timebank_attribution`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_expire_by(
    store: *const timebank_store,
    by: *const timebank_attribution,
    now: u64,
    expired_out: *mut u64,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `expired_out`.
        let out = unsafe { pointer::out_arg(expired_out, "expired_out") }?;
        // SAFETY: the contract above covers `by`.
        let who = unsafe { attribution_arg(by) }?;
        let committed = store.run_by(Command::Expire, who, now)?;
        let expired = match committed.reply {
            ledger_core::Reply::Expired(ids) => ids.len(),
            ledger_core::Reply::Events(_) => 0,
        };
        out.write(expired as u64);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

// The layouts are part of the ABI: the Python and Java packages mirror them byte for byte.
const _: () = assert!(std::mem::size_of::<timebank_store_info>() == 104);
const _: () = assert!(std::mem::size_of::<timebank_verify_report>() == 104);
