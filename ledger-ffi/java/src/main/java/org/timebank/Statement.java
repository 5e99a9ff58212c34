package org.timebank;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A page of an account's statement: posted movements with a running balance. */
public final class Statement {
    /** One movement. */
    public static final class Line {
        public final long transferId;
        public final long counterparty;
        public final long timestamp;
        public final int code;
        /** Positive for a credit, negative for a debit. */
        public final BigDecimal amount;
        public final BigDecimal balance;
        public final boolean reversal;

        Line(ByteBuffer b, int o) {
            transferId = b.getLong(o);
            counterparty = b.getLong(o + 16);
            timestamp = b.getLong(o + 32);
            code = b.getShort(o + 40) & 0xffff;
            reversal = b.get(o + 42) != 0;
            amount = Layout.decimal(b, o + 48);
            balance = Layout.decimal(b, o + 96);
        }
    }

    public final BigDecimal openingBalance;
    public final List<Line> lines;
    /** The {@code from} of the next page, or -1 on the last one. */
    public final long nextFrom;

    Statement(byte[] rawLines, byte[] rawPage) {
        ByteBuffer page = Layout.wrap(rawPage);
        ByteBuffer lineBytes = Layout.wrap(rawLines);
        int count = (int) page.getLong(0);
        nextFrom = page.get(16) != 0 ? page.getLong(8) : -1;
        openingBalance = Layout.decimal(page, 24);
        List<Line> list = new ArrayList<Line>(count);
        for (int i = 0; i < count; i++) {
            list.add(new Line(lineBytes, i * Layout.STATEMENT_LINE));
        }
        lines = Collections.unmodifiableList(list);
    }
}
