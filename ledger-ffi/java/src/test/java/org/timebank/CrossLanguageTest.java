package org.timebank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One ledger, two languages: ids above 2^64 beside their low-half namesakes (2^64 + 5 beside 5),
 * written from Python and read here, and written here and read from Python. A reader that
 * dropped the high half of an id would find member 5 where 2^64 + 5 is. The Python side is
 * {@code python/tests/cross_language.py}, run with the interpreter named by the system property
 * {@code timebank.python} ({@code ledger-ffi/test.sh} sets it to the one it tested the Python
 * package with).
 */
class CrossLanguageTest {
    static final UInt128 FUND = UInt128.of(1), LOW = UInt128.of(5);
    static final UInt128 HIGH = UInt128.of(BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(5)));
    static final UInt128 LOW_TRANSFER = UInt128.of(20);
    static final UInt128 HIGH_TRANSFER = UInt128.of(BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(21)));
    static final int HOURS = 1, SERVICE = 101;

    @TempDir
    Path dir;

    private static void python(String mode, Path ledger) throws Exception {
        String python = System.getProperty("timebank.python");
        assumeTrue(python != null && !python.isEmpty(), "set -Dtimebank.python to run the cross-language test");
        File script = Paths.get("").toAbsolutePath().getParent().resolve("python/tests/cross_language.py").toFile();
        Process process = new ProcessBuilder(python, script.toString(), mode, ledger.toString()).inheritIO().start();
        assertEquals(0, process.waitFor(), "cross_language.py " + mode + " failed");
    }

    private static void check(Path ledger) {
        try (Store store = Store.open(ledger.toString(), null, null)) {
            TransferRecord low = store.transfer(LOW_TRANSFER);
            assertEquals(HIGH, low.creditAccountId);
            assertEquals(FUND, low.debitAccountId);
            assertEquals(new BigDecimal("2.50"), low.amount);
            TransferRecord high = store.transfer(HIGH_TRANSFER);
            assertEquals(HIGH_TRANSFER, high.id);
            assertEquals(LOW, high.creditAccountId);
            assertThrows(NotFoundException.class, () -> store.transfer(21));
            assertEquals(HIGH, store.account(HIGH).id);
            assertEquals(new BigDecimal("2.50"), store.balance(HIGH));
            assertEquals(new BigDecimal("1.00"), store.balance(LOW));
            assertEquals(FUND, store.statement(HIGH, 0, 10).lines.get(0).counterparty);
        }
    }

    @Test
    void writtenFromPythonReadFromJava() throws Exception {
        Path ledger = dir.resolve("from-python");
        python("write", ledger);
        check(ledger);
    }

    @Test
    void writtenFromJavaReadFromPython() throws Exception {
        Path ledger = dir.resolve("from-java");
        try (Store store = Store.open(ledger.toString(), null, null)) {
            int[] created = store.createAccounts(Arrays.asList(new NewAccount(FUND, HOURS, AccountKind.ISSUER),
                    new NewAccount(LOW, HOURS, AccountKind.MEMBER), new NewAccount(HIGH, HOURS, AccountKind.MEMBER)), 0);
            assertEquals("[0, 0, 0]", Arrays.toString(created));
            int[] codes = store.submitTransfers(Arrays.asList(
                    new Transfer(LOW_TRANSFER, FUND, HIGH, new BigDecimal("2.5"), HOURS, SERVICE),
                    new Transfer(HIGH_TRANSFER, FUND, LOW, BigDecimal.ONE, HOURS, SERVICE)), 0);
            assertEquals("[0, 0]", Arrays.toString(codes));
        }
        check(ledger);
        python("check", ledger);
    }
}
