package org.timebank;

/**
 * A request to open an account. Ids are unsigned 64-bit numbers chosen by the host (zero is never
 * an id). Limits are in minor units of the unit's scale; unset limits take the kind's defaults.
 */
public final class NewAccount {
    final long id;
    final int unit;
    final AccountKind kind;
    int community;
    long userData;
    long eligibleFrom;
    Long floorMinor;
    boolean noFloor;
    Long ceilingMinor;

    public NewAccount(long id, int unit, AccountKind kind) {
        this.id = id;
        this.unit = unit;
        this.kind = kind;
    }

    public NewAccount community(int community) {
        this.community = community;
        return this;
    }

    public NewAccount userData(long userData) {
        this.userData = userData;
        return this;
    }

    /** The first moment (ns since the epoch) the account may pay for care; 0 for no date. */
    public NewAccount eligibleFrom(long eligibleFrom) {
        this.eligibleFrom = eligibleFrom;
        return this;
    }

    public NewAccount floorMinor(long floorMinor) {
        this.floorMinor = floorMinor;
        return this;
    }

    public NewAccount noFloor() {
        this.noFloor = true;
        return this;
    }

    public NewAccount ceilingMinor(long ceilingMinor) {
        this.ceilingMinor = ceilingMinor;
        return this;
    }
}
