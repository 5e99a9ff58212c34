//! The record frame: how one journal record is laid out, hashed and checked for shape.
//!
//! Every offset here is a named constant and `docs/FORMAT.md` uses the same names. All integers
//! are little-endian. A record is
//!
//! ```text
//! 0   4   magic "TBJR"
//! 4   4   length: bytes of the whole record, this header and the trailing hash included
//! 8   1   version (4; 2 and 3 are read too)
//! 9   1   kind (1 genesis, 2 command, 3 checkpoint)
//! 10  2   reserved, zero
//! 12  8   sequence (genesis 0, then +1 per record)
//! 20  8   now: the nanosecond time the command ran at
//! 28  32  the previous record's hash (zero in the genesis record)
//! 60  n   body
//! 60+n 32 this record's hash: blake3 derive_key(RECORD_HASH_CONTEXT) of bytes [0, 60+n)
//! ```
//!
//! The trailing hash is both the checksum (it must match the bytes) and the chain link (the next
//! record repeats it in its `prev_hash`).

/// The first four bytes of every record, so a scan can find record starts.
pub const RECORD_MAGIC: [u8; 4] = *b"TBJR";
/// The record version this code writes, and the newest it reads.
pub const FORMAT_VERSION: u8 = 7;
/// The oldest record version this code reads (version 3 only added command tag 10, version 4
/// annotations, version 5 operation kind 10, version 6 the second state digest in checkpoints
/// and version 7 the third, so a version-2 record reads as it always did).
pub const FORMAT_VERSION_MIN: u8 = 2;

/// The first record version whose checkpoints hold the second state digest (docs/FORMAT.md
/// §5.2.2, `Ledger::state_digest_v2`); those before hold the first (§5.2.1,
/// `Ledger::state_digest_v1`).
pub const DIGEST_V2_VERSION: u8 = 6;

/// The first record version whose checkpoints hold the state digest of docs/FORMAT.md §5.2.
pub const DIGEST_V3_VERSION: u8 = 7;

/// The state digest a checkpoint in a record of `version` holds for `ledger`; `None` for the
/// first digest once the ledger evicted transfers or operations, and for the second once it
/// evicted operations (they hash every one).
pub fn checkpoint_digest(ledger: &ledger_core::Ledger, version: u8) -> Option<Hash> {
    if version >= DIGEST_V3_VERSION {
        Some(ledger.state_digest())
    } else if version >= DIGEST_V2_VERSION {
        ledger.state_digest_v2()
    } else {
        ledger.state_digest_v1()
    }
}

/// Whether `digest` is any of the state digests of `ledger` (a published checkpoint line,
/// §5.3, holds whichever its binary wrote).
pub fn is_a_digest_of(ledger: &ledger_core::Ledger, digest: &Hash) -> bool {
    ledger.state_digest() == *digest
        || ledger.state_digest_v2() == Some(*digest)
        || ledger.state_digest_v1() == Some(*digest)
}

/// Header offset of the magic (4 bytes, [`RECORD_MAGIC`]).
pub const OFFSET_MAGIC: usize = 0;
/// Header offset of the record's whole length in bytes, header and hash included (u32).
pub const OFFSET_LENGTH: usize = 4;
/// Header offset of the format version (u8).
pub const OFFSET_VERSION: usize = 8;
/// Header offset of the record kind (u8, [`RecordKind`]).
pub const OFFSET_KIND: usize = 9;
/// Header offset of two reserved bytes, always zero.
pub const OFFSET_RESERVED: usize = 10;
/// Header offset of the sequence number (u64; the genesis record is 0).
pub const OFFSET_SEQUENCE: usize = 12;
/// Header offset of `now` (u64 nanoseconds since the Unix epoch): when the command ran (genesis:
/// the creation time; a checkpoint: the previous record's `now`).
pub const OFFSET_NOW: usize = 20;
/// Header offset of the previous record's hash (32 bytes; zero in the genesis record).
pub const OFFSET_PREV_HASH: usize = 28;
/// Where the body starts; the header's size.
pub const OFFSET_BODY: usize = 60;
/// The header's size in bytes.
pub const HEADER_BYTES: usize = OFFSET_BODY;
/// The size of a record hash, which also ends every record.
pub const HASH_BYTES: usize = 32;
/// The smallest record: a header, an empty body and the hash.
pub const RECORD_BYTES_MIN: usize = HEADER_BYTES + HASH_BYTES;
/// The largest record. A full batch of 8,190 transfers takes at most 819,000 body bytes; the
/// genesis record's policy must also fit. A bound keeps a damaged length field from making a
/// reader allocate or skip gigabytes.
pub const RECORD_BYTES_MAX: usize = 4 << 20;

