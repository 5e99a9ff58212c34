//! Verifying a ledger in its directory at hash speed: the journal audited without the engine
//! ([`crate::audit`], reading the segments in pieces), then the index's accounts against the balances summed from the journal's
//! outcomes. This is what `timebank verify` does by default; a replay through the engine
//! ([`crate::store::Store::verify`]) checks more (every outcome, checkpoint state digests) at
//! engine speed.

use std::path::{Path, PathBuf};

use crate::audit::{audit, Totals};
use crate::audit_stream::{audit_in_pieces, PIECE_BYTES};
use crate::checkpoint::CheckpointKey;
use crate::error::{Corruption, CorruptionReason, Error, IndexErrorKind, Result};
use crate::file::OsIo;
use crate::index::Index;
use crate::journal::Head;
use crate::lock::DirLock;
use crate::segment::read_journal;
use crate::store::INDEX_DIR_NAME;

/// What [`audit_ledger`] found, when the journal verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAudit {
    /// Complete records in the journal.
    pub records: u64,
    /// The journal's records in bytes (every segment's, headers left out).
    pub journal_bytes: u64,
    /// Segment files read.
    pub segments: u64,
    /// The last record.
    pub head: Head,
    /// Checkpoint records verified in the chain (with their MACs when a key was given).
    pub checkpoints: u64,
    /// Whether checkpoint MACs were checked (a key was given).
    pub macs_checked: bool,
    /// Accounts whose balances were summed from the outcomes.
    pub accounts: u64,
    /// Transfers the outcomes hold: every applied transfer, operation movement, released hold
    /// and sweep (see [`Audit::transfers`](crate::audit::Audit::transfers)).
    pub transfers: u64,
    /// The index against those balances.
    pub index: IndexCheck,
}

/// How the index compared with the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexCheck {
    /// Every account the journal created is indexed with the balances its outcomes sum to.
    Matches,
    /// The index was not compared, and why (none yet, behind the journal, not asked for, or
    /// it could not be copied to the system's temporary directory to be read); opening the
    /// ledger catches an index up.
    NotChecked(String),
}

/// Audits the journal in `dir` (frames, hashes, chain, times, checkpoints and their MACs with
/// `key`, every body decoded, balances summed from the outcomes) and, with `check_index`, the
/// index's accounts against those balances. Reads only and writes nothing in `dir` (the index
/// is read from a copy in the system's temporary directory, since sled cannot open it without
/// writing), so a read-only copy of a ledger is audited in full; repairs nothing; a torn tail
/// is reported as [`CorruptionReason::TornTail`], not cut.
///
/// On `Err(Corrupted)`: the first bad record, or (reason [`CorruptionReason::Index`]) an
/// index that disagrees with a journal that verified. `Err(Locked)`: another process has the
/// store open (the index is not read under a writer).
///
/// ```
/// use ledger_core::{AccountId, AccountKind, NewAccount, Policy, Unit};
/// use ledger_store::audit_ledger::{audit_ledger, IndexCheck};
/// use ledger_store::{Store, StoreOptions};
///
/// let dir = std::env::temp_dir().join(format!("ledger-store-doc-audit-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let now = ledger_store::time_guard::system_clock_ns();
/// let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
/// let store = Store::create(&dir, &policy, now, StoreOptions::default()).unwrap();
/// store.create_accounts(vec![NewAccount::new(AccountId::new(1).unwrap(), 1,
///                                            AccountKind::Member)], now).unwrap();
/// store.close().unwrap();
///
/// let audit = audit_ledger(&dir, None, true).unwrap();
/// assert_eq!((audit.records, audit.accounts), (2, 1));
/// assert_eq!(audit.index, IndexCheck::Matches);
///
/// // A flipped byte inside the genesis record is named, never repaired.
/// let segment = dir.join("journal").join("00000001.tbj");
/// let mut bytes = std::fs::read(&segment).unwrap();
/// bytes[88 + 70] ^= 1; // past the 88-byte segment header and the 60-byte record header
/// std::fs::write(&segment, &bytes).unwrap();
/// assert!(matches!(audit_ledger(&dir, None, false), Err(ledger_store::Error::Corrupted(_))));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn audit_ledger(
    dir: &Path,
    key: Option<&CheckpointKey>,
    check_index: bool,
) -> Result<LedgerAudit> {
    audit_ledger_from(dir, &[], key, check_index)
}

/// [`audit_ledger`] with sealed segments read from `archives` too (directories they were moved
/// to). The segments are read in pieces of a few MiB, each hashed and summed on two cores
/// while it is in cache (memory does not grow with the journal); at the first check that
/// fails, the whole journal is read again and audited as one image, which names the first bad
/// record: corruption is named by segment and byte offset in its file.
pub fn audit_ledger_from(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
    check_index: bool,
) -> Result<LedgerAudit> {
    // The index is copied and opened (the slow part of its check, growing with the ledger)
    // while the journal is read and audited; a bad journal is reported before anything the
    // index holds.
    std::thread::scope(|s| {
        let index = check_index.then(|| s.spawn(|| open_index_copy(dir)));
        let journal = audit_journal(dir, archives, key);
        let index = index.map(|opening| opening.join().expect("opening the index does not panic"));
        let (audited, segments) = journal?;
        let index = match index {
            Some(copy) => check_index_against(copy, &audited)?,
            None => IndexCheck::NotChecked("--journal-only".into()),
        };
        Ok(LedgerAudit {
            records: audited.records,
            journal_bytes: audited.head.len,
            segments,
            head: audited.head,
            checkpoints: audited.checkpoints,
            macs_checked: key.is_some(),
            accounts: audited.accounts.len() as u64,
            transfers: audited.transfers,
            index,
        })
    })
}

