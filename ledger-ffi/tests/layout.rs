//! The public structs as Rust lays them out must be what `tests/c/layout.expected` says, which
//! `ledger-ffi/test.sh` checks against the C compiler's layout of `include/timebank.h` (printed
//! by `tests/c/layout.c`). The Python and Java packages test their mirrors against the same
//! lines, so a field moved on any side fails a test.

use std::fmt::Write;
use std::mem::{offset_of, size_of};

use timebank::*;

/// The size of a field, from an accessor (no value is needed).
fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

macro_rules! layout {
    ($out:ident, $type:ident { $($field:ident),* $(,)? }) => {
        $(
            writeln!(
                $out,
                "{}.{} {} {}",
                stringify!($type),
                stringify!($field),
                offset_of!($type, $field),
                field_size(|v: &$type| &v.$field)
            )
            .unwrap();
        )*
        writeln!($out, "{} sizeof {}", stringify!($type), size_of::<$type>()).unwrap();
    };
}

#[test]
fn rust_layouts_match_the_c_layouts() {
    let mut out = String::new();
    layout!(out, timebank_id { lo, hi });
    layout!(
        out,
        timebank_open_options {
            clock_skew_max_ns,
            flags,
            resident_transfers
        }
    );
    layout!(
        out,
        timebank_account_new {
            id,
            user_data,
            floor_minor,
            ceiling_minor,
            eligible_from,
            community,
            unit,
            kind,
            limits,
        }
    );
    layout!(
        out,
        timebank_account {
            id,
            user_data,
            timestamp,
            eligible_from,
            community,
            unit,
            kind,
            closed,
            floor,
            ceiling,
            debits_pending,
            debits_posted,
            credits_pending,
            credits_posted,
            balance,
            available,
        }
    );
    layout!(
        out,
        timebank_transfer {
            id,
            debit_account_id,
            credit_account_id,
            related_id,
            user_data,
            amount_minor,
            timeout_s,
            unit,
            code,
            flags,
            reserved,
        }
    );
    layout!(
        out,
        timebank_transfer_text {
            id,
            debit_account_id,
            credit_account_id,
            related_id,
            user_data,
            amount,
            timeout_s,
            unit,
            code,
            flags,
            reserved,
        }
    );
    layout!(
        out,
        timebank_transfer_info {
            id,
            debit_account_id,
            credit_account_id,
            related_id,
            user_data,
            reversed_by,
            timestamp,
            timeout_s,
            unit,
            code,
            flags,
            state,
            reserved,
            amount,
        }
    );
    layout!(
        out,
        timebank_statement_line {
            transfer_id,
            counterparty,
            timestamp,
            code,
            reversal,
            reserved,
            amount,
            balance,
        }
    );
    layout!(
        out,
        timebank_statement_page {
            count,
            next_from,
            has_next,
            reserved,
            opening_balance
        }
    );
    layout!(
        out,
        timebank_store_info {
            head_sequence,
            journal_bytes,
            accounts,
            transfers,
            indexed_sequence,
            head_hash,
            state_digest,
        }
    );
    layout!(
        out,
        timebank_verify_report {
            records,
            journal_bytes,
            checkpoints_verified,
            head_sequence,
            macs_checked,
            index_checked,
            reserved,
            head_hash,
            state_digest,
        }
    );
    layout!(
        out,
        timebank_operation_outcome {
            timestamp,
            transfers,
            closed,
            code,
            retried,
            reserved,
        }
    );
    layout!(
        out,
        timebank_attribution {
            operator_id,
            reason,
            has_reason,
            reserved,
        }
    );
    let expected = include_str!("c/layout.expected");
    assert_eq!(
        out, expected,
        "update tests/c/layout.expected from tests/c/layout.c"
    );
}
