//! `timebank`: the operator's and auditor's command-line tool for the time-bank ledger.
//!
//! Each run opens the ledger in `--data` (replaying and checking its journal), does one thing,
//! and closes it; every write is durable before the command reports it. Failures print one
//! sentence on stderr and exit with a code per kind of failure (see `error.rs` and the README).
#![forbid(unsafe_code)]

mod account;
mod balance;
mod checkpoint;
mod cli;
mod demo;
mod error;
mod exchange;
mod export;
mod import;
mod input;
mod liability;
mod movement;
mod output;
mod paths;
mod policy;
mod progress;
mod proof;
mod reconcile;
mod service;
mod session;
mod simulate;
mod statement;
mod status;
mod submit;
mod tally;
mod time;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Cmd, ReportCmd};
use error::CliResult;
use output::out;
use session::Session;

fn main() -> ExitCode {
    let cli = parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::note!("timebank: {error}");
            error.exit_code()
        }
    }
}

/// Parses the command line, with the exit codes in every subcommand's `--help` too.
fn parse() -> Cli {
    fn with_exit_codes(command: clap::Command) -> clap::Command {
        command
            .after_help(error::EXIT_CODES_HELP)
            .mut_subcommands(with_exit_codes)
    }
    let matches = with_exit_codes(Cli::command()).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn run(cli: Cli) -> CliResult {
    let session = Session::new(cli.global)?;
    let s = &session;
    s.lock(false)?;
    match &cli.command {
        Cmd::Init(args) => status::init(s, args),
        Cmd::Account(command) => account::run(s, command),
        Cmd::Service(command) => service::run_service(s, command),
        Cmd::Record(args) => service::record(s, args),
        Cmd::Withdraw(args) => service::withdraw(s, args),
        Cmd::Gift(args) => movement::gift(s, args),
        Cmd::Award(args) => movement::award(s, args),
        Cmd::Redeem(args) => movement::redeem(s, args),
        Cmd::Reverse(args) => movement::reverse(s, args),
        Cmd::Expire => movement::expire(s),
        Cmd::Policy(command) => policy::run(s, command),
        Cmd::Balance(args) => balance::run(s, args),
        Cmd::Statement(args) => statement::run(s, args),
        Cmd::Report(ReportCmd::Liabilities(args)) => liability::run(s, args),
        Cmd::Status => status::status(s),
        Cmd::Verify(args) => verify::run(s, args),
        Cmd::Checkpoint(command) => checkpoint::run(s, command),
        Cmd::Proof(command) => proof::run(s, command),
        Cmd::Exchange(args) => exchange::run(s, args),
        Cmd::Export(args) => export::run(s, args),
        Cmd::Import(args) => import::run(s, args),
        Cmd::RebuildIndex => rebuild_index(s),
        Cmd::Snapshot => status::snapshot(s),
        Cmd::Simulate(args) => simulate::run(s, args),
        Cmd::Demo(args) => demo::run(s, args),
    }
}

fn rebuild_index(session: &Session) -> CliResult {
    let store = session.open()?;
    store.rebuild_index()?;
    let status = store.status();
    store.close()?;
    if session.json() {
        #[derive(serde::Serialize)]
        struct Rebuilt {
            rebuilt: bool,
            indexed_seq: u64,
        }
        return output::print_json(&Rebuilt {
            rebuilt: true,
            indexed_seq: status.indexed_sequence,
        });
    }
    out!(
        "index rebuilt from the journal and checked: it reflects record {}",
        status.indexed_sequence
    )?;
    Ok(())
}
