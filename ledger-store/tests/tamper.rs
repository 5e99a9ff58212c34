//! Tampering with the journal is caught and the first bad record is named.
//!
//! A flipped byte anywhere in a record (any field), a deleted, reordered or duplicated record:
//! `verify` fails naming that record's sequence number and offset, and `open` refuses the ledger
//! instead of cutting it back. Rewriting a suffix with a correctly recomputed chain (and even a
//! recomputed state digest) is still caught, by the checkpoint's keyed MAC, and a published
//! checkpoint line catches it without the key.
//!
//! Guarded bug: a flipped bit in a record's length field made the frame scan stop at the *next*
//! record (its magic was no longer where the bad length pointed), naming the wrong record. The
//! scan now blames the previous record when its own hash fails.

mod support;

use ledger_core::{Amount, Command};
use ledger_store::codec::{decode_body, encode_body};
use ledger_store::journal::scan_frames;
use ledger_store::record::{append_record, parse_frame, RecordHeader, RecordKind, OFFSET_BODY};
use ledger_store::replay::replay;
use ledger_store::{
    verify_bytes, verify_published, Checkpoint, CorruptionReason, Error, Store, StoreOptions,
};
use support::*;

/// A ledger of genesis, accounts, 6 transfer batches with a checkpoint after the 3rd and the
/// 6th: 10 records. Returns the journal bytes.
fn ledger_bytes(dir: &Scratch) -> Vec<u8> {
    let store = new_store(dir.path(), options());
    for b in 0..6u128 {
        store
            .create_transfers(services(1 + b * 10, 10), NOW + b as u64)
            .unwrap();
        if b == 2 || b == 5 {
            store.checkpoint().unwrap();
        }
    }
    store.close().unwrap();
    support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap()
}

fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let scan = scan_frames(bytes).unwrap();
    scan.frames
        .iter()
        .map(|&(o, l)| (o as usize, l as usize))
        .collect()
}

