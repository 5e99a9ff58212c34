//! Exchanges with other ledgers (通存通兑) through the C ABI: the host opens an exchange on a
//! store handle, registers its peers, and carries the messages the calls return (HTTP, a queue,
//! files) to the peer they name; the library holds, credits, posts and voids.
//!
//! Messages leave as their JSON form (one object, `char *` freed with `timebank_string_free`,
//! as every text the library returns) and come in as bytes in either form, canonical bytes or
//! JSON (`timebank_exchange_receive`).

use std::ffi::c_char;
use std::path::Path;

use ledger_core::{Amount, UnitId};
use ledger_exchange::{Message, Peer, PeerId, PublicKey, SendRequest, Signer};
use ledger_store::exchange::{Exchange, ExchangeError};
use ledger_store::Store;
use serde_json::{json, Value};

use crate::boundary;
use crate::decimal::at_scale;
use crate::exchange_handle::{self, timebank_exchange};
use crate::handle::{self, timebank_store};
use crate::id::timebank_id;
use crate::pointer;
use crate::status::{Error, Status};
use crate::store::now_or_clock;

/// The length of an exchange signing key: the 32-byte Ed25519 seed, kept outside the data
/// directory (the key file the CLI reads holds it as 64 hexadecimal characters).
pub const TIMEBANK_EXCHANGE_KEY_BYTES: usize = 32;

/// The longest message `timebank_exchange_receive` reads, in either form (a message's canonical
/// bytes are at most 530, its JSON form a few kilobytes); a longer `message_len` is
/// `INVALID_ARGUMENT` and nothing is read.
pub const TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX: usize = 65536;

// Verdicts: what a ledger decided about one exchange message (`timebank_exchange_receive`'s
// `*verdict_out`, and the code a refusal message carries). The numbers are stable.
/// Verdict: applied (the receiver credited the destination, or the sender posted or voided its
/// hold).
pub const TIMEBANK_VERDICT_OK: u16 = 0;
/// Verdict: applied before (a duplicated, replayed or reordered message); nothing changed.
pub const TIMEBANK_VERDICT_EXISTS: u16 = 1;
/// Verdict: the bytes or JSON are not an exchange message.
pub const TIMEBANK_VERDICT_MALFORMED: u16 = 10;
/// Verdict: a message version this ledger does not speak.
pub const TIMEBANK_VERDICT_VERSION_UNSUPPORTED: u16 = 11;
/// Verdict: the sending ledger is not a registered peer.
pub const TIMEBANK_VERDICT_UNKNOWN_PEER: u16 = 12;
/// Verdict: signed with another key than the peer's registered one.
pub const TIMEBANK_VERDICT_WRONG_KEY: u16 = 13;
/// Verdict: the signature does not verify with the peer's key (forged or altered).
pub const TIMEBANK_VERDICT_FORGED: u16 = 14;
/// Verdict: the message is addressed to another ledger.
pub const TIMEBANK_VERDICT_NOT_ADDRESSED_HERE: u16 = 15;
/// Verdict (final refusal): the offer's deadline had passed when it arrived.
pub const TIMEBANK_VERDICT_PAST_DEADLINE: u16 = 16;
/// Verdict (final refusal): the receiver has no unit of that name.
pub const TIMEBANK_VERDICT_UNIT_UNKNOWN: u16 = 17;
/// Verdict (final refusal): the amount has more decimals than the unit allows here.
pub const TIMEBANK_VERDICT_AMOUNT_OUTSIDE_SCALE: u16 = 18;
/// Verdict (final refusal): the destination is not a member or group account of the unit here.
pub const TIMEBANK_VERDICT_DESTINATION_INVALID: u16 = 19;
/// Verdict (final refusal): the receiver's ledger refused the credit; `*ledger_code_out` holds
/// its result code.
pub const TIMEBANK_VERDICT_REFUSED_BY_LEDGER: u16 = 20;
/// Verdict (final refusal): the policy gives the unit no clearing code.
pub const TIMEBANK_VERDICT_UNIT_NOT_EXCHANGEABLE: u16 = 21;
/// Verdict: a receipt or refusal for an exchange this ledger never offered.
pub const TIMEBANK_VERDICT_UNKNOWN_EXCHANGE: u16 = 22;
/// Verdict: an answer to another offer than the one this ledger made for that exchange.
pub const TIMEBANK_VERDICT_ANSWER_MISMATCH: u16 = 23;
/// Verdict: a receipt for an exchange this ledger already voided (an operator must look).
pub const TIMEBANK_VERDICT_ALREADY_VOIDED: u16 = 24;
/// Verdict: a final refusal for an exchange this ledger already posted (an operator must look).
pub const TIMEBANK_VERDICT_ALREADY_POSTED: u16 = 25;
/// Verdict: the receiver already applied another offer with this exchange id.
pub const TIMEBANK_VERDICT_CONFLICTING_OFFER: u16 = 26;
/// Verdict: a refusal that is not final; the hold stays until a receipt or a final refusal.
pub const TIMEBANK_VERDICT_REFUSAL_NOT_FINAL: u16 = 27;

