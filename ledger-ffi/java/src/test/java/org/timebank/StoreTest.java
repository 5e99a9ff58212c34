package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store from Java: batches, lookups, statements, reports, audit, every time-bank operation. */
class StoreTest {
    @TempDir
    Path dir;

    private static BigDecimal d(String text) {
        return new BigDecimal(text);
    }

    private static void assertAmount(String expected, BigDecimal actual) {
        assertEquals(0, d(expected).compareTo(actual), "expected " + expected + ", got " + actual);
    }

    @Test
    void batchesMoveExactHours() {
        try (Store store = Fixture.open(dir)) {
            TransferBatch batch = new TransferBatch(3)
                    .add(100, FUND, VOLUNTEER, 600, HOURS, SERVICE)
                    .add(101, FUND, ELDER, 325, HOURS, SERVICE)
                    .add(102, VOLUNTEER, ELDER, 10_000, HOURS, 305);
            int[] codes = store.submit(batch, NOW + 1);
            assertEquals(0, codes[0]);
            assertEquals(0, codes[1]);
            assertTrue(codes[2] != 0, "a member cannot pay what it lacks");
            assertAmount("6", store.balance(VOLUNTEER));
            assertAmount("3.25", store.balance(ELDER));
            assertAmount("-9.25", store.balance(FUND));
            assertEquals(3, store.submit(batch, NOW + 2)[0], "the same id again: exists");
            assertAmount("6", store.balance(VOLUNTEER));

            int[] text = store.submitTransfers(Collections.singletonList(
                    new Transfer(103, FUND, VOLUNTEER, d("1.25"), HOURS, SERVICE)), NOW + 3);
            assertArrayEquals(new int[] {0}, text);
            TransferRecord record = store.transfer(103);
            assertAmount("1.25", record.amount);
            assertEquals(TransferRecord.POSTED, record.state);
            assertEquals(UInt128.of(VOLUNTEER), record.creditAccountId);
        }
    }

    @Test
    void bookingsCompleteCancelAndExpire() {
        try (Store store = Fixture.open(dir)) {
            store.recordService(1, SERVICE, FUND, ELDER, d("3"), 0, NOW);
            RefusedException refused = assertThrows(RefusedException.class,
                    () -> store.book(2, CARE, ELDER, VOLUNTEER, d("2"), 60, NOW + 1));
            assertEquals(203, refused.code());
            assertEquals("not_yet_eligible", refused.codeName());
            store.setEligibility(ELDER, NOW, NOW + 2);
            store.book(3, CARE, ELDER, VOLUNTEER, d("2"), 60, NOW + 3);
            assertAmount("1", store.account(ELDER).available);
            assertEquals(1, store.complete(4, 3, d("1.5"), 5, 0, NOW + 4));
            assertAmount("1.5", store.balance(VOLUNTEER));
            assertEquals(TransferRecord.PENDING_POSTED, store.transfer(3).state);
            store.book(5, CARE, ELDER, VOLUNTEER, d("1"), 60, NOW + 5);
            store.cancel(6, 5, NOW + 6);
            assertAmount("1.5", store.account(ELDER).available);
            store.book(7, CARE, ELDER, VOLUNTEER, d("1"), 1, NOW + 7);
            assertEquals(1, store.expire(System.currentTimeMillis() * 1_000_000L + 5_000_000_000L));
            assertEquals(TransferRecord.PENDING_EXPIRED, store.transfer(7).state);
        }
    }

    @Test
    void everyTimeBankOperation() {
        try (Store store = Fixture.open(dir)) {
            assertEquals(1, store.recordService(10, SERVICE, FUND, VOLUNTEER, d("4"), 0, NOW));
            store.link(VOLUNTEER, ELDER, NOW + 1);
            store.gift(11, VOLUNTEER, ELDER, d("1.5"), 0, NOW + 2);
            assertAmount("1.5", store.balance(ELDER));
            store.setEligibility(ELDER, NOW, NOW + 3);
            store.withdraw(12, CARE, ELDER, VOLUNTEER, d("0.5"), NOW + 4);
            assertAmount("3", store.balance(VOLUNTEER));
            store.award(13, AWARD, POINTS_ISSUER, MEMBER_POINTS, 3, NOW + 5);
            assertAmount("30", store.balance(MEMBER_POINTS));
            store.redeem(14, MEMBER_POINTS, SHOP, d("12"), 0, NOW + 6);
            assertAmount("18", store.balance(MEMBER_POINTS));
            store.reverse(15, 14, NOW + 7);
            assertAmount("30", store.balance(MEMBER_POINTS));
            assertEquals(UInt128.of(15), store.transfer(14).reversedBy);
            assertEquals(102, assertThrows(RefusedException.class, () -> store.reverse(16, 14, NOW + 8)).code());
            store.closeAccount(17, VOLUNTEER, POOL, NOW + 9);
            Account closed = store.account(VOLUNTEER);
            assertTrue(closed.closed);
            assertAmount("0", closed.balance);
            assertAmount("3", store.balance(POOL));
            assertTrue(store.liabilityJson().contains("\"total\":\"1.00\""), store.liabilityJson());
        }
    }

    @Test
    void statementsCheckpointsAndVerification() {
        Path ledger = dir.resolve("ledger");
        byte[] digest;
        try (Store store = Fixture.open(dir)) {
            for (int i = 0; i < 5; i++) {
                store.recordService(20 + i, SERVICE, FUND, VOLUNTEER, d("1.5"), 0, NOW + i);
            }
            Statement first = store.statement(VOLUNTEER, 0, 2);
            assertEquals(2, first.lines.size());
            assertAmount("3", first.lines.get(1).balance);
            assertEquals(2, first.nextFrom);
            Statement last = store.statement(VOLUNTEER, 4, 2);
            assertAmount("6", last.openingBalance);
            assertEquals(-1, last.nextFrom);
            assertEquals(UInt128.of(FUND), last.lines.get(0).counterparty);

            assertTrue(store.checkpoint().startsWith("timebank-checkpoint v1 "));
            final List<long[]> seen = new ArrayList<long[]>();
            VerifyReport report = store.verify((done, total) -> seen.add(new long[] {done, total}));
            assertEquals(1, report.checkpointsVerified);
            assertTrue(report.macsChecked && report.indexChecked);
            assertTrue(!seen.isEmpty());
            digest = store.status().stateDigest();
        }
        try (Store reopened = Store.open(ledger)) {
            assertArrayEquals(digest, reopened.status().stateDigest());
            assertAmount("7.5", reopened.balance(VOLUNTEER));
        }
    }

    @Test
    void aClosedStoreThrowsClosed() {
        Store store = Fixture.open(dir);
        store.close();
        store.close();
        assertThrows(ClosedException.class, () -> store.account(VOLUNTEER));
        assertThrows(ClosedException.class, () -> store.recordService(30, SERVICE, FUND, VOLUNTEER, d("1"), 0, 0));
    }
}
