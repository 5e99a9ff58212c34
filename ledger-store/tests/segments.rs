//! The journal in segments: rolling across many small segments and reopening; a deleted,
//! duplicated, out-of-order or cut-short segment named and never accepted or cut; a torn tail
//! in the newest segment only; segments split across the data directory and an archive; a
//! roll interrupted at each point.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ledger_store::audit_ledger::{audit_ledger, audit_ledger_from};
use ledger_store::journal::scan_frames;
use ledger_store::segment::{segment_name, SegmentHeader, SEGMENT_OFFSET_VERSION};
use ledger_store::{
    segment_path, verify_dir, verify_dir_from, CorruptionReason, Error, SimDisk, SimOp, Store,
    JOURNAL_DIR_NAME, SEGMENT_HEADER_BYTES,
};
use support::*;

/// Small enough that a few batches fill a segment.
const SEGMENT_BYTES: u64 = 2048;

fn small_segments() -> ledger_store::StoreOptions {
    options().segment_bytes(SEGMENT_BYTES)
}

/// A ledger of `batches` batches of 5 services, in segments of [`SEGMENT_BYTES`].
fn segmented(name: &str, batches: u128) -> Scratch {
    let dir = Scratch::new(name);
    let store = new_store(dir.path(), small_segments());
    for b in 0..batches {
        store
            .create_transfers(services(1 + b * 5, 5), NOW + 1)
            .unwrap();
    }
    store.close().unwrap();
    dir
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(JOURNAL_DIR_NAME))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file of the journal directory with its bytes, to check that nothing was changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    segment_files(dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(JOURNAL_DIR_NAME).join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

/// Opening, the audit and the replaying verify all refuse, naming the problem with `expected`;
/// the files are left as they were.
fn refused_everywhere(dir: &Path, expected: &str) {
    let before = snapshot(dir);
    let opened = Store::open(dir, options()).map(|_| ()).unwrap_err();
    let audited = audit_ledger(dir, None, true).map(|_| ()).unwrap_err();
    let verified = verify_dir(dir, None, &mut |_| {}).map(|_| ()).unwrap_err();
    for error in [opened, audited, verified] {
        let Error::Corrupted(c) = &error else {
            panic!("expected a refusal naming {expected:?}, got {error}");
        };
        assert!(c.segment.is_some(), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
    assert_eq!(snapshot(dir), before, "a refusal changes nothing");
}

#[test]
fn the_writer_rolls_across_many_segments_and_reopening_gives_the_same_state() {
    let dir = segmented("segments-roll", 40);
    let names = segment_files(dir.path());
    assert!(names.len() >= 8, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        assert_eq!(name, &segment_name(i as u64 + 1));
        let bytes = std::fs::read(dir.path().join(JOURNAL_DIR_NAME).join(name)).unwrap();
        let scan = scan_frames(&bytes[SEGMENT_HEADER_BYTES..]).unwrap();
        assert!(scan.torn.is_none() && !scan.frames.is_empty(), "{name}");
        // Under the size, unless one record alone passes it.
        assert!(
            bytes.len() as u64 <= SEGMENT_BYTES || scan.frames.len() == 1,
            "{name}"
        );
    }
    let store = Store::open(dir.path(), small_segments()).unwrap();
    let digest = store.state_digest();
    assert_eq!(store.status().transfers, 200);
    // Writing on after a reopen keeps rolling.
    for b in 40..60 {
        store
            .create_transfers(services(1 + b * 5, 5), NOW + 2)
            .unwrap();
    }
    let status = store.status();
    store.verify(&mut |_| {}).unwrap();
    store.close().unwrap();
    assert!(segment_files(dir.path()).len() > names.len());
    let audit = audit_ledger(dir.path(), Some(&KEY), true).unwrap();
    assert_eq!(audit.segments, segment_files(dir.path()).len() as u64);
    assert_eq!(audit.head.sequence, status.head_sequence);
    assert_eq!(audit.journal_bytes, status.journal_bytes);
    let report = verify_dir(dir.path(), Some(&KEY), &mut |_| {}).unwrap();
    assert_eq!(report.head_hash, status.head_hash);
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(durable(store.status()), durable(status));
    assert_ne!(store.state_digest(), digest);
    store.close().unwrap();
}

#[test]
fn a_deleted_segment_is_named() {
    let dir = segmented("segments-deleted", 30);
    std::fs::remove_file(segment_path(dir.path(), 3)).unwrap();
    refused_everywhere(
        dir.path(),
        "segment 00000003 is missing: segment 00000004 does not follow segment 00000002",
    );
}

#[test]
fn a_missing_first_segment_is_named() {
    let dir = segmented("segments-first", 30);
    std::fs::remove_file(segment_path(dir.path(), 1)).unwrap();
    refused_everywhere(dir.path(), "segment 00000001 is missing");
}

#[test]
fn a_duplicated_segment_is_named() {
    let dir = segmented("segments-duplicated", 30);
    let count = segment_files(dir.path()).len() as u64;
    // A copy of segment 2 as a new last segment.
    std::fs::copy(
        segment_path(dir.path(), 2),
        segment_path(dir.path(), count + 1),
    )
    .unwrap();
    refused_everywhere(
        dir.path(),
        &format!(
            "the file of segment {:08} holds segment 00000002",
            count + 1
        ),
    );
    std::fs::remove_file(segment_path(dir.path(), count + 1)).unwrap();
    // The same segment in the data directory and in an archive.
    let archive = Scratch::new("segments-duplicated-archive");
    std::fs::copy(
        segment_path(dir.path(), 2),
        archive.path().join(segment_name(2)),
    )
    .unwrap();
    let error = audit_ledger_from(dir.path(), &[archive.path().to_path_buf()], None, true)
        .map(|_| ())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("segment 00000002 is found twice"),
        "{error}"
    );
    let error = Store::open(dir.path(), options().segments_from(archive.path()))
        .map(|_| ())
        .unwrap_err();
    assert!(error.to_string().contains("found twice"), "{error}");
}

#[test]
fn segments_renamed_out_of_order_are_named() {
    let dir = segmented("segments-swapped", 30);
    let (three, four) = (segment_path(dir.path(), 3), segment_path(dir.path(), 4));
    let swap = dir.path().join("swap");
    std::fs::rename(&three, &swap).unwrap();
    std::fs::rename(&four, &three).unwrap();
    std::fs::rename(&swap, &four).unwrap();
    refused_everywhere(
        dir.path(),
        "the file of segment 00000003 holds segment 00000004: segment 00000004 does not follow \
         segment 00000002",
    );
}

#[test]
fn a_sealed_segment_cut_short_is_named_and_never_cut_further() {
    let dir = segmented("segments-cut", 30);
    let path = segment_path(dir.path(), 2);
    let whole = std::fs::read(&path).unwrap();
    let frames = scan_frames(&whole[SEGMENT_HEADER_BYTES..]).unwrap().frames;
    assert!(frames.len() >= 2);
    let last = frames[frames.len() - 1];
    // Cut inside its last record: a torn end, but the segment is sealed.
    let inside = SEGMENT_HEADER_BYTES + last.0 as usize + 10;
    std::fs::write(&path, &whole[..inside]).unwrap();
    refused_everywhere(
        dir.path(),
        "segment 00000002 ends in an incomplete record, but it is sealed",
    );
    // Cut at a record boundary: the next segment binds to the record that was cut off.
    std::fs::write(&path, &whole[..SEGMENT_HEADER_BYTES + last.0 as usize]).unwrap();
    refused_everywhere(
        dir.path(),
        "segment 00000003 does not follow segment 00000002",
    );
    // A damaged header.
    let mut damaged = whole.clone();
    damaged[20] ^= 1;
    std::fs::write(&path, &damaged).unwrap();
    refused_everywhere(dir.path(), "segment 00000002 has a damaged header");
}

#[test]
fn a_bad_record_in_a_sealed_segment_is_named_by_segment_and_offset() {
    let dir = segmented("segments-bad-record", 30);
    let path = segment_path(dir.path(), 3);
    let mut bytes = std::fs::read(&path).unwrap();
    let frames = scan_frames(&bytes[SEGMENT_HEADER_BYTES..]).unwrap().frames;
    let at = SEGMENT_HEADER_BYTES + frames[1].0 as usize;
    bytes[at + 70] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let error = audit_ledger(dir.path(), None, false)
        .map(|_| ())
        .unwrap_err();
    let Error::Corrupted(c) = &error else {
        panic!("{error}");
    };
    let place = c.segment.unwrap();
    assert_eq!((place.index, place.offset), (3, at as u64), "{error}");
    assert_eq!(c.reason, CorruptionReason::Checksum);
    assert!(
        error
            .to_string()
            .contains(&format!("(segment 00000003, byte offset {at})")),
        "{error}"
    );
    refused_everywhere(dir.path(), "segment 00000003, byte offset");
}

#[test]
fn a_torn_tail_is_cut_in_the_newest_segment_only() {
    let dir = segmented("segments-torn", 30);
    let count = segment_files(dir.path()).len() as u64;
    let newest = segment_path(dir.path(), count);
    let whole = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, [whole.as_slice(), b"TBJR\x00\x02torn"].concat()).unwrap();
    let error = audit_ledger(dir.path(), None, true)
        .map(|_| ())
        .unwrap_err();
    assert!(error.to_string().contains("torn tail"), "{error}");
    let store = Store::open(dir.path(), small_segments()).unwrap();
    let torn = store.open_report().torn_tail.clone().unwrap();
    assert_eq!(torn.len, 10);
    store.close().unwrap();
    assert_eq!(
        std::fs::read(&newest).unwrap(),
        whole,
        "cut back to its last record"
    );
    let kept = dir.path().join(JOURNAL_DIR_NAME).join(format!(
        "{}.torn-{}",
        segment_name(count),
        whole.len()
    ));
    assert_eq!(std::fs::read(kept).unwrap(), b"TBJR\x00\x02torn");
    audit_ledger(dir.path(), None, true).unwrap();
}

#[test]
fn segments_moved_to_an_archive_are_read_from_there() {
    let dir = segmented("segments-archive", 30);
    let before = audit_ledger(dir.path(), Some(&KEY), true).unwrap();
    let archive = Scratch::new("segments-archive-moved");
    let count = before.segments;
    assert!(count >= 4);
    for index in 1..count - 1 {
        std::fs::rename(
            segment_path(dir.path(), index),
            archive.path().join(segment_name(index)),
        )
        .unwrap();
    }
    refused_everywhere(dir.path(), "segment 00000001 is missing");
    let archives = [archive.path().to_path_buf()];
    let after = audit_ledger_from(dir.path(), &archives, Some(&KEY), true).unwrap();
    assert_eq!(after, before);
    let report = verify_dir_from(dir.path(), &archives, Some(&KEY), &mut |_| {}).unwrap();
    assert_eq!(report.head_hash, before.head.hash);
    // The store reads them too, and writes only the newest segment, in the data directory.
    let options = small_segments().segments_from(archive.path());
    let store = Store::open(dir.path(), options.clone()).unwrap();
    for b in 30..45 {
        store
            .create_transfers(services(1 + b * 5, 5), NOW + 2)
            .unwrap();
    }
    store.verify(&mut |_| {}).unwrap();
    store.close().unwrap();
    let in_archive: Vec<PathBuf> = std::fs::read_dir(archive.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        in_archive.len() as u64,
        count - 2,
        "the archive is not written"
    );
    Store::open(dir.path(), options).unwrap().close().unwrap();
    // Split across two archive directories.
    let second = Scratch::new("segments-archive-second");
    std::fs::rename(
        archive.path().join(segment_name(1)),
        second.path().join(segment_name(1)),
    )
    .unwrap();
    let both = [archive.path().to_path_buf(), second.path().to_path_buf()];
    audit_ledger_from(dir.path(), &both, Some(&KEY), true).unwrap();
}

#[test]
fn a_newer_segment_header_is_refused_and_left_in_place() {
    let dir = segmented("segments-newer", 20);
    let count = segment_files(dir.path()).len() as u64;
    let path = segment_path(dir.path(), count);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[SEGMENT_OFFSET_VERSION] = 2;
    // Whole: its header hash matches, as a newer binary would write it.
    let mut hasher = blake3::Hasher::new_derive_key(ledger_store::segment::SEGMENT_HASH_CONTEXT);
    hasher.update(&bytes[..56]);
    bytes[56..88].copy_from_slice(hasher.finalize().as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    refused_everywhere(
        dir.path(),
        "written by a newer timebank (segment format version 2); this binary reads up to 1",
    );
    let error = Store::open(dir.path(), options()).map(|_| ()).unwrap_err();
    let Error::Corrupted(c) = error else { panic!() };
    assert_eq!(c.reason, CorruptionReason::SegmentUnreadable { version: 2 });
}

#[test]
fn a_roll_interrupted_at_any_point_opens_cleanly_with_every_acknowledged_commit() {
    let dir = segmented("segments-kill", 20);
    let status = Store::open(dir.path(), options()).unwrap().status();
    let count = segment_files(dir.path()).len() as u64;
    let next = segment_path(dir.path(), count + 1);
    // Killed while the new segment was written aside: a partial `.creating` file.
    let header = SegmentHeader {
        index: count + 1,
        first_sequence: status.head_sequence + 1,
        prev_hash: status.head_hash,
    }
    .encode();
    let creating = next.with_file_name(format!("{}.creating", segment_name(count + 1)));
    std::fs::write(&creating, &header[..40]).unwrap();
    let store = Store::open(dir.path(), small_segments()).unwrap();
    assert_eq!(durable(store.status()), durable(status.clone()));
    assert!(store.open_report().torn_tail.is_none());
    store.close().unwrap();
    // Killed after the rename, before any record was appended: a new segment with its header
    // alone is a valid, empty newest segment, and the next records go into it.
    std::fs::remove_file(&creating).unwrap();
    std::fs::write(&next, header).unwrap();
    audit_ledger(dir.path(), None, true).unwrap();
    let store = Store::open(dir.path(), small_segments()).unwrap();
    assert_eq!(durable(store.status()), durable(status.clone()));
    store.create_transfers(services(5_000, 2), NOW + 3).unwrap();
    let after = store.status();
    store.close().unwrap();
    assert!(std::fs::read(&next).unwrap().len() > SEGMENT_HEADER_BYTES);
    // Killed in the first append into it: a torn record after the header is a torn tail.
    let whole = std::fs::read(&next).unwrap();
    std::fs::write(
        &next,
        [&header[..], &whole[SEGMENT_HEADER_BYTES..][..30]].concat(),
    )
    .unwrap();
    let store = Store::open(dir.path(), small_segments()).unwrap();
    assert!(store.open_report().torn_tail.is_some());
    assert_eq!(durable(store.status()), durable(status));
    assert!(store.transfer(tid(5_000)).unwrap().is_none(), "{after:?}");
    store.close().unwrap();
}

#[test]
fn a_failure_while_rolling_loses_no_acknowledged_commit() {
    // Every roll creates a segment; fail each creation in turn (the genesis is creation 0).
    for failing in 1..4 {
        let dir = Scratch::new("segments-roll-fail");
        let disk = SimDisk::new();
        let options = || small_segments().io(Arc::new(disk.clone()));
        let store = new_store(dir.path(), options());
        disk.fail_at(SimOp::Create, failing);
        let mut acknowledged = Vec::new();
        for b in 0..30u128 {
            match store.create_transfers(services(1 + b * 5, 5), NOW + 1) {
                Ok(_) => acknowledged.push(1 + b * 5),
                Err(Error::OutcomeUnknown { .. }) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(
            disk.started(SimOp::Create) > failing,
            "the roll was reached"
        );
        drop(store);
        disk.crash(ledger_store::CrashMode::DropUnsynced);
        let store = Store::open(dir.path(), options()).unwrap();
        for first in &acknowledged {
            assert!(
                store.transfer(tid(*first)).unwrap().is_some(),
                "transfer {first}"
            );
        }
        // The ledger goes on rolling after the failure.
        for b in 30..40u128 {
            store
                .create_transfers(services(1 + b * 5, 5), NOW + 2)
                .unwrap();
        }
        store.verify(&mut |_| {}).unwrap();
        store.close().unwrap();
    }
}

#[test]
fn a_journal_directory_or_segment_that_is_a_symbolic_link_is_refused() {
    let dir = segmented("segments-links", 10);
    let journal = dir.path().join(JOURNAL_DIR_NAME);
    let elsewhere = dir.path().join("journal-elsewhere");
    std::fs::rename(&journal, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &journal).unwrap();
    for error in [
        Store::open(dir.path(), options()).map(|_| ()).unwrap_err(),
        audit_ledger(dir.path(), None, true)
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(error.to_string().contains("is not a directory"), "{error}");
    }
    std::fs::remove_file(&journal).unwrap();
    std::fs::rename(&elsewhere, &journal).unwrap();
    // A segment that is a link to a file elsewhere: never read or written through.
    let second = segment_path(dir.path(), 2);
    let moved = dir.path().join("second-elsewhere.tbj");
    std::fs::rename(&second, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &second).unwrap();
    let error = Store::open(dir.path(), options()).map(|_| ()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a symbolic link, not a regular file"),
        "{error}"
    );
}
