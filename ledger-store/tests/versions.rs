//! A record of a format version (or record kind) this binary does not know is refused, never cut.
//!
//! Opening a journal with two whole records of a newer version used to take them for a torn tail:
//! the store moved them to `journal.tbj.torn-N`, reported "a crash left ... incomplete bytes", and
//! the next write forked the history. A torn write cannot produce a matching hash, so a whole
//! record whose hash matches was written by another binary: opening and verifying now refuse it
//! ("written by a newer timebank (format version N); this binary reads up to M") and leave every
//! byte where it was. Only an incomplete or unverifiable record at the very end is a torn tail.

mod support;

use ledger_store::journal::scan_frames;
use ledger_store::record::{
    record_hash, FORMAT_VERSION, HASH_BYTES, OFFSET_KIND, OFFSET_LENGTH, OFFSET_NOW,
    OFFSET_PREV_HASH, OFFSET_SEQUENCE, OFFSET_VERSION,
};
use ledger_store::{verify_dir, CorruptionReason, Error, Store};
use support::*;

/// The last record of a journal image.
fn last_record(journal: &[u8]) -> Vec<u8> {
    let scan = scan_frames(journal).unwrap();
    let &(offset, len) = scan.frames.last().unwrap();
    journal[offset as usize..(offset + u64::from(len)) as usize].to_vec()
}

/// A whole record with the given version and kind, linked after the record `last`.
fn foreign_record(last: &[u8], version: u8, kind: u8, body: &[u8]) -> Vec<u8> {
    let sequence = u64::from_le_bytes(
        last[OFFSET_SEQUENCE..OFFSET_SEQUENCE + 8]
            .try_into()
            .unwrap(),
    );
    let mut record = Vec::new();
    record.extend_from_slice(b"TBJR");
    record.extend_from_slice(&0u32.to_le_bytes());
    record.push(version);
    record.push(kind);
    record.extend_from_slice(&[0, 0]);
    record.extend_from_slice(&(sequence + 1).to_le_bytes());
    record.extend_from_slice(&last[OFFSET_NOW..OFFSET_NOW + 8]);
    record.extend_from_slice(&last[last.len() - HASH_BYTES..]);
    assert_eq!(record.len(), OFFSET_PREV_HASH + HASH_BYTES);
    record.extend_from_slice(body);
    let length = (record.len() + HASH_BYTES) as u32;
    record[OFFSET_LENGTH..OFFSET_LENGTH + 4].copy_from_slice(&length.to_le_bytes());
    let hash = record_hash(&record);
    record.extend_from_slice(&hash);
    assert_eq!(record[OFFSET_VERSION], version);
    assert_eq!(record[OFFSET_KIND], kind);
    record
}

