"""``resident_transfers``: a store that keeps only the newest transfers in memory (the older
settled ones go to its index every max(n, 4096) transfers) answers every call as a store that
keeps them all, before and after a reopen: a retried early id is ``exists`` with its original
timestamp, and an early transfer can still be reversed."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from timebank import AccountKind, InvalidArgumentError, NewAccount, Store, TransferBatch

from conftest import FUND, HOURS, VOLUNTEER

SERVICE = 101
# 9,000 transfers: past two evictions of a store keeping 100 (one every 4,096).
BATCHES, PER_BATCH = 3, 3000
FIRST_ID = 1_000


def open_store(path: Path, resident: Optional[int]) -> Store:
    if resident is None:
        return Store(path)
    return Store(path, resident_transfers=resident)


def answers(path: Path, resident: Optional[int], base: int) -> List[Dict[str, Any]]:
    """Writes the history, then asks the same of an early transfer before and after a reopen;
    every answer, in order."""
    seen: List[Dict[str, Any]] = []
    with open_store(path, resident) as store:
        assert store.create_accounts(
            [
                NewAccount(FUND, HOURS, AccountKind.ISSUER),
                NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER),
            ],
            now=base,
        ) == [0, 0]
        for b in range(BATCHES):
            batch = TransferBatch(PER_BATCH)
            for i in range(PER_BATCH):
                batch.add(FIRST_ID + b * PER_BATCH + i, FUND, VOLUNTEER, 1, HOURS, SERVICE)
            assert store.submit(batch, now=base + 1 + b) == [0] * PER_BATCH
        seen.append(ask(store, FIRST_ID + 1, reversal=100, now=base + 10))
    with open_store(path, resident) as store:
        seen.append(ask(store, FIRST_ID + 2, reversal=101, now=base + 20))
        assert store.status().transfers == BATCHES * PER_BATCH + 2
        assert store.verify().index_checked
    return seen


def ask(store: Store, early: int, reversal: int, now: int) -> Dict[str, Any]:
    written = store.transfer(early)
    retry = TransferBatch(1)
    retry.add(early, FUND, VOLUNTEER, 1, HOURS, SERVICE)
    codes = store.submit(retry, now=now)
    store.reverse(reversal, original=early, now=now + 1)
    after = store.transfer(early)
    return {
        "retry": codes,
        "timestamp": written.timestamp,
        "timestamp_after": after.timestamp,
        "reversed_by": after.reversed_by,
        "reversal_timestamp": store.transfer(reversal).timestamp,
        "balance": store.balance(VOLUNTEER),
    }


def test_a_store_keeping_100_transfers_answers_as_one_keeping_all(tmp_path: Path) -> None:
    # Both stores are created before `base` (a minute ahead, within the time guard's 5 minutes),
    # so every event's timestamp comes from `base` alone: the answers can be compared whole.
    base = time.time_ns() + 60 * 10**9
    bounded = answers(tmp_path / "bounded", 100, base)
    everything = answers(tmp_path / "everything", None, base)
    assert bounded == everything
    for answer, early, reversal in zip(bounded, (FIRST_ID + 1, FIRST_ID + 2), (100, 101)):
        assert answer["retry"] == [3]  # exists
        assert answer["timestamp_after"] == answer["timestamp"] > base
        assert answer["reversed_by"] == reversal
    total = BATCHES * PER_BATCH
    assert bounded[-1]["balance"] == Decimal(total - 2) / 100


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_resident_transfers_out_of_range_is_refused(tmp_path: Path, bad: int) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Store(tmp_path / "ledger", resident_transfers=bad)
    assert "resident_transfers" in str(caught.value)
    assert not (tmp_path / "ledger").exists()  # refused before anything was written


def test_resident_transfers_must_be_an_int(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        Store(tmp_path / "ledger", resident_transfers=100.0)  # type: ignore[arg-type]
