"""What API Gateway and CloudFront do in front of the functions: routes from the wiring table,
CORS, the SQS integration's validation, the CDN cache, and the two pages with their configuration."""

from __future__ import annotations

import uuid

import pytest
import requests

from lambdas.catalog import ASSIGN_QUEUE_NUM, routes_of
from local.testing import Runtime
from tests.e2e.journey import enter, eventually, increment, position, reset

ALL_ROUTES = [route for api in ("public", "private", "store", "oidc") for route, _ in routes_of(api)]


def _base(runtime: Runtime, api: str) -> str:
    return runtime.ready[f"{api}_api"]


@pytest.mark.parametrize("route", [*ALL_ROUTES, ASSIGN_QUEUE_NUM], ids=lambda r: f"{r.api}{r.path}")
def test_every_route_of_the_wiring_table_answers_the_preflight(runtime: Runtime, route) -> None:
    answer = requests.options(_base(runtime, route.api) + route.path, timeout=5)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert route.method in answer.headers["Access-Control-Allow-Methods"]


def test_an_unknown_route_gets_api_gateways_answer(runtime: Runtime) -> None:
    answer = requests.get(runtime.public_api + "/no_such_route", timeout=5)
    assert answer.status_code == 403
    assert answer.json() == {"error": "Missing Authentication Token"}
    wrong_method = requests.get(runtime.public_api + "/generate_token", timeout=5)
    assert wrong_method.status_code == 403


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"event_id": 5}', b'{"other": "x"}'])
def test_the_queue_integration_validates_its_body(runtime: Runtime, body: bytes) -> None:
    answer = requests.post(
        runtime.public_api + "/assign_queue_num",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert "error" in answer.json()
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_entry_answers_with_a_fresh_request_id(runtime: Runtime) -> None:
    ids = {enter(runtime) for _ in range(3)}
    assert len(ids) == 3


def test_public_reads_are_cached_as_the_cdn_policy_says(runtime: Runtime) -> None:
    reset(runtime)
    url, params = runtime.public_api + "/serving_num", {"event_id": runtime.event_id}

    # Wait for a fresh entry (a miss stores one for the policy's few seconds)...
    first = eventually(
        lambda: (
            (a := requests.get(url, params={**params, "cache_buster": "1"}, timeout=5))
            .headers["X-Cache"]
            .startswith("Miss")
            and a
        )
    )
    new_value = increment(runtime, 1)
    # ...then, keyed on event_id only, another query string is the same entry: still the old value.
    second = requests.get(url, params={**params, "cache_buster": "2"}, timeout=5)
    assert second.headers["X-Cache"].startswith("Hit")
    assert second.json() == first.json()
    # Until the entry expires and the origin answers again.
    eventually(lambda: requests.get(url, params=params, timeout=5).json()["serving_counter"] == new_value)


def test_not_yet_is_never_cached(runtime: Runtime) -> None:
    """A 202 ("not yet") reaches the origin every time it is asked; the 200 that follows is kept."""
    reset(runtime)
    unnumbered = {"event_id": runtime.event_id, "request_id": str(uuid.uuid4())}
    for _ in range(2):
        not_yet = requests.get(runtime.public_api + "/queue_num", params=unnumbered, timeout=5)
        assert not_yet.status_code == 202, not_yet.text
        assert not_yet.headers["X-Cache"].startswith("Miss")
    request_id = enter(runtime)
    assert position(runtime, request_id) >= 1
    again = requests.get(
        runtime.public_api + "/queue_num",
        params={"event_id": runtime.event_id, "request_id": request_id},
        timeout=5,
    )
    assert again.status_code == 200
    assert again.headers["X-Cache"].startswith("Hit")


def test_private_routes_are_never_cached(runtime: Runtime) -> None:
    answer = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert "X-Cache" not in answer.headers


@pytest.mark.parametrize("page", ["waiting_room", "control_panel"])
def test_the_pages_are_served_with_their_configuration(runtime: Runtime, page: str) -> None:
    config = requests.get(runtime.ready[page] + "config.json", timeout=5)
    assert config.status_code == 200
    settings = config.json()
    assert settings["public_api"] == runtime.public_api
    assert settings["private_api"] == runtime.private_api
    assert settings["store_api"] == runtime.store_api
    assert settings["event_id"] == runtime.event_id
    assert settings["region"] == runtime.region
    # Only the control panel signs private calls, so only it gets the local keys.
    assert ("secret_access_key" in settings) == (page == "control_panel")
    index = requests.get(runtime.ready[page], timeout=5)
    assert index.status_code == 200
    assert "text/html" in index.headers["Content-Type"]


def test_pages_refuse_to_leave_their_folder(runtime: Runtime) -> None:
    answer = requests.get(runtime.waiting_room + "..%2F..%2Fpyproject.toml", timeout=5)
    assert answer.status_code == 404


def test_repeated_query_values_are_keyed_in_their_order(runtime: Runtime) -> None:
    """The origin reads the last of a repeated value: a cached 200 for `event_id=other&event_id=ours`
    must not answer `event_id=ours&event_id=other`, which the origin refuses (the key sorted them)."""
    url = runtime.public_api + "/waiting_num"
    ours_last = requests.get(url, params=[("event_id", "other"), ("event_id", runtime.event_id)], timeout=5)
    assert ours_last.status_code == 200, ours_last.text
    other_last = requests.get(url, params=[("event_id", runtime.event_id), ("event_id", "other")], timeout=5)
    assert other_last.status_code == 400, other_last.text
