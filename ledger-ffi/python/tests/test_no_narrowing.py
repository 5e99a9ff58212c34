"""Nothing a host passes is narrowed or cut short on its way into C.

ctypes keeps the low bits of an int that does not fit its C type and ends a string at its first
NUL; each case below would have recorded something other than what was asked (code 65637 as
101, 2**32 + 1 acts as 1, ``"1\\x005"`` hours as 1). Every one must raise an error that names
the parameter, and leave the ledger exactly as it was."""

from __future__ import annotations

import gc
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest

import timebank
from timebank import (
    AccountKind,
    InvalidAmountError,
    InvalidArgumentError,
    NewAccount,
    Store,
    Transfer,
    TransferBatch,
)

from conftest import ELDER, FUND, HOURS, MEMBER_POINTS, NOW, POINTS_ISSUER, VOLUNTEER

SERVICE, AWARD = 101, 401


def refused(store: Store, attempt: Callable[[], object], error: type, name: str) -> None:
    """``attempt`` raises ``error`` naming ``name``, and the ledger is as it was."""
    before = store.status()
    with pytest.raises(error) as caught:
        attempt()
    assert name in str(caught.value), f"{caught.value!r} does not name {name}"
    after = store.status()
    assert (after.state_digest, after.head_sequence) == (before.state_digest, before.head_sequence)


def test_the_narrowing_cases_that_changed_the_ledger(store: Store) -> None:
    s = store
    store.link(VOLUNTEER, ELDER, now=NOW)
    bad = InvalidArgumentError
    refused(s, lambda: s.record_service(1, 65637, FUND, VOLUNTEER, "1", now=NOW), bad, "code")
    refused(s, lambda: s.award(2, AWARD, POINTS_ISSUER, MEMBER_POINTS, acts=2**32 + 1), bad, "acts")
    refused(s, lambda: s.complete(3, booking=4, rating=261), bad, "rating")
    refused(s, lambda: s.book(5, 201, ELDER, VOLUNTEER, "1", timeout_s=2**32 + 60), bad, "timeout_s")
    refused(s, lambda: s.gift(6, VOLUNTEER, ELDER, "1", code=2**16), bad, "code")
    refused(s, lambda: s.record_service(7, SERVICE, FUND, VOLUNTEER, "1", now=-1), bad, "now")
    refused(s, lambda: s.record_service(7, SERVICE, FUND, VOLUNTEER, "1", now=2**64), bad, "now")
    refused(s, lambda: s.set_eligibility(ELDER, -1), bad, "eligible_from")
    refused(s, lambda: s.statement(VOLUNTEER, start=-1), bad, "start")
    refused(s, lambda: s.statement(VOLUNTEER, limit=10**12), bad, "limit")
    refused(s, lambda: s.expire(now=-5), bad, "now")
    refused(
        s,
        lambda: s.create_accounts([NewAccount(20, unit=65537, kind=257)], now=NOW),  # type: ignore
        bad,
        "accounts[0].unit",
    )
    refused(
        s,
        lambda: s.create_accounts([NewAccount(20, HOURS, 257)], now=NOW),  # type: ignore
        bad,
        "accounts[0].kind",
    )
    refused(
        s,
        lambda: s.create_accounts(
            [NewAccount(20, HOURS, AccountKind.MEMBER, floor_minor=2**64 - 500)], now=NOW
        ),
        bad,
        "accounts[0].floor_minor",
    )
    refused(
        s,
        lambda: s.submit_transfers(
            [Transfer(21, FUND, VOLUNTEER, "1", HOURS, SERVICE, flags=65538)], now=NOW
        ),
        bad,
        "transfers[0].flags",
    )
    refused(
        s,
        lambda: s.submit_transfers([Transfer(21, FUND, 2**128 + VOLUNTEER, "1", HOURS)], now=NOW),
        bad,
        "transfers[0].credit_account_id",
    )


def test_a_packed_batch_refuses_a_field_out_of_range_when_it_is_added() -> None:
    batch = TransferBatch(4)
    for field, value in [
        ("id", -1),
        ("id", 2**128),
        ("amount_minor", 2**64),
        ("unit", 65537),
        ("code", -1),
        ("flags", 65538),
        ("timeout_s", 2**32),
        ("user_data", -(2**64)),
    ]:
        fields = dict(id=1, debit_account_id=FUND, credit_account_id=VOLUNTEER,
                      amount_minor=100, unit=HOURS, code=SERVICE)
        fields[field] = value
        with pytest.raises(InvalidArgumentError, match=field):
            batch.add(**fields)
    assert len(batch) == 0


