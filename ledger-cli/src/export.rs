//! `timebank export`: every journal record as one JSON line, and the line format `import` reads.
//!
//! A line holds the record's header (`seq`, `now`, `prev`, `hash`: hashes in lower-case hex) and
//! its content: the policy (genesis), the command, or the checkpoint's digest and MAC. The
//! content determines the record's bytes exactly (docs/FORMAT.md), so a reader can recompute
//! every hash from the lines alone; `import` does so before it changes anything.
//!
//! The genesis line also carries the genesis record's exact bytes (`record`, hex): the policy's
//! JSON form may change between versions, and re-serializing an old policy would then give
//! another genesis hash, so `import` creates the ledger from those bytes instead.

use std::io::{BufWriter, Write};

use serde::{Deserialize, Serialize};

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{Attribution, Command, Policy};
use ledger_store::checkpoint::hex;
use ledger_store::codec::{command_len, decode_record_body, encode_command};
use ledger_store::journal::for_each_record;
use ledger_store::profile::split_genesis_body;
use ledger_store::record::{
    append_record_in, parse_frame, Hash, RecordHeader, RecordKind, FORMAT_VERSION,
    FORMAT_VERSION_MIN, RECORD_BYTES_MAX, RECORD_BYTES_MIN,
};
use ledger_store::replay::checkpoint_of;
use ledger_store::Checkpoint;

use crate::cli::ExportArgs;
use crate::error::{CliError, CliResult};
use crate::session::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Genesis,
    Command,
    Checkpoint,
}

/// One journal record as a JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordLine {
    pub seq: u64,
    pub hash: String,
    pub prev: String,
    pub now: u64,
    /// The record's format version (docs/FORMAT.md §6), so an import rebuilds it byte for
    /// byte. Exports written before it existed hold version-2 records only.
    #[serde(default = "first_exported_version")]
    pub version: u8,
    pub kind: LineKind,
    /// Genesis: the ledger's policy (for readers; `record` is what `import` uses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// Genesis: the whole genesis record, byte for byte (hex). Exports written before it
    /// existed lack it; their genesis is rebuilt from `policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Command records: the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    /// Command records: the rest of the body after the command, hex: its outcome and
    /// annotations (docs/FORMAT.md §4.4 and §4.5), which `import` checks against what the
    /// engine answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Command records: who ran the command (the host's operator id), when it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<u64>,
    /// Command records: the command's reason code, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<u32>,
    /// Checkpoint records: the state digest and MAC (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

impl RecordLine {
    /// The record's bytes, rebuilt from the line's content, and their hash. `None` when the
    /// line lacks the content its kind needs.
    pub fn rebuild(&self) -> Option<(Vec<u8>, Hash)> {
        let (kind, body): (RecordKind, Vec<u8>) = match self.kind {
            LineKind::Genesis if self.record.is_some() => return self.genesis_record(),
            LineKind::Genesis => (
                RecordKind::Genesis,
                // An export without `record`: the store wrote the policy as serde_json of
                // `Policy`, which this version reproduces as long as that form is unchanged.
                serde_json::to_vec(self.policy.as_ref()?).ok()?,
            ),
            LineKind::Command => {
                let command = self.command.as_ref()?;
                // The encoder takes only batches the engine accepts (it asserts so).
                let events = command_len(command);
                if !matches!(command, Command::Expire) && !(1..=BATCH_EVENTS_MAX).contains(&events)
                {
                    return None;
                }
                let mut body = Vec::new();
                encode_command(&mut body, command);
                body.extend_from_slice(&unhex_bytes(self.outcome.as_deref()?)?);
                let (_, _, who) = decode_record_body(&body, self.version).ok()?;
                // The fields shown must be the ones the bytes hold.
                if who != self.attribution() {
                    return None;
                }
                (RecordKind::Command, body)
            }
            LineKind::Checkpoint => {
                let checkpoint = self.checkpoint()?;
                (RecordKind::Checkpoint, checkpoint.body().to_vec())
            }
        };
        if body.len() > RECORD_BYTES_MAX - RECORD_BYTES_MIN {
            return None; // no journal holds a record this large
        }
        let header = RecordHeader {
            kind,
            sequence: self.seq,
            now: self.now,
            prev_hash: unhex(&self.prev)?,
        };
        if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&self.version) {
            return None; // a version this binary cannot read
        }
        let mut bytes = Vec::new();
        let hash = append_record_in(&mut bytes, &header, self.version, |b| {
            b.extend_from_slice(&body)
        });
        Some((bytes, hash))
    }

    /// A genesis line's `record` bytes and their hash, when they are one whole, intact genesis
    /// record with the line's header, and (when the line shows a policy) the same policy.
    fn genesis_record(&self) -> Option<(Vec<u8>, Hash)> {
        let bytes = unhex_bytes(self.record.as_deref()?)?;
        let frame = parse_frame(&bytes, 0).ok()?;
        let fits = frame.len() == bytes.len()
            && frame.hash_matches()
            && frame.kind() == RecordKind::Genesis
            && frame.sequence() == self.seq
            && frame.now() == self.now
            && Some(frame.prev_hash()) == unhex(&self.prev);
        if !fits {
            return None;
        }
        if let Some(policy) = &self.policy {
            let (_, body) = split_genesis_body(frame.body()).ok()?;
            if serde_json::from_slice::<Policy>(&body).ok().as_ref() != Some(policy) {
                return None;
            }
        }
        let hash = frame.stored_hash();
        Some((bytes, hash))
    }

    /// A command line's attribution (operator 0 when the line gives none).
    pub fn attribution(&self) -> Attribution {
        Attribution {
            operator: self.operator.unwrap_or(0),
            reason: self.reason,
        }
    }

    /// A checkpoint line's checkpoint (it covers the record before it).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        Some(Checkpoint {
            sequence: self.seq.checked_sub(1)?,
            head_hash: unhex(&self.prev)?,
            state_digest: unhex(self.state_digest.as_deref()?)?,
            mac: unhex(self.mac.as_deref()?)?,
        })
    }
}

