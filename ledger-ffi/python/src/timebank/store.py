"""The durable ledger store: accounts, transfers, the time-bank operations, reports.

A ``Store`` may be shared by several threads: the library is thread-safe, and calls release the
GIL while they run, so concurrent submissions share one journal write and sync.
"""

from __future__ import annotations

import ctypes
import json
import os
import struct
import warnings
import weakref
from ctypes import byref, c_size_t, c_uint16, c_void_p
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, IntFlag
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from . import _structs as S
from . import _arguments as A
from ._library import library, raise_for, take_string
from .amount import AmountLike, amount_text
from .errors import InvalidArgumentError, TimebankError

Id = int
"""Ids are ints from 1 to 2**128 - 1, chosen by the host (a UUID's ``.int`` fits)."""

BATCH_MAX = 8190
"""Most accounts or transfers in one batch."""

STATEMENT_LIMIT_MAX = 1000
"""Most lines in one statement page."""

PathLike = Union[str, "os.PathLike[str]"]


class AccountKind(IntEnum):
    MEMBER = 1
    GROUP = 2
    ISSUER = 3
    GUARANTEE = 4
    CLEARING = 5
    REDEMPTION = 6
    EXPIRY = 7
    DONATION = 8


class TransferFlags(IntFlag):
    NONE = 0
    LINKED = 1
    PENDING = 2
    POST_PENDING = 4
    VOID_PENDING = 8
    BALANCING_DEBIT = 16
    BALANCING_CREDIT = 32
    CLOSING_DEBIT = 64
    CLOSING_CREDIT = 128
    REVERSAL = 256


class TransferState(IntEnum):
    POSTED = 1
    PENDING = 2
    PENDING_POSTED = 3
    PENDING_VOIDED = 4
    PENDING_EXPIRED = 5


@dataclass(frozen=True)
class NewAccount:
    """A request to open an account; limits are in the unit's minor units (None: the default)."""

    id: Id
    unit: int
    kind: AccountKind
    community: int = 0
    user_data: int = 0
    eligible_from: int = 0
    floor_minor: Optional[int] = None
    no_floor: bool = False
    ceiling_minor: Optional[int] = None


@dataclass(frozen=True)
class Account:
    id: Id
    unit: int
    kind: AccountKind
    community: int
    user_data: int
    timestamp: int
    eligible_from: int
    closed: bool
    floor: Optional[Decimal]
    ceiling: Optional[Decimal]
    debits_pending: Decimal
    debits_posted: Decimal
    credits_pending: Decimal
    credits_posted: Decimal
    balance: Decimal
    """Posted credits minus posted debits: what the account holds."""
    available: Decimal
    """The balance less pending debits (holds)."""


@dataclass(frozen=True)
class Transfer:
    """A transfer request with a decimal amount (None: as in the pending transfer)."""

    id: Id
    debit_account_id: Id = 0
    credit_account_id: Id = 0
    amount: Optional[AmountLike] = None
    unit: int = 0
    code: int = 0
    flags: int = 0
    related_id: Id = 0
    timeout_s: int = 0
    user_data: int = 0


@dataclass(frozen=True)
class TransferRecord:
    id: Id
    debit_account_id: Id
    credit_account_id: Id
    amount: Decimal
    unit: int
    code: int
    flags: TransferFlags
    state: TransferState
    timestamp: int
    related_id: Id
    reversed_by: Id
    timeout_s: int
    user_data: int


@dataclass(frozen=True)
class StatementLine:
    transfer_id: Id
    counterparty: Id
    timestamp: int
    code: int
    amount: Decimal
    """Positive for a credit, negative for a debit."""
    balance: Decimal
    reversal: bool


@dataclass(frozen=True)
class StatementPage:
    opening_balance: Decimal
    lines: List[StatementLine]
    next_from: Optional[int]
    """The ``start`` of the next page, or None on the last one."""


@dataclass(frozen=True)
class StoreStatus:
    head_sequence: int
    journal_bytes: int
    accounts: int
    transfers: int
    indexed_sequence: int
    head_hash: bytes
    state_digest: bytes


@dataclass(frozen=True)
class OperationOutcome:
    """What a domain operation did, as the ledger remembers it under the operation's id."""

    timestamp: int
    """The ledger's timestamp of its first event (0 when it was refused)."""
    transfers: int
    """How many transfers it made: ids ``id``, ``id + 1``, ..."""
    closed: int
    """How many empty accounts it closed (a closing)."""
    code: int
    """0 when it applied, else the result code it was refused with (``RefusedError.code``)."""


