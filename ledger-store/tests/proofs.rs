//! Merkle proofs and signed checkpoints on a real store, in both profiles: every transfer of a
//! random ledger has an inclusion proof that verifies with the public key alone; a proof
//! against a checkpoint from before the transfer cannot be made; altering any byte of a proof
//! fails it; consistency holds between checkpoints and fails after a rewritten suffix (which a
//! keyed MAC would miss without the key); the tree is rebuilt on open with the same roots.

mod support;

use ledger_store::profile::CryptoProfile;
use ledger_store::proof::{ConsistencyProof, InclusionProof, ProofFailure, StatementProof};
use ledger_store::signed_checkpoint::{SignedCheckpoint, SigningKey};
use ledger_store::{Error, Store};
use support::*;

const PROFILES: [CryptoProfile; 2] = [CryptoProfile::Standard, CryptoProfile::Gm];

fn store_in(dir: &std::path::Path, profile: CryptoProfile) -> Store {
    let store = Store::create_in_profile(dir, &policy(), profile, NOW, options()).unwrap();
    store.create_accounts(accounts(), NOW).unwrap();
    store
}

fn key(profile: CryptoProfile, seed: u8) -> SigningKey {
    SigningKey::from_secret(profile, &[seed; 32]).unwrap()
}

/// A small deterministic generator (xorshift), so the ledger is random but reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn every_transfer_of_a_random_ledger_has_a_proof_that_verifies_with_the_public_key() {
    for profile in PROFILES {
        let dir = Scratch::new(&format!("proofs-every-{}", profile.name()));
        let store = store_in(dir.path(), profile);
        assert_eq!(store.profile(), profile);
        let signer = key(profile, 3);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut next = 1u128;
        let mut early = None;
        for batch in 0..25 {
            let n = 1 + rng.below(6) as usize;
            store
                .create_transfers(services(next, n), NOW + batch)
                .unwrap();
            next += n as u128;
            if batch == 9 {
                early = Some((store.sign_checkpoint(&signer).unwrap(), next));
            }
        }
        let checkpoint = store.sign_checkpoint(&signer).unwrap();
        let public = signer.public_key();
        for id in 1..next {
            let proof = store
                .prove_inclusion(tid(id), Some(checkpoint.clone()))
                .unwrap();
            let text = proof.to_json().to_string();
            let back = InclusionProof::from_json(&text).unwrap();
            assert_eq!(back, proof);
            assert_eq!(back.verify(Some(&public)), Ok(()), "transfer {id}");
        }
        // A transfer made after the early checkpoint has no proof against it; one before has.
        let (early, first_after) = early.unwrap();
        assert!(matches!(
            store.prove_inclusion(tid(first_after), Some(early.clone())),
            Err(Error::NoProof(_))
        ));
        let before = store.prove_inclusion(tid(1), Some(early.clone())).unwrap();
        assert_eq!(before.verify(Some(&public)), Ok(()));
        // Nor does the later transfer's proof verify against the early checkpoint's root.
        let mut moved = store
            .prove_inclusion(tid(first_after), Some(checkpoint.clone()))
            .unwrap();
        moved.checkpoint = Some(early.clone());
        moved.tree_size = early.tree_size;
        moved.root = early.root;
        assert!(moved.verify(Some(&public)).is_err());
        store.close().unwrap();

        // Reopening rebuilds the tree from the journal: the same root at every size.
        let store = Store::open(dir.path(), options()).unwrap();
        assert_eq!(store.tree_root(checkpoint.tree_size), Some(checkpoint.root));
        assert_eq!(store.tree_root(early.tree_size), Some(early.root));
        assert_eq!(store.sign_checkpoint(&signer).unwrap(), checkpoint);
    }
}

#[test]
fn altering_any_byte_of_a_proof_fails_it() {
    for profile in PROFILES {
        let dir = Scratch::new(&format!("proofs-alter-{}", profile.name()));
        let store = store_in(dir.path(), profile);
        for i in 0..9u128 {
            store.create_transfers(services(1 + 3 * i, 3), NOW).unwrap();
        }
        let signer = key(profile, 4);
        let checkpoint = store.sign_checkpoint(&signer).unwrap();
        let proof = store.prove_inclusion(tid(14), Some(checkpoint)).unwrap();
        let public = signer.public_key();
        assert_eq!(proof.verify(Some(&public)), Ok(()));
        for i in 0..proof.record.path.len() {
            for bit in [0, 7] {
                let mut bad = proof.clone();
                bad.record.path[i][i % 32] ^= 1 << bit;
                assert!(bad.verify(Some(&public)).is_err());
            }
        }
        for at in 0..proof.record.record.len() {
            let mut bad = proof.clone();
            bad.record.record[at] ^= 0x01;
            assert!(bad.verify(Some(&public)).is_err(), "record byte {at}");
        }
        for at in 0..32 {
            let mut bad = proof.clone();
            bad.root[at] ^= 0x10;
            assert!(bad.verify(Some(&public)).is_err(), "root byte {at}");
        }
        let mut bad = proof.clone();
        bad.record.leaf_index += 1;
        assert!(bad.verify(Some(&public)).is_err());
        let mut bad = proof.clone();
        bad.transfer = Some(15_000);
        assert!(bad.verify(Some(&public)).is_err());
        // Another key: "not signed by this key", not damage.
        let other = key(profile, 5).public_key();
        assert_eq!(
            proof.verify(Some(&other)),
            Err(ProofFailure::NotSignedByKey)
        );
        // Without a signed checkpoint, a proof checks only against its own root.
        let mut unsigned = proof.clone();
        unsigned.checkpoint = None;
        assert!(unsigned.verify(Some(&public)).is_err());
        assert_eq!(unsigned.verify(None), Ok(()));
    }
}

