//! Account statements: posted movements with a running balance, a page at a time.

use std::ffi::c_char;

use ledger_core::report::STATEMENT_PAGE_MAX;

use crate::boundary;
use crate::decimal::{field, TIMEBANK_DECIMAL_BYTES};
use crate::handle;
use crate::handle::timebank_store;
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};

/// One posted movement of an account.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_statement_line {
    /// The transfer that moved the balance.
    pub transfer_id: timebank_id,
    /// The account on the other side.
    pub counterparty: timebank_id,
    /// When the ledger recorded it (nanoseconds since the Unix epoch).
    pub timestamp: u64,
    /// The transfer's code.
    pub code: u16,
    /// 1 when this movement reverses an earlier one.
    pub reversal: u8,
    /// Padding, always written as zero.
    pub reserved: [u8; 5],
    /// Positive for a credit to the account, negative for a debit (plain decimal text).
    pub amount: [c_char; TIMEBANK_DECIMAL_BYTES],
    /// The posted balance after this movement.
    pub balance: [c_char; TIMEBANK_DECIMAL_BYTES],
}

/// Where a statement page sits.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct timebank_statement_page {
    /// Lines written to `lines_out`.
    pub count: u64,
    /// The `from` of the next page (valid when `has_next` is 1).
    pub next_from: u64,
    /// 1 when another page follows, 0 on the last page.
    pub has_next: u8,
    /// Padding, always written as zero.
    pub reserved: [u8; 7],
    /// The balance before the page's first line.
    pub opening_balance: [c_char; TIMEBANK_DECIMAL_BYTES],
}

/// Writes lines `from .. from + capacity` of the statement of `account` (its posted movements in
/// the order applied, oldest first, with a running balance) to `lines_out`, and where the page
/// sits to `*page_out`. `capacity` is 1 to 1000.
///
/// The lines are read from the store's index (FORMAT.md §10), which the call first waits for
/// until it reflects every record durable when the call began (it never waits for a sync).
///
/// Errors: `NOT_FOUND` for an unknown account; `INVALID_ARGUMENT` for a zero id or a capacity
/// out of range; `IO` when the index fails (reopening the store rebuilds it).
///
/// Thread safety: `store` may be used from several threads at once.
///
/// # Safety
/// `store` is NULL or a live handle; `account` is NULL or points to one `timebank_id`;
/// `lines_out` is NULL or valid for writes of `capacity` lines; `page_out` is NULL or valid for a
/// write of one `timebank_statement_page`; `error_out` is NULL or valid for a write of one
/// `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_store_statement(
    store: *const timebank_store,
    account: *const timebank_id,
    from: u64,
    lines_out: *mut timebank_statement_line,
    capacity: u64,
    page_out: *mut timebank_statement_page,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let store = call.open()?;
        // SAFETY: the contract above covers `account`.
        let account = unsafe { pointer::ref_arg(account, "account") }?.account("account")?;
        let capacity = match usize::try_from(capacity) {
            Ok(c) if (1..=STATEMENT_PAGE_MAX).contains(&c) => c,
            _ => {
                return Err(Error::invalid(format!(
                    "capacity must be 1 to {STATEMENT_PAGE_MAX}, not {capacity}"
                )))
            }
        };
        // A start past any history (even past what `size_t` holds) is an empty page.
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        // SAFETY: the contract above covers `lines_out` and `capacity`.
        let lines_out = unsafe { pointer::slice_out(lines_out, capacity, "lines_out") }?;
        // SAFETY: the contract above covers `page_out`.
        let page_out = unsafe { pointer::out_arg(page_out, "page_out") }?;
        // An unknown account is NOT_FOUND (see the `From` of the store's errors).
        let page = store.statement(account, from, capacity)?;
        let scale = store.read(|l| l.unit(page.unit).map_or(0, |u| u.scale));
        for (slot, line) in lines_out.iter_mut().zip(&page.lines) {
            *slot = timebank_statement_line {
                transfer_id: line.transfer.into(),
                counterparty: line.counterparty.into(),
                timestamp: line.timestamp,
                code: line.code,
                reversal: u8::from(line.reversal),
                reserved: [0; 5],
                amount: field(line.amount, scale),
                balance: field(line.balance, scale),
            };
        }
        page_out.write(timebank_statement_page {
            count: page.lines.len() as u64,
            next_from: page.next.unwrap_or(0) as u64,
            has_next: u8::from(page.next.is_some()),
            reserved: [0; 7],
            opening_balance: field(page.opening_balance, scale),
        });
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

// The layouts are part of the ABI: the Python and Java packages mirror them byte for byte.
const _: () = assert!(std::mem::size_of::<timebank_statement_line>() == 144);
const _: () = assert!(std::mem::size_of::<timebank_statement_page>() == 72);