/// A small ledger, closed, with its journal's bytes.
fn ledger(name: &str) -> (Scratch, Vec<u8>) {
    let dir = Scratch::new(name);
    let store = new_store(dir.path(), options());
    store.create_transfers(services(1, 3), NOW).unwrap();
    store.close().unwrap();
    let journal = support::read_records(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    (dir, journal)
}

fn files(dir: &Scratch) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_unreadable(error: Error, sequence: u64, offset: u64, version: u8, kind: u8) {
    let Error::Corrupted(c) = error else {
        panic!("expected a refusal, got {error}");
    };
    assert_eq!(c.reason, CorruptionReason::Unreadable { version, kind });
    assert_eq!((c.sequence, c.offset), (sequence, offset));
}

#[test]
fn whole_records_of_a_newer_version_are_refused_and_left_in_place() {
    let (dir, journal) = ledger("versions-newer");
    let sequence = scan_frames(&journal).unwrap().frames.len() as u64;
    let future = FORMAT_VERSION + 1;
    let first = foreign_record(
        &last_record(&journal),
        future,
        2,
        b"a command of the future",
    );
    let mut bytes = journal.clone();
    bytes.extend_from_slice(&first);
    let second = foreign_record(&first, future, 2, b"and another");
    bytes.extend_from_slice(&second);
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    let before = files(&dir);

    let at = journal.len() as u64;
    let opened = Store::open(dir.path(), options()).unwrap_err();
    let message = opened.to_string();
    assert_unreadable(opened, sequence, at, future, 2);
    assert!(
        message.contains(&format!(
            "written by a newer timebank (format version {future}); this binary reads up to \
             {FORMAT_VERSION}"
        )),
        "{message}"
    );
    assert_unreadable(
        verify_dir(dir.path(), None, &mut |_| {}).unwrap_err(),
        sequence,
        at,
        future,
        2,
    );
    // Nothing was cut, copied aside or appended, so nothing can be written after them either.
    assert_eq!(support::read_records(&path).unwrap(), bytes);
    assert_eq!(files(&dir), before);
    assert!(!files(&dir).iter().any(|f| f.contains("torn")));
}

#[test]
fn a_synthetic_newer_version_is_refused_even_when_a_torn_tail_follows_it() {
    let (dir, journal) = ledger("versions-three");
    let sequence = scan_frames(&journal).unwrap().frames.len() as u64;
    let mut bytes = journal.clone();
    let future = FORMAT_VERSION + 1;
    bytes.extend_from_slice(&foreign_record(&last_record(&journal), future, 2, &[7; 40]));
    // A crash during the newer binary's next write.
    bytes.extend_from_slice(b"TBJR\x00\x01");
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    let error = Store::open(dir.path(), options()).unwrap_err();
    assert_unreadable(error, sequence, journal.len() as u64, future, 2);
    assert_eq!(support::read_records(&path).unwrap(), bytes);
}

#[test]
fn an_unknown_record_kind_of_this_version_is_refused() {
    let (dir, journal) = ledger("versions-kind");
    let sequence = scan_frames(&journal).unwrap().frames.len() as u64;
    let mut bytes = journal.clone();
    bytes.extend_from_slice(&foreign_record(
        &last_record(&journal),
        FORMAT_VERSION,
        200,
        b"{}",
    ));
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    let error = Store::open(dir.path(), options()).unwrap_err();
    assert!(error.to_string().contains("record kind 200"), "{error}");
    assert_unreadable(error, sequence, journal.len() as u64, FORMAT_VERSION, 200);
    assert_eq!(support::read_records(&path).unwrap(), bytes);
}

#[test]
fn an_older_format_version_is_refused_not_cut() {
    let (dir, journal) = ledger("versions-older");
    let sequence = scan_frames(&journal).unwrap().frames.len() as u64;
    let mut bytes = journal.clone();
    bytes.extend_from_slice(&foreign_record(&last_record(&journal), 1, 2, &[1; 10]));
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    if FORMAT_VERSION > 1 {
        let error = Store::open(dir.path(), options()).unwrap_err();
        assert!(error.to_string().contains("format version 1"), "{error}");
        assert_unreadable(error, sequence, journal.len() as u64, 1, 2);
        assert_eq!(support::read_records(&path).unwrap(), bytes);
    }
}

#[test]
fn a_newer_record_whose_hash_fails_at_the_end_is_still_a_torn_tail() {
    let (dir, journal) = ledger("versions-torn");
    let mut bytes = journal.clone();
    let mut record = foreign_record(&last_record(&journal), FORMAT_VERSION + 1, 2, &[9; 30]);
    let last = record.len() - 1;
    record[last] ^= 1;
    bytes.extend_from_slice(&record);
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    let torn = store.open_report().torn_tail.clone().unwrap();
    assert_eq!(torn.offset, journal.len() as u64);
    store.close().unwrap();
    assert_eq!(support::read_records(&path).unwrap(), journal);
}

#[test]
fn damage_before_a_newer_record_is_damage_not_a_torn_tail() {
    let (dir, journal) = ledger("versions-damage");
    let mut bytes = journal.clone();
    let future = foreign_record(&last_record(&journal), FORMAT_VERSION + 1, 2, &[5; 20]);
    bytes.extend_from_slice(b"garbage!");
    bytes.extend_from_slice(&future);
    let path = dir.path().join(JOURNAL_FILE_NAME);
    support::write_records(&path, &bytes).unwrap();
    let Error::Corrupted(c) = Store::open(dir.path(), options()).unwrap_err() else {
        panic!("expected corruption");
    };
    assert_eq!(c.offset, journal.len() as u64);
    assert!(matches!(c.reason, CorruptionReason::Frame(_)), "{c}");
    assert_eq!(support::read_records(&path).unwrap(), bytes);
}
