"""Stream record -> event (lambdas/waiting_room/outbox.py) over the records the streams carry, and
over records no handler writes: what is no event maps to none, what claims to be one but cannot be
read as one is refused (the mapping then reads it again and, in the end, sends it to its failure
queue) instead of reaching the bus half-formed."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.catalog import OUTBOX, Resource, outbox_of
from lambdas.waiting_room import records
from lambdas.waiting_room.outbox import MalformedRecord, details

EVENT = "sale-1"


def _record(new: dict[str, Any] | None, old: dict[str, Any] | None = None, *, keys: tuple[str, ...]) -> dict:
    images: dict[str, Any] = {"SequenceNumber": "100", "Keys": {k: (new or old or {})[k] for k in keys}}
    if new is not None:
        images["NewImage"] = new
    if old is not None:
        images["OldImage"] = old
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return {"eventName": name, "dynamodb": images}


SERVING_KEYS = ("event_id", "serving_counter")
TOKEN_KEYS = ("request_id",)


def _serving(**changes: Any) -> dict[str, Any]:
    """The item record_serving_increment writes for a sweeper's move from 7 to 10."""
    item = {
        "event_id": {"S": EVENT},
        "serving_counter": {"N": "10"},
        "increment_by": {"N": "3"},
        "previous_serving_counter": {"N": "7"},
        "issued_at": {"N": "1700000000"},
        "issued_at_ms": {"N": "1700000000123"},
        "generation": {"N": "2"},
        "expires_at": {"N": "1700086400"},
        "expiry_watermark": {"N": "12"},
    }
    for name, value in changes.items():
        if value is None:
            item.pop(name)
        else:
            item[name] = value
    return item


def test_a_sweepers_move_is_the_automatic_increment_with_integer_fields() -> None:
    [(kind, detail)] = details(_record(_serving(), keys=SERVING_KEYS))
    assert kind == "automatic_serving_counter_incr"
    assert detail == {
        "event_id": EVENT,
        "previous_serving_counter_position": 7,
        "increment_by": 3,
        "current_serving_counter_position": 10,
        "dedup_id": f"automatic_serving_counter_incr:{EVENT}:2:10",
    }
    assert all(type(detail[name]) is int for name in ("previous_serving_counter_position", "increment_by"))


def test_a_move_replacing_an_older_generations_record_is_an_event_too() -> None:
    old = _serving(generation={"N": "1"}, increment_by={"N": "10"}, previous_serving_counter={"N": "0"})
    [(_, detail)] = details(_record(_serving(), old, keys=SERVING_KEYS))
    assert detail["dedup_id"].endswith(":2:10")


def test_an_operators_move_and_a_ttl_delete_are_no_event() -> None:
    operator = _serving(expiry_watermark=None, idempotency_key={"S": "key-1"})
    assert details(_record(operator, keys=SERVING_KEYS)) == []
    assert details(_record(None, _serving(), keys=SERVING_KEYS)) == []


def test_the_record_written_by_the_sweeper_maps_as_the_unit_records_here(monkeypatch) -> None:
    """The item record_serving_increment really writes, not only this file's idea of it."""
    written: dict[str, Any] = {}

    class Capture:
        def put_item(self, **request: Any) -> None:
            written.update(request["Item"])

    monkeypatch.setattr(records, "client", lambda service: Capture())
    monkeypatch.setattr(
        records, "settings", lambda: type("S", (), {"serving_counter_table": "t", "record_ttl_seconds": 60})()
    )
    records.record_serving_increment(EVENT, 10, 3, 1700000000.5, generation=2, expiry_watermark=12)
    [(_, detail)] = details(_record(written, keys=SERVING_KEYS))
    assert (detail["previous_serving_counter_position"], detail["current_serving_counter_position"]) == (
        7,
        10,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"increment_by": None},
        {"previous_serving_counter": None},
        {"increment_by": {"S": "3"}},
        {"increment_by": {"N": "3.5"}},
        {"increment_by": {"N": "1e3"}},
        {"increment_by": {"N": ""}},
        {"increment_by": {"N": str(2**60)}},
        {"increment_by": "3"},
        {"increment_by": {"N": 3}},
        {"event_id": {"S": ""}},
        {"generation": None},
    ],
    ids=repr,
)
def test_a_malformed_automatic_increment_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedRecord):
        details(_record(_serving(**changes), keys=SERVING_KEYS))


def test_unicode_and_quotes_pass_through_as_json_strings() -> None:
    hostile = 'évent "quoted" \\ {$x} #'
    [(_, detail)] = details(_record(_serving(event_id={"S": hostile}), keys=SERVING_KEYS))
    assert detail["event_id"] == hostile


def _token(**extra: Any) -> dict[str, Any]:
    return {"request_id": {"S": "rid-1"}, "event_id": {"S": EVENT}, "status": {"N": "0"}, **extra}


def test_token_records_are_their_two_events_and_nothing_else() -> None:
    assert details(_record(_token(), keys=TOKEN_KEYS)) == [
        ("token_generated", {"event_id": EVENT, "request_id": "rid-1", "dedup_id": "token_generated:rid-1"})
    ]
    closed = _token(session_outcome={"S": "completed"}, status={"N": "1"})
    assert details(_record(closed, _token(), keys=TOKEN_KEYS)) == [
        (
            "session_updated",
            {
                "event_id": EVENT,
                "request_id": "rid-1",
                "status": "completed",
                "dedup_id": "session_updated:rid-1",
            },
        )
    ]
    # Closed again (the outcome was already there), another attribute, a delete: no event.
    assert details(_record(closed, closed, keys=TOKEN_KEYS)) == []
    assert details(_record(_token(issuer={"S": "x"}), _token(), keys=TOKEN_KEYS)) == []
    assert details(_record(None, closed, keys=TOKEN_KEYS)) == []


def test_a_record_of_one_table_never_reads_as_another_tables_event() -> None:
    """A serving record carries `event_id` as a token record does; the key tells them apart."""
    serving = _record(_serving(), keys=SERVING_KEYS)
    token = _record(_token(expiry_watermark={"N": "1"}), keys=TOKEN_KEYS)
    assert [e.detail_type for e in OUTBOX if e.matches(serving)] == ["automatic_serving_counter_incr"]
    assert [e.detail_type for e in OUTBOX if e.matches(token)] == ["token_generated"]
    assert {e.table for e in OUTBOX} == {Resource.TOKENS_TABLE, Resource.SERVING_COUNTER_TABLE}
    assert outbox_of(Resource.QUEUE_POSITIONS_TABLE) == ()


@pytest.mark.parametrize(
    "record",
    [
        {"eventName": "INSERT"},
        {"eventName": "INSERT", "dynamodb": None},
        {"eventName": "INSERT", "dynamodb": {"Keys": {}, "NewImage": {}}},
        {"eventName": "INSERT", "dynamodb": {"Keys": {"request_id": "rid"}, "NewImage": {"event_id": "x"}}},
        {"eventName": "REMOVE", "dynamodb": {"Keys": {"request_id": {"S": "rid"}}}},
    ],
    ids=repr,
)
def test_records_without_the_shape_of_an_event_are_none(record: dict[str, Any]) -> None:
    assert details(record) == []
