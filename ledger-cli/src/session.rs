//! What every subcommand shares: the data directory, the policy, the checkpoint key, the time,
//! and opening the store (reporting what recovery did).

use std::cell::OnceCell;
use std::fs::File;
use std::path::Path;

use fs2::FileExt;

use ledger_core::{AccountId, Amount, Attribution, Policy, TransferId, UnitId};
use ledger_store::{CheckpointKey, IndexRecovery, Store, StoreOptions};

use crate::cli::Global;
use crate::error::{CliError, CliResult};
use crate::input::KeyRules;
use crate::time::{format_time_in, parse_time, system_now};

/// The lock file in the data directory: one `timebank` process at a time uses a ledger.
///
/// The store takes its own lock (`LOCK`) but fails at once when it is held, while operators
/// want a second `timebank` run to wait for the first. Blocking on the store's file first
/// would not do: the store locks it again through another handle, which the same process's
/// first lock refuses. So runs queue on this file, and only a holder of the store that is not
/// a `timebank` run (a service embedding the store) makes a run fail, with exit code 7.
pub const LOCK_FILE_NAME: &str = "timebank.lock";

/// The global options, checked.
#[derive(Debug)]
pub struct Session {
    pub global: Global,
    pub key: Option<CheckpointKey>,
    /// The data directory's lock, held until the process exits.
    lock: OnceCell<File>,
}

impl Session {
    pub fn new(global: Global) -> CliResult<Session> {
        // A `--at` that does not parse is an error for every command, reads included.
        if let Some(text) = &global.at {
            parse_time(text)?;
        }
        let key = match &global.key_file {
            Some(path) => Some(read_key_file(
                path,
                &KeyRules {
                    data: &global.data,
                    allow_exposed: global.allow_exposed_key,
                },
            )?),
            None => None,
        };
        Ok(Session {
            global,
            key,
            lock: OnceCell::new(),
        })
    }

