"""The event registry (/events): one deployment, many events, each with its own settings and state."""

from __future__ import annotations

import uuid

import jwt
import pytest

from lambdas import (
    counters,
    events,
    expiry_sweeper,
    metrics_event,
    pow_challenge,
    queue_num,
    queue_pos_expiry,
    reset_initial_state,
    serving_num,
)
from lambdas.waiting_room import audit, registry
from lambdas.waiting_room.counters import EventCounters
from tests.integration.conftest import Core, api_event, call


def create(event_id: str, **fields: object) -> tuple[int, dict]:
    return call(events.handler, "POST", "/events", body={"event_id": event_id, **fields})


def one(method: str, event_id: str, **kwargs: object) -> tuple[int, dict]:
    """A call to /events/{event_id}."""
    return call(
        events.handler,
        method,
        f"/events/{event_id}",
        resource="/events/{event_id}",
        path_parameters={"event_id": event_id},
        **kwargs,
    )


def read(event_id: str) -> tuple[int, dict]:
    return one("GET", event_id)


def change(event_id: str, /, **fields: object) -> tuple[int, dict]:
    return one("PATCH", event_id, body=fields)


def delete(event_id: str) -> tuple[int, dict]:
    return one("DELETE", event_id)


def page(**query: str) -> tuple[int, dict]:
    return call(events.handler, "GET", "/events", query=query or None)


def listed() -> dict[str, dict]:
    status, body = page(limit="1000")
    assert status == 200 and body["next_cursor"] is None
    return {event["event_id"]: event for event in body["events"]}


@pytest.fixture
def other(core: Core) -> Core:
    """A second event of the same deployment, registered through the private API."""
    status, body = create("other-sale", name="Other sale")
    assert status == 201, body
    return Core({**core.env, "EVENT_ID": "other-sale"})


def test_the_deployments_own_event_exists_without_a_record(core: Core) -> None:
    own = listed()[core.event_id]
    assert own["default"] is True and own["version"] == 0 and own["name"] == core.event_id
    assert own["token_validity_seconds"] == 3600 and own["inlet"] == "none"
    assert create(core.event_id)[1]["reason"] == "exists"
    assert delete(core.event_id)[1]["reason"] == "default"


def test_an_event_is_created_listed_changed_and_deleted(core: Core) -> None:
    status, body = create("spring", name="Spring sale", inlet="periodic", increment_by=50)
    assert status == 201 and body["version"] == 1 and body["default"] is False
    assert body["event_id"] == "spring" and body["name"] == "Spring sale"
    assert listed()["spring"] == body and read("spring") == (200, body)
    assert create("spring")[0] == 409

    status, body = change("spring", increment_by=80, version=1)
    assert (status, body["increment_by"], body["version"], body["name"]) == (200, 80, 2, "Spring sale")
    # Someone changed it since version 1 was read.
    assert change("spring", increment_by=90, version=1) == (
        409,
        {"error": "event spring changed since version 1: read it again", "reason": "version"},
    )
    # An answer can be sent back as it came, read-only fields and all; not under another id.
    assert change("spring", **{**listed()["spring"], "name": "Spring"})[0] == 200
    status, body = change("spring", event_id="autumn", name="Autumn")
    assert status == 400 and read("spring")[1]["name"] == "Spring"

    assert delete("spring") == (200, {"event_id": "spring"})
    assert "spring" not in listed()
    assert delete("spring")[0] == 404 and change("spring", name="x")[0] == 404
    assert read("spring")[0] == 404
    assert call(serving_num.handler, "GET", "/serving_num", query={"event_id": "spring"})[0] == 400


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"token_validity_seconds": 10},
        {"token_validity_seconds": "3600"},
        {"enable_queue_position_expiry": 1},
        {"pow_difficulty": 33},
        {"inlet": "sometimes"},
        {"inlet": "periodic"},  # with no increment
        {"inlet": "max_size", "capacity": 0},
        {"start_time": 100, "end_time": 50},
        {"mode": "sometimes"},
        {"order_at_start": "lottery"},
        {"prequeue_start": 200, "start_time": 100},  # a pre-queue that starts after the sale
        {"prequeue_start": 100, "start_time": 100},
        {"prequeue_start": 100},  # a pre-queue with no sale to end it
        {"order_at_start": "draw"},  # nothing to draw from without a pre-queue
        {"max_waiting": -1},
        {"max_waiting": "10"},
        {"overflow_url": "http://example.com/form"},
        {"overflow_url": "javascript:alert(1)"},
        {"overflow_url": "https://"},
        {"overflow_url": "https://example.com/a b"},
        {"overflow_url": 7},
        {"colour": "blue"},
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(core: Core, fields: dict) -> None:
    status, body = create("refused", **fields)
    assert status == 400 and body["error"], body
    assert "refused" not in listed()

    assert create("kept", name="Kept")[0] == 201
    status, body = change("kept", **fields)
    assert status == 400 and body["error"], body
    assert read("kept")[1]["name"] == "Kept" and read("kept")[1]["version"] == 1


