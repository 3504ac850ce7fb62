"""Micro-benchmarks of the hot handlers, invoked in-process against real Redis and moto.

Run with `make bench` (pytest-benchmark, `--benchmark-only`). The handlers do the work of one
Lambda invocation each; moto over HTTP adds ~5-10 ms per AWS call, which the figures include, so
compare them between commits rather than with Lambda's own durations.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.conftest import Core, api_event
from lambdas.catalog import ordering_window_ms
from tests.integration.conftest import entry_message

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:store123/api/POST/checkout"
ROUNDS = 30


def test_queue_worker_batch_of_100(benchmark: Any, core: Core) -> None:
    import uuid

    from lambdas import queue_worker

    def fresh_batch() -> tuple[tuple[Any, ...], dict[str, Any]]:
        # New request ids each round: a redelivered batch would take the cheaper idempotent path.
        # Entered one ordering window ago, so the round times the work, not the window's wait.
        entered = int(time.time() * 1000) - ordering_window_ms() - 1000
        records = [
            entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=entered + i)
            for i in range(100)
        ]
        return ({"Records": records}, None), {}

    result = benchmark.pedantic(queue_worker.handler, setup=fresh_batch, rounds=ROUNDS)
    assert result == {"batchItemFailures": []}


def test_generate_token_first_call(benchmark: Any, core: Core) -> None:
    from lambdas import generate_token

    request_ids = iter(core.enter(ROUNDS + 1))
    core.serve(ROUNDS + 1)
    core.token(next(request_ids))  # the container's first call reads the key: not the steady state

    def next_visitor() -> tuple[tuple[Any, ...], dict[str, Any]]:
        body = {"event_id": core.event_id, "request_id": next(request_ids)}
        return (api_event("POST", "/generate_token", body=body), None), {}

    result = benchmark.pedantic(generate_token.public_handler, setup=next_visitor, rounds=ROUNDS)
    assert result["statusCode"] == 200


def test_generate_token_repeated_call(benchmark: Any, core: Core) -> None:
    from lambdas import generate_token

    [request_id] = core.enter(1)
    core.serve(1)
    event = api_event("POST", "/generate_token", body={"event_id": core.event_id, "request_id": request_id})
    assert generate_token.public_handler(event, None)["statusCode"] == 200
    result = benchmark(generate_token.public_handler, event, None)
    assert result["statusCode"] == 200


def key_fetch_through_public_key(event_id: str) -> Callable[[], Any]:
    """The authorizer's key fetch, answered by the PublicKey function in this process."""
    from lambdas import public_key

    def fetch() -> Any:
        return json.loads(
            public_key.handler(api_event("GET", "/public_key", query={"event_id": event_id}), None)["body"]
        )

    return fetch


def gatekeeper_through_generation(event_id: str) -> Any:
    """The authorizer's reset check, its generation answered by the Generation function in this process."""
    from lambdas import admission
    from lambdas.waiting_room.gatekeeper import Gatekeeper, GenerationCache

    def fetch() -> Any:
        event = api_event("GET", "/generation", query={"event_id": event_id})
        return json.loads(admission.generation_handler(event, None)["body"])

    return Gatekeeper(event_id, "http://public-api.invalid", GenerationCache(fetch))


@pytest.fixture
def authorize(core: Core, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], dict[str, Any]]:
    """The authorizer with its key cache filled from the PublicKey function."""
    from lambdas import authorizer
    from lambdas.waiting_room.settings import settings
    from lambdas.waiting_room.verification import KeyCache, Verifier

    verifier = Verifier(
        keys=KeyCache(key_fetch_through_public_key(core.event_id)),
        audience=core.event_id,
        issuer=settings().issuer,
    )
    monkeypatch.setattr(authorizer, "_verifier", lambda: verifier)
    gatekeeper = gatekeeper_through_generation(core.event_id)
    monkeypatch.setattr(authorizer, "_gatekeeper", lambda: gatekeeper)

    def call(token: str) -> dict[str, Any]:
        return authorizer.handler(
            {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": METHOD_ARN}, None
        )

    return call


def test_authorizer_verify(benchmark: Any, core: Core, authorize: Callable[[str], dict[str, Any]]) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    token = core.token(request_id)[1]["access_token"]
    authorize(token)  # fills the key cache, as the first request of a container does
    result = benchmark(authorize, token)
    assert result["principalId"] == request_id


@pytest.mark.parametrize("route", ["/queue_num", "/serving_num", "/waiting_num"])
def test_public_reads(benchmark: Any, core: Core, route: str) -> None:
    from lambdas import queue_num, serving_num, waiting_num

    handlers = {
        "/queue_num": queue_num.handler,
        "/serving_num": serving_num.handler,
        "/waiting_num": waiting_num.handler,
    }
    [request_id] = core.enter(1)
    query = {"event_id": core.event_id, "request_id": request_id}
    if route != "/queue_num":
        del query["request_id"]
    event = api_event("GET", route, query=query)
    result = benchmark(handlers[route], event, None)
    assert result["statusCode"] == 200, result
