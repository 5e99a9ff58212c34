"""A property: no out-of-range or wrongly typed value, in any parameter of any function, reaches
the ledger. Each round takes a call that would succeed (a write changes the ledger), replaces one
parameter with a random bad value, and checks that the call raises an error naming it and that
the state digest and head are unchanged. A missing check shows up as a changed digest.

The seed is printed on failure; ``TIMEBANK_SEED`` replays one, ``TIMEBANK_ROUNDS`` sets how many
rounds (default 600)."""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

import timebank
from timebank import AccountKind, Exchange, NewAccount, Store, Transfer, TransferBatch

from conftest import ELDER, FUND, HOURS, MEMBER_POINTS, NOW, POINTS_ISSUER, POOL, SHOP, VOLUNTEER

SERVICE, CARE, AWARD = 101, 201, 401
BOOKING = 900
LEAVER = 40
DORMANT = 41
MOVER = 42
OWN, PEER, OTHER_PEER = 310101, 310104, 310105
PEER_KEY = timebank.signing_public_key("standard", bytes([2] * 32))
OTHER_KEY = timebank.signing_public_key("standard", bytes([3] * 32))
HOUR = 3600 * 10**9
ROUNDS = int(os.environ.get("TIMEBANK_ROUNDS", "600"))

# The C type of each kind of parameter: (lowest, highest) accepted value.
RANGES = {
    "limit": (1, 1000),
    "i32": (-(2**31), 2**31 - 1),
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "u128": (0, 2**128 - 1),
}
WRONG_TYPES: List[Any] = [1.0, "1", b"1", None, True, [1], object()]


def bad_value(rng: random.Random, kind: str) -> Any:
    """A value outside ``kind``: below, above, far off, or of the wrong type. A kind ending in
    ``?`` is optional: None is a good value there."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    wrong_types = [t for t in WRONG_TYPES if not (optional and t is None)]
    if kind == "amount":
        return rng.choice(
            [
                "1\x00" + str(rng.randrange(10**6)),
                "\x00",
                str(rng.randrange(1, 100)) + "\x00.5",
                1.5,
                b"1",
                True,
            ]
        )
    low, high = RANGES[kind]
    return rng.choice(
        [
            low - 1,
            high + 1,
            low - rng.randrange(1, 2**130),
            high + rng.randrange(1, 2**130),
            low - 2 ** rng.randrange(0, 200),
            2 ** rng.randrange(high.bit_length(), 200),
            rng.choice(wrong_types),
        ]
    )


Operation = Tuple[Callable[..., Any], Dict[str, Any], Dict[str, str]]


def exchange_of(s: Store) -> Exchange:
    """The store's exchange (opened by ``prepare``)."""
    return getattr(s, "_test_exchange")  # type: ignore[no-any-return]


