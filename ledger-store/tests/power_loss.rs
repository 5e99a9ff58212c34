//! Power loss, simulated through the journal's file layer: whatever was written after the last
//! sync is dropped, cut short at any byte, or garbled. Reopening must give exactly a prefix of
//! the journal that contains every acknowledged commit, report any torn tail it cut, and keep
//! the cut bytes aside.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use ledger_store::journal::scan_frames;
use ledger_store::{CrashMode, Error, SimDisk, Store, SEGMENT_HEADER_BYTES};
use support::*;

struct Acked {
    sequence: u64,
    ids: Vec<u128>,
}

/// A ledger on a simulated disk with `batches` acknowledged batches of two transfers.
fn build(dir: &Scratch, disk: &SimDisk, batches: u128) -> Vec<Acked> {
    let store = new_store(dir.path(), options().io(Arc::new(disk.clone())));
    let mut acked = vec![];
    for b in 0..batches {
        let ids = vec![1 + 2 * b, 2 + 2 * b];
        let done = store
            .create_transfers(services(ids[0], 2), NOW + b as u64)
            .unwrap();
        acked.push(Acked {
            sequence: done.sequence,
            ids,
        });
    }
    store.close().unwrap();
    acked
}

fn journal_path(dir: &Scratch) -> PathBuf {
    dir.path().join(JOURNAL_FILE_NAME)
}

/// Opens the journal image `bytes` on a fresh simulated disk and checks that it recovered
/// exactly the complete records it holds, with every acknowledged transfer in them.
fn reopen_and_check(dir: &Scratch, bytes: &[u8], acked: &[Acked], complete_len: u64) {
    let disk = SimDisk::new();
    disk.set_contents(&journal_path(dir), bytes.to_vec());
    let store = Store::open(dir.path(), options().io(Arc::new(disk.clone()))).unwrap();
    let status = store.status();
    let header = SEGMENT_HEADER_BYTES as u64;
    assert_eq!(
        status.journal_bytes,
        complete_len - header,
        "cut at {}",
        bytes.len()
    );
    let torn = store.open_report().torn_tail.clone();
    assert_eq!(torn.is_some(), bytes.len() as u64 != complete_len);
    for a in acked {
        for &id in &a.ids {
            let present = store.transfer(tid(id)).unwrap().is_some();
            assert_eq!(present, a.sequence <= status.head_sequence, "transfer {id}");
        }
    }
    // The journal was cut back on disk and verifies.
    let on_disk = disk.contents(&journal_path(dir)).unwrap();
    assert_eq!(on_disk.len() as u64, complete_len);
    if let Some(torn) = torn {
        let kept = dir
            .path()
            .join(format!("{JOURNAL_FILE_NAME}.torn-{}", torn.offset + header));
        assert_eq!(
            disk.contents(&kept).unwrap(),
            &bytes[(torn.offset + header) as usize..]
        );
    }
    store.verify(&mut |_| {}).unwrap();
}

#[test]
fn truncating_at_every_offset_of_the_last_records_recovers_a_prefix() {
    let dir = Scratch::new("truncate");
    let disk = SimDisk::new();
    let acked = build(&dir, &disk, 6);
    let full = disk.contents(&journal_path(&dir)).unwrap();
    let header = SEGMENT_HEADER_BYTES as u64;
    let frames = scan_frames(&full[SEGMENT_HEADER_BYTES..]).unwrap().frames;
    let ends: Vec<u64> = frames
        .iter()
        .map(|&(o, l)| header + o + u64::from(l))
        .collect();
    let first_cut = (header + frames[frames.len() - 3].0) as usize;
    for cut in first_cut..=full.len() {
        let complete = *ends.iter().filter(|&&e| e <= cut as u64).max().unwrap();
        reopen_and_check(&dir, &full[..cut], &acked, complete);
    }
}

