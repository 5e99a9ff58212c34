//! Positions: what this ledger owes each peer, or is owed, per unit (the settlement report).

use ledger_core::{Decimal, Ledger, UnitId};

use crate::id::{clearing_account, PeerId};
use crate::peer::Peers;

/// This ledger's position with one peer in one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The peer ledger.
    pub peer: PeerId,
    /// The unit the position is counted in.
    pub unit: UnitId,
    /// The clearing account's posted balance: positive when this ledger owes the peer (its
    /// members' hours were honoured there), negative when the peer owes this ledger.
    pub owed_to_peer: Decimal,
    /// Hours held for offers to the peer not yet answered.
    pub held_outgoing: Decimal,
}

/// Every peer's position in every unit, ordered by peer then unit.
pub fn positions(ledger: &Ledger, peers: &Peers) -> Vec<Position> {
    let mut out = Vec::new();
    for peer in peers.iter() {
        for unit in ledger.units() {
            let Some(account) = ledger.account(clearing_account(peer.id, unit.id)) else {
                continue;
            };
            out.push(Position {
                peer: peer.id,
                unit: unit.id,
                owed_to_peer: account.posted(),
                held_outgoing: account.decimal(account.balances.credits_pending),
            });
        }
    }
    out
}