fn corruption(result: Result<ledger_store::VerifyReport, Error>) -> ledger_store::Corruption {
    match result {
        Err(Error::Corrupted(c)) => c,
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn a_flipped_byte_in_any_field_of_a_record_names_that_record() {
    let dir = Scratch::new("flip");
    let bytes = ledger_bytes(&dir);
    let frames = frames(&bytes);
    assert_eq!(frames.len(), 10);
    assert!(verify_bytes(&bytes, Some(&KEY), &mut |_| {}).is_ok());
    // Every byte of a command record in the middle (record 4) and of the first checkpoint
    // (record 5): magic, length, version, kind, reserved, sequence, now, prev_hash, body, hash.
    for victim in [4usize, 5] {
        let (offset, len) = frames[victim];
        for at in offset..offset + len {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            let c = corruption(verify_bytes(&damaged, Some(&KEY), &mut |_| {}));
            assert_eq!(
                (c.sequence, c.offset),
                (victim as u64, offset as u64),
                "flip at byte {} of record {victim}: {c}",
                at - offset
            );
        }
    }
}

#[test]
fn deleted_reordered_and_duplicated_records_are_named() {
    let dir = Scratch::new("reorder");
    let bytes = ledger_bytes(&dir);
    let f = frames(&bytes);
    let record = |i: usize| &bytes[f[i].0..f[i].0 + f[i].1];
    let join = |order: &[usize]| {
        order
            .iter()
            .flat_map(|&i| record(i).to_vec())
            .collect::<Vec<u8>>()
    };
    let cases: [(&str, Vec<usize>, u64); 4] = [
        ("delete 4", vec![0, 1, 2, 3, 5, 6, 7, 8, 9], 4),
        ("swap 3 and 4", vec![0, 1, 2, 4, 3, 5, 6, 7, 8, 9], 3),
        ("duplicate 6", vec![0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9], 7),
        ("delete the genesis", vec![1, 2, 3, 4, 5, 6, 7, 8, 9], 0),
    ];
    for (name, order, expected) in cases {
        let damaged = join(&order);
        let c = corruption(verify_bytes(&damaged, None, &mut |_| {}));
        assert_eq!(c.sequence, expected, "{name}: {c}");
        assert!(
            matches!(
                c.reason,
                CorruptionReason::Sequence { .. } | CorruptionReason::BrokenLink
            ),
            "{name}: {c}"
        );
    }
}

#[test]
fn opening_a_tampered_journal_fails_and_changes_nothing() {
    let dir = Scratch::new("open-tampered");
    let mut bytes = ledger_bytes(&dir);
    let f = frames(&bytes);
    bytes[f[3].0 + OFFSET_BODY + 5] ^= 0x80;
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    match Store::open(dir.path(), options()) {
        Err(Error::Corrupted(c)) => assert_eq!((c.sequence, c.offset), (3, f[3].0 as u64)),
        other => panic!("a tampered journal opened: {other:?}"),
    }
    assert_eq!(
        support::read_records(&path).unwrap(),
        bytes,
        "open must not repair"
    );
}

/// Rewrites every record from `from` on with correct hashes and links, changing the first
/// transfer amount of record `from` and giving every later checkpoint the digest a replay of
/// the rewritten journal gives. Only the checkpoint MACs (which need the key) stay old.
fn forge_suffix(bytes: &[u8], from: usize) -> Vec<u8> {
    let f = frames(bytes);
    let mut out = bytes[..f[from].0].to_vec();
    let mut prev = parse_frame(&bytes[f[from - 1].0..], 0)
        .unwrap()
        .stored_hash();
    for (i, &(offset, len)) in f.iter().enumerate().skip(from) {
        let frame = parse_frame(&bytes[offset..offset + len], offset as u64).unwrap();
        let mut body = frame.body().to_vec();
        if i == from {
            let Ok((Command::CreateTransfers(mut transfers), outcome)) = decode_body(&body) else {
                panic!("record {from} is not a transfer batch");
            };
            // A plain transfer's outcome does not repeat its amount: it stays as it was.
            transfers[0].amount = Some(Amount::parse("2.99").unwrap());
            body.clear();
            encode_body(&mut body, &Command::CreateTransfers(transfers), &outcome);
        }
        if frame.kind() == RecordKind::Checkpoint {
            let replayed = replay(&out, None, &mut |_| {}, &mut |_, _, _, _| {}).unwrap();
            body[..32].copy_from_slice(&replayed.ledger.state_digest());
        }
        let header = RecordHeader {
            kind: frame.kind(),
            sequence: frame.sequence(),
            now: frame.now(),
            prev_hash: prev,
        };
        prev = append_record(&mut out, &header, |b| b.extend_from_slice(&body));
    }
    out
}

#[test]
fn a_suffix_rewritten_with_a_recomputed_chain_is_caught_by_the_keyed_checkpoint() {
    let dir = Scratch::new("forge");
    let bytes = ledger_bytes(&dir);
    let forged = forge_suffix(&bytes, 3);
    assert_ne!(forged, bytes);
    // Without the key every link, checksum and digest checks out: only the key can tell.
    let unkeyed = verify_bytes(&forged, None, &mut |_| {}).unwrap();
    assert_eq!(unkeyed.records, 10);
    let c = corruption(verify_bytes(&forged, Some(&KEY), &mut |_| {}));
    assert_eq!(c.sequence, 5, "the first checkpoint after the rewrite: {c}");
    assert_eq!(c.reason, CorruptionReason::CheckpointMac);
    // The store refuses to open it with the key, too.
    support::write_records(dir.path().join(JOURNAL_FILE_NAME), &forged).unwrap();
    assert!(matches!(
        Store::open(dir.path(), options()),
        Err(Error::Corrupted(_))
    ));
    assert!(Store::open(dir.path(), StoreOptions::default()).is_ok());
}

#[test]
fn a_published_checkpoint_catches_a_rewritten_history_without_the_key() {
    let dir = Scratch::new("published");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 10), NOW).unwrap();
    let published = Checkpoint::from_text(&store.checkpoint().unwrap().to_text()).unwrap();
    store.create_transfers(services(11, 10), NOW + 1).unwrap();
    store.verify_published(&published).unwrap();
    store.close().unwrap();
    let bytes = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    verify_published(&bytes, &published, None).unwrap();
    verify_published(&bytes, &published, Some(&KEY)).unwrap();

    // The whole history after genesis rewritten, chain and checkpoint digests recomputed.
    let forged = forge_suffix(&bytes, 2);
    let c = match verify_published(&forged, &published, None) {
        Err(Error::Corrupted(c)) => c,
        other => panic!("a forged history matched the published checkpoint: {other:?}"),
    };
    assert_eq!(c.sequence, published.sequence);
    assert!(matches!(c.reason, CorruptionReason::Published(_)), "{c}");
    // A checkpoint line that was altered fails on its MAC.
    let altered = Checkpoint {
        state_digest: [0; 32],
        ..published
    };
    assert!(verify_published(&bytes, &altered, Some(&KEY)).is_err());
    assert!(verify_published(&bytes, &altered, None).is_err());
}

