"""The verify progress callback from Python: it can stop the call, an exception raised in it is
re-raised from ``verify``, and a call on the same store from inside it is refused (it once
deadlocked)."""

from __future__ import annotations

import threading
from typing import List

import pytest

from timebank import CancelledError, ClosedError, ReentrantError, Store

from conftest import FUND, NOW, VOLUNTEER

SERVICE = 101


@pytest.fixture
def busy(store: Store) -> Store:
    for i in range(20):
        store.record_service(100 + i, SERVICE, FUND, VOLUNTEER, "1", now=NOW + i)
    return store


def test_returning_false_cancels(busy: Store) -> None:
    calls: List[int] = []

    def stop(done: int, total: int) -> bool:
        calls.append(done)
        return False

    with pytest.raises(CancelledError):
        busy.verify(stop)
    assert len(calls) == 1
    assert busy.verify().records > 0  # the store is fine afterwards


def test_an_exception_in_the_callback_is_re_raised(busy: Store) -> None:
    class Stop(Exception):
        pass

    def fail(done: int, total: int) -> None:
        raise Stop(f"at {done} of {total}")

    with pytest.raises(Stop, match="at"):
        busy.verify(fail)
    assert busy.verify(lambda done, total: None).records > 0


def test_calls_from_inside_the_callback_are_refused_not_deadlocked(busy: Store) -> None:
    seen: List[BaseException] = []

    def reenter(done: int, total: int) -> None:
        for attempt in (busy.status, busy.close, lambda: busy.balance(VOLUNTEER)):
            try:
                attempt()
            except ReentrantError as e:
                seen.append(e)

    finished = threading.Event()

    def run() -> None:
        busy.verify(reenter)
        finished.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)  # a deadlock would leave the thread blocked; the assertion then fails
    assert finished.is_set(), "verify did not return"
    assert len(seen) >= 3 and all(e.status == ReentrantError.status for e in seen)
    busy.status()  # the store is still open: the close from inside the callback was refused
    busy.close()
    with pytest.raises(ClosedError):
        busy.status()