/// Every verdict number with its NUL-terminated name.
const VERDICT_NAMES: [(u16, &[u8]); 20] = [
    (TIMEBANK_VERDICT_OK, b"ok\0"),
    (TIMEBANK_VERDICT_EXISTS, b"exists\0"),
    (TIMEBANK_VERDICT_MALFORMED, b"malformed\0"),
    (
        TIMEBANK_VERDICT_VERSION_UNSUPPORTED,
        b"version_unsupported\0",
    ),
    (TIMEBANK_VERDICT_UNKNOWN_PEER, b"unknown_peer\0"),
    (TIMEBANK_VERDICT_WRONG_KEY, b"wrong_key\0"),
    (TIMEBANK_VERDICT_FORGED, b"forged\0"),
    (TIMEBANK_VERDICT_NOT_ADDRESSED_HERE, b"not_addressed_here\0"),
    (TIMEBANK_VERDICT_PAST_DEADLINE, b"past_deadline\0"),
    (TIMEBANK_VERDICT_UNIT_UNKNOWN, b"unit_unknown\0"),
    (
        TIMEBANK_VERDICT_AMOUNT_OUTSIDE_SCALE,
        b"amount_outside_scale\0",
    ),
    (
        TIMEBANK_VERDICT_DESTINATION_INVALID,
        b"destination_invalid\0",
    ),
    (TIMEBANK_VERDICT_REFUSED_BY_LEDGER, b"refused_by_ledger\0"),
    (
        TIMEBANK_VERDICT_UNIT_NOT_EXCHANGEABLE,
        b"unit_not_exchangeable\0",
    ),
    (TIMEBANK_VERDICT_UNKNOWN_EXCHANGE, b"unknown_exchange\0"),
    (TIMEBANK_VERDICT_ANSWER_MISMATCH, b"answer_mismatch\0"),
    (TIMEBANK_VERDICT_ALREADY_VOIDED, b"already_voided\0"),
    (TIMEBANK_VERDICT_ALREADY_POSTED, b"already_posted\0"),
    (TIMEBANK_VERDICT_CONFLICTING_OFFER, b"conflicting_offer\0"),
    (TIMEBANK_VERDICT_REFUSAL_NOT_FINAL, b"refusal_not_final\0"),
];

/// The stable snake_case name of an exchange verdict, such as `"forged"` for 14, or
/// `"unknown"`: a static string the caller must not free.
///
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn timebank_exchange_verdict_name(verdict: u16) -> *const c_char {
    boundary::call_or(std::ptr::null(), || {
        let name = VERDICT_NAMES
            .iter()
            .find(|(number, _)| *number == verdict)
            .map_or(&b"unknown\0"[..], |(_, name)| name);
        pointer::static_c_str(name)
    })
}

fn peer_id(value: u64, argument: &str) -> Result<PeerId, Error> {
    PeerId::new(value).ok_or_else(|| Error::invalid(format!("{argument}: a ledger id is not 0")))
}