/// The version of every record in an export written before lines named their version.
fn first_exported_version() -> u8 {
    2
}

/// A 32-byte hash from 64 lower-case hex digits.
pub fn unhex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    unhex_bytes(text)?.try_into().ok()
}

/// Bytes from lower-case hex (an even number of digits; nothing else).
pub fn unhex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// The line of the record `raw` at image offset `offset`.
fn record_line(offset: u64, raw: &[u8]) -> CliResult<RecordLine> {
    let frame = parse_frame(raw, offset)
        .map_err(|e| CliError::damaged(format!("record at byte {offset}: {e}")))?;
    let bad = |why: String| CliError::damaged(format!("record {}: {why}", frame.sequence()));
    let mut line = RecordLine {
        seq: frame.sequence(),
        hash: hex(&frame.stored_hash()),
        prev: hex(&frame.prev_hash()),
        now: frame.now(),
        version: frame.version(),
        kind: LineKind::Command,
        policy: None,
        record: None,
        command: None,
        outcome: None,
        operator: None,
        reason: None,
        state_digest: None,
        mac: None,
    };
    match frame.kind() {
        RecordKind::Genesis => {
            line.kind = LineKind::Genesis;
            // The policy without the profile member (the record keeps both).
            let (_, body) = split_genesis_body(frame.body()).map_err(bad)?;
            line.policy = Some(serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?);
            line.record = Some(hex(raw));
        }
        RecordKind::Command => {
            let (command, _, who) = decode_record_body(frame.body(), frame.version())
                .map_err(|e| bad(e.to_string()))?;
            let mut alone = Vec::new();
            encode_command(&mut alone, &command);
            line.outcome = Some(hex(&frame.body()[alone.len()..]));
            line.command = Some(command);
            line.operator = who.is_given().then_some(who.operator);
            line.reason = who.reason;
        }
        RecordKind::Checkpoint => {
            let checkpoint = checkpoint_of(&frame).map_err(|e| bad(e.to_string()))?;
            line.kind = LineKind::Checkpoint;
            line.state_digest = Some(hex(&checkpoint.state_digest));
            line.mac = Some(hex(&checkpoint.mac));
        }
    }
    Ok(line)
}

/// Writes the journal's records as lines to `out`, read after opening the store (which verifies
/// the journal, or its tail from a snapshot, and cuts back a torn tail), a record at a time
/// from the segment files (`ledger_store::journal::for_each_record`: the records' checksums and
/// links checked again as they are read): memory does not grow with the journal. Returns how
/// many records it wrote.
fn write_journal_lines(session: &Session, out: &mut dyn Write) -> CliResult<u64> {
    let store = session.open_for_reading()?;
    let end = store.status().journal_bytes;
    store.close()?;
    let mut written = 0u64;
    let archives = &session.global.segments_from;
    let whole = for_each_record(session.data(), archives, end, |offset, raw| {
        let line = record_line(offset, raw)?;
        serde_json::to_writer(&mut *out, &line).map_err(|e| write_error(e.into()))?;
        out.write_all(b"\n").map_err(write_error)?;
        written += 1;
        Ok::<(), CliError>(())
    })?;
    if !whole {
        return Err(CliError::damaged(format!(
            "the journal in {} is not whole past record {}: it changed after the store opened \
             it, or is damaged where the open did not read (run `timebank verify`)",
            session.data().display(),
            written.saturating_sub(1)
        )));
    }
    Ok(written)
}

fn write_error(e: std::io::Error) -> CliError {
    CliError::io(format!("cannot write the export: {e}"))
}

pub fn run(session: &Session, args: &ExportArgs) -> CliResult {
    if let Some(path) = &args.out {
        crate::paths::refuse_inside_data(path, session.data(), "the export's --out")?;
    }
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::io(format!("cannot create {}: {e}", path.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let written = write_journal_lines(session, &mut out)?;
    out.flush().map_err(write_error)?;
    if let Some(path) = &args.out {
        crate::output::note!("exported {written} records to {}", path.display());
    }
    Ok(())
}
