"""A volunteer earns hours from a community fund, holds some for a booking, and spends them:
the Rust quickstart (ledger-core/examples/quickstart.rs) through the Python package, on a durable
store. Run: python3 examples/python/quickstart.py (after pip install ledger-ffi/python)."""

import tempfile
import time
from decimal import Decimal

import timebank
from timebank import AccountKind, NewAccount, Store, Transfer, TransferFlags

# One unit, hours to 2 decimals, and no time-bank rules: the engine's accounting alone.
POLICY = '[[units]]\nid = 1\nname = "hours"\nscale = 2\n'
HOURS = 1
FUND, VOLUNTEER, ELDER = 1, 2, 3

with tempfile.TemporaryDirectory() as directory, Store(directory, policy=POLICY) as store:
    codes = store.create_accounts(
        [
            NewAccount(FUND, HOURS, AccountKind.ISSUER, community=7),
            NewAccount(VOLUNTEER, HOURS, AccountKind.MEMBER, community=7),
            NewAccount(ELDER, HOURS, AccountKind.MEMBER, community=7),
        ]
    )
    assert codes == [0, 0, 0]

    batch = [
        Transfer(1, FUND, VOLUNTEER, Decimal("6"), HOURS),
        Transfer(2, FUND, ELDER, Decimal("3"), HOURS),
        Transfer(3, ELDER, VOLUNTEER, Decimal("2"), HOURS, flags=TransferFlags.PENDING,
                 timeout_s=86_400),
        Transfer(4, related_id=3, amount=Decimal("1.5"), flags=TransferFlags.POST_PENDING),
    ]
    for transfer, code in zip(batch, store.submit_transfers(batch)):
        print(f"transfer {transfer.id:>2}: {timebank.result_code_name(code)}")
    for name, account in [("fund", FUND), ("volunteer", VOLUNTEER), ("elder", ELDER)]:
        print(f"{name:>9}: {store.balance(account):>6} hours")
    print(f"state digest: {store.status().state_digest.hex()}")

    # Ids are 128-bit: 2**64 + 2 is its own member, never member 2.
    assert store.create_accounts([NewAccount(2**64 + VOLUNTEER, HOURS, AccountKind.MEMBER)]) == [0]
    # The time guard: a `now` an hour ahead of the clock is refused, and nothing is written.
    digest = store.status().state_digest
    try:
        store.submit_transfers([Transfer(5, FUND, 2**64 + VOLUNTEER, "1", HOURS)],
                               now=time.time_ns() + 3600 * 10**9)
    except timebank.InvalidTimeError as refused:
        print(f"an hour ahead: {refused.status_name}")
    assert store.status().state_digest == digest and store.balance(2**64 + VOLUNTEER) == 0
