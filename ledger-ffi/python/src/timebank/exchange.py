"""Hours moving between ledgers (通存通兑): this ledger's side of its exchanges with other
ledgers, opened on a ``Store``. The sending ledger holds a member's hours and returns a signed
offer; the receiving ledger credits its member and returns a signed receipt; the sender posts its
hold on the receipt. Carrying the messages (HTTP, a queue, files) is the host's: they are
``bytes`` (the JSON form), and ``receive`` reads either form (JSON or canonical bytes).

>>> # a = Exchange(store_a, 310101, signing_key=key_a); a.add_peer(310104, public_key_b)
>>> # offer = a.send(1, to=310104, unit=1, amount="2.5", source=2, destination=7,
>>> #                deadline=now + 3600 * 10**9)
>>> # receipt = b.receive(offer).reply        # at the other ledger
>>> # a.receive(receipt)                       # A posts its hold
"""

from __future__ import annotations

import ctypes
import json
import weakref
from ctypes import POINTER, byref, c_char_p, c_int32, c_uint16, c_uint64, c_void_p
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any, Callable, Dict, List, Optional, Union

from . import _arguments as A
from . import _structs as S
from ._library import bound, raise_for, take_string
from .amount import AmountLike, amount_text
from .errors import InvalidArgumentError
from .store import Id, PathLike, Store

EXCHANGE_KEY_BYTES = 32
"""The length of an exchange signing key: the Ed25519 seed."""
MESSAGE_BYTES_MAX = 65536
"""The longest message ``Exchange.receive`` reads, in either form."""

_status = c_int32
_error_out = POINTER(c_void_p)
_id = POINTER(S.TimebankId)
_out = POINTER(c_void_p)
_u16_out = POINTER(c_uint16)

# name: (argument types, return type). Mirrors include/timebank.h.
_SIGNATURES = {
    "timebank_exchange_verdict_name": ((c_uint16,), c_char_p),
    "timebank_exchange_open": (
        (c_void_p, c_uint64, c_char_p, c_char_p, c_uint64, _out, _error_out),
        _status,
    ),
    "timebank_exchange_free": ((c_void_p,), None),
    "timebank_exchange_add_peer": ((c_void_p, c_uint64, c_char_p, c_uint64, _error_out), _status),
    "timebank_exchange_peers": ((c_void_p, _out, _error_out), _status),
    "timebank_exchange_send": (
        (
            c_void_p, c_uint64, c_uint64, c_uint16, c_char_p, _id, _id, c_uint64, c_uint64,
            _out, _error_out,
        ),
        _status,
    ),
    "timebank_exchange_move_member": (
        (c_void_p, c_uint64, c_uint64, c_uint16, _id, _id, c_uint64, c_uint64, _out, _error_out),
        _status,
    ),
    "timebank_exchange_receive": (
        (c_void_p, c_char_p, c_uint64, c_uint64, _u16_out, _u16_out, _out, _error_out),
        _status,
    ),
    "timebank_exchange_expire": ((c_void_p, c_uint64, _out, _error_out), _status),
    "timebank_exchange_pending": ((c_void_p, _out, _error_out), _status),
    "timebank_exchange_positions": ((c_void_p, _out, _error_out), _status),
}


def _lib() -> ctypes.CDLL:
    return bound(_SIGNATURES)


class Verdict(IntEnum):
    """What a ledger decided about an exchange message (stable numbers, the C ABI's
    ``TIMEBANK_VERDICT_*``). ``OK`` and ``EXISTS`` mean it was honoured (``EXISTS``: before,
    nothing changed); every other verdict is a refusal that changed no balance."""

    OK = 0
    EXISTS = 1
    MALFORMED = 10
    VERSION_UNSUPPORTED = 11
    UNKNOWN_PEER = 12
    WRONG_KEY = 13
    FORGED = 14
    NOT_ADDRESSED_HERE = 15
    PAST_DEADLINE = 16
    UNIT_UNKNOWN = 17
    AMOUNT_OUTSIDE_SCALE = 18
    DESTINATION_INVALID = 19
    REFUSED_BY_LEDGER = 20
    UNIT_NOT_EXCHANGEABLE = 21
    UNKNOWN_EXCHANGE = 22
    ANSWER_MISMATCH = 23
    ALREADY_VOIDED = 24
    ALREADY_POSTED = 25
    CONFLICTING_OFFER = 26
    REFUSAL_NOT_FINAL = 27

    @property
    def stable_name(self) -> str:
        """The library's snake_case name, such as ``"forged"``."""
        return str(_lib().timebank_exchange_verdict_name(int(self)).decode("ascii"))


