//! `timebank exchange ...`: hours moving to and from other ledgers (通存通兑). Messages are
//! files the host carries (HTTP, a queue, a shared folder): `send` writes an offer, `receive`
//! reads an offer, receipt or refusal and writes the answer to carry back.

use std::path::Path;

use serde::Serialize;

use ledger_core::{Decimal, UnitId};
use ledger_exchange::{Message, Peer, PeerId, PublicKey, SendRequest, Signer, Verdict};
use ledger_store::exchange::{Exchange, ExchangeError, EXCHANGE_DIR_NAME, PEERS_FILE_NAME};
use ledger_store::Store;

use crate::cli::{ExchangeArgs, ExchangeCmd, MoveArgs, PeerCmd, SendArgs};
use crate::error::{CliError, CliResult};
use crate::output::{note, out, print_json};
use crate::session::{account_id, amount_in, Session};
use crate::time::{format_time, parse_time};

pub fn run(session: &Session, args: &ExchangeArgs) -> CliResult {
    if let ExchangeCmd::Peer(PeerCmd::List) = &args.command {
        return peer_list(session);
    }
    let store = session.open()?;
    let result = with_exchange(session, args, &store);
    store.close()?;
    result
}

fn with_exchange(session: &Session, args: &ExchangeArgs, store: &Store) -> CliResult {
    let signer = read_signer(session, args)?;
    let own = args.ledger_id.map(peer_id).transpose()?;
    let now = session.now()?;
    let mut exchange = Exchange::open(store, own, signer, now).map_err(exchange_error)?;
    match &args.command {
        ExchangeCmd::Peer(PeerCmd::Add { id, public_key }) => {
            let key = PublicKey::from_hex(public_key).ok_or_else(|| {
                CliError::usage("a public key is 64 hexadecimal characters (Ed25519)")
            })?;
            let peer = Peer {
                id: peer_id(*id)?,
                key,
            };
            exchange
                .add_peer(store, peer, now)
                .map_err(exchange_error)?;
            out!(
                "peer {} registered, with a clearing account per unit",
                peer.id
            )
        }
        ExchangeCmd::Peer(PeerCmd::List) => unreachable!("listed without the key"),
        ExchangeCmd::Send(send) => send_offer(session, store, &mut exchange, send, now),
        ExchangeCmd::MoveMember(args) => move_member(session, store, &mut exchange, args, now),
        ExchangeCmd::Receive { file, reply } => {
            let bytes = crate::input::read(file, "the message")?;
            let received = exchange
                .receive(store, &bytes, now)
                .map_err(exchange_error)?;
            if let Some(answer) = &received.reply {
                write_message(reply.as_deref(), answer)?;
            }
            report_verdict(session, received.verdict, received.ledger_code)
        }
        ExchangeCmd::Expire { out_dir } => {
            let due = exchange.expire(store, now);
            for offer in &due {
                match out_dir {
                    Some(dir) => {
                        let e = offer.header.exchange;
                        let path = dir.join(format!("offer-{}-{}.json", e.origin, e.number));
                        write_message(Some(&path), offer)?;
                    }
                    None => write_message(None, offer)?,
                }
            }
            note!(
                "{} offer(s) past their deadline to deliver again",
                due.len()
            );
            Ok(())
        }
        ExchangeCmd::Positions => positions(session, store, &exchange),
        ExchangeCmd::Pending => pending(session, store, &exchange),
    }
}

fn send_offer(
    session: &Session,
    store: &Store,
    exchange: &mut Exchange,
    args: &SendArgs,
    now: u64,
) -> CliResult {
    let unit = unit_named(store, &args.unit)?;
    let request = SendRequest {
        number: args.number,
        to: peer_id(args.to)?,
        unit,
        amount: amount_in(store, unit, &args.amount)?,
        source: account_id(args.from_account)?,
        destination: account_id(args.to_account)?,
        deadline: parse_time(&args.deadline)?,
    };
    let offer = exchange
        .send(store, &request, now)
        .map_err(exchange_error)?;
    report_offer(session, &offer, &args.amount, args.out.as_deref())
}

