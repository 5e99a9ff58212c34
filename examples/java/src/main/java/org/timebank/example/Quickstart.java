package org.timebank.example;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.timebank.AccountKind;
import org.timebank.InvalidTimeException;
import org.timebank.NewAccount;
import org.timebank.Store;
import org.timebank.Timebank;
import org.timebank.Transfer;
import org.timebank.TransferBatch;
import org.timebank.UInt128;

/**
 * A volunteer earns hours from a community fund, holds some for a booking, and spends them: the
 * Rust quickstart (ledger-core/examples/quickstart.rs) through the jar, on a durable store.
 */
public final class Quickstart {
    /** One unit, hours to 2 decimals, and no time-bank rules: the engine's accounting alone. */
    private static final String POLICY = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n";
    private static final int HOURS = 1;
    private static final long FUND = 1, VOLUNTEER = 2, ELDER = 3;

    private Quickstart() {}

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("timebank-quickstart");
        try (Store store = Store.open(dir.toString(), POLICY, null)) {
            int[] created = store.createAccounts(Arrays.asList(
                    new NewAccount(FUND, HOURS, AccountKind.ISSUER).community(7),
                    new NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER).community(7),
                    new NewAccount(ELDER, HOURS, AccountKind.MEMBER).community(7)), 0);
            if (created[0] + created[1] + created[2] != 0) {
                throw new IllegalStateException("accounts not created");
            }
            List<Transfer> batch = Arrays.asList(
                    new Transfer(1, FUND, VOLUNTEER, new BigDecimal("6"), HOURS, 0),
                    new Transfer(2, FUND, ELDER, new BigDecimal("3"), HOURS, 0),
                    new Transfer(3, ELDER, VOLUNTEER, new BigDecimal("2"), HOURS, 0)
                            .flags(TransferBatch.PENDING).timeoutS(86_400),
                    new Transfer(4, 0, 0, new BigDecimal("1.5"), 0, 0)
                            .flags(TransferBatch.POST_PENDING).relatedId(3));
            int[] codes = store.submitTransfers(batch, 0);
            for (int i = 0; i < codes.length; i++) {
                System.out.printf("transfer %2d: %s%n", i + 1, Timebank.resultCodeName(codes[i]));
            }
            String[] names = {"fund", "volunteer", "elder"};
            long[] ids = {FUND, VOLUNTEER, ELDER};
            for (int i = 0; i < ids.length; i++) {
                System.out.printf("%9s: %6s hours%n", names[i], store.balance(ids[i]).toPlainString());
            }
            StringBuilder digest = new StringBuilder();
            for (byte b : store.status().stateDigest()) {
                digest.append(String.format("%02x", b));
            }
            System.out.println("state digest: " + digest);

            // Ids are 128-bit: 2^64 + 2 is its own member, never member 2.
            UInt128 high = UInt128.of(1, VOLUNTEER);
            store.createAccounts(Arrays.asList(new NewAccount(high, HOURS, AccountKind.MEMBER)), 0);
            // The time guard: a now an hour ahead of the clock is refused, and nothing is written.
            long anHourAhead = System.currentTimeMillis() * 1_000_000L + 3_600_000_000_000L;
            try {
                store.submitTransfers(Arrays.asList(new Transfer(UInt128.of(5), UInt128.of(FUND), high, BigDecimal.ONE,
                        HOURS, 0)), anHourAhead);
            } catch (InvalidTimeException refused) {
                System.out.println("an hour ahead: " + refused.statusName());
            }
            System.out.printf("%s: %s hours%n", high, store.balance(high).toPlainString());
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