@dataclass(frozen=True)
class Received:
    """What ``Exchange.receive`` decided: the verdict, the ledger's result code when the
    verdict is ``REFUSED_BY_LEDGER`` (else None), and the reply to carry back to the message's
    sender (a receipt or a refusal, for an offer), or None."""

    verdict: Verdict
    ledger_code: Optional[int]
    reply: Optional[bytes]

    @property
    def honoured(self) -> bool:
        """Whether the message was applied, now or before."""
        return self.verdict in (Verdict.OK, Verdict.EXISTS)


@dataclass(frozen=True)
class Position:
    """This ledger's position with one peer in one unit: ``owed_to_peer`` is positive when this
    ledger owes the peer, negative when the peer owes it; ``held_outgoing`` is held for offers
    not yet answered."""

    peer: int
    unit: int
    owed_to_peer: Decimal
    held_outgoing: Decimal


@dataclass(frozen=True)
class PendingExchange:
    """An offer of this ledger whose hold is still pending, and the offer to deliver again."""

    number: int
    to: int
    unit: int
    amount: Decimal
    source: int
    destination: int
    deadline: int
    offer: bytes


def _message_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"message must be bytes or str, not {type(value).__name__}")


def _signing_key(key: object) -> Optional[bytes]:
    if key is None:
        return None
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"signing_key must be bytes, not {type(key).__name__}")
    raw = bytes(key)
    if len(raw) != EXCHANGE_KEY_BYTES:
        raise InvalidArgumentError(
            f"signing_key must be {EXCHANGE_KEY_BYTES} bytes, not {len(raw)}"
        )
    return raw