/// An exchange operation's error as a status. Nothing was written unless the message says so.
fn exchange_error(error: ExchangeError) -> Error {
    use ledger_exchange::{PeerError, SendError};
    let error = match error {
        ExchangeError::Store(e) => return e.into(),
        ExchangeError::Refused(code) => return Error::refused(code),
        other => other,
    };
    let message = error.to_string();
    let status = match &error {
        ExchangeError::Peers(PeerError::Unbound { .. } | PeerError::Format(_)) => Status::Damaged,
        ExchangeError::Peers(_) => Status::InvalidArgument,
        ExchangeError::Send(SendError::UnknownPeer(_) | SendError::NotRegistered(_)) => {
            Status::NotFound
        }
        ExchangeError::Send(SendError::UnitUnknown(_)) => Status::NotFound,
        ExchangeError::Send(SendError::AmountOutsideScale(_)) => Status::InvalidAmount,
        ExchangeError::Send(_) => Status::InvalidArgument,
        ExchangeError::NumberUsed(_) => Status::InvalidArgument,
        ExchangeError::NotSetUp(_) | ExchangeError::OtherOwnId { .. } => Status::InvalidArgument,
        ExchangeError::Corrupted(..) => Status::Damaged,
        _ => Status::Io,
    };
    Error::new(status, message)
}

/// The signing key in the key file `path`: a regular file, outside the data directory `data`,
/// readable by its owner alone, holding 64 hexadecimal characters (as the CLI requires).
fn signer_from_file(path: &str, data: &Path) -> Result<Signer, Error> {
    let what = format!("signing_key_file {path}");
    let io = |e: std::io::Error| {
        let status = match e.kind() {
            std::io::ErrorKind::NotFound => Status::NotFound,
            _ => Status::Io,
        };
        Error::new(status, format!("{what}: {e}"))
    };
    if path.is_empty() {
        return Err(Error::invalid("signing_key_file: empty path"));
    }
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(Error::invalid(format!("{what} is not a regular file")));
    }
    let real = std::fs::canonicalize(path).map_err(io)?;
    let data_real = std::fs::canonicalize(data).map_err(io)?;
    if real.starts_with(&data_real) {
        return Err(Error::invalid(format!(
            "{what} is inside the data directory (a key kept with the ledger is copied with \
             it): keep it elsewhere"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::invalid(format!(
                "{what} can be read or written by other users (mode {mode:04o}): chmod 600 it"
            )));
        }
    }
    let text = std::fs::read(path).map_err(io)?;
    std::str::from_utf8(&text)
        .ok()
        .and_then(Signer::from_hex)
        .ok_or_else(|| Error::invalid(format!("{what} must hold 64 hexadecimal characters")))
}

