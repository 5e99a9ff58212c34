package org.timebank;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handles from Java: calls after close throw {@link ClosedException}; a freed handle is refused
 * by the library ({@link InvalidHandleException}), never read; a store the program forgets is
 * freed (and its directory released) by the cleaner once unreachable.
 */
class HandleTest {
    @TempDir
    Path dir;

    @Test
    void callsAfterCloseThrowClosed() {
        Store store = Fixture.open(dir);
        long freed = store.handle();
        store.close();
        store.close(); // twice is fine
        assertThrows(ClosedException.class, () -> store.account(Fixture.VOLUNTEER));
        assertThrows(ClosedException.class, store::status);
        assertThrows(ClosedException.class, () -> Proofs.proveStatement(store, UInt128.of(Fixture.VOLUNTEER), null));
        assertThrows(ClosedException.class,
                () -> store.recordService(1, Fixture.SERVICE, Fixture.FUND, Fixture.VOLUNTEER, BigDecimal.ONE, 0, 0));
        long[] error = new long[1];
        int status = TimebankNative.timebank_store_status(freed, new byte[Layout.STORE_INFO], error);
        Calls.discard(error);
        assertTrue(status == InvalidHandleException.STATUS, "status " + status);
        TimebankNative.timebank_store_free(freed); // a double free is refused too, not a crash
        assertThrows(InvalidHandleException.class, () -> Calls.check(
                TimebankNative.timebank_store_status(12345L, new byte[Layout.STORE_INFO], error), error));
    }

    private void openAndForget(Path path) {
        Store.open(path.toString(), null, null).status();
    }

    @Test
    void theCleanerFreesAForgottenStore() throws Exception {
        Path path = dir.resolve("forgotten");
        openAndForget(path);
        // The directory stays locked (BusyException) until the cleaner has freed the handle.
        for (int attempt = 0; ; attempt++) {
            System.gc();
            Thread.sleep(20);
            try {
                Store.open(path.toString(), null, null).close();
                return;
            } catch (BusyException e) {
                if (attempt == 500) {
                    throw new AssertionError("the forgotten store was never freed", e);
                }
            }
        }
    }
}
