//! What a provincial system would use instead: PostgreSQL 15 through the `postgres` crate, on a
//! server this run starts (`postgres_server`), `fsync=on` and `synchronous_commit=on` (a commit
//! is durable when it returns), one transaction per batch. The same checks as the SQLite row,
//! in SQL: a PL/pgSQL function, called once per event, refuses a known id, a missing account, a
//! unit mismatch, a code that does not fit the accounts (a fund pays a service, an eligible
//! elder pays for care, gifts only along family links), a debit below its floor (also a CHECK
//! constraint, holds included) and a post or void of a hold that is not pending, past its
//! deadline or smaller than the post; both sides of a transfer change in the same call. The
//! client computes the same blake3 chain column as the SQLite row, and histories are indexed by
//! account and time. Unlike SQLite, PostgreSQL also enforces the transfers' REFERENCES.

use std::time::Instant;

use benches::latency::Latencies;
use postgres::{Client, Statement, Transaction};
use timebank_workload::T0;

use crate::measurement::Measurement;
use crate::postgres_server::Server;
use timebank_workload::community_bank::{Op, OpKind, TimeBankWorkload, HOLD_TIMEOUT_S, HOURS};

/// What the PostgreSQL row came to.
pub enum Outcome {
    Ran(Measurement),
    /// The server could not be found or started: why.
    NotRun(String),
}

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Kinds as the function reads them (`OpKind as u8`).
fn schema() -> String {
    let (service, gift, hold, post, void) = (
        OpKind::Service as u8,
        OpKind::Gift as u8,
        OpKind::Hold as u8,
        OpKind::Post as u8,
        OpKind::Void as u8,
    );
    format!(
        "
CREATE TABLE accounts (
    id bytea PRIMARY KEY,
    unit integer NOT NULL,
    is_fund boolean NOT NULL,
    community integer NOT NULL,
    floor bigint,
    eligible_from bigint,
    debits_posted bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0,
    debits_pending bigint NOT NULL DEFAULT 0,
    credits_pending bigint NOT NULL DEFAULT 0,
    CHECK (floor IS NULL OR credits_posted - debits_posted - debits_pending >= floor)
);
CREATE TABLE links (a bytea NOT NULL, b bytea NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE transfers (
    id bytea PRIMARY KEY,
    debit bytea NOT NULL REFERENCES accounts (id),
    credit bytea NOT NULL REFERENCES accounts (id),
    amount bigint NOT NULL CHECK (amount > 0),
    unit integer NOT NULL,
    code integer NOT NULL,
    kind smallint NOT NULL,
    pending_id bytea,
    expires_at bigint,
    state smallint NOT NULL,
    ts bigint NOT NULL,
    hash bytea NOT NULL
);
CREATE INDEX transfers_by_debit ON transfers (debit, ts);
CREATE INDEX transfers_by_credit ON transfers (credit, ts);

-- States: 0 posted, 1 pending, 2 posted from a hold, 3 voided. Returns whether the event was
-- applied; a refused event changes nothing.
CREATE FUNCTION apply_event(p_id bytea, p_kind smallint, p_debit bytea, p_credit bytea,
                            p_amount bigint, p_code integer, p_pending bytea, p_ts bigint,
                            p_expires_at bigint, p_hash bytea)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    h transfers%ROWTYPE;
    posted bigint;
    allowed boolean;
BEGIN
    PERFORM 1 FROM transfers WHERE id = p_id;
    IF FOUND THEN RETURN false; END IF;
    IF p_kind IN ({post}, {void}) THEN
        SELECT * INTO h FROM transfers WHERE id = p_pending;
        IF NOT FOUND THEN RETURN false; END IF;
        posted := CASE WHEN p_kind = {post} THEN p_amount ELSE 0 END;
        IF h.state <> 1 OR h.expires_at <= p_ts OR posted > h.amount THEN RETURN false; END IF;
        -- The client hashed the row it asked for: a void moves its hold's whole amount.
        IF p_kind = {void} AND p_amount <> h.amount THEN
            RAISE EXCEPTION 'a void names % where its hold is %', p_amount, h.amount;
        END IF;
        UPDATE transfers SET state = CASE WHEN p_kind = {post} THEN 2 ELSE 3 END
            WHERE id = p_pending;
        INSERT INTO transfers VALUES (p_id, p_debit, p_credit, p_amount, {HOURS}, p_code,
                                      p_kind, p_pending, NULL, 0, p_ts, p_hash);
        UPDATE accounts SET debits_pending = debits_pending - h.amount,
                            debits_posted = debits_posted + posted WHERE id = h.debit;
        UPDATE accounts SET credits_pending = credits_pending - h.amount,
                            credits_posted = credits_posted + posted WHERE id = h.credit;
        RETURN true;
    END IF;
    SELECT * INTO d FROM accounts WHERE id = p_debit;
    IF NOT FOUND THEN RETURN false; END IF;
    SELECT * INTO c FROM accounts WHERE id = p_credit;
    IF NOT FOUND THEN RETURN false; END IF;
    IF d.unit <> c.unit OR d.unit <> {HOURS} THEN RETURN false; END IF;
    -- (IF stops reading its condition at the first THEN, so the CASE goes to a variable.)
    allowed := CASE
        WHEN p_kind = {service} THEN d.is_fund AND NOT c.is_fund
        WHEN p_kind = {gift} THEN NOT d.is_fund AND NOT c.is_fund
            AND EXISTS (SELECT 1 FROM links WHERE a = p_debit AND b = p_credit)
        ELSE NOT d.is_fund AND NOT c.is_fund AND d.eligible_from <= p_ts
    END;
    IF allowed IS NOT TRUE THEN RETURN false; END IF;
    IF d.credits_posted - d.debits_posted - d.debits_pending - p_amount < d.floor THEN
        RETURN false;
    END IF;
    INSERT INTO transfers VALUES (p_id, p_debit, p_credit, p_amount, {HOURS}, p_code, p_kind,
                                  NULL, p_expires_at,
                                  CASE WHEN p_kind = {hold} THEN 1 ELSE 0 END, p_ts, p_hash);
    IF p_kind = {hold} THEN
        UPDATE accounts SET debits_pending = debits_pending + p_amount WHERE id = p_debit;
        UPDATE accounts SET credits_pending = credits_pending + p_amount WHERE id = p_credit;
    ELSE
        UPDATE accounts SET debits_posted = debits_posted + p_amount WHERE id = p_debit;
        UPDATE accounts SET credits_posted = credits_posted + p_amount WHERE id = p_credit;
    END IF;
    RETURN true;
END
$$;
"
    )
}

fn key(id: u128) -> Vec<u8> {
    id.to_le_bytes().to_vec()
}

/// PostgreSQL's bigint is signed 64-bit; times and amounts of this workload fit.
fn int(v: u64) -> i64 {
    i64::try_from(v).expect("a time or amount below 2^63")
}

struct Ledger {
    apply: Statement,
    /// The last transfer row's hash.
    chain: [u8; 32],
    /// The last timestamp given to a transfer.
    clock: u64,
}

/// Runs the workload on a server of its own; `NotRun` when that server cannot be had.
pub fn run(w: &TimeBankWorkload) -> Result<Outcome, String> {
    let server = match Server::start() {
        Ok(server) => server,
        Err(why) => return Ok(Outcome::NotRun(why)),
    };
    let mut client = server
        .connect()
        .map_err(|e| format!("postgres: connect: {e}"))?;
    let measured = run_sql(&mut client, w).map_err(|e| format!("postgres: {e:?}"));
    // The session ends before the server stops (the guard's drop, after this).
    drop(client);
    measured.map(Outcome::Ran)
}

fn run_sql(client: &mut Client, w: &TimeBankWorkload) -> Result<Measurement, postgres::Error> {
    client.batch_execute(&schema())?;
    let statement =
        client.prepare("SELECT apply_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")?;
    let mut ledger = Ledger {
        apply: statement,
        chain: [0; 32],
        clock: 0,
    };
    setup(client, w, &mut ledger)?;
    let setup_bytes = database_bytes(client)?;

    let mut latencies = Latencies::with_capacity(w.batches.len());
    let mut accepted = 0;
    let start = Instant::now();
    for (batch, &now) in w.batches.iter().zip(&w.times) {
        let t = Instant::now();
        let mut tx = client.transaction()?;
        for op in batch {
            accepted += usize::from(apply(&mut tx, &mut ledger, op, now)?);
        }
        tx.commit()?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    let disk_bytes = database_bytes(client)?.saturating_sub(setup_bytes);
    Ok(Measurement {
        name: "PostgreSQL",
        about: "PostgreSQL 15 started for the run (Unix socket), fsync=on, synchronous_commit=on, postgres crate, same checks in a PL/pgSQL function called per event, blake3 chain column, one transaction per batch",
        transfers: w.transfers(),
        accepted: Some(accepted),
        elapsed,
        batches: latencies,
        disk_bytes: Some(disk_bytes),
    })
}

/// The database's files (tables and indexes) after a checkpoint; the WAL is not counted, as
/// SQLite's row counts its database after the WAL is checkpointed into it.
fn database_bytes(client: &mut Client) -> Result<u64, postgres::Error> {
    client.batch_execute("CHECKPOINT")?;
    let bytes: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])?
        .get(0);
    Ok(u64::try_from(bytes).unwrap_or(0))
}