/// Opens this ledger's side of its exchanges on `store` and writes a new handle to
/// `*exchange_out`, freed with `timebank_exchange_free`.
///
/// `own_id` is this ledger's id in the federation (non-zero, such as the six-digit code of the
/// district it serves); on the first open it creates the exchange files (`exchange/` in the data
/// directory: the peer list and the offers made), later it must be the id they hold, or 0 to
/// take it from them. The signing key is either `signing_key`, `TIMEBANK_EXCHANGE_KEY_BYTES`
/// raw bytes (the Ed25519 seed), or `signing_key_file`, the path of a key file as the CLI's
/// `--signing-key-file` reads it (64 hexadecimal characters; a regular file outside the data
/// directory, readable by its owner alone): exactly one of the two. Opening voids the holds of
/// exchanges whose offer was never recorded (a crash between the two), journaled at `now`
/// (0: the system clock).
///
/// One exchange handle per store: a second before the first is freed is `BUSY`, as is an open
/// when `TIMEBANK_EXCHANGES_OPEN_MAX` exchange handles are live in the process. Every call on
/// the exchange enters its store, so a closed store is `CLOSED` and a freed one
/// `INVALID_HANDLE`.
///
/// Errors: `NULL_POINTER` when neither key is given; `INVALID_ARGUMENT` when both are, for an
/// `own_id` of 0 with no exchange files yet, an `own_id` other than the files', a key file
/// inside the data directory, readable by others, or not holding a key; `NOT_FOUND` for a key
/// file that does not exist; `DAMAGED` when the exchange files disagree with the journal or are
/// damaged; `BUSY` (see above); `IO`.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `store` is NULL or a live handle; `signing_key` is NULL or points to
/// `TIMEBANK_EXCHANGE_KEY_BYTES` readable bytes; `signing_key_file` is NULL or a NUL-terminated
/// string; `exchange_out` and `error_out` are NULL or valid for a write of one pointer.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_open(
    store: *const timebank_store,
    own_id: u64,
    signing_key: *const u8,
    signing_key_file: *const c_char,
    now: u64,
    exchange_out: *mut *mut timebank_exchange,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let call = handle::enter(store)?;
        let open = call.open()?;
        // SAFETY: the contract above covers `signing_key`, `signing_key_file` and
        // `exchange_out`.
        let key = unsafe { pointer::optional_array_arg::<u8, 32>(signing_key) };
        // SAFETY: as above.
        let key_file = unsafe { pointer::optional_str_arg(signing_key_file, "signing_key_file") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(exchange_out, "exchange_out") }?;
        let signer = match (key, key_file) {
            (Some(key), None) => Signer::from_seed(key),
            (None, Some(path)) => signer_from_file(path, open.dir())?,
            (None, None) => return Err(Error::null("signing_key or signing_key_file")),
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "give signing_key or signing_key_file, not both",
                ))
            }
        };
        let own = (own_id != 0)
            .then(|| peer_id(own_id, "own_id"))
            .transpose()?;
        exchange_handle::check_none_open(store)?;
        let public_key = signer.public_key();
        let exchange =
            Exchange::open(&open, own, signer, now_or_clock(now)).map_err(exchange_error)?;
        out.write(exchange_handle::register(store, exchange, public_key)?);
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Releases an exchange handle (the exchange files stay; open it again to go on). NULL, a
/// freed or a never-made handle does nothing. It does not wait: a call in flight on another
/// thread runs to its end, and the exchange is released when it returns; later calls with the
/// handle are `INVALID_HANDLE`. Freeing the store does not free its exchange handle: free both.
///
/// Thread safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn timebank_exchange_free(exchange: *mut timebank_exchange) {
    boundary::call_or((), || {
        exchange_handle::unregister(exchange);
    })
}

/// Registers the peer ledger `peer_id` with its public key `public_key` (64 lower-case
/// hexadecimal characters, the Ed25519 key its messages are signed with;
/// `timebank_signing_key_public` with `"standard"` gives it from the peer's signing key):
/// journals a clearing account per unit for it (at `now`, 0: the system clock), then adds it to
/// the peer list. Registering a peer again with the same key changes nothing.
///
/// Errors: `INVALID_ARGUMENT` for a zero id, this ledger's own id, a key that is not an Ed25519
/// public key in hex, a peer registered with another key, or more than 1,024 peers; `REFUSED`
/// when the ledger refuses a clearing account (its result code in the message).
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// `exchange` is NULL or a live handle; `public_key` is NULL or a NUL-terminated string;
/// `error_out` is NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_add_peer(
    exchange: *const timebank_exchange,
    peer_id: u64,
    public_key: *const c_char,
    now: u64,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `public_key`.
        let key = unsafe { pointer::str_arg(public_key, "public_key") }?;
        let id = self::peer_id(peer_id, "peer_id")?;
        let key = PublicKey::from_hex(key).ok_or_else(|| {
            Error::invalid("public_key: 64 hexadecimal characters of an Ed25519 public key")
        })?;
        exchange_handle::with_exchange(exchange, |store, exchange, _| {
            exchange
                .add_peer(store, Peer { id, key }, now_or_clock(now))
                .map_err(exchange_error)
        })
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Writes this ledger's id and public key and its peers to `*json_out` as JSON, freed with
/// `timebank_string_free`:
///
/// `{"own":310101,"peers":[{"id":310104,"public_key":"<64 hex>"}],"public_key":"<64 hex>"}`
///
/// Peers are in order of id. Writes nothing to the ledger.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// `exchange` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a
/// write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_peers(
    exchange: *const timebank_exchange,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers `json_out` and `error_out`.
    unsafe {
        write_report(exchange, json_out, error_out, |_, exchange, public_key| {
            let peers: Vec<Value> = exchange
                .peers()
                .iter()
                .map(|p| json!({ "id": p.id.get(), "public_key": p.key.to_hex() }))
                .collect();
            json!({
                "own": exchange.own().get(),
                "public_key": public_key.to_hex(),
                "peers": peers,
            })
        })
    }
}

