//! Signed checkpoints: "the journal's Merkle tree of `tree_size` records has root R; its last
//! record has hash H; the ledger's state digest after it is D; that record ran at time T",
//! signed with a public-key signature, so that anyone holding the public key (a member's phone,
//! an auditor) can check it, and nobody without the signing key can make one.
//!
//! The standard profile signs with Ed25519 (RFC 8032) and hashes the tree with SHA-256; the
//! 国密 profile signs with SM2 (GB/T 32918.2, distinguishing identifier `1234567812345678`) and
//! hashes the tree with SM3 (GB/T 32905). A signed checkpoint is published as one line:
//!
//! ```text
//! timebank-signed-checkpoint v1 <profile> <tree size> <root> <head hash> <state digest>
//!     <time ns> <public key> <signature>
//! ```
//!
//! (one line, fields separated by single spaces; `docs/FORMAT.md` §13 gives every byte). A
//! signed checkpoint is not journaled: it is computed from the durable head whenever asked.

use ed25519_dalek::Signer as _;
use ed25519_dalek::Verifier as _;

use crate::checkpoint::hex;
use crate::profile::CryptoProfile;
use crate::record::Hash;

/// Bytes that start the signed message, so a checkpoint signature can never be taken for a
/// signature the same key made for another purpose.
pub const SIGNED_CHECKPOINT_DOMAIN: &[u8] = b"timebank-ledger 2026-11 signed checkpoint v1";
/// The first words of a signed checkpoint line.
pub const SIGNED_CHECKPOINT_TEXT_PREFIX: &str = "timebank-signed-checkpoint v1";
/// The SM2 distinguishing identifier (GB/T 35276's default), hashed into the signer's `Z`.
pub const SM2_DISTINGUISHING_ID: &str = "1234567812345678";
/// Bytes of a signature in either profile: Ed25519's R ‖ S, SM2's r ‖ s (big-endian).
pub const SIGNATURE_BYTES: usize = 64;

/// Why a signed checkpoint does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The line (or key) is not well formed.
    #[error("not a signed checkpoint: {0}")]
    Malformed(String),
    /// The checkpoint names another public key, or its profile is not the key's: it was not
    /// signed by the key the verifier trusts (which says nothing about damage).
    #[error("not signed by this key")]
    WrongKey,
    /// The checkpoint names the trusted key but its signature does not verify: the line was
    /// altered after signing (or forged).
    #[error("the signature does not verify: the checkpoint was altered or forged")]
    BadSignature,
}

/// A secret signing key of either profile, made from 32 secret bytes (the Ed25519 seed, or the
/// SM2 secret scalar big-endian) that the host keeps outside the data directory.
pub struct SigningKey {
    profile: CryptoProfile,
    inner: SigningInner,
}

enum SigningInner {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("SigningKey")
            .field("profile", &self.profile)
            .field("public_key", &hex(&self.public_key()))
            .finish()
    }
}

impl SigningKey {
    /// The key of `profile` from its 32 secret bytes. SM2 refuses zero and scalars not below
    /// the curve order minus one.
    pub fn from_secret(profile: CryptoProfile, secret: &[u8; 32]) -> Result<Self, SignatureError> {
        let inner = match profile {
            CryptoProfile::Standard => {
                SigningInner::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(secret)))
            }
            CryptoProfile::Gm => {
                let bad = |_| SignatureError::Malformed("not a valid SM2 secret key".into());
                let secret = sm2::SecretKey::from_slice(secret).map_err(bad)?;
                let key = sm2::dsa::SigningKey::new(SM2_DISTINGUISHING_ID, &secret)
                    .map_err(|_| SignatureError::Malformed("not a valid SM2 secret key".into()))?;
                SigningInner::Sm2(Box::new(key))
            }
        };
        Ok(SigningKey { profile, inner })
    }

    /// The profile the key signs in (Ed25519 for `standard`, SM2 for `gm`).
    pub fn profile(&self) -> CryptoProfile {
        self.profile
    }

    /// The public key as checkpoint lines carry it.
    pub fn public_key(&self) -> Vec<u8> {
        match &self.inner {
            SigningInner::Ed25519(key) => key.verifying_key().to_bytes().to_vec(),
            SigningInner::Sm2(key) => {
                // Uncompressed SEC1: 04 ‖ x ‖ y.
                key.verifying_key().to_sec1_bytes().to_vec()
            }
        }
    }

    fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        match &self.inner {
            SigningInner::Ed25519(key) => key.sign(message).to_bytes(),
            SigningInner::Sm2(key) => {
                let signature: sm2::dsa::Signature = key.sign(message);
                signature.to_bytes()
            }
        }
    }
}