    /// Takes the data directory's exclusive lock (waiting while another `timebank` holds it),
    /// creating the directory when `create` is set. The store reads the journal before anything
    /// else, so a second process must not open it while one writes: it could take a group
    /// being written for a torn tail. Without a directory (and `create` unset) there is nothing
    /// to lock.
    pub fn lock(&self, create: bool) -> CliResult {
        if self.lock.get().is_some() {
            return Ok(());
        }
        let dir = self.data();
        if !dir.exists() && !create {
            return Ok(());
        }
        let io = |e: std::io::Error| {
            CliError::io(format!(
                "cannot lock the data directory {}: {e}",
                dir.display()
            ))
        };
        ledger_store::file::create_private_dir(dir).map_err(io)?;
        let opened = ledger_store::file::private_file(&mut File::options())
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE_NAME));
        let file = match opened {
            Ok(file) => file,
            // An auditor's read-only copy: nobody writes it, so reading without the lock is
            // safe (and a command that must write fails on its own, saying why).
            Err(e) if is_read_only(&e) => {
                crate::output::note!(
                    "note: {} is read-only; reading it without the lock",
                    dir.display()
                );
                return Ok(());
            }
            Err(e) => return Err(io(e)),
        };
        if file.try_lock_exclusive().is_err() {
            crate::output::note!(
                "note: another timebank process is using {}; waiting for it",
                dir.display()
            );
            match self.global.lock_timeout {
                None => file.lock_exclusive().map_err(io)?,
                Some(seconds) => wait_for_lock(&file, seconds).map_err(|()| {
                    CliError::in_use(format!(
                        "another timebank process held {} for {seconds} s (--lock-timeout); \
                         nothing changed",
                        dir.display()
                    ))
                })?,
            }
        }
        // Invariant: checked empty above, and the session is used by one thread.
        let _ = self.lock.set(file);
        Ok(())
    }

    /// Where secret key files may be read from (see [`crate::input::read_secret`]).
    pub fn key_rules(&self) -> KeyRules<'_> {
        KeyRules {
            data: &self.global.data,
            allow_exposed: self.global.allow_exposed_key,
        }
    }

    pub fn json(&self) -> bool {
        self.global.json
    }

    pub fn data(&self) -> &Path {
        &self.global.data
    }

    /// `--operator` (else `TIMEBANK_OPERATOR`, else the local account's default) and
    /// `--reason`: who runs this command, and why.
    pub fn attribution(&self) -> CliResult<Attribution> {
        let operator = match (self.global.operator, std::env::var(OPERATOR_ENV)) {
            (Some(id), _) => id,
            (None, Ok(text)) => text.trim().parse().map_err(|_| {
                CliError::usage(format!(
                    "{OPERATOR_ENV}={text:?} is not an operator id (a positive integer)"
                ))
            })?,
            (None, Err(_)) => local_operator(),
        };
        if operator == 0 {
            return Err(CliError::usage(
                "operator 0 means \"not given\": an operator id is a positive integer",
            ));
        }
        Ok(Attribution {
            operator,
            reason: self.global.reason,
        })
    }

    /// `--at`, or the system clock.
    pub fn now(&self) -> CliResult<u64> {
        match &self.global.at {
            Some(text) => parse_time(text),
            None => system_now(),
        }
    }

    /// The time of a write: `--at`, or the system clock. An explicit `--at` before the second
    /// of the ledger's clock (the last time it gave an event) is refused rather than moved
    /// forward. Within that second the ledger gives each event of a batch its own nanosecond,
    /// so a script may repeat one `--at` for several commands.
    pub fn write_time(&self, store: &Store) -> CliResult<u64> {
        let now = self.now()?;
        let clock = store.read(|ledger| ledger.clock());
        let clock_second = clock - clock % crate::time::NANOS_PER_SECOND;
        if self.global.at.is_some() && now < clock_second {
            return Err(CliError::usage(format!(
                "--at {} is before the ledger's clock ({}): a ledger's events only move forward",
                format_time_in(now, self.zone(store)),
                format_time_in(clock, self.zone(store)),
            )));
        }
        Ok(now)
    }

    /// The time zone of the policy in force at the ledger's clock, minutes east of UTC (0 for
    /// a ledger without rules).
    pub fn zone(&self, store: &Store) -> i32 {
        store.read(|ledger| {
            ledger_core::timebank::policy_at(ledger, ledger.clock())
                .map_or(0, |p| p.utc_offset_minutes)
        })
    }

    /// The store options: the checkpoint key, the default time guard (a `--at` before the
    /// ledger's creation or more than 5 minutes ahead of the clock is refused), and the journal
    /// and memory options (`--segment-bytes`, `--segments-from`, `--resident-transfers`).
    pub fn options(&self) -> StoreOptions {
        let mut options = match self.key {
            Some(key) => StoreOptions::default().checkpoint_key(key),
            None => StoreOptions::default(),
        };
        if let Some(bytes) = self.global.segment_bytes {
            options = options.segment_bytes(bytes);
        }
        for dir in &self.global.segments_from {
            options = options.segments_from(dir);
        }
        // 0 keeps every transfer, as the option's absence does (the C ABI's 0 too).
        if let Some(n) = self.global.resident_transfers.filter(|&n| n > 0) {
            options = options.resident_transfers(n);
        }
        options
    }

    /// The journal's records, read from its segments (those of `--segments-from` too).
    pub fn journal_image(&self) -> CliResult<ledger_store::JournalImage> {
        ledger_store::segment::read_journal(
            &ledger_store::OsIo,
            self.data(),
            &self.global.segments_from,
        )
        .map_err(|e| match e {
            ledger_store::Error::NotFound(_) => CliError::not_found(format!(
                "no ledger in {} (no journal)",
                self.data().display()
            )),
            e => e.into(),
        })
    }

    /// Whether the data directory holds a journal (segment files).
    pub fn has_journal(&self) -> bool {
        ledger_store::segment::find_segments(&ledger_store::OsIo, self.data(), &[])
            .is_ok_and(|found| found.is_some_and(|f| !f.is_empty()))
    }

    /// The options for a simulation, which runs months ahead of the clock, or for an import,
    /// which replays times recorded elsewhere: the time guard is off.
    pub fn simulation_options(&self) -> StoreOptions {
        self.options().any_time()
    }

    /// `--policy`, or the shipped default.
    pub fn policy(&self) -> CliResult<Policy> {
        match &self.global.policy {
            Some(path) => read_policy_file(path),
            None => Ok(Policy::default_policy()),
        }
    }

    /// Opens the ledger in the data directory. Recovery (a torn tail cut back after a crash, an
    /// index rebuilt) is reported on stderr: it is news an operator must see.
    pub fn open(&self) -> CliResult<Store> {
        self.open_with(self.options())
    }

    /// [`Session::open`] with these options.
    pub fn open_with(&self, options: StoreOptions) -> CliResult<Store> {
        Ok(self.try_open_with(options)?)
    }

    /// [`Session::open`], with the store's own error.
    pub fn try_open(&self) -> Result<Store, ledger_store::Error> {
        self.try_open_with(self.options())
    }

    /// Opens the ledger for a command that only reads. When the data directory cannot be
    /// written (a read-only mount, a copy without write permission, a full disk) the ledger is
    /// opened read-only instead, with a note: the journal is only read, and the index is a
    /// temporary copy (nothing in the directory changes).
    pub fn open_for_reading(&self) -> CliResult<Store> {
        Ok(self.try_open_for_reading()?)
    }

    /// [`Session::open_for_reading`], with the store's own error.
    pub fn try_open_for_reading(&self) -> Result<Store, ledger_store::Error> {
        match self.try_open() {
            Err(e) if cannot_write(&e) => {
                crate::output::note!(
                    "note: {} cannot be written ({e}); reading it read-only: the index is copied \
                     to the temporary directory (or built there from the journal), a torn tail \
                     is reported but not cut, and nothing in the directory changes",
                    crate::error::shorten_path(self.data())
                );
                self.try_open_with(self.options().read_only())
            }
            other => other,
        }
    }

    /// [`Session::open_with`], with the store's own error.
    pub fn try_open_with(&self, options: StoreOptions) -> Result<Store, ledger_store::Error> {
        let store = Store::open(self.data(), options)?;
        if let Some(policy) = &self.global.policy {
            crate::output::note!(
                "note: --policy {} is not used: this ledger keeps its own policy (change it from a \
                 date on with `timebank policy amend`)",
                policy.display()
            );
        }
        let report = store.open_report();
        let passed_over_eviction = report.snapshots.skipped.iter().any(|s| {
            s.why.contains("let old transfers go")
                && self.global.resident_transfers.unwrap_or(0) == 0
        });
        if passed_over_eviction {
            crate::output::note!(
                "note: this ledger's snapshot let old transfers go (it was written with \
                 --resident-transfers), so without that option the whole journal was replayed \
                 and every transfer is held in memory (and a snapshot this run writes holds them \
                 all): pass --resident-transfers N to open from it"
            );
        }
        if let (Some(torn), true) = (&report.torn_tail, report.read_only) {
            crate::output::note!(
                "note: a crash left {} incomplete bytes at offset {} (record {}); read-only, so \
                 they were left in place (the state shown is the records before them)",
                torn.len,
                torn.offset,
                torn.sequence
            );
        } else if let Some(torn) = &report.torn_tail {
            crate::output::note!(
                "note: a crash left {} incomplete bytes at offset {} (record {}); they were cut \
                 back and kept beside the journal",
                torn.len,
                torn.offset,
                torn.sequence
            );
        }
        if let IndexRecovery::Rebuilt { why } = &report.index {
            if report.records > 1 {
                crate::output::note!("note: the index was rebuilt from the journal ({why})");
            }
        }
        Ok(store)
    }
}

