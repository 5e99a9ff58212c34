"""A fresh store per test, with a fund, two members, a points issuer and a points shop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from timebank import AccountKind, NewAccount, Store

FUND, VOLUNTEER, ELDER = 1, 2, 3
POINTS_ISSUER, MEMBER_POINTS, SHOP, POOL = 11, 12, 13, 14
HOURS, POINTS = 1, 2
# The store journals its creation time from the clock, and time never goes back in a ledger, so
# tests count from the time they start.
NOW = time.time_ns()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "ledger", checkpoint_key=bytes(range(32))) as s:
        codes = s.create_accounts(
            [
                NewAccount(FUND, HOURS, AccountKind.ISSUER, community=7),
                NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER, community=7),
                NewAccount(ELDER, HOURS, AccountKind.MEMBER, community=7),
                NewAccount(POINTS_ISSUER, POINTS, AccountKind.ISSUER),
                NewAccount(MEMBER_POINTS, POINTS, AccountKind.MEMBER),
                NewAccount(SHOP, POINTS, AccountKind.REDEMPTION),
                NewAccount(POOL, HOURS, AccountKind.DONATION),
            ],
            now=NOW,
        )
        assert codes == [0] * 7
        yield s
