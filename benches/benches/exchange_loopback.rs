//! The latency of one exchange between two ledgers in two processes over loopback HTTP (通存通兑),
//! end to end, measured in one run (printed, never asserted).
//!
//! The bench process is ledger A; it starts itself again (`--serve`) as ledger B, a `tiny_http`
//! server on 127.0.0.1 with its own data directory, as `examples/src/bin/exchange_three.rs` runs
//! its ledgers. One exchange, timed from A's request to A's post: A holds the member's hours
//! (`Exchange::send`: a durable commit and the offer appended to the offers file and synced),
//! POSTs the signed offer's bytes to B's `/message` (`ureq`, one kept-alive connection), B
//! decodes, authenticates and credits (a durable commit) and answers with the signed receipt's
//! bytes, and A posts its hold on it (`Exchange::receive`: a durable commit). The rows split that
//! time: A's hold and offer, the HTTP round trip with B's work, A's post; and an HTTP round trip
//! to an empty path, the transport alone.
//!
//! `cargo bench -p benches --bench exchange_loopback` (`TIMEBANK_BENCH_ROUND_TRIPS`, default 500,
//! sets how many exchanges are timed, after 20 not timed; `TIMEBANK_BENCH_DIR` where the ledgers
//! go).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use benches::latency::Latencies;
use benches::scratch_dir::ScratchDir;
use ledger_core::{
    AccountId, AccountKind, Amount, NewAccount, Policy, ResultCode, Transfer, TransferId,
};
use ledger_exchange::{Peer, PeerId, SendRequest, Signer, Verdict};
use ledger_store::exchange::Exchange;
use ledger_store::{Store, StoreOptions};

const HOURS: u16 = 1;
const FUND: u128 = 1;
const MEMBER: u128 = 100;
const A: (u64, u8) = (310_101, 1);
const B: (u64, u8) = (310_104, 2);
const WARM_UP: u64 = 20;

type Error = Box<dyn std::error::Error>;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn account(n: u128) -> AccountId {
    AccountId::new(n).expect("not zero")
}

fn peer((id, seed): (u64, u8)) -> Peer {
    Peer {
        id: PeerId::new(id).expect("not zero"),
        key: Signer::from_seed(&[seed; 32]).public_key(),
    }
}

/// A ledger with a fund and a member holding 1,000,000 hours, and `other` as its peer.
fn ledger(dir: &Path, (id, seed): (u64, u8), other: (u64, u8)) -> Result<(Store, Exchange), Error> {
    let at = now();
    let store = Store::create(dir, &Policy::default_policy(), at, StoreOptions::default())?;
    let own = PeerId::new(id).ok_or("a ledger id")?;
    let mut exchange = Exchange::open(&store, Some(own), Signer::from_seed(&[seed; 32]), at)?;
    store.create_accounts(
        vec![
            NewAccount::new(account(FUND), HOURS, AccountKind::Issuer),
            NewAccount::new(account(MEMBER), HOURS, AccountKind::Member),
        ],
        at,
    )?;
    let service = Transfer::new(
        TransferId::new(1).ok_or("id")?,
        account(FUND),
        account(MEMBER),
        Amount::parse_in("1000000", 2)?,
        HOURS,
    )
    .code(101);
    let done = store.create_transfers(vec![service], at)?;
    if done.events()[0].code != ResultCode::Ok {
        return Err("the member's hours were refused".into());
    }
    exchange.add_peer(&store, peer(other), at)?;
    Ok((store, exchange))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        return serve(Path::new(args.get(2).ok_or("a directory")?));
    }
    let count: u64 = match std::env::var("TIMEBANK_BENCH_ROUND_TRIPS") {
        Ok(text) => text.parse()?,
        Err(_) => 500,
    };
    let dir = ScratchDir::new("exchange-loopback")?;
    let (store, mut exchange) = ledger(&dir.path().join("a"), A, B)?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .arg(dir.path().join("b"))
        .stdout(Stdio::piped())
        .spawn()?;
    let measured = listen_port(&mut child).and_then(|port| {
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new().build();
        let result = measure(&store, &mut exchange, &agent, &base, count);
        let _ = agent.post(&format!("{base}/quit")).send_bytes(b"");
        result
    });
    let _ = child.wait();
    store.close()?;
    report(&measured?, count);
    Ok(())
}

