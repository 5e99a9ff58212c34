package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Domain operations: a service, a withdrawal or a completion done at {@code servedAt}, each one
 * journal record under the host's request id. A retry with the same arguments returns the first
 * outcome and writes nothing; the same id with other arguments is refused with the code naming
 * the difference; {@code servedAt} too late or in the future is refused; empty accounts close.
 */
class OperationsTest {
    private static final long DAY = 86_400L * 1_000_000_000L;
    private static final long DORMANT = 40, EMPTY = 41;
    private static final BigDecimal ONE = BigDecimal.ONE;

    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void open() {
        store = Fixture.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static RefusedException refusedWith(int code, Executable call) {
        RefusedException e = assertThrows(RefusedException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void aServiceDoneYesterdayAndItsRetries() {
        final long yesterday = NOW - DAY;
        final BigDecimal hours = new BigDecimal("2.5");
        assertEquals(1, store.recordService(100, SERVICE, FUND, VOLUNTEER, hours, 0, yesterday, NOW + 10));
        assertEquals(new BigDecimal("2.50"), store.balance(VOLUNTEER));
        OperationOutcome first = store.operation(100);
        assertEquals(0, first.code);
        assertEquals(1, first.transfers);
        assertTrue(first.timestamp >= NOW + 10);

        // The same id and arguments: the first outcome, and nothing written.
        StoreStatus before = store.status();
        assertEquals(1, store.recordService(100, SERVICE, FUND, VOLUNTEER, hours, 0, yesterday, NOW + 20));
        StoreStatus after = store.status();
        assertArrayEquals(before.stateDigest(), after.stateDigest());
        assertEquals(before.headSequence, after.headSequence);
        assertEquals(first, store.operation(UInt128.of(100)));

        // The same id with other arguments: refused, naming the difference; no balance moves.
        refusedWith(41, () -> store.recordService(100, SERVICE, FUND, ELDER, hours, 0, yesterday, NOW + 30));
        refusedWith(42, () -> store.recordService(100, SERVICE, FUND, VOLUNTEER, ONE, 0, yesterday, NOW + 31));
        refusedWith(43, () -> store.recordService(100, 102, FUND, VOLUNTEER, hours, 0, yesterday, NOW + 32));
        refusedWith(44, () -> store.recordService(100, SERVICE, FUND, VOLUNTEER, hours, 0, yesterday - DAY, NOW + 33));
        refusedWith(44, () -> store.recordService(100, SERVICE, FUND, VOLUNTEER, hours, 0, NOW + 34));
        assertEquals("operation_exists_with_different_served_at", Timebank.resultCodeName(44));
        assertEquals(new BigDecimal("2.50"), store.balance(VOLUNTEER));
        assertEquals(new BigDecimal("0.00"), store.balance(ELDER));
        assertEquals(first, store.operation(100));
    }

    @Test
    void servedAtTooLateOrInTheFutureIsRefused() {
        // The default policy allows 30 local days.
        refusedWith(210, () -> store.recordService(200, SERVICE, FUND, VOLUNTEER, ONE, 0, NOW - 40 * DAY, NOW + 10));
        refusedWith(22, () -> store.recordService(201, SERVICE, FUND, VOLUNTEER, ONE, 0, NOW + DAY, NOW + 11));
        assertEquals(new BigDecimal("0.00"), store.balance(VOLUNTEER));
        // Retried, a refusal is refused again with its code, and nothing is written.
        byte[] digest = store.status().stateDigest();
        refusedWith(210, () -> store.recordService(200, SERVICE, FUND, VOLUNTEER, ONE, 0, NOW - 40 * DAY, NOW + 12));
        assertArrayEquals(digest, store.status().stateDigest());
        OperationOutcome refused = store.operation(200);
        assertEquals(210, refused.code);
        assertEquals(0, refused.transfers);
        assertEquals(0, refused.timestamp);
    }

    @Test
    void aWithdrawalAndACompletionOnTheDayServed() {
        store.recordService(300, SERVICE, FUND, ELDER, new BigDecimal("4"), 0, NOW + 10);
        refusedWith(203, () -> store.withdraw(301, CARE, ELDER, VOLUNTEER, ONE, NOW - DAY, NOW + 11));
        store.setEligibility(ELDER, NOW - DAY, NOW + 12);
        assertEquals(1, store.withdraw(302, CARE, ELDER, VOLUNTEER, ONE, NOW - DAY / 2, NOW + 13));
        assertEquals(1, store.withdraw(302, CARE, ELDER, VOLUNTEER, ONE, NOW - DAY / 2, NOW + 14));
        assertEquals(new BigDecimal("3.00"), store.balance(ELDER));

        store.book(303, CARE, ELDER, VOLUNTEER, new BigDecimal("2"), 0, NOW + 15);
        final BigDecimal served = new BigDecimal("1.5");
        assertEquals(1, store.complete(304, 303, served, 5, 0, NOW - DAY / 2, NOW + 16));
        // Retried after the booking is no longer pending: still the first outcome.
        assertEquals(1, store.complete(304, 303, served, 5, 0, NOW - DAY / 2, NOW + 17));
        refusedWith(45, () -> store.complete(304, 303, served, 4, 0, NOW - DAY / 2, NOW + 18));
        assertEquals(new BigDecimal("1.50"), store.balance(ELDER));
        assertEquals(new BigDecimal("2.50"), store.balance(VOLUNTEER));
        // The planner sees the booking is done: refused with its code, nothing journaled.
        byte[] digest = store.status().stateDigest();
        RefusedException e = refusedWith(214, () -> store.complete(305, 303, null, 0, 0, NOW + 19));
        assertTrue(e.getMessage().contains("nothing was journaled"), e.getMessage());
        assertArrayEquals(digest, store.status().stateDigest());
    }

    @Test
    void emptyAccountsClose() {
        store.createAccounts(Arrays.asList(new NewAccount(DORMANT, HOURS, AccountKind.MEMBER),
                new NewAccount(EMPTY, HOURS, AccountKind.MEMBER)), NOW + 1);
        store.recordService(10, SERVICE, FUND, VOLUNTEER, ONE, 0, NOW + 2);
        assertArrayEquals(new int[] {0, 56, 57},
                store.closeAccounts(Arrays.asList(UInt128.of(EMPTY), UInt128.of(VOLUNTEER), UInt128.of(777)), NOW + 3));
        assertTrue(store.account(EMPTY).closed);
        assertArrayEquals(new int[] {3}, store.closeAccounts(Collections.singletonList(UInt128.of(EMPTY)), NOW + 4));
        // A closing operation on an empty account closes it without a transfer.
        store.closeAccount(11, DORMANT, POOL, NOW + 5);
        assertTrue(store.account(DORMANT).closed);
        assertEquals(1, store.operation(11).closed);
        assertEquals(0, store.operation(11).transfers);
        store.closeAccount(11, DORMANT, POOL, NOW + 6);
    }

    @Test
    void badInputIsRefusedBeforeTheCall() {
        byte[] digest = store.status().stateDigest();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.recordService(500, SERVICE, FUND, VOLUNTEER, ONE, 0, -1L, NOW + 5));
        assertTrue(e.getMessage().contains("servedAt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> store.withdraw(501, CARE, ELDER, VOLUNTEER, ONE, Long.MIN_VALUE, NOW + 5));
        assertTrue(e.getMessage().contains("servedAt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> store.complete(502, 303, null, 0, 0, -DAY, NOW + 5));
        assertTrue(e.getMessage().contains("servedAt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> store.operation(-1));
        assertTrue(e.getMessage().contains("id"), e.getMessage());
        assertThrows(NotFoundException.class, () -> store.complete(503, 31337, null, 0, 0, 0, NOW + 5));
        assertThrows(NotFoundException.class, () -> store.operation(31337));
        assertThrows(InvalidArgumentException.class, () -> store.recordService(0, SERVICE, FUND, VOLUNTEER, ONE, 0, 0, NOW + 5));
        e = assertThrows(IllegalArgumentException.class,
                () -> store.closeAccounts(Collections.<UInt128>emptyList(), NOW + 5));
        assertTrue(e.getMessage().contains("accounts"), e.getMessage());
        List<UInt128> tooMany = new ArrayList<UInt128>(Collections.nCopies(TransferBatch.MAX + 1, UInt128.of(EMPTY)));
        e = assertThrows(IllegalArgumentException.class, () -> store.closeAccounts(tooMany, NOW + 5));
        assertTrue(e.getMessage().contains("accounts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> store.closeAccounts(Arrays.asList(UInt128.of(EMPTY), null), NOW + 5));
        assertTrue(e.getMessage().contains("accounts[1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> store.closeAccounts(Collections.singletonList(UInt128.of(EMPTY)), -5));
        assertTrue(e.getMessage().contains("now"), e.getMessage());
        assertArrayEquals(digest, store.status().stateDigest());
    }

    @Test
    void theOperatorAndReasonAreJournaledWithAnOperation() {
        Attribution clerk = Attribution.by(7001);
        store.recordService(UInt128.of(700), SERVICE, UInt128.of(FUND), UInt128.of(VOLUNTEER), ONE, null, 0, NOW + 1, clerk);
        assertEquals(clerk, store.transferBy(700));
        store.recordService(701, SERVICE, FUND, VOLUNTEER, ONE, 0, NOW + 2);
        assertEquals(Attribution.by(0), store.transferBy(701));

        // A correction by an operator gives a reason: refused before anything is journaled.
        byte[] digest = store.status().stateDigest();
        RefusedException e = refusedWith(217, () -> store.reverse(UInt128.of(702), UInt128.of(700), NOW + 3, clerk));
        assertTrue(e.getMessage().contains("nothing was journaled"), e.getMessage());
        assertArrayEquals(digest, store.status().stateDigest());
        store.reverse(UInt128.of(702), UInt128.of(700), NOW + 4, clerk.because(12));
        assertEquals(Long.valueOf(12), store.transferBy(702).reason);
        assertEquals(7001, store.transferBy(702).operator);
        assertEquals(new BigDecimal("1.00"), store.balance(VOLUNTEER));
        store.createAccounts(Collections.singletonList(new NewAccount(EMPTY, HOURS, AccountKind.MEMBER)), NOW + 5);
        List<UInt128> empty = Collections.singletonList(UInt128.of(EMPTY));
        assertArrayEquals(new int[] {217}, store.closeAccounts(empty, NOW + 6, clerk));
        assertArrayEquals(new int[] {0}, store.closeAccounts(empty, NOW + 7, clerk.because(4)));
        store.gift(UInt128.of(703), UInt128.of(VOLUNTEER), UInt128.of(POOL), new BigDecimal("0.5"), 0, NOW + 8,
                Attribution.by(7002).because(0));
        assertEquals(Attribution.by(7002).because(0), store.transferBy(703));

        // The batch and registry commands take one too.
        Attribution batcher = Attribution.by(7003).because(5);
        assertArrayEquals(new int[] {0},
                store.createAccounts(Collections.singletonList(new NewAccount(9, HOURS, AccountKind.MEMBER)), NOW + 9, batcher));
        assertArrayEquals(new int[] {0}, store.submitTransfers(Collections.singletonList(
                new Transfer(UInt128.of(705), UInt128.of(FUND), UInt128.of(9), new BigDecimal("0.5"), HOURS, SERVICE)),
                NOW + 10, batcher));
        assertEquals(batcher, store.transferBy(705));
        TransferBatch batch = new TransferBatch(1).add(UInt128.of(706), UInt128.of(FUND), UInt128.of(9), 50, HOURS, SERVICE, 0,
                UInt128.ZERO, 0, UInt128.ZERO);
        assertArrayEquals(new int[] {0}, store.submit(batch, NOW + 11, Attribution.by(7004)));
        assertEquals(Attribution.by(7004), store.transferBy(706));
        store.link(UInt128.of(VOLUNTEER), UInt128.of(9), NOW + 12, batcher);
        store.setEligibility(UInt128.of(9), NOW, NOW + 13, batcher);
        assertEquals(0, store.expire(NOW + 14, batcher));

        digest = store.status().stateDigest();
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Attribution.by(-1));
        assertTrue(bad.getMessage().contains("operator"), bad.getMessage());
        bad = assertThrows(IllegalArgumentException.class, () -> clerk.because(1L << 32));
        assertTrue(bad.getMessage().contains("reason"), bad.getMessage());
        bad = assertThrows(IllegalArgumentException.class, () -> clerk.because(-1));
        assertTrue(bad.getMessage().contains("reason"), bad.getMessage());
        assertThrows(NotFoundException.class, () -> store.transferBy(31337));
        assertArrayEquals(digest, store.status().stateDigest());
    }
}
