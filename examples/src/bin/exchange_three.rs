//! Three ledgers as three processes, exchanging hours (通存通兑) over loopback HTTP.
//!
//! Run with no arguments, it starts itself three times (`--serve`), one process per district
//! ledger, each with its own data directory, signing key and HTTP server (`tiny_http`), and
//! drives them as an operator would: it asks each ledger to send hours to another. The sending
//! ledger holds the hours and POSTs the signed offer's bytes to the receiving ledger's
//! `/message` (`ureq`); the receiver credits the member and answers with the signed receipt's
//! bytes as the HTTP response; the sender posts its hold on it. One offer is delivered twice,
//! as a retrying network would: the receiver answers with the receipt again, and the sender
//! finds its hold posted already (`exists`). At the end it checks every
//! balance and that each pair's clearing positions mirror, prints them, and stops the three.
//!
//! `cargo run -p examples --bin exchange_three [-- DIR]` (default: a scratch directory removed
//! at the end). Exit status 0 when every check holds.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, NewAccount, Policy, Transfer, TransferId,
};
use ledger_exchange::{Peer, PeerId, SendRequest, Signer};
use ledger_store::exchange::Exchange;
use ledger_store::{Store, StoreOptions};

const HOURS: u16 = 1;
const FUND: u128 = 1;
/// Each ledger's member 100 starts with 10 hours.
const MEMBER: u128 = 100;
const LEDGERS: [(u64, u8); 3] = [(310_101, 1), (310_104, 2), (310_105, 3)];

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let id: u64 = args[2].parse()?;
        return serve(Path::new(&args[3]), id);
    }
    let (dir, keep) = match args.get(1) {
        Some(d) => (PathBuf::from(d), true),
        None => (
            std::env::temp_dir().join(format!("timebank-exchange-three-{}", std::process::id())),
            false,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let result = drive(&args[0], &dir);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn signer_of(id: u64) -> Signer {
    let seed = LEDGERS
        .iter()
        .find(|(l, _)| *l == id)
        .map_or(0, |(_, s)| *s);
    // Fixed seeds keep the example self-contained; a real ledger's key is a file made by
    // `timebank checkpoint keygen`, kept outside its data directory.
    Signer::from_seed(&[seed; 32])
}

fn account(n: u128) -> AccountId {
    AccountId::new(n).expect("not zero")
}

struct Running {
    id: u64,
    port: u16,
    child: Child,
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

fn get(port: u16, path: &str) -> Result<String, Error> {
    Ok(ureq::get(&url(port, path)).call()?.into_string()?)
}

fn post(port: u16, path: &str, body: &[u8]) -> Result<String, Error> {
    Ok(ureq::post(&url(port, path))
        .send_bytes(body)?
        .into_string()?)
}

/// The parent: starts the three ledgers, asks them to exchange, checks and prints the outcome.
fn drive(exe: &str, dir: &Path) -> Result<(), Error> {
    let mut running = Vec::new();
    for (id, _) in LEDGERS {
        let mut child = Command::new(exe)
            .args(["--serve", &id.to_string()])
            .arg(dir.join(id.to_string()))
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or("the ledger did not start")?
            .parse()?;
        running.push(Running { id, port, child });
    }
    let outcome = exchange_and_check(&running);
    for r in &mut running {
        let _ = post(r.port, "/quit", b"");
        let _ = r.child.wait();
    }
    outcome
}

fn exchange_and_check(ledgers: &[Running]) -> Result<(), Error> {
    let (a, b, c) = (&ledgers[0], &ledgers[1], &ledgers[2]);
    // "PORT PEER NUMBER AMOUNT DEADLINE": send AMOUNT hours of member 100 to member 100 of
    // PEER, to be credited by DEADLINE (the same order twice is the same offer).
    let deadline = now() + 60_000_000_000;
    let send = |from: &Running, to: &Running, number: u64, amount: &str| {
        let order = format!("{} {} {number} {amount} {deadline}", to.port, to.id);
        let verdict = post(from.port, "/send", order.as_bytes())?;
        println!("{} -> {}: {amount} hours, {verdict}", from.id, to.id);
        Ok::<String, Error>(verdict)
    };
    let mut failures = Vec::new();
    for (from, to, number, amount) in [(a, b, 1, "2.5"), (b, c, 1, "1"), (c, a, 1, "0.5")] {
        let verdict = send(from, to, number, amount)?;
        if verdict != "posted (ok)" {
            failures.push(format!("{} -> {}: {verdict}", from.id, to.id));
        }
    }
    // The first offer again, as a network that retries would deliver it: nothing changes.
    let again = send(a, b, 1, "2.5")?;
    if again != "posted (exists)" {
        failures.push(format!("a retried offer: {again}"));
    }
    let expected = [(a, "8"), (b, "11.5"), (c, "10.5")];
    for (ledger, hours) in expected {
        let balance = get(ledger.port, "/balance")?;
        println!("{}: member {MEMBER} holds {balance} hours", ledger.id);
        if balance != hours {
            failures.push(format!(
                "{}: member holds {balance}, not {hours}",
                ledger.id
            ));
        }
    }
    // Positions: what each ledger owes each peer; each pair mirrors.
    let mut owed = std::collections::BTreeMap::new();
    for ledger in ledgers {
        let text = get(ledger.port, "/positions")?;
        for line in text.lines() {
            let (peer, amount) = line.split_once(' ').ok_or("a position line")?;
            let amount: Decimal = amount.parse()?;
            println!("{} owes {peer}: {amount}", ledger.id);
            owed.insert((ledger.id, peer.parse::<u64>()?), amount);
        }
    }
    if owed.len() != 6 {
        failures.push(format!("{} positions in hours, not 6", owed.len()));
    }
    for ((x, y), amount) in &owed {
        if owed.get(&(*y, *x)).copied().unwrap_or_default() + amount != Decimal::ZERO {
            failures.push(format!("{x} and {y} do not mirror"));
        }
    }
    if failures.is_empty() {
        println!("every balance as expected; every pair of positions mirrors");
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

/// One ledger: creates its store (a fund and member 100 with 10 hours), registers the other two
/// as peers, prints its port and answers HTTP until `/quit`.
fn serve(dir: &Path, id: u64) -> Result<(), Error> {
    let now0 = now();
    let store = Store::create(
        dir,
        &Policy::default_policy(),
        now0,
        StoreOptions::default(),
    )?;
    let own = PeerId::new(id).ok_or("a ledger id")?;
    let mut exchange = Exchange::open(&store, Some(own), signer_of(id), now0)?;
    store.create_accounts(
        vec![
            NewAccount::new(account(FUND), HOURS, AccountKind::Issuer),
            NewAccount::new(account(MEMBER), HOURS, AccountKind::Member),
        ],
        now0,
    )?;
    let ten = Amount::parse_in("10", 2)?;
    let service = Transfer::new(
        TransferId::new(1).ok_or("id")?,
        account(FUND),
        account(MEMBER),
        ten,
        HOURS,
    )
    .code(101);
    store.create_transfers(vec![service], now0)?;
    for (peer, _) in LEDGERS.iter().filter(|(p, _)| *p != id) {
        let key = signer_of(*peer).public_key();
        let peer = Peer {
            id: PeerId::new(*peer).ok_or("a peer id")?,
            key,
        };
        exchange.add_peer(&store, peer, now0)?;
    }
    let server = tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = server.server_addr().to_ip().ok_or("an IP address")?.port();
    println!("listening on {port}");
    for mut request in server.incoming_requests() {
        let mut body = Vec::new();
        request.as_reader().read_to_end(&mut body)?;
        let path = request.url().to_owned();
        let reply: Result<Vec<u8>, Error> = match path.as_str() {
            // A peer's message: the answer (receipt or refusal) is the response.
            "/message" => exchange
                .receive(&store, &body, now())
                .map_err(Error::from)
                .map(|r| r.reply.map(|m| m.to_bytes()).unwrap_or_default()),
            "/send" => send(&store, &mut exchange, &body),
            "/balance" => Ok(store
                .read(|l| l.account(account(MEMBER)).map(|a| a.posted()))
                .unwrap_or_default()
                .normalize()
                .to_string()
                .into_bytes()),
            "/positions" => Ok(exchange
                .positions(&store)
                .iter()
                .filter(|p| p.unit == HOURS)
                .map(|p| format!("{} {}\n", p.peer, p.owed_to_peer.normalize()))
                .collect::<String>()
                .into_bytes()),
            "/quit" => {
                request.respond(tiny_http::Response::empty(200))?;
                break;
            }
            _ => Err("no such path".into()),
        };
        let response = match reply {
            Ok(bytes) => tiny_http::Response::from_data(bytes),
            Err(e) => tiny_http::Response::from_string(e.to_string()).with_status_code(500),
        };
        request.respond(response)?;
    }
    store.close()?;
    Ok(())
}

/// Holds the hours, POSTs the offer to the peer, and handles the answer that comes back.
fn send(store: &Store, exchange: &mut Exchange, order: &[u8]) -> Result<Vec<u8>, Error> {
    let order = std::str::from_utf8(order)?;
    let fields: Vec<&str> = order.split_whitespace().collect();
    let [port, peer, number, amount, deadline] = fields[..] else {
        return Err("expected PORT PEER NUMBER AMOUNT DEADLINE".into());
    };
    let now = now();
    let request = SendRequest {
        number: number.parse()?,
        to: PeerId::new(peer.parse()?).ok_or("a peer id")?,
        unit: HOURS,
        amount: Amount::parse_in(amount, 2)?,
        source: account(MEMBER),
        destination: account(MEMBER),
        deadline: deadline.parse()?,
    };
    // The same request again gives the same offer: delivering it again is safe.
    let offer = exchange.send(store, &request, now)?;
    let answer = ureq::post(&url(port.parse()?, "/message")).send_bytes(&offer.to_bytes())?;
    let mut bytes = Vec::new();
    answer.into_reader().read_to_end(&mut bytes)?;
    // A receipt posts the hold (`ok`), or finds it posted by an earlier delivery (`exists`).
    let handled = exchange.receive(store, &bytes, now)?;
    let posted = store.read(|l| {
        l.transfer(offer.header.exchange.hold_transfer())
            .map(|t| t.state == ledger_core::TransferState::PendingPosted)
    });
    Ok(match posted {
        Some(true) => format!("posted ({})", handled.verdict.name()),
        _ => format!("not posted ({})", handled.verdict.name()),
    }
    .into_bytes())
}
