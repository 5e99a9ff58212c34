"""Signed checkpoints and proofs (docs/FORMAT.md §13-§15): a checkpoint of the durable head
signed with the host's key (Ed25519, or SM2 on a ``gm`` ledger), inclusion, statement and
consistency proofs as JSON documents, and their offline check with a public key alone.

>>> # line = sign_checkpoint(store, signing_key)           # publish it
>>> # proof = prove_statement(store, member, checkpoint=line)
>>> # verify_proof(proof, public_key=signing_public_key("standard", signing_key))
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, byref, c_char_p, c_int32, c_void_p
from typing import Optional

from . import _arguments as A
from . import _structs as S
from ._library import bound, raise_for, take_string
from .errors import InvalidArgumentError
from .store import Id, Store

SIGNING_KEY_BYTES = 32

_status = c_int32
_error_out = POINTER(c_void_p)
_id = POINTER(S.TimebankId)
_out = POINTER(c_void_p)

# name: (argument types, return type). Mirrors include/timebank.h.
_SIGNATURES = {
    "timebank_signing_key_public": ((c_char_p, c_char_p, _out, _error_out), _status),
    "timebank_store_sign_checkpoint": ((c_void_p, c_char_p, _out, _error_out), _status),
    "timebank_store_prove_inclusion": ((c_void_p, _id, c_char_p, _out, _error_out), _status),
    "timebank_store_prove_statement": ((c_void_p, _id, c_char_p, _out, _error_out), _status),
    "timebank_store_prove_consistency": (
        (c_void_p, c_char_p, c_char_p, _out, _error_out),
        _status,
    ),
    "timebank_proof_verify": ((c_char_p, c_char_p, _out, _error_out), _status),
    "timebank_checkpoint_verify_signed": ((c_char_p, c_char_p, _error_out), _status),
}


def _lib() -> ctypes.CDLL:
    return bound(_SIGNATURES)


def _key(signing_key: object) -> bytes:
    if not isinstance(signing_key, (bytes, bytearray)) or len(signing_key) != SIGNING_KEY_BYTES:
        raise InvalidArgumentError(f"signing_key must be {SIGNING_KEY_BYTES} bytes")
    return bytes(signing_key)


def _string_call(function: object, *args: object) -> str:
    out, error = c_void_p(), c_void_p()
    status = function(*args, byref(out), byref(error))  # type: ignore[operator]
    if status:
        raise_for(status, error)
    return take_string(out)


def signing_public_key(profile: str, signing_key: bytes) -> str:
    """The public key (lower-case hex) of a 32-byte signing key; ``profile`` is ``"standard"``
    (Ed25519) or ``"gm"`` (SM2)."""
    lib = _lib()
    return _string_call(
        lib.timebank_signing_key_public, A.text(profile, "profile"), _key(signing_key)
    )


def sign_checkpoint(store: Store, signing_key: bytes) -> str:
    """Signs a checkpoint of the durable head; returns its line to publish (nothing is
    written to the ledger)."""
    lib = _lib()
    out = c_void_p()
    store._call(lib.timebank_store_sign_checkpoint, _key(signing_key), byref(out))
    return take_string(out)


def prove_inclusion(store: Store, transfer: Id, checkpoint: Optional[str] = None) -> str:
    """The JSON proof that the record which made ``transfer`` is in the history ``checkpoint``
    (a signed line; None: the durable head, unsigned) signs. ``NotFoundError`` when there is no
    such transfer or it came after the checkpoint; ``DamagedError`` when this ledger does not
    match the checkpoint, or a record the proof reads from the journal does not match its stored
    hash or the Merkle tree's node over it (the journal was changed since it was written);
    ``StorageIOError`` when the journal cannot be read."""
    lib = _lib()
    out = c_void_p()
    store._call(
        lib.timebank_store_prove_inclusion,
        byref(S.TimebankId.of(transfer, "transfer")),
        A.optional_text(checkpoint, "checkpoint"),
        byref(out),
    )
    return take_string(out)


def prove_statement(store: Store, account: Id, checkpoint: Optional[str] = None) -> str:
    """The JSON proof that every record holding a transfer of ``account`` is in the history
    ``checkpoint`` signs: the member's statement, checkable offline."""
    lib = _lib()
    out = c_void_p()
    store._call(
        lib.timebank_store_prove_statement,
        byref(S.TimebankId.of(account, "account")),
        A.optional_text(checkpoint, "checkpoint"),
        byref(out),
    )
    return take_string(out)


def prove_consistency(store: Store, old: str, new: str) -> str:
    """The JSON proof that the history the signed line ``new`` signs extends the one ``old``
    signs."""
    lib = _lib()
    out = c_void_p()
    store._call(
        lib.timebank_store_prove_consistency,
        A.text(old, "old"),
        A.text(new, "new"),
        byref(out),
    )
    return take_string(out)


def verify_proof(proof_json: str, public_key: Optional[str] = None) -> str:
    """Checks a proof document offline; returns its kind (``"inclusion"``, ``"statement"`` or
    ``"consistency"``). Raises ``NotSignedByKeyError`` when another key signed its checkpoint,
    ``DamagedError`` when it does not hold, ``InvalidArgumentError`` when it is not a proof."""
    lib = _lib()
    return _string_call(
        lib.timebank_proof_verify,
        A.text(proof_json, "proof_json"),
        A.optional_text(public_key, "public_key"),
    )


def verify_signed_checkpoint(line: str, public_key: str) -> None:
    """Checks a signed checkpoint line's signature offline. Raises ``NotSignedByKeyError`` when
    another key signed it, ``DamagedError`` when it was altered."""
    lib = _lib()
    error = c_void_p()
    status = lib.timebank_checkpoint_verify_signed(
        A.text(line, "line"), A.text(public_key, "public_key"), byref(error)
    )
    if status:
        raise_for(status, error)