fn setup(
    client: &mut Client,
    w: &TimeBankWorkload,
    ledger: &mut Ledger,
) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    let ids: Vec<Vec<u8>> = w.accounts.iter().map(|a| key(a.id)).collect();
    let units: Vec<i32> = w.accounts.iter().map(|_| i32::from(HOURS)).collect();
    let funds: Vec<bool> = w.accounts.iter().map(|a| a.fund).collect();
    let communities: Vec<i32> = w
        .accounts
        .iter()
        .map(|a| i32::try_from(a.community).expect("a community number below 2^31"))
        .collect();
    let floors: Vec<Option<i64>> = w
        .accounts
        .iter()
        .map(|a| if a.fund { None } else { Some(0) })
        .collect();
    let eligible: Vec<Option<i64>> = w
        .accounts
        .iter()
        .map(|a| a.eligible_from.map(int))
        .collect();
    tx.execute(
        "INSERT INTO accounts (id, unit, is_fund, community, floor, eligible_from)
         SELECT * FROM unnest($1::bytea[], $2::integer[], $3::boolean[], $4::integer[],
                              $5::bigint[], $6::bigint[])",
        &[&ids, &units, &funds, &communities, &floors, &eligible],
    )?;
    let (a, b): (Vec<Vec<u8>>, Vec<Vec<u8>>) = w
        .links
        .iter()
        .flat_map(|&(a, b)| [(key(a), key(b)), (key(b), key(a))])
        .unzip();
    tx.execute(
        "INSERT INTO links (a, b) SELECT * FROM unnest($1::bytea[], $2::bytea[])",
        &[&a, &b],
    )?;
    tx.commit()?;
    for batch in &w.funding {
        let mut tx = client.transaction()?;
        for op in batch {
            apply(&mut tx, ledger, op, T0)?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// Applies one event inside the batch's transaction (one call of `apply_event`); `Ok(false)`
/// when it is refused.
fn apply(
    tx: &mut Transaction,
    ledger: &mut Ledger,
    op: &Op,
    now: u64,
) -> Result<bool, postgres::Error> {
    let ts = (ledger.clock + 1).max(now);
    let expires_at =
        (op.kind == OpKind::Hold).then(|| int(ts + u64::from(HOLD_TIMEOUT_S) * NANOS_PER_SECOND));
    let amount = int(op.amount_cents);
    // The same hash input as the SQLite row's.
    let mut h = blake3::Hasher::new();
    h.update(&ledger.chain);
    h.update(&op.id.to_le_bytes());
    h.update(&op.debit.to_le_bytes());
    h.update(&op.credit.to_le_bytes());
    h.update(&amount.to_le_bytes());
    h.update(&op.code.to_le_bytes());
    h.update(&[op.kind as u8]);
    h.update(&op.pending.to_le_bytes());
    h.update(&ts.to_le_bytes());
    let hash = *h.finalize().as_bytes();
    let pending = (op.pending != 0).then(|| key(op.pending));
    let applied: bool = tx
        .query_one(
            &ledger.apply,
            &[
                &key(op.id),
                &i16::from(op.kind as u8),
                &key(op.debit),
                &key(op.credit),
                &amount,
                &i32::from(op.code),
                &pending,
                &int(ts),
                &expires_at,
                &&hash[..],
            ],
        )?
        .get(0);
    if applied {
        ledger.chain = hash;
        ledger.clock = ts;
    }
    Ok(applied)
}
