package org.timebank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verify progress callback from Java: returning false stops it, a throwable thrown in it is
 * rethrown from {@code verify}, and a call on the same store from inside it is refused (it once
 * deadlocked).
 */
class CallbackTest {
    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void open() {
        store = Fixture.open(dir);
        for (int i = 0; i < 20; i++) {
            store.recordService(100 + i, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, NOW + i);
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void returningFalseCancels() {
        List<Long> calls = new ArrayList<Long>();
        assertThrows(CancelledException.class, () -> store.verify((done, total) -> {
            calls.add(done);
            return false;
        }));
        assertEquals(1, calls.size());
        assertTrue(store.verify(null).records > 0);
    }

    @Test
    void aThrowableInTheCallbackIsRethrownItself() {
        IllegalStateException thrown = new IllegalStateException("stop here");
        assertSame(thrown, assertThrows(IllegalStateException.class, () -> store.verify((done, total) -> {
            throw thrown;
        })));
        assertTrue(store.verify((done, total) -> true).records > 0);
    }

    @Test
    void callsFromInsideTheCallbackAreRefusedNotDeadlocked() throws Exception {
        List<TimebankException> refused = new ArrayList<TimebankException>();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<VerifyReport> report = executor.submit(() -> store.verify((done, total) -> {
                for (Runnable attempt : new Runnable[] {store::status, store::close, () -> store.balance(VOLUNTEER)}) {
                    try {
                        attempt.run();
                    } catch (ReentrantException e) {
                        refused.add(e);
                    }
                }
                return true;
            }));
            // A deadlock would leave verify blocked: the get then times out and the test fails.
            assertTrue(report.get(60, TimeUnit.SECONDS).records > 0);
        } finally {
            executor.shutdownNow();
        }
        assertTrue(refused.size() >= 3, "refused " + refused.size());
        store.status(); // still open: the close from inside the callback was refused
    }
}