#[test]
fn a_statement_proves_every_transfer_of_the_account() {
    for profile in PROFILES {
        let dir = Scratch::new(&format!("proofs-statement-{}", profile.name()));
        let store = store_in(dir.path(), profile);
        for i in 0..20u128 {
            store
                .create_transfers(services(1 + 4 * i, 4), NOW + i as u64)
                .unwrap();
        }
        let signer = key(profile, 6);
        let checkpoint = store.sign_checkpoint(&signer).unwrap();
        // Member 100 + 3 gets services 3, 11, 19, ... (ids ≡ 3 mod MEMBERS).
        let member = account(100 + 3);
        let proof = store.prove_statement(member, Some(checkpoint)).unwrap();
        let ids: Vec<u128> = proof.transfers.iter().map(|&(t, _)| t).collect();
        let expected: Vec<u128> = (1..=80).filter(|t| t % MEMBERS == 3).collect();
        assert_eq!(ids, expected);
        let back = StatementProof::from_json(&proof.to_json().to_string()).unwrap();
        assert_eq!(back.verify(Some(&signer.public_key())), Ok(()));
        let mut dropped = back.clone();
        dropped.records.pop();
        assert!(dropped.verify(Some(&signer.public_key())).is_err());
        let mut bad = back;
        bad.transfers[0].1 = bad.transfers[1].1;
        assert!(bad.verify(Some(&signer.public_key())).is_err());
    }
}

#[test]
fn consistency_holds_across_checkpoints_and_fails_after_a_rewritten_suffix() {
    for profile in PROFILES {
        let honest = Scratch::new(&format!("proofs-honest-{}", profile.name()));
        let store = store_in(honest.path(), profile);
        let signer = key(profile, 7);
        let public = signer.public_key();
        let mut checkpoints = vec![store.sign_checkpoint(&signer).unwrap()];
        for i in 0..12u128 {
            store.create_transfers(services(1 + 2 * i, 2), NOW).unwrap();
            checkpoints.push(store.sign_checkpoint(&signer).unwrap());
        }
        for (i, old) in checkpoints.iter().enumerate() {
            for new in &checkpoints[i..] {
                let proof = store.prove_consistency(old.clone(), new.clone()).unwrap();
                let back = ConsistencyProof::from_json(&proof.to_json().to_string()).unwrap();
                assert_eq!(back.verify(Some(&public)), Ok(()));
            }
        }
        let published = checkpoints[6].clone();
        store.close().unwrap();

        // Someone with write access rewrites the history from record 5 on: the same first
        // records, then other transfers, with every hash and link recomputed. The checkpoint
        // MACs would need the key; the tree needs nothing to notice.
        let forged = Scratch::new(&format!("proofs-forged-{}", profile.name()));
        let journal = support::read_records(honest.path().join(JOURNAL_FILE_NAME)).unwrap();
        let frames = ledger_store::journal::scan_frames(&journal).unwrap().frames;
        let (offset, len) = frames[0];
        let genesis = &journal[offset as usize..(offset + u64::from(len)) as usize];
        let store = Store::create_from_genesis(forged.path(), genesis, options()).unwrap();
        store.create_accounts(accounts(), NOW).unwrap();
        for i in 0..3u128 {
            store.create_transfers(services(1 + 2 * i, 2), NOW).unwrap();
        }
        for i in 3..14u128 {
            store.create_transfers(services(500 + i, 2), NOW).unwrap();
        }
        assert_eq!(store.profile(), profile);
        let forged_now = store.sign_checkpoint(&key(profile, 9)).unwrap();
        // The forged ledger cannot produce a proof from the published checkpoint…
        assert!(matches!(
            store.prove_consistency(published.clone(), forged_now.clone()),
            Err(Error::CheckpointMismatch(_))
        ));
        // …and a proof from its own tree of that size does not verify against the published
        // root.
        let mut proof = store
            .prove_consistency(
                SignedCheckpoint {
                    root: store.tree_root(published.tree_size).unwrap(),
                    ..published.clone()
                },
                forged_now,
            )
            .unwrap();
        proof.old_root = published.root;
        proof.old_checkpoint = Some(published);
        proof.new_checkpoint = None;
        assert!(matches!(proof.verify(None), Err(ProofFailure::Invalid(_))));
    }
}

