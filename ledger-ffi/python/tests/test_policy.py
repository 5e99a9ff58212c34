"""The policy over the years: the policy in force at a time, an amendment in force from an
effective time (each service judged under the policy in force on the day it was done), and
amendments refused with nothing written."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict

import pytest

from timebank import InvalidArgumentError, InvalidTimeError, NotFoundError, Store

from conftest import FUND, MEMBER_POINTS, NOW, POINTS_ISSUER, VOLUNTEER

SERVICE = 101
DAY = 86_400 * 10**9


def weighted(shown: Dict[str, Any], code: int, weight: str) -> str:
    """The shown policy as JSON text, with ``code`` weighted ``weight``."""
    policy = shown["policy"]
    for rule in policy["codes"]:
        if rule["code"] == code:
            rule["weight"] = weight
    return json.dumps(policy, default=str)


def test_an_amendment_judges_services_by_the_day_they_were_done(store: Store,
                                                                tmp_path: Path) -> None:
    shown = store.policy_at()
    assert shown["from"] == 0 and shown["versions"] == [0]
    assert all("weight" not in rule for rule in shown["policy"]["codes"] if rule["code"] == SERVICE)
    amended = weighted(shown, SERVICE, "2")
    effective = time.time_ns() + 10**9  # after the ledger's clock

    digest = store.status().state_digest
    with pytest.raises(InvalidArgumentError):
        store.amend_policy(amended, NOW - 1, now=NOW + 10)  # not after the ledger's clock
    with pytest.raises(InvalidArgumentError):
        store.amend_policy("units = 3", effective, now=NOW + 10)
    with pytest.raises(InvalidTimeError):
        store.amend_policy(amended, effective, now=2**64 - 1)
    assert store.status().state_digest == digest

    store.amend_policy(amended, effective, now=NOW + 10)
    with pytest.raises(InvalidArgumentError):
        store.amend_policy(amended, effective, now=NOW + 20)  # not after the first amendment
    store.record_service(100, SERVICE, FUND, VOLUNTEER, "1", now=effective + 10,
                         served_at=NOW - DAY)
    assert store.balance(VOLUNTEER) == Decimal("1.00")  # done before: weight 1
    store.record_service(101, SERVICE, FUND, VOLUNTEER, "1", now=effective + 20)
    assert store.balance(VOLUNTEER) == Decimal("3.00")  # done after: weight 2

    before = store.policy_at(NOW)
    assert before["from"] == 0 and before["versions"] == [0, effective]
    after = store.policy_at(effective)
    assert after["from"] == effective
    rule = next(r for r in after["policy"]["codes"] if r["code"] == SERVICE)
    assert Decimal(rule["weight"]) == 2
    store.verify()


def test_an_operation_uses_the_codes_of_the_policy_in_force(store: Store) -> None:
    """An award code that only an amendment defines is checked under the amended policy, as
    the ledger plans it, not refused before the call."""
    shown = store.policy_at()
    policy = shown["policy"]
    policy["codes"].append(
        {"code": 499, "name": "neighbourhood patrol", "unit": 2, "purpose": "award", "points": "3"}
    )
    effective = time.time_ns() + 10**9
    with pytest.raises(InvalidArgumentError):
        store.award(10, 499, POINTS_ISSUER, MEMBER_POINTS, acts=1, now=NOW + 10)  # not yet
    store.amend_policy(json.dumps(policy, default=str), effective, now=NOW + 20)
    store.award(11, 499, POINTS_ISSUER, MEMBER_POINTS, acts=2, now=effective + 10)
    assert store.balance(MEMBER_POINTS) == Decimal("6")


def test_bad_amendment_arguments_are_refused_before_the_call(store: Store) -> None:
    digest = store.status().state_digest
    with pytest.raises(InvalidArgumentError, match="policy"):
        store.amend_policy("units = 3\x00", NOW + 10**6, now=NOW + 10)
    with pytest.raises(TypeError, match="policy"):
        store.amend_policy(None, NOW + 10**6, now=NOW + 10)  # type: ignore[arg-type]
    for bad in (-1, 2**64):
        with pytest.raises(InvalidArgumentError, match="effective_from"):
            store.amend_policy("units = 3", bad, now=NOW + 10)
        with pytest.raises(InvalidArgumentError, match="at"):
            store.policy_at(bad)
    with pytest.raises(TypeError, match="effective_from"):
        store.amend_policy("units = 3", 1.5, now=NOW + 10)  # type: ignore[arg-type]
    assert store.status().state_digest == digest


def test_a_ledger_without_rules_has_no_policy_to_show(tmp_path: Path) -> None:
    units_only = '[[units]]\nid = 1\nname = "hours"\nscale = 2\n'
    with Store(tmp_path / "units", units_only) as s:
        with pytest.raises(NotFoundError):
            s.policy_at()
