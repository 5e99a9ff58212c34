//! Proof documents: small JSON files a member's phone or an auditor checks offline, against a
//! signed checkpoint and the signer's public key alone (`docs/FORMAT.md` §15).
//!
//! - [`InclusionProof`]: one journal record (with its bytes, so the verifier recomputes its hash
//!   and reads the transfer in it) is leaf `leaf_index` of the tree a checkpoint signs.
//! - [`StatementProof`]: the same for every record that holds a transfer of one account.
//! - [`ConsistencyProof`]: the tree a later checkpoint signs extends the tree an earlier one
//!   signs, so no record under the earlier checkpoint was changed or removed since.

use serde_json::{json, Value};

use crate::checkpoint::hex;
use crate::codec::decode_record_body;
use crate::merkle::{verify_consistency, verify_inclusion, PROOF_HASHES_MAX};
use crate::outcome::Outcome;
use crate::profile::CryptoProfile;
use crate::record::{parse_frame, Hash, RecordKind};
use crate::signed_checkpoint::{unhex, SignatureError, SignedCheckpoint};

/// The `proof` member of an inclusion proof document.
pub const INCLUSION_PROOF_FORMAT: &str = "timebank-inclusion-proof v1";
/// The `proof` member of a statement proof document.
pub const STATEMENT_PROOF_FORMAT: &str = "timebank-statement-proof v1";
/// The `proof` member of a consistency proof document.
pub const CONSISTENCY_PROOF_FORMAT: &str = "timebank-consistency-proof v1";
/// Most records one statement proof carries (a page of history touches at most this many).
pub const STATEMENT_RECORDS_MAX: usize = 1000;
/// Most transfers one operation's plan makes, but for a closing (one per account): a service's
/// earned part, its donated excess and its points (FORMAT.md §4.2, Operate).
pub const OPERATION_TRANSFERS_MAX: u128 = 3;

/// Why a proof does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofFailure {
    /// The document is not a proof of this format (bad JSON, a missing or ill-typed field).
    #[error("not a proof document: {0}")]
    Malformed(String),
    /// The checkpoint was signed by another key than the one trusted.
    #[error("not signed by this key")]
    NotSignedByKey,
    /// The checkpoint names the trusted key, but its signature does not verify.
    #[error("the checkpoint's signature does not verify: it was altered or forged")]
    BadSignature,
    /// The proof is well formed but does not hold: a hash, a record or the root differs.
    #[error("the proof does not hold: {0}")]
    Invalid(String),
}

impl From<SignatureError> for ProofFailure {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::WrongKey => ProofFailure::NotSignedByKey,
            SignatureError::BadSignature => ProofFailure::BadSignature,
            SignatureError::Malformed(why) => ProofFailure::Malformed(why),
        }
    }
}

/// One record and its inclusion path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProof {
    /// The record's sequence number: its leaf index.
    pub leaf_index: u64,
    /// The whole record, frame and stored hash included.
    pub record: Vec<u8>,
    /// The sibling hashes from the leaf up to the root (RFC 9162 §2.1.3).
    pub path: Vec<Hash>,
}

impl RecordProof {
    /// Checks that `record` is a whole record whose stored hash matches its bytes, whose
    /// sequence number is `leaf_index`, and whose hash is that leaf of the tree of `tree_size`
    /// records with root `root`.
    pub fn verify(
        &self,
        profile: CryptoProfile,
        tree_size: u64,
        root: &Hash,
    ) -> Result<(), ProofFailure> {
        let invalid = |why: String| ProofFailure::Invalid(why);
        let frame = parse_frame(&self.record, 0)
            .map_err(|e| invalid(format!("record {}: {e}", self.leaf_index)))?;
        if frame.len() != self.record.len() || !frame.hash_matches() {
            return Err(invalid(format!(
                "record {}: its bytes do not match its hash",
                self.leaf_index
            )));
        }
        if frame.sequence() != self.leaf_index {
            return Err(invalid(format!(
                "the record at leaf {} has sequence number {}",
                self.leaf_index,
                frame.sequence()
            )));
        }
        let tree_hash = profile.tree_hash();
        verify_inclusion(
            tree_hash,
            self.leaf_index,
            tree_size,
            &frame.stored_hash(),
            &self.path,
            root,
        )
        .map_err(|e| invalid(format!("record {}: {e}", self.leaf_index)))
    }