/// The journal read and audited, a torn tail an error; and how many segments it has.
fn audit_journal(
    dir: &Path,
    archives: &[PathBuf],
    key: Option<&CheckpointKey>,
) -> Result<(crate::audit::Audit, u64)> {
    // Read in pieces while every check passes; at the first that does not, the whole image
    // is read again and audited, which names the problem.
    if let Some(audited) = audit_in_pieces(&OsIo, dir, archives, key, PIECE_BYTES) {
        return Ok(audited);
    }
    let image = read_journal(&OsIo, dir, archives)?;
    let audited = audit(&image.bytes, key).map_err(|e| image.locate(e))?;
    if let Some(torn) = &audited.torn {
        return Err(image.locate(Corruption {
            segment: None,
            sequence: torn.sequence,
            offset: torn.offset,
            reason: CorruptionReason::TornTail,
        }));
    }
    Ok((audited, image.segments.len() as u64))
}

fn check_index_against(copy: IndexCopy, audited: &crate::audit::Audit) -> Result<IndexCheck> {
    let head = audited.head;
    let index = match copy.at_head(head)? {
        Ok(index) => index,
        Err(why) => return Ok(IndexCheck::NotChecked(why)),
    };
    let live = index.live();
    // Invariant: `at_head` returns only an index whose mark is there.
    let mark = live.mark()?.expect("the index has a mark");
    if mark.accounts != audited.accounts.len() as u64 {
        return Err(index_damage(
            head,
            format!(
                "{} accounts indexed, {} in the journal",
                mark.accounts,
                audited.accounts.len()
            ),
        ));
    }
    for (&id, &(unit, totals)) in &audited.accounts {
        match live.account(id)? {
            Some(account) if account.unit == unit && Totals::of(&account) == totals => {}
            Some(_) => {
                return Err(index_damage(
                    head,
                    format!("account {id} differs from the balances its outcomes sum to"),
                ))
            }
            None => return Err(index_damage(head, format!("account {id} is not indexed"))),
        }
    }
    Ok(IndexCheck::Matches)
}

/// The index of a ledger opened from a copy (nothing in the data directory is written),
/// before the journal's head is known: [`open_index_copy`], then [`IndexCopy::at_head`].
pub(crate) enum IndexCopy {
    /// Copied and opened.
    Opened(Index),
    /// It cannot be compared, and why.
    NotChecked(String),
    /// sled cannot read it: damage, named at the journal's head.
    Unreadable(String),
    /// Another process has the store open (`Locked`).
    Failed(Error),
}

/// Copies the index of the ledger in `dir` to the system's temporary directory and opens the
/// copy, under the store's lock (never while a store writes it).
pub(crate) fn open_index_copy(dir: &Path) -> IndexCopy {
    let index_path = dir.join(INDEX_DIR_NAME);
    if !index_path.is_dir() {
        return IndexCopy::NotChecked("there is no index yet".into());
    }
    let _lock = match DirLock::acquire(dir, false) {
        Ok(lock) => lock,
        Err(Error::Locked(path)) => return IndexCopy::Failed(Error::Locked(path)),
        Err(e) => {
            return IndexCopy::NotChecked(format!(
                "the data directory's lock cannot be taken ({e})"
            ))
        }
    };
    // A copy, so that nothing in the audited directory is written (see `Index::open_copy_of`).
    match Index::open_copy_of(&index_path) {
        Ok(index) => IndexCopy::Opened(index),
        Err(e)
            if matches!(
                e.kind(),
                IndexErrorKind::Corrupted | IndexErrorKind::Unsupported
            ) =>
        {
            IndexCopy::Unreadable(format!("sled cannot read it: {e}"))
        }
        Err(e) => IndexCopy::NotChecked(format!(
            "the index cannot be copied into the system's temporary directory and opened ({e})"
        )),
    }
}

impl IndexCopy {
    /// The index, when its mark is at the journal's `head`; else why it cannot be compared
    /// (`Ok(Err(why))`). `Err(Locked)`: a store has it open; `Err(Corrupted)`: sled cannot
    /// read it, or its mark is past or beside the journal's head.
    pub(crate) fn at_head(self, head: Head) -> Result<std::result::Result<Index, String>> {
        let index = match self {
            IndexCopy::Opened(index) => index,
            IndexCopy::NotChecked(why) => return Ok(Err(why)),
            IndexCopy::Unreadable(why) => return Err(index_damage(head, why)),
            IndexCopy::Failed(e) => return Err(e),
        };
        let Some(mark) = index.live().mark()? else {
            return Ok(Err(
                "the index has no mark (opening the ledger rebuilds it)".into(),
            ));
        };
        if mark.sequence != head.sequence || mark.hash != head.hash {
            if mark.sequence < head.sequence {
                return Ok(Err(format!(
                    "the index covers records up to {} of {} (opening the ledger catches it up)",
                    mark.sequence, head.sequence
                )));
            }
            return Err(index_damage(
                head,
                format!(
                    "its mark names record {} with another hash or beyond the journal's head {}",
                    mark.sequence, head.sequence
                ),
            ));
        }
        Ok(Ok(index))
    }
}

fn index_damage(head: Head, why: String) -> Error {
    Corruption {
        segment: None,
        sequence: head.sequence,
        offset: head.len,
        reason: CorruptionReason::Index(why),
    }
    .into()
}
