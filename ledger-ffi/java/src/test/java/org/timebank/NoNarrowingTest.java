package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing a host passes is narrowed or cut short on its way into C: each case below was once
 * recorded as something else (code 65637 as 101 by a {@code (short)} cast, rating 261 as 5, a
 * negative {@code now} as a time in 2554). Each throws {@link IllegalArgumentException} naming the
 * parameter and leaves the ledger as it was.
 */
class NoNarrowingTest {
    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void open() {
        store = Fixture.open(dir);
        store.recordService(1, SERVICE, FUND, VOLUNTEER, new BigDecimal("5"), 0, NOW);
        store.link(VOLUNTEER, ELDER, NOW + 1);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void refused(String parameter, Executable attempt) {
        byte[] digest = store.status().stateDigest();
        long head = store.status().headSequence;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, attempt);
        assertTrue(e.getMessage().contains(parameter), e.getMessage() + " does not name " + parameter);
        assertArrayEquals(digest, store.status().stateDigest());
        assertEquals(head, store.status().headSequence);
    }

    @Test
    void theNarrowingCasesAreRefusedByName() {
        BigDecimal one = BigDecimal.ONE;
        refused("code", () -> store.recordService(2, 65637, FUND, VOLUNTEER, one, 0, NOW));
        refused("code", () -> store.recordService(2, -1, FUND, VOLUNTEER, one, 0, NOW));
        refused("rating", () -> store.complete(3, 4, null, 261, 0, NOW));
        refused("acts", () -> store.award(5, AWARD, POINTS_ISSUER, MEMBER_POINTS, (1L << 32) + 1, NOW));
        refused("timeoutS", () -> store.book(6, CARE, ELDER, VOLUNTEER, one, (1L << 32) + 60, NOW));
        refused("code", () -> store.gift(7, VOLUNTEER, ELDER, one, 1 << 16, NOW));
        refused("now", () -> store.recordService(8, SERVICE, FUND, VOLUNTEER, one, 0, -1L));
        refused("now", () -> store.expire(Long.MIN_VALUE));
        refused("from", () -> store.setEligibility(ELDER, -1L, NOW));
        refused("limit", () -> store.statement(VOLUNTEER, 0, 1_000_000));
        refused("from", () -> store.statement(VOLUNTEER, -1, 10));
        refused("firstId", () -> store.recordService(-5, SERVICE, FUND, VOLUNTEER, one, 0, NOW));
        refused("payer", () -> store.recordService(UInt128.of(9), SERVICE, null, UInt128.of(VOLUNTEER), one, null, NOW));
        refused("accounts[0].unit", () -> store.createAccounts(Collections.singletonList(
                new NewAccount(20, 65537, AccountKind.MEMBER)), NOW));
        refused("accounts[0].community", () -> store.createAccounts(Collections.singletonList(
                new NewAccount(20, HOURS, AccountKind.MEMBER).community(1L << 32)), NOW));
        refused("transfers[0].flags", () -> store.submitTransfers(Collections.singletonList(
                new Transfer(21, FUND, VOLUNTEER, one, HOURS, SERVICE).flags(65538)), NOW));
        refused("transfers[0].unit", () -> store.submitTransfers(Collections.singletonList(
                new Transfer(21, FUND, VOLUNTEER, one, 65537, SERVICE)), NOW));
        refused("unit", () -> new TransferBatch(1).add(22, FUND, VOLUNTEER, 100, 65537, SERVICE));
        refused("amountMinor", () -> new TransferBatch(1).add(22, FUND, VOLUNTEER, -1, HOURS, SERVICE));
        refused("code", () -> Timebank.resultCodeName(65646));
        refused("scale", () -> Amounts.toMinor("1", -1));
    }

    @Test
    void anEmbeddedNulIsRefusedInEveryText() {
        refused("path", () -> Store.open(dir.resolve("a") + "\u0000x", null, null));
        refused("policy", () -> Store.open(dir.resolve("b").toString(), "[[units]]\nid = 1\u0000\n", null));
        assertThrows(InvalidAmountException.class, () -> Amounts.toMinor("1\u00005", 2));
        assertFalse(Files.exists(dir.resolve("a")));
        assertFalse(Files.exists(dir.resolve("b")));
    }

    @Test
    void uint128ConvertsExactlyBothWays() {
        BigInteger big = BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(5));
        UInt128 id = UInt128.of(big);
        assertEquals(1, id.high());
        assertEquals(5, id.low());
        assertEquals(big, id.toBigInteger());
        assertEquals("18446744073709551621", id.toString());
        assertEquals(id, UInt128.parse("18446744073709551621"));
        assertEquals(UInt128.MAX_VALUE, UInt128.MAX.toBigInteger());
        assertEquals("18446744073709551615", UInt128.ofUnsigned(-1L).toString());
        assertTrue(UInt128.of(1, 0).compareTo(UInt128.ofUnsigned(-1L)) > 0);
        assertThrows(IllegalArgumentException.class, () -> UInt128.of(-1L));
        assertThrows(IllegalArgumentException.class, () -> UInt128.of(BigInteger.ONE.shiftLeft(128)));
        assertThrows(IllegalArgumentException.class, () -> UInt128.of(BigInteger.valueOf(-1)));
        assertThrows(IllegalArgumentException.class, () -> UInt128.parse("1e3"));
    }

    @Test
    void idsAbove2To64AreKeptWhole() {
        UInt128 high = UInt128.of(BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(VOLUNTEER)));
        assertEquals(0, store.createAccounts(Collections.singletonList(new NewAccount(high, HOURS, AccountKind.MEMBER)),
                NOW + 2)[0]);
        UInt128 transfer = UInt128.of(BigInteger.ONE.shiftLeft(100));
        store.recordService(transfer, SERVICE, UInt128.of(FUND), high, new BigDecimal("2"), null, NOW + 3);
        TransferRecord record = store.transfer(transfer);
        assertEquals(high, record.creditAccountId);
        assertEquals(transfer, record.id);
        assertEquals(high, store.account(high).id);
        assertEquals(new BigDecimal("2.00"), store.balance(high), "at the unit's scale, so equals works");
        assertEquals(new BigDecimal("5.00"), store.balance(VOLUNTEER), "the low-half namesake is untouched");
        assertEquals(Amounts.fromMinor(200, 2), record.amount);
    }
}