/// The blake3 key-derivation context of record hashes (domain separation from the state digest
/// and from checkpoint MACs).
pub const RECORD_HASH_CONTEXT: &str = "timebank-ledger 2026-11 journal record v1";

const _: () = assert!(OFFSET_LENGTH == OFFSET_MAGIC + 4);
const _: () = assert!(OFFSET_VERSION == OFFSET_LENGTH + 4);
const _: () = assert!(OFFSET_KIND == OFFSET_VERSION + 1);
const _: () = assert!(OFFSET_RESERVED == OFFSET_KIND + 1);
const _: () = assert!(OFFSET_SEQUENCE == OFFSET_RESERVED + 2);
const _: () = assert!(OFFSET_NOW == OFFSET_SEQUENCE + 8);
const _: () = assert!(OFFSET_PREV_HASH == OFFSET_NOW + 8);
const _: () = assert!(OFFSET_BODY == OFFSET_PREV_HASH + HASH_BYTES);
const _: () = assert!(RECORD_BYTES_MAX <= u32::MAX as usize);
// The largest command record (a full batch of the largest transfers, each with the largest
// outcome, or the largest expiry) fits.
const _: () = assert!(
    ledger_core::limits::BATCH_EVENTS_MAX * (crate::codec::TRANSFER_BYTES_MAX + 61)
        + RECORD_BYTES_MIN
        + 4
        < RECORD_BYTES_MAX
);
const _: () = assert!(
    crate::outcome::EXPIRE_ITEMS_MAX
        * (crate::outcome::RELEASED_BYTES + crate::outcome::SWEPT_BYTES)
        + RECORD_BYTES_MIN
        + 10
        < RECORD_BYTES_MAX
);

/// A 32-byte blake3 hash.
pub type Hash = [u8; HASH_BYTES];

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    /// The first record: the ledger's policy as JSON.
    Genesis = 1,
    /// A command applied to the ledger (see `codec`).
    Command = 2,
    /// A checkpoint: state digest and keyed MAC (see `checkpoint`).
    Checkpoint = 3,
}

impl RecordKind {
    /// The kind with this number; `None` for any other.
    pub fn from_u8(value: u8) -> Option<RecordKind> {
        match value {
            1 => Some(RecordKind::Genesis),
            2 => Some(RecordKind::Command),
            3 => Some(RecordKind::Checkpoint),
            _ => None,
        }
    }
}

/// The fields a writer chooses for a record's header.
#[derive(Debug, Clone, Copy)]
pub struct RecordHeader {
    /// What the record holds.
    pub kind: RecordKind,
    /// Its sequence number: the previous record's plus one.
    pub sequence: u64,
    /// When its command ran (nanoseconds since the Unix epoch); never below the previous
    /// record's.
    pub now: u64,
    /// The previous record's hash (zero for the genesis record).
    pub prev_hash: Hash,
}

/// Appends one whole record to `buf`: header, the body that `body` writes, and the hash.
/// Returns the record's hash. Nothing is allocated beyond `buf`'s growth.
pub fn append_record(
    buf: &mut Vec<u8>,
    header: &RecordHeader,
    body: impl FnOnce(&mut Vec<u8>),
) -> Hash {
    append_record_in(buf, header, FORMAT_VERSION, body)
}

