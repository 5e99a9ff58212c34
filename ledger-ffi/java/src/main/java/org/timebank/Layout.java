package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The byte layouts of timebank.h's structs (little-endian, 64-bit), read and written directly.
 * Every offset the package uses is a named constant here, declared with its size; {@link
 * #fields()} lists them all, and a test compares that list field by field with {@code offsetof}
 * and {@code sizeof} from a compiled C program ({@code ledger-ffi/tests/c/layout.c}), so the two
 * cannot drift apart.
 */
final class Layout {
    /** One field of a C struct: where it starts and how many bytes it takes. */
    static final class Field {
        final String struct;
        final String name;
        final int offset;
        final int size;

        Field(String struct, String name, int offset, int size) {
            this.struct = struct;
            this.name = name;
            this.offset = offset;
            this.size = size;
        }

        /**
         * As {@code layout.c} prints it: {@code struct.field offset size} for a field, {@code
         * struct sizeof size} for a struct.
         */
        @Override
        public String toString() {
            return name.isEmpty() ? struct + " sizeof " + size : struct + "." + name + " " + offset + " " + size;
        }
    }

    private static final List<Field> FIELDS = new ArrayList<Field>();
    private static final List<Field> SIZES = new ArrayList<Field>();

    private static int field(String struct, String name, int offset, int size) {
        FIELDS.add(new Field(struct, name, offset, size));
        return offset;
    }

    private static int size(String struct, int size) {
        SIZES.add(new Field(struct, "", 0, size));
        return size;
    }

    static final int DECIMAL_BYTES = 48;
    static final int ID_BYTES = 16;

    static final String S_ID = "timebank_id";
    static final int ID = size(S_ID, 16);
    static final int ID_LO = field(S_ID, "lo", 0, 8);
    static final int ID_HI = field(S_ID, "hi", 8, 8);

    static final String S_OPTIONS = "timebank_open_options";
    static final int OPEN_OPTIONS = size(S_OPTIONS, 16);
    static final int OPTIONS_CLOCK_SKEW_MAX_NS = field(S_OPTIONS, "clock_skew_max_ns", 0, 8);
    static final int OPTIONS_FLAGS = field(S_OPTIONS, "flags", 8, 4);
    static final int OPTIONS_RESIDENT_TRANSFERS = field(S_OPTIONS, "resident_transfers", 12, 4);

    static final String S_ACCOUNT_NEW = "timebank_account_new";
    static final int ACCOUNT_NEW = size(S_ACCOUNT_NEW, 64);
    static final int ACCOUNT_NEW_ID = field(S_ACCOUNT_NEW, "id", 0, ID_BYTES);
    static final int ACCOUNT_NEW_USER_DATA = field(S_ACCOUNT_NEW, "user_data", 16, ID_BYTES);
    static final int ACCOUNT_NEW_FLOOR_MINOR = field(S_ACCOUNT_NEW, "floor_minor", 32, 8);
    static final int ACCOUNT_NEW_CEILING_MINOR = field(S_ACCOUNT_NEW, "ceiling_minor", 40, 8);
    static final int ACCOUNT_NEW_ELIGIBLE_FROM = field(S_ACCOUNT_NEW, "eligible_from", 48, 8);
    static final int ACCOUNT_NEW_COMMUNITY = field(S_ACCOUNT_NEW, "community", 56, 4);
    static final int ACCOUNT_NEW_UNIT = field(S_ACCOUNT_NEW, "unit", 60, 2);
    static final int ACCOUNT_NEW_KIND = field(S_ACCOUNT_NEW, "kind", 62, 1);
    static final int ACCOUNT_NEW_LIMITS = field(S_ACCOUNT_NEW, "limits", 63, 1);

    static final String S_ACCOUNT = "timebank_account";
    static final int ACCOUNT = size(S_ACCOUNT, 440);
    static final int ACCOUNT_ID = field(S_ACCOUNT, "id", 0, ID_BYTES);
    static final int ACCOUNT_USER_DATA = field(S_ACCOUNT, "user_data", 16, ID_BYTES);
    static final int ACCOUNT_TIMESTAMP = field(S_ACCOUNT, "timestamp", 32, 8);
    static final int ACCOUNT_ELIGIBLE_FROM = field(S_ACCOUNT, "eligible_from", 40, 8);
    static final int ACCOUNT_COMMUNITY = field(S_ACCOUNT, "community", 48, 4);
    static final int ACCOUNT_UNIT = field(S_ACCOUNT, "unit", 52, 2);
    static final int ACCOUNT_KIND = field(S_ACCOUNT, "kind", 54, 1);
    static final int ACCOUNT_CLOSED = field(S_ACCOUNT, "closed", 55, 1);
    static final int ACCOUNT_FLOOR = field(S_ACCOUNT, "floor", 56, DECIMAL_BYTES);
    static final int ACCOUNT_CEILING = field(S_ACCOUNT, "ceiling", 104, DECIMAL_BYTES);
    static final int ACCOUNT_DEBITS_PENDING = field(S_ACCOUNT, "debits_pending", 152, DECIMAL_BYTES);
    static final int ACCOUNT_DEBITS_POSTED = field(S_ACCOUNT, "debits_posted", 200, DECIMAL_BYTES);
    static final int ACCOUNT_CREDITS_PENDING = field(S_ACCOUNT, "credits_pending", 248, DECIMAL_BYTES);
    static final int ACCOUNT_CREDITS_POSTED = field(S_ACCOUNT, "credits_posted", 296, DECIMAL_BYTES);
    static final int ACCOUNT_BALANCE = field(S_ACCOUNT, "balance", 344, DECIMAL_BYTES);
    static final int ACCOUNT_AVAILABLE = field(S_ACCOUNT, "available", 392, DECIMAL_BYTES);

    static final String S_LINE = "timebank_statement_line";
    static final int STATEMENT_LINE = size(S_LINE, 144);
    static final int LINE_TRANSFER_ID = field(S_LINE, "transfer_id", 0, ID_BYTES);
    static final int LINE_COUNTERPARTY = field(S_LINE, "counterparty", 16, ID_BYTES);
    static final int LINE_TIMESTAMP = field(S_LINE, "timestamp", 32, 8);
    static final int LINE_CODE = field(S_LINE, "code", 40, 2);
    static final int LINE_REVERSAL = field(S_LINE, "reversal", 42, 1);
    static final int LINE_RESERVED = field(S_LINE, "reserved", 43, 5);
    static final int LINE_AMOUNT = field(S_LINE, "amount", 48, DECIMAL_BYTES);
    static final int LINE_BALANCE = field(S_LINE, "balance", 96, DECIMAL_BYTES);

    static final String S_PAGE = "timebank_statement_page";
    static final int STATEMENT_PAGE = size(S_PAGE, 72);
    static final int PAGE_COUNT = field(S_PAGE, "count", 0, 8);
    static final int PAGE_NEXT_FROM = field(S_PAGE, "next_from", 8, 8);
    static final int PAGE_HAS_NEXT = field(S_PAGE, "has_next", 16, 1);
    static final int PAGE_RESERVED = field(S_PAGE, "reserved", 17, 7);
    static final int PAGE_OPENING_BALANCE = field(S_PAGE, "opening_balance", 24, DECIMAL_BYTES);

    static final String S_INFO = "timebank_store_info";
    static final int STORE_INFO = size(S_INFO, 104);
    static final int INFO_HEAD_SEQUENCE = field(S_INFO, "head_sequence", 0, 8);
    static final int INFO_JOURNAL_BYTES = field(S_INFO, "journal_bytes", 8, 8);
    static final int INFO_ACCOUNTS = field(S_INFO, "accounts", 16, 8);
    static final int INFO_TRANSFERS = field(S_INFO, "transfers", 24, 8);
    static final int INFO_INDEXED_SEQUENCE = field(S_INFO, "indexed_sequence", 32, 8);
    static final int INFO_HEAD_HASH = field(S_INFO, "head_hash", 40, 32);
    static final int INFO_STATE_DIGEST = field(S_INFO, "state_digest", 72, 32);

    static final String S_REPORT = "timebank_verify_report";
    static final int VERIFY_REPORT = size(S_REPORT, 104);
    static final int REPORT_RECORDS = field(S_REPORT, "records", 0, 8);
    static final int REPORT_JOURNAL_BYTES = field(S_REPORT, "journal_bytes", 8, 8);
    static final int REPORT_CHECKPOINTS_VERIFIED = field(S_REPORT, "checkpoints_verified", 16, 8);
    static final int REPORT_HEAD_SEQUENCE = field(S_REPORT, "head_sequence", 24, 8);
    static final int REPORT_MACS_CHECKED = field(S_REPORT, "macs_checked", 32, 1);
    static final int REPORT_INDEX_CHECKED = field(S_REPORT, "index_checked", 33, 1);
    static final int REPORT_RESERVED = field(S_REPORT, "reserved", 34, 6);
    static final int REPORT_HEAD_HASH = field(S_REPORT, "head_hash", 40, 32);
    static final int REPORT_STATE_DIGEST = field(S_REPORT, "state_digest", 72, 32);

    static final String S_TRANSFER = "timebank_transfer";
    static final int TRANSFER = size(S_TRANSFER, 104);
    static final int TRANSFER_ID = field(S_TRANSFER, "id", 0, ID_BYTES);
    static final int TRANSFER_DEBIT_ACCOUNT_ID = field(S_TRANSFER, "debit_account_id", 16, ID_BYTES);
    static final int TRANSFER_CREDIT_ACCOUNT_ID = field(S_TRANSFER, "credit_account_id", 32, ID_BYTES);
    static final int TRANSFER_RELATED_ID = field(S_TRANSFER, "related_id", 48, ID_BYTES);
    static final int TRANSFER_USER_DATA = field(S_TRANSFER, "user_data", 64, ID_BYTES);
    static final int TRANSFER_AMOUNT_MINOR = field(S_TRANSFER, "amount_minor", 80, 8);
    static final int TRANSFER_TIMEOUT_S = field(S_TRANSFER, "timeout_s", 88, 4);
    static final int TRANSFER_UNIT = field(S_TRANSFER, "unit", 92, 2);
    static final int TRANSFER_CODE = field(S_TRANSFER, "code", 94, 2);
    static final int TRANSFER_FLAGS = field(S_TRANSFER, "flags", 96, 2);
    static final int TRANSFER_RESERVED = field(S_TRANSFER, "reserved", 98, 6);

    static final String S_TEXT = "timebank_transfer_text";
    static final int TRANSFER_TEXT = size(S_TEXT, 104);
    static final int TEXT_ID = field(S_TEXT, "id", 0, ID_BYTES);
    static final int TEXT_DEBIT_ACCOUNT_ID = field(S_TEXT, "debit_account_id", 16, ID_BYTES);
    static final int TEXT_CREDIT_ACCOUNT_ID = field(S_TEXT, "credit_account_id", 32, ID_BYTES);
    static final int TEXT_RELATED_ID = field(S_TEXT, "related_id", 48, ID_BYTES);
    static final int TEXT_USER_DATA = field(S_TEXT, "user_data", 64, ID_BYTES);
    static final int TEXT_AMOUNT = field(S_TEXT, "amount", 80, 8);
    static final int TEXT_TIMEOUT_S = field(S_TEXT, "timeout_s", 88, 4);
    static final int TEXT_UNIT = field(S_TEXT, "unit", 92, 2);
    static final int TEXT_CODE = field(S_TEXT, "code", 94, 2);
    static final int TEXT_FLAGS = field(S_TEXT, "flags", 96, 2);
    static final int TEXT_RESERVED = field(S_TEXT, "reserved", 98, 6);

    static final String S_TRANSFER_INFO = "timebank_transfer_info";
    static final int TRANSFER_INFO = size(S_TRANSFER_INFO, 168);
    static final int INFO_ID = field(S_TRANSFER_INFO, "id", 0, ID_BYTES);
    static final int INFO_DEBIT_ACCOUNT_ID = field(S_TRANSFER_INFO, "debit_account_id", 16, ID_BYTES);
    static final int INFO_CREDIT_ACCOUNT_ID = field(S_TRANSFER_INFO, "credit_account_id", 32, ID_BYTES);
    static final int INFO_RELATED_ID = field(S_TRANSFER_INFO, "related_id", 48, ID_BYTES);
    static final int INFO_USER_DATA = field(S_TRANSFER_INFO, "user_data", 64, ID_BYTES);
    static final int INFO_REVERSED_BY = field(S_TRANSFER_INFO, "reversed_by", 80, ID_BYTES);
    static final int INFO_TIMESTAMP = field(S_TRANSFER_INFO, "timestamp", 96, 8);
    static final int INFO_TIMEOUT_S = field(S_TRANSFER_INFO, "timeout_s", 104, 4);
    static final int INFO_UNIT = field(S_TRANSFER_INFO, "unit", 108, 2);
    static final int INFO_CODE = field(S_TRANSFER_INFO, "code", 110, 2);
    static final int INFO_FLAGS = field(S_TRANSFER_INFO, "flags", 112, 2);
    static final int INFO_STATE = field(S_TRANSFER_INFO, "state", 114, 1);
    static final int INFO_RESERVED = field(S_TRANSFER_INFO, "reserved", 115, 5);
    static final int INFO_AMOUNT = field(S_TRANSFER_INFO, "amount", 120, DECIMAL_BYTES);

    static final String S_OUTCOME = "timebank_operation_outcome";
    static final int OPERATION_OUTCOME = size(S_OUTCOME, 32);
    static final int OUTCOME_TIMESTAMP = field(S_OUTCOME, "timestamp", 0, 8);
    static final int OUTCOME_TRANSFERS = field(S_OUTCOME, "transfers", 8, 8);
    static final int OUTCOME_CLOSED = field(S_OUTCOME, "closed", 16, 8);
    static final int OUTCOME_CODE = field(S_OUTCOME, "code", 24, 2);
    static final int OUTCOME_RETRIED = field(S_OUTCOME, "retried", 26, 1);
    static final int OUTCOME_RESERVED = field(S_OUTCOME, "reserved", 27, 5);

    static final String S_ATTRIBUTION = "timebank_attribution";
    static final int ATTRIBUTION = size(S_ATTRIBUTION, 16);
    static final int ATTRIBUTION_OPERATOR_ID = field(S_ATTRIBUTION, "operator_id", 0, 8);
    static final int ATTRIBUTION_REASON = field(S_ATTRIBUTION, "reason", 8, 4);
    static final int ATTRIBUTION_HAS_REASON = field(S_ATTRIBUTION, "has_reason", 12, 1);
    static final int ATTRIBUTION_RESERVED = field(S_ATTRIBUTION, "reserved", 13, 3);

    private Layout() {}

    /** Every field the package reads or writes, in the form {@code layout.c} prints. */
    static List<Field> fields() {
        return Collections.unmodifiableList(FIELDS);
    }

    /** Every struct's size ({@link Field#size}; the name is empty). */
    static List<Field> sizes() {
        return Collections.unmodifiableList(SIZES);
    }

    static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The {@code timebank_id} at {@code offset}, whole (both halves). */
    static UInt128 id(ByteBuffer buffer, int offset) {
        return UInt128.of(buffer.getLong(offset + ID_HI), buffer.getLong(offset + ID_LO));
    }

    /** Writes {@code id} as a {@code timebank_id} at {@code offset}. */
    static void putId(ByteBuffer buffer, int offset, UInt128 id) {
        buffer.putLong(offset + ID_LO, id.low()).putLong(offset + ID_HI, id.high());
    }

    /** A decimal text field at {@code offset}; {@code null} when empty. */
    static BigDecimal decimal(ByteBuffer buffer, int offset) {
        int end = offset;
        while (end < offset + DECIMAL_BYTES && buffer.get(end) != 0) {
            end++;
        }
        if (end == offset) {
            return null;
        }
        byte[] text = new byte[end - offset];
        for (int i = 0; i < text.length; i++) {
            text[i] = buffer.get(offset + i);
        }
        return new BigDecimal(new String(text, StandardCharsets.US_ASCII));
    }

    static byte[] bytes(ByteBuffer buffer, int offset, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = buffer.get(offset + i);
        }
        return out;
    }
}
