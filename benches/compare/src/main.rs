//! This ledger side by side with what a team would otherwise use and with the machine's limits,
//! on one seeded time-bank workload, in one process:
//!
//! 1. `timebank-store`: this ledger, durable (each batch `fdatasync`ed before it returns), timed
//!    to the last acknowledgement and, as `timebank-store+index`, until its sled index caught up;
//! 2. `SQLite`: rusqlite, WAL, `synchronous=FULL`, the same checks in SQL, a blake3 chain column;
//!    `PostgreSQL`: PostgreSQL 15 started by the run, `synchronous_commit=on`, the same checks in
//!    a PL/pgSQL function (a row that says why when the server cannot be started);
//! 3. `raw append+fdatasync`: the store's own journal bytes appended with one sync per batch;
//! 4. `ledger-core`: the engine in memory (every rule, no disk);
//! 5. `naive HashMap`: balances in a `HashMap`, no validation.
//!
//! `cargo run --release -p compare -- [--quick] [--json] [--batch N]`
#![forbid(unsafe_code)]

mod args;
mod core_system;
mod measurement;
mod naive_system;
mod postgres_server;
mod postgres_system;
mod raw_system;
mod report;
mod sqlite_system;
mod store_system;

use std::process::ExitCode;

use report::Comparison;
use timebank_workload::community_bank::TimeBankWorkload;

fn run<'a>(workload: &'a TimeBankWorkload, args: &args::Args) -> Result<Comparison<'a>, String> {
    let naive = naive_system::run(workload);
    let core = core_system::run(workload)?;
    let sqlite = sqlite_system::run(workload)?;
    let (postgres, not_run) = match postgres_system::run(workload)? {
        postgres_system::Outcome::Ran(m) => (Some(m), Vec::new()),
        postgres_system::Outcome::NotRun(why) => (None, vec![("PostgreSQL", why)]),
    };
    let store = store_system::run(workload)?;
    let raw = raw_system::run(&store.records, workload.transfers())?;
    // Every validating system must accept exactly what the engine accepted when the workload
    // was made: otherwise they did not do the same work.
    for m in [
        Some(&core),
        Some(&sqlite),
        Some(&store.durable),
        postgres.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if m.accepted != Some(workload.accepted) {
            return Err(format!(
                "{} accepted {:?} events where the engine accepted {}: the systems disagree",
                m.name, m.accepted, workload.accepted
            ));
        }
    }
    let mut systems = vec![store.durable, store.indexed, sqlite];
    systems.extend(postgres);
    systems.extend([raw, core, naive]);
    Ok(Comparison {
        workload,
        systems,
        not_run,
        quick: args.quick,
    })
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("compare: {e}");
            return ExitCode::from(2);
        }
    };
    let workload = TimeBankWorkload::generate(args.size);
    match run(&workload, &args) {
        Ok(comparison) if args.json => {
            println!("{}", comparison.json());
            ExitCode::SUCCESS
        }
        Ok(comparison) => {
            print!("{}", comparison.table());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}
