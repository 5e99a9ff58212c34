package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/**
 * The time guard from Java: a {@code now} that is not a plausible wall-clock time is refused and
 * changes nothing, and the ledger takes writes afterwards (a {@code -1L} once became 2^64 - 1
 * and bricked the ledger for good).
 */
class TimeGuardTest {
    private static final long HOUR_NS = 3_600_000_000_000L;

    @TempDir
    Path dir;

    private static long clockNs() {
        return System.currentTimeMillis() * 1_000_000L;
    }

    private static void unchanged(Store store, Class<? extends RuntimeException> expected, Executable attempt) {
        byte[] digest = store.status().stateDigest();
        long head = store.status().headSequence;
        assertThrows(expected, attempt);
        assertThrows(expected, attempt);
        assertArrayEquals(digest, store.status().stateDigest());
        assertEquals(head, store.status().headSequence);
    }

    @Test
    void implausibleTimesAreRefusedAndChangeNothing() {
        long[] guarded = {
            Long.MAX_VALUE, // 2^63 - 1: the largest a long says
            clockNs() * 1000, // microseconds mistaken for nanoseconds (wraps: negative or huge)
            clockNs() + HOUR_NS, // an hour ahead
            1, // 1970: before the ledger was created
            clockNs() - 24 * HOUR_NS,
        };
        long[] negative = {-1L, Long.MIN_VALUE, -HOUR_NS}; // 2^63 .. 2^64 - 1 as unsigned
        try (Store store = Fixture.open(dir)) {
            BigDecimal one = BigDecimal.ONE;
            for (long now : guarded) {
                Class<? extends RuntimeException> expected = now < 0 ? IllegalArgumentException.class : InvalidTimeException.class;
                unchanged(store, expected, () -> store.recordService(50, SERVICE, FUND, VOLUNTEER, one, 0, now));
                unchanged(store, expected, () -> store.expire(now));
            }
            for (long now : negative) {
                unchanged(store, IllegalArgumentException.class,
                        () -> store.recordService(50, SERVICE, FUND, VOLUNTEER, one, 0, now));
            }
            store.recordService(51, SERVICE, FUND, VOLUNTEER, one, 0, clockNs());
            long before = clockNs();
            store.recordService(52, SERVICE, FUND, VOLUNTEER, one, 0, 0); // 0: the system clock
            long stamped = store.transfer(52).timestamp;
            assertTrue(stamped >= before - 1_000_000 && stamped <= clockNs() + 1_000_000, "stamped " + stamped);
        }
        try (Store again = Store.open(dir.resolve("ledger").toString(), null, new byte[32])) {
            again.recordService(53, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, 0);
            assertEquals(new BigDecimal("3.00"), again.balance(VOLUNTEER));
        }
    }

    @Test
    void theSkewIsAnOpenOptionAndAnyTimeAnExplicitOptOut() {
        String policy = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n";
        try (Store tight = Store.open(dir.resolve("tight").toString(), policy, null,
                new OpenOptions().clockSkewMaxNs(1_000_000_000L))) {
            assertThrows(InvalidTimeException.class, () -> tight.expire(clockNs() + 60_000_000_000L));
            tight.expire(clockNs());
        }
        assertThrows(IllegalArgumentException.class, () -> new OpenOptions().clockSkewMaxNs(-1));
        long far = clockNs() + 365 * 24 * HOUR_NS;
        try (Store simulation = Store.open(dir.resolve("simulation").toString(), policy, null, new OpenOptions().anyTime())) {
            simulation.createAccounts(Arrays.asList(new NewAccount(1, 1, AccountKind.ISSUER),
                    new NewAccount(2, 1, AccountKind.MEMBER)), 0);
            assertEquals(0, simulation.submitTransfers(Collections.singletonList(
                    new Transfer(1, 1, 2, BigDecimal.ONE, 1, 0)), far)[0]);
            assertEquals(far, simulation.transfer(1).timestamp);
        }
    }
}