/// The unit `unit` of the store, or `NOT_FOUND`; with its scale.
fn unit_scale(store: &Store, unit: UnitId) -> Result<u32, Error> {
    store
        .read(|l| l.unit(unit).map(|u| u.scale))
        .ok_or_else(|| Error::new(Status::NotFound, format!("unit {unit} does not exist")))
}

/// The arguments of a send or a move, checked.
struct Request<'a> {
    number: u64,
    to: u64,
    unit: UnitId,
    source: &'a timebank_id,
    destination: &'a timebank_id,
    deadline: u64,
}

impl Request<'_> {
    fn build(&self, amount: Amount) -> Result<SendRequest, Error> {
        Ok(SendRequest {
            number: self.number,
            to: peer_id(self.to, "to")?,
            unit: self.unit,
            amount,
            source: self.source.account("source")?,
            destination: self.destination.account("destination")?,
            deadline: self.deadline,
        })
    }
}

/// Sends `amount` (plain decimal text, at most the unit's decimals) of unit `unit` from the
/// member account `source` here to the account `destination` on the peer ledger `to`: holds the
/// hours (pending, journaled at `now`, 0: the system clock) and writes the signed offer to
/// `*message_out`, its JSON form, freed with `timebank_string_free`. Deliver it to the peer
/// (`timebank_exchange_receive` there), which answers with a receipt or a refusal to deliver
/// back here. `number` names the exchange among this ledger's (never reuse one: the host's own
/// sequence, say); `deadline` (nanoseconds since the Unix epoch, after `now`) is when the peer
/// stops accepting the offer.
///
/// Sending the same request again (the same number and arguments) writes the same offer again
/// and changes nothing: deliver it as often as need be, duplicates are harmless.
///
/// Errors: `INVALID_ARGUMENT` for a zero `to` or account id, a deadline not after `now`, a unit
/// the policy gives no clearing code, or a `number` used before for another request (or whose
/// offer was voided); `NOT_FOUND` for a unit that does not exist or a peer that is not
/// registered; `INVALID_AMOUNT` for an amount that is not a plain positive decimal within the
/// unit's scale; `REFUSED` when the ledger refuses the hold (its result code in the message,
/// such as `exceeds_floor` or an unknown source account; the attempt is journaled).
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// `exchange` is NULL or a live handle; `amount` is NULL or a NUL-terminated string; `source`
/// and `destination` are NULL or point to one `timebank_id`; `message_out` and `error_out` are
/// NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_send(
    exchange: *const timebank_exchange,
    number: u64,
    to: u64,
    unit: u16,
    amount: *const c_char,
    source: *const timebank_id,
    destination: *const timebank_id,
    deadline: u64,
    now: u64,
    message_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `amount`, `source`, `destination` and
        // `message_out`.
        let amount = unsafe { pointer::str_arg(amount, "amount") }?;
        // SAFETY: as above.
        let source = unsafe { pointer::ref_arg(source, "source") }?;
        // SAFETY: as above.
        let destination = unsafe { pointer::ref_arg(destination, "destination") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(message_out, "message_out") }?;
        let request = Request {
            number,
            to,
            unit,
            source,
            destination,
            deadline,
        };
        let offer = exchange_handle::with_exchange(exchange, |store, exchange, _| {
            let scale = unit_scale(store, unit)?;
            let amount = crate::amount::parse(amount, scale, "amount")?;
            let request = request.build(amount)?;
            exchange
                .send(store, &request, now_or_clock(now))
                .map_err(exchange_error)
        })?;
        out.write(pointer::owned_string(&offer.to_json()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Moves a member to the peer ledger `to`: holds the whole posted balance of `source` in unit
/// `unit` and writes the signed offer with state (the balance's expiries here, what the member
/// earned here in all, their eligibility date) to `*message_out`, as `timebank_exchange_send`
/// does. The peer credits `destination` keeping that state, so moving never resets a cap or
/// revives expired points. The same request again writes the same offer and changes nothing.
///
/// Errors: as `timebank_exchange_send`, and `NOT_FOUND` for a `source` that does not exist,
/// `INVALID_ARGUMENT` when its balance is not positive (nothing to move) or part of it is held.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// As `timebank_exchange_send`, without `amount`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_move_member(
    exchange: *const timebank_exchange,
    number: u64,
    to: u64,
    unit: u16,
    source: *const timebank_id,
    destination: *const timebank_id,
    deadline: u64,
    now: u64,
    message_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        // SAFETY: the contract above covers `source`, `destination` and `message_out`.
        let source = unsafe { pointer::ref_arg(source, "source") }?;
        // SAFETY: as above.
        let destination = unsafe { pointer::ref_arg(destination, "destination") }?;
        // SAFETY: as above.
        let out = unsafe { pointer::out_arg(message_out, "message_out") }?;
        let request = Request {
            number,
            to,
            unit,
            source,
            destination,
            deadline,
        };
        let offer = exchange_handle::with_exchange(exchange, |store, exchange, _| {
            let scale = unit_scale(store, unit)?;
            let account = source.account("source")?;
            let balance = store
                .account(account)
                .ok_or_else(|| {
                    Error::new(
                        Status::NotFound,
                        format!("account {account} does not exist"),
                    )
                })?
                .posted();
            let amount = Amount::from_decimal_in(balance, scale).map_err(|_| {
                Error::invalid(format!(
                    "account {account} has a balance of {balance}: nothing to move"
                ))
            })?;
            let request = request.build(amount)?;
            exchange
                .move_member(store, &request, now_or_clock(now))
                .map_err(exchange_error)
        })?;
        out.write(pointer::owned_string(&offer.to_json()));
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// Handles a message from a peer, `message_len` bytes in either form (canonical bytes, or the
/// JSON form the calls here return): an offer is credited or refused, a receipt posts the hold
/// it answers, a final refusal voids it. Journals at `now` (0: the system clock).
///
/// Returns `OK` whenever the message was handled, whatever was decided: `*verdict_out` says
/// what (a `TIMEBANK_VERDICT_*` number; `timebank_exchange_verdict_name` names it),
/// `*ledger_code_out` the ledger's result code when the verdict is `refused_by_ledger` (else
/// 0), and `*reply_out` the answer to deliver back to the message's sender (JSON, freed with
/// `timebank_string_free`), or NULL when there is none. `ok`: applied. `exists`: applied before
/// (a replayed or duplicated message), nothing changed; for an offer the reply is the receipt
/// again. Any other verdict is a refusal, and no balance changed: a malformed, forged or
/// misaddressed message, or one from an unknown peer or signed with another key, changes
/// nothing at all (not even the journal). Every offer refused is answered with a signed
/// refusal carrying the verdict; a final one (`past_deadline`, `unit_unknown`,
/// `amount_outside_scale`, `destination_invalid`, `refused_by_ledger`,
/// `unit_not_exchangeable`) voids the hold when it reaches the sender, the others leave it
/// held. Before a `past_deadline` refusal the ledger journals `now` by running its expiry at
/// `now` (as `timebank_store_expire` does: holds whose timeout has passed are released, the
/// policy's sweeps run), so that the offer can never be applied after the refusal; for
/// `refused_by_ledger` the refused credit is journaled (no balance changes). A receipt or refusal is never answered (`*reply_out` NULL), nor is a message that
/// is not one.
///
/// Errors (the message was not handled; deliver it again later): `INVALID_ARGUMENT` when
/// `message_len` is above `TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX` (nothing is read); `NULL_POINTER`
/// for a NULL `message` with a non-zero length; `IO`.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// `exchange` is NULL or a live handle; `message` is NULL or points to `message_len` readable
/// bytes; `verdict_out` and `ledger_code_out` are NULL or valid for a write of one `uint16_t`;
/// `reply_out` and `error_out` are NULL or valid for a write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_receive(
    exchange: *const timebank_exchange,
    message: *const u8,
    message_len: u64,
    now: u64,
    verdict_out: *mut u16,
    ledger_code_out: *mut u16,
    reply_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    let body = || {
        let len = usize::try_from(message_len)
            .ok()
            .filter(|n| *n <= TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "message_len must be at most {TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX}, not \
                     {message_len}; nothing was read"
                ))
            })?;
        // SAFETY: the contract above covers `message`, the out-params.
        let bytes = unsafe { pointer::slice_arg(message, len, "message") }?;
        // SAFETY: as above.
        let verdict_out = unsafe { pointer::out_arg(verdict_out, "verdict_out") }?;
        // SAFETY: as above.
        let code_out = unsafe { pointer::out_arg(ledger_code_out, "ledger_code_out") }?;
        // SAFETY: as above.
        let reply_out = unsafe { pointer::out_arg(reply_out, "reply_out") }?;
        let received = exchange_handle::with_exchange(exchange, |store, exchange, _| {
            exchange
                .receive(store, bytes, now_or_clock(now))
                .map_err(exchange_error)
        })?;
        verdict_out.write(received.verdict as u16);
        code_out.write(received.ledger_code.map_or(0, |c| c as u16));
        reply_out.write(match &received.reply {
            Some(reply) => pointer::owned_string(&reply.to_json()),
            None => std::ptr::null_mut(),
        });
        Ok(())
    };
    // SAFETY: the contract above covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

