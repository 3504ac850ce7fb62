"""Entry messages from the queue, and the claims of a token."""

from __future__ import annotations

import json

import pytest

from lambdas.waiting_room.entries import parse_entry
from lambdas.waiting_room.records import TokenRecord
from lambdas.waiting_room.tokens import claims

RID = "6f1a8a3e-2b7d-4c1e-9d0b-1f2e3d4c5b6a"


def message(**fields: object) -> str:
    return json.dumps({"event_id": "sale", "request_id": RID, "entered_at": 1_700_000_000_000, **fields})


def test_a_valid_entry() -> None:
    entry = parse_entry("m1", message())
    assert entry is not None
    assert (entry.event_id, entry.request_id, entry.entered_at_ms) == ("sale", RID, 1_700_000_000_000)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"event_id": "sale"}),
        message(event_id="-other"),
        message(event_id=None),
        message(request_id="x"),
        message(request_id=None),
        message(entered_at="yesterday"),
        message(entered_at=True),
        message(entered_at=-1),
    ],
)
def test_entries_that_cannot_take_a_position(body: str) -> None:
    assert parse_entry("m1", body) is None


def test_claims_follow_the_contract() -> None:
    record = TokenRecord(RID, "sale", 1_700_000_000_000, 7, 1000, 4600, "https://issuer")
    assert claims(record, "access") == {
        "aud": "sale",
        "sub": RID,
        "queue_position": 7,
        "token_use": "access",
        "iat": 1000,
        "nbf": 1000,
        "exp": 4600,
        "iss": "https://issuer",
        # The reset the token belongs to: the authorizer refuses tokens of an earlier one.
        "generation": 1_700_000_000_000,
    }