class Exchange:
    """This ledger's side of its exchanges, on ``store``. ``own_id`` is the ledger's id in the
    federation (needed the first time; None afterwards takes it from the exchange files). The
    signing key is ``signing_key`` (32 raw bytes, the Ed25519 seed) or ``signing_key_file``
    (the key file the CLI reads: 64 hex characters, outside the data directory, mode 0600):
    exactly one. One ``Exchange`` per store at a time (another raises ``BusyError``); close it
    (or use ``with``) to open another. ``now`` arguments are nanoseconds since the Unix epoch,
    or 0 for the system clock."""

    def __init__(
        self,
        store: Store,
        own_id: Optional[int] = None,
        *,
        signing_key: Optional[bytes] = None,
        signing_key_file: Optional[PathLike] = None,
        now: int = 0,
    ) -> None:
        if not isinstance(store, Store):
            raise TypeError(f"store must be a timebank.Store, not {type(store).__name__}")
        self._lib = _lib()
        own = 0 if own_id is None else A.integer(own_id, "own_id", 1, A.U64_MAX)
        key = _signing_key(signing_key)
        key_file = (
            None if signing_key_file is None else A.path(signing_key_file, "signing_key_file")
        )
        handle, error = c_void_p(), c_void_p()
        status = self._lib.timebank_exchange_open(
            store._handle, own, key, key_file, A.u64(now, "now"), byref(handle), byref(error)
        )
        if status:
            raise_for(status, error)
        # The store stays referenced (and so open to calls) while its exchange lives.
        self._store = store
        self._handle = handle
        self._finalizer = weakref.finalize(self, self._lib.timebank_exchange_free, handle)

    def __enter__(self) -> "Exchange":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the handle (the exchange files stay); later calls raise
        ``InvalidHandleError``. Closing twice is fine."""
        self._finalizer()

    def _call(self, function: Callable[..., int], *args: Any) -> None:
        error = c_void_p()
        status = function(self._handle, *args, byref(error))
        if status:
            raise_for(status, error)

    def _string(self, function: Callable[..., int], *args: Any) -> str:
        out = c_void_p()
        self._call(function, *args, byref(out))
        return take_string(out)

    def add_peer(self, peer_id: int, public_key: str, now: int = 0) -> None:
        """Registers the peer ledger ``peer_id`` with its public key (64 hex characters:
        ``timebank.signing_public_key("standard", its_key)``); journals a clearing account per
        unit for it. The same peer and key again changes nothing; another key raises
        ``InvalidArgumentError``."""
        self._call(
            self._lib.timebank_exchange_add_peer,
            A.integer(peer_id, "peer_id", 1, A.U64_MAX),
            A.text(public_key, "public_key"),
            A.u64(now, "now"),
        )

    def peers(self) -> Dict[str, Any]:
        """This ledger's id and public key and its peers:
        ``{"own": 310101, "public_key": "...", "peers": [{"id": 310104, "public_key": "..."}]}``."""
        return dict(json.loads(self._string(self._lib.timebank_exchange_peers)))

    @property
    def own_id(self) -> int:
        """This ledger's id in the federation."""
        return int(self.peers()["own"])

    @property
    def public_key(self) -> str:
        """The public key this ledger's messages are signed with (hex), for its peers."""
        return str(self.peers()["public_key"])

    def send(
        self,
        number: int,
        to: int,
        unit: int,
        amount: AmountLike,
        source: Id,
        destination: Id,
        deadline: int,
        now: int = 0,
    ) -> bytes:
        """Holds ``amount`` of ``unit`` of the member ``source`` here for ``destination`` on the
        peer ledger ``to`` and returns the signed offer to deliver there. ``number`` names the
        exchange among this ledger's (never reuse one); ``deadline`` (nanoseconds) is when the
        peer stops accepting it. The same request again returns the same offer and changes
        nothing."""
        return self._string(
            self._lib.timebank_exchange_send,
            A.u64(number, "number"),
            A.integer(to, "to", 1, A.U64_MAX),
            A.u16(unit, "unit"),
            A.amount_bytes(amount_text(amount, "amount"), "amount"),
            byref(S.TimebankId.of(source, "source")),
            byref(S.TimebankId.of(destination, "destination")),
            A.u64(deadline, "deadline"),
            A.u64(now, "now"),
        ).encode("utf-8")

    def move_member(
        self,
        number: int,
        to: int,
        unit: int,
        source: Id,
        destination: Id,
        deadline: int,
        now: int = 0,
    ) -> bytes:
        """Moves the member ``source`` to the peer ledger ``to``: holds their whole balance in
        ``unit`` and returns the signed offer with the state the rules need (expiries, lifetime
        earnings, eligibility date), as ``send`` does."""
        return self._string(
            self._lib.timebank_exchange_move_member,
            A.u64(number, "number"),
            A.integer(to, "to", 1, A.U64_MAX),
            A.u16(unit, "unit"),
            byref(S.TimebankId.of(source, "source")),
            byref(S.TimebankId.of(destination, "destination")),
            A.u64(deadline, "deadline"),
            A.u64(now, "now"),
        ).encode("utf-8")

    def receive(self, message: Union[bytes, str], now: int = 0) -> Received:
        """Handles a message from a peer (either form): an offer is credited or refused, a
        receipt posts the hold it answers, a final refusal voids it. Returns the verdict (a
        refused message raises nothing: its verdict says why, and it changed no balance) and
        the reply to carry back, if any. A message longer than ``MESSAGE_BYTES_MAX`` raises
        ``InvalidArgumentError``."""
        raw = _message_bytes(message)
        verdict, code, reply = c_uint16(), c_uint16(), c_void_p()
        self._call(
            self._lib.timebank_exchange_receive,
            raw,
            len(raw),
            A.u64(now, "now"),
            byref(verdict),
            byref(code),
            byref(reply),
        )
        answer = take_string(reply).encode("utf-8") if reply.value else None
        return Received(Verdict(verdict.value), code.value or None, answer)

    def expire(self, now: int = 0) -> List[bytes]:
        """The offers past their deadline whose hold is still pending, to deliver again: the
        peer answers with its receipt or a final refusal, which posts or voids the hold here."""
        due = json.loads(self._string(self._lib.timebank_exchange_expire, A.u64(now, "now")))
        return [json.dumps(message).encode("utf-8") for message in due]

    def pending(self) -> List[PendingExchange]:
        """Every offer of this ledger whose hold is still pending, oldest number first."""
        rows = json.loads(self._string(self._lib.timebank_exchange_pending))
        return [
            PendingExchange(
                number=int(r["number"]),
                to=int(r["to"]),
                unit=int(r["unit"]),
                amount=Decimal(r["amount"]),
                source=int(r["source"]),
                destination=int(r["destination"]),
                deadline=int(r["deadline"]),
                offer=json.dumps(r["offer"]).encode("utf-8"),
            )
            for r in rows
        ]

    def positions(self) -> List[Position]:
        """What this ledger owes each peer, or is owed, per unit (ordered by peer, then unit)."""
        rows = json.loads(self._string(self._lib.timebank_exchange_positions))
        return [
            Position(
                peer=int(r["peer"]),
                unit=int(r["unit"]),
                owed_to_peer=Decimal(r["owed_to_peer"]),
                held_outgoing=Decimal(r["held_outgoing"]),
            )
            for r in rows
        ]
