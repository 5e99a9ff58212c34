package org.timebank;

import java.nio.file.Path;
import java.util.Arrays;

/** A store with a fund, two members, a points issuer, a member's points account, a shop and a pool. */
final class Fixture {
    static final long FUND = 1, VOLUNTEER = 2, ELDER = 3, POINTS_ISSUER = 11, MEMBER_POINTS = 12, SHOP = 13, POOL = 14;
    static final int HOURS = 1, POINTS = 2, SERVICE = 101, CARE = 201, AWARD = 401;
    /** Time never goes back in a ledger, and the store journals its creation time from the clock. */
    static final long NOW = System.currentTimeMillis() * 1_000_000L;

    private Fixture() {}

    /** An id as the raw {@code timebank_id} the native bindings take (lo, hi). */
    static long[] rawId(long id) {
        return new long[] {id, 0};
    }

    static Store open(Path dir) {
        Store store = Store.open(dir.resolve("ledger").toString(), null, new byte[32]);
        int[] codes = store.createAccounts(Arrays.asList(
                new NewAccount(FUND, HOURS, AccountKind.ISSUER).community(7),
                new NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER).community(7),
                new NewAccount(ELDER, HOURS, AccountKind.MEMBER).community(7),
                new NewAccount(POINTS_ISSUER, POINTS, AccountKind.ISSUER),
                new NewAccount(MEMBER_POINTS, POINTS, AccountKind.MEMBER),
                new NewAccount(SHOP, POINTS, AccountKind.REDEMPTION),
                new NewAccount(POOL, HOURS, AccountKind.DONATION)), NOW);
        for (int code : codes) {
            if (code != 0) {
                throw new AssertionError("account creation failed with " + code);
            }
        }
        return store;
    }
}
