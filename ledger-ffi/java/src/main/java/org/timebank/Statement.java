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
        public final UInt128 transferId;
        public final UInt128 counterparty;
        public final long timestamp;
        public final int code;
        /** Positive for a credit, negative for a debit; at the unit's scale. */
        public final BigDecimal amount;
        public final BigDecimal balance;
        public final boolean reversal;

        Line(ByteBuffer b, int o) {
            transferId = Layout.id(b, o + Layout.LINE_TRANSFER_ID);
            counterparty = Layout.id(b, o + Layout.LINE_COUNTERPARTY);
            timestamp = b.getLong(o + Layout.LINE_TIMESTAMP);
            code = b.getShort(o + Layout.LINE_CODE) & 0xffff;
            reversal = b.get(o + Layout.LINE_REVERSAL) != 0;
            amount = Layout.decimal(b, o + Layout.LINE_AMOUNT);
            balance = Layout.decimal(b, o + Layout.LINE_BALANCE);
        }
    }

    public final BigDecimal openingBalance;
    public final List<Line> lines;
    /** The {@code from} of the next page, or -1 on the last one. */
    public final long nextFrom;

    Statement(byte[] rawLines, byte[] rawPage) {
        ByteBuffer page = Layout.wrap(rawPage);
        ByteBuffer lineBytes = Layout.wrap(rawLines);
        int count = (int) page.getLong(Layout.PAGE_COUNT); // at most the capacity, 1000
        nextFrom = page.get(Layout.PAGE_HAS_NEXT) != 0 ? page.getLong(Layout.PAGE_NEXT_FROM) : -1;
        openingBalance = Layout.decimal(page, Layout.PAGE_OPENING_BALANCE);
        List<Line> list = new ArrayList<Line>(count);
        for (int i = 0; i < count; i++) {
            list.add(new Line(lineBytes, i * Layout.STATEMENT_LINE));
        }
        lines = Collections.unmodifiableList(list);
    }
}
