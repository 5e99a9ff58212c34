"""Domain operations: a service, a withdrawal or a completion done at ``served_at``, each one
journal record under the host's request id. A retry with the same arguments returns the first
outcome and writes nothing; the same id with other arguments is refused with the code naming the
difference; ``served_at`` too late or in the future is refused; empty accounts close."""

from __future__ import annotations

from decimal import Decimal

import pytest

import timebank
from timebank import (
    AccountKind,
    Attribution,
    InvalidAmountError,
    InvalidArgumentError,
    NewAccount,
    NotFoundError,
    OperationOutcome,
    RefusedError,
    Store,
    Transfer,
    TransferBatch,
)

from conftest import ELDER, FUND, HOURS, NOW, POOL, VOLUNTEER

SERVICE, CARE = 101, 201
DAY = 86_400 * 10**9
DORMANT, EMPTY = 40, 41


def refused_with(code: int, call: object) -> RefusedError:
    with pytest.raises(RefusedError) as raised:
        call()  # type: ignore[operator]
    assert raised.value.code == code, f"{raised.value} is not code {code}"
    return raised.value


def test_a_service_done_yesterday_and_its_retries(store: Store) -> None:
    yesterday = NOW - DAY
    assert store.record_service(100, SERVICE, FUND, VOLUNTEER, "2.5", now=NOW + 10,
                                served_at=yesterday) == 1
    assert store.balance(VOLUNTEER) == Decimal("2.50")
    first = store.operation(100)
    assert first.code == 0 and first.transfers == 1 and first.timestamp >= NOW + 10

    # The same id and arguments: the first outcome, nothing written.
    before = store.status()
    assert store.record_service(100, SERVICE, FUND, VOLUNTEER, "2.5", now=NOW + 20,
                                served_at=yesterday) == 1
    after = store.status()
    assert (after.state_digest, after.head_sequence) == (before.state_digest,
                                                         before.head_sequence)
    assert store.operation(100) == first

    # The same id with other arguments: refused with the code that names the difference.
    def again(**changes: object) -> object:
        arguments = dict(first_id=100, code=SERVICE, payer=FUND, provider=VOLUNTEER,
                         hours="2.5", now=NOW + 30, served_at=yesterday)
        arguments.update(changes)
        return lambda: store.record_service(**arguments)  # type: ignore[arg-type]

    refused_with(41, again(provider=ELDER))  # operation_exists_with_different_accounts
    refused_with(42, again(hours="3"))  # _amount
    refused_with(43, again(code=102))  # _code
    refused_with(44, again(served_at=yesterday - DAY))  # _served_at
    refused_with(44, again(served_at=None))
    assert timebank.result_code_name(44) == "operation_exists_with_different_served_at"
    assert store.balance(VOLUNTEER) == Decimal("2.50")
    assert store.balance(ELDER) == Decimal("0.00")
    assert store.operation(100) == first


def test_served_at_too_late_or_in_the_future_is_refused(store: Store) -> None:
    # The default policy allows 30 local days.
    refused_with(210, lambda: store.record_service(200, SERVICE, FUND, VOLUNTEER, "1",
                                                   now=NOW + 10, served_at=NOW - 40 * DAY))
    refused_with(22, lambda: store.record_service(201, SERVICE, FUND, VOLUNTEER, "1",
                                                  now=NOW + 11, served_at=NOW + DAY))
    assert store.balance(VOLUNTEER) == Decimal("0.00")
    # Retried, a refusal is refused again with its code, and nothing is written.
    digest = store.status().state_digest
    refused_with(210, lambda: store.record_service(200, SERVICE, FUND, VOLUNTEER, "1",
                                                   now=NOW + 12, served_at=NOW - 40 * DAY))
    assert store.status().state_digest == digest
    assert store.operation(200) == OperationOutcome(timestamp=0, transfers=0, closed=0,
                                                    code=210)


