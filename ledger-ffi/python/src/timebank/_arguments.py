"""Every argument checked before it crosses into C, so that nothing is narrowed or cut short.

ctypes converts a Python int to a C integer by keeping its low bits (65637 becomes 101 as a
``uint16_t``, -1 becomes 2**64 - 1 as a ``uint64_t``), and passes a str with an embedded NUL as
the text before it. Both would change what the ledger records without a word, so every integer
is range-checked against its C type and every text is refused when it holds a NUL, here, with
the parameter's name in the error. A wrong type raises ``TypeError``; a value out of range or a
NUL raises ``InvalidArgumentError`` (a ``ValueError``), or ``InvalidAmountError`` for amounts.
"""

from __future__ import annotations

import operator
import os
from typing import Optional, Type, Union

from .errors import InvalidAmountError, InvalidArgumentError, TimebankError

U8_MAX = (1 << 8) - 1
U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
U128_MAX = (1 << 128) - 1
SIZE_MAX = U64_MAX  # size_t on the 64-bit platforms the library ships for


def integer(value: object, name: str, low: int, high: int) -> int:
    """``value`` as an int in ``low ..= high``; ``TypeError`` or ``InvalidArgumentError``
    naming ``name`` otherwise. Booleans and floats are refused (``True`` is not a code)."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    try:
        number = operator.index(value)  # int, IntEnum, IntFlag, numpy integers
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if not low <= number <= high:
        raise InvalidArgumentError(f"{name} must be {low} to {high}, not {number}")
    return number


def u8(value: object, name: str) -> int:
    return integer(value, name, 0, U8_MAX)


def u16(value: object, name: str) -> int:
    return integer(value, name, 0, U16_MAX)


def u32(value: object, name: str) -> int:
    return integer(value, name, 0, U32_MAX)


def u64(value: object, name: str) -> int:
    return integer(value, name, 0, U64_MAX)


def i32(value: object, name: str) -> int:
    return integer(value, name, I32_MIN, I32_MAX)


def i64(value: object, name: str) -> int:
    return integer(value, name, I64_MIN, I64_MAX)


def size(value: object, name: str) -> int:
    return integer(value, name, 0, SIZE_MAX)


def u128(value: object, name: str) -> int:
    return integer(value, name, 0, U128_MAX)


def text(
    value: object, name: str, error: Type[TimebankError] = InvalidArgumentError
) -> bytes:
    """A str as the NUL-terminated UTF-8 the library reads. A NUL inside it would end the C
    string early (``"1\\x005"`` read as ``"1"``), so it is refused with ``error``. Lone
    surrogates pass through so that the library reports them as invalid UTF-8."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise error(f"{name} contains a NUL character at index {value.index(chr(0))}")
    return value.encode("utf-8", "surrogatepass")


def optional_text(value: Optional[str], name: str) -> Optional[bytes]:
    return None if value is None else text(value, name)


def path(value: Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"], name: str) -> bytes:
    """A file system path (str, bytes or path-like) as the bytes the library opens."""
    try:
        raw = os.fspath(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a str, bytes or os.PathLike, not {type(value).__name__}"
        ) from None
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise InvalidArgumentError(f"{name} contains a NUL byte at index {raw.index(0)}")
        return raw
    return text(raw, name)


def amount_bytes(value: str, name: str) -> bytes:
    """Amount text: a NUL inside it is an invalid amount, as any other stray character is."""
    return text(value, name, InvalidAmountError)
