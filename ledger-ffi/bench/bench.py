"""The FFI benchmark from Python: batch submission (TransferBatch, the packed fast path) and one
account lookup, on the same workload and store options as bench/rust_store.rs.

Usage: python3 bench.py DIR BATCHES SINGLES"""

import ctypes
import sys
import time

import timebank
from timebank import AccountKind, NewAccount, Store, TransferBatch
from timebank import _structs

MEMBERS, BATCH, SERVICE, HOURS = 1000, 8190, 101, 1


def fastest_round(calls: int, call) -> float:
    """Nanoseconds per call of the fastest of five rounds (the least disturbed by others)."""
    per_round = max(calls // 5, 1)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(per_round):
            call()
        best = min(best, (time.perf_counter() - started) * 1e9 / per_round)
    return best

directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/timebank-bench-python"
batches = int(sys.argv[2]) if len(sys.argv) > 2 else 20
singles = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000

with Store(directory) as store:
    accounts = [NewAccount(1, HOURS, AccountKind.ISSUER)]
    accounts += [NewAccount(2 + m, HOURS, AccountKind.MEMBER) for m in range(MEMBERS)]
    assert store.create_accounts(accounts) == [0] * (MEMBERS + 1)

    batch = TransferBatch(BATCH)
    packing = 0.0
    started = time.perf_counter()
    for b in range(batches):
        packed = time.perf_counter()
        batch.clear()
        add = batch.add
        for i in range(BATCH):
            n = b * BATCH + i
            add(1_000_000 + n, 1, 2 + n % MEMBERS, 1, HOURS, SERVICE)
        packing += time.perf_counter() - packed
        codes = store.submit(batch)
        assert not any(codes), "a transfer was refused"
    elapsed = time.perf_counter() - started
    total = batches * BATCH
    print(f"python batch : {total / elapsed:>10.0f} transfers/s")
    print(f"python pack  : {total / packing:>10.0f} transfers/s (TransferBatch.add alone)")

    # The raw binding with prepared arguments: the cost of crossing from Python into the library.
    lib = timebank.library()
    member = _structs.TimebankId(2, 0)
    out = _structs.AccountOut()
    args = (store._handle, ctypes.byref(member), ctypes.byref(out), None)
    function = lib.timebank_store_account
    raw = fastest_round(singles, lambda: function(*args))
    print(f"python single: {raw:>10.0f} ns/call (timebank_store_account, ctypes)")
    wrapped = fastest_round(singles // 10, lambda: store.account(2))
    print(f"python single: {wrapped:>10.0f} ns/call (Store.account: 8 Decimals, a dataclass)")
