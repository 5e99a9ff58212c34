//! One open store per data directory.
//!
//! `Store::open` used to read the journal before anything locked the directory (sled's lock on
//! the index came later), so a second store, in another process or the same one, could read a
//! group the first was still writing, take its bytes for a torn tail, or rebuild the index
//! under the writer. The store now takes an exclusive lock on `LOCK` in the data directory
//! before it reads anything, and a second opener fails at once with `Error::Locked`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use ledger_store::{Error, Store, LOCK_FILE_NAME};
use support::*;

#[test]
fn a_second_store_in_the_same_process_is_refused_and_reads_nothing() {
    let dir = Scratch::new("lock-same-process");
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 3), NOW).unwrap();
    // Bytes after the last record, as a group being written leaves them: a second opener must
    // not take them for a torn tail and cut them.
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let mut journal = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    journal.write_all(b"TBJR half a group").unwrap();
    let before = std::fs::read(&path).unwrap();

    match Store::open(dir.path(), options()) {
        Err(Error::Locked(locked)) => assert_eq!(locked, dir.path()),
        other => panic!("a second store opened a locked directory: {other:?}"),
    }
    assert!(matches!(
        Store::create(dir.path(), &policy(), NOW, options()),
        Err(Error::Locked(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let message = Error::Locked(dir.path().to_path_buf()).to_string();
    assert!(message.contains("in use"), "{message}");

    // Once the first store is gone the directory opens (and the stray bytes are a torn tail).
    drop(store);
    let store = Store::open(dir.path(), options()).unwrap();
    assert!(store.open_report().torn_tail.is_some());
    assert!(store.transfer(tid(3)).unwrap().is_some());
}

#[test]
fn a_store_held_by_another_process_is_refused_until_that_process_dies() {
    let dir = Scratch::new("lock-other-process");
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
        .arg(dir.path())
        .arg("1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    assert!(ready.starts_with("ready"), "{ready}");

    // The writer is committing right now.
    let refused = Store::open(dir.path(), options());
    assert!(matches!(refused, Err(Error::Locked(_))), "{refused:?}");

    child.kill().unwrap();
    child.wait().unwrap();
    // The kernel released the dead process's lock; the journal verifies.
    let store = Store::open(dir.path(), options()).unwrap();
    store.verify(&mut |_| {}).unwrap();
    assert!(dir.path().join(LOCK_FILE_NAME).exists());
}

#[test]
fn opening_a_directory_without_a_ledger_leaves_no_lock_file() {
    let dir = Scratch::new("lock-no-ledger");
    assert!(matches!(
        Store::open(dir.path(), options()),
        Err(Error::NotFound(_))
    ));
    assert!(!dir.path().join(LOCK_FILE_NAME).exists());
}

#[test]
fn a_ledger_without_a_lock_file_opens_and_gets_one() {
    let dir = Scratch::new("lock-old-ledger");
    drop(new_store(dir.path(), options()));
    std::fs::remove_file(dir.path().join(LOCK_FILE_NAME)).unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    assert!(dir.path().join(LOCK_FILE_NAME).exists());
    assert!(matches!(
        Store::open(dir.path(), options()),
        Err(Error::Locked(_))
    ));
    drop(store);
}