def operations(s: Store) -> Dict[str, Operation]:
    """Every writing function with arguments that succeed, and the kind of each parameter."""
    now = {"now": NOW + 10}
    x = exchange_of(s)

    def new_account(**fields: Any) -> List[int]:
        values = dict(id=50, unit=HOURS, kind=AccountKind.MEMBER, community=1, user_data=2,
                      eligible_from=0, floor_minor=-100, ceiling_minor=100)
        values.update(fields)
        return s.create_accounts([NewAccount(**values)], now=NOW + 10)

    def transfer(**fields: Any) -> List[int]:
        values = dict(id=60, debit_account_id=FUND, credit_account_id=VOLUNTEER, amount="1",
                      unit=HOURS, code=SERVICE, flags=0, related_id=0, timeout_s=0, user_data=0)
        values.update(fields)
        return s.submit_transfers([Transfer(**values)], now=NOW + 10)

    def packed(**fields: Any) -> List[int]:
        values = dict(id=70, debit_account_id=FUND, credit_account_id=VOLUNTEER,
                      amount_minor=100, unit=HOURS, code=SERVICE, flags=0, related_id=0,
                      timeout_s=0, user_data=0)
        values.update(fields)
        batch = TransferBatch(1)
        batch.add(**values)
        return s.submit(batch, now=NOW + 10)

    amended = s.policy_at(NOW)["policy"]
    amended["late_days_max"] = 7
    amended_text = json.dumps(amended, default=str)

    def close_empty(account: Any, now: Any) -> List[int]:
        return s.close_accounts([account], now=now)

    return {
        "create_accounts": (new_account, {}, dict(
            id="u128", unit="u16", kind="u8", community="u32", user_data="u128",
            eligible_from="u64", floor_minor="i64?", ceiling_minor="i64?")),
        "submit_transfers": (transfer, {}, dict(
            id="u128", debit_account_id="u128", credit_account_id="u128", amount="amount",
            unit="u16", code="u16", flags="u16", related_id="u128", timeout_s="u32",
            user_data="u128")),
        "submit": (packed, {}, dict(
            id="u128", debit_account_id="u128", credit_account_id="u128", amount_minor="u64",
            unit="u16", code="u16", flags="u16", related_id="u128", timeout_s="u32",
            user_data="u128")),
        "record_service": (s.record_service, dict(
            first_id=80, code=SERVICE, payer=FUND, provider=VOLUNTEER, hours="1",
            served_at=NOW, operator=7, reason=1, **now),
            dict(first_id="u128", code="u16", payer="u128", provider="u128", hours="amount",
                 served_at="u64?", operator="u64?", reason="u32?", now="u64")),
        "withdraw": (s.withdraw, dict(
            first_id=81, code=CARE, member=ELDER, provider=VOLUNTEER, hours="0.5",
            served_at=NOW + 1, **now),
            dict(first_id="u128", code="u16", member="u128", provider="u128", hours="amount",
                 served_at="u64?", now="u64")),
        "book": (s.book, dict(
            id=82, code=CARE, payer=ELDER, provider=VOLUNTEER, hours="0.5", timeout_s=60, **now),
            dict(id="u128", code="u16", payer="u128", provider="u128", hours="amount",
                 timeout_s="u32", now="u64")),
        "complete": (s.complete, dict(
            first_id=83, booking=BOOKING, hours="0.5", rating=4, served_at=NOW + 2, **now),
            dict(first_id="u128", booking="u128", hours="amount", rating="u8",
                 served_at="u64?", now="u64")),
        "cancel": (s.cancel, dict(id=84, booking=BOOKING + 1, **now),
                   dict(id="u128", booking="u128", now="u64")),
        "gift": (s.gift, dict(id=85, sender=VOLUNTEER, recipient=ELDER, amount="0.5", code=0,
                              **now),
                 dict(id="u128", sender="u128", recipient="u128", amount="amount", code="u16",
                      now="u64")),
        "award": (s.award, dict(id=86, code=AWARD, issuer=POINTS_ISSUER, member=MEMBER_POINTS,
                                acts=1, **now),
                  dict(id="u128", code="u16", issuer="u128", member="u128", acts="u32",
                       now="u64")),
        "redeem": (s.redeem, dict(id=87, member=MEMBER_POINTS, redemption=SHOP, amount="1",
                                  code=0, **now),
                   dict(id="u128", member="u128", redemption="u128", amount="amount",
                        code="u16", now="u64")),
        "reverse": (s.reverse, dict(id=88, original=1, operator=7, reason=3, **now),
                    dict(id="u128", original="u128", operator="u64?", reason="u32?",
                         now="u64")),
        "link": (s.link, dict(a=ELDER, b=LEAVER, **now), dict(a="u128", b="u128", now="u64")),
        "set_eligibility": (s.set_eligibility, dict(account=VOLUNTEER, eligible_from=NOW,
                                                    operator=2, reason=9, **now),
                            dict(account="u128", eligible_from="u64", operator="u64?",
                                 reason="u32?", now="u64")),
        "close_account": (s.close_account, dict(id=89, account=LEAVER, destination=POOL, **now),
                          dict(id="u128", account="u128", destination="u128", now="u64")),
        "close_accounts": (close_empty, dict(account=DORMANT, **now),
                           dict(account="u128", now="u64")),
        "exchange_add_peer": (x.add_peer, dict(peer_id=OTHER_PEER, public_key=OTHER_KEY, **now),
                              dict(peer_id="u64", now="u64")),
        "exchange_send": (x.send, dict(
            number=1, to=PEER, unit=HOURS, amount="1", source=VOLUNTEER, destination=ELDER,
            deadline=NOW + HOUR, **now),
            dict(number="u64", to="u64", unit="u16", amount="amount", source="u128",
                 destination="u128", deadline="u64", now="u64")),
        "exchange_move_member": (x.move_member, dict(
            number=2, to=PEER, unit=HOURS, source=MOVER, destination=ELDER, deadline=NOW + HOUR,
            **now),
            dict(number="u64", to="u64", unit="u16", source="u128", destination="u128",
                 deadline="u64", now="u64")),
        "amend_policy": (s.amend_policy, dict(policy=amended_text, effective_from=time.time_ns() + 10**9,
                                              **now),
                         dict(effective_from="u64", now="u64")),
    }