/// Moves a member: their whole balance in the unit, with the state the rules need.
fn move_member(
    session: &Session,
    store: &Store,
    exchange: &mut Exchange,
    args: &MoveArgs,
    now: u64,
) -> CliResult {
    let unit = unit_named(store, &args.unit)?;
    let source = account_id(args.from_account)?;
    let balance = store
        .account(source)
        .ok_or_else(|| CliError::refused(format!("account {source} does not exist")))?
        .posted();
    let scale = store.read(|l| l.unit(unit).map_or(0, |u| u.scale));
    let amount = ledger_core::Amount::from_decimal_in(balance, scale).map_err(|_| {
        CliError::refused(format!(
            "account {source} has a balance of {balance}: nothing to move"
        ))
    })?;
    let request = SendRequest {
        number: args.number,
        to: peer_id(args.to)?,
        unit,
        amount,
        source,
        destination: account_id(args.to_account)?,
        deadline: parse_time(&args.deadline)?,
    };
    let offer = exchange
        .move_member(store, &request, now)
        .map_err(exchange_error)?;
    report_offer(session, &offer, &amount.to_string(), args.out.as_deref())
}

/// Writes an offer made and says what was held.
fn report_offer(session: &Session, offer: &Message, amount: &str, out: Option<&Path>) -> CliResult {
    write_message(out, offer)?;
    if session.json() && out.is_some() {
        #[derive(Serialize)]
        struct Sent {
            exchange: String,
            seq: u64,
        }
        return print_json(&Sent {
            exchange: offer.header.exchange.to_string(),
            seq: offer.header.journal.sequence,
        });
    }
    note!(
        "exchange {}: {} held (journal record {}); deliver the offer to ledger {}",
        offer.header.exchange,
        amount,
        offer.header.journal.sequence,
        offer.header.to
    );
    Ok(())
}

fn report_verdict(
    session: &Session,
    verdict: Verdict,
    code: Option<ledger_core::ResultCode>,
) -> CliResult {
    if session.json() {
        #[derive(Serialize)]
        struct Outcome<'a> {
            verdict: &'a str,
            code: u16,
            ledger_code: Option<&'a str>,
        }
        print_json(&Outcome {
            verdict: verdict.name(),
            code: verdict as u16,
            ledger_code: code.map(|c| c.name()),
        })?;
    } else {
        let detail = code.map(|c| format!(" ({})", c.name())).unwrap_or_default();
        note!("verdict: {}{detail}", verdict.name());
    }
    match verdict {
        Verdict::Ok | Verdict::Exists => Ok(()),
        other => Err(CliError::refused(format!(
            "the message was refused: {}{}",
            other.name(),
            code.map(|c| format!(" ({})", c.name())).unwrap_or_default()
        ))),
    }
}

fn positions(session: &Session, store: &Store, exchange: &Exchange) -> CliResult {
    #[derive(Serialize)]
    struct Row {
        peer: u64,
        unit: String,
        owed_to_peer: Decimal,
        held_outgoing: Decimal,
    }
    let rows: Vec<Row> = exchange
        .positions(store)
        .into_iter()
        .map(|p| Row {
            peer: p.peer.get(),
            unit: unit_name(store, p.unit),
            owed_to_peer: p.owed_to_peer,
            held_outgoing: p.held_outgoing,
        })
        .collect();
    if session.json() {
        return print_json(&rows);
    }
    out!(
        "{:>12}  {:<10} {:>16} {:>16}",
        "peer",
        "unit",
        "owed to peer",
        "held outgoing"
    )?;
    for r in &rows {
        out!(
            "{:>12}  {:<10} {:>16} {:>16}",
            r.peer,
            r.unit,
            r.owed_to_peer,
            r.held_outgoing
        )?;
    }
    // The net over every peer, per unit: what this ledger owes the federation as a whole
    // (zero for a hub that has passed on everything it received).
    let mut units: Vec<&str> = rows.iter().map(|r| r.unit.as_str()).collect();
    units.dedup();
    for unit in units {
        let of_unit = || rows.iter().filter(move |r| r.unit == unit);
        out!(
            "{:>12}  {:<10} {:>16} {:>16}",
            "net",
            unit,
            of_unit()
                .map(|r| r.owed_to_peer)
                .sum::<Decimal>()
                .normalize(),
            of_unit()
                .map(|r| r.held_outgoing)
                .sum::<Decimal>()
                .normalize()
        )?;
    }
    Ok(())
}

