"""Bad input from Python: each kind raises the exception of its status, never crashes the
process, and leaves the ledger exactly as it was (same state digest, same balances)."""

from __future__ import annotations

import ctypes
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest

import timebank
from timebank import (
    BusyError,
    InvalidAmountError,
    InvalidArgumentError,
    InvalidHandleError,
    InvalidUtf8Error,
    NotFoundError,
    NullPointerError,
    RefusedError,
    Store,
    Transfer,
    TransferBatch,
)
from timebank import _structs as S
from timebank._library import library

from conftest import ELDER, FUND, HOURS, NOW, VOLUNTEER

SERVICE = 101
BAD_AMOUNTS = ["", "1e3", "NaN", "-1", "0", "0.001", "1,5", "\uff11", "\uff11.\uff15",
               "1000000000.01", "99999999999999999999", Decimal("NaN"), Decimal("-1"),
               Decimal("0.001")]


@pytest.fixture
def funded(store: Store) -> Store:
    store.record_service(1, SERVICE, FUND, VOLUNTEER, "5", now=NOW)
    return store


def unchanged(store: Store, attempt: Callable[[], object], error: type) -> None:
    before = store.status()
    balances = [store.balance(a) for a in (FUND, VOLUNTEER, ELDER)]
    with pytest.raises(error) as caught:
        attempt()
    assert caught.value.message
    assert store.status().state_digest == before.state_digest
    assert store.status().head_sequence == before.head_sequence
    assert [store.balance(a) for a in (FUND, VOLUNTEER, ELDER)] == balances


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts(funded: Store, amount: object) -> None:
    unchanged(funded, lambda: funded.record_service(10, SERVICE, FUND, VOLUNTEER, amount),
              InvalidAmountError)
    unchanged(funded, lambda: funded.submit_transfers(
        [Transfer(11, FUND, VOLUNTEER, amount, HOURS, SERVICE)]), InvalidAmountError)
    unchanged(funded, lambda: funded.gift(12, VOLUNTEER, ELDER, amount), InvalidAmountError)


def test_amount_past_the_maximum_in_a_packed_batch(funded: Store) -> None:
    batch = TransferBatch()
    batch.add(20, FUND, VOLUNTEER, 100_000_000_001, HOURS, SERVICE)
    unchanged(funded, lambda: funded.submit(batch), InvalidAmountError)


def test_invalid_utf8(funded: Store) -> None:
    unchanged(funded, lambda: funded.record_service(21, SERVICE, FUND, VOLUNTEER, "1\udcff"),
              InvalidUtf8Error)


def test_unknown_and_zero_ids(funded: Store) -> None:
    unchanged(funded, lambda: funded.account(999), NotFoundError)
    unchanged(funded, lambda: funded.transfer(999), NotFoundError)
    unchanged(funded, lambda: funded.reverse(22, original=999), NotFoundError)
    unchanged(funded, lambda: funded.gift(23, VOLUNTEER, 999, "1"), NotFoundError)
    unchanged(funded, lambda: funded.complete(24, booking=999), NotFoundError)
    unchanged(funded, lambda: funded.account(0), InvalidArgumentError)
    unchanged(funded, lambda: funded.record_service(0, SERVICE, FUND, VOLUNTEER, "1"),
              InvalidArgumentError)
    unchanged(funded, lambda: funded.account(-1), InvalidArgumentError)
    unchanged(funded, lambda: funded.account(1 << 128), InvalidArgumentError)
    unchanged(funded, lambda: funded.record_service(25, 999, FUND, VOLUNTEER, "1"),
              InvalidArgumentError)  # no such code in the policy


def test_refusals_carry_the_result_code(funded: Store) -> None:
    with pytest.raises(RefusedError) as refused:
        funded.gift(26, VOLUNTEER, ELDER, "1")
    assert refused.value.code == 204  # gift_not_allowed: no family link
    assert funded.balance(ELDER) == 0


def test_every_refusal_carries_its_result_code(funded: Store) -> None:
    """Refusals while planning (not a booking) and while applying (no family link, an
    eligibility date missing, already reversed) all carry the ledger's result code, never
    None, and the code's name is the one the message starts with."""
    funded.reverse(30, original=1, now=NOW)
    attempts = [
        (lambda: funded.cancel(31, booking=1, now=NOW), 214),  # not_a_booking
        (lambda: funded.complete(32, booking=1, now=NOW), 214),
        (lambda: funded.gift(33, VOLUNTEER, ELDER, "1", now=NOW), 204),  # gift_not_allowed
        (lambda: funded.withdraw(34, 201, ELDER, VOLUNTEER, "1", now=NOW), 203),
        (lambda: funded.reverse(35, original=1, now=NOW), 102),  # already_reversed
    ]
    for attempt, code in attempts:
        with pytest.raises(RefusedError) as refused:
            attempt()
        assert refused.value.code == code
        name = timebank.result_code_name(code)
        assert refused.value.message.startswith(f"refused: {name} ({code})")


def test_null_pointers_at_the_c_boundary(funded: Store) -> None:
    lib = library()
    error = ctypes.c_void_p()
    status = lib.timebank_store_account(funded._handle, None, None, ctypes.byref(error))
    assert status == NullPointerError.status
    lib.timebank_string_free(error)
    assert lib.timebank_store_account(None, None, None, None) == NullPointerError.status
    with pytest.raises(NullPointerError):
        funded._call(lib.timebank_store_transfer, None, None)


def test_a_forged_or_freed_handle_is_refused_not_read(tmp_path: Path) -> None:
    lib = library()
    status = lib.timebank_store_status(ctypes.c_void_p(12345), ctypes.byref(S.StoreInfoOut()), None)
    assert status == InvalidHandleError.status
    store = Store(tmp_path / "freed")
    handle = store._handle
    store.close()
    store._finalizer()  # frees the handle now, as garbage collection would
    assert lib.timebank_store_status(handle, ctypes.byref(S.StoreInfoOut()), None) == (
        InvalidHandleError.status
    )
    lib.timebank_store_free(handle)  # a second free is refused too, never a double free


def test_bad_policy_and_busy_directory(funded: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        Store(tmp_path / "other", policy="units = 5")
    with pytest.raises(BusyError):
        Store(tmp_path / "ledger")
    with pytest.raises(InvalidArgumentError):
        Store(tmp_path / "third", checkpoint_key=b"short")