def reads(s: Store) -> Dict[str, Operation]:
    """Every reading function, and the module's own, with arguments that succeed."""
    x = exchange_of(s)
    return {
        "exchange_receive": (x.receive, dict(message=b"not a message", now=NOW + 10),
                             dict(now="u64")),
        "exchange_expire": (x.expire, dict(now=NOW + 10), dict(now="u64")),
        "account": (s.account, dict(id=VOLUNTEER), dict(id="u128")),
        "transfer": (s.transfer, dict(id=1), dict(id="u128")),
        "transfer_by": (s.transfer_by, dict(id=1), dict(id="u128")),
        "operation": (s.operation, dict(id=1), dict(id="u128")),
        "policy_at": (s.policy_at, dict(at=NOW), dict(at="u64")),
        "statement": (s.statement, dict(account=VOLUNTEER, start=0, limit=10),
                      dict(account="u128", start="u64", limit="limit")),
        "to_minor": (timebank.to_minor, dict(amount="1.5", scale=2),
                     dict(amount="amount", scale="u32")),
        "format_minor": (timebank.format_minor, dict(minor=150, scale=2),
                         dict(minor="u64", scale="u32")),
        "result_code_name": (timebank.result_code_name, dict(code=110), dict(code="u16")),
        "status_name": (timebank.status_name, dict(status=3), dict(status="i32")),
    }


def prepare(s: Store) -> None:
    """A ledger on which every operation above succeeds once."""
    s.record_service(1, SERVICE, FUND, VOLUNTEER, "5", now=NOW)
    s.record_service(2, SERVICE, FUND, ELDER, "5", now=NOW + 1)
    s.link(VOLUNTEER, ELDER, now=NOW + 2)
    s.set_eligibility(ELDER, NOW, now=NOW + 3)
    s.book(BOOKING, CARE, ELDER, VOLUNTEER, "1", timeout_s=600, now=NOW + 4)
    s.book(BOOKING + 1, CARE, ELDER, VOLUNTEER, "1", timeout_s=600, now=NOW + 5)
    s.award(3, AWARD, POINTS_ISSUER, MEMBER_POINTS, acts=2, now=NOW + 6)
    assert s.create_accounts([NewAccount(LEAVER, HOURS, AccountKind.MEMBER)], now=NOW + 7) == [0]
    s.record_service(4, SERVICE, FUND, LEAVER, "1", now=NOW + 8)
    assert s.create_accounts([NewAccount(DORMANT, HOURS, AccountKind.MEMBER)], now=NOW + 9) == [0]
    assert s.create_accounts([NewAccount(MOVER, HOURS, AccountKind.MEMBER)], now=NOW + 9) == [0]
    s.record_service(5, SERVICE, FUND, MOVER, "1", now=NOW + 9)
    exchange = Exchange(s, OWN, signing_key=bytes([1] * 32), now=NOW + 9)
    exchange.add_peer(PEER, PEER_KEY, now=NOW + 9)
    setattr(s, "_test_exchange", exchange)


def test_every_operation_succeeds_with_its_base_arguments(store: Store) -> None:
    """The property below is only as strong as this: each base call really writes."""
    prepare(store)
    for name, (call, arguments, _) in operations(store).items():
        before = store.status().state_digest
        result = call(**arguments)
        if name in ("exchange_send", "exchange_move_member"):
            result = None if result.startswith(b"{") else result  # the offer, as bytes
        assert result in (None, 1, [0]), f"{name} returned {result}"
        assert store.status().state_digest != before, f"{name} changed nothing"
    for name, (call, arguments, _) in reads(store).items():
        call(**arguments)  # the reads succeed with their base arguments too


def test_random_bad_values_change_nothing(store: Store) -> None:
    seed = int(os.environ.get("TIMEBANK_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    prepare(store)
    table = dict(operations(store), **reads(store))
    names = sorted(table)
    digest = store.status().state_digest
    for round in range(ROUNDS):
        name = rng.choice(names)
        call, arguments, kinds = table[name]
        parameter = rng.choice(sorted(kinds))
        value = bad_value(rng, kinds[parameter])
        attempt = dict(arguments, **{parameter: value})
        where = f"seed {seed}, round {round}: {name}({parameter}={value!r})"
        try:
            call(**attempt)
        except (TypeError, ValueError) as e:
            assert parameter in str(e), f"{where}: {e!r} does not name it"
        else:
            pytest.fail(f"{where} was accepted")
        assert store.status().state_digest == digest, f"{where} changed the ledger"
