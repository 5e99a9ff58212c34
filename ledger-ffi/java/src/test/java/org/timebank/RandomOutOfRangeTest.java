package org.timebank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.timebank.Fixture.*;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A property: no out-of-range value, in any parameter of any method, reaches the ledger. Each
 * round takes a call that would succeed (a write changes the ledger), replaces one parameter
 * with a random bad value, and checks that {@link IllegalArgumentException} names it and that
 * the state digest is unchanged: a missing check shows up as a changed digest. The seed is in
 * every failure message; {@code -Dtimebank.seed=N} replays one, {@code -Dtimebank.rounds=N} sets
 * how many rounds (default 600).
 */
class RandomOutOfRangeTest {
    private static final UInt128 BOOKING = UInt128.of(900), BOOKING_TO_CANCEL = UInt128.of(901);
    private static final UInt128 LEAVER = UInt128.of(40), DORMANT = UInt128.of(41);
    private static final BigDecimal HALF = new BigDecimal("0.5");
    private static final UInt128 MOVER = UInt128.of(42);
    private static final long OWN = 310101, PEER = 310104, OTHER_PEER = 310105, HOUR = 3_600_000_000_000L;

    @TempDir
    Path dir;

    private Store store;
    private Exchange exchange;

    /** A call with its parameters' names, kinds and good values. */
    private interface Call {
        void run(Object[] arguments);
    }

    private static final class Operation {
        final String name;
        final String[] parameters;
        final String[] kinds;
        final Object[] good;
        final Call call;
        boolean writes = true;

        /** A call that reads: it succeeds with its good arguments but changes nothing. */
        Operation read() {
            writes = false;
            return this;
        }

        Operation(String name, String signature, Object[] good, Call call) {
            this.name = name;
            String[] pairs = signature.split(" ");
            parameters = new String[pairs.length];
            kinds = new String[pairs.length];
            for (int i = 0; i < pairs.length; i++) {
                parameters[i] = pairs[i].split(":")[0];
                kinds[i] = pairs[i].split(":")[1];
            }
            this.good = good;
            this.call = call;
        }
    }

    private static UInt128 id(long id) {
        return UInt128.of(id);
    }

    @BeforeEach
    void open() {
        store = Fixture.open(dir);
        store.recordService(1, SERVICE, FUND, VOLUNTEER, new BigDecimal("5"), 0, NOW);
        store.recordService(2, SERVICE, FUND, ELDER, new BigDecimal("5"), 0, NOW + 1);
        store.link(VOLUNTEER, ELDER, NOW + 2);
        store.setEligibility(ELDER, NOW, NOW + 3);
        store.book(BOOKING, CARE, id(ELDER), id(VOLUNTEER), BigDecimal.ONE, 600, NOW + 4);
        store.book(BOOKING_TO_CANCEL, CARE, id(ELDER), id(VOLUNTEER), BigDecimal.ONE, 600, NOW + 5);
        store.award(3, AWARD, POINTS_ISSUER, MEMBER_POINTS, 2, NOW + 6);
        store.createAccounts(Collections.singletonList(new NewAccount(LEAVER, HOURS, AccountKind.MEMBER)), NOW + 7);
        store.recordService(id(4), SERVICE, id(FUND), LEAVER, BigDecimal.ONE, null, NOW + 8);
        store.createAccounts(Collections.singletonList(new NewAccount(DORMANT, HOURS, AccountKind.MEMBER)), NOW + 9);
        store.createAccounts(Collections.singletonList(new NewAccount(MOVER, HOURS, AccountKind.MEMBER)), NOW + 9);
        store.recordService(id(5), SERVICE, id(FUND), MOVER, BigDecimal.ONE, null, NOW + 9);
        exchange = Exchange.open(store, OWN, key(1), NOW + 9);
        exchange.addPeer(PEER, Proofs.signingPublicKey("standard", key(2)), NOW + 9);
    }

