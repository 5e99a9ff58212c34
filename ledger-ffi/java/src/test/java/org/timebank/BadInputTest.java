package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input from Java: each kind throws the exception of its status, never crashes the JVM, and
 * leaves the ledger exactly as it was (same state digest, same balances).
 */
class BadInputTest {
    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void open() {
        store = Fixture.open(dir);
        store.recordService(1, SERVICE, FUND, VOLUNTEER, new BigDecimal("5"), 0, NOW);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private <E extends TimebankException> E unchanged(Class<E> expected, Executable attempt) {
        byte[] digest = store.status().stateDigest();
        long head = store.status().headSequence;
        BigDecimal volunteer = store.balance(VOLUNTEER);
        E e = assertThrows(expected, attempt);
        assertFalse(e.getMessage().isEmpty());
        assertArrayEquals(digest, store.status().stateDigest());
        assertEquals(head, store.status().headSequence);
        assertEquals(volunteer, store.balance(VOLUNTEER));
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1e3", "NaN", "-1", "0", "0.001", "1,5", "\uff11", "1000000000.01",
        "99999999999999999999"})
    void badAmountTextIsRefused(String amount) {
        byte[] text = Calls.cString(amount);
        long[] error = new long[1];
        unchanged(InvalidAmountException.class, () -> Calls.check(TimebankNative.timebank_store_gift(
                storeHandle(), rawId(10), rawId(VOLUNTEER), rawId(ELDER), text, (short) 0, 0, error), error));
    }

    @Test
    void badBigDecimalsAreRefused() {
        unchanged(InvalidAmountException.class, () -> store.recordService(10, SERVICE, FUND, VOLUNTEER, new BigDecimal("-1"), 0, 0));
        unchanged(InvalidAmountException.class, () -> store.recordService(10, SERVICE, FUND, VOLUNTEER, BigDecimal.ZERO, 0, 0));
        unchanged(InvalidAmountException.class, () -> store.recordService(10, SERVICE, FUND, VOLUNTEER, new BigDecimal("0.001"), 0, 0));
        unchanged(InvalidAmountException.class, () -> store.submitTransfers(Collections.singletonList(
                new Transfer(11, FUND, VOLUNTEER, new BigDecimal("1E+12"), HOURS, SERVICE)), 0));
        unchanged(InvalidAmountException.class, () -> store.submit(
                new TransferBatch(1).add(12, FUND, VOLUNTEER, 100_000_000_001L, HOURS, SERVICE), 0));
    }

    @Test
    void invalidUtf8IsRefused() {
        byte[] invalid = "1\u0000".getBytes(StandardCharsets.ISO_8859_1);
        invalid[0] = (byte) 0xff;
        long[] error = new long[1];
        unchanged(InvalidUtf8Exception.class, () -> Calls.check(TimebankNative.timebank_store_gift(
                storeHandle(), rawId(13), rawId(VOLUNTEER), rawId(ELDER), invalid, (short) 0, 0, error), error));
    }

    @Test
    void nullArgumentsAreRefused() {
        unchanged(NullArgumentException.class, () -> store.recordService(14, SERVICE, FUND, VOLUNTEER, null, 0, 0));
        long[] error = new long[1];
        unchanged(NullArgumentException.class, () -> Calls.check(
                TimebankNative.timebank_store_account(storeHandle(), null, new byte[Layout.ACCOUNT], error), error));
        unchanged(NullArgumentException.class, () -> Calls.check(
                TimebankNative.timebank_store_account(0, rawId(1), new byte[Layout.ACCOUNT], error), error));
        unchanged(NullArgumentException.class, () -> Calls.check(
                TimebankNative.timebank_store_submit_transfers(storeHandle(), null, 1, 0, new short[1], error), error));
    }

    @Test
    void unknownAndZeroIdsAreRefused() {
        unchanged(NotFoundException.class, () -> store.account(999));
        unchanged(NotFoundException.class, () -> store.transfer(999));
        unchanged(NotFoundException.class, () -> store.reverse(15, 999, 0));
        unchanged(NotFoundException.class, () -> store.gift(16, VOLUNTEER, 999, BigDecimal.ONE, 0, 0));
        unchanged(NotFoundException.class, () -> store.complete(17, 999, null, 0, 0, 0));
        unchanged(InvalidArgumentException.class, () -> store.account(0));
        unchanged(InvalidArgumentException.class, () -> store.recordService(0, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, 0));
        unchanged(InvalidArgumentException.class, () -> store.recordService(18, 999, FUND, VOLUNTEER, BigDecimal.ONE, 0, 0));
    }

    @Test
    void refusalsCarryTheResultCode() {
        RefusedException e = assertThrows(RefusedException.class, () -> store.gift(19, VOLUNTEER, ELDER, BigDecimal.ONE, 0, 0));
        assertEquals(204, e.code());
        assertEquals("gift_not_allowed", e.codeName());
        assertEquals(0, store.balance(ELDER).signum());
    }

    @Test
    void everyRefusalCarriesItsResultCode() {
        // Refused while planning (not a booking) and while applying (no family link, no
        // eligibility date, already reversed): the code is always there, named as the message says.
        store.reverse(30, 1, NOW);
        Object[][] attempts = {
            {(Executable) () -> store.cancel(31, 1, NOW), 214},
            {(Executable) () -> store.complete(32, 1, null, 0, 0, NOW), 214},
            {(Executable) () -> store.gift(33, VOLUNTEER, ELDER, BigDecimal.ONE, 0, NOW), 204},
            {(Executable) () -> store.withdraw(34, CARE, ELDER, VOLUNTEER, BigDecimal.ONE, NOW), 203},
            {(Executable) () -> store.reverse(35, 1, NOW), 102},
        };
        for (Object[] attempt : attempts) {
            RefusedException e = assertThrows(RefusedException.class, (Executable) attempt[0]);
            int code = (Integer) attempt[1];
            assertEquals(code, e.code());
            assertTrue(e.getMessage().startsWith("refused: " + Timebank.resultCodeName(code) + " (" + code + ")"),
                    e.getMessage());
        }
    }

    @Test
    void badPolicyAndBusyDirectory() {
        assertThrows(InvalidArgumentException.class, () -> Store.open(dir.resolve("other").toString(), "units = 5", null));
        assertThrows(BusyException.class, () -> Store.open(dir.resolve("ledger")));
        assertThrows(IllegalArgumentException.class, () -> Store.open(dir.resolve("third").toString(), null, new byte[3]));
    }

    private long storeHandle() {
        return store.handle();
    }
}
