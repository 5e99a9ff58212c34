"""Signed checkpoints and proofs through the C library: a member's statement checked offline
with the public key alone; another key is NotSignedByKeyError, an altered proof DamagedError."""

from __future__ import annotations

import json

import pytest

import timebank
from timebank import DamagedError, InvalidArgumentError, NotFoundError, NotSignedByKeyError, Store
from timebank import Transfer

from conftest import ELDER, FUND, HOURS, NOW, VOLUNTEER

SERVICE = 101
KEY = bytes(range(1, 33))
OTHER = bytes(32 * [9])


def services(store: Store, first: int, count: int) -> None:
    for i in range(count):
        member = VOLUNTEER if i % 2 == 0 else ELDER
        codes = store.submit_transfers(
            [Transfer(first + i, FUND, member, "1.5", HOURS, SERVICE)], now=NOW + first + i
        )
        assert codes == [0]


def test_a_statement_checks_out_offline_with_the_public_key(store: Store) -> None:
    public = timebank.signing_public_key("standard", KEY)
    assert len(public) == 64
    services(store, 10, 3)
    first = timebank.sign_checkpoint(store, KEY)
    assert first.startswith("timebank-signed-checkpoint v1 standard ")
    services(store, 20, 4)
    second = timebank.sign_checkpoint(store, KEY)
    timebank.verify_signed_checkpoint(second, public)

    statement = timebank.prove_statement(store, VOLUNTEER, checkpoint=second)
    doc = json.loads(statement)
    assert [t["transfer"] for t in doc["transfers"]] == ["10", "12", "20", "22"]
    assert timebank.verify_proof(statement, public_key=public) == "statement"
    inclusion = timebank.prove_inclusion(store, 21, checkpoint=second)
    assert timebank.verify_proof(inclusion, public_key=public) == "inclusion"
    consistency = timebank.prove_consistency(store, first, second)
    assert timebank.verify_proof(consistency, public_key=public) == "consistency"


def test_another_key_an_altered_proof_and_bad_input_are_told_apart(store: Store) -> None:
    services(store, 10, 2)
    line = timebank.sign_checkpoint(store, KEY)
    public = timebank.signing_public_key("standard", KEY)
    other = timebank.signing_public_key("standard", OTHER)
    proof = timebank.prove_inclusion(store, 11, checkpoint=line)
    with pytest.raises(NotSignedByKeyError):
        timebank.verify_proof(proof, public_key=other)
    with pytest.raises(NotSignedByKeyError):
        timebank.verify_signed_checkpoint(line, other)
    doc = json.loads(proof)
    doc["path"][0] = ("1" if doc["path"][0][0] != "1" else "2") + doc["path"][0][1:]
    with pytest.raises(DamagedError):
        timebank.verify_proof(json.dumps(doc), public_key=public)
    with pytest.raises(NotFoundError):
        timebank.prove_inclusion(store, 999, checkpoint=line)
    with pytest.raises(InvalidArgumentError):
        timebank.verify_proof("{}", public_key=public)
    with pytest.raises(InvalidArgumentError):
        timebank.sign_checkpoint(store, b"short")
    with pytest.raises(InvalidArgumentError):
        timebank.signing_public_key("rsa", KEY)
    assert timebank.status_name(NotSignedByKeyError.status) == "not_signed_by_key"
