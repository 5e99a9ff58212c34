"""The time guard from Python: a ``now`` that is not a plausible wall-clock time is refused and
changes nothing, and the ledger goes on taking writes afterwards (one bad ``now`` once bricked a
ledger for good: -1 became 2**64 - 1, past which no later write could be stamped)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from timebank import AccountKind, InvalidArgumentError, InvalidTimeError, NewAccount, Store, Transfer

from conftest import FUND, VOLUNTEER

SERVICE = 101
HOUR_NS = 3600 * 10**9


def unchanged(store: Store, now: int, error: type) -> None:
    before = store.status()
    with pytest.raises(error) as caught:
        store.record_service(50, SERVICE, FUND, VOLUNTEER, "1", now=now)
    assert "now" in str(caught.value) or error is InvalidTimeError
    after = store.status()
    assert (after.head_sequence, after.state_digest) == (before.head_sequence, before.state_digest)


@pytest.mark.parametrize(
    "now, error",
    [
        (-1, InvalidArgumentError),  # refused by the package: it does not fit a uint64_t
        (2**64, InvalidArgumentError),
        (2**63, InvalidTimeError),  # refused by the store's guard
        (2**64 - 1, InvalidTimeError),
        (time.time_ns() * 1000, InvalidArgumentError),  # nanoseconds × 1000: past 2**64 - 1
        (time.time_ns() * 1000 % 2**64, InvalidTimeError),  # what it was read as in C before
        (time.time_ns() + HOUR_NS, InvalidTimeError),  # an hour ahead of the clock
        (1, InvalidTimeError),  # 1970: before the ledger was created
        (time.time_ns() - 24 * HOUR_NS, InvalidTimeError),
    ],
    ids=["-1", "2^64", "2^63", "2^64-1", "time_ns*1000", "time_ns*1000-mod-2^64", "an-hour-ahead", "1", "a-day-back"],
)
def test_implausible_times_are_refused_and_change_nothing(
    store: Store, tmp_path: Path, now: int, error: type
) -> None:
    unchanged(store, now, error)
    unchanged(store, now, error)  # and again: nothing was stamped
    store.record_service(51, SERVICE, FUND, VOLUNTEER, "1", now=time.time_ns())
    store.close()
    with Store(tmp_path / "ledger") as again:  # the ledger still takes writes after a reopen
        again.record_service(52, SERVICE, FUND, VOLUNTEER, "1", now=0)
        assert again.balance(VOLUNTEER) == Decimal("2")


def test_zero_is_the_system_clock(store: Store) -> None:
    before = time.time_ns()
    store.record_service(53, SERVICE, FUND, VOLUNTEER, "1", now=0)
    assert before <= store.transfer(53).timestamp <= time.time_ns()


def test_the_allowed_skew_is_an_open_option(tmp_path: Path) -> None:
    second = 10**9
    with Store(tmp_path / "tight", clock_skew_max_ns=second) as s:
        with pytest.raises(InvalidTimeError):
            s.expire(now=time.time_ns() + 60 * second)
        s.expire(now=time.time_ns())
    with pytest.raises(InvalidArgumentError, match="clock_skew_max_ns"):
        Store(tmp_path / "bad", clock_skew_max_ns=-1)
    with pytest.raises(TypeError, match="any_time"):
        Store(tmp_path / "bad", any_time=1)  # type: ignore[arg-type]


def test_any_time_is_an_explicit_opt_out_for_simulations(tmp_path: Path) -> None:
    policy = '[[units]]\nid = 1\nname = "hours"\nscale = 2\n'
    far = time.time_ns() + 365 * 24 * HOUR_NS
    with Store(tmp_path / "simulation", policy=policy, any_time=True) as s:
        s.create_accounts([NewAccount(1, 1, AccountKind.ISSUER), NewAccount(2, 1, AccountKind.MEMBER)])
        assert s.submit_transfers([Transfer(1, 1, 2, "1", 1)], now=far) == [0]
        assert s.transfer(1).timestamp == far
    # The option belongs to the opening, not to the ledger: reopened with the defaults, the
    # guard is back (and the ledger's clock is a year ahead, so today is refused).
    with Store(tmp_path / "simulation") as s:
        with pytest.raises(InvalidTimeError):
            s.submit_transfers([Transfer(2, 1, 2, "1", 1)], now=far + 10 * 60 * 10**9)