/// Whether opening failed because the data directory (or its index) cannot be written.
fn cannot_write(error: &ledger_store::Error) -> bool {
    match error {
        ledger_store::Error::Io(e) => ledger_store::store::is_refusal_to_write(e),
        // The index is derived: any failure of it can be worked around read-only.
        ledger_store::Error::Index(_) => true,
        _ => false,
    }
}

/// Polls the lock until `seconds` have passed (flock has no timed wait).
fn wait_for_lock(file: &File, seconds: u64) -> Result<(), ()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if file.try_lock_exclusive().is_ok() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn is_read_only(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

/// Reads a checkpoint key: 64 hexadecimal characters (32 bytes), surrounding whitespace
/// allowed.
pub fn read_key_file(path: &Path, rules: &KeyRules) -> CliResult<CheckpointKey> {
    let text = crate::input::read_secret(path, "the key file", rules)?;
    parse_key(text.trim()).ok_or_else(|| {
        CliError::usage(format!(
            "the key file {} must hold 64 hexadecimal characters (32 bytes)",
            path.display()
        ))
    })
}

fn parse_key(text: &str) -> Option<CheckpointKey> {
    if text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        key[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(key)
}

/// The environment variable that names the operator when `--operator` does not.
pub const OPERATOR_ENV: &str = "TIMEBANK_OPERATOR";

/// Operator ids from 2^32 on are the command line's defaults for local accounts.
const LOCAL_OPERATORS: u64 = 1 << 32;

/// The default operator: 2^32 + the Unix user id that runs the process (the owner of
/// `/proc/self`); 2^32 where that cannot be read.
fn local_operator() -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(me) = std::fs::metadata("/proc/self") {
            return LOCAL_OPERATORS + u64::from(me.uid());
        }
    }
    LOCAL_OPERATORS
}

