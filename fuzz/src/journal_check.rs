//! `journal_decode`: the store's journal reader on arbitrary bytes, on journals written from
//! real command sequences and then damaged, and its command codec on arbitrary bodies.
//!
//! What must hold: nothing panics; whatever replay accepts is a byte-identical prefix of what
//! was written (so a record with a wrong checksum, sequence number or link is never accepted),
//! and it rebuilds the state the writer had after that prefix; a decoded body re-encodes to the
//! same bytes (the codec is canonical).

use arbitrary::{Arbitrary, Unstructured};
use ledger_core::{Command, Ledger, Policy, Reply};
use ledger_store::codec::{decode_body, decode_command, encode_body, encode_command};
use ledger_store::outcome::outcome_of;
use ledger_store::record::{append_record, Hash, RecordHeader, RecordKind};
use ledger_store::replay::replay;

use crate::engine_check;
use crate::scenario::Scenario;

#[derive(Arbitrary, Debug)]
pub struct Damage {
    pub mutations: Vec<Mutation>,
    pub scenario: Scenario,
}

/// Damage to a journal image. Positions wrap around the image's length.
#[derive(Arbitrary, Debug, Clone)]
pub enum Mutation {
    Flip {
        at: u32,
        xor: u8,
    },
    Truncate {
        at: u32,
    },
    Append(Vec<u8>),
    /// Well-formed records with good checksums in the wrong place: only links and sequence
    /// numbers can tell.
    DropRecord(u8),
    DuplicateRecord(u8),
    SwapRecords(u8, u8),
}

/// The first byte picks the mode: `B` the rest is a journal image, `C` a command body,
/// anything else a scenario to journal and damage.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        b'B' => check_image(rest, None),
        b'C' => check_body(rest),
        _ => {
            if let Ok(damage) = Damage::arbitrary_take_rest(Unstructured::new(rest)) {
                check_damage(&damage);
            }
        }
    }
}

fn check_body(body: &[u8]) {
    if let Ok(command) = decode_command(body) {
        let mut again = Vec::new();
        encode_command(&mut again, &command);
        assert_eq!(again, body, "{command:?} decoded from a non-canonical body");
    }
    if let Ok((command, outcome)) = decode_body(body) {
        let mut again = Vec::new();
        encode_body(&mut again, &command, &outcome);
        assert_eq!(again, body, "{outcome:?} decoded from a non-canonical body");
    }
}

/// A journal as written: its bytes, where each record ends, and the digest after each record.
struct Written {
    bytes: Vec<u8>,
    record_ends: Vec<usize>,
    digests: Vec<[u8; 32]>,
}

fn write_journal(scenario: &Scenario) -> Written {
    let (units, _, log) = engine_check::run_checked(scenario);
    let policy = Policy::units_only(units);
    let mut ledger = Ledger::with_policy(&policy).expect("valid units");
    let mut bytes = Vec::new();
    let mut record_ends = Vec::new();
    let mut digests = Vec::new();
    let mut prev_hash: Hash = [0; 32];
    let mut now = crate::scenario::NOW_START;
    let mut push = |kind, now, body: &dyn Fn(&mut Vec<u8>), bytes: &mut Vec<u8>| {
        let header = RecordHeader {
            kind,
            sequence: record_ends.len() as u64,
            now,
            prev_hash,
        };
        prev_hash = append_record(bytes, &header, body);
        record_ends.push(bytes.len());
    };
    let policy_json = policy.to_json();
    push(
        RecordKind::Genesis,
        now,
        &|b| b.extend_from_slice(policy_json.as_bytes()),
        &mut bytes,
    );
    digests.push(ledger.state_digest());
    // The store journals commands the engine accepted, with time never going back.
    for (command, at, _) in &log {
        now = now.max(*at);
        let Ok(reply) = ledger.execute(command, now) else {
            continue;
        };
        let outcome = outcome_of(command, &reply, &ledger);
        push(
            RecordKind::Command,
            now,
            &|b| encode_body(b, command, &outcome),
            &mut bytes,
        );
        digests.push(ledger.state_digest());
    }
    Written {
        bytes,
        record_ends,
        digests,
    }
}

