//! Ed25519 keys of ledgers (through `ed25519-dalek`, kept behind these two types).
//!
//! A ledger signs every message with its signing key. Keep that key outside the data
//! directory, like the checkpoint key: whoever holds it can speak for the ledger. Peers know the
//! ledger by its public key.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::hex;

/// A ledger's Ed25519 public key (a valid curve point).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// The key with these 32 bytes, or `None` when they are not an Ed25519 public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublicKey> {
        VerifyingKey::from_bytes(bytes).ok().map(PublicKey)
    }

    /// The key from 64 hex digits.
    pub fn from_hex(text: &str) -> Option<PublicKey> {
        PublicKey::from_bytes(&hex::decode::<32>(text.trim())?)
    }

    /// The key's 32 bytes (Ed25519, compressed).
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The key as 64 lowercase hex digits (what `from_hex` reads).
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// Whether `signature` is this key's over `message` (strict verification: no malleable
    /// or small-order forms).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.0
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// A ledger's signing key.
pub struct Signer(SigningKey);

impl Signer {
    /// The signing key with this 32-byte secret (seed). Make the seed from a cryptographic
    /// random source and keep it outside the data directory.
    pub fn from_seed(seed: &[u8; 32]) -> Signer {
        Signer(SigningKey::from_bytes(seed))
    }

    /// The signing key from 64 hex digits (the key file's form).
    pub fn from_hex(text: &str) -> Option<Signer> {
        hex::decode::<32>(text.trim()).map(|seed| Signer::from_seed(&seed))
    }

    /// The public key peers verify this ledger's messages with.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The Ed25519 signature of `message` (deterministic: the same message gives the same bytes).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Signer({})", self.public_key().to_hex())
    }
}