@dataclass(frozen=True)
class Attribution:
    """Who ran the command that made a transfer: the host's operator id (0: not given) and its
    reason code (None: none given)."""

    operator: int
    reason: Optional[int]


@dataclass(frozen=True)
class VerifyReport:
    records: int
    journal_bytes: int
    checkpoints_verified: int
    head_sequence: int
    macs_checked: bool
    index_checked: bool
    head_hash: bytes
    state_digest: bytes


_TRANSFER_LAYOUT = struct.Struct("<10QQIHHH6x")
assert _TRANSFER_LAYOUT.size == ctypes.sizeof(S.TransferIn)
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF


class TransferBatch:
    """A batch of transfers packed straight into the C layout: the fast path, with amounts in
    the unit's minor units (250 is 2.5 hours at scale 2). Reuse one with ``clear()``."""

    __slots__ = ("_buffer", "_count", "capacity")

    def __init__(self, capacity: int = BATCH_MAX) -> None:
        capacity = A.integer(capacity, "capacity", 1, BATCH_MAX)
        self.capacity = capacity
        self._buffer = bytearray(capacity * _TRANSFER_LAYOUT.size)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._count = 0

    def add(
        self,
        id: Id,
        debit_account_id: Id,
        credit_account_id: Id,
        amount_minor: int,
        unit: int,
        code: int = 0,
        flags: int = 0,
        related_id: Id = 0,
        timeout_s: int = 0,
        user_data: int = 0,
    ) -> None:
        """Appends one transfer. Every field is range-checked here (``InvalidArgumentError``
        naming it, nothing appended); ids and amounts are checked again on submission."""
        if self._count >= self.capacity:
            raise InvalidArgumentError(f"the batch is full ({self.capacity} transfers)")
        # The fast path: plain ints, all in range; anything else takes the named checks, which
        # raise for the first bad field.
        if not (
            type(id) is int
            and type(debit_account_id) is int
            and type(credit_account_id) is int
            and type(related_id) is int
            and type(user_data) is int
            and type(amount_minor) is int
            and type(timeout_s) is int
            and type(unit) is int
            and type(code) is int
            and type(flags) is int
            # x >> n == 0 exactly when 0 <= x < 2**n (a negative x shifts to -1), and an OR of
            # non-negative ints is below 2**n only when each one is.
            and (id | debit_account_id | credit_account_id | related_id | user_data) >> 128 == 0
            and amount_minor >> 64 == 0
            and timeout_s >> 32 == 0
            and (unit | code | flags) >> 16 == 0
        ):
            id = A.u128(id, "id")
            debit_account_id = A.u128(debit_account_id, "debit_account_id")
            credit_account_id = A.u128(credit_account_id, "credit_account_id")
            related_id = A.u128(related_id, "related_id")
            user_data = A.u128(user_data, "user_data")
            amount_minor = A.u64(amount_minor, "amount_minor")
            timeout_s = A.u32(timeout_s, "timeout_s")
            unit, code, flags = A.u16(unit, "unit"), A.u16(code, "code"), A.u16(flags, "flags")
        _TRANSFER_LAYOUT.pack_into(
            self._buffer,
            self._count * _TRANSFER_LAYOUT.size,
            id & _MASK64,
            id >> 64,
            debit_account_id & _MASK64,
            debit_account_id >> 64,
            credit_account_id & _MASK64,
            credit_account_id >> 64,
            related_id & _MASK64,
            related_id >> 64,
            user_data & _MASK64,
            user_data >> 64,
            amount_minor,
            timeout_s,
            unit,
            code,
            flags,
        )
        self._count += 1


