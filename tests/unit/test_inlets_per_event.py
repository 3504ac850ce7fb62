"""Both inlets serve every event of the registry, each by its own settings, one event's failure
apart from the others (the private API faked at the HTTP boundary: tests/unit/private_api_fake.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from inlet_strategies import max_size, periodic
from inlet_strategies.event_inlets import MAX_SIZE, NONE, PERIODIC, EventInlet
from lambdas.catalog import Schedule, by_name
from lambdas.waiting_room.private_api import PrivateApiError
from tests.unit.private_api_fake import EventState, FakePrivateApi, client_of

NOW = 1_800_000_000
OWN_PERIODIC = periodic.PeriodicConfig(EventInlet("own", PERIODIC, increment_by=4), alarm_name="")
OWN_MAX_SIZE = EventInlet("own", MAX_SIZE, capacity=3)


def record(event_id: str, inlet: str = NONE, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "inlet": inlet, **fields}


def registry(*records: dict[str, Any]) -> FakePrivateApi:
    """The private API of a deployment with these events; its own event is always registered."""
    if not any(r["event_id"] == "own" for r in records):
        records = (*records, record("own", NONE, default=True))
    return FakePrivateApi(list(records))


def tick(api: FakePrivateApi, **options: Any) -> dict[str, Any]:
    return periodic.run(OWN_PERIODIC, client_of(api, "own"), now=NOW, **options)


# -- Periodic ----------------------------------------------------------------------------------------


def test_each_periodic_event_moves_by_its_own_increment_within_its_own_window() -> None:
    api = FakePrivateApi(
        [
            record("a", PERIODIC, increment_by=2),
            record("b", PERIODIC, increment_by=5, start_time=NOW - 60, end_time=NOW + 60),
            record("later", PERIODIC, increment_by=5, start_time=NOW + 60),
            record("over", PERIODIC, increment_by=5, end_time=NOW),  # the end is not in the window
            record("manual", NONE, increment_by=9),
            record("capped", MAX_SIZE, capacity=9),
            record("own", NONE, default=True),
        ]
    )
    outcome = tick(api)
    assert {event: result["action"] for event, result in outcome["events"].items()} == {
        "a": "incremented",
        "b": "incremented",
        "later": "skipped",
        "over": "skipped",
        "own": "incremented",  # by the stack's increment: its record names no inlet
    }
    assert {event: state.serving for event, state in api.state.items()} == {
        "a": 2, "b": 5, "later": 0, "over": 0, "manual": 0, "capped": 0, "own": 4,
    }  # fmt: skip
    assert outcome["counts"] == {"incremented": 3, "skipped": 2}
    # Outside its window an event costs no call at all.
    assert api.calls_for("later") == api.calls_for("over") == api.calls_for("manual") == []


def test_the_registry_configures_the_own_event_once_it_names_an_inlet() -> None:
    api = FakePrivateApi([record("own", PERIODIC, increment_by=1, default=True)])
    tick(api)
    assert api.state["own"].serving == 1
    api = FakePrivateApi([record("own", MAX_SIZE, capacity=5, default=True)])
    assert tick(api)["events"] == {}
    assert api.state["own"].serving == 0


@pytest.mark.parametrize("status", [400, 403, 500, 503])
def test_a_failing_event_is_reported_and_the_others_still_move(status: int) -> None:
    api = registry(*(record(name, PERIODIC, increment_by=3) for name in ("a", "broken", "c")))
    api.failing["broken"] = status
    outcome = tick(api)
    assert outcome["events"]["broken"]["action"] == "failed"
    assert f"answered {status}" in outcome["events"]["broken"]["reason"]
    assert api.state["a"].serving == api.state["c"].serving == 3
    assert outcome["counts"] == {"incremented": 3, "failed": 1}  # a, c and the own event


def test_an_idle_event_is_not_moved_twice() -> None:
    api = registry(record("a", PERIODIC, increment_by=3))
    tick(api)
    second = tick(api)
    assert second["events"]["a"] == {"action": "none", "serving_counter": 3, "queue_counter": 0}
    assert api.calls_for("a").count(("POST", "/increment_serving_counter")) == 1


def test_a_tick_that_runs_out_of_time_starts_no_more_events() -> None:
    api = registry(*(record(f"e{n}", PERIODIC, increment_by=1) for n in range(5)))
    outcome = tick(api, seconds_left=lambda: periodic.RESERVE_SECONDS - 0.1)
    assert outcome["counts"] == {"not_reached": 6}
    assert [call for call in api.calls if call[1] != "/events"] == []


def test_many_events_are_each_moved_once_by_the_workers() -> None:
    count = 10 * periodic.WORKERS
    api = registry(*(record(f"e{n}", PERIODIC, increment_by=n % 7 + 1) for n in range(count)))
    outcome = tick(api)
    assert outcome["counts"] == {"incremented": count + 1}
    assert all(api.state[f"e{n}"].serving == n % 7 + 1 for n in range(count))
    assert [event for _method, path, event in api.calls if path == "/events"] == [None]


def test_unusable_records_are_reported() -> None:
    api = registry(record("a", "sometimes"), record("b", PERIODIC, increment_by=2))
    outcome = tick(api)
    assert outcome["unusable"] == {"a": "inlet must be one of none, periodic, max_size"}
    assert api.state["b"].serving == 2


def test_a_failed_listing_fails_the_tick() -> None:
    """Without the registry no event can be served rightly: the invocation fails, and says so."""
    api = FakePrivateApi([])
    api.events = "not a list"  # type: ignore[assignment]
    with pytest.raises(PrivateApiError, match="no list of events"):
        tick(api)


# -- MaxSize -----------------------------------------------------------------------------------------


def sns_event(*messages: tuple[dict[str, Any], str | None]) -> dict[str, Any]:
    """Lambda's SNS event; each message with the event named by an attribute (or None)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "MessageId": str(uuid.uuid4()),
                    "Message": json.dumps(message),
                    "MessageAttributes": (
                        {"event_id": {"Type": "String", "Value": attribute}} if attribute else {}
                    ),
                },
            }
            for message, attribute in messages
        ]
    }