    /// Whether the record is the one that made `transfer`: a create-transfers record listing
    /// it, an operation whose plan numbers it, or (for transfers the engine makes itself, which
    /// no record lists) an expiry record.
    pub fn holds_transfer(&self, transfer: u128) -> bool {
        let Ok(frame) = parse_frame(&self.record, 0) else {
            return false;
        };
        if frame.kind() != RecordKind::Command {
            return false;
        }
        match decode_record_body(frame.body(), frame.version()) {
            Ok((ledger_core::Command::CreateTransfers(items), _, _)) => {
                items.iter().any(|t| t.id.get() == transfer)
            }
            // The transfers the ledger made itself are listed in these records' outcomes.
            Ok((_, Outcome::Expired { released, swept }, _)) => {
                released.iter().any(|m| m.id.get() == transfer)
                    || swept.iter().any(|s| s.movement.id.get() == transfer)
            }
            Ok((_, Outcome::Operated { made, .. }, _)) => {
                made.iter().any(|m| m.id.get() == transfer)
            }
            _ => false,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "leaf_index": self.leaf_index,
            "record": hex(&self.record),
            "path": self.path.iter().map(|h| hex(h)).collect::<Vec<_>>(),
        })
    }

    fn from_json(value: &Value) -> Result<RecordProof, ProofFailure> {
        Ok(RecordProof {
            leaf_index: number(value, "leaf_index")?,
            record: unhex(text(value, "record")?)
                .ok_or_else(|| malformed("record is not lower-case hex"))?,
            path: hashes(value, "path")?,
        })
    }
}

/// A transfer's record is in the tree a checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The ledger's cryptographic profile: which hash builds the tree and signs checkpoints.
    pub profile: CryptoProfile,
    /// How many records (leaves) the tree has.
    pub tree_size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The signed checkpoint of `tree_size` and `root`, when the proof carries one.
    pub checkpoint: Option<SignedCheckpoint>,
    /// The transfer the proof is about, when it is about one.
    pub transfer: Option<u128>,
    /// The record and its path to `root`.
    pub record: RecordProof,
}

impl InclusionProof {
    /// Checks the proof. With `public_key`, the proof must carry a checkpoint signed by that
    /// key, for its tree size and root; without, only the tree and record are checked (against
    /// the proof's own root, which then proves nothing by itself).
    pub fn verify(&self, public_key: Option<&[u8]>) -> Result<(), ProofFailure> {
        check_signed(
            self.profile,
            self.tree_size,
            &self.root,
            self.checkpoint.as_ref(),
            public_key,
        )?;
        self.record
            .verify(self.profile, self.tree_size, &self.root)?;
        if let Some(transfer) = self.transfer {
            if !self.record.holds_transfer(transfer) {
                return Err(ProofFailure::Invalid(format!(
                    "record {} does not hold transfer {transfer}",
                    self.record.leaf_index
                )));
            }
        }
        Ok(())
    }

    /// The proof as a JSON document (`docs/FORMAT.md` §15); members whose value is absent are `null`.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "proof": INCLUSION_PROOF_FORMAT,
            "profile": self.profile.name(),
            "tree_size": self.tree_size,
            "root": hex(&self.root),
            "checkpoint": self.checkpoint.as_ref().map(|c| c.to_text()),
            "transfer": self.transfer.map(|t| t.to_string()),
        });
        merge(&mut value, self.record.to_json());
        value
    }

    /// Reads a proof document, refusing anything but this format with exactly its members
    /// ([`ProofFailure::Malformed`]); it does not verify it.
    pub fn from_json(text: &str) -> Result<InclusionProof, ProofFailure> {
        let value = document(text, INCLUSION_PROOF_FORMAT)?;
        let (profile, tree_size, root, checkpoint) = tree_fields(&value)?;
        Ok(InclusionProof {
            profile,
            tree_size,
            root,
            checkpoint,
            transfer: optional_id(&value, "transfer")?,
            record: RecordProof::from_json(&value)?,
        })
    }
}