def _pack_account(slot: S.AccountNew, a: NewAccount, name: str) -> None:
    """One NewAccount into its C struct, every field range-checked and named."""
    if not isinstance(a, NewAccount):
        raise TypeError(f"{name} must be a NewAccount, not {type(a).__name__}")
    slot.id = S.TimebankId.of(a.id, f"{name}.id")
    slot.user_data = S.TimebankId.of(a.user_data, f"{name}.user_data")
    slot.unit = A.u16(a.unit, f"{name}.unit")
    slot.kind = A.u8(a.kind, f"{name}.kind")
    slot.community = A.u32(a.community, f"{name}.community")
    slot.eligible_from = A.u64(a.eligible_from, f"{name}.eligible_from")
    if not isinstance(a.no_floor, bool):
        raise TypeError(f"{name}.no_floor must be a bool, not {type(a.no_floor).__name__}")
    limits = 0
    if a.no_floor:
        limits |= 2
    elif a.floor_minor is not None:
        limits |= 1
        slot.floor_minor = A.i64(a.floor_minor, f"{name}.floor_minor")
    if a.ceiling_minor is not None:
        limits |= 4
        slot.ceiling_minor = A.i64(a.ceiling_minor, f"{name}.ceiling_minor")
    slot.limits = limits


def _pack_transfer(slot: S.TransferTextIn, t: Transfer, text: Optional[bytes], name: str) -> None:
    """One Transfer into its C struct (``text`` is its checked amount), every field named."""
    slot.id = S.TimebankId.of(t.id, f"{name}.id")
    slot.debit_account_id = S.TimebankId.of(t.debit_account_id, f"{name}.debit_account_id")
    slot.credit_account_id = S.TimebankId.of(t.credit_account_id, f"{name}.credit_account_id")
    slot.related_id = S.TimebankId.of(t.related_id, f"{name}.related_id")
    slot.user_data = S.TimebankId.of(t.user_data, f"{name}.user_data")
    slot.amount = text
    slot.unit = A.u16(t.unit, f"{name}.unit")
    slot.code = A.u16(t.code, f"{name}.code")
    slot.flags = A.u16(t.flags, f"{name}.flags")
    slot.timeout_s = A.u32(t.timeout_s, f"{name}.timeout_s")


def _sequence(value: object, argument: str) -> None:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{argument} must be a list, not {type(value).__name__}")


def _id(value: Id, argument: str) -> "ctypes._Pointer[S.TimebankId]":
    return byref(S.TimebankId.of(value, argument))  # type: ignore[return-value]


def _optional_id(value: Optional[Id], argument: str) -> Any:
    return None if not value else byref(S.TimebankId.of(value, argument))


def _by(operator: Optional[int], reason: Optional[int]) -> Any:
    """Who runs a command and why, as ``timebank_attribution`` (None when neither is given)."""
    if operator is None and reason is None:
        return None
    by = S.AttributionIn()
    by.operator_id = 0 if operator is None else A.u64(operator, "operator")
    if reason is not None:
        by.reason = A.u32(reason, "reason")
        by.has_reason = 1
    return byref(by)


def _served_at(value: Optional[int]) -> int:
    """``served_at`` as the library takes it: 0 for none."""
    return 0 if value is None else A.u64(value, "served_at")


def _text(value: Optional[AmountLike], argument: str) -> Optional[bytes]:
    return None if value is None else A.amount_bytes(amount_text(value, argument), argument)


class _HandleState:
    """What the finalizer of a Store needs to know without holding the Store."""

    __slots__ = ("closed", "path")

    def __init__(self, path: str) -> None:
        self.closed = False
        self.path = path


def _release(lib: ctypes.CDLL, handle: c_void_p, state: _HandleState) -> None:
    if not state.closed:
        warnings.warn(
            f"timebank.Store({state.path}) was never closed; close it or use `with`",
            ResourceWarning,
            stacklevel=2,
        )
    lib.timebank_store_free(handle)


def _checkpoint_key(key: object) -> Optional[bytes]:
    """The checkpoint key: exactly 32 raw bytes (any byte values, NUL included)."""
    if key is None:
        return None
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"checkpoint_key must be bytes, not {type(key).__name__}")
    raw = bytes(key)
    if len(raw) != 32:
        raise InvalidArgumentError(f"checkpoint_key must be 32 bytes, not {len(raw)}")
    return raw


