/* Prints the layout of every public struct of timebank.h, one "struct.field offset size" line per
 * field and one "struct sizeof size" line per struct, as the C compiler lays them out. The Python
 * and Java packages test their struct mirrors against this output, and ledger-ffi/test.sh checks
 * it against tests/c/layout.expected, which the library's own Rust test checks too. */
#include <stddef.h>
#include <stdio.h>

#include "timebank.h"

#define FIELD(type, field) \
    printf("%s.%s %zu %zu\n", #type, #field, offsetof(type, field), sizeof(((type *)0)->field))
#define SIZE(type) printf("%s sizeof %zu\n", #type, sizeof(type))

int main(void) {
    FIELD(timebank_id, lo);
    FIELD(timebank_id, hi);
    SIZE(timebank_id);

    FIELD(timebank_open_options, clock_skew_max_ns);
    FIELD(timebank_open_options, flags);
    FIELD(timebank_open_options, resident_transfers);
    SIZE(timebank_open_options);

    FIELD(timebank_account_new, id);
    FIELD(timebank_account_new, user_data);
    FIELD(timebank_account_new, floor_minor);
    FIELD(timebank_account_new, ceiling_minor);
    FIELD(timebank_account_new, eligible_from);
    FIELD(timebank_account_new, community);
    FIELD(timebank_account_new, unit);
    FIELD(timebank_account_new, kind);
    FIELD(timebank_account_new, limits);
    SIZE(timebank_account_new);

    FIELD(timebank_account, id);
    FIELD(timebank_account, user_data);
    FIELD(timebank_account, timestamp);
    FIELD(timebank_account, eligible_from);
    FIELD(timebank_account, community);
    FIELD(timebank_account, unit);
    FIELD(timebank_account, kind);
    FIELD(timebank_account, closed);
    FIELD(timebank_account, floor);
    FIELD(timebank_account, ceiling);
    FIELD(timebank_account, debits_pending);
    FIELD(timebank_account, debits_posted);
    FIELD(timebank_account, credits_pending);
    FIELD(timebank_account, credits_posted);
    FIELD(timebank_account, balance);
    FIELD(timebank_account, available);
    SIZE(timebank_account);

    FIELD(timebank_transfer, id);
    FIELD(timebank_transfer, debit_account_id);
    FIELD(timebank_transfer, credit_account_id);
    FIELD(timebank_transfer, related_id);
    FIELD(timebank_transfer, user_data);
    FIELD(timebank_transfer, amount_minor);
    FIELD(timebank_transfer, timeout_s);
    FIELD(timebank_transfer, unit);
    FIELD(timebank_transfer, code);
    FIELD(timebank_transfer, flags);
    FIELD(timebank_transfer, reserved);
    SIZE(timebank_transfer);

    FIELD(timebank_transfer_text, id);
    FIELD(timebank_transfer_text, debit_account_id);
    FIELD(timebank_transfer_text, credit_account_id);
    FIELD(timebank_transfer_text, related_id);
    FIELD(timebank_transfer_text, user_data);
    FIELD(timebank_transfer_text, amount);
    FIELD(timebank_transfer_text, timeout_s);
    FIELD(timebank_transfer_text, unit);
    FIELD(timebank_transfer_text, code);
    FIELD(timebank_transfer_text, flags);
    FIELD(timebank_transfer_text, reserved);
    SIZE(timebank_transfer_text);

    FIELD(timebank_transfer_info, id);
    FIELD(timebank_transfer_info, debit_account_id);
    FIELD(timebank_transfer_info, credit_account_id);
    FIELD(timebank_transfer_info, related_id);
    FIELD(timebank_transfer_info, user_data);
    FIELD(timebank_transfer_info, reversed_by);
    FIELD(timebank_transfer_info, timestamp);
    FIELD(timebank_transfer_info, timeout_s);
    FIELD(timebank_transfer_info, unit);
    FIELD(timebank_transfer_info, code);
    FIELD(timebank_transfer_info, flags);
    FIELD(timebank_transfer_info, state);
    FIELD(timebank_transfer_info, reserved);
    FIELD(timebank_transfer_info, amount);
    SIZE(timebank_transfer_info);

    FIELD(timebank_statement_line, transfer_id);
    FIELD(timebank_statement_line, counterparty);
    FIELD(timebank_statement_line, timestamp);
    FIELD(timebank_statement_line, code);
    FIELD(timebank_statement_line, reversal);
    FIELD(timebank_statement_line, reserved);
    FIELD(timebank_statement_line, amount);
    FIELD(timebank_statement_line, balance);
    SIZE(timebank_statement_line);

    FIELD(timebank_statement_page, count);
    FIELD(timebank_statement_page, next_from);
    FIELD(timebank_statement_page, has_next);
    FIELD(timebank_statement_page, reserved);
    FIELD(timebank_statement_page, opening_balance);
    SIZE(timebank_statement_page);

    FIELD(timebank_store_info, head_sequence);
    FIELD(timebank_store_info, journal_bytes);
    FIELD(timebank_store_info, accounts);
    FIELD(timebank_store_info, transfers);
    FIELD(timebank_store_info, indexed_sequence);
    FIELD(timebank_store_info, head_hash);
    FIELD(timebank_store_info, state_digest);
    SIZE(timebank_store_info);

    FIELD(timebank_verify_report, records);
    FIELD(timebank_verify_report, journal_bytes);
    FIELD(timebank_verify_report, checkpoints_verified);
    FIELD(timebank_verify_report, head_sequence);
    FIELD(timebank_verify_report, macs_checked);
    FIELD(timebank_verify_report, index_checked);
    FIELD(timebank_verify_report, reserved);
    FIELD(timebank_verify_report, head_hash);
    FIELD(timebank_verify_report, state_digest);
    SIZE(timebank_verify_report);

    FIELD(timebank_operation_outcome, timestamp);
    FIELD(timebank_operation_outcome, transfers);
    FIELD(timebank_operation_outcome, closed);
    FIELD(timebank_operation_outcome, code);
    FIELD(timebank_operation_outcome, retried);
    FIELD(timebank_operation_outcome, reserved);
    SIZE(timebank_operation_outcome);

    FIELD(timebank_attribution, operator_id);
    FIELD(timebank_attribution, reason);
    FIELD(timebank_attribution, has_reason);
    FIELD(timebank_attribution, reserved);
    SIZE(timebank_attribution);
    return 0;
}
