//! What a commit and `status` tell a caller about the head.
//!
//! `Committed` used to carry only the record's sequence, so a caller that prints
//! `{"seq","head"}` had to call `status` (or read the journal) after every write; it now holds
//! the record's hash. `status` used to compute the state digest of the state in memory, which a
//! group whose sync is in flight has already changed, beside the durable head: the two could
//! describe different records. It now reports the digest of the durable head's state (kept per
//! head, so repeated calls do not recompute it).

mod support;

use std::sync::Arc;
use std::time::Duration;

use ledger_store::journal::scan_frames;
use ledger_store::{SimDisk, Store};
use support::*;

#[test]
fn a_commit_names_its_record_hash_which_is_the_head_status_reports() {
    let dir = Scratch::new("committed-hash");
    let store = new_store(dir.path(), options());
    let done = store.create_transfers(services(1, 2), NOW).unwrap();
    let status = store.status();
    assert_eq!(
        (done.sequence, done.hash),
        (status.head_sequence, status.head_hash)
    );

    let later = store.create_transfers(services(10, 2), NOW).unwrap();
    assert_ne!(later.hash, done.hash);
    store.close().unwrap();
    // Each is the stored hash of its own record in the journal.
    let journal = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    let frames = scan_frames(&journal).unwrap().frames;
    for c in [&done, &later] {
        let (offset, len) = frames[c.sequence as usize];
        let end = (offset + u64::from(len)) as usize;
        assert_eq!(journal[end - 32..end], c.hash);
    }
}

#[test]
fn status_during_a_sync_names_a_head_and_that_heads_digest() {
    let dir = Scratch::new("status-in-flight");
    let disk = SimDisk::new();
    let store = new_store(dir.path(), options().io(Arc::new(disk.clone())));
    let before = store.status();
    disk.hold_syncs();
    let during = std::thread::scope(|s| {
        let writer = s.spawn(|| store.create_transfers(services(1, 3), NOW).unwrap());
        while disk.syncs_waiting() == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Applied in memory, not yet durable.
        assert!(store.transfer(tid(1)).unwrap().is_some());
        let status = s.spawn(|| store.status());
        // Let `status` answer while the sync is held, if it answers without waiting for it.
        for _ in 0..200 {
            if status.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        disk.release_syncs();
        writer.join().unwrap();
        status.join().unwrap()
    });
    let after = store.status();
    assert_ne!(before.state_digest, after.state_digest);
    let expected = match during.head_sequence {
        s if s == before.head_sequence => &before,
        _ => &after,
    };
    assert_eq!(durable(during.clone()), durable(expected.clone()));
    // The same digest every time the head does not move, and the one a replay computes.
    assert_eq!(store.status().state_digest, after.state_digest);
    store.close().unwrap();
    let reopened = Store::open(dir.path(), options().io(Arc::new(disk))).unwrap();
    assert_eq!(reopened.status().state_digest, after.state_digest);
}
