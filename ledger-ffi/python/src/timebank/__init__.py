"""The time-bank ledger for Python.

Hours and points are kept exactly (``decimal.Decimal``) in a durable, hash-chained store that an
auditor can verify. Every failure raises the exception of its status (see ``timebank.errors``);
a failed call changes nothing.

>>> import timebank
>>> timebank.parse_amount("2.50", scale=2)
Decimal('2.50')
"""

from __future__ import annotations

from ._arguments import i32 as _i32
from ._arguments import u16 as _u16
from ._library import LIBRARY_ENV, library, load_library
from .amount import AmountLike, format_minor, from_minor, parse_amount, to_minor
from .store import (
    BATCH_MAX,
    Account,
    AccountKind,
    Attribution,
    NewAccount,
    OperationOutcome,
    StatementLine,
    StatementPage,
    Store,
    StoreStatus,
    Transfer,
    TransferBatch,
    TransferFlags,
    TransferRecord,
    TransferState,
    VerifyReport,
)
from .exchange import (
    EXCHANGE_KEY_BYTES,
    MESSAGE_BYTES_MAX,
    Exchange,
    PendingExchange,
    Position,
    Received,
    Verdict,
)
from .proof import (
    prove_consistency,
    prove_inclusion,
    prove_statement,
    sign_checkpoint,
    signing_public_key,
    verify_proof,
    verify_signed_checkpoint,
)
from .errors import (
    BusyError,
    CancelledError,
    ClosedError,
    DamagedError,
    InvalidAmountError,
    InvalidArgumentError,
    InvalidHandleError,
    InvalidTimeError,
    InvalidUtf8Error,
    NotFoundError,
    NotSignedByKeyError,
    NullPointerError,
    OutcomeUnknownError,
    PanicError,
    ReentrantError,
    RefusedError,
    StorageIOError,
    TimebankError,
)


def version() -> str:
    """The version of the loaded libtimebank."""
    return str(library().timebank_version().decode("ascii"))


def status_name(status: int) -> str:
    """The stable name of a C status code, such as ``"invalid_amount"``."""
    return str(library().timebank_status_name(_i32(status, "status")).decode("ascii"))


def result_code_name(code: int) -> str:
    """The stable name of a ledger result code, such as ``"exceeds_floor"`` for 110."""
    return str(library().timebank_result_code_name(_u16(code, "code")).decode("ascii"))


__all__ = [
    "BATCH_MAX",
    "EXCHANGE_KEY_BYTES",
    "MESSAGE_BYTES_MAX",
    "Exchange",
    "PendingExchange",
    "Position",
    "Received",
    "Verdict",
    "NotSignedByKeyError",
    "prove_consistency",
    "prove_inclusion",
    "prove_statement",
    "sign_checkpoint",
    "signing_public_key",
    "verify_proof",
    "verify_signed_checkpoint",
    "Account",
    "AccountKind",
    "Attribution",
    "NewAccount",
    "OperationOutcome",
    "StatementLine",
    "StatementPage",
    "Store",
    "StoreStatus",
    "Transfer",
    "TransferBatch",
    "TransferFlags",
    "TransferRecord",
    "TransferState",
    "VerifyReport",
    "LIBRARY_ENV",
    "AmountLike",
    "BusyError",
    "CancelledError",
    "ClosedError",
    "DamagedError",
    "InvalidAmountError",
    "InvalidArgumentError",
    "InvalidHandleError",
    "InvalidTimeError",
    "InvalidUtf8Error",
    "NotFoundError",
    "NullPointerError",
    "OutcomeUnknownError",
    "PanicError",
    "ReentrantError",
    "RefusedError",
    "StorageIOError",
    "TimebankError",
    "format_minor",
    "from_minor",
    "load_library",
    "parse_amount",
    "result_code_name",
    "status_name",
    "to_minor",
    "version",
]