/// [`append_record`] in format `version` (one this binary reads), for a record rebuilt as it
/// was first written (an import). The body must be one that version allows.
pub fn append_record_in(
    buf: &mut Vec<u8>,
    header: &RecordHeader,
    version: u8,
    body: impl FnOnce(&mut Vec<u8>),
) -> Hash {
    assert!((FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&version));
    let start = buf.len();
    buf.extend_from_slice(&RECORD_MAGIC);
    buf.extend_from_slice(&0u32.to_le_bytes()); // length, patched below
    buf.push(version);
    buf.push(header.kind as u8);
    buf.extend_from_slice(&0u16.to_le_bytes());
    buf.extend_from_slice(&header.sequence.to_le_bytes());
    buf.extend_from_slice(&header.now.to_le_bytes());
    buf.extend_from_slice(&header.prev_hash);
    debug_assert_eq!(buf.len() - start, HEADER_BYTES);
    body(buf);
    let length = buf.len() - start + HASH_BYTES;
    assert!(length <= RECORD_BYTES_MAX, "record of {length} bytes");
    buf[start + OFFSET_LENGTH..start + OFFSET_LENGTH + 4]
        .copy_from_slice(&(length as u32).to_le_bytes());
    let hash = record_hash(&buf[start..]);
    buf.extend_from_slice(&hash);
    // Read back what was written: the frame must parse and verify (asserting the pair).
    debug_assert!(parse_frame(&buf[start..], 0).is_ok_and(|f| f.hash_matches()));
    hash
}

/// The hash of a record whose bytes before the trailing hash are `covered`.
pub fn record_hash(covered: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new_derive_key(RECORD_HASH_CONTEXT);
    hasher.update(covered);
    *hasher.finalize().as_bytes()
}

/// Why bytes at some offset are not a well-formed record frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes remain than the header or the declared length needs.
    Incomplete,
    /// The bytes at the record's start are not the magic `TBJR`.
    BadMagic,
    /// The length field is below [`RECORD_BYTES_MIN`] or above [`RECORD_BYTES_MAX`].
    BadLength(u32),
    /// The format version is not one this binary reads.
    UnsupportedVersion(u8),
    /// The record kind is not one of [`RecordKind`].
    UnknownKind(u8),
    /// The reserved header bytes are not zero.
    ReservedNotZero,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Incomplete => {
                write!(f, "the record is incomplete (the file ends inside it)")
            }
            FrameError::BadMagic => write!(f, "no record magic \"TBJR\" where a record must start"),
            FrameError::BadLength(n) => write!(
                f,
                "record length {n} is outside {RECORD_BYTES_MIN}..={RECORD_BYTES_MAX}"
            ),
            FrameError::UnsupportedVersion(v) => write!(f, "record version {v} is not supported"),
            FrameError::UnknownKind(k) => write!(f, "record kind {k} is unknown"),
            FrameError::ReservedNotZero => write!(f, "the reserved header bytes are not zero"),
        }
    }
}

/// One record's bytes, with a frame that parsed (magic, length, version, kind). Its hash is not
/// checked yet: see [`Frame::hash_matches`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Byte offset of the record in its file.
    pub offset: u64,
    /// The whole record: header, body and hash.
    pub bytes: &'a [u8],
}

impl<'a> Frame<'a> {
    /// What the record holds.
    pub fn kind(&self) -> RecordKind {
        // Invariant: parse_frame accepted only known kinds.
        RecordKind::from_u8(self.bytes[OFFSET_KIND]).expect("kind checked by parse_frame")
    }

    /// The record's sequence number.
    pub fn sequence(&self) -> u64 {
        u64_at(self.bytes, OFFSET_SEQUENCE)
    }

    /// The format version the record was written in (one this binary reads).
    pub fn version(&self) -> u8 {
        self.bytes[OFFSET_VERSION]
    }

    /// The record's `now`: when its command ran (nanoseconds since the Unix epoch).
    pub fn now(&self) -> u64 {
        u64_at(self.bytes, OFFSET_NOW)
    }

    /// The previous record's hash, as the header stores it.
    pub fn prev_hash(&self) -> Hash {
        hash_at(self.bytes, OFFSET_PREV_HASH)
    }

    /// The body: the bytes between the header and the hash.
    pub fn body(&self) -> &'a [u8] {
        &self.bytes[OFFSET_BODY..self.bytes.len() - HASH_BYTES]
    }

    /// The hash stored at the record's end.
    pub fn stored_hash(&self) -> Hash {
        hash_at(self.bytes, self.bytes.len() - HASH_BYTES)
    }

    /// The hash of the record's bytes, computed now.
    pub fn computed_hash(&self) -> Hash {
        record_hash(&self.bytes[..self.bytes.len() - HASH_BYTES])
    }

    /// Whether the stored hash matches the bytes (the record is intact).
    pub fn hash_matches(&self) -> bool {
        self.stored_hash() == self.computed_hash()
    }

    /// The record's length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the frame holds no bytes (never, for a parsed frame).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Parses the frame of the record that starts at `rest[0]` (which is at `offset` in the file).
