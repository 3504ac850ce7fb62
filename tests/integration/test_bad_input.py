"""Bad input on every route of the public and private APIs: a 4xx with a JSON error, nothing lost."""

from __future__ import annotations

import importlib
import json

import pytest

from lambdas.catalog import routes_of
from lambdas.waiting_room.counters import EventCounters
from tests.integration.conftest import Core, api_event

ROUTES = [(route, function) for api in ("public", "private") for route, function in routes_of(api)]
RID = "2f1c7a52-1f0e-4c59-9a53-2a8d4b7b3a11"

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
}


# Routes that identify a visitor; the others ignore a request_id.
VISITOR_ROUTES = {"/queue_num", "/queue_pos_expiry", "/generate_token", "/update_session"}


def cases():
    for route, function in ROUTES:
        module, name = function.handler.rsplit(".", 1)
        bad = BAD_QUERIES if route.method == "GET" else BAD_BODIES
        for label, value in bad.items():
            if "request_id" in label and route.path not in VISITOR_ROUTES:
                continue
            yield pytest.param(route, module, name, value, id=f"{route.api}{route.path}-{label}")


@pytest.mark.parametrize(("route", "module", "name", "value"), list(cases()))
def test_bad_input_gets_a_4xx_json_error_and_changes_nothing(core: Core, route, module, name, value) -> None:
    request_ids = core.enter(2)
    core.serve(1)
    before = EventCounters(core.event_id).counters()
    handler = getattr(importlib.import_module(module), name)
    if route.method == "GET":
        event = api_event("GET", route.path, query=value)
    else:
        event = api_event("POST", route.path, raw_body=value)
    result = handler(event, None)
    body = json.loads(result["body"])
    assert 400 <= result["statusCode"] < 500, (result["statusCode"], body)
    assert isinstance(body.get("error"), str) and body["error"]
    assert result["headers"]["Content-Type"] == "application/json"
    assert EventCounters(core.event_id).counters() == before
    assert EventCounters(core.event_id).lookup(request_ids[0]).position == 1