def max_size_api() -> FakePrivateApi:
    api = FakePrivateApi(
        [
            record("own", NONE, default=True),
            record("b", MAX_SIZE, capacity=2),
            record("timed", PERIODIC, increment_by=3),
        ]
    )
    for event in ("own", "b"):
        api.state[event].sessions = {str(uuid.uuid4()): True for _ in range(2)}
    return api


def sessions(api: FakePrivateApi, event_id: str) -> list[str]:
    return list(api.state[event_id].sessions)


@pytest.mark.parametrize("how", ["field", "attribute", "both"])
def test_a_message_for_event_b_closes_b_sessions_and_moves_only_b(how: str) -> None:
    api = max_size_api()
    message: dict[str, Any] = {"completed": sessions(api, "b")[:1]}
    if how != "attribute":
        message["event_id"] = "b"
    outcome = max_size.run(
        sns_event((message, "b" if how != "field" else None)), client_of(api, "own"), OWN_MAX_SIZE
    )
    assert outcome["events"]["b"]["closed"] == 1
    assert outcome["events"]["b"]["increment_by"] == 1  # capacity 2 (b's record), 1 still active
    assert api.state["b"].serving == 1 and api.state["own"].serving == 0
    assert all(api.state["own"].sessions.values())
    assert api.calls_for("own") == []


def test_a_message_naming_no_event_is_for_the_own_event_with_the_stack_capacity() -> None:
    api = max_size_api()
    outcome = max_size.run(sns_event(({"exited": 9}, None)), client_of(api, "own"), OWN_MAX_SIZE)
    assert outcome["events"] == {
        "own": {
            "action": "incremented",
            "messages": 1,
            "freed": 9,
            "closed": 0,
            "not_closed": 0,
            "active_tokens": 2,
            "increment_by": 1,  # the stack's capacity 3, 2 active
            "serving_counter": 1,
        }
    }


def test_messages_for_several_events_are_tallied_per_event() -> None:
    api = max_size_api()
    event = sns_event(
        ({"completed": sessions(api, "b")}, "b"),
        ({"completed": sessions(api, "own")[:1]}, None),
        ({"abandoned": sessions(api, "b")}, "b"),  # already closed: frees nothing more
    )
    outcome = max_size.run(event, client_of(api, "own"), OWN_MAX_SIZE)
    assert outcome["events"]["b"]["freed"] == 2 and api.state["b"].serving == 2
    assert outcome["events"]["own"]["freed"] == 1 and api.state["own"].serving == 1