/// A message's JSON form as a JSON value (to put several in one array).
fn message_value(message: &Message) -> Value {
    // Invariant: `to_json` writes a JSON object.
    serde_json::from_str(&message.to_json()).expect("a message's JSON form parses")
}

/// Writes the offers whose deadline is before `now` (0: the system clock) and whose hold is
/// still pending to `*json_out`, a JSON array of messages in their JSON form (oldest number
/// first; `[]` when none), freed with `timebank_string_free`. Deliver each to its peer again:
/// the peer answers with its receipt (it credited in time and the receipt was lost) or a final
/// `past_deadline` refusal, and receiving that answer here posts or voids the hold. The sender
/// never voids on its own clock. Writes nothing to the ledger.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// `exchange` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a
/// write of one `char *`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_expire(
    exchange: *const timebank_exchange,
    now: u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers `json_out` and `error_out`.
    unsafe {
        write_report(exchange, json_out, error_out, |store, exchange, _| {
            let due = exchange.expire(store, now_or_clock(now));
            Value::Array(due.iter().map(message_value).collect())
        })
    }
}

/// Writes every offer of this ledger whose hold is still pending (oldest number first) to
/// `*json_out` as a JSON array, freed with `timebank_string_free`:
///
/// `[{"amount":"2.50","deadline":1767229200000000000,"destination":"7","number":1,
/// "offer":{...},"source":"2","to":310104,"unit":1}]`
///
/// Account ids are decimal strings (they are 128-bit), the amount is at the unit's scale, and
/// `offer` is the signed offer in its JSON form (to deliver again). Writes nothing.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// As `timebank_exchange_expire`, without `now`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_pending(
    exchange: *const timebank_exchange,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers `json_out` and `error_out`.
    unsafe {
        write_report(exchange, json_out, error_out, |store, exchange, _| {
            Value::Array(
                exchange
                    .pending(store)
                    .iter()
                    .map(|p| {
                        let r = &p.request;
                        let scale = store.read(|l| l.unit(r.unit).map_or(0, |u| u.scale));
                        json!({
                            "number": r.number,
                            "to": r.to.get(),
                            "unit": r.unit,
                            "amount": at_scale(r.amount.value(), scale),
                            "source": r.source.get().to_string(),
                            "destination": r.destination.get().to_string(),
                            "deadline": r.deadline,
                            "offer": message_value(&p.offer),
                        })
                    })
                    .collect(),
            )
        })
    }
}

