//! The ledger's cryptographic profile, chosen when it is created and recorded in its genesis
//! record: which hash the Merkle tree uses and which signature signs checkpoints.
//!
//! | profile | tree hash | checkpoint signature |
//! |---|---|---|
//! | `standard` (the default) | SHA-256 | Ed25519 |
//! | `gm` (国密, for GB/T 39786 assessments) | SM3 (GB/T 32905) | SM2 (GB/T 32918) |
//!
//! The journal's own chain (record hashes) is BLAKE3 in both profiles: it is the storage
//! format's checksum and link, while the tree and the signatures are what outside verifiers
//! check. A `gm` ledger's genesis body is its policy JSON with one more top-level member,
//! `"crypto_profile": "gm"`; a body without it is `standard` (so every ledger written before
//! profiles existed is `standard`, byte for byte unchanged).

use crate::merkle::TreeHash;

/// The genesis body's member that names a non-default profile.
pub const GENESIS_PROFILE_MEMBER: &str = "crypto_profile";

/// The ledger's cryptographic profile, chosen when it is created and kept in its genesis record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CryptoProfile {
    /// SHA-256 tree, Ed25519 signatures.
    #[default]
    Standard,
    /// 国密: SM3 tree, SM2 signatures.
    Gm,
}

impl CryptoProfile {
    /// Its name in genesis records, proofs and checkpoint lines: `standard` or `gm`.
    pub fn name(self) -> &'static str {
        match self {
            CryptoProfile::Standard => "standard",
            CryptoProfile::Gm => "gm",
        }
    }

    /// The profile with this name (`standard` or `gm`); `None` for any other text.
    pub fn from_name(name: &str) -> Option<CryptoProfile> {
        match name {
            "standard" => Some(CryptoProfile::Standard),
            "gm" => Some(CryptoProfile::Gm),
            _ => None,
        }
    }

    /// The byte that stands for the profile in the signed message.
    pub fn code(self) -> u8 {
        match self {
            CryptoProfile::Standard => 1,
            CryptoProfile::Gm => 2,
        }
    }

    /// The tree's hash function under this profile.
    pub fn tree_hash(self) -> TreeHash {
        match self {
            CryptoProfile::Standard => TreeHash::Sha256,
            CryptoProfile::Gm => TreeHash::Sm3,
        }
    }

    /// Bytes of a public key: 32 (Ed25519) or 65 (SM2, uncompressed `04 ‖ x ‖ y`).
    pub fn public_key_bytes(self) -> usize {
        match self {
            CryptoProfile::Standard => 32,
            CryptoProfile::Gm => 65,
        }
    }
}

/// Splits a genesis body into the profile it records and the policy JSON the engine reads
/// (the body without [`GENESIS_PROFILE_MEMBER`]). A body without the member is returned as it
/// is, `standard`.
pub fn split_genesis_body(body: &[u8]) -> Result<(CryptoProfile, Vec<u8>), String> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(value) = object.remove(GENESIS_PROFILE_MEMBER) else {
        return Ok((CryptoProfile::Standard, body.to_vec()));
    };
    let profile = value
        .as_str()
        .and_then(CryptoProfile::from_name)
        .ok_or_else(|| format!("{GENESIS_PROFILE_MEMBER} is neither \"standard\" nor \"gm\""))?;
    // Invariant: a map of JSON values always serializes.
    let policy = serde_json::to_vec(&object).expect("JSON serializes");
    Ok((profile, policy))
}

/// The genesis body for `policy_json` (a JSON object) under `profile`: the policy itself for
/// `standard`, the policy with `"crypto_profile": "gm"` added for `gm`.
pub fn genesis_body(policy_json: &[u8], profile: CryptoProfile) -> Vec<u8> {
    match profile {
        CryptoProfile::Standard => policy_json.to_vec(),
        CryptoProfile::Gm => {
            // Invariant: the store serialized this policy itself, as an object.
            let mut object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(policy_json).expect("a policy is a JSON object");
            object.insert(GENESIS_PROFILE_MEMBER.into(), profile.name().into());
            serde_json::to_vec(&object).expect("JSON serializes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_rides_in_the_genesis_body_and_leaves_the_policy_as_it_was() {
        let policy = br#"{"units":[{"id":1,"name":"hours","scale":2}]}"#;
        assert_eq!(
            genesis_body(policy, CryptoProfile::Standard),
            policy.to_vec()
        );
        assert_eq!(
            split_genesis_body(policy).unwrap(),
            (CryptoProfile::Standard, policy.to_vec())
        );
        let gm = genesis_body(policy, CryptoProfile::Gm);
        let (profile, back) = split_genesis_body(&gm).unwrap();
        assert_eq!(profile, CryptoProfile::Gm);
        let back: serde_json::Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(
            back,
            serde_json::from_slice::<serde_json::Value>(policy).unwrap()
        );
        assert!(split_genesis_body(br#"{"units":[],"crypto_profile":"rsa"}"#).is_err());
        assert!(split_genesis_body(br#"{"units":[],"crypto_profile":2}"#).is_err());
    }
}