pub fn parse_frame(rest: &[u8], offset: u64) -> Result<Frame<'_>, FrameError> {
    if rest.len() < OFFSET_LENGTH + 4 {
        // Too short even for magic and length: a partial magic still counts as a torn start.
        let n = rest.len().min(4);
        if rest[..n] != RECORD_MAGIC[..n] {
            return Err(FrameError::BadMagic);
        }
        return Err(FrameError::Incomplete);
    }
    if rest[OFFSET_MAGIC..OFFSET_MAGIC + 4] != RECORD_MAGIC {
        return Err(FrameError::BadMagic);
    }
    let length = u32::from_le_bytes(rest[OFFSET_LENGTH..OFFSET_LENGTH + 4].try_into().unwrap());
    if (length as usize) < RECORD_BYTES_MIN || length as usize > RECORD_BYTES_MAX {
        return Err(FrameError::BadLength(length));
    }
    // Completeness first: only a whole record can be judged by its version and kind (a whole
    // record of an unknown version or kind whose hash matches was written by a newer binary and
    // is refused, never cut as a torn tail; see `unknown_record`).
    if rest.len() < length as usize {
        return Err(FrameError::Incomplete);
    }
    if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&rest[OFFSET_VERSION]) {
        return Err(FrameError::UnsupportedVersion(rest[OFFSET_VERSION]));
    }
    if RecordKind::from_u8(rest[OFFSET_KIND]).is_none() {
        return Err(FrameError::UnknownKind(rest[OFFSET_KIND]));
    }
    if rest[OFFSET_RESERVED..OFFSET_RESERVED + 2] != [0, 0] {
        return Err(FrameError::ReservedNotZero);
    }
    Ok(Frame {
        offset,
        bytes: &rest[..length as usize],
    })
}

/// A whole record this binary cannot read: the version and kind of the record at `rest[0]` when
/// its frame is complete and its stored hash matches but its version or kind is unknown here.
///
/// A torn write cannot produce a matching hash, so such a record was written whole, by a newer
/// (or, for a version below [`FORMAT_VERSION_MIN`], an older) binary: it is refused, never cut.
pub fn unknown_record(rest: &[u8]) -> Option<(u8, u8)> {
    match parse_frame(rest, 0) {
        Err(FrameError::UnsupportedVersion(_) | FrameError::UnknownKind(_)) => {}
        _ => return None,
    }
    // parse_frame checked the magic, the length bounds and that the whole record is present.
    let length = u32::from_le_bytes(rest[OFFSET_LENGTH..OFFSET_LENGTH + 4].try_into().ok()?);
    let whole = &rest[..length as usize];
    let covered = &whole[..whole.len() - HASH_BYTES];
    (record_hash(covered) == hash_at(whole, whole.len() - HASH_BYTES))
        .then(|| (rest[OFFSET_VERSION], rest[OFFSET_KIND]))
}

pub(crate) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

pub(crate) fn hash_at(bytes: &[u8], at: usize) -> Hash {
    let mut hash = [0u8; HASH_BYTES];
    hash.copy_from_slice(&bytes[at..at + HASH_BYTES]);
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_record_parses_back_with_its_fields() {
        let mut buf = vec![];
        let header = RecordHeader {
            kind: RecordKind::Command,
            sequence: 7,
            now: 99,
            prev_hash: [3; 32],
        };
        let hash = append_record(&mut buf, &header, |b| b.extend_from_slice(b"body"));
        let frame = parse_frame(&buf, 0).unwrap();
        assert_eq!(frame.kind(), RecordKind::Command);
        assert_eq!((frame.sequence(), frame.now()), (7, 99));
        assert_eq!(frame.prev_hash(), [3; 32]);
        assert_eq!(frame.body(), b"body");
        assert_eq!(frame.stored_hash(), hash);
        assert!(frame.hash_matches());
        assert_eq!(
            parse_frame(&buf[..buf.len() - 1], 0).unwrap_err(),
            FrameError::Incomplete
        );
    }
}
