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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OpenOptions#residentTransfers}: a store that keeps only the newest transfers in memory
 * (the older settled ones go to its index every max(n, 4096) transfers) answers every call as a
 * store that keeps them all, before and after a reopen: a retried early id is {@code exists}
 * with its original timestamp, and an early transfer can still be reversed.
 */
class ResidentTransfersTest {
    /** 9,000 transfers: past two evictions of a store keeping 100 (one every 4,096). */
    private static final int BATCHES = 3, PER_BATCH = 3000;
    private static final long FIRST_ID = 1_000;
    private static final int EXISTS = 3;

    @TempDir
    Path dir;

    private static Store open(Path path, long resident) {
        OpenOptions options = new OpenOptions();
        if (resident >= 0) {
            options.residentTransfers(resident);
        }
        return Store.open(path.toString(), null, null, options);
    }

    /** Writes the history, then asks the same of an early transfer before and after a reopen. */
    private static List<List<Object>> answers(Path path, long resident, long base) {
        List<List<Object>> seen = new ArrayList<>();
        try (Store store = open(path, resident)) {
            int[] codes = store.createAccounts(Arrays.asList(
                    new NewAccount(FUND, HOURS, AccountKind.ISSUER),
                    new NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER)), base);
            assertArrayEquals(new int[] {0, 0}, codes);
            for (int b = 0; b < BATCHES; b++) {
                TransferBatch batch = new TransferBatch(PER_BATCH);
                for (int i = 0; i < PER_BATCH; i++) {
                    batch.add(FIRST_ID + (long) b * PER_BATCH + i, FUND, VOLUNTEER, 1, HOURS, SERVICE);
                }
                assertArrayEquals(new int[PER_BATCH], store.submit(batch, base + 1 + b));
            }
            seen.add(ask(store, FIRST_ID + 1, 100, base + 10));
        }
        try (Store store = open(path, resident)) {
            seen.add(ask(store, FIRST_ID + 2, 101, base + 20));
            assertEquals(BATCHES * PER_BATCH + 2, store.status().transfers);
            assertTrue(store.verify(null).indexChecked);
        }
        return seen;
    }

    private static List<Object> ask(Store store, long early, long reversal, long now) {
        TransferRecord written = store.transfer(early);
        int[] retry = store.submit(new TransferBatch(1).add(early, FUND, VOLUNTEER, 1, HOURS, SERVICE), now);
        assertArrayEquals(new int[] {EXISTS}, retry);
        store.reverse(reversal, early, now + 1);
        TransferRecord after = store.transfer(early);
        assertEquals(written.timestamp, after.timestamp); // the original timestamp
        assertEquals(UInt128.of(reversal), after.reversedBy);
        return Arrays.asList(written.timestamp, after.reversedBy, store.transfer(reversal).timestamp,
                store.balance(VOLUNTEER));
    }

    @Test
    void aStoreKeeping100TransfersAnswersAsOneKeepingAll() {
        // Both stores are created before `base` (a minute ahead, within the time guard's 5
        // minutes), so every timestamp comes from `base` alone: the answers compare whole.
        long base = System.currentTimeMillis() * 1_000_000L + 60_000_000_000L;
        List<List<Object>> bounded = answers(dir.resolve("bounded"), 100, base);
        List<List<Object>> everything = answers(dir.resolve("everything"), -1, base);
        assertEquals(everything, bounded);
        assertTrue((Long) bounded.get(0).get(0) > base);
        BigDecimal expected = BigDecimal.valueOf(BATCHES * PER_BATCH - 2, 2);
        assertEquals(0, expected.compareTo((BigDecimal) bounded.get(1).get(3)));
    }

    @Test
    void residentTransfersOutOfRangeIsRefused() {
        for (long bad : new long[] {-1, 0x1_0000_0000L}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new OpenOptions().residentTransfers(bad));
            assertTrue(e.getMessage().contains("residentTransfers"), e.getMessage());
        }
    }
}