/// One signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The ledger's cryptographic profile (the tree's hash and the signature scheme).
    pub profile: CryptoProfile,
    /// Records the tree covers: 0..tree_size (≥ 1, the genesis record is always there).
    pub tree_size: u64,
    /// The Merkle tree's root over those records.
    pub root: Hash,
    /// The hash of record `tree_size - 1`.
    pub head_hash: Hash,
    /// The ledger's state digest after that record.
    pub state_digest: Hash,
    /// That record's `now`, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The signer's public key (32 or 65 bytes, see [`CryptoProfile::public_key_bytes`]).
    pub public_key: Vec<u8>,
    /// The signature over the claim (64 bytes: Ed25519, or SM2's r ‖ s).
    pub signature: [u8; SIGNATURE_BYTES],
}

/// The statement a signed checkpoint makes, before it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointClaim {
    /// Records the tree covers: 0..tree_size (at least 1).
    pub tree_size: u64,
    /// The Merkle tree's root over those records.
    pub root: Hash,
    /// The hash of record `tree_size - 1`.
    pub head_hash: Hash,
    /// The ledger's state digest after that record.
    pub state_digest: Hash,
    /// That record's `now`, nanoseconds since the Unix epoch.
    pub time_ns: u64,
}

impl SignedCheckpoint {
    /// Signs `claim` with `key` (in the key's profile).
    pub fn sign(claim: &CheckpointClaim, key: &SigningKey) -> SignedCheckpoint {
        let message = signed_message(key.profile, claim);
        SignedCheckpoint {
            profile: key.profile,
            tree_size: claim.tree_size,
            root: claim.root,
            head_hash: claim.head_hash,
            state_digest: claim.state_digest,
            time_ns: claim.time_ns,
            public_key: key.public_key(),
            signature: key.sign(&message),
        }
    }

    /// What the checkpoint states.
    pub fn claim(&self) -> CheckpointClaim {
        CheckpointClaim {
            tree_size: self.tree_size,
            root: self.root,
            head_hash: self.head_hash,
            state_digest: self.state_digest,
            time_ns: self.time_ns,
        }
    }

    /// The bytes the signature covers (see [`signed_message`]).
    pub fn message(&self) -> Vec<u8> {
        signed_message(self.profile, &self.claim())
    }

    /// Checks the signature under `public_key`, the key the verifier trusts (not the one the
    /// line carries). `Err(WrongKey)`: the line names another key or profile; `Err(BadSignature)`:
    /// it names this key but was altered after signing.
    pub fn verify(&self, public_key: &[u8]) -> Result<(), SignatureError> {
        if public_key.len() != self.profile.public_key_bytes() || public_key != self.public_key {
            return Err(SignatureError::WrongKey);
        }
        let message = self.message();
        let good = match self.profile {
            CryptoProfile::Standard => {
                let key: [u8; 32] = public_key
                    .try_into()
                    .map_err(|_| SignatureError::WrongKey)?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
                    .map_err(|_| SignatureError::Malformed("not an Ed25519 public key".into()))?;
                let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
                key.verify_strict(&message, &signature).is_ok()
            }
            CryptoProfile::Gm => {
                let key =
                    sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTINGUISHING_ID, public_key)
                        .map_err(|_| SignatureError::Malformed("not an SM2 public key".into()))?;
                match sm2::dsa::Signature::from_slice(&self.signature) {
                    Ok(signature) => key.verify(&message, &signature).is_ok(),
                    Err(_) => false,
                }
            }
        };
        match good {
            true => Ok(()),
            false => Err(SignatureError::BadSignature),
        }
    }

    /// The one-line text form.
    pub fn to_text(&self) -> String {
        format!(
            "{SIGNED_CHECKPOINT_TEXT_PREFIX} {} {} {} {} {} {} {} {}",
            self.profile.name(),
            self.tree_size,
            hex(&self.root),
            hex(&self.head_hash),
            hex(&self.state_digest),
            self.time_ns,
            hex(&self.public_key),
            hex(&self.signature)
        )
    }

    /// Parses the text form (surrounding whitespace allowed, nothing else).
    pub fn from_text(text: &str) -> Result<SignedCheckpoint, SignatureError> {
        let bad = |why: &str| SignatureError::Malformed(why.to_owned());
        let rest = text
            .trim()
            .strip_prefix(SIGNED_CHECKPOINT_TEXT_PREFIX)
            .ok_or_else(|| bad("it does not start with \"timebank-signed-checkpoint v1\""))?;
        let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
        let [profile, size, root, head, digest, time, key, signature] = words[..] else {
            return Err(bad("it needs eight fields after the prefix"));
        };
        let profile = CryptoProfile::from_name(profile)
            .ok_or_else(|| bad("the profile is neither \"standard\" nor \"gm\""))?;
        let tree_size = decimal(size).ok_or_else(|| bad("the tree size is not a u64"))?;
        if tree_size == 0 {
            return Err(bad("the tree size is zero"));
        }
        let public_key = unhex(key).ok_or_else(|| bad("the public key is not lower-case hex"))?;
        if public_key.len() != profile.public_key_bytes() {
            return Err(bad("the public key has the wrong length for the profile"));
        }
        Ok(SignedCheckpoint {
            profile,
            tree_size,
            root: hash32(root).ok_or_else(|| bad("the root is not 64 hex digits"))?,
            head_hash: hash32(head).ok_or_else(|| bad("the head hash is not 64 hex digits"))?,
            state_digest: hash32(digest)
                .ok_or_else(|| bad("the state digest is not 64 hex digits"))?,
            time_ns: decimal(time).ok_or_else(|| bad("the time is not a u64"))?,
            public_key,
            signature: unhex(signature)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("the signature is not 128 hex digits"))?,
        })
    }
}

