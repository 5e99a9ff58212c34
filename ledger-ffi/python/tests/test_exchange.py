"""Hours moving between two ledgers in one process through the Python package: A sends, B
credits and returns a receipt, A posts; balances and clearing positions mirror. A replayed offer
is EXISTS with no second credit; a forged offer and one from an unknown peer are refused with
their verdict and change nothing; bad arguments raise the package's exceptions and write
nothing."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import timebank
from timebank import (
    AccountKind,
    BusyError,
    Exchange,
    InvalidAmountError,
    InvalidArgumentError,
    InvalidHandleError,
    NewAccount,
    NotFoundError,
    Store,
    Transfer,
    Verdict,
)

from conftest import NOW

A_ID, B_ID, C_ID = 310101, 310104, 310107
A_KEY, B_KEY, C_KEY = bytes([1] * 32), bytes([2] * 32), bytes([3] * 32)
FUND, MEMBER, ARRIVED, HOURS = 1, 2, 7, 1
HOUR = 3600 * 10**9


def ledger(path: Path, member: int, funded: bool) -> Store:
    store = Store(path, any_time=True)
    codes = store.create_accounts(
        [
            NewAccount(FUND, HOURS, AccountKind.ISSUER, community=7),
            NewAccount(member, HOURS, AccountKind.MEMBER, community=7),
        ],
        now=NOW,
    )
    assert codes == [0, 0]
    if funded:
        assert store.submit_transfers([Transfer(1, FUND, member, "5", HOURS, 101)], now=NOW) == [0]
    return store


@pytest.fixture
def ledgers(tmp_path: Path) -> Iterator[Tuple[Store, Exchange, Store, Exchange]]:
    a, b = ledger(tmp_path / "a", MEMBER, True), ledger(tmp_path / "b", ARRIVED, False)
    key_file = tmp_path / "b.key"
    key_file.write_text(B_KEY.hex())
    os.chmod(key_file, 0o600)
    with Exchange(a, A_ID, signing_key=A_KEY, now=NOW) as ea, Exchange(
        b, B_ID, signing_key_file=key_file, now=NOW
    ) as eb:
        ea.add_peer(B_ID, eb.public_key, now=NOW)
        eb.add_peer(A_ID, timebank.signing_public_key("standard", A_KEY), now=NOW)
        yield a, ea, b, eb
    a.close()
    b.close()


def owed(exchange: Exchange, peer: int) -> Decimal:
    (position,) = [p for p in exchange.positions() if p.peer == peer and p.unit == HOURS]
    return position.owed_to_peer


def test_hours_move_once_and_positions_mirror(ledgers) -> None:  # type: ignore[no-untyped-def]
    a, ea, b, eb = ledgers
    assert ea.own_id == A_ID and eb.peers()["peers"][0]["id"] == A_ID
    offer = ea.send(1, B_ID, HOURS, "2.5", MEMBER, ARRIVED, NOW + HOUR, now=NOW + 1)
    again = ea.send(1, B_ID, HOURS, Decimal("2.50"), MEMBER, ARRIVED, NOW + HOUR, now=NOW + 1)
    assert again == offer
    assert a.account(MEMBER).available == Decimal("2.50")
    (pending,) = ea.pending()
    assert (pending.number, pending.amount, pending.to) == (1, Decimal("2.50"), B_ID)

    credited = eb.receive(offer, now=NOW + 2)
    assert credited.verdict == Verdict.OK and credited.honoured and credited.reply is not None
    assert b.balance(ARRIVED) == Decimal("2.50")

    digest = b.status().state_digest
    replayed = eb.receive(offer, now=NOW + 3)
    assert replayed.verdict == Verdict.EXISTS and replayed.reply is not None
    assert b.balance(ARRIVED) == Decimal("2.50")
    assert b.status().state_digest == digest

    posted = ea.receive(credited.reply, now=NOW + 4)
    assert posted.verdict == Verdict.OK and posted.reply is None
    assert ea.receive(credited.reply, now=NOW + 5).verdict == Verdict.EXISTS
    assert a.balance(MEMBER) == Decimal("2.50")
    assert owed(ea, B_ID) == Decimal("2.50") and owed(eb, A_ID) == Decimal("-2.50")
    assert ea.pending() == []
    assert Verdict.FORGED.stable_name == "forged"


def test_forged_and_unknown_offers_change_nothing(  # type: ignore[no-untyped-def]
    ledgers, tmp_path: Path
) -> None:
    a, ea, b, eb = ledgers
    offer = ea.send(2, B_ID, HOURS, "1", MEMBER, ARRIVED, NOW + HOUR, now=NOW + 1)
    # One hex digit of the signature flipped.
    at = offer.index(b'"signature"') + len(b'"signature": "')
    forged = offer[:at] + (b"1" if offer[at : at + 1] == b"0" else b"0") + offer[at + 1 :]
    digest = b.status().state_digest
    refused = eb.receive(forged, now=NOW + 2)
    assert refused.verdict == Verdict.FORGED and not refused.honoured
    assert b.status().state_digest == digest
    assert b.balance(ARRIVED) == 0

    c = ledger(tmp_path / "c", MEMBER, True)
    with Exchange(c, C_ID, signing_key=C_KEY, now=NOW) as ec:
        ec.add_peer(B_ID, eb.public_key, now=NOW)
        from_c = ec.send(1, B_ID, HOURS, "1", MEMBER, ARRIVED, NOW + HOUR, now=NOW + 1)
    c.close()
    assert eb.receive(from_c, now=NOW + 3).verdict == Verdict.UNKNOWN_PEER
    assert eb.receive(b"\x01 not a message", now=NOW + 3).verdict == Verdict.MALFORMED
    assert b.status().state_digest == digest
    assert b.balance(ARRIVED) == 0

    # Past its deadline the offer is refused for good, and the refusal voids A's hold.
    late = NOW + 2 * HOUR
    (due,) = ea.expire(now=late)
    refusal = eb.receive(due, now=late)
    assert refusal.verdict == Verdict.PAST_DEADLINE and refusal.reply is not None
    assert ea.receive(refusal.reply, now=late + 1).verdict == Verdict.OK
    assert a.account(MEMBER).available == Decimal("5.00")


def test_bad_arguments_raise_and_write_nothing(ledgers) -> None:  # type: ignore[no-untyped-def]
    a, ea, b, eb = ledgers
    digest = a.status().state_digest
    deadline = NOW + HOUR
    with pytest.raises(NotFoundError):
        ea.send(1, C_ID, HOURS, "1", MEMBER, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(InvalidAmountError):
        ea.send(1, B_ID, HOURS, "1.234", MEMBER, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(InvalidArgumentError):
        ea.send(2**64, B_ID, HOURS, "1", MEMBER, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(InvalidArgumentError):
        ea.send(1, B_ID, 2**16, "1", MEMBER, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(InvalidArgumentError):
        ea.send(1, 0, HOURS, "1", MEMBER, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(InvalidArgumentError):
        ea.send(1, B_ID, HOURS, "1", -1, ARRIVED, deadline, now=NOW + 1)
    with pytest.raises(TypeError):
        ea.send(1, B_ID, HOURS, "1", MEMBER, ARRIVED, float(deadline), now=NOW + 1)
    with pytest.raises(InvalidArgumentError):
        ea.add_peer(B_ID, timebank.signing_public_key("standard", C_KEY))
    with pytest.raises(InvalidArgumentError):
        ea.receive(b"{" * (timebank.MESSAGE_BYTES_MAX + 1))
    with pytest.raises(TypeError):
        ea.receive(12)  # type: ignore[arg-type]
    with pytest.raises(BusyError):
        Exchange(a, A_ID, signing_key=A_KEY)
    with pytest.raises(InvalidArgumentError):
        Exchange(a, A_ID, signing_key=A_KEY[:31])
    assert a.status().state_digest == digest
    ea.close()
    with pytest.raises(InvalidHandleError):
        ea.positions()
