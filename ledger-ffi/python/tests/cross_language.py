"""One half of the cross-language test: a store with ids above 2**64 beside their low-half
namesakes, written here and read from Java, and the reverse (``CrossLanguageTest.java`` runs
this script; ``test_cross_language.py`` runs it against itself).

    python cross_language.py write DIR   writes the ledger into DIR, then checks it
    python cross_language.py check DIR   checks a ledger another language wrote into DIR

Each language writes the same ledger: a fund (1), member 5 and member 2**64 + 5; transfer 20
pays 2.50 hours to 2**64 + 5, transfer 2**64 + 21 pays 1 hour to 5. Reading it back must find
every id whole: a reader that dropped the high half would find member 5 where 2**64 + 5 is.
"""

from __future__ import annotations

import sys
from decimal import Decimal

from timebank import AccountKind, NewAccount, NotFoundError, Store, Transfer

FUND, LOW, HIGH = 1, 5, 2**64 + 5
LOW_TRANSFER, HIGH_TRANSFER = 20, 2**64 + 21
HOURS, SERVICE = 1, 101


def write(path: str) -> None:
    with Store(path) as s:
        codes = s.create_accounts(
            [
                NewAccount(FUND, HOURS, AccountKind.ISSUER),
                NewAccount(LOW, HOURS, AccountKind.MEMBER),
                NewAccount(HIGH, HOURS, AccountKind.MEMBER),
            ]
        )
        assert codes == [0, 0, 0], codes
        codes = s.submit_transfers(
            [
                Transfer(LOW_TRANSFER, FUND, HIGH, "2.5", HOURS, SERVICE),
                Transfer(HIGH_TRANSFER, FUND, LOW, "1", HOURS, SERVICE),
            ]
        )
        assert codes == [0, 0], codes


def check(path: str) -> None:
    with Store(path) as s:
        low_transfer = s.transfer(LOW_TRANSFER)
        assert low_transfer.credit_account_id == HIGH, low_transfer
        assert low_transfer.debit_account_id == FUND
        assert low_transfer.amount == Decimal("2.5")
        high_transfer = s.transfer(HIGH_TRANSFER)
        assert high_transfer.id == HIGH_TRANSFER and high_transfer.credit_account_id == LOW
        try:
            s.transfer(21)
            raise AssertionError("transfer 21 exists: the high half of 2**64 + 21 was dropped")
        except NotFoundError:
            pass
        assert s.account(HIGH).id == HIGH
        assert s.balance(HIGH) == Decimal("2.5"), s.balance(HIGH)
        assert s.balance(LOW) == Decimal("1"), s.balance(LOW)
        assert [line.counterparty for line in s.statement(HIGH).lines] == [FUND]


if __name__ == "__main__":
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "write":
        write(directory)
    elif mode != "check":
        sys.exit(f"unknown mode {mode}: write or check")
    check(directory)
    print(f"cross-language {mode}: ok")