/// Every record holding a transfer of one account is in the tree a checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementProof {
    /// The ledger's cryptographic profile.
    pub profile: CryptoProfile,
    /// How many records (leaves) the tree has.
    pub tree_size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The signed checkpoint of `tree_size` and `root`, when the proof carries one.
    pub checkpoint: Option<SignedCheckpoint>,
    /// The account, as a 128-bit id.
    pub account: u128,
    /// The account's transfers, oldest first, each with the sequence of its record.
    pub transfers: Vec<(u128, u64)>,
    /// Each record named in `transfers`, once.
    pub records: Vec<RecordProof>,
}

impl StatementProof {
    /// Checks the proof (the signature as [`InclusionProof::verify`]), every record's path,
    /// and that each transfer's record holds it.
    pub fn verify(&self, public_key: Option<&[u8]>) -> Result<(), ProofFailure> {
        check_signed(
            self.profile,
            self.tree_size,
            &self.root,
            self.checkpoint.as_ref(),
            public_key,
        )?;
        if self.records.len() > STATEMENT_RECORDS_MAX {
            return Err(malformed("more records than a statement proof carries"));
        }
        for record in &self.records {
            record.verify(self.profile, self.tree_size, &self.root)?;
        }
        for &(transfer, sequence) in &self.transfers {
            let record = self.records.iter().find(|r| r.leaf_index == sequence);
            if !record.is_some_and(|r| r.holds_transfer(transfer)) {
                return Err(ProofFailure::Invalid(format!(
                    "transfer {transfer}: record {sequence} is missing or does not hold it"
                )));
            }
        }
        Ok(())
    }

    /// The proof as a JSON document (`docs/FORMAT.md` §15).
    pub fn to_json(&self) -> Value {
        json!({
            "proof": STATEMENT_PROOF_FORMAT,
            "profile": self.profile.name(),
            "tree_size": self.tree_size,
            "root": hex(&self.root),
            "checkpoint": self.checkpoint.as_ref().map(|c| c.to_text()),
            "account": self.account.to_string(),
            "transfers": self.transfers.iter().map(|(t, s)| json!({
                "transfer": t.to_string(),
                "leaf_index": s,
            })).collect::<Vec<_>>(),
            "records": self.records.iter().map(RecordProof::to_json).collect::<Vec<_>>(),
        })
    }

    /// Reads a statement proof document, refusing anything malformed; it does not verify it.
    pub fn from_json(text: &str) -> Result<StatementProof, ProofFailure> {
        let value = document(text, STATEMENT_PROOF_FORMAT)?;
        let (profile, tree_size, root, checkpoint) = tree_fields(&value)?;
        let list = |name: &str| -> Result<&Vec<Value>, ProofFailure> {
            value[name]
                .as_array()
                .ok_or_else(|| malformed(&format!("{name} is not a list")))
        };
        let transfers = list("transfers")?
            .iter()
            .map(|t| {
                exact_members(t, STATEMENT_TRANSFER_MEMBERS, "a transfers entry")?;
                Ok((id(t, "transfer")?, number(t, "leaf_index")?))
            })
            .collect::<Result<Vec<_>, ProofFailure>>()?;
        let records = list("records")?
            .iter()
            .map(|r| {
                exact_members(r, RECORD_MEMBERS, "a records entry")?;
                RecordProof::from_json(r)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StatementProof {
            profile,
            tree_size,
            root,
            checkpoint,
            account: id(&value, "account")?,
            transfers,
            records,
        })
    }
}

/// The tree of `new_size` records extends the tree of `old_size` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The ledger's cryptographic profile.
    pub profile: CryptoProfile,
    /// How many records the earlier tree has.
    pub old_size: u64,
    /// How many records the later tree has.
    pub new_size: u64,
    /// The earlier tree's root.
    pub old_root: Hash,
    /// The later tree's root.
    pub new_root: Hash,
    /// The consistency path between the two trees (RFC 9162 §2.1.4).
    pub path: Vec<Hash>,
    /// The signed checkpoint of the earlier tree, when the proof carries one.
    pub old_checkpoint: Option<SignedCheckpoint>,
    /// The signed checkpoint of the later tree, when the proof carries one.
    pub new_checkpoint: Option<SignedCheckpoint>,
}