    private static byte[] key(int value) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) value);
        return key;
    }

    @AfterEach
    void close() {
        exchange.close();
        store.close();
    }

    private List<Operation> operations() {
        final Store s = store;
        final long now = NOW + 10;
        List<Operation> ops = new ArrayList<Operation>();
        ops.add(new Operation("createAccounts",
                "accounts[0].unit:u16 accounts[0].community:u32 accounts[0].eligibleFrom:u64 now:u64",
                new Object[] {HOURS, 1L, 0L, now}, a -> s.createAccounts(Collections.singletonList(
                        new NewAccount(id(50), (Integer) a[0], AccountKind.MEMBER).community((Long) a[1])
                                .eligibleFrom((Long) a[2])), (Long) a[3])));
        ops.add(new Operation("submitTransfers",
                "transfers[0].unit:u16 transfers[0].code:u16 transfers[0].flags:u16 transfers[0].timeoutS:u32 now:u64",
                new Object[] {HOURS, SERVICE, 0, 0L, now}, a -> s.submitTransfers(Collections.singletonList(
                        new Transfer(id(60), id(FUND), id(VOLUNTEER), BigDecimal.ONE, (Integer) a[0], (Integer) a[1])
                                .flags((Integer) a[2]).timeoutS((Long) a[3])), (Long) a[4])));
        ops.add(new Operation("submit",
                "id:id debit:id credit:id amountMinor:u64 unit:u16 code:u16 flags:u16 relatedId:id timeoutS:u32 userData:id now:u64",
                new Object[] {id(70), id(FUND), id(VOLUNTEER), 100L, HOURS, SERVICE, 0, UInt128.ZERO, 0L, UInt128.ZERO, now},
                a -> s.submit(new TransferBatch(1).add((UInt128) a[0], (UInt128) a[1], (UInt128) a[2], (Long) a[3],
                        (Integer) a[4], (Integer) a[5], (Integer) a[6], (UInt128) a[7], (Long) a[8], (UInt128) a[9]),
                        (Long) a[10])));
        ops.add(new Operation("recordService", "firstId:id code:u16 payer:id provider:id servedAt:u64 now:u64",
                new Object[] {id(80), SERVICE, id(FUND), id(VOLUNTEER), NOW, now},
                a -> s.recordService((UInt128) a[0], (Integer) a[1], (UInt128) a[2], (UInt128) a[3], BigDecimal.ONE, null,
                        (Long) a[4], (Long) a[5])));
        ops.add(new Operation("withdraw", "firstId:id code:u16 member:id provider:id servedAt:u64 now:u64",
                new Object[] {id(81), CARE, id(ELDER), id(VOLUNTEER), NOW + 1, now},
                a -> s.withdraw((UInt128) a[0], (Integer) a[1], (UInt128) a[2], (UInt128) a[3], HALF, (Long) a[4],
                        (Long) a[5])));
        ops.add(new Operation("book", "id:id code:u16 payer:id provider:id timeoutS:u32 now:u64",
                new Object[] {id(82), CARE, id(ELDER), id(VOLUNTEER), 60L, now},
                a -> s.book((UInt128) a[0], (Integer) a[1], (UInt128) a[2], (UInt128) a[3], HALF, (Long) a[4], (Long) a[5])));
        ops.add(new Operation("complete", "firstId:id booking:id rating:u8 servedAt:u64 now:u64",
                new Object[] {id(83), BOOKING, 4, NOW + 2, now},
                a -> s.complete((UInt128) a[0], (UInt128) a[1], HALF, (Integer) a[2], null, (Long) a[3], (Long) a[4])));
        ops.add(new Operation("cancel", "id:id booking:id now:u64", new Object[] {id(84), BOOKING_TO_CANCEL, now},
                a -> s.cancel((UInt128) a[0], (UInt128) a[1], (Long) a[2])));
        ops.add(new Operation("gift", "id:id from:id to:id code:u16 now:u64",
                new Object[] {id(85), id(VOLUNTEER), id(ELDER), 0, now},
                a -> s.gift((UInt128) a[0], (UInt128) a[1], (UInt128) a[2], HALF, (Integer) a[3], (Long) a[4])));
        ops.add(new Operation("award", "id:lid code:u16 issuer:lid member:lid acts:u32 now:u64",
                new Object[] {86L, AWARD, POINTS_ISSUER, MEMBER_POINTS, 1L, now},
                a -> s.award((Long) a[0], (Integer) a[1], (Long) a[2], (Long) a[3], (Long) a[4], (Long) a[5])));
        ops.add(new Operation("redeem", "id:id member:id redemption:id code:u16 now:u64",
                new Object[] {id(87), id(MEMBER_POINTS), id(SHOP), 0, now},
                a -> s.redeem((UInt128) a[0], (UInt128) a[1], (UInt128) a[2], BigDecimal.ONE, (Integer) a[3], (Long) a[4])));
        ops.add(new Operation("reverse", "id:id original:id now:u64", new Object[] {id(88), id(1), now},
                a -> s.reverse((UInt128) a[0], (UInt128) a[1], (Long) a[2])));
        ops.add(new Operation("reverseBy", "id:id original:id operator:lid reason:u32 now:u64",
                new Object[] {id(90), id(4), 7L, 3L, now}, a -> s.reverse((UInt128) a[0], (UInt128) a[1], (Long) a[4],
                        Attribution.by((Long) a[2]).because((Long) a[3]))));
        ops.add(new Operation("link", "a:lid b:lid now:u64", new Object[] {ELDER, 40L, now},
                a -> s.link((Long) a[0], (Long) a[1], (Long) a[2])));
        ops.add(new Operation("setEligibility", "account:id from:u64 operator:lid reason:u32 now:u64",
                new Object[] {id(VOLUNTEER), NOW, 2L, 9L, now}, a -> s.setEligibility((UInt128) a[0], (Long) a[1],
                        (Long) a[4], Attribution.by((Long) a[2]).because((Long) a[3]))));
        ops.add(new Operation("account", "id:id", new Object[] {id(VOLUNTEER)}, a -> s.account((UInt128) a[0])).read());
        ops.add(new Operation("transfer", "id:id", new Object[] {id(1)}, a -> s.transfer((UInt128) a[0])).read());
        ops.add(new Operation("transferBy", "id:id", new Object[] {id(1)}, a -> s.transferBy((UInt128) a[0])).read());
        ops.add(new Operation("operation", "id:lid", new Object[] {1L}, a -> s.operation((Long) a[0])).read());
        ops.add(new Operation("statement", "account:id from:u64 limit:limit", new Object[] {id(VOLUNTEER), 0L, 10},
                a -> s.statement((UInt128) a[0], (Long) a[1], (Integer) a[2])).read());
        ops.add(new Operation("toMinor", "scale:scale", new Object[] {2}, a -> Amounts.toMinor("1.5", (Integer) a[0])).read());
        ops.add(new Operation("fromMinor", "scale:scale", new Object[] {2}, a -> Amounts.fromMinor(150, (Integer) a[0])).read());
        ops.add(new Operation("resultCodeName", "code:u16", new Object[] {110},
                a -> Timebank.resultCodeName((Integer) a[0])).read());
        ops.add(new Operation("closeAccount", "id:id account:id destination:id now:u64",
                new Object[] {id(89), LEAVER, id(POOL), now},
                a -> s.closeAccount((UInt128) a[0], (UInt128) a[1], (UInt128) a[2], (Long) a[3])));
        final String amended = PolicyTest.weighted(s.policyJson(NOW), "3");
        ops.add(new Operation("amendPolicy", "from:u64 now:u64", new Object[] {System.currentTimeMillis() * 1_000_000L + 1_000_000_000L, now},
                a -> s.amendPolicy(amended, (Long) a[0], (Long) a[1])));
        ops.add(new Operation("policyJson", "at:u64", new Object[] {NOW}, a -> s.policyJson((Long) a[0])).read());
        ops.add(new Operation("closeAccounts", "accounts[0]:id now:u64", new Object[] {DORMANT, now},
                a -> s.closeAccounts(Collections.singletonList((UInt128) a[0]), (Long) a[1])));
        final Exchange x = exchange;
        final String otherKey = Proofs.signingPublicKey("standard", key(3));
        ops.add(new Operation("exchangeAddPeer", "peerId:lid now:u64", new Object[] {OTHER_PEER, now},
                a -> x.addPeer((Long) a[0], otherKey, (Long) a[1])));
        ops.add(new Operation("exchangeSend", "number:u64 to:lid unit:u16 source:id destination:id deadline:u64 now:u64",
                new Object[] {1L, PEER, HOURS, id(VOLUNTEER), id(ELDER), NOW + HOUR, now},
                a -> x.send((Long) a[0], (Long) a[1], (Integer) a[2], BigDecimal.ONE, (UInt128) a[3], (UInt128) a[4],
                        (Long) a[5], (Long) a[6])));
        ops.add(new Operation("exchangeMoveMember", "number:u64 to:lid unit:u16 source:id destination:id deadline:u64 now:u64",
                new Object[] {2L, PEER, HOURS, MOVER, id(ELDER), NOW + HOUR, now},
                a -> x.moveMember((Long) a[0], (Long) a[1], (Integer) a[2], (UInt128) a[3], (UInt128) a[4], (Long) a[5],
                        (Long) a[6])));
        ops.add(new Operation("exchangeReceive", "now:u64", new Object[] {now},
                a -> x.receive(new byte[] {1, 2, 3}, (Long) a[0])).read());
        ops.add(new Operation("exchangeExpire", "now:u64", new Object[] {now}, a -> x.expire((Long) a[0])).read());
        return ops;
    }

    /** A value outside {@code kind}: below, above or far off its C type's range. */
    private static Object badValue(Random rng, String kind) {
        switch (kind) {
            case "u8":
                return pick(rng, -1, 256, Integer.MIN_VALUE, Integer.MAX_VALUE, 256 + rng.nextInt(1 << 24),
                        -1 - rng.nextInt(1 << 24));
            case "u16":
                return pick(rng, -1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE, 65536 + rng.nextInt(1 << 24),
                        -1 - rng.nextInt(1 << 24));
            case "u32":
                return pick(rng, -1L, 1L << 32, Long.MIN_VALUE, Long.MAX_VALUE, (1L << 32) + (rng.nextLong() >>> 2),
                        rng.nextLong() | Long.MIN_VALUE);
            case "u64":
            case "lid":
                return pick(rng, -1L, Long.MIN_VALUE, rng.nextLong() | Long.MIN_VALUE, -1L - rng.nextInt(1000));
            case "id":
                return null;
            case "limit":
                return pick(rng, 0, -1, 1001, Integer.MIN_VALUE, Integer.MAX_VALUE, 1001 + rng.nextInt(1 << 24));
            case "scale":
                return pick(rng, -1, Integer.MIN_VALUE, -1 - rng.nextInt(1 << 24));
            default:
                throw new AssertionError(kind);
        }
    }

    @SafeVarargs
    private static <T> T pick(Random rng, T... values) {
        return values[rng.nextInt(values.length)];
    }

    @Test
    void everyOperationSucceedsWithItsGoodArguments() {
        // The property below is only as strong as this: each good call really writes.
        for (Operation op : operations()) {
            byte[] before = store.status().stateDigest();
            op.call.run(op.good.clone());
            assertTrue(!op.writes || !Arrays.equals(before, store.status().stateDigest()), op.name + " changed nothing");
        }
    }

    @Test
    void randomBadValuesChangeNothing() {
        long seed = Long.getLong("timebank.seed", new Random().nextLong());
        int rounds = Integer.getInteger("timebank.rounds", 600);
        Random rng = new Random(seed);
        List<Operation> ops = operations();
        byte[] digest = store.status().stateDigest();
        for (int round = 0; round < rounds; round++) {
            Operation op = ops.get(rng.nextInt(ops.size()));
            int p = rng.nextInt(op.parameters.length);
            Object[] arguments = op.good.clone();
            arguments[p] = badValue(rng, op.kinds[p]);
            String where = "seed " + seed + ", round " + round + ": " + op.name + "(" + op.parameters[p] + "="
                    + arguments[p] + ")";
            try {
                op.call.run(arguments);
                fail(where + " was accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains(op.parameters[p]), where + ": '" + e.getMessage() + "' does not name it");
            }
            assertArrayEquals(digest, store.status().stateDigest(), where + " changed the ledger");
        }
    }
}
