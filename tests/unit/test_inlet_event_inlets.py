"""Which inlet serves each event: registry records, and the own event's stack parameters."""

from __future__ import annotations

from typing import Any

import pytest

from inlet_strategies.event_inlets import (
    MAX_SIZE,
    NONE,
    PERIODIC,
    EventInlet,
    MalformedRecord,
    from_record,
    resolve,
)

OWN = EventInlet("own", PERIODIC, increment_by=7, start_time=100, end_time=0)


def record(event_id: str, inlet: str = NONE, **fields: Any) -> dict[str, Any]:
    """A registry record as `GET /events` lists it (the fields the inlets do not read included)."""
    return {"event_id": event_id, "name": event_id, "inlet": inlet, "version": 3, "default": False, **fields}


def test_a_record_gives_its_inlet_and_settings() -> None:
    assert from_record(record("b", PERIODIC, increment_by=5, start_time=10, end_time=20)) == EventInlet(
        "b", PERIODIC, increment_by=5, start_time=10, end_time=20
    )
    assert from_record(record("c", MAX_SIZE, capacity=50)) == EventInlet("c", MAX_SIZE, capacity=50)
    assert from_record({"event_id": "d"}) == EventInlet("d")  # fields left out: none, 0


@pytest.mark.parametrize(
    "bad",
    [
        {"inlet": NONE},
        record("has space"),
        record("b", "sometimes"),
        record("b", PERIODIC, increment_by="5"),
        record("b", PERIODIC, increment_by=True),
        record("b", PERIODIC, start_time=-1),
        record("b", MAX_SIZE, capacity=2.5),
    ],
)
def test_a_malformed_record_is_refused_with_the_field_named(bad: dict[str, Any]) -> None:
    with pytest.raises(MalformedRecord):
        from_record(bad)


def test_the_own_event_follows_the_stack_while_its_record_names_no_inlet() -> None:
    registry = resolve([record("own", NONE, increment_by=99, default=True)], OWN)
    assert registry.inlets["own"] == OWN


@pytest.mark.parametrize("inlet", [PERIODIC, MAX_SIZE])
def test_the_registry_wins_for_the_own_event_once_its_record_names_an_inlet(inlet: str) -> None:
    registry = resolve([record("own", inlet, increment_by=2, capacity=9, default=True)], OWN)
    assert registry.inlets["own"] == EventInlet("own", inlet, increment_by=2, capacity=9)


def test_other_events_follow_their_records_and_the_own_event_is_never_lost() -> None:
    registry = resolve([record("a", PERIODIC, increment_by=1), record("b"), record("c", MAX_SIZE)], OWN)
    assert [event.event_id for event in registry.of(PERIODIC)] == ["a", "own"]
    assert registry.inlets["b"].inlet == NONE and registry.of(MAX_SIZE)[0].event_id == "c"


def test_unusable_records_are_set_aside_with_their_reason() -> None:
    registry = resolve([record("a", "sometimes"), record("b", PERIODIC, increment_by=1)], OWN)
    assert set(registry.inlets) == {"b", "own"}
    assert registry.unusable == {"a": "inlet must be one of none, periodic, max_size"}
    # An unusable own record is not replaced by the stack's settings: the operator's intent is unknown.
    assert "own" not in resolve([record("own", "sometimes")], OWN).inlets