fn check_damage(damage: &Damage) {
    let written = write_journal(&damage.scenario);
    // Undamaged, everything replays to the writer's state.
    let replayed = replay(&written.bytes, None, &mut |_| {}, &mut |_, _, _, _| {})
        .unwrap_or_else(|e| panic!("an undamaged journal was refused: {e:?}"));
    assert_eq!(replayed.records as usize, written.record_ends.len());
    assert!(replayed.torn.is_none());
    assert_eq!(
        replayed.ledger.state_digest(),
        *written.digests.last().expect("genesis")
    );
    let mut bytes = written.bytes.clone();
    for mutation in damage.mutations.iter().take(4) {
        mutate(&mut bytes, &written.record_ends, mutation);
    }
    check_image(&bytes, Some(&written));
}

fn mutate(bytes: &mut Vec<u8>, ends: &[usize], mutation: &Mutation) {
    let record = |i: u8| {
        let i = usize::from(i) % ends.len();
        let start = if i == 0 { 0 } else { ends[i - 1] };
        (start, ends[i])
    };
    match mutation {
        Mutation::Flip { at, xor } if !bytes.is_empty() => {
            let at = *at as usize % bytes.len();
            bytes[at] ^= if *xor == 0 { 1 } else { *xor };
        }
        Mutation::Truncate { at } => bytes.truncate(*at as usize % (bytes.len() + 1)),
        Mutation::Append(tail) => bytes.extend_from_slice(tail),
        // Record moves apply to the undamaged layout only.
        Mutation::DropRecord(i) if bytes.len() == *ends.last().expect("genesis") => {
            let (start, end) = record(*i);
            bytes.drain(start..end);
        }
        Mutation::DuplicateRecord(i) if bytes.len() == *ends.last().expect("genesis") => {
            let (start, end) = record(*i);
            let copy = bytes[start..end].to_vec();
            bytes.extend_from_slice(&copy);
        }
        Mutation::SwapRecords(i, j) if bytes.len() == *ends.last().expect("genesis") => {
            let (a, b) = (record(*i), record(*j));
            let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
            if first.1 <= second.0 {
                let mut out = bytes[..first.0].to_vec();
                out.extend_from_slice(&bytes[second.0..second.1]);
                out.extend_from_slice(&bytes[first.1..second.0]);
                out.extend_from_slice(&bytes[first.0..first.1]);
                out.extend_from_slice(&bytes[second.1..]);
                *bytes = out;
            }
        }
        _ => {}
    }
}

/// Replays `bytes`; with the undamaged journal known, checks that what was accepted is a prefix
/// of it, ending at a record boundary, that rebuilds the writer's state at that record.
fn check_image(bytes: &[u8], written: Option<&Written>) {
    // Command records, in order (checkpoint records take sequence numbers too).
    let (mut last, mut commands) = (0u64, 0u64);
    let mut observer = |sequence: u64, _: &Command, _: &Reply, _: &Ledger| {
        assert!(sequence > last, "records are applied in order");
        (last, commands) = (sequence, commands + 1);
    };
    let Ok(replayed) = replay(bytes, None, &mut |_| {}, &mut observer) else {
        return;
    };
    let accepted = replayed.head.len as usize;
    assert!(accepted <= bytes.len());
    assert!(
        replayed.records > commands,
        "genesis and every command record"
    );
    match &replayed.torn {
        Some(torn) => assert_eq!(
            torn.offset as usize, accepted,
            "the torn tail starts at the head"
        ),
        None => assert_eq!(
            accepted,
            bytes.len(),
            "bytes after the head but no torn tail"
        ),
    }
    let Some(written) = written else {
        return;
    };
    let records = replayed.records as usize;
    // The written journals hold no checkpoints: every record after genesis is a command.
    assert_eq!(
        records as u64,
        commands + 1,
        "every command record was applied"
    );
    assert!(
        records <= written.record_ends.len(),
        "more records than were written"
    );
    assert_eq!(
        accepted,
        written.record_ends[records - 1],
        "the accepted journal does not end where a written record ends"
    );
    assert!(
        bytes[..accepted] == written.bytes[..accepted],
        "replay accepted damaged bytes within its first {records} records"
    );
    assert_eq!(replayed.ledger.state_digest(), written.digests[records - 1]);
}