impl ConsistencyProof {
    /// Checks the proof; with `public_key`, both checkpoints must be signed by it and match
    /// the sizes and roots.
    pub fn verify(&self, public_key: Option<&[u8]>) -> Result<(), ProofFailure> {
        check_signed(
            self.profile,
            self.old_size,
            &self.old_root,
            self.old_checkpoint.as_ref(),
            public_key,
        )?;
        check_signed(
            self.profile,
            self.new_size,
            &self.new_root,
            self.new_checkpoint.as_ref(),
            public_key,
        )?;
        verify_consistency(
            self.profile.tree_hash(),
            self.old_size,
            self.new_size,
            &self.old_root,
            &self.new_root,
            &self.path,
        )
        .map_err(|e| ProofFailure::Invalid(e.to_string()))
    }

    /// The proof as a JSON document (`docs/FORMAT.md` §15).
    pub fn to_json(&self) -> Value {
        json!({
            "proof": CONSISTENCY_PROOF_FORMAT,
            "profile": self.profile.name(),
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": hex(&self.old_root),
            "new_root": hex(&self.new_root),
            "path": self.path.iter().map(|h| hex(h)).collect::<Vec<_>>(),
            "old_checkpoint": self.old_checkpoint.as_ref().map(|c| c.to_text()),
            "new_checkpoint": self.new_checkpoint.as_ref().map(|c| c.to_text()),
        })
    }

    /// Reads a consistency proof document, refusing anything malformed; it does not verify it.
    pub fn from_json(text: &str) -> Result<ConsistencyProof, ProofFailure> {
        let value = document(text, CONSISTENCY_PROOF_FORMAT)?;
        Ok(ConsistencyProof {
            profile: profile(&value)?,
            old_size: number(&value, "old_size")?,
            new_size: number(&value, "new_size")?,
            old_root: hash(&value, "old_root")?,
            new_root: hash(&value, "new_root")?,
            path: hashes(&value, "path")?,
            old_checkpoint: optional_checkpoint(&value, "old_checkpoint")?,
            new_checkpoint: optional_checkpoint(&value, "new_checkpoint")?,
        })
    }
}

/// With a trusted key: the checkpoint is there, signed by the key, of the same profile, size
/// and root. Without: a checkpoint that is there still has to match the proof.
fn check_signed(
    profile: CryptoProfile,
    tree_size: u64,
    root: &Hash,
    checkpoint: Option<&SignedCheckpoint>,
    public_key: Option<&[u8]>,
) -> Result<(), ProofFailure> {
    let Some(checkpoint) = checkpoint else {
        return match public_key {
            Some(_) => Err(ProofFailure::Invalid(
                "the proof carries no signed checkpoint".into(),
            )),
            None => Ok(()),
        };
    };
    if let Some(key) = public_key {
        checkpoint.verify(key)?;
    }
    if checkpoint.profile != profile
        || checkpoint.tree_size != tree_size
        || &checkpoint.root != root
    {
        return Err(ProofFailure::Invalid(format!(
            "the checkpoint is of {} records with another root or profile, not of the proof's {}",
            checkpoint.tree_size, tree_size
        )));
    }
    Ok(())
}

fn malformed(why: &str) -> ProofFailure {
    ProofFailure::Malformed(why.to_owned())
}

fn document(text: &str, format: &str) -> Result<Value, ProofFailure> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ProofFailure::Malformed(e.to_string()))?;
    if value["proof"].as_str() != Some(format) {
        return Err(ProofFailure::Malformed(format!(
            "\"proof\" is not \"{format}\""
        )));
    }
    let members = match format {
        INCLUSION_PROOF_FORMAT => INCLUSION_MEMBERS,
        STATEMENT_PROOF_FORMAT => STATEMENT_MEMBERS,
        _ => CONSISTENCY_MEMBERS,
    };
    exact_members(&value, members, "the document")?;
    Ok(value)
}

