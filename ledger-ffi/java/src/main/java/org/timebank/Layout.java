package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** The byte layouts of timebank.h's structs (little-endian x86-64), read and written directly. */
final class Layout {
    static final int DECIMAL_BYTES = 48;
    static final int ACCOUNT_NEW = 64;
    static final int ACCOUNT = 440;
    static final int TRANSFER = 104;
    static final int TRANSFER_TEXT = 104;
    static final int TRANSFER_INFO = 168;
    static final int STATEMENT_LINE = 144;
    static final int STATEMENT_PAGE = 72;
    static final int STORE_INFO = 104;
    static final int VERIFY_REPORT = 104;

    private Layout() {}

    static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An id as {@code timebank_id} (lo, hi): Java ids are unsigned 64-bit, so hi is 0. */
    static long[] id(long id) {
        return new long[] {id, 0};
    }

    static long[] optionalId(long id) {
        return id == 0 ? null : id(id);
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