/// The published check against a directory reads the journal in pieces, its replay letting
/// transfers go, and decides as the check of the whole image does.
#[test]
fn a_published_checkpoint_is_checked_against_a_directory_in_pieces() {
    use ledger_store::verify_published_dir;
    let dir = Scratch::new("published-dir");
    let store = new_store(dir.path(), options().resident_transfers(100));
    let mut lines = Vec::new();
    for b in 0..60u128 {
        store
            .create_transfers(services(1 + b * 50, 50), NOW + b as u64)
            .unwrap();
        if b % 20 == 5 {
            lines.push(Checkpoint::from_text(&store.checkpoint().unwrap().to_text()).unwrap());
        }
    }
    store.close().unwrap();
    let bytes = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    for line in &lines {
        verify_published_dir(dir.path(), &[], line, None).unwrap();
        verify_published_dir(dir.path(), &[], line, Some(&KEY)).unwrap();
        verify_published(&bytes, line, Some(&KEY)).unwrap();
    }

    // Each way a line can fail, with the reason the image's check gives.
    let published = lines[1];
    let fails = |line: &Checkpoint, key: Option<&[u8; 32]>| {
        let from_dir = verify_published_dir(dir.path(), &[], line, key).unwrap_err();
        let from_image = verify_published(&bytes, line, key).unwrap_err();
        let (Error::Corrupted(d), Error::Corrupted(i)) = (&from_dir, &from_image) else {
            panic!("{from_dir} / {from_image}");
        };
        assert!(matches!(d.reason, CorruptionReason::Published(_)), "{d}");
        let reason = |c: &ledger_store::error::Corruption| (c.sequence, c.reason.to_string());
        assert_eq!(reason(d), reason(i));
    };
    let digest = Checkpoint {
        state_digest: [7; 32],
        ..published
    };
    fails(&digest, None);
    fails(&digest, Some(&KEY));
    let head = Checkpoint {
        head_hash: [7; 32],
        ..published
    };
    fails(&head, None);
    let beyond = Checkpoint {
        sequence: 1_000,
        ..published
    };
    fails(&beyond, None);

    // A history rewritten after genesis, chain and checkpoints recomputed: the published line
    // no longer holds.
    let forged = forge_suffix(&bytes, 2);
    support::write_records(dir.path().join(JOURNAL_FILE_NAME), &forged).unwrap();
    let err = verify_published_dir(dir.path(), &[], &published, None).unwrap_err();
    assert!(
        matches!(err, Error::Corrupted(ref c) if matches!(c.reason, CorruptionReason::Published(_))),
        "{err}"
    );
}

/// `journal::for_each_record` gives every record's bytes in order up to a limit, reading in
/// pieces, and says when the journal is not clean.
#[test]
fn records_are_given_one_at_a_time_and_damage_is_reported() {
    use ledger_store::journal::for_each_record;
    let dir = Scratch::new("for-each-record");
    let bytes = ledger_bytes(&dir);
    let frames = frames(&bytes);
    let mut given = Vec::new();
    let whole = for_each_record(dir.path(), &[], u64::MAX, |offset, raw| {
        given.push((offset as usize, raw.to_vec()));
        Ok::<(), ()>(())
    });
    assert_eq!(whole, Ok(true));
    let expected: Vec<_> = frames
        .iter()
        .map(|&(at, len)| (at, bytes[at..at + len].to_vec()))
        .collect();
    assert_eq!(given, expected);

    // Up to a record boundary; an error of the caller's stops the walk.
    let (at, len) = frames[4];
    let mut count = 0;
    let limited = for_each_record(dir.path(), &[], (at + len) as u64, |_, _| {
        count += 1;
        Ok::<(), ()>(())
    });
    assert_eq!((limited, count), (Ok(true), 5));
    let mut count = 0;
    let stopped = for_each_record(dir.path(), &[], u64::MAX, |_, _| {
        count += 1;
        if count == 3 {
            return Err("stop");
        }
        Ok(())
    });
    assert_eq!((stopped, count), (Err("stop"), 3));

    // A byte changed in a record's body.
    let mut damaged = bytes.clone();
    damaged[frames[3].0 + OFFSET_BODY + 1] ^= 1;
    support::write_records(dir.path().join(JOURNAL_FILE_NAME), &damaged).unwrap();
    let after = for_each_record(dir.path(), &[], u64::MAX, |_, _| Ok::<(), ()>(()));
    assert_eq!(after, Ok(false));
}
