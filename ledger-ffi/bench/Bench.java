package org.timebank;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The FFI benchmark from Java: batch submission (TransferBatch, the packed fast path) and one
 * account lookup, on the same workload and store options as bench/rust_store.rs.
 *
 * <p>It sits in the package to time the raw binding too (compiled beside the jar by run.sh).
 * Usage: java -cp timebank.jar:jna.jar:DIR org.timebank.Bench DIR BATCHES SINGLES
 */
public final class Bench {
    private static final int MEMBERS = 1000, BATCH = 8190, SERVICE = 101, HOURS = 1;

    public static void main(String[] args) {
        String dir = args.length > 0 ? args[0] : "/tmp/timebank-bench-java";
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int singles = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
        try (Store store = Store.open(Paths.get(dir))) {
            List<NewAccount> accounts = new ArrayList<>();
            accounts.add(new NewAccount(1, HOURS, AccountKind.ISSUER));
            for (int m = 0; m < MEMBERS; m++) {
                accounts.add(new NewAccount(2 + m, HOURS, AccountKind.MEMBER));
            }
            store.createAccounts(accounts, 0);

            // Warm up the JIT on the lookup before timing anything.
            for (int i = 0; i < 50_000; i++) {
                store.account(2);
            }
            TransferBatch batch = new TransferBatch(BATCH);
            long started = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                batch.clear();
                for (int i = 0; i < BATCH; i++) {
                    long n = (long) b * BATCH + i;
                    batch.add(1_000_000 + n, 1, 2 + n % MEMBERS, 1, HOURS, SERVICE);
                }
                for (int code : store.submit(batch, 0)) {
                    if (code != 0) {
                        throw new IllegalStateException("a transfer was refused: " + code);
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("java   batch : %10.0f transfers/s%n", batches * (double) BATCH / seconds);

            long handle = store.handle();
            long[] member = {2, 0};
            byte[] out = new byte[440];
            long[] error = new long[1];
            double raw = fastestRound(singles, () -> {
                if (TimebankNative.timebank_store_account(handle, member, out, error) != 0) {
                    throw new IllegalStateException("lookup failed");
                }
            });
            System.out.printf("java   single: %10.0f ns/call (timebank_store_account, JNA direct)%n", raw);
            double wrapped = fastestRound(singles, () -> store.account(2));
            System.out.printf("java   single: %10.0f ns/call (Store.account: 8 BigDecimals)%n", wrapped);
        }
    }

    /** Nanoseconds per call of the fastest of five rounds (the least disturbed by others). */
    private static double fastestRound(int calls, Runnable call) {
        int perRound = Math.max(calls / 5, 1);
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long started = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                call.run();
            }
            best = Math.min(best, (System.nanoTime() - started) / (double) perRound);
        }
        return best;
    }
}