#[test]
fn garbage_after_the_last_record_is_cut_back_and_reported() {
    let dir = Scratch::new("garbage");
    let disk = SimDisk::new();
    let acked = build(&dir, &disk, 4);
    let full = disk.contents(&journal_path(&dir)).unwrap();
    for garbage in [
        vec![0u8; 1],
        vec![0u8; 4096],
        b"TBJR".to_vec(),
        (0..=255u8).collect(),
    ] {
        let mut bytes = full.clone();
        bytes.extend_from_slice(&garbage);
        reopen_and_check(&dir, &bytes, &acked, full.len() as u64);
    }
}

#[test]
fn a_crash_during_a_group_commit_keeps_acknowledged_commits_and_all_or_nothing_of_the_rest() {
    let dir = Scratch::new("midgroup");
    let disk = SimDisk::new();
    let acked = build(&dir, &disk, 3);
    let durable = disk.contents(&journal_path(&dir)).unwrap();
    let modes = [
        CrashMode::DropUnsynced,
        CrashMode::KeepUnsynced(1),
        CrashMode::KeepUnsynced(100),
        CrashMode::KeepUnsynced(usize::MAX),
        CrashMode::GarbleUnsynced { seed: 7 },
        CrashMode::GarbleUnsynced { seed: 99 },
    ];
    for mode in modes {
        disk.set_contents(&journal_path(&dir), durable.clone());
        let opts = options().io(Arc::new(disk.clone()));
        let store = Store::open(dir.path(), opts.clone()).unwrap();
        disk.fail_after(1); // the group's append lands, its sync fails
        let failed = store.create_transfers(services(1_000, 3), NOW + 10);
        assert!(
            matches!(failed, Err(Error::OutcomeUnknown { .. })),
            "{mode:?}"
        );
        drop(store);
        disk.crash(mode);
        let store = Store::open(dir.path(), opts).unwrap();
        for a in &acked {
            assert!(
                a.ids
                    .iter()
                    .all(|&id| store.transfer(tid(id)).unwrap().is_some()),
                "{mode:?}"
            );
        }
        let unacked: Vec<bool> = (1_000..1_003)
            .map(|id| store.transfer(tid(id)).unwrap().is_some())
            .collect();
        // The whole batch or none of it: a record is applied only when complete and verified.
        assert!(unacked.iter().all(|p| *p == unacked[0]), "{mode:?}");
        assert_eq!(
            unacked[0],
            mode == CrashMode::KeepUnsynced(usize::MAX),
            "{mode:?}"
        );
        store.verify(&mut |_| {}).unwrap();
    }
}

#[test]
fn a_crash_during_creation_is_reported_as_an_unfinished_ledger() {
    let dir = Scratch::new("creation");
    let disk = SimDisk::new();
    drop(
        Store::create(
            dir.path(),
            &policy(),
            NOW,
            options().io(Arc::new(disk.clone())),
        )
        .unwrap(),
    );
    let genesis = disk.contents(&journal_path(&dir)).unwrap();
    for cut in [0, 1, genesis.len() / 2, genesis.len() - 1] {
        let disk = SimDisk::new();
        disk.set_contents(&journal_path(&dir), genesis[..cut].to_vec());
        match Store::open(dir.path(), options().io(Arc::new(disk))) {
            Err(Error::UnfinishedCreation(_)) => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn torn_tails_cut_at_the_same_offset_are_all_kept() {
    let dir = Scratch::new("two-tears");
    let disk = SimDisk::new();
    build(&dir, &disk, 2);
    let full = disk.contents(&journal_path(&dir)).unwrap();
    for garbage in [&b"first tear"[..], &b"second tear"[..]] {
        let mut bytes = full.clone();
        bytes.extend_from_slice(garbage);
        disk.set_contents(&journal_path(&dir), bytes);
        let store = Store::open(dir.path(), options().io(Arc::new(disk.clone()))).unwrap();
        assert!(store.open_report().torn_tail.is_some());
        store.close().unwrap();
    }
    let kept = dir
        .path()
        .join(format!("{JOURNAL_FILE_NAME}.torn-{}", full.len()));
    // The name holds the byte offset in the segment file, its header included.
    assert_eq!(disk.contents(&kept).unwrap(), b"first tear");
    let second = kept.with_extension(format!("torn-{}.1", full.len()));
    assert_eq!(disk.contents(&second).unwrap(), b"second tear");
}
