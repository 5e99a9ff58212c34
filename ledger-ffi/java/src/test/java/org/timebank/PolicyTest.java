package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy over the years: the policy in force at a time, an amendment in force from an
 * effective time (each service judged under the policy in force on the day it was done), and
 * amendments refused with nothing written.
 */
class PolicyTest {
    private static final long DAY = 86_400L * 1_000_000_000L;

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

    /** The policy of a {@code policyJson} document, with code 101 weighted {@code weight}. */
    static String weighted(String shown, String weight) {
        int start = shown.indexOf("\"policy\":") + "\"policy\":".length();
        int end = shown.indexOf(",\"versions\":");
        String policy = shown.substring(start, end);
        // "code" is the first key of every code rule.
        assertTrue(policy.contains("{\"code\":101,"), policy);
        return policy.replace("{\"code\":101,", "{\"code\":101,\"weight\":\"" + weight + "\",");
    }

    @Test
    void anAmendmentJudgesServicesByTheDayTheyWereDone() {
        String shown = store.policyJson(0);
        assertTrue(shown.contains("\"from\":0,") && shown.contains("\"versions\":[0]"), shown);
        String amended = weighted(shown, "2");
        long from = System.currentTimeMillis() * 1_000_000L + 1_000_000_000L; // after the ledger's clock

        byte[] digest = store.status().stateDigest();
        assertThrows(InvalidArgumentException.class, () -> store.amendPolicy(amended, NOW - 1, NOW + 10));
        assertThrows(InvalidArgumentException.class, () -> store.amendPolicy("units = 3", from, NOW + 10));
        assertThrows(InvalidTimeException.class, () -> store.amendPolicy(amended, from, Long.MAX_VALUE));
        assertArrayEquals(digest, store.status().stateDigest());

        store.amendPolicy(amended, from, NOW + 10);
        assertThrows(InvalidArgumentException.class, () -> store.amendPolicy(amended, from, NOW + 20));
        store.recordService(100, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, NOW - DAY, from + 10);
        assertEquals(new BigDecimal("1.00"), store.balance(VOLUNTEER)); // done before: weight 1
        store.recordService(101, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, 0, from + 20);
        assertEquals(new BigDecimal("3.00"), store.balance(VOLUNTEER)); // done after: weight 2

        String before = store.policyJson(NOW);
        assertTrue(before.contains("\"from\":0,") && !before.contains("\"weight\""), before);
        assertTrue(before.contains("\"versions\":[0," + from + "]"), before);
        String after = store.policyJson(from);
        assertTrue(after.contains("\"from\":" + from + ",") && after.contains("\"weight\":\"2\""), after);
        store.verify(null);
    }

    @Test
    void badAmendmentArgumentsAreRefusedBeforeTheCall() {
        byte[] digest = store.status().stateDigest();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.amendPolicy("units = 3\0", NOW + 1_000_000L, NOW + 10));
        assertTrue(e.getMessage().contains("policy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> store.amendPolicy(null, NOW + 1_000_000L, NOW + 10));
        assertTrue(e.getMessage().contains("policy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> store.amendPolicy("units = 3", -1, NOW + 10));
        assertTrue(e.getMessage().contains("from"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> store.policyJson(-1));
        assertTrue(e.getMessage().contains("at"), e.getMessage());
        assertArrayEquals(digest, store.status().stateDigest());
    }

    @Test
    void aLedgerWithoutRulesHasNoPolicyToShow() {
        String unitsOnly = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n";
        try (Store s = Store.open(dir.resolve("units").toString(), unitsOnly, null)) {
            assertThrows(NotFoundException.class, () -> s.policyJson(0));
        }
    }
}
