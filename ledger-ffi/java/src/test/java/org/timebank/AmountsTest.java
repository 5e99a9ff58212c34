package org.timebank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Amounts, names and errors through the jar: exact BigDecimals, and an exception per bad input. */
class AmountsTest {
    @Test
    void amountsAreExact() {
        assertEquals(250, Amounts.toMinor(new BigDecimal("2.50"), 2));
        assertEquals(1000, Amounts.toMinor(new BigDecimal("1E+3"), 0));
        assertEquals(0, new BigDecimal("2.5").compareTo(Amounts.parse("2.5", 2)));
        assertEquals(new BigDecimal("2.50"), Amounts.fromMinor(250, 2));
        assertEquals(100_000_000_000L, Amounts.toMinor("1000000000", 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1e3", "NaN", "-1", "0", "0.001", "1,5", "\uff11", " 1", "+1",
        "1000000000.01", "99999999999999999999999999"})
    void badAmountsAreRefused(String amount) {
        InvalidAmountException e = assertThrows(InvalidAmountException.class, () -> Amounts.toMinor(amount, 2));
        assertEquals(4, e.status());
        assertEquals("invalid_amount", e.statusName());
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void badBigDecimalsAreRefused() {
        assertThrows(InvalidAmountException.class, () -> Amounts.toMinor(new BigDecimal("-1"), 2));
        assertThrows(InvalidAmountException.class, () -> Amounts.toMinor(BigDecimal.ZERO, 2));
        assertThrows(InvalidAmountException.class, () -> Amounts.toMinor(new BigDecimal("0.001"), 2));
        assertThrows(InvalidArgumentException.class, () -> Amounts.toMinor("1", 7));
    }

    @Test
    void nullAndInvalidUtf8GiveStatusesNotCrashes() {
        assertThrows(NullArgumentException.class, () -> Amounts.toMinor((String) null, 2));
        assertThrows(NullArgumentException.class, () -> Amounts.toMinor((BigDecimal) null, 2));
        long[] minor = {77};
        long[] error = new long[1];
        byte[] invalid = "1\u0000".getBytes(StandardCharsets.ISO_8859_1);
        invalid[0] = (byte) 0xff;
        int status = TimebankNative.timebank_amount_parse(invalid, 2, minor, error);
        assertEquals(InvalidUtf8Exception.STATUS, status);
        assertEquals(77, minor[0], "out-params are written only on success");
        assertTrue(Calls.take(error[0]).contains("UTF-8"));
        assertEquals(NullArgumentException.STATUS,
                TimebankNative.timebank_amount_parse(Calls.cString("1"), 2, null, null));
    }

    @Test
    void namesAndVersion() {
        assertEquals("invalid_amount", Timebank.statusName(4));
        assertEquals("unknown", Timebank.statusName(-1));
        assertEquals("exceeds_floor", Timebank.resultCodeName(110));
        assertEquals(2, Timebank.version().split("\\.").length - 1);
    }
}
