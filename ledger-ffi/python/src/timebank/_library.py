"""Finding and loading libtimebank, and declaring the C functions' signatures for ctypes.

The package ships the library it was built with (``libtimebank.so`` beside this file). Another
one may be chosen with ``load_library(path)`` before the first call, or with the
``TIMEBANK_LIBRARY`` environment variable.
"""

from __future__ import annotations

import ctypes
import os
import threading
from ctypes import (
    POINTER,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from . import _structs as S
from .errors import RefusedError, error_for

LIBRARY_ENV = "TIMEBANK_LIBRARY"
_SHIPPED = Path(__file__).with_name("libtimebank.so")

_lock = threading.Lock()
_library: Optional[ctypes.CDLL] = None

_status = c_int32
_error_out = POINTER(c_void_p)
_id = POINTER(S.TimebankId)
_by = POINTER(S.AttributionIn)
_outcome = POINTER(S.OperationOutcome)

# name: (argument types, return type). Mirrors include/timebank.h.
SIGNATURES: Dict[str, Tuple[Sequence[Any], Any]] = {
    "timebank_version": ((), c_char_p),
    "timebank_status_name": ((c_int32,), c_char_p),
    "timebank_result_code_name": ((c_uint16,), c_char_p),
    "timebank_string_free": ((c_void_p,), None),
    "timebank_amount_parse": ((c_char_p, c_uint32, POINTER(c_uint64), _error_out), _status),
    "timebank_amount_format": ((c_uint64, c_uint32, POINTER(c_void_p), _error_out), _status),
    "timebank_store_open": (
        (c_char_p, c_char_p, c_char_p, POINTER(c_void_p), _error_out),
        _status,
    ),
    "timebank_store_open_with_options": (
        (c_char_p, c_char_p, c_char_p, POINTER(S.OpenOptions), POINTER(c_void_p), _error_out),
        _status,
    ),
    "timebank_error_result_code": ((c_char_p, POINTER(c_uint16), _error_out), _status),
    "timebank_store_close": ((c_void_p, _error_out), _status),
    "timebank_store_free": ((c_void_p,), None),
    "timebank_store_status": ((c_void_p, POINTER(S.StoreInfoOut), _error_out), _status),
    "timebank_store_checkpoint": ((c_void_p, POINTER(c_void_p), _error_out), _status),
    "timebank_store_verify": (
        (c_void_p, S.PROGRESS_FN, c_void_p, POINTER(S.VerifyReportOut), _error_out),
        _status,
    ),
    "timebank_store_expire": ((c_void_p, c_uint64, POINTER(c_size_t), _error_out), _status),
    "timebank_store_create_accounts": (
        (c_void_p, POINTER(S.AccountNew), c_size_t, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_account": (
        (c_void_p, POINTER(S.TimebankId), POINTER(S.AccountOut), _error_out),
        _status,
    ),
    "timebank_store_submit_transfers": (
        (c_void_p, c_void_p, c_size_t, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_submit_transfers_text": (
        (c_void_p, POINTER(S.TransferTextIn), c_size_t, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_transfer": (
        (c_void_p, POINTER(S.TimebankId), POINTER(S.TransferOut), _error_out),
        _status,
    ),
    "timebank_store_statement": (
        (
            c_void_p,
            POINTER(S.TimebankId),
            c_size_t,
            POINTER(S.StatementLineOut),
            c_size_t,
            POINTER(S.StatementPageOut),
            _error_out,
        ),
        _status,
    ),
    "timebank_store_liability": ((c_void_p, POINTER(c_void_p), _error_out), _status),
    "timebank_store_record_service": (
        (c_void_p, _id, c_uint16, _id, _id, c_char_p, _id, c_uint64, POINTER(c_size_t), _error_out),
        _status,
    ),
    "timebank_store_operate_service": (
        (
            c_void_p, _id, c_uint16, _id, _id, c_char_p, _id, c_uint64, _by, c_uint64,
            _outcome, _error_out,
        ),
        _status,
    ),
    "timebank_store_operate_withdrawal": (
        (
            c_void_p, _id, c_uint16, _id, _id, c_char_p, c_uint64, _by, c_uint64, _outcome,
            _error_out,
        ),
        _status,
    ),
    "timebank_store_operate_completion": (
        (
            c_void_p, _id, _id, c_char_p, c_uint8, _id, c_uint64, _by, c_uint64, _outcome,
            _error_out,
        ),
        _status,
    ),
    "timebank_store_operate_booking": (
        (
            c_void_p, _id, c_uint16, _id, _id, c_char_p, c_uint32, _by, c_uint64, _outcome,
            _error_out,
        ),
        _status,
    ),
    "timebank_store_operate_cancellation": (
        (c_void_p, _id, _id, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operate_gift": (
        (c_void_p, _id, _id, _id, c_char_p, c_uint16, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operate_award": (
        (c_void_p, _id, c_uint16, _id, _id, c_uint32, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operate_redemption": (
        (c_void_p, _id, _id, _id, c_char_p, c_uint16, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operate_closing": (
        (c_void_p, _id, _id, _id, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operate_reversal": (
        (c_void_p, _id, _id, _by, c_uint64, _outcome, _error_out),
        _status,
    ),
    "timebank_store_operation": (
        (c_void_p, _id, _outcome, _error_out),
        _status,
    ),
    "timebank_store_policy": ((c_void_p, c_uint64, POINTER(c_void_p), _error_out), _status),
    "timebank_store_transfer_by": ((c_void_p, _id, _by, _error_out), _status),
    "timebank_store_close_accounts": (
        (c_void_p, _id, c_size_t, _by, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_amend_policy": (
        (c_void_p, c_char_p, c_uint64, _by, c_uint64, _error_out), _status
    ),
    "timebank_store_withdraw": (
        (c_void_p, _id, c_uint16, _id, _id, c_char_p, c_uint64, POINTER(c_size_t), _error_out),
        _status,
    ),
    "timebank_store_book": (
        (c_void_p, _id, c_uint16, _id, _id, c_char_p, c_uint32, c_uint64, _error_out),
        _status,
    ),
    "timebank_store_complete": (
        (c_void_p, _id, _id, c_char_p, c_uint8, _id, c_uint64, POINTER(c_size_t), _error_out),
        _status,
    ),
    "timebank_store_cancel": ((c_void_p, _id, _id, c_uint64, _error_out), _status),
    "timebank_store_gift": (
        (c_void_p, _id, _id, _id, c_char_p, c_uint16, c_uint64, _error_out),
        _status,
    ),
    "timebank_store_award": (
        (c_void_p, _id, c_uint16, _id, _id, c_uint32, c_uint64, _error_out),
        _status,
    ),
    "timebank_store_redeem": (
        (c_void_p, _id, _id, _id, c_char_p, c_uint16, c_uint64, _error_out),
        _status,
    ),
    "timebank_store_close_account": ((c_void_p, _id, _id, _id, c_uint64, _error_out), _status),
    "timebank_store_reverse": ((c_void_p, _id, _id, c_uint64, _error_out), _status),
    "timebank_store_link": ((c_void_p, _id, _id, c_uint64, _error_out), _status),
    "timebank_store_set_eligibility": ((c_void_p, _id, c_uint64, c_uint64, _error_out), _status),
    "timebank_store_expire_by": (
        (c_void_p, _by, c_uint64, POINTER(c_size_t), _error_out), _status
    ),
    "timebank_store_create_accounts_by": (
        (c_void_p, POINTER(S.AccountNew), c_size_t, _by, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_submit_transfers_by": (
        (c_void_p, c_void_p, c_size_t, _by, c_uint64, POINTER(c_uint16), _error_out),
        _status,
    ),
    "timebank_store_submit_transfers_text_by": (
        (
            c_void_p, POINTER(S.TransferTextIn), c_size_t, _by, c_uint64, POINTER(c_uint16),
            _error_out,
        ),
        _status,
    ),
    "timebank_store_link_by": ((c_void_p, _id, _id, _by, c_uint64, _error_out), _status),
    "timebank_store_set_eligibility_by": (
        (c_void_p, _id, c_uint64, _by, c_uint64, _error_out), _status
    ),
}


def load_library(path: Union[str, "os.PathLike[str]", None] = None) -> ctypes.CDLL:
    """Loads libtimebank from ``path``, else from ``$TIMEBANK_LIBRARY``, else the shipped copy.

    Call it before anything else to choose the library; later calls return the one loaded.
    """
    global _library
    with _lock:
        if _library is not None:
            return _library
        chosen = Path(path) if path is not None else None
        if chosen is None and os.environ.get(LIBRARY_ENV):
            chosen = Path(os.environ[LIBRARY_ENV])
        if chosen is None:
            chosen = _SHIPPED
        if not chosen.is_file():
            raise OSError(
                f"libtimebank not found at {chosen}: build it with ledger-ffi/test.sh, pass its "
                f"path to timebank.load_library(), or set {LIBRARY_ENV}"
            )
        library = ctypes.CDLL(str(chosen))
        for name, (argtypes, restype) in SIGNATURES.items():
            function = getattr(library, name)
            function.argtypes = list(argtypes)
            function.restype = restype
        _library = library
        return library


def library() -> ctypes.CDLL:
    """The loaded library (loading the default one on first use)."""
    return _library if _library is not None else load_library()


def bound(signatures: dict) -> ctypes.CDLL:
    """The loaded library with each of ``signatures`` (name: (argument types, result type))
    declared on first use: how a module with calls of its own declares them."""
    lib = library()
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        if function.argtypes is None:
            function.argtypes = list(arguments)
            function.restype = result
    return lib


def take_string(pointer: c_void_p) -> str:
    """Reads a string the library allocated, then frees it."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8", "replace")
    finally:
        library().timebank_string_free(pointer)


def raise_for(status: int, error: c_void_p) -> None:
    """Raises the exception for a failed call, taking (and freeing) its message. A refusal
    carries its ledger result code, read back from the message by the library."""
    message = take_string(error) or "no message"
    if status == RefusedError.status:
        code = c_uint16()
        found = library().timebank_error_result_code(
            message.encode("utf-8", "replace"), ctypes.byref(code), None
        )
        raise RefusedError(message, code.value if found == 0 else -1)
    raise error_for(status, message)