def test_the_list_is_paged_by_event_id(core: Core) -> None:
    for event_id in ("b-sale", "c-sale", "a-sale", "d-sale"):
        assert create(event_id)[0] == 201
    everyone = sorted(["a-sale", "b-sale", "c-sale", "d-sale", core.event_id])

    seen, query = [], {"limit": "2"}
    while True:
        status, body = page(**query)
        assert status == 200 and len(body["events"]) <= 2
        seen += [event["event_id"] for event in body["events"]]
        if body["next_cursor"] is None:
            break
        query["cursor"] = body["next_cursor"]
        # A page holds still while an event it has passed is deleted.
        if len(seen) == 2:
            assert delete(seen[0])[0] == 200
    assert seen == everyone

    status, body = page()
    assert status == 200 and len(body["events"]) == 4 and body["next_cursor"] is None


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"cursor": "../x"}, {"cursor": ""}]
)
def test_a_bad_page_request_is_a_400(core: Core, query: dict[str, str]) -> None:
    status, body = page(**query)
    assert status == 400 and body["error"], body


def test_a_path_that_names_no_event_is_a_404(core: Core) -> None:
    for method, kwargs in (("GET", {}), ("PATCH", {"body": {"name": "x"}}), ("DELETE", {})):
        for event_id in ("missing", "no such/event", "x" * 65):
            status, body = one(method, event_id, **kwargs)
            assert status == 404 and body["error"], (method, event_id, body)


def test_the_number_of_events_is_bounded(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_EVENTS", 2)
    assert create("first")[0] == 201 and create("second")[0] == 201
    assert create("third")[1]["reason"] == "limit"


def test_each_event_keeps_its_own_line(core: Core, other: Core) -> None:
    mine, theirs = core.enter(3), other.enter(5)
    other.serve(2)
    assert EventCounters(core.event_id).counters()["queue_counter"] == 3
    assert EventCounters(other.event_id).counters()["queue_counter"] == 5
    assert EventCounters(core.event_id).counters()["serving_counter"] == 0
    position = call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": other.event_id, "request_id": theirs[4]}
    )
    assert position[1]["queue_number"] == 5

    # A request id of another event is a definite 404 at once, and asking disturbs nothing; one
    # that no worker has numbered yet may still be this event's: it keeps its 202.
    for handler, path in ((queue_num.handler, "/queue_num"), (queue_pos_expiry.handler, "/queue_pos_expiry")):
        status, body = call(handler, "GET", path, query={"event_id": core.event_id, "request_id": theirs[0]})
        assert (status, body["reason"]) == (404, "other_event"), path
    in_flight = {"event_id": core.event_id, "request_id": str(uuid.uuid4())}
    assert call(queue_num.handler, "GET", "/queue_num", query=in_flight)[0] == 202
    assert core.token(theirs[0])[0] == 404
    assert other.token(mine[0])[0] == 404

    status, tokens = other.token(theirs[0])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert status == 200 and claims["aud"] == other.event_id


def test_resetting_one_event_leaves_the_other_alone(core: Core, other: Core) -> None:
    core.enter(4)
    core.serve(4)
    other.enter(2)
    status, _ = call(
        reset_initial_state.handler, "POST", "/reset_initial_state", body={"event_id": other.event_id}
    )
    assert status == 200
    assert EventCounters(other.event_id).counters()["queue_counter"] == 0
    assert EventCounters(core.event_id).counters()["queue_counter"] == 4
    assert EventCounters(core.event_id).counters()["serving_counter"] == 4


def test_a_recreated_event_starts_clean(core: Core, other: Core) -> None:
    [old] = other.enter(1)
    assert delete(other.event_id)[0] == 200
    assert create(other.event_id)[0] == 201
    assert EventCounters(other.event_id).counters()["queue_counter"] == 0
    status, body = call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": other.event_id, "request_id": old}
    )
    assert (status, body.get("reason")) == (410, "reset")