@pytest.mark.parametrize(
    ("target", "reason"),
    [("nobody", "no such event"), ("timed", "its inlet is periodic, not max_size")],
)
def test_a_message_for_an_event_without_a_max_size_inlet_is_dropped(target: str, reason: str) -> None:
    api = max_size_api()
    outcome = max_size.run(sns_event(({"exited": 5}, target)), client_of(api, "own"), OWN_MAX_SIZE)
    assert outcome["events"] == {target: {"action": "dropped", "messages": 1, "reason": reason}}
    assert [call for call in api.calls if call[1] != "/events"] == []


def test_the_registry_sets_the_own_event_capacity_once_it_names_the_max_size_inlet() -> None:
    api = max_size_api()
    api.events[0] = record("own", MAX_SIZE, capacity=10, default=True)
    outcome = max_size.run(sns_event(({"exited": 9}, None)), client_of(api, "own"), OWN_MAX_SIZE)
    assert outcome["events"]["own"]["increment_by"] == 8  # 10 - 2 active, not the stack's 3


def test_a_refused_event_is_reported_and_a_transient_failure_is_retried_by_lambda() -> None:
    api = max_size_api()
    api.failing["b"] = 400  # e.g. deleted since the listing
    outcome = max_size.run(
        sns_event(({"exited": 1}, "b"), ({"exited": 1}, None)), client_of(api, "own"), OWN_MAX_SIZE
    )
    assert outcome["events"]["b"]["action"] == "failed" and api.state["own"].serving == 1
    api.failing["b"] = 503
    with pytest.raises(PrivateApiError):
        max_size.run(sns_event(({"exited": 1}, "b")), client_of(api, "own"), OWN_MAX_SIZE)


def test_malformed_messages_cost_no_call() -> None:
    api = max_size_api()
    event = sns_event(({"exited": 1, "event_id": "b"}, "own"), ({"exited": 1, "event_id": "no spaces"}, None))
    assert max_size.run(event, client_of(api, "own"), OWN_MAX_SIZE) == {"malformed": 2, "events": {}}
    assert api.calls == []


def test_time_is_not_read_by_max_size() -> None:
    """MaxSize has no window: an event's messages are served whatever the time."""
    api = max_size_api()
    api.events[1] = record("b", MAX_SIZE, capacity=3, start_time=int(time.time()) + 3600)
    outcome = max_size.run(sns_event(({"exited": 1}, "b")), client_of(api, "own"), OWN_MAX_SIZE)
    assert outcome["events"]["b"]["increment_by"] == 1


def test_a_tick_has_time_for_events_and_ends_before_the_next_one() -> None:
    function = by_name("PeriodicInlet")
    schedule = next(t for t in function.triggers if isinstance(t, Schedule))
    assert function.timeout_seconds - periodic.RESERVE_SECONDS >= 30
    assert function.timeout_seconds < schedule.rate_minutes * 60


def test_a_burst_of_session_ends_lists_the_events_once_and_a_new_event_at_once(monkeypatch) -> None:
    """The handler keeps the events' records for the registry's 5 s, unless a message names an
    event they do not hold."""
    monkeypatch.setattr(max_size, "_recent", (0.0, []))
    api = max_size_api()
    client = client_of(api, "own")

    def invoke(message: dict[str, Any]) -> dict[str, Any]:
        return max_size.run(
            sns_event((message, None)),
            client,
            OWN_MAX_SIZE,
            list_events=lambda named: max_size.recent_events(client, named),
        )

    for _ in range(3):
        invoke({"event_id": "b", "exited": 1})
    assert api.calls.count(("GET", "/events", None)) == 1

    api.events.append(record("c", MAX_SIZE, capacity=5))
    api.state["c"] = EventState()
    assert invoke({"event_id": "c", "exited": 1})["events"]["c"]["action"] == "incremented"
    assert api.calls.count(("GET", "/events", None)) == 2

    monkeypatch.setattr(max_size, "_recent", (time.monotonic() - 1, max_size._recent[1]))  # 5 s later
    invoke({"event_id": "b", "exited": 1})
    assert api.calls.count(("GET", "/events", None)) == 3
