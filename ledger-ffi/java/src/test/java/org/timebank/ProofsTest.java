package org.timebank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed checkpoints and proofs: checked offline with the public key; another key is told apart from damage. */
class ProofsTest {
    private static final byte[] KEY = new byte[32];
    private static final byte[] OTHER = new byte[32];

    static {
        for (int i = 0; i < 32; i++) {
            KEY[i] = (byte) (i + 1);
            OTHER[i] = 9;
        }
    }

    private static void service(Store store, long id, long member) {
        int[] codes = store.submitTransfers(Collections.singletonList(
                new Transfer(id, Fixture.FUND, member, new BigDecimal("1.5"), Fixture.HOURS, Fixture.SERVICE)), Fixture.NOW + id);
        assertEquals(0, codes[0]);
    }

    @Test
    void aStatementChecksOutOfflineWithThePublicKey(@TempDir Path dir) {
        try (Store store = Fixture.open(dir)) {
            String publicKey = Proofs.signingPublicKey("standard", KEY);
            assertEquals(64, publicKey.length());
            service(store, 10, Fixture.VOLUNTEER);
            String first = Proofs.signCheckpoint(store, KEY);
            assertTrue(first.startsWith("timebank-signed-checkpoint v1 standard "));
            service(store, 11, Fixture.ELDER);
            service(store, 12, Fixture.VOLUNTEER);
            String second = Proofs.signCheckpoint(store, KEY);
            Proofs.verifySignedCheckpoint(second, publicKey);

            String statement = Proofs.proveStatement(store, UInt128.of(Fixture.VOLUNTEER), second);
            assertEquals("statement", Proofs.verifyProof(statement, publicKey));
            String inclusion = Proofs.proveInclusion(store, UInt128.of(11), second);
            assertEquals("inclusion", Proofs.verifyProof(inclusion, publicKey));
            String consistency = Proofs.proveConsistency(store, first, second);
            assertEquals("consistency", Proofs.verifyProof(consistency, publicKey));
        }
    }

    @Test
    void anotherKeyAnAlteredProofAndBadInputAreToldApart(@TempDir Path dir) {
        try (Store store = Fixture.open(dir)) {
            service(store, 10, Fixture.VOLUNTEER);
            String line = Proofs.signCheckpoint(store, KEY);
            String publicKey = Proofs.signingPublicKey("standard", KEY);
            String other = Proofs.signingPublicKey("standard", OTHER);
            String proof = Proofs.proveInclusion(store, UInt128.of(10), line);
            assertThrows(NotSignedByKeyException.class, () -> Proofs.verifyProof(proof, other));
            assertThrows(NotSignedByKeyException.class, () -> Proofs.verifySignedCheckpoint(line, other));
            int root = proof.indexOf("\"root\":\"") + "\"root\":\"".length();
            char flipped = proof.charAt(root) == 'a' ? 'b' : 'a';
            String altered = proof.substring(0, root) + flipped + proof.substring(root + 1);
            assertThrows(DamagedException.class, () -> Proofs.verifyProof(altered, publicKey));
            assertThrows(NotFoundException.class, () -> Proofs.proveInclusion(store, UInt128.of(999), line));
            assertThrows(InvalidArgumentException.class, () -> Proofs.verifyProof("{}", publicKey));
            assertThrows(InvalidArgumentException.class, () -> Proofs.signCheckpoint(store, new byte[5]));
            assertEquals("not_signed_by_key", Timebank.statusName(NotSignedByKeyException.STATUS));
        }
    }
}
