"""Bad input on every route of the public and private APIs: a 4xx with a JSON error, nothing lost."""

from __future__ import annotations

import base64
import importlib
import json
import time
import uuid

import pytest

from lambdas import expired_tokens, increment_serving_counter
from lambdas.catalog import routes_of
from lambdas.waiting_room import registry, tokens
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.state_keys import MAX_COUNTER, MAX_INCREMENT
from tests.integration.conftest import Core, api_event, entry_message, sqs_record

ROUTES = [(route, function) for api in ("public", "private") for route, function in routes_of(api)]
RID = "2f1c7a52-1f0e-4c59-9a53-2a8d4b7b3a11"
DEEP = "[" * 1000 + "]" * 1000

BAD_QUERIES = {
    "missing event_id": {},
    "wrong event_id": {"event_id": "someone-else", "request_id": RID},
    "event_id with spaces": {"event_id": "a b", "request_id": RID},
    "request_id not a UUID": {"event_id": "test-event", "request_id": "123"},
    "request_id UUID with suffix": {"event_id": "test-event", "request_id": RID + "x"},
}
BAD_BODIES = {
    "no body": None,
    "invalid JSON": "{not json",
    "JSON array": "[1, 2]",
    "JSON string": '"hello"',
    "oversized": json.dumps({"event_id": "test-event", "pad": "x" * 10_000}),
    "missing event_id": json.dumps({"request_id": RID, "increment_by": 1, "status": 1}),
    "event_id not a string": json.dumps({"event_id": 7, "request_id": RID, "increment_by": 1, "status": 1}),
    "wrong event_id": json.dumps(
        {"event_id": "someone-else", "request_id": RID, "increment_by": 1, "status": 1}
    ),
    "request_id not a UUID": json.dumps(
        {"event_id": "test-event", "request_id": "abc", "increment_by": 1, "status": 1}
    ),
    "request_id a number": json.dumps({"event_id": "test-event", "request_id": 5, "status": 1}),
    # About 2 kB: Python's parser recursed into it and raised RecursionError, a 500 on every route.
    "nested 1,000 deep": f'{{"event_id": "test-event", "request_id": "{RID}", "pad": {DEEP}}}',
}


# Routes that identify a visitor; the others ignore a request_id.
VISITOR_ROUTES = {"/queue_num", "/queue_pos_expiry", "/generate_token", "/update_session"}


# Routes whose input is in the query string; the others take a JSON body.
QUERY_METHODS = ("GET", "DELETE")
# An event id in a path (/events/{event_id}) that names no event.
BAD_PATH_EVENT_IDS = {"unknown event_id": "someone-else", "event_id with spaces": "a b", "long": "x" * 65}


def cases():
    for route, function in ROUTES:
        module, name = function.handler.rsplit(".", 1)
        if "{event_id}" in route.path:
            # The path's event first; then, for a good one, the body.
            for label, event_id in BAD_PATH_EVENT_IDS.items():
                yield pytest.param(route, module, name, event_id, None, id=f"{route.api}{route.path}-{label}")
            bad = BAD_BODIES if route.method == "PATCH" else {}
            for label, value in bad.items():
                if "request_id" not in label:
                    yield pytest.param(
                        route, module, name, "test-event", value, id=f"{route.api}{route.path}-{label}"
                    )
            continue
        if (route.method, route.path) == ("GET", "/events"):
            continue  # takes only paging parameters (tests/integration/test_events.py)
        bad = BAD_QUERIES if route.method in QUERY_METHODS else BAD_BODIES
        for label, value in bad.items():
            if "request_id" in label and route.path not in VISITOR_ROUTES:
                continue
            if label == "wrong event_id" and (route.method, route.path) == ("POST", "/events"):
                continue  # a new event's id is what this route takes
            yield pytest.param(route, module, name, None, value, id=f"{route.api}{route.path}-{label}")


@pytest.mark.parametrize(("route", "module", "name", "path_event_id", "value"), list(cases()))
def test_bad_input_gets_a_4xx_json_error_and_changes_nothing(
    core: Core, route, module, name, path_event_id, value
) -> None:
    request_ids = core.enter(2)
    core.serve(1)
    before = EventCounters(core.event_id).counters()
    handler = getattr(importlib.import_module(module), name)
    if path_event_id is not None:
        event = api_event(
            route.method,
            route.path.replace("{event_id}", path_event_id),
            raw_body=value,
            resource=route.path,
            path_parameters={"event_id": path_event_id},
        )
    elif route.method in QUERY_METHODS:
        event = api_event(route.method, route.path, query=value)
    else:
        event = api_event(route.method, route.path, raw_body=value)
    result = handler(event, None)
    body = json.loads(result["body"])
    assert 400 <= result["statusCode"] < 500, (result["statusCode"], body)
    assert isinstance(body.get("error"), str) and body["error"]
    assert result["headers"]["Content-Type"] == "application/json"
    assert EventCounters(core.event_id).counters() == before
    assert EventCounters(core.event_id).lookup(request_ids[0]).position == 1


def post(core: Core, handler, path: str, body: dict) -> tuple[int, dict]:
    result = handler(api_event("POST", path, body=body), None)
    return result["statusCode"], json.loads(result["body"])


# 10**17 was stored by Lua's float arithmetic as "1e+17" (every later read a 500); 2**63 wrapped;
# 2**53 + 1 was rounded.
@pytest.mark.parametrize(
    "increment_by", [10**17, 2**63, -(2**63), 2**53 + 1, MAX_INCREMENT + 1, -MAX_INCREMENT - 1]
)
def test_an_increment_out_of_bounds_is_a_400_and_changes_nothing(core: Core, increment_by: int) -> None:
    core.serve(3)
    before = EventCounters(core.event_id).counters()
    status, body = post(
        core,
        increment_serving_counter.handler,
        "/increment_serving_counter",
        {"event_id": core.event_id, "increment_by": increment_by},
    )
    assert status == 400 and str(MAX_INCREMENT) in body["error"]
    assert EventCounters(core.event_id).counters() == before