#[test]
fn a_key_of_the_other_profile_signs_nothing() {
    let dir = Scratch::new("proofs-wrong-profile");
    let store = store_in(dir.path(), CryptoProfile::Standard);
    assert!(matches!(
        store.sign_checkpoint(&key(CryptoProfile::Gm, 1)),
        Err(Error::WrongProfile { .. })
    ));
    store.close().unwrap();
    // The standard profile's genesis record is the one `create` always wrote.
    let plain = Scratch::new("proofs-plain");
    drop(Store::create(plain.path(), &policy(), NOW, options()).unwrap());
    let a = support::read_records(plain.path().join(JOURNAL_FILE_NAME)).unwrap();
    let b = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    assert_eq!(&b[..a.len()], &a[..]);
}

/// The proofs in `verifier/testdata` (written by `timebank`, checked by the Python and
/// JavaScript verifiers too) verify here with their public key, and not with the other key.
#[test]
fn the_shared_proof_fixtures_verify_in_rust() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier/testdata");
    let read = |name: &str| std::fs::read_to_string(data.join(name)).unwrap();
    let unhex = |text: String| ledger_store::signed_checkpoint::unhex(text.trim()).unwrap();
    for profile in ["standard", "gm"] {
        let public = unhex(read(&format!("{profile}.public-key")));
        let other = unhex(read(&format!("{profile}.other-public-key")));
        let inclusion = InclusionProof::from_json(&read(&format!("{profile}.inclusion.json")));
        let inclusion = inclusion.unwrap();
        assert_eq!(inclusion.verify(Some(&public)), Ok(()));
        assert_eq!(
            inclusion.verify(Some(&other)),
            Err(ProofFailure::NotSignedByKey)
        );
        let statement = StatementProof::from_json(&read(&format!("{profile}.statement.json")));
        assert_eq!(statement.unwrap().verify(Some(&public)), Ok(()));
        let consistency =
            ConsistencyProof::from_json(&read(&format!("{profile}.consistency.json")));
        assert_eq!(consistency.unwrap().verify(Some(&public)), Ok(()));
        for n in [1, 2] {
            let line = SignedCheckpoint::from_text(&read(&format!("{profile}.checkpoint-{n}")));
            assert_eq!(line.unwrap().verify(&public), Ok(()));
        }
    }
}

/// Hostile documents: every single-byte change of a valid proof or checkpoint line, and random
/// bytes, either fail to parse or fail to verify (or parse to the very same proof); none panics.
#[test]
fn altered_or_random_documents_never_verify_and_never_panic() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier/testdata");
    let read = |name: &str| std::fs::read_to_string(data.join(name)).unwrap();
    let public =
        ledger_store::signed_checkpoint::unhex(read("standard.public-key").trim()).unwrap();
    let original = read("standard.inclusion.json");
    let proof = InclusionProof::from_json(&original).unwrap();
    let mut rng = Rng(0x5eed);
    for at in 0..original.len() {
        let mut bytes = original.clone().into_bytes();
        bytes[at] = match bytes[at] {
            b'0' => b'1',
            b'a' => b'b',
            other => other ^ (1 << rng.below(7)),
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(parsed) = InclusionProof::from_json(&text) {
            if parsed != proof {
                assert!(
                    parsed.verify(Some(&public)).is_err(),
                    "byte {at} changed: {text}"
                );
            }
        }
    }
    let line = read("standard.checkpoint-2");
    let signed = SignedCheckpoint::from_text(&line).unwrap();
    for at in 0..line.trim().len() {
        let mut bytes = line.clone().into_bytes();
        bytes[at] ^= 1 << rng.below(7);
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(parsed) = SignedCheckpoint::from_text(&text) {
            if parsed != signed {
                assert!(parsed.verify(&public).is_err(), "byte {at} changed: {text}");
            }
        }
    }
    for _ in 0..2000 {
        let len = rng.below(300) as usize;
        let text: String = (0..len)
            .map(|_| char::from(b" {}[]\":,0123456789abcdefproftrnulx"[rng.below(34) as usize]))
            .collect();
        if let Ok(p) = InclusionProof::from_json(&text) {
            assert!(p.verify(Some(&public)).is_err());
        }
        assert!(StatementProof::from_json(&text).is_err_or_fails(&public));
        let _ = ConsistencyProof::from_json(&text).map(|p| p.verify(Some(&public)));
        let _ = SignedCheckpoint::from_text(&text);
    }
}

trait ErrOrFails {
    fn is_err_or_fails(&self, public: &[u8]) -> bool;
}

impl ErrOrFails for Result<StatementProof, ProofFailure> {
    fn is_err_or_fails(&self, public: &[u8]) -> bool {
        match self {
            Err(_) => true,
            Ok(p) => p.verify(Some(public)).is_err(),
        }
    }
}
