//! `timebank proof inclusion|statement|consistency|verify`: proof documents (one JSON object on
//! stdout, `docs/FORMAT.md` §15) that a member or auditor checks offline with the signer's
//! public key, and their check.

use std::io::Read;

use serde::Serialize;

use ledger_store::proof::{ConsistencyProof, InclusionProof, ProofFailure, StatementProof};
use ledger_store::signed_checkpoint::SignedCheckpoint;
use ledger_store::Store;

use crate::checkpoint::{checkpoint_text, public_key_arg, read_signing_key, signature_failure};
use crate::cli::{ProofCmd, ProofTarget, ProofVerifyArgs};
use crate::error::{CliError, CliResult};
use crate::output::{out, print_json};
use crate::session::{account_id, transfer_id, Session};

pub fn run(session: &Session, command: &ProofCmd) -> CliResult {
    match command {
        ProofCmd::Inclusion(args) => {
            let transfer = transfer_id(args.transfer)?;
            let store = session.open()?;
            let checkpoint = target(session, &store, &args.target)?;
            let proof = store.prove_inclusion(transfer, checkpoint)?;
            store.close()?;
            out!("{}", proof.to_json())
        }
        ProofCmd::Statement(args) => {
            let account = account_id(args.account)?;
            let store = session.open()?;
            let checkpoint = target(session, &store, &args.target)?;
            let proof = store.prove_statement(account, checkpoint)?;
            store.close()?;
            out!("{}", proof.to_json())
        }
        ProofCmd::Consistency(args) => {
            let from = signed_line(&args.from)?;
            let to = signed_line(&args.to)?;
            let store = session.open()?;
            let proof = store.prove_consistency(from, to)?;
            store.close()?;
            out!("{}", proof.to_json())
        }
        ProofCmd::Verify(args) => verify(session, args),
    }
}

fn signed_line(arg: &str) -> CliResult<SignedCheckpoint> {
    SignedCheckpoint::from_text(&checkpoint_text(arg)?).map_err(signature_failure)
}

/// The checkpoint to prove against: the given line, or the head signed with the given key, or
/// none (the head, unsigned).
fn target(
    session: &Session,
    store: &Store,
    target: &ProofTarget,
) -> CliResult<Option<SignedCheckpoint>> {
    match (&target.checkpoint, &target.signing_key_file) {
        (Some(line), _) => signed_line(line).map(Some),
        (None, Some(path)) => {
            let key = read_signing_key(session, path, store.profile())?;
            Ok(Some(store.sign_checkpoint(&key)?))
        }
        (None, None) => Ok(None),
    }
}

#[derive(Debug, Serialize)]
struct Verified {
    valid: bool,
    proof: &'static str,
    signature_checked: bool,
}

fn verify(session: &Session, args: &ProofVerifyArgs) -> CliResult {
    let text = if args.proof.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io(format!("cannot read stdin: {e}")))?;
        text
    } else {
        crate::input::read_text(&args.proof, "the proof")?
    };
    let key = args.public_key.as_deref().map(public_key_arg).transpose()?;
    let key = key.as_deref();
    let kind = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["proof"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let (name, outcome) = match kind.as_str() {
        ledger_store::proof::INCLUSION_PROOF_FORMAT => (
            "inclusion",
            InclusionProof::from_json(&text).and_then(|p| p.verify(key)),
        ),
        ledger_store::proof::STATEMENT_PROOF_FORMAT => (
            "statement",
            StatementProof::from_json(&text).and_then(|p| p.verify(key)),
        ),
        ledger_store::proof::CONSISTENCY_PROOF_FORMAT => (
            "consistency",
            ConsistencyProof::from_json(&text).and_then(|p| p.verify(key)),
        ),
        _ => {
            return Err(CliError::usage(
                "not a proof document: its \"proof\" member names no known proof format",
            ))
        }
    };
    outcome.map_err(|e| match e {
        ProofFailure::NotSignedByKey => {
            CliError::wrong_key("the proof's checkpoint is not signed by this key")
        }
        ProofFailure::Malformed(why) => CliError::usage(format!("not a proof document: {why}")),
        other => CliError::damaged(format!("the {name} proof does not verify: {other}")),
    })?;
    if session.json() {
        return print_json(&Verified {
            valid: true,
            proof: name,
            signature_checked: key.is_some(),
        });
    }
    let signed = match key {
        Some(_) => "its checkpoint is signed by this key",
        None => "checked against its own root only (pass --public-key to check the signature)",
    };
    out!("{name} proof valid: {signed}")?;
    Ok(())
}
