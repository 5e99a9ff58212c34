"""Several threads on one store: every submission lands exactly once, and reads see whole
commands only."""

from __future__ import annotations

import threading
from decimal import Decimal

from timebank import ClosedError, Store, TransferBatch

from conftest import FUND, HOURS, NOW, VOLUNTEER

SERVICE = 101
THREADS, BATCHES, PER_BATCH = 4, 10, 50


def test_concurrent_submissions_all_land(store: Store) -> None:
    errors: list = []

    def submit(worker: int) -> None:
        try:
            for b in range(BATCHES):
                batch = TransferBatch(PER_BATCH)
                for i in range(PER_BATCH):
                    transfer_id = 1_000_000 * (worker + 1) + b * PER_BATCH + i
                    batch.add(transfer_id, FUND, VOLUNTEER, 1, HOURS, SERVICE)
                assert store.submit(batch, now=NOW + b) == [0] * PER_BATCH
                store.balance(VOLUNTEER)  # reads interleave with writes
        except BaseException as e:  # reported below, on the main thread
            errors.append(e)

    threads = [threading.Thread(target=submit, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = THREADS * BATCHES * PER_BATCH
    assert store.balance(VOLUNTEER) == Decimal(total) / 100
    assert store.status().transfers == total
    assert store.verify().index_checked


def test_close_while_other_threads_read(store: Store) -> None:
    store.record_service(1, SERVICE, FUND, VOLUNTEER, "1", now=NOW)
    outcomes: list = []

    def read() -> None:
        for _ in range(200):
            try:
                store.balance(VOLUNTEER)
            except Exception as e:  # ClosedError once the store is closed
                outcomes.append(type(e).__name__)
                return

    readers = [threading.Thread(target=read) for _ in range(3)]
    for r in readers:
        r.start()
    store.close()
    for r in readers:
        r.join()
    assert set(outcomes) <= {"ClosedError"}


def test_calls_racing_close_raise_closed_and_nothing_else(store: Store) -> None:
    """Threads reading and writing while another closes the store: each call either completes or
    raises ClosedError; none crashes, hangs or raises anything else."""
    unexpected: list = []
    started = threading.Barrier(THREADS + 1)

    def hammer(worker: int) -> None:
        started.wait()
        try:
            for i in range(2000):
                store.balance(VOLUNTEER)
                batch = TransferBatch(1)
                batch.add(5_000_000 * (worker + 1) + i, FUND, VOLUNTEER, 1, HOURS, SERVICE)
                store.submit(batch, now=NOW)
        except ClosedError:
            return
        except BaseException as e:  # reported below, on the main thread
            unexpected.append(e)

    workers = [threading.Thread(target=hammer, args=(w,)) for w in range(THREADS)]
    for worker in workers:
        worker.start()
    started.wait()
    store.close()
    for worker in workers:
        worker.join(120)
        assert not worker.is_alive(), "a call hung after close"
    assert unexpected == []