def test_settings_are_per_event(core: Core) -> None:
    assert create("short", token_validity_seconds=120, pow_difficulty=4)[0] == 201
    short = Core({**core.env, "EVENT_ID": "short"})
    challenge = call(pow_challenge.handler, "GET", "/pow_challenge", query={"event_id": "short"})[1]
    assert challenge["difficulty"] == 4
    assert call(pow_challenge.handler, "GET", "/pow_challenge", query={"event_id": core.event_id})[1] == {
        "difficulty": 0
    }

    assert change("short", pow_difficulty=0)[0] == 200
    [request_id] = short.enter(1)
    short.serve(1)
    status, tokens = short.token(request_id)
    assert status == 200 and tokens["expires_in"] == 120


def test_the_scheduled_jobs_visit_every_event(core: Core, other: Core) -> None:
    assert change(other.event_id, enable_queue_position_expiry=False)[0] == 200
    swept = expiry_sweeper.handler({}, None)["events"]
    assert core.event_id in swept and other.event_id not in swept

    other.enter(2)
    sent = metrics_event.handler({}, None)["events"]
    assert sent[other.event_id]["queue_counter"] == 2 and sent[core.event_id]["queue_counter"] == 0
    # An event whose counters did not move is not sent again; the deployment's own always is.
    assert set(metrics_event.handler({}, None)["events"]) == {core.event_id}


def test_every_change_leaves_an_audit_line(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[dict] = []
    monkeypatch.setattr(audit.logger, "info", lambda message, extra: lines.append(extra))
    for method, path, body in (
        ("POST", "/events", {"event_id": "audited"}),
        ("PATCH", "/events/audited", {"name": "Audited"}),
        ("DELETE", "/events/audited", None),
    ):
        resource = "/events/{event_id}" if path != "/events" else None
        event = api_event(method, path, body=body, resource=resource, path_parameters={"event_id": "audited"})
        event["requestContext"]["identity"] = {"userArn": "arn:aws:iam::123456789012:user/operator"}
        assert events.handler(event, None)["statusCode"] in (200, 201)
    assert [line["audit_action"] for line in lines] == ["create_event", "update_event", "delete_event"]
    assert {line["caller_arn"] for line in lines} == {"arn:aws:iam::123456789012:user/operator"}
    assert lines[1]["before"]["name"] == "audited" and lines[1]["after"]["name"] == "Audited"


def test_changing_the_mode_is_audited_and_shown(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[dict] = []
    monkeypatch.setattr(audit.logger, "info", lambda message, extra: lines.append(extra))
    assert create("gated")[1]["mode"] == "queue"
    status, body = change("gated", mode="closed")
    assert (status, body["mode"]) == (200, "closed")
    assert (lines[-1]["audit_action"], lines[-1]["before"]["mode"], lines[-1]["after"]["mode"]) == (
        "update_event",
        "queue",
        "closed",
    )
    assert read("gated")[1]["mode"] == "closed"


def test_a_deleted_event_is_refused_everywhere(core: Core, other: Core) -> None:
    other.enter(1)
    assert delete(other.event_id)[0] == 200
    status, body = call(counters.handler, "GET", "/counters", query={"event_id": other.event_id})
    assert (status, body["error"]) == (400, "unknown event_id")
    # Entries still on the queue for it take no position.
    assert other.worker(other.entries(["0b8f7b4e-2a4c-4e8e-9d59-0a5bb1d0c6e1"])["Records"]) == {
        "batchItemFailures": []
    }
    assert EventCounters(other.event_id).redis.exists(EventCounters(other.event_id).keys.queue_counter) == 0


def test_an_event_cannot_turn_on_what_the_deployment_does_not_run(core: Core, configure) -> None:
    configure(ENABLE_QUEUE_POSITION_EXPIRY="false", INCR_SERVING_ON_EXPIRY="false")
    assert create("plain")[0] == 201
    assert listed()["plain"]["enable_queue_position_expiry"] is False
    status, body = create("expiring", enable_queue_position_expiry=True)
    assert status == 400 and "EnableQueuePositionExpiry" in body["error"]
    status, body = change("plain", incr_serving_on_expiry=True)
    assert status == 400 and "IncrSvcOnQueuePositionExpiry" in body["error"]
