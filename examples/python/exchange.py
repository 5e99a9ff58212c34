"""Hours moving between two district ledgers (通存通兑) through the Python package: ledger A
holds 2.5 hours of its member and offers them to ledger B; B credits its member and answers with
a signed receipt; A posts its hold on it. The same offer delivered again changes nothing. Run:
python3 examples/python/exchange.py (after pip install ledger-ffi/python)."""

import tempfile
import time
from decimal import Decimal
from pathlib import Path

from timebank import AccountKind, Exchange, NewAccount, Store, Transfer, Verdict

A_ID, B_ID = 310101, 310104  # each ledger's id in the federation
HOURS, FUND, MEMBER, ARRIVED = 1, 1, 2, 7
# Real signing keys are random and kept outside the data directory (or in a key file, mode 0600).
KEY_A, KEY_B = bytes([1] * 32), bytes([2] * 32)

with tempfile.TemporaryDirectory() as directory:
    root = Path(directory)
    with Store(root / "a") as a, Store(root / "b") as b:
        a.create_accounts(
            [
                NewAccount(FUND, HOURS, AccountKind.ISSUER),
                NewAccount(MEMBER, HOURS, AccountKind.MEMBER),
            ]
        )
        a.submit_transfers([Transfer(1, FUND, MEMBER, "5", HOURS, 101)])
        b.create_accounts([NewAccount(ARRIVED, HOURS, AccountKind.MEMBER)])
        with Exchange(a, A_ID, signing_key=KEY_A) as ea, Exchange(b, B_ID, signing_key=KEY_B) as eb:
            ea.add_peer(B_ID, eb.public_key)
            eb.add_peer(A_ID, ea.public_key)
            deadline = time.time_ns() + 3600 * 10**9
            offer = ea.send(
                1, to=B_ID, unit=HOURS, amount="2.5", source=MEMBER, destination=ARRIVED,
                deadline=deadline,
            )
            credited = eb.receive(offer)  # the host carries the offer to B ...
            assert credited.verdict == Verdict.OK and credited.reply is not None
            assert ea.receive(credited.reply).verdict == Verdict.OK  # ... and the receipt back to A
            assert eb.receive(offer).verdict == Verdict.EXISTS  # a replay credits nothing
            owed = {p.peer: p.owed_to_peer for p in ea.positions() if p.unit == HOURS}
            owed_back = {p.peer: p.owed_to_peer for p in eb.positions() if p.unit == HOURS}
            assert a.balance(MEMBER) == Decimal("2.50") and b.balance(ARRIVED) == Decimal("2.50")
            assert owed[B_ID] == Decimal("2.50") and owed_back[A_ID] == Decimal("-2.50")
            print(
                f"A's member {a.balance(MEMBER)}, B's member {b.balance(ARRIVED)}, "
                f"A owes B {owed[B_ID]} hours"
            )