impl std::fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The signed message:
/// `SIGNED_CHECKPOINT_DOMAIN ‖ profile code (u8) ‖ tree_size (u64 LE) ‖ root ‖ head_hash ‖
/// state_digest ‖ time_ns (u64 LE)`, 157 bytes.
pub fn signed_message(profile: CryptoProfile, claim: &CheckpointClaim) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNED_MESSAGE_BYTES);
    message.extend_from_slice(SIGNED_CHECKPOINT_DOMAIN);
    message.push(profile.code());
    message.extend_from_slice(&claim.tree_size.to_le_bytes());
    message.extend_from_slice(&claim.root);
    message.extend_from_slice(&claim.head_hash);
    message.extend_from_slice(&claim.state_digest);
    message.extend_from_slice(&claim.time_ns.to_le_bytes());
    debug_assert_eq!(message.len(), SIGNED_MESSAGE_BYTES);
    message
}

/// Bytes of the signed message.
pub const SIGNED_MESSAGE_BYTES: usize = 44 + 1 + 8 + 3 * 32 + 8;
const _: () = assert!(SIGNED_CHECKPOINT_DOMAIN.len() == 44);

/// The public key of a profile from its hex text, checked to be a valid key.
pub fn public_key_from_hex(profile: CryptoProfile, text: &str) -> Result<Vec<u8>, SignatureError> {
    let bad = |why: &str| SignatureError::Malformed(why.to_owned());
    let key = unhex(text.trim()).ok_or_else(|| bad("a public key is lower-case hex"))?;
    let valid = match profile {
        CryptoProfile::Standard => <[u8; 32]>::try_from(key.as_slice())
            .ok()
            .is_some_and(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok()),
        CryptoProfile::Gm => {
            key.len() == 65
                && sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTINGUISHING_ID, &key).is_ok()
        }
    };
    match valid {
        true => Ok(key),
        false => Err(bad(match profile {
            CryptoProfile::Standard => "not an Ed25519 public key (64 hex digits)",
            CryptoProfile::Gm => "not an SM2 public key (130 hex digits, 04 then x and y)",
        })),
    }
}

fn decimal(text: &str) -> Option<u64> {
    match text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        true => text.parse().ok(),
        false => None,
    }
}

