"""Handlers invoked as Lambda would invoke them, against a real redis-server and a moto server."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from lambdas import queue_worker
from lambdas.catalog import TABLES, Resource, outbox_of
from lambdas.waiting_room import aws, redis_store, registry
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.settings import settings
from local.stream_poller import StreamPoller


def api_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: Any = None,
    raw_body: str | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the public and private APIs send it; `resource` is
    the route's path where it has `{parameters}`."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": query,
        "pathParameters": path_parameters,
        "body": raw_body if raw_body is not None else (None if body is None else json.dumps(body)),
        "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "api"},
    }


def call(handler: Callable, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = handler(api_event(method, path, **kwargs), None)
    return result["statusCode"], json.loads(result["body"])


def entry_message(request_id: str, *, event_id: str, entered_at_ms: int | None = None) -> dict[str, Any]:
    body = {
        "event_id": event_id,
        "request_id": request_id,
        "entered_at": entered_at_ms if entered_at_ms is not None else int(time.time() * 1000),
    }
    return sqs_record(json.dumps(body))


def sqs_record(body: str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:test-entry",
        "awsRegion": "us-east-1",
    }


class Core:
    """The core of one test: a clean event, and the visitor's journey in a few calls."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.event_id = env["EVENT_ID"]

    def worker(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return queue_worker.handler({"Records": records}, None)

    def entries(self, request_ids: list[str]) -> dict[str, Any]:
        """The SQS event of one batch of entries, as the event source mapping delivers it.

        They arrived one millisecond apart, in the order given (positions follow arrival time).
        """
        first = int(time.time() * 1000) - len(request_ids)
        return {
            "Records": [
                entry_message(rid, event_id=self.event_id, entered_at_ms=first + i)
                for i, rid in enumerate(request_ids)
            ]
        }

    def enter(self, count: int) -> list[str]:
        """Visitors entering through the queue worker, 100 a batch; returns their request ids in order."""
        request_ids = [str(uuid.uuid4()) for _ in range(count)]
        for start in range(0, count, 100):
            result = queue_worker.handler(self.entries(request_ids[start : start + 100]), None)
            assert result == {"batchItemFailures": []}
        return request_ids

    def call(self, handler: Callable, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        return call(handler, method, path, **kwargs)

    def serve(self, count: int) -> int:
        from lambdas import increment_serving_counter

        status, body = call(
            increment_serving_counter.handler,
            "POST",
            "/increment_serving_counter",
            body={"event_id": self.event_id, "increment_by": count},
        )
        assert status == 200, body
        return body["serving_num"]

    def token(self, request_id: str) -> tuple[int, dict[str, Any]]:
        from lambdas import generate_token

        return call(
            generate_token.public_handler,
            "POST",
            "/generate_token",
            body={"event_id": self.event_id, "request_id": request_id},
        )


def clear_tables(env: dict[str, str]) -> None:
    """Deletes every item of the core's tables: Redis is rebuilt from them, so a clean event
    needs both stores empty."""
    dynamodb = aws.client("dynamodb")
    for resource, table in TABLES.items():
        if resource.value not in env:
            continue
        name = env[resource.value]
        keys = [table.partition_key.name, *([table.sort_key.name] if table.sort_key else [])]
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=name, ProjectionExpression=", ".join(keys)
        ):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=name, Key=item)


@pytest.fixture
def core(core_env: dict[str, str], redis_proc, monkeypatch: pytest.MonkeyPatch) -> Iterator[Core]:
    redis_store.connection().flushall()
    settings.cache_clear()
    registry.forget()
    clear_tables(core_env)
    EventCounters(core_env["EVENT_ID"]).initialize()
    yield Core(core_env)
    settings.cache_clear()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Changes deployment settings for one test."""

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        registry.forget()

    return apply


@pytest.fixture
def aws_calls() -> Iterator[Counter]:
    """Counts the AWS API calls the handlers make, by "service.Operation"."""
    counts: Counter = Counter()
    clients = [aws.client(name) for name in ("dynamodb", "events", "secretsmanager")]

    def count(model: Any, **_: Any) -> None:
        counts[f"{model.service_model.service_name}.{model.name}"] += 1

    for client in clients:
        client.meta.events.register("before-call.*.*", count, unique_id="test-count")
    yield counts
    for client in clients:
        client.meta.events.unregister("before-call.*.*", unique_id="test-count")


@pytest.fixture
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts the commands the handlers send to Redis (a pipeline counts once)."""
    counts: Counter = Counter()
    client = redis_store.connection()
    original_execute, original_pipeline = client.execute_command, client.pipeline

    def execute_command(*args: Any, **kwargs: Any) -> Any:
        counts[str(args[0]).upper()] += 1
        return original_execute(*args, **kwargs)

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = original_pipeline(*args, **kwargs)
        original = pipe.execute

        def execute(*a: Any, **k: Any) -> Any:
            counts["PIPELINE"] += 1
            return original(*a, **k)

        pipe.execute = execute
        return pipe

    monkeypatch.setattr(client, "execute_command", execute_command)
    monkeypatch.setattr(client, "pipeline", pipeline)
    return counts


class Outbox:
    """The streamed tables' records into the outbox function, as the stack's event source
    mappings carry them; `poll()` is one pass over every stream."""

    def __init__(self, pollers: dict[Resource, StreamPoller]) -> None:
        self.pollers = pollers

    def poll(self) -> int:
        return sum(poller.poll() for poller in self.pollers.values())


@pytest.fixture(scope="session")
def outbox(core_env: dict[str, str], aws_session: boto3.Session) -> Outbox:
    from lambdas import outbox as outbox_function

    return Outbox(
        {
            resource: StreamPoller(
                aws_session,
                table_name=core_env[resource.value],
                outbox=outbox_of(resource),
                invoke=lambda event: outbox_function.handler(event, None),
            )
            for resource in TABLES
            if outbox_of(resource)
        }
    )


@pytest.fixture(scope="session")
def event_sink(
    core_env: dict[str, str], aws_session: boto3.Session, outbox: Outbox
) -> Callable[[], list[dict[str, Any]]]:
    """Every event put on the bus lands in an SQS queue through a rule; returns a drain function.

    The outbox's streams are read up to their end first: what the handlers wrote is then on the bus.
    """
    sqs, events = aws_session.client("sqs"), aws_session.client("events")
    url = sqs.create_queue(QueueName="test-event-sink")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = core_env["EVENT_BUS_NAME"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["custom.waitingroom"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "sink", "Arn": arn}])

    def drain() -> list[dict[str, Any]]:
        outbox.poll()
        out = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    return drain
