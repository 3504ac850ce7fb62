"""Fixtures of the handler benchmarks: the same real redis-server and moto server as the tests.

`benchmarks/` is outside `tests/` so `make test` never collects it; `make bench` runs it with
`--benchmark-only`. The fixtures of tests/conftest.py are imported, not copied, so both levels
provision the core the same way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import aws_session, core_env, moto_endpoint, redis_proc  # noqa: F401  (fixtures)

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:bench-entry"
RESULTS = Path(__file__).resolve().parent / "results"


def api_event(
    method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the gateway builds it."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": query,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "api"},
    }


def sqs_event(event_id: str, request_ids: list[str]) -> dict[str, Any]:
    """A batch of entry messages as the event source mapping delivers it."""
    now = int(time.time() * 1000)
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps({"event_id": event_id, "request_id": rid, "entered_at": now}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
            for rid in request_ids
        ]
    }


class Core:
    """Drives the handlers in this process, as the local runtime would."""

    def __init__(self, env: dict[str, str]) -> None:
        self.event_id = env["EVENT_ID"]

    def call(self, handler: Callable[..., Any], method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        result = handler(api_event(method, path, **kwargs), None)
        return result["statusCode"], json.loads(result["body"])

    def enter(self, count: int) -> list[str]:
        from lambdas import queue_worker

        request_ids = [str(uuid.uuid4()) for _ in range(count)]
        for start in range(0, count, 100):
            result = queue_worker.handler(sqs_event(self.event_id, request_ids[start : start + 100]), None)
            assert result == {"batchItemFailures": []}, result
        return request_ids

    def serve(self, count: int) -> None:
        from lambdas import increment_serving_counter

        status, body = self.call(
            increment_serving_counter.handler,
            "POST",
            "/increment_serving_counter",
            body={"event_id": self.event_id, "increment_by": count},
        )
        assert status == 200, body

    def token(self, request_id: str) -> tuple[int, Any]:
        from lambdas import generate_token

        body = {"event_id": self.event_id, "request_id": request_id}
        return self.call(generate_token.public_handler, "POST", "/generate_token", body=body)


@pytest.fixture
def core(core_env: dict[str, str]) -> Iterator[Core]:  # noqa: F811  (core_env is the imported fixture)
    from lambdas.waiting_room import redis_store
    from lambdas.waiting_room.settings import settings

    redis_store.connection().flushall()
    settings.cache_clear()
    yield Core(core_env)
    settings.cache_clear()


def handler_table(benchmarks: list[Any]) -> str:
    """pytest-benchmark's results as a Markdown table (milliseconds per call)."""
    lines = [
        "| benchmark | median ms | mean ms | min ms | max ms | rounds |",
        "|---|---|---|---|---|---|",
    ]
    for bench in sorted(benchmarks, key=lambda b: b.stats.median):
        stats = bench.stats
        lines.append(
            f"| {bench.name} | {stats.median * 1000:.2f} | {stats.mean * 1000:.2f} | {stats.min * 1000:.2f} "
            f"| {stats.max * 1000:.2f} | {stats.rounds} |"
        )
    return "\n".join(lines)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Writes the timings next to the call counts, in benchmarks/results/ (git-ignored)."""
    bench_session = getattr(session.config, "_benchmarksession", None)
    # The journey benchmark measures 200 visitors at once, not one call: it has its own table.
    benchmarks = [
        b for b in getattr(bench_session, "benchmarks", []) if b and not b.extra_info.get("journey")
    ]
    if not benchmarks:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "handlers.md").write_text(handler_table(benchmarks) + "\n")
