package org.timebank;

import java.nio.ByteBuffer;

/**
 * Who runs a command and why: the host's operator id and an optional reason code, opaque numbers
 * the host assigns (a staff number, a code from its own table), never names. Journaled with the
 * command and kept for every transfer it makes ({@link Store#transferBy(UInt128)}). Under a policy
 * with time-bank rules, a reversal or a closing by an operator needs a reason ({@code
 * reason_required}, 217).
 */
public final class Attribution {
    /** The operator's id, 0 to 2^63 - 1 (0: not given). */
    public final long operator;
    /** The reason code, 0 to 2^32 - 1; {@code null} when none is given. */
    public final Long reason;

    private Attribution(long operator, Long reason) {
        this.operator = Arguments.u64(operator, "operator");
        if (reason != null) {
            Arguments.u32(reason, "reason");
        }
        this.reason = reason;
    }

    /** Commands by {@code operator} (not negative), without a reason. */
    public static Attribution by(long operator) {
        return new Attribution(operator, null);
    }

    /** The same operator, for {@code reason} (0 to 2^32 - 1). */
    public Attribution because(long reason) {
        return new Attribution(operator, reason);
    }

    /** The {@code timebank_attribution} bytes, or {@code null} (NULL) for none. */
    static byte[] toBytes(Attribution by) {
        if (by == null) {
            return null;
        }
        byte[] raw = new byte[Layout.ATTRIBUTION];
        ByteBuffer b = Layout.wrap(raw);
        b.putLong(Layout.ATTRIBUTION_OPERATOR_ID, by.operator);
        if (by.reason != null) {
            b.putInt(Layout.ATTRIBUTION_REASON, (int) (long) by.reason); // checked: 0 to 2^32 - 1
            b.put(Layout.ATTRIBUTION_HAS_REASON, (byte) 1);
        }
        return raw;
    }

    static Attribution of(byte[] raw) {
        ByteBuffer b = Layout.wrap(raw);
        long operator = b.getLong(Layout.ATTRIBUTION_OPERATOR_ID);
        Long reason = b.get(Layout.ATTRIBUTION_HAS_REASON) == 1
                ? Long.valueOf(b.getInt(Layout.ATTRIBUTION_REASON) & 0xffff_ffffL)
                : null;
        return new Attribution(operator, reason);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Attribution)) {
            return false;
        }
        Attribution o = (Attribution) other;
        return operator == o.operator && (reason == null ? o.reason == null : reason.equals(o.reason));
    }

    @Override
    public int hashCode() {
        return Long.hashCode(operator) * 31 + (reason == null ? -1 : reason.hashCode());
    }

    @Override
    public String toString() {
        return "Attribution(operator=" + operator + ", reason=" + reason + ")";
    }
}