def test_a_withdrawal_and_a_completion_on_the_day_served(store: Store) -> None:
    store.record_service(300, SERVICE, FUND, ELDER, "4", now=NOW + 10)
    refused_with(203, lambda: store.withdraw(301, CARE, ELDER, VOLUNTEER, "1", now=NOW + 11,
                                             served_at=NOW - DAY))  # not_yet_eligible
    store.set_eligibility(ELDER, NOW - DAY, now=NOW + 12)
    assert store.withdraw(302, CARE, ELDER, VOLUNTEER, "1", now=NOW + 13,
                          served_at=NOW - DAY // 2) == 1
    assert store.withdraw(302, CARE, ELDER, VOLUNTEER, "1", now=NOW + 14,
                          served_at=NOW - DAY // 2) == 1
    assert store.balance(ELDER) == Decimal("3.00")

    store.book(303, CARE, ELDER, VOLUNTEER, "2", now=NOW + 15)
    assert store.complete(304, 303, "1.5", rating=5, now=NOW + 16, served_at=NOW - DAY // 2) == 1
    # Retried after the booking is no longer pending: still the first outcome.
    assert store.complete(304, 303, "1.5", rating=5, now=NOW + 17, served_at=NOW - DAY // 2) == 1
    refused_with(45, lambda: store.complete(304, 303, "1.5", rating=4, now=NOW + 18,
                                            served_at=NOW - DAY // 2))  # _details
    assert store.balance(ELDER) == Decimal("1.50")
    assert store.balance(VOLUNTEER) == Decimal("2.50")
    # The planner sees the booking is done: refused with its code, nothing journaled.
    digest = store.status().state_digest
    error = refused_with(214, lambda: store.complete(305, 303, now=NOW + 19))  # not_a_booking
    assert "nothing was journaled" in str(error)
    assert store.status().state_digest == digest


def test_empty_accounts_close(store: Store) -> None:
    codes = store.create_accounts([NewAccount(DORMANT, HOURS, AccountKind.MEMBER),
                                   NewAccount(EMPTY, HOURS, AccountKind.MEMBER)], now=NOW + 1)
    assert codes == [0, 0]
    store.record_service(10, SERVICE, FUND, VOLUNTEER, "1", now=NOW + 2)
    assert store.close_accounts([EMPTY, VOLUNTEER, 777], now=NOW + 3) == [0, 56, 57]
    assert store.account(EMPTY).closed
    assert store.close_accounts([EMPTY], now=NOW + 4) == [3]
    # A closing operation on an empty account closes it without a transfer.
    store.close_account(11, DORMANT, POOL, now=NOW + 5)
    assert store.account(DORMANT).closed
    assert store.operation(11).closed == 1 and store.operation(11).transfers == 0
    store.close_account(11, DORMANT, POOL, now=NOW + 6)


def test_bad_input_is_refused_before_the_call(store: Store) -> None:
    digest = store.status().state_digest

    def service(**changes: object) -> object:
        arguments = dict(first_id=500, code=SERVICE, payer=FUND, provider=VOLUNTEER, hours="1",
                         now=NOW + 5, served_at=NOW)
        arguments.update(changes)
        return store.record_service(**arguments)  # type: ignore[arg-type]

    for bad in (-1, 2**64):
        with pytest.raises(InvalidArgumentError, match="served_at"):
            service(served_at=bad)
    for wrong in (1.5, "1", True):
        with pytest.raises(TypeError, match="served_at"):
            service(served_at=wrong)
    with pytest.raises(InvalidAmountError, match="hours"):
        service(hours="1\x005")
    with pytest.raises(InvalidArgumentError, match="first_id"):
        service(first_id=2**128)
    with pytest.raises(InvalidArgumentError):
        service(first_id=0)  # zero is never an id: the library says so
    with pytest.raises(NotFoundError):
        store.complete(501, 31337, now=NOW + 5)
    with pytest.raises(NotFoundError):
        store.operation(31337)
    with pytest.raises(InvalidArgumentError, match="accounts"):
        store.close_accounts([], now=NOW + 5)
    with pytest.raises(InvalidArgumentError, match="accounts"):
        store.close_accounts([EMPTY] * 8191, now=NOW + 5)
    with pytest.raises(InvalidArgumentError, match=r"accounts\[1\]"):
        store.close_accounts([EMPTY, -1], now=NOW + 5)
    with pytest.raises(TypeError, match="accounts"):
        store.close_accounts(EMPTY, now=NOW + 5)  # type: ignore[arg-type]
    assert store.status().state_digest == digest


def test_the_operator_and_reason_are_journaled_with_an_operation(store: Store) -> None:
    store.record_service(700, SERVICE, FUND, VOLUNTEER, "1", now=NOW + 1, operator=7001)
    assert store.transfer_by(700) == Attribution(operator=7001, reason=None)
    store.record_service(701, SERVICE, FUND, VOLUNTEER, "1", now=NOW + 2)
    assert store.transfer_by(701) == Attribution(operator=0, reason=None)

    # A correction by an operator gives a reason: refused before anything is journaled.
    digest = store.status().state_digest
    error = refused_with(217, lambda: store.reverse(702, 700, now=NOW + 3, operator=7001))
    assert "nothing was journaled" in str(error)
    assert store.status().state_digest == digest
    store.reverse(702, 700, now=NOW + 4, operator=7001, reason=12)
    assert store.transfer_by(702) == Attribution(operator=7001, reason=12)
    assert store.balance(VOLUNTEER) == Decimal("1.00")
    store.create_accounts([NewAccount(EMPTY, HOURS, AccountKind.MEMBER)], now=NOW + 5)
    assert store.close_accounts([EMPTY], now=NOW + 6, operator=7001) == [217]
    assert store.close_accounts([EMPTY], now=NOW + 7, operator=7001, reason=4) == [0]
    # Every operation takes them.
    store.gift(703, VOLUNTEER, POOL, "0.5", now=NOW + 8, operator=7002, reason=0)
    assert store.transfer_by(703) == Attribution(operator=7002, reason=0)

    # The batch and registry commands take them too.
    assert store.create_accounts([NewAccount(9, HOURS, AccountKind.MEMBER)], now=NOW + 9,
                                 operator=7003, reason=5) == [0]
    assert store.submit_transfers([Transfer(705, FUND, 9, "0.5", HOURS, SERVICE)], now=NOW + 10,
                                  operator=7003, reason=5) == [0]
    assert store.transfer_by(705) == Attribution(operator=7003, reason=5)
    batch = TransferBatch(1)
    batch.add(706, FUND, 9, 50, HOURS, SERVICE)
    assert store.submit(batch, now=NOW + 11, operator=7004) == [0]
    assert store.transfer_by(706) == Attribution(operator=7004, reason=None)
    store.link(VOLUNTEER, 9, now=NOW + 12, operator=7003)
    store.set_eligibility(9, NOW, now=NOW + 13, operator=7003)
    assert store.expire(now=NOW + 14, operator=7003) == 0

    digest = store.status().state_digest
    with pytest.raises(InvalidArgumentError, match="operator"):
        store.submit(batch, now=NOW + 15, operator=-1)
    with pytest.raises(InvalidArgumentError, match="reason"):
        store.expire(now=NOW + 15, reason=2**32)
    for bad in (-1, 2**64):
        with pytest.raises(InvalidArgumentError, match="operator"):
            store.gift(704, VOLUNTEER, POOL, "0.5", now=NOW + 9, operator=bad)
    for bad in (-1, 2**32):
        with pytest.raises(InvalidArgumentError, match="reason"):
            store.reverse(704, 701, now=NOW + 9, operator=1, reason=bad)
    with pytest.raises(TypeError, match="operator"):
        store.book(704, CARE, ELDER, VOLUNTEER, "1", now=NOW + 9,
                   operator="7")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        store.transfer_by(31337)
    assert store.status().state_digest == digest
