//! The durable side of the time-bank ledger: an append-only, hash-chained journal that is the
//! source of truth, synced once per group of commands; a sled index that can always be rebuilt
//! from it; keyed checkpoints an operator can publish; verification; crash recovery.
//!
//! `docs/FORMAT.md` specifies every byte on disk; `verifier/verify_ledger.py` checks a ledger
//! from that document alone.
//!
//! Where things are: [`record`] (the frame and record hash), [`codec`] (commands in bytes),
//! [`journal`] (scanning, torn tails, staging groups), [`segment`] (the segment files the journal
//! is kept in, and rolling from one to the next), [`replay`] (checking and rebuilding on two
//! cores), [`checkpoint`] (keyed checkpoints and their text), [`index`] (sled), [`store`] (the
//! handle, its options, writes and queries; beside it in `store_open.rs` creating, opening and
//! recovery, in `store_pipeline.rs` the committer, syncer and indexer threads and their lock
//! order, in `store_verify.rs` verification, in `store_proof.rs` the Merkle tree and proofs),
//! [`mod@file`] (the I/O trait) and [`sim_disk`] (power loss and I/O failures for tests and
//! fuzzing).
//!
//! ```
//! use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Policy, ResultCode, Transfer,
//!                   TransferId, Unit};
//! use ledger_store::{Checkpoint, Store, StoreOptions};
//!
//! let dir = std::env::temp_dir().join(format!("ledger-store-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let key = [42u8; 32]; // the host keeps this outside the data directory
//! let policy = Policy::units_only(vec![Unit::new(1, "hours", 2)]);
//! let now = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z in nanoseconds
//! let options = StoreOptions::default().checkpoint_key(key);
//! let store = Store::create(&dir, &policy, now, options).unwrap();
//!
//! let (fund, volunteer) = (AccountId::new(1).unwrap(), AccountId::new(2).unwrap());
//! store.create_accounts(vec![NewAccount::new(fund, 1, AccountKind::Issuer),
//!                            NewAccount::new(volunteer, 1, AccountKind::Member)], now).unwrap();
//! let service = Transfer::new(TransferId::new(10).unwrap(), fund, volunteer,
//!                             Amount::parse_in("2.5", 2).unwrap(), 1);
//! // Returns only once the record is on disk (fdatasync'd).
//! let done = store.create_transfers(vec![service], now + 1).unwrap();
//! assert_eq!(done.events()[0].code, ResultCode::Ok);
//!
//! // A checkpoint to publish, checkable with the key alone.
//! let text = store.checkpoint().unwrap().to_text();
//! assert!(Checkpoint::from_text(&text).unwrap().verify_mac(&key));
//! let digest = store.state_digest();
//! store.close().unwrap();
//!
//! // Reopening replays the journal to the same state.
//! let store = Store::open(&dir, StoreOptions::default().checkpoint_key(key)).unwrap();
//! assert_eq!(store.state_digest(), digest);
//! assert!(store.verify(&mut |_| {}).is_ok());
//! # drop(store); std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
pub mod audit_ledger;
mod audit_stream;
pub mod checkpoint;
pub mod codec;
mod codec_operation;
pub mod error;
mod eviction;
pub mod exchange;
pub mod file;
pub mod history_sum;
mod id_hasher;
pub mod index;
mod index_account;
mod index_entries;
mod index_evicted;
mod index_history;
mod index_prefetch;
mod index_transfer;
pub mod journal;
mod journal_walk;
mod leb128;
mod load_evicted;
pub mod lock;
pub mod merkle;
pub mod outcome;
pub mod profile;
pub mod proof;
pub mod record;
pub mod replay;
pub mod replay_spill;
mod replay_spill_entries;
mod replay_stream;
pub mod segment;
pub mod signed_checkpoint;
pub mod sim_disk;
pub mod snapshot;
pub mod store;
mod store_open;
mod store_open_pieces;
mod store_open_tail;
mod store_pipeline;
mod store_proof;
mod store_snapshot;
mod store_verify;
pub mod time_guard;

pub use checkpoint::{Checkpoint, CheckpointKey};
pub use error::{
    Corruption, CorruptionReason, Error, IndexError, IndexErrorKind, Result, SegmentPlace,
};
pub use file::{JournalFile, JournalIo, OsIo};
pub use journal::TornTail;
pub use lock::LOCK_FILE_NAME;
pub use replay::Progress;
pub use segment::{
    segment_path, JournalImage, JOURNAL_DIR_NAME, SEGMENT_BYTES_DEFAULT, SEGMENT_HEADER_BYTES,
};
pub use sim_disk::{CrashMode, SimDisk, SimOp};
pub use store::{
    journal_root_dir, verify_bytes, verify_dir, verify_dir_from, verify_dir_with_index,
    verify_published, verify_published_dir, Committed, HistoryCursor, HistoryPage, IndexRecovery,
    JournalRead, OpenReport, Status, Store, StoreOptions, VerifyReport, INDEX_DIR_NAME,
};
pub use time_guard::{TimeGuard, TimeRefusal, CLOCK_SKEW_MAX_NS_DEFAULT};
