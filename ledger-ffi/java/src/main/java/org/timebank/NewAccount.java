package org.timebank;

/**
 * A request to open an account. Ids and user data are unsigned 128-bit numbers chosen by the host
 * ({@link UInt128}; zero is never an id). Limits are in minor units of the unit's scale; unset
 * limits take the kind's defaults. Every field is range-checked when the account is submitted
 * ({@link IllegalArgumentException} naming it, nothing created).
 */
public final class NewAccount {
    final UInt128 id;
    final int unit;
    final AccountKind kind;
    long community;
    UInt128 userData = UInt128.ZERO;
    long eligibleFrom;
    Long floorMinor;
    boolean noFloor;
    Long ceilingMinor;

    /** {@code unit} is a {@code uint16_t} (0 to 65535). */
    public NewAccount(UInt128 id, int unit, AccountKind kind) {
        this.id = Arguments.id(id, "id");
        this.unit = unit;
        this.kind = kind;
    }

    /** As {@link #NewAccount(UInt128, int, AccountKind)}, for an id below 2^63. */
    public NewAccount(long id, int unit, AccountKind kind) {
        this(Arguments.id(id, "id"), unit, kind);
    }

    /** The community tag, a {@code uint32_t} (0 to 2^32 - 1). */
    public NewAccount community(long community) {
        this.community = community;
        return this;
    }

    public NewAccount userData(UInt128 userData) {
        this.userData = Arguments.id(userData, "userData");
        return this;
    }

    public NewAccount userData(long userData) {
        return userData(Arguments.id(userData, "userData"));
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
