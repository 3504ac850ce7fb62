"""A reset, seen by the retired solution's page: every old answer goes, within its bound.

Its own runtime: a two-second batching window keeps an entry on the queue across the reset, and
resets here must not disturb the session runtime's tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from lambdas.catalog import RESET_VISIBLE_WITHIN_SECONDS
from lambdas.waiting_room.gatekeeper import GENERATION_MAX_AGE_SECONDS
from local.testing import Runtime, running_runtime
from tests.e2e.journey import counters, eventually, increment, reset
from tests.e2e.retired_clients import RetiredPage, retired_page, route

# How long these tests wait for what the bounds promise, on top of the bounds: HTTP and scheduling
# on a busy machine. The bounds themselves are exact under a fake clock (test_gateway_decisions.py);
# here the caches are shortened (--cache-seconds) and their bounds read from the READY line.
SLACK_SECONDS = 10.0
CACHE_SECONDS = "2"


def _old_tokens_refused_within(runtime: Runtime) -> float:
    """The CDN's copy of /generation, the authorizer's own copy, then API Gateway's decision."""
    ready = runtime.ready
    return ready["cdn_max_ttl_seconds"] + GENERATION_MAX_AGE_SECONDS + ready["authorizer_cache_seconds"]


def _start(tmp_path_factory: pytest.TempPathFactory, *extra: str) -> Iterator[Runtime]:
    args = (
        "--event-id", "reset-event", "--batch-window", "2", "--visibility-timeout", "4",
        "--cache-seconds", CACHE_SECONDS, *extra,
    )  # fmt: skip
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-reset")) as started:
        yield started


@pytest.fixture(scope="module")
def own_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    yield from _start(tmp_path_factory)


def _queue_num(page: RetiredPage, request_id: str) -> requests.Response:
    return requests.get(
        route(page.public_api_url, "/queue_num"),
        params={"event_id": page.event_id, "request_id": request_id},
        timeout=10,
    )


def _served_with_token(runtime: Runtime, page: RetiredPage) -> tuple[str, str]:
    request_id = page.enter()
    place = page.queue_number(request_id)
    serving = counters(runtime)["serving_counter"]
    if serving < place:
        increment(runtime, place - serving)
    return request_id, page.access_token(request_id)


def test_after_a_reset_no_old_answer_survives_its_bound(own_runtime: Runtime) -> None:
    page = retired_page(own_runtime)
    served, old_token = _served_with_token(own_runtime, page)
    assert page.checkout(old_token).status_code == 200

    # The CDN holds this visitor's position; a second visitor's entry is still on the queue.
    assert _queue_num(page, served).headers["X-Cache"].startswith(("Miss", "Hit"))
    assert _queue_num(page, served).headers["X-Cache"].startswith("Hit")
    on_the_queue = page.enter()
    assert _queue_num(page, on_the_queue).status_code == 202
    reset(own_runtime)

    # The cached position may still be served, but not beyond its TTL, which the reset window bounds.
    assert own_runtime.ready["cdn_max_ttl_seconds"] <= RESET_VISIBLE_WITHIN_SECONDS
    first = _queue_num(page, served)
    assert first.status_code == 410 or first.headers["X-Cache"].startswith("Hit"), first.text
    # (In a list: a 4xx Response is falsy.)
    [gone] = eventually(
        lambda: (a := _queue_num(page, served)).status_code == 410 and [a],
        within=own_runtime.ready["cdn_max_ttl_seconds"] + SLACK_SECONDS,
        every=0.1,
    )
    assert gone.json()["reason"] == "reset"

    # The entry that was on the queue: 410 once the worker has seen it, not 202 forever.
    [voided] = eventually(lambda: (a := _queue_num(page, on_the_queue)).status_code != 202 and [a], within=10)
    assert voided.status_code == 410 and voided.json()["reason"] == "reset"

    # The old token stops opening the store; a token of the new generation opens it the first time.
    eventually(
        lambda: page.checkout(old_token).status_code == 401,
        within=_old_tokens_refused_within(own_runtime) + SLACK_SECONDS,
    )
    fresh = retired_page(own_runtime)
    _, new_token = _served_with_token(own_runtime, fresh)
    assert fresh.checkout(new_token).status_code == 200
    assert fresh.store_attempts == [200]
    assert counters(own_runtime)["queue_counter"] == 1  # the voided entry took no position


@pytest.fixture(scope="module")
def strict_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    yield from _start(tmp_path_factory, "--set", "DENY_CLOSED_SESSIONS=true")


def test_deny_closed_sessions_refuses_a_closed_sessions_token(strict_runtime: Runtime) -> None:
    page = retired_page(strict_runtime)
    closing, closing_token = _served_with_token(strict_runtime, page)
    _, open_token = _served_with_token(strict_runtime, page)
    assert page.checkout(closing_token).status_code == 200
    answer = strict_runtime.signed(
        "POST",
        route(strict_runtime.private_api, "/update_session"),
        json_body={"event_id": strict_runtime.event_id, "request_id": closing, "status": 1},
    )
    assert answer.status_code == 200, answer.text
    # The CDN's copy of /session_status, then API Gateway's cached decision.
    ready = strict_runtime.ready
    within = ready["cdn_max_ttl_seconds"] + ready["authorizer_cache_seconds"] + SLACK_SECONDS
    eventually(lambda: page.checkout(closing_token).status_code == 401, within=within)
    assert page.checkout(open_token).status_code == 200
