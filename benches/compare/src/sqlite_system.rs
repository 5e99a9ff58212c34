//! What a team would otherwise build: SQLite through rusqlite, WAL with `synchronous=FULL` (a
//! commit is durable when it returns), one transaction per batch. The same checks as the engine
//! for this workload, in SQL and in the code around it: ids are unique (primary key), accounts
//! exist and share the unit, codes fit the accounts (a fund pays a service, an eligible elder
//! pays for care, gifts only along family links), floors hold (a CHECK constraint, holds
//! included), a hold resolves once, before its deadline and for at most its amount, and both
//! sides of every transfer change together. Each transfer row carries a blake3 hash chained to
//! the previous row's, and histories are indexed by account and time for statements.

use std::time::Instant;

use benches::latency::Latencies;
use benches::scratch_dir::{size_bytes, ScratchDir};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use timebank_workload::T0;

use crate::measurement::Measurement;
use timebank_workload::community_bank::{
    AccountSpec, Op, OpKind, TimeBankWorkload, HOLD_TIMEOUT_S, HOURS,
};

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE accounts (
    id BLOB PRIMARY KEY,
    unit INTEGER NOT NULL,
    is_fund INTEGER NOT NULL,
    community INTEGER NOT NULL,
    floor INTEGER,
    eligible_from INTEGER,
    debits_posted INTEGER NOT NULL DEFAULT 0,
    credits_posted INTEGER NOT NULL DEFAULT 0,
    debits_pending INTEGER NOT NULL DEFAULT 0,
    credits_pending INTEGER NOT NULL DEFAULT 0,
    CHECK (floor IS NULL OR credits_posted - debits_posted - debits_pending >= floor)
) WITHOUT ROWID;
CREATE TABLE links (a BLOB NOT NULL, b BLOB NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE transfers (
    id BLOB PRIMARY KEY,
    debit BLOB NOT NULL REFERENCES accounts (id),
    credit BLOB NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    unit INTEGER NOT NULL,
    code INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    pending_id BLOB,
    expires_at INTEGER,
    state INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX transfers_by_debit ON transfers (debit, ts);
CREATE INDEX transfers_by_credit ON transfers (credit, ts);
";

const STATE_POSTED: i64 = 0;
const STATE_PENDING: i64 = 1;
const STATE_POSTED_FROM_HOLD: i64 = 2;
const STATE_VOIDED: i64 = 3;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

fn key(id: u128) -> [u8; 16] {
    id.to_le_bytes()
}

/// SQLite integers are signed 64-bit; times and amounts of this workload fit.
fn int(v: u64) -> i64 {
    i64::try_from(v).expect("a time or amount below 2^63")
}

struct Account {
    unit: i64,
    is_fund: bool,
    floor: Option<i64>,
    eligible_from: Option<i64>,
    available: i64,
}

/// A hold row as a post or void reads it.
struct Hold {
    debit: Vec<u8>,
    credit: Vec<u8>,
    held: i64,
    state: i64,
    expires_at: Option<i64>,
}

struct Ledger {
    /// The last transfer row's hash.
    chain: [u8; 32],
    /// The last timestamp given to a transfer.
    clock: u64,
}

fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

pub fn run(w: &TimeBankWorkload) -> Result<Measurement, String> {
    run_sql(w).map_err(|e| format!("sqlite: {e}"))
}

fn run_sql(w: &TimeBankWorkload) -> rusqlite::Result<Measurement> {
    let dir = ScratchDir::new("compare-sqlite")
        .map_err(|e| rusqlite::Error::InvalidPath(e.to_string().into()))?;
    let path = dir.path().join("timebank.sqlite");
    let mut conn = Connection::open(&path)?;
    conn.execute_batch(SCHEMA)?;
    let mut ledger = Ledger {
        chain: [0; 32],
        clock: 0,
    };
    setup(&mut conn, w, &mut ledger)?;
    drop(conn);
    let setup_bytes = size_bytes(dir.path());

    let mut conn = open(&path)?;
    let mut latencies = Latencies::with_capacity(w.batches.len());
    let mut accepted = 0;
    let start = Instant::now();
    for (batch, &now) in w.batches.iter().zip(&w.times) {
        let t = Instant::now();
        let tx = conn.transaction()?;
        for op in batch {
            accepted += usize::from(apply(&tx, &mut ledger, op, now)?);
        }
        tx.commit()?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    // Closing the last connection checkpoints the WAL into the database file.
    drop(conn);
    Ok(Measurement {
        name: "SQLite",
        about: "rusqlite, WAL, synchronous=FULL, same checks in SQL, blake3 chain column, one transaction per batch",
        transfers: w.transfers(),
        accepted: Some(accepted),
        elapsed,
        batches: latencies,
        disk_bytes: Some(size_bytes(dir.path()).saturating_sub(setup_bytes)),
    })
}

fn setup(conn: &mut Connection, w: &TimeBankWorkload, ledger: &mut Ledger) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO accounts (id, unit, is_fund, community, floor, eligible_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for a in &w.accounts {
            let AccountSpec {
                id,
                fund,
                community,
                eligible_from,
            } = *a;
            let floor = if fund { None } else { Some(0i64) };
            insert.execute(params![
                key(id),
                HOURS,
                fund,
                community,
                floor,
                eligible_from.map(int)
            ])?;
        }
        let mut link = tx.prepare("INSERT INTO links (a, b) VALUES (?1, ?2), (?2, ?1)")?;
        for &(a, b) in &w.links {
            link.execute(params![key(a), key(b)])?;
        }
    }
    tx.commit()?;
    for batch in &w.funding {
        let tx = conn.transaction()?;
        for op in batch {
            apply(&tx, ledger, op, T0)?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn account(tx: &Transaction, id: u128) -> rusqlite::Result<Option<Account>> {
    tx.prepare_cached(
        "SELECT unit, is_fund, floor, eligible_from,
                credits_posted - debits_posted - debits_pending
         FROM accounts WHERE id = ?1",
    )?
    .query_row([key(id)], |r| {
        Ok(Account {
            unit: r.get(0)?,
            is_fund: r.get(1)?,
            floor: r.get(2)?,
            eligible_from: r.get(3)?,
            available: r.get(4)?,
        })
    })
    .optional()
}

fn linked(tx: &Transaction, a: u128, b: u128) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM links WHERE a = ?1 AND b = ?2")?
        .exists(params![key(a), key(b)])
}

fn exists(tx: &Transaction, id: u128) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM transfers WHERE id = ?1")?
        .exists([key(id)])
}

/// Whether the accounts fit the event's purpose under the default policy.
fn rules_allow(
    tx: &Transaction,
    op: &Op,
    debit: &Account,
    credit: &Account,
    ts: u64,
) -> rusqlite::Result<bool> {
    Ok(match op.kind {
        OpKind::Service => debit.is_fund && !credit.is_fund,
        OpKind::Withdrawal | OpKind::Hold => {
            !debit.is_fund
                && !credit.is_fund
                && debit.eligible_from.is_some_and(|from| from <= int(ts))
        }
        OpKind::Gift => !debit.is_fund && !credit.is_fund && linked(tx, op.debit, op.credit)?,
        OpKind::Post | OpKind::Void => true,
    })
}

/// Applies one event inside the batch's transaction; `Ok(false)` when it is refused (and then
/// nothing changed).
fn apply(tx: &Transaction, ledger: &mut Ledger, op: &Op, now: u64) -> rusqlite::Result<bool> {
    let ts = (ledger.clock + 1).max(now);
    if exists(tx, op.id)? {
        return Ok(false);
    }
    let applied = match op.kind {
        OpKind::Post | OpKind::Void => resolve(tx, ledger, op, ts)?,
        _ => transfer(tx, ledger, op, ts)?,
    };
    if applied {
        ledger.clock = ts;
    }
    Ok(applied)
}

fn transfer(tx: &Transaction, ledger: &mut Ledger, op: &Op, ts: u64) -> rusqlite::Result<bool> {
    let (Some(debit), Some(credit)) = (account(tx, op.debit)?, account(tx, op.credit)?) else {
        return Ok(false);
    };
    let amount = int(op.amount_cents);
    if debit.unit != credit.unit
        || debit.unit != i64::from(HOURS)
        || !rules_allow(tx, op, &debit, &credit, ts)?
        || debit
            .floor
            .is_some_and(|floor| debit.available - amount < floor)
    {
        return Ok(false);
    }
    let hold = op.kind == OpKind::Hold;
    let (state, expires_at) = if hold {
        (
            STATE_PENDING,
            Some(int(ts + u64::from(HOLD_TIMEOUT_S) * NANOS_PER_SECOND)),
        )
    } else {
        (STATE_POSTED, None)
    };
    insert(
        tx, ledger, op, op.debit, op.credit, amount, state, expires_at, ts,
    )?;
    let (debit_sql, credit_sql) = if hold {
        (
            "UPDATE accounts SET debits_pending = debits_pending + ?1 WHERE id = ?2",
            "UPDATE accounts SET credits_pending = credits_pending + ?1 WHERE id = ?2",
        )
    } else {
        (
            "UPDATE accounts SET debits_posted = debits_posted + ?1 WHERE id = ?2",
            "UPDATE accounts SET credits_posted = credits_posted + ?1 WHERE id = ?2",
        )
    };
    tx.prepare_cached(debit_sql)?
        .execute(params![amount, key(op.debit)])?;
    tx.prepare_cached(credit_sql)?
        .execute(params![amount, key(op.credit)])?;
    Ok(true)
}

/// Posts or voids a hold: it must be pending, not past its deadline, and a post at most its
/// amount. The hold's pending amounts are released and the posted part moves.
fn resolve(tx: &Transaction, ledger: &mut Ledger, op: &Op, ts: u64) -> rusqlite::Result<bool> {
    let hold: Option<Hold> = tx
        .prepare_cached(
            "SELECT debit, credit, amount, state, expires_at FROM transfers WHERE id = ?1",
        )?
        .query_row([key(op.pending)], |r| {
            Ok(Hold {
                debit: r.get(0)?,
                credit: r.get(1)?,
                held: r.get(2)?,
                state: r.get(3)?,
                expires_at: r.get(4)?,
            })
        })
        .optional()?;
    let Some(Hold {
        debit,
        credit,
        held,
        state,
        expires_at,
    }) = hold
    else {
        return Ok(false);
    };
    let posted = if op.kind == OpKind::Post {
        int(op.amount_cents)
    } else {
        0
    };
    if state != STATE_PENDING || expires_at.is_some_and(|at| at <= int(ts)) || posted > held {
        return Ok(false);
    }
    let new_state = if op.kind == OpKind::Post {
        STATE_POSTED_FROM_HOLD
    } else {
        STATE_VOIDED
    };
    tx.prepare_cached("UPDATE transfers SET state = ?1 WHERE id = ?2")?
        .execute(params![new_state, key(op.pending)])?;
    let amount = if op.kind == OpKind::Post {
        posted
    } else {
        held
    };
    insert(
        tx,
        ledger,
        op,
        op.debit,
        op.credit,
        amount,
        STATE_POSTED,
        None,
        ts,
    )?;
    tx.prepare_cached(
        "UPDATE accounts SET debits_pending = debits_pending - ?1,
                             debits_posted = debits_posted + ?2 WHERE id = ?3",
    )?
    .execute(params![held, posted, debit])?;
    tx.prepare_cached(
        "UPDATE accounts SET credits_pending = credits_pending - ?1,
                             credits_posted = credits_posted + ?2 WHERE id = ?3",
    )?
    .execute(params![held, posted, credit])?;
    Ok(true)
}

/// Inserts a transfer row whose hash chains to the previous row's.
#[allow(clippy::too_many_arguments)]
fn insert(
    tx: &Transaction,
    ledger: &mut Ledger,
    op: &Op,
    debit: u128,
    credit: u128,
    amount: i64,
    state: i64,
    expires_at: Option<i64>,
    ts: u64,
) -> rusqlite::Result<()> {
    let mut h = blake3::Hasher::new();
    h.update(&ledger.chain);
    h.update(&op.id.to_le_bytes());
    h.update(&debit.to_le_bytes());
    h.update(&credit.to_le_bytes());
    h.update(&amount.to_le_bytes());
    h.update(&op.code.to_le_bytes());
    h.update(&[op.kind as u8]);
    h.update(&op.pending.to_le_bytes());
    h.update(&ts.to_le_bytes());
    let hash = *h.finalize().as_bytes();
    let pending = (op.pending != 0).then(|| key(op.pending));
    tx.prepare_cached(
        "INSERT INTO transfers (id, debit, credit, amount, unit, code, kind, pending_id,
                                expires_at, state, ts, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        key(op.id),
        key(debit),
        key(credit),
        amount,
        HOURS,
        op.code,
        op.kind as u8,
        pending,
        expires_at,
        state,
        int(ts),
        hash
    ])?;
    ledger.chain = hash;
    Ok(())
}