class Store:
    """A durable ledger in a directory, opened (or created) on construction.

    ``policy`` is the policy as TOML or JSON text (None: the default policy); ``checkpoint_key``
    is 32 secret bytes kept outside the directory (None: no checkpoints). Use it as a context
    manager, or call ``close()``. ``now`` arguments are nanoseconds since the Unix epoch, or 0
    for the system clock.

    The time guard: every write's ``now`` must be a plausible wall-clock time, at most
    ``clock_skew_max_ns`` (0: the default, 5 minutes) ahead of the system clock and not before
    the ledger was created (less the same skew); any other ``now`` raises ``InvalidTimeError``
    and nothing is written. ``any_time=True`` turns the guard off, for simulations that run
    ahead of the clock, never for a live ledger.

    Memory: ``resident_transfers`` (0, the default: every transfer) keeps only the newest n
    transfers in memory. Every max(n, 4096) transfers written, the older settled ones (holds
    still pending stay) go to the store's index and are loaded back when a call names them;
    operations, failed ids and ratings beyond n + max(n, 4096) of each kind in memory go there
    too, all but the newest n. So memory
    is bounded by the accounts, the pending holds and n rather than by the history. Every
    answer is the same either way, and a ledger written with one setting opens with any other.
    An int outside 0 to 2**32 - 1 raises ``InvalidArgumentError``, anything but an int
    ``TypeError``.
    """

    def __init__(
        self,
        path: PathLike,
        policy: Optional[str] = None,
        checkpoint_key: Optional[bytes] = None,
        *,
        clock_skew_max_ns: int = 0,
        any_time: bool = False,
        resident_transfers: int = 0,
    ) -> None:
        self._lib = library()
        path_bytes = A.path(path, "path")
        policy_bytes = A.optional_text(policy, "policy")
        key = _checkpoint_key(checkpoint_key)
        if not isinstance(any_time, bool):
            raise TypeError(f"any_time must be a bool, not {type(any_time).__name__}")
        options = S.OpenOptions(
            A.u64(clock_skew_max_ns, "clock_skew_max_ns"),
            S.OPEN_ANY_TIME if any_time else 0,
            A.u32(resident_transfers, "resident_transfers"),
        )
        handle = c_void_p()
        error = c_void_p()
        status = self._lib.timebank_store_open_with_options(
            path_bytes, policy_bytes, key, byref(options), byref(handle), byref(error)
        )
        if status:
            raise_for(status, error)
        self._handle = handle
        self._state = _HandleState(repr(os.fspath(path)))
        # The handle stays allocated after close() (calls then raise ClosedError); it is freed
        # when the Store is garbage, when no call can be using it any more. A store never
        # closed is closed then, with a ResourceWarning, as an unclosed file is.
        self._finalizer = weakref.finalize(self, _release, self._lib, handle, self._state)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the store (waiting for calls in flight); later calls raise ``ClosedError``.
        Closing twice is fine."""
        self._call(self._lib.timebank_store_close)
        self._state.closed = True

    def _call(self, function: Callable[..., int], *args: Any) -> None:
        error = c_void_p()
        status = function(self._handle, *args, byref(error))
        if status:
            raise_for(status, error)

    # -- accounts --------------------------------------------------------------------------

    def create_accounts(
        self,
        accounts: Sequence[NewAccount],
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> List[int]:
        """Creates accounts in one durable command; returns each one's result code. ``operator``
        and ``reason`` (keywords of every write) are journaled with the command."""
        _sequence(accounts, "accounts")
        array = (S.AccountNew * max(len(accounts), 1))()
        for i, (slot, a) in enumerate(zip(array, accounts)):
            _pack_account(slot, a, f"accounts[{i}]")
        codes = (c_uint16 * max(len(accounts), 1))()
        self._call(
            self._lib.timebank_store_create_accounts_by,
            array,
            len(accounts),
            _by(operator, reason),
            A.u64(now, "now"),
            codes,
        )
        return list(codes[: len(accounts)])

    def account(self, id: Id) -> Account:
        """The account ``id``; ``NotFoundError`` when there is none."""
        out = S.AccountOut()
        self._call(self._lib.timebank_store_account, _id(id, "id"), byref(out))
        return Account(
            id=out.id.value,
            unit=out.unit,
            kind=AccountKind(out.kind),
            community=out.community,
            user_data=out.user_data.value,
            timestamp=out.timestamp,
            eligible_from=out.eligible_from,
            closed=bool(out.closed),
            floor=S.optional_decimal_of(out.floor),
            ceiling=S.optional_decimal_of(out.ceiling),
            debits_pending=S.decimal_of(out.debits_pending),
            debits_posted=S.decimal_of(out.debits_posted),
            credits_pending=S.decimal_of(out.credits_pending),
            credits_posted=S.decimal_of(out.credits_posted),
            balance=S.decimal_of(out.balance),
            available=S.decimal_of(out.available),
        )

    def balance(self, id: Id) -> Decimal:
        """The posted balance of account ``id``."""
        return self.account(id).balance

    # -- transfers -------------------------------------------------------------------------

    def submit(
        self,
        batch: TransferBatch,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> List[int]:
        """Submits a packed batch in one durable command; returns each transfer's result code
        (0 ok, 3 exists, 110 exceeds_floor, ...: see ``timebank.result_code_name``)."""
        if not isinstance(batch, TransferBatch):
            raise TypeError(f"batch must be a TransferBatch, not {type(batch).__name__}")
        count = len(batch)
        codes = (c_uint16 * max(count, 1))()
        buffer = (ctypes.c_char * len(batch._buffer)).from_buffer(batch._buffer)
        self._call(
            self._lib.timebank_store_submit_transfers_by,
            buffer,
            count,
            _by(operator, reason),
            A.u64(now, "now"),
            codes,
        )
        return list(codes[:count])

    def submit_transfers(
        self,
        transfers: Sequence[Transfer],
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> List[int]:
        """Submits transfers with decimal amounts in one durable command; returns each one's
        result code. Amounts are checked exactly (``InvalidAmountError``, nothing submitted)."""
        array = (S.TransferTextIn * max(len(transfers), 1))()
        _sequence(transfers, "transfers")
        for i, t in enumerate(transfers):
            if not isinstance(t, Transfer):
                raise TypeError(f"transfers[{i}] must be a Transfer, not {type(t).__name__}")
        texts = [_text(t.amount, f"transfers[{i}].amount") for i, t in enumerate(transfers)]
        for i, (slot, t, text) in enumerate(zip(array, transfers, texts)):
            _pack_transfer(slot, t, text, f"transfers[{i}]")
        codes = (c_uint16 * max(len(transfers), 1))()
        self._call(
            self._lib.timebank_store_submit_transfers_text_by,
            array,
            len(transfers),
            _by(operator, reason),
            A.u64(now, "now"),
            codes,
        )
        return list(codes[: len(transfers)])

    def transfer(self, id: Id) -> TransferRecord:
        """The transfer ``id``; ``NotFoundError`` when there is none."""
        out = S.TransferOut()
        self._call(self._lib.timebank_store_transfer, _id(id, "id"), byref(out))
        return TransferRecord(
            id=out.id.value,
            debit_account_id=out.debit_account_id.value,
            credit_account_id=out.credit_account_id.value,
            amount=S.decimal_of(out.amount),
            unit=out.unit,
            code=out.code,
            flags=TransferFlags(out.flags),
            state=TransferState(out.state),
            timestamp=out.timestamp,
            related_id=out.related_id.value,
            reversed_by=out.reversed_by.value,
            timeout_s=out.timeout_s,
            user_data=out.user_data.value,
        )

    def transfer_by(self, id: Id) -> Attribution:
        """Who made the transfer ``id``: the operator and reason of the command that created
        it; ``NotFoundError`` when there is none."""
        out = S.AttributionIn()
        self._call(self._lib.timebank_store_transfer_by, _id(id, "id"), byref(out))
        reason = out.reason if out.has_reason else None
        return Attribution(operator=out.operator_id, reason=reason)

    # -- time-bank operations --------------------------------------------------------------

    def record_service(
        self,
        first_id: Id,
        code: int,
        payer: Id,
        provider: Id,
        hours: AmountLike,
        donation: Optional[Id] = None,
        now: int = 0,
        *,
        served_at: Optional[int] = None,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> int:
        """``provider`` earns ``hours`` × the code's weight, paid by ``payer`` (a fund), for a
        service done at ``served_at`` (ns since the epoch; None: when it is recorded). Caps count
        the local day of ``served_at``; more than the policy's ``late_days_max`` days back is
        refused (``served_at_too_late``, 210), after the record too (``served_at_in_future``, 22).
        ``first_id`` is the operation's request id and its first transfer id. Returns how many
        transfer ids (from ``first_id`` on) it used.

        A retry with the same id and arguments returns the first outcome (the same count, or
        the same ``RefusedError``) and writes nothing; the same id with other arguments raises
        ``RefusedError`` with the code naming the difference (41 to 45, see
        ``operation_exists_with_different_*`` in ``result_code_name``).

        ``operator`` and ``reason`` (keywords of every write): the host's id of who runs it (0
        to 2**64 - 1) and its reason code (0 to 2**32 - 1), journaled with it and kept for its
        transfers (``transfer_by``). A reversal or a closing by an operator needs a reason
        (``RefusedError`` code 217, ``reason_required``)."""
        outcome = S.OperationOutcome()
        self._call(
            self._lib.timebank_store_operate_service,
            _id(first_id, "first_id"),
            A.u16(code, "code"),
            _id(payer, "payer"),
            _id(provider, "provider"),
            _text(hours, "hours"),
            _optional_id(donation, "donation"),
            _served_at(served_at),
            _by(operator, reason),
            A.u64(now, "now"),
            byref(outcome),
        )
        return int(outcome.transfers)

    def withdraw(
        self,
        first_id: Id,
        code: int,
        member: Id,
        provider: Id,
        hours: AmountLike,
        now: int = 0,
        *,
        served_at: Optional[int] = None,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> int:
        """A care withdrawal: ``member`` pays ``provider`` with its own hours, for care given at
        ``served_at`` (None: when it is recorded). Retries and ``served_at`` as for
        ``record_service``."""
        outcome = S.OperationOutcome()
        self._call(
            self._lib.timebank_store_operate_withdrawal,
            _id(first_id, "first_id"),
            A.u16(code, "code"),
            _id(member, "member"),
            _id(provider, "provider"),
            _text(hours, "hours"),
            _served_at(served_at),
            _by(operator, reason),
            A.u64(now, "now"),
            byref(outcome),
        )
        return int(outcome.transfers)

    def book(
        self,
        id: Id,
        code: int,
        payer: Id,
        provider: Id,
        hours: AmountLike,
        timeout_s: int = 0,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Holds ``payer``'s hours for ``provider`` until completed, cancelled or expired."""
        self._call(
            self._lib.timebank_store_operate_booking,
            _id(id, "id"),
            A.u16(code, "code"),
            _id(payer, "payer"),
            _id(provider, "provider"),
            _text(hours, "hours"),
            A.u32(timeout_s, "timeout_s"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def complete(
        self,
        first_id: Id,
        booking: Id,
        hours: Optional[AmountLike] = None,
        rating: int = 0,
        donation: Optional[Id] = None,
        now: int = 0,
        *,
        served_at: Optional[int] = None,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> int:
        """Posts the hours served of a booking (None: all) and records a 1-5 rating (0: none),
        in one journal record, for a service done at ``served_at`` (None: when it is recorded).
        Retries and ``served_at`` as for ``record_service``."""
        outcome = S.OperationOutcome()
        self._call(
            self._lib.timebank_store_operate_completion,
            _id(first_id, "first_id"),
            _id(booking, "booking"),
            _text(hours, "hours"),
            A.u8(rating, "rating"),
            _optional_id(donation, "donation"),
            _served_at(served_at),
            _by(operator, reason),
            A.u64(now, "now"),
            byref(outcome),
        )
        return int(outcome.transfers)

    def cancel(
        self,
        id: Id,
        booking: Id,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Voids a booking's hold, releasing the payer's hours."""
        self._call(
            self._lib.timebank_store_operate_cancellation,
            _id(id, "id"),
            _id(booking, "booking"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def gift(
        self,
        id: Id,
        sender: Id,
        recipient: Id,
        amount: AmountLike,
        code: int = 0,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Gives hours to a linked family member or a donation pool."""
        self._call(
            self._lib.timebank_store_operate_gift,
            _id(id, "id"),
            _id(sender, "sender"),
            _id(recipient, "recipient"),
            _text(amount, "amount"),
            A.u16(code, "code"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def award(
        self,
        id: Id,
        code: int,
        issuer: Id,
        member: Id,
        acts: int = 1,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Awards the code's points per act × ``acts``."""
        self._call(
            self._lib.timebank_store_operate_award,
            _id(id, "id"),
            A.u16(code, "code"),
            _id(issuer, "issuer"),
            _id(member, "member"),
            A.u32(acts, "acts"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def redeem(
        self,
        id: Id,
        member: Id,
        redemption: Id,
        amount: AmountLike,
        code: int = 0,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Spends points at a redemption account (a points supermarket)."""
        self._call(
            self._lib.timebank_store_operate_redemption,
            _id(id, "id"),
            _id(member, "member"),
            _id(redemption, "redemption"),
            _text(amount, "amount"),
            A.u16(code, "code"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def close_account(
        self,
        id: Id,
        account: Id,
        destination: Id,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Closes ``account``, moving its whole balance to ``destination`` (a fund, a pool, or a
        member the gift rule allows); an account with a zero balance simply closes. By an
        ``operator`` under a policy with rules, it needs a ``reason`` (``reason_required``)."""
        self._call(
            self._lib.timebank_store_operate_closing,
            _id(id, "id"),
            _id(account, "account"),
            _id(destination, "destination"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def close_accounts(
        self,
        accounts: Sequence[Id],
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> List[int]:
        """Closes empty accounts (zero balance, nothing pending) in one durable command; returns
        each one's result code: 0 closed, 3 already closed, 56 ``closing_leaves_balance`` (close
        it with ``close_account``), 57 ``account_not_found``."""
        _sequence(accounts, "accounts")
        count = A.integer(len(accounts), "len(accounts)", 1, BATCH_MAX)
        array = (S.TimebankId * count)()
        for i, account in enumerate(accounts):
            array[i] = S.TimebankId.of(account, f"accounts[{i}]")
        codes = (c_uint16 * count)()
        self._call(
            self._lib.timebank_store_close_accounts,
            array,
            count,
            _by(operator, reason),
            A.u64(now, "now"),
            codes,
        )
        return list(codes)

    def operation(self, id: Id) -> OperationOutcome:
        """What the operation with the request id ``id`` did when the ledger first ran it;
        ``NotFoundError`` when it ran none. Reads only: after ``OutcomeUnknownError`` or a crash,
        this says whether the operation happened."""
        out = S.OperationOutcome()
        self._call(self._lib.timebank_store_operation, _id(id, "id"), byref(out))
        return OperationOutcome(
            timestamp=out.timestamp, transfers=out.transfers, closed=out.closed, code=out.code
        )

    def reverse(
        self,
        id: Id,
        original: Id,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Reverses a posted transfer with a new one that references it. By an ``operator``
        under a policy with rules, it needs a ``reason`` (``reason_required``, 217)."""
        self._call(
            self._lib.timebank_store_operate_reversal,
            _id(id, "id"),
            _id(original, "original"),
            _by(operator, reason),
            A.u64(now, "now"),
            None,
        )

    def link(
        self,
        a: Id,
        b: Id,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Registers a family link, along which gifts are allowed."""
        self._call(
            self._lib.timebank_store_link_by,
            _id(a, "a"),
            _id(b, "b"),
            _by(operator, reason),
            A.u64(now, "now"),
        )

    def set_eligibility(
        self,
        account: Id,
        eligible_from: int,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Sets when ``account`` may pay for care (ns since the epoch; 0 for no date)."""
        self._call(
            self._lib.timebank_store_set_eligibility_by,
            _id(account, "account"),
            A.u64(eligible_from, "eligible_from"),
            _by(operator, reason),
            A.u64(now, "now"),
        )

    # -- the policy over the years ----------------------------------------------------------

    def amend_policy(
        self,
        policy: str,
        effective_from: int,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> None:
        """Puts ``policy`` (TOML or JSON text) in force from ``effective_from`` (ns since the
        epoch) on, as one journal record at ``now``: every event is then judged under the policy
        in force at its time (a service at its ``served_at``). The policy must be valid, keep
        the ledger's units, define codes, keep every expiry rule in force, and
        ``effective_from`` must be after every event already applied and every earlier
        amendment: otherwise ``InvalidArgumentError`` says which, and nothing is written."""
        self._call(
            self._lib.timebank_store_amend_policy,
            A.text(policy, "policy"),
            A.u64(effective_from, "effective_from"),
            _by(operator, reason),
            A.u64(now, "now"),
        )

    def policy_at(self, at: int = 0) -> Dict[str, Any]:
        """The policy in force at ``at`` (ns since the epoch; 0: the system clock), as
        ``{"at": ..., "from": ..., "policy": {...}, "versions": [...]}``: ``from`` is when it took
        effect (0: the policy the ledger was created with), ``versions`` every version's
        effective time, 0 first. ``NotFoundError`` for a ledger without time-bank rules."""
        text = c_void_p()
        self._call(self._lib.timebank_store_policy, A.u64(at, "at"), byref(text))
        shown: Dict[str, Any] = json.loads(take_string(text), parse_float=Decimal)
        return shown

    def expire(
        self,
        now: int = 0,
        *,
        operator: Optional[int] = None,
        reason: Optional[int] = None,
    ) -> int:
        """Releases holds whose timeout passed; returns how many."""
        expired = c_size_t()
        self._call(
            self._lib.timebank_store_expire_by,
            _by(operator, reason),
            A.u64(now, "now"),
            byref(expired),
        )
        return expired.value

    # -- reports and audit -----------------------------------------------------------------

    def statement(self, account: Id, start: int = 0, limit: int = 100) -> StatementPage:
        """Lines ``start .. start + limit`` of the account's statement (limit 1 to 1000)."""
        account_id = _id(account, "account")
        start = A.size(start, "start")
        limit = A.integer(limit, "limit", 1, STATEMENT_LIMIT_MAX)
        lines = (S.StatementLineOut * limit)()
        page = S.StatementPageOut()
        self._call(self._lib.timebank_store_statement, account_id, start, lines, limit, byref(page))
        return StatementPage(
            opening_balance=S.decimal_of(page.opening_balance),
            lines=[
                StatementLine(
                    transfer_id=line.transfer_id.value,
                    counterparty=line.counterparty.value,
                    timestamp=line.timestamp,
                    code=line.code,
                    amount=S.decimal_of(line.amount),
                    balance=S.decimal_of(line.balance),
                    reversal=bool(line.reversal),
                )
                for line in lines[: page.count]
            ],
            next_from=page.next_from if page.has_next else None,
        )

    def liability(self) -> Dict[str, Any]:
        """The outstanding liability per unit and community; decimals as ``Decimal``."""
        text = c_void_p()
        self._call(self._lib.timebank_store_liability, byref(text))
        report: Dict[str, Any] = json.loads(
            take_string(text), parse_float=Decimal, object_hook=_decimals
        )
        return report

    def checkpoint(self) -> str:
        """Journals a keyed checkpoint and returns its text (one line to publish)."""
        text = c_void_p()
        self._call(self._lib.timebank_store_checkpoint, byref(text))
        return take_string(text)

    def verify(self, progress: Optional[Callable[[int, int], Optional[bool]]] = None) -> VerifyReport:
        """Verifies the journal, checkpoints, state and index; ``DamagedError`` names the first
        bad record. ``progress(done, total)`` is called as it goes, on the calling thread
        (``total`` is an estimate until the last call, where it equals ``done``):
        returning ``False`` stops the verification (``CancelledError``); an exception raised in
        it stops it too and is re-raised here; a call on this store from inside it raises
        ``ReentrantError``."""
        if progress is not None and not callable(progress):
            raise TypeError(f"progress must be callable, not {type(progress).__name__}")
        raised: List[BaseException] = []

        def report(_context: object, done: int, total: int) -> int:
            try:
                return 1 if progress(done, total) is False else 0  # type: ignore[misc]
            except BaseException as e:  # never across C: kept, the call cancelled, re-raised
                raised.append(e)
                return 1

        # A NULL function pointer when no progress is wanted; the library then calls nothing.
        callback = S.PROGRESS_FN(report) if progress is not None else S.PROGRESS_FN()
        out = S.VerifyReportOut()
        try:
            self._call(self._lib.timebank_store_verify, callback, None, byref(out))
        except TimebankError:
            if not raised:
                raise
        if raised:
            raise raised[0]
        return VerifyReport(
            records=out.records,
            journal_bytes=out.journal_bytes,
            checkpoints_verified=out.checkpoints_verified,
            head_sequence=out.head_sequence,
            macs_checked=bool(out.macs_checked),
            index_checked=bool(out.index_checked),
            head_hash=bytes(out.head_hash),
            state_digest=bytes(out.state_digest),
        )

    def status(self) -> StoreStatus:
        """The head, counts and the state digest (equal digests, equal ledgers)."""
        out = S.StoreInfoOut()
        self._call(self._lib.timebank_store_status, byref(out))
        return StoreStatus(
            head_sequence=out.head_sequence,
            journal_bytes=out.journal_bytes,
            accounts=out.accounts,
            transfers=out.transfers,
            indexed_sequence=out.indexed_sequence,
            head_hash=bytes(out.head_hash),
            state_digest=bytes(out.state_digest),
        )


_DECIMAL_KEYS = {"total", "members", "groups"}


def _decimals(obj: Dict[str, Any]) -> Dict[str, Any]:
    return {k: Decimal(v) if k in _DECIMAL_KEYS else v for k, v in obj.items()}