def test_the_serving_counter_stops_at_its_maximum_and_stays_exact(core: Core) -> None:
    counters = EventCounters(core.event_id)
    counters.redis.set(counters.keys.serving_counter, MAX_COUNTER - 1)
    assert counters.increment_serving(2, now_ms=1) == ("too_large", MAX_COUNTER - 1)
    status, body = post(
        core,
        increment_serving_counter.handler,
        "/increment_serving_counter",
        {"event_id": core.event_id, "increment_by": 2},
    )
    assert status == 400 and str(MAX_COUNTER) in body["error"]
    assert counters.increment_serving(1, now_ms=1) == ("applied", MAX_COUNTER)
    assert counters.counters()["serving_counter"] == MAX_COUNTER


def test_serving_history_keeps_one_member_per_counter_above_14_digits(core: Core) -> None:
    """Lua's `..` writes 15 digits and more as "1.0000000000000e+14": two moves in one millisecond
    became one history member, and the first move's time was lost."""
    counters = EventCounters(core.event_id)
    counters.redis.set(counters.keys.serving_counter, 10**14)
    counters.increment_serving(1, now_ms=1_000)
    counters.increment_serving(1, now_ms=1_000)
    members = counters.redis.zrange(counters.keys.serving_history, 0, -1)
    assert members == [f"{10**14 + 1}:1000", f"{10**14 + 2}:1000"]


@pytest.mark.parametrize("limit", ["²", "٣", "1" * 5000, "0", "-1", "+5", " 5", "5 ", "1001", "1e2", ""])
def test_a_limit_that_is_not_a_short_ascii_number_in_range_is_a_400(core: Core, limit: str) -> None:
    result = expired_tokens.handler(
        api_event("GET", "/expired_tokens", query={"event_id": core.event_id, "limit": limit}), None
    )
    assert result["statusCode"] == 400, result
    assert "limit" in json.loads(result["body"])["error"]


def test_a_cursor_nested_deep_or_too_long_is_a_400(core: Core) -> None:
    deep = base64.urlsafe_b64encode(DEEP.encode()).decode()
    for cursor in (deep, "A" * 5000):
        result = expired_tokens.handler(
            api_event("GET", "/expired_tokens", query={"event_id": core.event_id, "cursor": cursor}), None
        )
        assert result["statusCode"] == 400, result


def _expired_tokens(core: Core, **query: str) -> dict:
    return expired_tokens.handler(
        api_event("GET", "/expired_tokens", query={"event_id": core.event_id, **query}), None
    )


def test_a_crafted_cursor_is_a_400_and_the_genuine_one_still_pages(core: Core) -> None:
    """DynamoDB refuses an ExclusiveStartKey that is not exactly the index's key (moto lets extra
    attributes through): each variation of a genuine cursor must be turned away before the query."""
    request_ids = core.enter(3)
    core.serve(3)
    for request_id in request_ids:
        tokens.issue(registry.lookup(core.event_id), request_id, validity_seconds=60, now_s=time.time() - 120)
    first = _expired_tokens(core, limit="1")
    genuine = first["headers"]["X-Next-Cursor"]
    key = json.loads(base64.urlsafe_b64decode(genuine))
    assert set(key) == {"event_generation", "request_id", "token_expires_at"}

    def crafted(**changes: object) -> str:
        changed = {name: value for name, value in {**key, **changes}.items() if value is not None}
        return base64.urlsafe_b64encode(json.dumps(changed).encode()).decode()

    for cursor in (
        crafted(token_expires_at={"N": "not a number"}),
        crafted(token_expires_at={"N": "1e400"}),
        crafted(token_expires_at={"S": key["token_expires_at"]["N"]}),
        crafted(token_expires_at={"N": key["token_expires_at"]["N"], "S": "x"}),
        crafted(extra={"S": "x"}),
        crafted(request_id=None),
        crafted(request_id={"N": "1"}),
        crafted(event_generation={"S": "other-event#0"}),
    ):
        answer = _expired_tokens(core, cursor=cursor)
        assert answer["statusCode"] == 400, (json.loads(base64.urlsafe_b64decode(cursor)), answer)
        assert json.loads(answer["body"]) == {"error": "cursor is not valid"}
    following = _expired_tokens(core, limit="5", cursor=genuine)
    assert following["statusCode"] == 200 and len(json.loads(following["body"])) == 2


def test_entries_from_the_future_or_not_finite_take_no_position(core: Core) -> None:
    """A far-future entry time gave a position that never expired and held back the sweeper;
    Infinity and NaN (which Python's JSON reads) failed the whole batch."""
    now_ms = int(time.time() * 1000)
    future = entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=now_ms + 3_600_000)
    skewed = entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=now_ms + 30_000)
    not_finite = [
        sqs_record(
            f'{{"event_id": "{core.event_id}", "request_id": "{uuid.uuid4()}", "entered_at": {value}}}'
        )
        for value in ("Infinity", "NaN", "1e400")
    ]
    deep = sqs_record(f'{{"event_id": "{core.event_id}", "x": {DEEP}}}')
    assert core.worker([future, *not_finite, deep, skewed]) == {"batchItemFailures": []}
    counters = EventCounters(core.event_id)
    assert counters.counters()["queue_counter"] == 1
    assert counters.lookup(json.loads(skewed["body"])["request_id"]).position == 1
