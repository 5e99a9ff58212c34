package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hours moving between two ledgers in one process: A sends, B credits and returns a receipt, A
 * posts; balances and clearing positions mirror. A replayed offer is EXISTS with no second
 * credit; a forged offer and one from an unknown peer are refused with their verdict and change
 * nothing; bad arguments throw and write nothing.
 */
class ExchangeTest {
    private static final long A_ID = 310101, B_ID = 310104, C_ID = 310107;
    private static final long FUND = 1, MEMBER = 2, ARRIVED = 7;
    private static final int HOURS = 1;
    private static final long HOUR = 3_600_000_000_000L;
    private static final long NOW = Fixture.NOW;
    private static final byte[] A_KEY = filled(1), B_KEY = filled(2), C_KEY = filled(3);

    private static byte[] filled(int value) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) value);
        return key;
    }

    private static Store ledger(Path dir, long member, boolean funded) {
        Store store = Store.open(dir.toString(), null, null, new OpenOptions().anyTime());
        int[] codes = store.createAccounts(Arrays.asList(new NewAccount(FUND, HOURS, AccountKind.ISSUER).community(7),
                new NewAccount(member, HOURS, AccountKind.MEMBER).community(7)), NOW);
        assertArrayEquals(new int[] {0, 0}, codes);
        if (funded) {
            assertEquals(0, store.submitTransfers(Collections.singletonList(
                    new Transfer(1, FUND, member, new BigDecimal("5"), HOURS, Fixture.SERVICE)), NOW)[0]);
        }
        return store;
    }

    private static BigDecimal owed(Exchange exchange, long peer) {
        for (Position p : exchange.positions()) {
            if (p.peer == peer && p.unit == HOURS) {
                return p.owedToPeer;
            }
        }
        throw new AssertionError("no position for " + peer);
    }

    private static Path keyFile(Path dir, byte[] key) throws Exception {
        StringBuilder hex = new StringBuilder();
        for (byte b : key) {
            hex.append(String.format("%02x", b & 0xff));
        }
        Path file = dir.resolve("b.key");
        Files.write(file, hex.toString().getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void hoursMoveOnceAndPositionsMirror(@TempDir Path dir) throws Exception {
        try (Store a = ledger(dir.resolve("a"), MEMBER, true); Store b = ledger(dir.resolve("b"), ARRIVED, false);
                Exchange ea = Exchange.open(a, A_ID, A_KEY, NOW);
                Exchange eb = Exchange.openWithKeyFile(b, B_ID, keyFile(dir, B_KEY), NOW)) {
            ea.addPeer(B_ID, eb.publicKey(), NOW);
            eb.addPeer(A_ID, Proofs.signingPublicKey("standard", A_KEY), NOW);
            assertEquals(A_ID, ea.ownId());
            assertTrue(eb.peersJson().contains(ea.publicKey()));

            byte[] offer = ea.send(1, B_ID, HOURS, new BigDecimal("2.5"), MEMBER, ARRIVED, NOW + HOUR, NOW + 1);
            assertArrayEquals(offer, ea.send(1, B_ID, HOURS, new BigDecimal("2.50"), MEMBER, ARRIVED, NOW + HOUR, NOW + 1));
            assertEquals(new BigDecimal("2.50"), a.account(MEMBER).available);
            List<PendingExchange> pending = ea.pending();
            assertEquals(1, pending.size());
            assertEquals(new BigDecimal("2.50"), pending.get(0).amount);
            assertEquals(UInt128.of(ARRIVED), pending.get(0).destination);
            // The pending offer, delivered again, is the same offer.
            Received credited = eb.receive(pending.get(0).offer(), NOW + 2);
            assertEquals(Verdict.OK, credited.verdict);
            assertNotNull(credited.reply());
            assertEquals(new BigDecimal("2.50"), b.balance(ARRIVED));

            byte[] digest = b.status().stateDigest();
            Received replayed = eb.receive(offer, NOW + 3);
            assertEquals(Verdict.EXISTS, replayed.verdict);
            assertTrue(replayed.honoured());
            assertEquals(new BigDecimal("2.50"), b.balance(ARRIVED));
            assertArrayEquals(digest, b.status().stateDigest());

            Received posted = ea.receive(credited.reply(), NOW + 4);
            assertEquals(Verdict.OK, posted.verdict);
            assertNull(posted.reply());
            assertEquals(Verdict.EXISTS, ea.receive(credited.reply(), NOW + 5).verdict);
            assertEquals(new BigDecimal("2.50"), a.balance(MEMBER));
            assertEquals(new BigDecimal("2.50"), owed(ea, B_ID));
            assertEquals(new BigDecimal("-2.50"), owed(eb, A_ID));
            assertTrue(ea.pending().isEmpty());
            assertEquals("forged", Verdict.FORGED.stableName());
        }
    }

    @Test
    void forgedAndUnknownOffersChangeNothing(@TempDir Path dir) {
        try (Store a = ledger(dir.resolve("a"), MEMBER, true); Store b = ledger(dir.resolve("b"), ARRIVED, false);
                Store c = ledger(dir.resolve("c"), MEMBER, true); Exchange ea = Exchange.open(a, A_ID, A_KEY, NOW);
                Exchange eb = Exchange.open(b, B_ID, B_KEY, NOW); Exchange ec = Exchange.open(c, C_ID, C_KEY, NOW)) {
            ea.addPeer(B_ID, eb.publicKey(), NOW);
            eb.addPeer(A_ID, ea.publicKey(), NOW);
            ec.addPeer(B_ID, eb.publicKey(), NOW);
            byte[] offer = ea.send(2, B_ID, HOURS, BigDecimal.ONE, MEMBER, ARRIVED, NOW + HOUR, NOW + 1);
            // One hex digit of the signature flipped.
            String text = new String(offer, StandardCharsets.UTF_8);
            int at = text.indexOf("\"signature\": \"") + "\"signature\": \"".length();
            byte[] forged = offer.clone();
            forged[at] = (byte) (forged[at] == '0' ? '1' : '0');
            byte[] digest = b.status().stateDigest();
            Received refused = eb.receive(forged, NOW + 2);
            assertEquals(Verdict.FORGED, refused.verdict);
            assertFalse(refused.honoured());
            assertArrayEquals(digest, b.status().stateDigest());

            byte[] fromC = ec.send(1, B_ID, HOURS, BigDecimal.ONE, MEMBER, ARRIVED, NOW + HOUR, NOW + 1);
            assertEquals(Verdict.UNKNOWN_PEER, eb.receive(fromC, NOW + 3).verdict);
            assertEquals(Verdict.MALFORMED, eb.receive(new byte[] {1, 2, 3}, NOW + 3).verdict);
            assertArrayEquals(digest, b.status().stateDigest());
            assertEquals(0, b.balance(ARRIVED).signum());

            // Past its deadline the offer is refused for good, and the refusal voids A's hold.
            long late = NOW + 2 * HOUR;
            List<byte[]> due = ea.expire(late);
            assertEquals(1, due.size());
            Received refusal = eb.receive(due.get(0), late);
            assertEquals(Verdict.PAST_DEADLINE, refusal.verdict);
            assertEquals(Verdict.OK, ea.receive(refusal.reply(), late + 1).verdict);
            assertEquals(new BigDecimal("5.00"), a.account(MEMBER).available);
        }
    }

    @Test
    void badArgumentsThrowAndWriteNothing(@TempDir Path dir) {
        try (Store a = ledger(dir.resolve("a"), MEMBER, true)) {
            Exchange ea = Exchange.open(a, A_ID, A_KEY, NOW);
            ea.addPeer(B_ID, Proofs.signingPublicKey("standard", B_KEY), NOW);
            byte[] digest = a.status().stateDigest();
            long deadline = NOW + HOUR;
            assertThrows(NotFoundException.class,
                    () -> ea.send(1, C_ID, HOURS, BigDecimal.ONE, MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(InvalidAmountException.class,
                    () -> ea.send(1, B_ID, HOURS, new BigDecimal("1.234"), MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(IllegalArgumentException.class,
                    () -> ea.send(-1, B_ID, HOURS, BigDecimal.ONE, MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(IllegalArgumentException.class,
                    () -> ea.send(1, B_ID, 65536, BigDecimal.ONE, MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(IllegalArgumentException.class,
                    () -> ea.send(1, 0, HOURS, BigDecimal.ONE, MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(IllegalArgumentException.class,
                    () -> ea.send(1, B_ID, HOURS, BigDecimal.ONE, -2, ARRIVED, deadline, NOW + 1));
            assertThrows(IllegalArgumentException.class,
                    () -> ea.send(1, B_ID, HOURS, null, MEMBER, ARRIVED, deadline, NOW + 1));
            assertThrows(InvalidArgumentException.class,
                    () -> ea.addPeer(B_ID, Proofs.signingPublicKey("standard", C_KEY), NOW));
            assertThrows(InvalidArgumentException.class,
                    () -> ea.receive(new byte[Exchange.MESSAGE_BYTES_MAX + 1], NOW));
            assertThrows(IllegalArgumentException.class, () -> ea.receive(null, NOW));
            assertThrows(BusyException.class, () -> Exchange.open(a, A_ID, A_KEY, NOW));
            assertThrows(IllegalArgumentException.class, () -> Exchange.open(a, A_ID, new byte[31], NOW));
            assertArrayEquals(digest, a.status().stateDigest());
            ea.close();
            assertThrows(InvalidHandleException.class, ea::positions);
            ea.close(); // closing twice is fine
        }
    }
}