def test_type_errors_name_the_parameter(store: Store) -> None:
    s = store
    refused(s, lambda: s.record_service(1, "101", FUND, VOLUNTEER, "1"), TypeError, "code")  # type: ignore
    refused(s, lambda: s.record_service(1, SERVICE, FUND, VOLUNTEER, 1.5), TypeError, "hours")  # type: ignore
    refused(s, lambda: s.record_service(1, SERVICE, FUND, VOLUNTEER, "1", now=1.0), TypeError, "now")  # type: ignore
    refused(s, lambda: s.award(2, AWARD, POINTS_ISSUER, MEMBER_POINTS, acts=True), TypeError, "acts")
    refused(s, lambda: s.account("1"), TypeError, "id")  # type: ignore
    refused(s, lambda: s.link(VOLUNTEER, None), TypeError, "b")  # type: ignore
    refused(s, lambda: s.submit_transfers([(1, 2, 3)]), TypeError, "transfers[0]")  # type: ignore
    refused(s, lambda: s.create_accounts([None]), TypeError, "accounts[0]")  # type: ignore
    refused(s, lambda: s.create_accounts(7), TypeError, "accounts")  # type: ignore
    refused(s, lambda: s.submit_transfers("abc"), TypeError, "transfers")  # type: ignore
    refused(s, lambda: s.submit([]), TypeError, "batch")  # type: ignore
    refused(s, lambda: s.verify(5), TypeError, "progress")  # type: ignore
    with pytest.raises(TypeError, match="scale"):
        timebank.to_minor("1", scale="2")  # type: ignore
    with pytest.raises(TypeError, match="path"):
        Store(7)  # type: ignore


def test_an_embedded_nul_is_refused_in_every_text(store: Store, tmp_path: Path) -> None:
    s = store
    refused(s, lambda: s.record_service(1, SERVICE, FUND, VOLUNTEER, "1\x005"), InvalidAmountError,
            "hours")
    refused(s, lambda: s.gift(2, VOLUNTEER, ELDER, "\x001"), InvalidAmountError, "amount")
    refused(s, lambda: s.submit_transfers([Transfer(3, FUND, VOLUNTEER, "2\x00", HOURS, SERVICE)]),
            InvalidAmountError, "transfers[0].amount")
    with pytest.raises(InvalidAmountError, match="amount"):
        timebank.to_minor("1\x005", 2)
    with pytest.raises(InvalidArgumentError, match="path"):
        Store(str(tmp_path / "a") + "\x00x")
    with pytest.raises(InvalidArgumentError, match="path"):
        Store(bytes(tmp_path / "b") + b"\x00x")
    with pytest.raises(InvalidArgumentError, match="policy"):
        Store(tmp_path / "c", policy='[[units]]\nid = 1\x00\nname = "hours"\nscale = 2\n')
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert not (tmp_path / "c").exists()


def test_a_checkpoint_key_is_32_raw_bytes_nul_included(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="checkpoint_key"):
        Store(tmp_path / "short", checkpoint_key=b"\x01" * 31)
    with pytest.raises(TypeError, match="checkpoint_key"):
        Store(tmp_path / "text", checkpoint_key="k" * 32)  # type: ignore
    with Store(tmp_path / "zeros", checkpoint_key=bytes(32)) as s:
        assert s.checkpoint().startswith("timebank-checkpoint")


def test_an_unclosed_store_warns(tmp_path: Path) -> None:
    s = Store(tmp_path / "forgotten")
    with pytest.warns(ResourceWarning, match="never closed"):
        del s
        gc.collect()
    # Closed ones do not warn, and the directory is free again.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        again = Store(tmp_path / "forgotten")
        again.close()
        del again
        gc.collect()



def test_amounts_come_back_at_the_units_scale(store: Store) -> None:
    store.record_service(1, SERVICE, FUND, VOLUNTEER, "0.5", now=NOW)
    assert str(timebank.from_minor(50, 2)) == "0.50"
    assert str(store.transfer(1).amount) == "0.50"
    assert str(store.balance(VOLUNTEER)) == "0.50"
    assert store.balance(VOLUNTEER) == Decimal("0.5")
