"""One exception class per status code of the C library, under one base class."""

from __future__ import annotations

from typing import Dict, Type


class TimebankError(Exception):
    """A call into the ledger failed. Nothing was changed; ``status`` is the C status code."""

    status: int = -1
    status_name: str = "unknown"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NullPointerError(TimebankError):
    """A required argument was missing (NULL at the C boundary)."""

    status, status_name = 1, "null_pointer"


class InvalidUtf8Error(TimebankError):
    """A text argument was not valid UTF-8."""

    status, status_name = 2, "invalid_utf8"


class InvalidArgumentError(TimebankError, ValueError):
    """An argument was out of range or malformed (a zero id, an unknown flag, a bad policy)."""

    status, status_name = 3, "invalid_argument"


class InvalidAmountError(TimebankError, ValueError):
    """An amount was not a plain positive decimal within the unit's scale and the maximum."""

    status, status_name = 4, "invalid_amount"


class NotFoundError(TimebankError, LookupError):
    """An account, transfer or unit named by the call does not exist."""

    status, status_name = 5, "not_found"


class RefusedError(TimebankError):
    """The ledger refused the event; ``code`` is its result code (such as 110, exceeds_floor),
    always present. A refused write is journaled: the head and the state digest move on (the
    refused ids are remembered with their code), balances do not change."""

    status, status_name = 6, "refused"

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class DamagedError(TimebankError):
    """The ledger on disk is damaged: a record or checkpoint does not verify."""

    status, status_name = 7, "damaged"


class StorageIOError(TimebankError, OSError):
    """The operating system refused a read, a write or a sync."""

    status, status_name = 8, "io"


class ClosedError(TimebankError):
    """The store was closed."""

    status, status_name = 9, "closed"


class PanicError(TimebankError):
    """A bug inside the library was caught at the boundary; nothing was changed."""

    status, status_name = 10, "panic"


class BusyError(TimebankError):
    """The store is already open, in this process or another one."""

    status, status_name = 11, "busy"


class InvalidHandleError(TimebankError):
    """The handle is not a live store handle (freed, or never opened); nothing was read."""

    status, status_name = 12, "invalid_handle"


class InvalidTimeError(TimebankError, ValueError):
    """``now`` is not a plausible wall-clock time for the store's time guard (before the ledger
    was created, or further ahead of the system clock than the allowed skew); nothing written."""

    status, status_name = 13, "invalid_time"


class CancelledError(TimebankError):
    """A callback asked to stop (returned ``False``); the call changed nothing."""

    status, status_name = 14, "cancelled"


class ReentrantError(TimebankError):
    """A call on a store from inside one of that store's own callbacks: refused, nothing done."""

    status, status_name = 15, "reentrant"


class OutcomeUnknownError(TimebankError):
    """A write whose journal write or sync failed: it may or may not be durable. Reopen the
    store and look the command's ids up to learn which."""

    status, status_name = 16, "outcome_unknown"


class NotSignedByKeyError(TimebankError):
    """A signed checkpoint (or a proof's) names another public key or profile than the one
    trusted: not evidence, but no statement about damage either (an altered one is
    ``DamagedError``)."""

    status, status_name = 17, "not_signed_by_key"


ERRORS_BY_STATUS: Dict[int, Type[TimebankError]] = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidUtf8Error,
        InvalidArgumentError,
        InvalidAmountError,
        NotFoundError,
        RefusedError,
        DamagedError,
        StorageIOError,
        ClosedError,
        PanicError,
        BusyError,
        InvalidHandleError,
        InvalidTimeError,
        CancelledError,
        ReentrantError,
        OutcomeUnknownError,
        NotSignedByKeyError,
    )
}


def error_for(status: int, message: str) -> TimebankError:
    """The exception for a failed call's status and message."""
    cls = ERRORS_BY_STATUS.get(status)
    if cls is RefusedError:
        return RefusedError(message, -1)  # raise_for reads the code; this is the fallback
    if cls is None:
        error = TimebankError(f"status {status}: {message}")
        error.status = status
        return error
    return cls(message)