/// Writes what this ledger owes each peer, or is owed, per unit (the settlement report) to
/// `*json_out` as a JSON array ordered by peer then unit, freed with `timebank_string_free`:
///
/// `[{"held_outgoing":"0.00","owed_to_peer":"2.50","peer":310104,"unit":1}]`
///
/// `owed_to_peer` is the clearing account's posted balance: positive when this ledger owes the
/// peer (its members' hours were honoured there), negative when the peer owes this ledger; per
/// unit, a pair of peers' figures for each other sum to zero once their exchanges settle.
/// `held_outgoing` is what is held for offers to the peer not yet answered. Decimals are
/// strings at the unit's scale. Writes nothing.
///
/// Thread safety: calls on one exchange run one at a time; any thread may make them.
///
/// # Safety
/// As `timebank_exchange_pending`.
#[no_mangle]
pub unsafe extern "C" fn timebank_exchange_positions(
    exchange: *const timebank_exchange,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> Status {
    // SAFETY: the contract above covers `json_out` and `error_out`.
    unsafe {
        write_report(exchange, json_out, error_out, |store, exchange, _| {
            Value::Array(
                exchange
                    .positions(store)
                    .iter()
                    .map(|p| {
                        let scale = store.read(|l| l.unit(p.unit).map_or(0, |u| u.scale));
                        json!({
                            "peer": p.peer.get(),
                            "unit": p.unit,
                            "owed_to_peer": at_scale(p.owed_to_peer, scale),
                            "held_outgoing": at_scale(p.held_outgoing, scale),
                        })
                    })
                    .collect(),
            )
        })
    }
}

/// Writes the JSON value `report` makes from the exchange to `*json_out` (freed with
/// `timebank_string_free`): the shared body of the report calls. `json_out` is checked before
/// the handle, as every call checks its out-arguments first.
///
/// # Safety
/// `json_out` and `error_out` are NULL or valid for a write of one `char *`.
unsafe fn write_report(
    exchange: *const timebank_exchange,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
    report: impl FnOnce(&Store, &mut Exchange, &PublicKey) -> Value,
) -> Status {
    let body = || {
        // SAFETY: the caller's contract covers `json_out`.
        let out = unsafe { pointer::out_arg(json_out, "json_out") }?;
        let value = exchange_handle::with_exchange(exchange, |store, exchange, key| {
            Ok(report(store, exchange, key))
        })?;
        out.write(pointer::owned_string(&value.to_string()));
        Ok(())
    };
    // SAFETY: the caller's contract covers `error_out`.
    unsafe { boundary::call(error_out, body) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_exchange::Verdict;

    #[test]
    fn verdict_numbers_and_names_are_the_protocols() {
        assert_eq!(VERDICT_NAMES.len(), Verdict::ALL.len());
        for (verdict, (number, name)) in Verdict::ALL.iter().zip(VERDICT_NAMES) {
            assert_eq!(*verdict as u16, number);
            assert_eq!(&name[..name.len() - 1], verdict.name().as_bytes());
            // SAFETY: the names are static NUL-terminated strings.
            let got = unsafe { std::ffi::CStr::from_ptr(timebank_exchange_verdict_name(number)) };
            assert_eq!(got.to_str().unwrap(), verdict.name());
        }
        // SAFETY: as above.
        let unknown = unsafe { std::ffi::CStr::from_ptr(timebank_exchange_verdict_name(2)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
        // The header states the longest message's bytes.
        assert_eq!(ledger_exchange::MESSAGE_BYTES_MAX, 530);
        const _: () =
            assert!(ledger_exchange::MESSAGE_BYTES_MAX < TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX);
    }
}
