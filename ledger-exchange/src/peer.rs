//! Peers: the other ledgers this one exchanges with, each an id and a public key, and the
//! clearing accounts that stand for them.
//!
//! Registering a peer opens one clearing account per unit of this ledger
//! ([`crate::clearing_account`]), with the peer's [`crate::key_fingerprint`] as `user_data`, so
//! the journal itself binds the peer's id to its key: a peer list whose key differs from the
//! journal's is refused ([`Peers::check_bound`]), and a peer cannot be registered twice with two
//! keys.

use std::collections::BTreeMap;

use ledger_core::{AccountKind, Ledger, NewAccount};
use serde::{Deserialize, Serialize};

use crate::id::{clearing_account, key_fingerprint, PeerId};
use crate::message::Message;
use crate::signature::PublicKey;
use crate::verdict::Verdict;

/// Most peers one ledger keeps (a province's cities and a hub fit with room to spare).
pub const PEERS_MAX: usize = 1_024;

/// Another ledger of the federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The peer ledger's id, unique in the federation.
    pub id: PeerId,
    /// The key the peer signs its messages with.
    pub key: PublicKey,
}

impl Peer {
    /// The clearing accounts registering this peer opens on `ledger`: one per unit.
    pub fn clearing_accounts(&self, ledger: &Ledger) -> Vec<NewAccount> {
        ledger
            .units()
            .map(|unit| {
                NewAccount::new(
                    clearing_account(self.id, unit.id),
                    unit.id,
                    AccountKind::Clearing,
                )
                .user_data(key_fingerprint(self.key.as_bytes()))
            })
            .collect()
    }
}

/// Why a peer list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The list names this ledger itself.
    #[error("a ledger cannot be its own peer ({0})")]
    Own(PeerId),
    /// The peer is known with another key: in the list, or by the key fingerprint its clearing
    /// accounts on the ledger carry.
    #[error("peer {0} is registered with another key")]
    OtherKey(PeerId),
    /// More than `PEERS_MAX` peers.
    #[error("at most {PEERS_MAX} peers")]
    TooMany,
    /// The peer's clearing accounts on the ledger do not match the list.
    #[error("peer {peer}: {problem}")]
    Unbound {
        /// The peer whose accounts do not match.
        peer: PeerId,
        /// How they do not match.
        problem: &'static str,
    },
    /// The peer list's text could not be read.
    #[error("the peer list is not valid: {0}")]
    Format(String),
}

/// This ledger's id and its peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers {
    own: PeerId,
    peers: BTreeMap<PeerId, PublicKey>,
}

impl Peers {
    /// A ledger with id `own` and no peers yet.
    pub fn new(own: PeerId) -> Peers {
        Peers {
            own,
            peers: BTreeMap::new(),
        }
    }

    /// This ledger's own id.
    pub fn own(&self) -> PeerId {
        self.own
    }

    /// The peer with id `id`, if registered.
    pub fn get(&self, id: PeerId) -> Option<Peer> {
        self.peers.get(&id).map(|key| Peer { id, key: *key })
    }

    /// Every peer, in order of id.
    pub fn iter(&self) -> impl Iterator<Item = Peer> + '_ {
        self.peers
            .iter()
            .map(|(id, key)| Peer { id: *id, key: *key })
    }

    /// Adds `peer`; adding it again with the same key changes nothing.
    pub fn add(&mut self, peer: Peer) -> Result<(), PeerError> {
        if peer.id == self.own {
            return Err(PeerError::Own(peer.id));
        }
        match self.peers.get(&peer.id) {
            Some(key) if *key == peer.key => Ok(()),
            Some(_) => Err(PeerError::OtherKey(peer.id)),
            None if self.peers.len() >= PEERS_MAX => Err(PeerError::TooMany),
            None => {
                self.peers.insert(peer.id, peer.key);
                Ok(())
            }
        }
    }

    /// Checks that `peer` may be registered on `ledger`: each of its clearing accounts is
    /// missing or bound to the same key.
    pub fn check_peer_bound(ledger: &Ledger, peer: Peer) -> Result<(), PeerError> {
        for spec in peer.clearing_accounts(ledger) {
            if let Some(account) = ledger.account(spec.id) {
                if account.kind != AccountKind::Clearing {
                    return Err(PeerError::Unbound {
                        peer: peer.id,
                        problem: "a clearing account id is taken by another kind of account",
                    });
                }
                if account.user_data != spec.user_data {
                    return Err(PeerError::OtherKey(peer.id));
                }
            }
        }
        Ok(())
    }

    /// Checks that every peer's clearing accounts exist on `ledger` and carry its key's
    /// fingerprint: the list agrees with the journal.
    pub fn check_bound(&self, ledger: &Ledger) -> Result<(), PeerError> {
        for peer in self.iter() {
            Self::check_peer_bound(ledger, peer)?;
            for spec in peer.clearing_accounts(ledger) {
                if ledger.account(spec.id).is_none() {
                    return Err(PeerError::Unbound {
                        peer: peer.id,
                        problem: "its clearing accounts are not in the journal",
                    });
                }
            }
        }
        Ok(())
    }

    /// The peer a clearing account stands for, if it is one of this list's.
    pub fn peer_of_clearing(
        &self,
        ledger: &Ledger,
        account: ledger_core::AccountId,
    ) -> Option<Peer> {
        let unit = ledger.account(account)?.unit;
        self.iter()
            .find(|p| clearing_account(p.id, unit) == account)
    }

    /// Authenticates a message: addressed to this ledger, from a registered peer, signed with
    /// that peer's key, and the signature verifies. Returns the peer.
    pub fn authenticate(&self, message: &Message) -> Result<Peer, Verdict> {
        let header = &message.header;
        if header.to != self.own {
            return Err(Verdict::NotAddressedHere);
        }
        let peer = self.get(header.from).ok_or(Verdict::UnknownPeer)?;
        if peer.key != header.signer {
            return Err(Verdict::WrongKey);
        }
        if !message.signature_valid() {
            return Err(Verdict::Forged);
        }
        Ok(peer)
    }

    /// The list as JSON: `{"own": "310101", "peers": [{"id": "310104", "key": "hex"}]}`.
    pub fn to_json(&self) -> String {
        let file = PeersFile {
            own: self.own.to_string(),
            peers: self
                .iter()
                .map(|p| PeerEntry {
                    id: p.id.to_string(),
                    key: p.key.to_hex(),
                })
                .collect(),
        };
        // Invariant: plain strings serialize.
        serde_json::to_string_pretty(&file).expect("JSON of strings")
    }

    /// Parses [`Peers::to_json`]'s form.
    pub fn from_json(text: &str) -> Result<Peers, PeerError> {
        let file: PeersFile =
            serde_json::from_str(text).map_err(|e| PeerError::Format(e.to_string()))?;
        let id = |text: &str| {
            text.parse::<u64>()
                .ok()
                .and_then(PeerId::new)
                .ok_or_else(|| PeerError::Format(format!("{text:?} is not a ledger id")))
        };
        let mut peers = Peers::new(id(&file.own)?);
        for entry in &file.peers {
            let key = PublicKey::from_hex(&entry.key)
                .ok_or_else(|| PeerError::Format(format!("{:?} is not a public key", entry.key)))?;
            let peer = Peer {
                id: id(&entry.id)?,
                key,
            };
            if peers.get(peer.id).is_some() {
                return Err(PeerError::Format(format!("peer {} listed twice", peer.id)));
            }
            peers.add(peer)?;
        }
        Ok(peers)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeersFile {
    own: String,
    peers: Vec<PeerEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerEntry {
    id: String,
    key: String,
}
