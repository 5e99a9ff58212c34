"""Amounts as ``decimal.Decimal``: exact in both directions, never a float."""

from __future__ import annotations

import ctypes
from decimal import Decimal
from typing import Union

from . import _arguments as A
from ._library import library, raise_for, take_string

AmountLike = Union[Decimal, int, str]
"""What the package accepts as an amount: a Decimal, an int, or plain decimal text."""


def amount_text(amount: AmountLike, argument: str = "amount") -> str:
    """The plain decimal text of an amount, which the library validates exactly.

    Floats are refused: they cannot hold most decimal fractions exactly.
    """
    if isinstance(amount, bool) or isinstance(amount, float):
        raise TypeError(f"{argument} must be a Decimal, int or str, not {type(amount).__name__}")
    if isinstance(amount, Decimal):
        return format(amount, "f")
    if isinstance(amount, int):
        return str(amount)
    if isinstance(amount, str):
        return amount
    raise TypeError(f"{argument} must be a Decimal, int or str, not {type(amount).__name__}")


def parse_amount(amount: AmountLike, scale: int) -> Decimal:
    """The amount as a Decimal, checked as the ledger checks it for a unit of ``scale`` places.

    Raises ``InvalidAmountError`` for anything that is not a plain positive decimal within the
    scale and the maximum (``"1e3"``, ``"NaN"``, ``"-1"``, ``"0"``, ``"1,5"``, ...).
    """
    return from_minor(to_minor(amount, scale), scale)


def to_minor(amount: AmountLike, scale: int) -> int:
    """The amount in minor units of ``scale`` (``Decimal("2.5")`` at scale 2 is 250)."""
    minor = ctypes.c_uint64()
    error = ctypes.c_void_p()
    text = A.amount_bytes(amount_text(amount), "amount")
    status = library().timebank_amount_parse(
        text, A.u32(scale, "scale"), ctypes.byref(minor), ctypes.byref(error)
    )
    if status:
        raise_for(status, error)
    return minor.value


def from_minor(minor: int, scale: int) -> Decimal:
    """The Decimal for ``minor`` units of ``scale``, at that scale (250 at scale 2 is 2.50)."""
    minor = A.integer(minor, "minor", -A.U128_MAX, A.U128_MAX)
    scale = A.u32(scale, "scale")
    return Decimal(minor).scaleb(-scale)


def format_minor(minor: int, scale: int) -> str:
    """The library's own plain text for ``minor`` units of ``scale``."""
    text = ctypes.c_void_p()
    error = ctypes.c_void_p()
    status = library().timebank_amount_format(
        A.u64(minor, "minor"), A.u32(scale, "scale"), ctypes.byref(text), ctypes.byref(error)
    )
    if status:
        raise_for(status, error)
    return take_string(text)
