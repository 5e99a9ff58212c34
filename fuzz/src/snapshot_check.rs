//! The engine state decoder (`ledger_core::snapshot`, docs/FORMAT.md §16.1) on arbitrary bytes:
//! it never panics, and the full decoder and the digest-only one (`snapshot::digest`, which keeps
//! no transfers) accept exactly the same inputs and give the same state digest. (A state it
//! accepts may encode back to other bytes: the decoder takes the entries of a map in any order
//! and the encoder writes them sorted, to the same state and digest.)

use ledger_core::snapshot::{decode, digest};

pub fn run(data: &[u8]) {
    let decoded = decode(data);
    let digested = digest(data);
    match (decoded, digested) {
        (Ok(ledger), Ok(d)) => {
            assert_eq!(ledger.state_digest(), d, "the two decoders' digests differ");
        }
        (Err(_), Err(_)) => {}
        (decoded, digested) => panic!(
            "decode ({}) and digest ({}) disagree",
            if decoded.is_ok() { "ok" } else { "refused" },
            if digested.is_ok() { "ok" } else { "refused" },
        ),
    }
}