fn pending(session: &Session, store: &Store, exchange: &Exchange) -> CliResult {
    #[derive(Serialize)]
    struct Row {
        exchange: String,
        to: u64,
        unit: String,
        amount: Decimal,
        from_account: String,
        to_account: String,
        deadline: String,
    }
    let rows: Vec<Row> = exchange
        .pending(store)
        .into_iter()
        .map(|p| Row {
            exchange: p.exchange.to_string(),
            to: p.request.to.get(),
            unit: unit_name(store, p.request.unit),
            amount: p.request.amount.value(),
            from_account: p.request.source.to_string(),
            to_account: p.request.destination.to_string(),
            deadline: format_time(p.request.deadline),
        })
        .collect();
    if session.json() {
        return print_json(&rows);
    }
    for r in &rows {
        out!(
            "{} to ledger {}: {} {} from {} to {} (deadline {})",
            r.exchange,
            r.to,
            r.amount,
            r.unit,
            r.from_account,
            r.to_account,
            r.deadline
        )?;
    }
    if rows.is_empty() {
        note!("no exchange is waiting for an answer");
    }
    Ok(())
}

/// Lists peers from the peer file alone (no key needed).
fn peer_list(session: &Session) -> CliResult {
    let path = session.data().join(EXCHANGE_DIR_NAME).join(PEERS_FILE_NAME);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::not_found(format!("no peers ({}): {e}", path.display())))?;
    let peers = ledger_exchange::Peers::from_json(&text)
        .map_err(|e| CliError::damaged(format!("{}: {e}", path.display())))?;
    if session.json() {
        #[derive(Serialize)]
        struct Row {
            id: u64,
            public_key: String,
        }
        let rows: Vec<Row> = peers
            .iter()
            .map(|p| Row {
                id: p.id.get(),
                public_key: p.key.to_hex(),
            })
            .collect();
        return print_json(&rows);
    }
    out!("this ledger: {}", peers.own())?;
    for p in peers.iter() {
        out!("{:>12}  {}", p.id, p.key.to_hex())?;
    }
    Ok(())
}

fn read_signer(session: &Session, args: &ExchangeArgs) -> CliResult<Signer> {
    let path = args.signing_key_file.as_deref().ok_or_else(|| {
        CliError::usage(
            "exchanges are signed: pass --signing-key-file (make one with `timebank checkpoint \
             keygen --out FILE`)",
        )
    })?;
    let text = crate::input::read_secret(path, "the signing key file", &session.key_rules())?;
    Signer::from_hex(&text).ok_or_else(|| {
        CliError::usage(format!(
            "the signing key file {} must hold 64 hexadecimal characters",
            path.display()
        ))
    })
}

fn peer_id(value: u64) -> CliResult<PeerId> {
    PeerId::new(value).ok_or_else(|| CliError::usage("a ledger id must not be 0"))
}

/// A unit by number or name.
fn unit_named(store: &Store, text: &str) -> CliResult<UnitId> {
    store
        .read(|ledger| {
            ledger
                .units()
                .find(|u| u.name == text || u.id.to_string() == text)
                .map(|u| u.id)
        })
        .ok_or_else(|| CliError::not_found(format!("no unit {text:?}")))
}

fn unit_name(store: &Store, unit: UnitId) -> String {
    store.read(|l| {
        l.unit(unit)
            .map_or_else(|| unit.to_string(), |u| u.name.clone())
    })
}

/// Writes a message's JSON form to `path`, or to stdout.
fn write_message(path: Option<&Path>, message: &Message) -> CliResult {
    match path {
        Some(path) => std::fs::write(path, message.to_json() + "\n")
            .map_err(|e| CliError::io(format!("cannot write {}: {e}", path.display()))),
        None => out!("{}", message.to_json()),
    }
}

fn exchange_error(error: ExchangeError) -> CliError {
    match error {
        ExchangeError::Store(e) => e.into(),
        ExchangeError::Refused(code) => CliError::result_code(code, "the exchange"),
        ExchangeError::Send(e) => CliError::refused(e.to_string()),
        ExchangeError::Peers(e) => CliError::refused(e.to_string()),
        ExchangeError::NumberUsed(_) => CliError::refused(error.to_string()),
        ExchangeError::NotSetUp(_) | ExchangeError::OtherOwnId { .. } => {
            CliError::usage(error.to_string())
        }
        ExchangeError::Corrupted(..) => CliError::damaged(error.to_string()),
        other => CliError::io(other.to_string()),
    }
}