/// Lower-case hex to bytes.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn hash32(text: &str) -> Option<Hash> {
    unhex(text)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::elliptic_curve::sec1::ToEncodedPoint;

    fn claim() -> CheckpointClaim {
        CheckpointClaim {
            tree_size: 42,
            root: [1; 32],
            head_hash: [2; 32],
            state_digest: [3; 32],
            time_ns: 1_767_225_600_000_000_000,
        }
    }

    #[test]
    fn a_line_round_trips_and_verifies_with_the_public_key_alone_in_both_profiles() {
        for profile in [CryptoProfile::Standard, CryptoProfile::Gm] {
            let key = SigningKey::from_secret(profile, &[7; 32]).unwrap();
            let signed = SignedCheckpoint::sign(&claim(), &key);
            let text = signed.to_text();
            assert!(!text.contains('\n'));
            let back = SignedCheckpoint::from_text(&format!(" {text}\n")).unwrap();
            assert_eq!(back, signed);
            assert_eq!(back.verify(&key.public_key()), Ok(()));
            assert!(text.starts_with(&format!(
                "timebank-signed-checkpoint v1 {} 42 ",
                profile.name()
            )));
        }
    }

    #[test]
    fn another_key_is_not_this_key_and_an_altered_line_is_a_bad_signature() {
        for profile in [CryptoProfile::Standard, CryptoProfile::Gm] {
            let key = SigningKey::from_secret(profile, &[7; 32]).unwrap();
            let other = SigningKey::from_secret(profile, &[8; 32]).unwrap();
            let signed = SignedCheckpoint::sign(&claim(), &key);
            assert_eq!(
                signed.verify(&other.public_key()),
                Err(SignatureError::WrongKey)
            );
            // A line re-labelled with the other key still fails: not signed by it.
            let relabelled = SignedCheckpoint {
                public_key: other.public_key(),
                ..signed.clone()
            };
            assert_eq!(
                relabelled.verify(&other.public_key()),
                Err(SignatureError::BadSignature)
            );
            let text = signed.to_text();
            // Alter every field that is signed, one at a time.
            let words: Vec<&str> = text.split(' ').collect();
            for i in 3..8 {
                let mut altered: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                let w = &mut altered[i];
                let last = w.pop().unwrap();
                w.push(if last == '1' { '2' } else { '1' });
                let line = altered.join(" ");
                let parsed = SignedCheckpoint::from_text(&line).unwrap();
                assert_eq!(
                    parsed.verify(&key.public_key()),
                    Err(SignatureError::BadSignature),
                    "field {i}"
                );
            }
            let mut bad_sig = signed.clone();
            bad_sig.signature[5] ^= 1;
            assert_eq!(
                bad_sig.verify(&key.public_key()),
                Err(SignatureError::BadSignature)
            );
        }
        // A key of the other profile is not this key either.
        let ed = SigningKey::from_secret(CryptoProfile::Standard, &[7; 32]).unwrap();
        let gm = SigningKey::from_secret(CryptoProfile::Gm, &[7; 32]).unwrap();
        let signed = SignedCheckpoint::sign(&claim(), &ed);
        assert_eq!(
            signed.verify(&gm.public_key()),
            Err(SignatureError::WrongKey)
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        let key = SigningKey::from_secret(CryptoProfile::Standard, &[7; 32]).unwrap();
        let text = SignedCheckpoint::sign(&claim(), &key).to_text();
        for bad in [
            text.replace(" standard ", " rsa "),
            text.replace(" 42 ", " 0 "),
            text.replace(" 42 ", " -42 "),
            text.to_uppercase(),
            text.replace("timebank-signed-checkpoint v1", "timebank-checkpoint v1"),
            format!("{text} extra"),
            text[..text.len() - 2].to_string(),
        ] {
            assert!(SignedCheckpoint::from_text(&bad).is_err(), "{bad}");
        }
        assert!(SigningKey::from_secret(CryptoProfile::Gm, &[0; 32]).is_err());
        assert!(SigningKey::from_secret(CryptoProfile::Gm, &[0xff; 32]).is_err());
    }

    /// RFC 8032 §7.1, test 1: the empty message under the first test key.
    #[test]
    fn ed25519_rfc_8032_vector() {
        let secret: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        assert_eq!(
            hex(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&key.sign(b"").to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    /// GB/T 32918.5-2017 (GM/T 0003.5) Annex A: the example key on the recommended curve, its
    /// public key, and the example signature of "message digest" under the default
    /// distinguishing identifier (the digest e is F0B43E94…D28640).
    #[test]
    fn sm2_gb_t_32918_vector() {
        let secret =
            unhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8").unwrap();
        let secret = sm2::SecretKey::from_slice(&secret).unwrap();
        let public = secret.public_key().to_encoded_point(false);
        assert_eq!(
            hex(public.as_bytes()),
            "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020\
             ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
        );
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTINGUISHING_ID, public.as_bytes())
            .unwrap();
        let signature = unhex(
            "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3\
             b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa",
        )
        .unwrap();
        let signature = sm2::dsa::Signature::from_slice(&signature).unwrap();
        assert!(key.verify(b"message digest", &signature).is_ok());
        assert!(key.verify(b"message digesT", &signature).is_err());
    }
}
