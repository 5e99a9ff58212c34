"""The store from Python: accounts, batches, lookups, statements, reports, checkpoints and
verification, and every time-bank operation, with exact Decimal balances."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

import timebank
from timebank import (
    AccountKind,
    ClosedError,
    RefusedError,
    Store,
    Transfer,
    TransferBatch,
    TransferFlags,
    TransferState,
)

from conftest import ELDER, FUND, HOURS, MEMBER_POINTS, NOW, POINTS, POINTS_ISSUER, POOL, SHOP, VOLUNTEER

SERVICE, CARE, AWARD_VOLUNTEERING = 101, 201, 401


def test_batches_move_exact_hours(store: Store) -> None:
    batch = TransferBatch()
    batch.add(100, FUND, VOLUNTEER, 600, HOURS, SERVICE)
    batch.add(101, FUND, ELDER, 325, HOURS, SERVICE)
    batch.add(102, VOLUNTEER, ELDER, 10_000, HOURS, 305)  # a member cannot pay what it lacks
    codes = store.submit(batch, now=NOW + 1)
    assert codes[:2] == [0, 0] and codes[2] != 0
    assert store.balance(VOLUNTEER) == Decimal("6")
    assert store.balance(ELDER) == Decimal("3.25")
    assert store.balance(FUND) == Decimal("-9.25")
    assert store.submit(batch, now=NOW + 2)[0] == 3  # the same id again: exists, nothing moves
    assert store.balance(VOLUNTEER) == Decimal("6")

    codes = store.submit_transfers(
        [Transfer(103, FUND, VOLUNTEER, Decimal("1.25"), HOURS, SERVICE)], now=NOW + 3
    )
    assert codes == [0]
    record = store.transfer(103)
    assert record.amount == Decimal("1.25") and record.state == TransferState.POSTED
    assert record.credit_account_id == VOLUNTEER and record.code == SERVICE


def test_holds_post_and_void(store: Store) -> None:
    store.submit_transfers([Transfer(1, FUND, ELDER, "3", HOURS, SERVICE)], now=NOW)
    codes = store.submit_transfers(
        [
            Transfer(2, ELDER, VOLUNTEER, "2", HOURS, SERVICE + 100, TransferFlags.PENDING, 0, 60),
        ],
        now=NOW + 1,
    )
    assert codes == [203]  # not_yet_eligible: the elder has no eligibility date
    store.set_eligibility(ELDER, NOW, now=NOW + 2)
    store.book(3, CARE, ELDER, VOLUNTEER, "2", timeout_s=60, now=NOW + 3)
    assert store.account(ELDER).available == Decimal("1")
    assert store.complete(4, booking=3, hours="1.5", rating=5, now=NOW + 4) == 1
    assert store.balance(VOLUNTEER) == Decimal("1.5")
    assert store.balance(ELDER) == Decimal("1.5")
    assert store.transfer(3).state == TransferState.PENDING_POSTED

    store.book(5, CARE, ELDER, VOLUNTEER, "1", timeout_s=60, now=NOW + 5)
    store.cancel(6, booking=5, now=NOW + 6)
    assert store.account(ELDER).available == Decimal("1.5")
    store.book(7, CARE, ELDER, VOLUNTEER, "1", timeout_s=1, now=NOW + 7)
    assert store.expire(now=time.time_ns() + 5_000_000_000) == 1  # past the 1 s timeout
    assert store.transfer(7).state == TransferState.PENDING_EXPIRED


def test_every_time_bank_operation(store: Store) -> None:
    assert store.record_service(10, SERVICE, FUND, VOLUNTEER, Decimal("4"), now=NOW) == 1
    store.link(VOLUNTEER, ELDER, now=NOW + 1)
    store.gift(11, VOLUNTEER, ELDER, "1.5", now=NOW + 2)
    assert store.balance(ELDER) == Decimal("1.5")
    store.set_eligibility(ELDER, NOW, now=NOW + 3)
    assert store.withdraw(12, CARE, ELDER, VOLUNTEER, "0.5", now=NOW + 4) == 1
    assert store.balance(VOLUNTEER) == Decimal("3")

    store.award(13, AWARD_VOLUNTEERING, POINTS_ISSUER, MEMBER_POINTS, acts=3, now=NOW + 5)
    assert store.balance(MEMBER_POINTS) == Decimal("30")
    store.redeem(14, MEMBER_POINTS, SHOP, 12, now=NOW + 6)
    assert store.balance(MEMBER_POINTS) == Decimal("18")

    store.reverse(15, original=14, now=NOW + 7)
    assert store.balance(MEMBER_POINTS) == Decimal("30")
    assert store.transfer(14).reversed_by == 15
    with pytest.raises(RefusedError) as refused:
        store.reverse(16, original=14, now=NOW + 8)
    assert refused.value.code == 102  # already_reversed

    store.close_account(17, VOLUNTEER, POOL, now=NOW + 9)
    volunteer = store.account(VOLUNTEER)
    assert volunteer.closed and volunteer.balance == 0
    assert store.balance(POOL) == Decimal("3")

    report = store.liability()
    hours = next(u for u in report["units"] if u["unit"] == HOURS)
    assert hours["total"] == Decimal("1")  # the elder's hour; the pool is not a holder


def test_statements_page_with_running_balances(store: Store) -> None:
    for i in range(5):
        store.record_service(20 + i, SERVICE, FUND, VOLUNTEER, "1.5", now=NOW + i)
    first = store.statement(VOLUNTEER, start=0, limit=2)
    assert [line.balance for line in first.lines] == [Decimal("1.5"), Decimal("3")]
    assert first.next_from == 2
    last = store.statement(VOLUNTEER, start=4, limit=2)
    assert last.opening_balance == Decimal("6") and last.next_from is None
    assert last.lines[0].counterparty == FUND and last.lines[0].amount == Decimal("1.5")


def test_checkpoints_verify_and_reopen(store: Store, tmp_path: Path) -> None:
    store.record_service(30, SERVICE, FUND, VOLUNTEER, "2", now=NOW)
    line = store.checkpoint()
    assert line.startswith("timebank-checkpoint v1 ")
    seen = []
    report = store.verify(lambda done, total: seen.append((done, total)))
    assert report.checkpoints_verified == 1 and report.macs_checked and report.index_checked
    assert seen and all(done <= total for done, total in seen)
    digest = store.status().state_digest
    store.close()
    with Store(tmp_path / "ledger") as reopened:
        assert reopened.status().state_digest == digest
        assert reopened.balance(VOLUNTEER) == Decimal("2")


def test_a_units_only_policy(tmp_path: Path) -> None:
    policy = '[[units]]\nid = 1\nname = "hours"\nscale = 2\n'
    with Store(tmp_path / "plain", policy=policy) as s:
        s.create_accounts([timebank.NewAccount(1, 1, AccountKind.ISSUER),
                           timebank.NewAccount(2, 1, AccountKind.MEMBER)])
        assert s.submit_transfers([Transfer(1, 1, 2, "2.5", 1)]) == [0]  # code 0 is fine here
        assert s.liability()["units"][0]["total"] == Decimal("2.5")


def test_closed_store_raises_closed(store: Store) -> None:
    store.close()
    store.close()  # closing twice is fine
    with pytest.raises(ClosedError):
        store.account(VOLUNTEER)
    with pytest.raises(ClosedError):
        store.record_service(40, SERVICE, FUND, VOLUNTEER, "1")


def test_a_json_policy(tmp_path: Path) -> None:
    policy = '{"units": [{"id": 1, "name": "hours", "scale": 2}]}'
    with Store(tmp_path / "json", policy=policy) as s:
        s.create_accounts([timebank.NewAccount(1, 1, AccountKind.ISSUER),
                           timebank.NewAccount(2, 1, AccountKind.MEMBER)])
        assert s.submit_transfers([Transfer(1, 1, 2, "0.25", 1)]) == [0]
        assert s.balance(2) == Decimal("0.25")
    with pytest.raises(timebank.InvalidArgumentError):
        Store(tmp_path / "json", policy='[[units]]\nid = 1\nname = "hours"\nscale = 0\n')


def test_a_post_in_the_same_batch_as_its_hold(store: Store) -> None:
    codes = store.submit_transfers(
        [
            Transfer(50, FUND, VOLUNTEER, "2", HOURS, SERVICE, TransferFlags.PENDING),
            Transfer(51, related_id=50, amount="1.5", flags=TransferFlags.POST_PENDING),
        ],
        now=NOW,
    )
    assert codes == [0, 0]
    assert store.balance(VOLUNTEER) == Decimal("1.5")