fn listen_port(child: &mut Child) -> Result<u16, Error> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    Ok(line
        .trim()
        .strip_prefix("listening on ")
        .ok_or("ledger B did not start")?
        .parse()?)
}

/// Samples per row: whole exchange, A's hold and offer, HTTP with B's credit, A's post, and
/// an empty HTTP round trip.
struct Rows {
    whole: Latencies,
    hold: Latencies,
    http_credit: Latencies,
    post: Latencies,
    http_empty: Latencies,
}

fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    agent
        .post(url)
        .send_bytes(body)?
        .into_reader()
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn measure(
    store: &Store,
    exchange: &mut Exchange,
    agent: &ureq::Agent,
    base: &str,
    count: u64,
) -> Result<Rows, Error> {
    let capacity = usize::try_from(count).unwrap_or(0);
    let mut rows = Rows {
        whole: Latencies::with_capacity(capacity),
        hold: Latencies::with_capacity(capacity),
        http_credit: Latencies::with_capacity(capacity),
        post: Latencies::with_capacity(capacity),
        http_empty: Latencies::with_capacity(capacity),
    };
    let message = format!("{base}/message");
    let empty = format!("{base}/empty");
    let amount = Amount::parse_in("0.01", 2)?;
    for number in 1..=WARM_UP + count {
        let request = SendRequest {
            number,
            to: PeerId::new(B.0).ok_or("a peer id")?,
            unit: HOURS,
            amount,
            source: account(MEMBER),
            destination: account(MEMBER),
            deadline: now() + 60_000_000_000,
        };
        let start = Instant::now();
        let offer = exchange.send(store, &request, now())?;
        let held = Instant::now();
        let receipt = post(agent, &message, &offer.to_bytes())?;
        let answered = Instant::now();
        let verdict = exchange.receive(store, &receipt, now())?.verdict;
        let done = Instant::now();
        if verdict != Verdict::Ok {
            return Err(format!("exchange {number}: the receipt gave {verdict}").into());
        }
        let empty_start = Instant::now();
        post(agent, &empty, b"")?;
        let empty_done = Instant::now();
        if number > WARM_UP {
            rows.whole.push(done - start);
            rows.hold.push(held - start);
            rows.http_credit.push(answered - held);
            rows.post.push(done - answered);
            rows.http_empty.push(empty_done - empty_start);
        }
    }
    Ok(rows)
}

fn report(rows: &Rows, count: u64) {
    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1e3);
    let mean = |l: &Latencies| l.total() / u32::try_from(l.len().max(1)).unwrap_or(u32::MAX);
    println!("exchange_loopback: {count} exchanges, one at a time, A in this process, B in another over 127.0.0.1 HTTP");
    println!(
        "| part | mean ms | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|"
    );
    for (name, l) in [
        ("whole exchange (A holds, B credits, A posts)", &rows.whole),
        ("A: hold and offer (commit, offers file)", &rows.hold),
        (
            "HTTP round trip with B's credit (commit)",
            &rows.http_credit,
        ),
        ("A: post on the receipt (commit)", &rows.post),
        ("HTTP round trip to an empty path", &rows.http_empty),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            ms(mean(l)),
            ms(l.percentile(50.0)),
            ms(l.percentile(90.0)),
            ms(l.percentile(99.0)),
            ms(l.percentile(100.0)),
        );
    }
}

/// Ledger B: answers `/message` with the answer to the message, `/empty` with nothing, and
/// stops on `/quit`.
fn serve(dir: &Path) -> Result<(), Error> {
    let (store, mut exchange) = ledger(dir, B, A)?;
    let server = tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = server.server_addr().to_ip().ok_or("an IP address")?.port();
    println!("listening on {port}");
    for mut request in server.incoming_requests() {
        let mut body = Vec::new();
        request.as_reader().read_to_end(&mut body)?;
        let reply: Result<Vec<u8>, Error> = match request.url() {
            "/message" => exchange
                .receive(&store, &body, now())
                .map_err(Error::from)
                .map(|r| r.reply.map(|m| m.to_bytes()).unwrap_or_default()),
            "/empty" => Ok(Vec::new()),
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
