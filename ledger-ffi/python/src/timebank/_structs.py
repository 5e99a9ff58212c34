"""The C structs of timebank.h for ctypes, byte for byte (the library asserts the same sizes)."""

from __future__ import annotations

import ctypes
from ctypes import c_char, c_char_p, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64
from decimal import Decimal
from typing import Optional

DECIMAL_BYTES = 48
ID_MAX = (1 << 128) - 1


class TimebankId(ctypes.Structure):
    _fields_ = [("lo", c_uint64), ("hi", c_uint64)]

    @classmethod
    def of(cls, value: int, argument: str = "id") -> "TimebankId":
        """The id ``value`` (0 to 2**128 - 1; the library refuses 0 where an id is needed)."""
        from ._arguments import u128

        value = u128(value, argument)
        return cls(value & 0xFFFF_FFFF_FFFF_FFFF, value >> 64)

    @property
    def value(self) -> int:
        return int((self.hi << 64) | self.lo)


def decimal_of(field: bytes) -> Decimal:
    """A decimal text field of an out-struct."""
    return Decimal(field.decode("ascii"))


def optional_decimal_of(field: bytes) -> Optional[Decimal]:
    return decimal_of(field) if field else None


class OpenOptions(ctypes.Structure):
    _fields_ = [
        ("clock_skew_max_ns", c_uint64),
        ("flags", c_uint32),
        ("resident_transfers", c_uint32),
    ]


OPEN_ANY_TIME = 1


class AccountNew(ctypes.Structure):
    _fields_ = [
        ("id", TimebankId),
        ("user_data", TimebankId),
        ("floor_minor", c_int64),
        ("ceiling_minor", c_int64),
        ("eligible_from", c_uint64),
        ("community", c_uint32),
        ("unit", c_uint16),
        ("kind", c_uint8),
        ("limits", c_uint8),
    ]


class AccountOut(ctypes.Structure):
    _fields_ = [
        ("id", TimebankId),
        ("user_data", TimebankId),
        ("timestamp", c_uint64),
        ("eligible_from", c_uint64),
        ("community", c_uint32),
        ("unit", c_uint16),
        ("kind", c_uint8),
        ("closed", c_uint8),
        ("floor", c_char * DECIMAL_BYTES),
        ("ceiling", c_char * DECIMAL_BYTES),
        ("debits_pending", c_char * DECIMAL_BYTES),
        ("debits_posted", c_char * DECIMAL_BYTES),
        ("credits_pending", c_char * DECIMAL_BYTES),
        ("credits_posted", c_char * DECIMAL_BYTES),
        ("balance", c_char * DECIMAL_BYTES),
        ("available", c_char * DECIMAL_BYTES),
    ]


class TransferIn(ctypes.Structure):
    _fields_ = [
        ("id", TimebankId),
        ("debit_account_id", TimebankId),
        ("credit_account_id", TimebankId),
        ("related_id", TimebankId),
        ("user_data", TimebankId),
        ("amount_minor", c_uint64),
        ("timeout_s", c_uint32),
        ("unit", c_uint16),
        ("code", c_uint16),
        ("flags", c_uint16),
        ("reserved", c_uint16 * 3),
    ]


class TransferTextIn(ctypes.Structure):
    _fields_ = [
        ("id", TimebankId),
        ("debit_account_id", TimebankId),
        ("credit_account_id", TimebankId),
        ("related_id", TimebankId),
        ("user_data", TimebankId),
        ("amount", c_char_p),
        ("timeout_s", c_uint32),
        ("unit", c_uint16),
        ("code", c_uint16),
        ("flags", c_uint16),
        ("reserved", c_uint16 * 3),
    ]


class TransferOut(ctypes.Structure):
    _fields_ = [
        ("id", TimebankId),
        ("debit_account_id", TimebankId),
        ("credit_account_id", TimebankId),
        ("related_id", TimebankId),
        ("user_data", TimebankId),
        ("reversed_by", TimebankId),
        ("timestamp", c_uint64),
        ("timeout_s", c_uint32),
        ("unit", c_uint16),
        ("code", c_uint16),
        ("flags", c_uint16),
        ("state", c_uint8),
        ("reserved", c_uint8 * 5),
        ("amount", c_char * DECIMAL_BYTES),
    ]


class StatementLineOut(ctypes.Structure):
    _fields_ = [
        ("transfer_id", TimebankId),
        ("counterparty", TimebankId),
        ("timestamp", c_uint64),
        ("code", c_uint16),
        ("reversal", c_uint8),
        ("reserved", c_uint8 * 5),
        ("amount", c_char * DECIMAL_BYTES),
        ("balance", c_char * DECIMAL_BYTES),
    ]


class StatementPageOut(ctypes.Structure):
    _fields_ = [
        ("count", c_size_t),
        ("next_from", c_size_t),
        ("has_next", c_uint8),
        ("reserved", c_uint8 * 7),
        ("opening_balance", c_char * DECIMAL_BYTES),
    ]


class StoreInfoOut(ctypes.Structure):
    _fields_ = [
        ("head_sequence", c_uint64),
        ("journal_bytes", c_uint64),
        ("accounts", c_uint64),
        ("transfers", c_uint64),
        ("indexed_sequence", c_uint64),
        ("head_hash", c_uint8 * 32),
        ("state_digest", c_uint8 * 32),
    ]


class VerifyReportOut(ctypes.Structure):
    _fields_ = [
        ("records", c_uint64),
        ("journal_bytes", c_uint64),
        ("checkpoints_verified", c_uint64),
        ("head_sequence", c_uint64),
        ("macs_checked", c_uint8),
        ("index_checked", c_uint8),
        ("reserved", c_uint8 * 6),
        ("head_hash", c_uint8 * 32),
        ("state_digest", c_uint8 * 32),
    ]


class OperationOutcome(ctypes.Structure):
    _fields_ = [
        ("timestamp", c_uint64),
        ("transfers", c_uint64),
        ("closed", c_uint64),
        ("code", c_uint16),
        ("retried", c_uint8),
        ("reserved", c_uint8 * 5),
    ]


class AttributionIn(ctypes.Structure):
    _fields_ = [
        ("operator_id", c_uint64),
        ("reason", c_uint32),
        ("has_reason", c_uint8),
        ("reserved", c_uint8 * 3),
    ]


# Returns 0 to go on, anything else to cancel the call.
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, c_uint64, c_uint64)

SIZES = {
    TimebankId: 16,
    OpenOptions: 16,
    AccountNew: 64,
    AccountOut: 440,
    TransferIn: 104,
    TransferTextIn: 104,
    TransferOut: 168,
    StatementLineOut: 144,
    StatementPageOut: 72,
    StoreInfoOut: 104,
    VerifyReportOut: 104,
    OperationOutcome: 32,
    AttributionIn: 16,
}
for _struct, _size in SIZES.items():
    assert ctypes.sizeof(_struct) == _size, f"{_struct.__name__} is not {_size} bytes"
