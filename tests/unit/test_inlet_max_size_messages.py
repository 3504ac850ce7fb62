"""MaxSize message parsing: the documented shape is accepted; anything else is refused clearly."""

from __future__ import annotations

import json
import uuid

import pytest

from inlet_strategies.max_size import Exits, MalformedMessage, parse_message

RID = str(uuid.uuid4())


def test_accepts_each_field_and_none_of_them() -> None:
    assert parse_message(json.dumps({"exited": 3})) == Exits(exited=3)
    assert parse_message(json.dumps({"completed": [RID.upper()]})) == Exits(completed=(RID,))
    assert parse_message(json.dumps({"abandoned": [RID]})) == Exits(abandoned=(RID,))
    assert parse_message("{}") == Exits()


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "not json",
        "[1, 2]",
        json.dumps({"exited": -1}),
        json.dumps({"exited": True}),
        json.dumps({"exited": 2.5}),
        json.dumps({"exited": "3"}),
        json.dumps({"completed": RID}),
        json.dumps({"completed": ["not-a-uuid"]}),
        json.dumps({"abandoned": [1]}),
        json.dumps({"surprise": 1}),
        '{"completed": ' + "[" * 1000 + "]" * 1000 + "}",  # RecursionError in the parser
        '{"exited": ' + "9" * 5000 + "}",  # Python refuses to read an integer that long
    ],
)
def test_refuses_malformed_messages(raw: str | None) -> None:
    with pytest.raises(MalformedMessage) as refused:
        parse_message(raw)
    assert RID not in str(refused.value)


def test_the_reason_never_carries_a_request_id() -> None:
    with pytest.raises(MalformedMessage) as refused:
        parse_message(json.dumps({"completed": [RID, "x"]}))
    assert RID not in str(refused.value)


def attribute(value: str, kind: str = "String") -> dict[str, dict[str, str]]:
    """Message attributes as Lambda's SNS record carries them."""
    return {"event_id": {"Type": kind, "Value": value}}


def test_the_event_is_named_by_the_field_the_attribute_or_both_alike() -> None:
    assert parse_message(json.dumps({"exited": 1})).event_id is None  # the deployment's own
    assert parse_message(json.dumps({"event_id": "b", "exited": 1})).event_id == "b"
    assert parse_message(json.dumps({"exited": 1}), attribute("b")).event_id == "b"
    assert parse_message(json.dumps({"event_id": "b"}), attribute("b")).event_id == "b"
    # Other attributes are the publisher's business.
    other = {"origin": {"Type": "String", "Value": "shop"}}
    assert parse_message(json.dumps({"event_id": "b"}), other).event_id == "b"


@pytest.mark.parametrize(
    ("message", "attributes", "reason"),
    [
        ({"event_id": "b"}, attribute("c"), "name different events"),
        ({"event_id": "no spaces"}, None, "event_id must be an event id"),
        ({"event_id": 7}, None, "event_id must be an event id"),
        ({}, attribute("b", "String.Array"), "must be of type String"),
        ({}, attribute("b", "Number"), "must be of type String"),
        ({}, attribute("x" * 500), "must be an event id"),
        ({}, {"event_id": "b"}, "must be of type String"),
    ],
)
def test_an_ambiguous_or_malformed_event_name_is_refused(
    message: dict[str, object], attributes: dict[str, object], reason: str
) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        parse_message(json.dumps(message), attributes)