/// The members of each object, exactly: a document with another member (a misspelt
/// `"Transfer"` would otherwise read as no transfer) or without one is malformed.
const INCLUSION_MEMBERS: &[&str] = &[
    "proof",
    "profile",
    "tree_size",
    "root",
    "checkpoint",
    "transfer",
    "leaf_index",
    "record",
    "path",
];
const STATEMENT_MEMBERS: &[&str] = &[
    "proof",
    "profile",
    "tree_size",
    "root",
    "checkpoint",
    "account",
    "transfers",
    "records",
];
const STATEMENT_TRANSFER_MEMBERS: &[&str] = &["transfer", "leaf_index"];
const RECORD_MEMBERS: &[&str] = &["leaf_index", "record", "path"];
const CONSISTENCY_MEMBERS: &[&str] = &[
    "proof",
    "profile",
    "old_size",
    "new_size",
    "old_root",
    "new_root",
    "path",
    "old_checkpoint",
    "new_checkpoint",
];

fn exact_members(value: &Value, members: &[&str], what: &str) -> Result<(), ProofFailure> {
    let object = value
        .as_object()
        .ok_or_else(|| malformed(&format!("{what} is not a JSON object")))?;
    let exact = object.len() == members.len() && members.iter().all(|m| object.contains_key(*m));
    match exact {
        true => Ok(()),
        false => Err(malformed(&format!(
            "{what} must have exactly the members {}",
            members.join(", ")
        ))),
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

fn text<'a>(value: &'a Value, name: &str) -> Result<&'a str, ProofFailure> {
    value[name]
        .as_str()
        .ok_or_else(|| malformed(&format!("{name} is not a string")))
}

fn number(value: &Value, name: &str) -> Result<u64, ProofFailure> {
    value[name]
        .as_u64()
        .ok_or_else(|| malformed(&format!("{name} is not a whole number")))
}

fn hash(value: &Value, name: &str) -> Result<Hash, ProofFailure> {
    unhex(text(value, name)?)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| malformed(&format!("{name} is not 64 lower-case hex digits")))
}

fn hashes(value: &Value, name: &str) -> Result<Vec<Hash>, ProofFailure> {
    let list = value[name]
        .as_array()
        .filter(|l| l.len() <= PROOF_HASHES_MAX)
        .ok_or_else(|| malformed(&format!("{name} is not a list of at most 65 hashes")))?;
    list.iter()
        .map(|h| {
            h.as_str()
                .and_then(unhex)
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| malformed(&format!("{name} holds a value that is not a hash")))
        })
        .collect()
}

fn id(value: &Value, name: &str) -> Result<u128, ProofFailure> {
    let text = text(value, name)?;
    match text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse().ok(),
        false => None,
    }
    .filter(|&id| id != 0)
    .ok_or_else(|| malformed(&format!("{name} is not a decimal id")))
}

fn optional_id(value: &Value, name: &str) -> Result<Option<u128>, ProofFailure> {
    match &value[name] {
        Value::Null => Ok(None),
        _ => id(value, name).map(Some),
    }
}

fn profile(value: &Value) -> Result<CryptoProfile, ProofFailure> {
    CryptoProfile::from_name(text(value, "profile")?)
        .ok_or_else(|| malformed("profile is neither \"standard\" nor \"gm\""))
}

fn optional_checkpoint(
    value: &Value,
    name: &str,
) -> Result<Option<SignedCheckpoint>, ProofFailure> {
    match &value[name] {
        Value::Null => Ok(None),
        Value::String(line) => Ok(Some(SignedCheckpoint::from_text(line)?)),
        _ => Err(malformed(&format!("{name} is not a checkpoint line"))),
    }
}

type TreeFields = (CryptoProfile, u64, Hash, Option<SignedCheckpoint>);

fn tree_fields(value: &Value) -> Result<TreeFields, ProofFailure> {
    Ok((
        profile(value)?,
        number(value, "tree_size")?,
        hash(value, "root")?,
        optional_checkpoint(value, "checkpoint")?,
    ))
}
