package org.timebank;

import java.math.BigDecimal;

/**
 * This ledger's position with one peer in one unit: {@code owedToPeer} is positive when this
 * ledger owes the peer (its members' hours were honoured there), negative when the peer owes
 * it; {@code heldOutgoing} is held for offers not yet answered. Per unit, two peers' positions
 * for each other sum to zero once their exchanges settle.
 */
public final class Position {
    public final long peer;
    public final int unit;
    public final BigDecimal owedToPeer;
    public final BigDecimal heldOutgoing;

    Position(long peer, int unit, BigDecimal owedToPeer, BigDecimal heldOutgoing) {
        this.peer = peer;
        this.unit = unit;
        this.owedToPeer = owedToPeer;
        this.heldOutgoing = heldOutgoing;
    }

    @Override
    public String toString() {
        return "Position{peer=" + peer + ", unit=" + unit + ", owedToPeer=" + owedToPeer + ", heldOutgoing=" + heldOutgoing
                + "}";
    }
}