/// A policy file: JSON when its name ends in `.json`, TOML otherwise; validated.
pub fn read_policy_file(path: &Path) -> CliResult<Policy> {
    let text = crate::input::read_text(path, "the policy")?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        Policy::from_json(&text)
    } else {
        Policy::from_toml(&text)
    };
    parsed.map_err(|e| CliError::usage(format!("the policy {} is not valid: {e}", path.display())))
}

pub fn account_id(value: u128) -> CliResult<AccountId> {
    AccountId::new(value).ok_or_else(|| CliError::usage("an account id must not be 0"))
}

pub fn transfer_id(value: u128) -> CliResult<TransferId> {
    TransferId::new(value).ok_or_else(|| CliError::usage("a transfer id must not be 0"))
}

/// Parses an amount exactly in the scale of `unit` (never rounded).
pub fn amount_in(store: &Store, unit: UnitId, text: &str) -> CliResult<Amount> {
    let (scale, name) = store.read(|ledger| {
        ledger
            .unit(unit)
            .map(|u| (u.scale, u.name.clone()))
            .unwrap_or((0, unit.to_string()))
    });
    Amount::parse_in(text, scale)
        .map_err(|e| CliError::usage(format!("bad amount {text:?} in {name}: {e}")))
}

/// The unit of an account that must exist.
pub fn unit_of(store: &Store, id: AccountId) -> CliResult<UnitId> {
    store
        .read(|ledger| ledger.account(id).map(|a| a.unit))
        .ok_or_else(|| CliError::not_found(format!("account {id} does not exist")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_64_hex_characters() {
        let text = "00".repeat(31) + "ff";
        assert_eq!(parse_key(&text).unwrap()[31], 0xff);
        assert!(parse_key(&text[2..]).is_none());
        assert!(parse_key(&("zz".to_owned() + &text[2..])).is_none());
    }
}
