//! Checkpoints: "after record S the chain's head hash is H and the ledger's state digest is D",
//! authenticated with blake3's keyed mode under a key the host keeps outside the data directory.
//!
//! A checkpoint is journaled as its own record (kind 3) right after record S, and can be
//! exported as one line of text that an operator publishes:
//!
//! ```text
//! timebank-checkpoint v1 <S decimal> <H hex> <D hex> <MAC hex>
//! ```
//!
//! Whoever holds the key can check the line alone ([`Checkpoint::verify_mac`]); anyone can check
//! that a journal's record S has hash H; a verifier that replays can check D.

use crate::error::Error;
use crate::record::{Hash, HASH_BYTES};

/// Bytes that start the MAC input, so a checkpoint MAC can never equal a MAC the host computes
/// under the same key for another purpose.
pub const CHECKPOINT_MAC_DOMAIN: &[u8] = b"timebank-ledger 2026-11 checkpoint v1";
/// The first word of a checkpoint text.
pub const CHECKPOINT_TEXT_PREFIX: &str = "timebank-checkpoint v1";
/// Offset within a checkpoint record's body of the state digest (32 bytes).
pub const CHECKPOINT_OFFSET_DIGEST: usize = 0;
/// Offset within a checkpoint record's body of the MAC (32 bytes).
pub const CHECKPOINT_OFFSET_MAC: usize = 32;
/// The size of a checkpoint record's body: the digest, then the MAC.
pub const CHECKPOINT_BODY_BYTES: usize = 64;

/// A checkpoint key: 32 secret bytes the host passes in `StoreOptions`, never stored with the
/// ledger.
pub type CheckpointKey = [u8; 32];

/// One checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last record the checkpoint covers.
    pub sequence: u64,
    /// That record's hash: the head of the chain at the checkpoint.
    pub head_hash: Hash,
    /// `Ledger::state_digest()` after replaying records 0..=sequence.
    pub state_digest: Hash,
    /// blake3 keyed hash of [`Checkpoint::mac_input`].
    pub mac: Hash,
}

impl Checkpoint {
    /// A checkpoint with its MAC computed under `key`.
    pub fn sign(sequence: u64, head_hash: Hash, state_digest: Hash, key: &CheckpointKey) -> Self {
        let mac = *blake3::keyed_hash(key, &Self::mac_input(sequence, &head_hash, &state_digest))
            .as_bytes();
        Checkpoint {
            sequence,
            head_hash,
            state_digest,
            mac,
        }
    }

    /// The MAC input: domain, sequence (u64 LE), head hash, state digest.
    pub fn mac_input(sequence: u64, head_hash: &Hash, state_digest: &Hash) -> Vec<u8> {
        let mut input = Vec::with_capacity(CHECKPOINT_MAC_DOMAIN.len() + 8 + 2 * HASH_BYTES);
        input.extend_from_slice(CHECKPOINT_MAC_DOMAIN);
        input.extend_from_slice(&sequence.to_le_bytes());
        input.extend_from_slice(head_hash);
        input.extend_from_slice(state_digest);
        input
    }

    /// Whether the MAC is right for this key (compared in constant time).
    pub fn verify_mac(&self, key: &CheckpointKey) -> bool {
        let input = Self::mac_input(self.sequence, &self.head_hash, &self.state_digest);
        blake3::keyed_hash(key, &input) == blake3::Hash::from(self.mac)
    }

    /// The body of the checkpoint record: digest then MAC (sequence and head hash are the
    /// record's own `sequence - 1` and `prev_hash`).
    pub fn body(&self) -> [u8; CHECKPOINT_BODY_BYTES] {
        let mut body = [0u8; CHECKPOINT_BODY_BYTES];
        body[CHECKPOINT_OFFSET_DIGEST..CHECKPOINT_OFFSET_MAC].copy_from_slice(&self.state_digest);
        body[CHECKPOINT_OFFSET_MAC..].copy_from_slice(&self.mac);
        body
    }

    /// The one-line text form.
    pub fn to_text(&self) -> String {
        format!(
            "{CHECKPOINT_TEXT_PREFIX} {} {} {} {}",
            self.sequence,
            hex(&self.head_hash),
            hex(&self.state_digest),
            hex(&self.mac)
        )
    }

    /// Parses the text form (surrounding whitespace allowed, nothing else).
    pub fn from_text(text: &str) -> Result<Checkpoint, Error> {
        let rest =
            text.trim()
                .strip_prefix(CHECKPOINT_TEXT_PREFIX)
                .ok_or(Error::CheckpointText(
                    "it does not start with the v1 prefix",
                ))?;
        let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
        let [sequence, head, digest, mac] = words[..] else {
            return Err(Error::CheckpointText(
                "it needs four fields after the prefix",
            ));
        };
        if !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::CheckpointText(
                "the sequence is not a decimal number",
            ));
        }
        Ok(Checkpoint {
            sequence: sequence
                .parse()
                .map_err(|_| Error::CheckpointText("the sequence is not a u64"))?,
            head_hash: unhex(head)?,
            state_digest: unhex(digest)?,
            mac: unhex(mac)?,
        })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Hash, Error> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * HASH_BYTES {
        return Err(Error::CheckpointText("a hash must be 64 hex digits"));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(Error::CheckpointText("hashes are lower-case hex")),
    };
    let mut out = [0u8; HASH_BYTES];
    for (i, pair) in bytes.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_the_mac_needs_the_key() {
        let key = [7u8; 32];
        let c = Checkpoint::sign(41, [1; 32], [2; 32], &key);
        let text = c.to_text();
        assert!(!text.contains('\n'));
        let back = Checkpoint::from_text(&format!("  {text}\n")).unwrap();
        assert_eq!(back, c);
        assert!(back.verify_mac(&key));
        assert!(!back.verify_mac(&[8u8; 32]));
        let moved = Checkpoint {
            sequence: 42,
            ..back
        };
        assert!(!moved.verify_mac(&key));
        assert!(Checkpoint::from_text(&text.to_uppercase()).is_err());
        assert!(Checkpoint::from_text(&text.replace(" 41 ", " -1 ")).is_err());
    }
}
