package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several threads on one store: every submission lands exactly once. */
class ThreadsTest {
    private static final int THREADS = 4, BATCHES = 10, PER_BATCH = 50;

    @TempDir
    Path dir;

    @Test
    void concurrentSubmissionsAllLand() throws Exception {
        try (final Store store = Fixture.open(dir)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<Integer>> results = new ArrayList<Future<Integer>>();
            for (int w = 0; w < THREADS; w++) {
                final int worker = w;
                results.add(pool.submit(() -> {
                    int applied = 0;
                    for (int b = 0; b < BATCHES; b++) {
                        TransferBatch batch = new TransferBatch(PER_BATCH);
                        for (int i = 0; i < PER_BATCH; i++) {
                            batch.add(1_000_000L * (worker + 1) + b * PER_BATCH + i, FUND, VOLUNTEER, 1, HOURS, SERVICE);
                        }
                        int[] codes = store.submit(batch, NOW + b);
                        for (int code : codes) {
                            applied += code == 0 ? 1 : 0;
                        }
                        store.balance(VOLUNTEER);
                    }
                    return applied;
                }));
            }
            int applied = 0;
            for (Future<Integer> result : results) {
                applied += result.get();
            }
            pool.shutdown();
            int total = THREADS * BATCHES * PER_BATCH;
            assertEquals(total, applied);
            assertEquals(0, BigDecimal.valueOf(total, 2).compareTo(store.balance(VOLUNTEER)));
            assertEquals(total, store.status().transfers);
            assertTrue(store.verify(null).indexChecked);
        }
    }

    @Test
    void closeWhileOtherThreadsRead() throws Exception {
        final Store store = Fixture.open(dir);
        store.recordService(1, SERVICE, FUND, VOLUNTEER, BigDecimal.ONE, 0, NOW);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        final List<String> outcomes = Collections.synchronizedList(new ArrayList<String>());
        List<Future<?>> readers = new ArrayList<Future<?>>();
        for (int r = 0; r < 3; r++) {
            readers.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    try {
                        store.balance(VOLUNTEER);
                    } catch (TimebankException e) {
                        outcomes.add(e.getClass().getSimpleName());
                        return;
                    }
                }
            }));
        }
        store.close();
        for (Future<?> reader : readers) {
            reader.get();
        }
        pool.shutdown();
        for (String outcome : outcomes) {
            assertEquals("ClosedException", outcome);
        }
        assertArrayEquals(new String[0], outcomes.stream().filter(o -> !o.equals("ClosedException")).toArray());
    }
}
