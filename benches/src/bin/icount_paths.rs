//! The fixed workloads of the instruction-count gate (`benches/icount/check.sh`). Each path's
//! measured work sits in one `#[inline(never)]` function named `icount_<path>`; the gate runs
//! this program under callgrind with collection switched on only inside that function, so the
//! count excludes building the inputs.
//!
//! `icount_paths core_apply`: the engine applies one batch of 8,190 events (80% transfers, 10%
//! holds, 10% posts and voids) to a ledger of 10,000 accounts.
//! `icount_paths core_apply_policy`: the engine under `Policy::default_policy()` applies the
//! 40,950 events of `compare --quick --batch 8190`'s workload (services, care, gifts, holds,
//! posts and voids among 2,270 members of 227 communities) in five batches; not in the gate.
//! `icount_paths core_apply_counted`: the same under the default policy with caps on hours
//! (day, month and lifetime, too high to refuse anything) and hours expiring after a year, so
//! every service counts earnings and every movement of hours keeps lots; not in the gate.
//! `icount_paths hash_chain`: frames, hashes and chains 64 journal records (one of 8,190
//! transfers, the rest of 1 to 100), then checks every record's hash.

use std::hint::black_box;
use std::process::ExitCode;

use ledger_core::{Command, Ledger, Policy, ResultCode, Transfer};
use ledger_store::codec::encode_body;
use ledger_store::outcome::{EventOutcome, Outcome, Resolved};
use ledger_store::record::{
    append_record, parse_frame, record_hash, Hash, RecordHeader, RecordKind,
};
use timebank_workload::community_bank::{Op, Size, TimeBankWorkload};
use timebank_workload::engine_batches::{Shape, Workload};
use timebank_workload::service_stream::ServiceStream;
use timebank_workload::T0;

const USAGE: &str =
    "usage: icount_paths core_apply|core_apply_policy|core_apply_counted|hash_chain";
const RECORDS: usize = 64;

#[inline(never)]
fn icount_core_apply(ledger: &mut Ledger, batch: &[Transfer], now: u64) -> usize {
    let results = ledger
        .create_transfers(batch, now)
        .expect("the workload's batch is valid");
    results.len()
}

fn core_apply() {
    let shape = Shape {
        accounts: 10_000,
        batches: 1,
        ..Shape::FULL_BATCHES
    };
    let workload = Workload::generate(shape, 2026);
    let mut ledger = workload.base.clone();
    black_box(icount_core_apply(
        &mut ledger,
        &workload.batches[0],
        workload.now,
    ));
}

#[inline(never)]
fn icount_core_apply_policy(ledger: &mut Ledger, batches: &[(Vec<Transfer>, u64)]) -> usize {
    let mut applied = 0;
    for (batch, now) in batches {
        let results = ledger
            .create_transfers(batch, *now)
            .expect("the workload's batch is valid");
        applied += results.iter().filter(|r| r.code == ResultCode::Ok).count();
    }
    applied
}

/// The default policy with hours capped (never reached by the workload) and expiring, so the
/// rules keep their counters for every service and lots for every movement of hours.
const COUNTED_POLICY_TAIL: &str = r#"
[[codes]]
code = 190
name = "hours expiry"
unit = 1
purpose = "expiry"

[[caps]]
unit = 1
period = "day"
limit = "100000"
excess = "reject"

[[caps]]
unit = 1
period = "month"
limit = "1000000"
excess = "reject"

[[caps]]
unit = 1
period = "lifetime"
limit = "10000000"
excess = "reject"

[[expiry]]
unit = 1
lifetime_days = 365
account = 9000000001
code = 190
"#;

fn core_apply_policy(policy: &Policy) {
    let workload = TimeBankWorkload::generate(Size {
        communities: 227,
        members: 2_270,
        transfers: 40_950,
        batch: 8_190,
        seed: 2026,
    });
    let mut ledger = Ledger::with_policy(policy).expect("a valid policy");
    for command in workload.setup_commands() {
        ledger.execute(&command, T0).expect("the workload's setup");
    }
    let batches: Vec<(Vec<Transfer>, u64)> = workload
        .batches
        .iter()
        .zip(&workload.times)
        .map(|(b, &now)| (b.iter().map(Op::transfer).collect(), now))
        .collect();
    let applied = icount_core_apply_policy(&mut ledger, &batches);
    assert_eq!(
        applied, workload.accepted,
        "the engine accepts what it accepted before"
    );
}

#[inline(never)]
fn icount_hash_chain(bodies: &[Vec<u8>], out: &mut Vec<u8>) -> Hash {
    let mut prev = [0u8; 32];
    for (i, body) in bodies.iter().enumerate() {
        let header = RecordHeader {
            kind: RecordKind::Command,
            sequence: i as u64 + 1,
            now: i as u64,
            prev_hash: prev,
        };
        prev = append_record(out, &header, |b| b.extend_from_slice(body));
    }
    // A verifier's pass: recompute every record's hash from its bytes.
    let mut offset = 0;
    while offset < out.len() {
        let frame = parse_frame(&out[offset..], offset as u64).expect("a record just written");
        let covered = &frame.bytes[..frame.len() - 32];
        assert_eq!(record_hash(covered), frame.stored_hash());
        offset += frame.len();
    }
    prev
}

fn hash_chain() {
    let mut stream = ServiceStream::new(5);
    let bodies: Vec<Vec<u8>> = (0..RECORDS)
        .map(|i| {
            let n = if i == 0 { 8_190 } else { 1 + (i * 37) % 100 };
            let (batch, now) = stream.batch(n);
            // Every transfer applied: each carries its outcome (code, timestamp, resolved
            // byte), as the store journals it.
            let events = (0..batch.len() as u64)
                .map(|k| EventOutcome {
                    code: ResultCode::Ok,
                    timestamp: now + k,
                    resolved: Resolved::default(),
                })
                .collect();
            let mut body = Vec::new();
            encode_body(
                &mut body,
                &Command::CreateTransfers(batch),
                &Outcome::Events(events),
            );
            body
        })
        .collect();
    let mut out = Vec::with_capacity(bodies.iter().map(|b| b.len() + 92).sum());
    black_box(icount_hash_chain(&bodies, &mut out));
}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("core_apply") => core_apply(),
        Some("core_apply_policy") => core_apply_policy(&Policy::default_policy()),
        Some("core_apply_counted") => {
            let toml = format!(
                "{}{COUNTED_POLICY_TAIL}",
                ledger_core::policy::DEFAULT_POLICY_TOML
            );
            core_apply_policy(&Policy::from_toml(&toml).expect("the counted policy is valid"))
        }
        Some("hash_chain") => hash_chain(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
