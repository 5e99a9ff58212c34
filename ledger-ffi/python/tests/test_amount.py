"""Amounts, names and errors through the package: exact Decimals, and a clear exception (never a
crash) for every kind of bad input."""

from __future__ import annotations

import ctypes
from decimal import Decimal

import pytest

import timebank
from timebank import InvalidAmountError, InvalidArgumentError, InvalidUtf8Error, NullPointerError
from timebank._library import library

BAD_AMOUNTS = [
    "",
    "1e3",
    "NaN",
    "-1",
    "0",
    "0.001",
    "1,5",
    "\uff11",  # full-width digit one
    "\uff11.\uff15",
    " 1",
    "+1",
    "1000000000.01",
    "99999999999999999999999999",
    Decimal("NaN"),
    Decimal("-1"),
    Decimal("0"),
    Decimal("0.001"),
    0,
    -3,
]


def test_amounts_are_exact_decimals() -> None:
    assert timebank.parse_amount("2.5", 2) == Decimal("2.5")
    assert timebank.to_minor(Decimal("2.50"), 2) == 250
    assert timebank.to_minor(Decimal("1E+3"), 0) == 1000  # a Decimal that is exactly 1000
    assert timebank.to_minor(7, 2) == 700
    assert timebank.from_minor(250, 2) == Decimal("2.5")
    assert timebank.format_minor(250, 2) == "2.50"  # at the unit's scale
    assert timebank.parse_amount("1000000000", 2) == Decimal("1000000000")


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_raise_invalid_amount(amount: timebank.AmountLike) -> None:
    with pytest.raises(InvalidAmountError) as caught:
        timebank.to_minor(amount, 2)
    assert caught.value.status == 4
    assert caught.value.message


def test_floats_are_refused_before_the_library() -> None:
    with pytest.raises(TypeError):
        timebank.to_minor(1.5, 2)  # type: ignore[arg-type]


def test_scale_out_of_range_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError):
        timebank.to_minor("1", 7)
    with pytest.raises(InvalidAmountError):
        timebank.format_minor(0, 2)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(InvalidUtf8Error):
        timebank.to_minor("1\udcff", 2)  # a lone surrogate encodes to invalid UTF-8


def test_null_pointers_return_a_status_not_a_crash() -> None:
    minor = ctypes.c_uint64(77)
    error = ctypes.c_void_p()
    status = library().timebank_amount_parse(None, 2, ctypes.byref(minor), ctypes.byref(error))
    assert timebank.status_name(status) == "null_pointer"
    assert minor.value == 77, "out-params are written only on success"
    message = ctypes.string_at(error.value).decode()
    library().timebank_string_free(error)
    assert "text" in message
    assert library().timebank_amount_parse(b"1", 2, None, None) == NullPointerError.status


def test_names_and_version() -> None:
    assert timebank.status_name(4) == "invalid_amount"
    assert timebank.status_name(-1) == "unknown"
    assert timebank.result_code_name(110) == "exceeds_floor"
    assert timebank.version().count(".") == 2
    for status, cls in timebank.errors.ERRORS_BY_STATUS.items():
        assert timebank.status_name(status) == cls.status_name
