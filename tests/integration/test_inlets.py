"""The inlet strategies against the core's handlers, on a real redis-server and moto.

The strategies' signed client talks HTTP to a stand-in for API Gateway: a connection pool that
checks each request's SigV4 signature the way the local gateway does (`local.sigv4`), turns it
into a proxy event and invokes the private route's handler from the wiring table. Everything
behind the client (handlers, Redis, DynamoDB) is real.
"""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
from botocore.credentials import Credentials

from inlet_strategies import max_size, periodic
from inlet_strategies.event_inlets import PERIODIC, EventInlet
from inlet_strategies.periodic import PeriodicConfig
from lambdas.catalog import routes_of
from lambdas.waiting_room.private_api import PrivateApiClient
from local.sigv4 import SignatureRejected, SignedRequest, verify
from tests.integration.conftest import Core
from tests.unit.private_api_fake import Reply

BASE_URL = "https://private.example/api"
REGION = "us-east-1"


class PrivateApiGateway:
    """A urllib3-shaped pool that plays API Gateway's private API in this process."""

    def __init__(self) -> None:
        self.routes = {}
        for route, function in routes_of("private"):
            module, _, name = function.handler.rpartition(".")
            self.routes[(route.method, route.path)] = (module, name)
        self.calls: list[tuple[str, str, Any]] = []

    def request(
        self, method: str, url: str, *, body: bytes | None, headers: dict[str, str], **_: Any
    ) -> Reply:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        headers = {**headers, "Host": parts.netloc}  # what urllib3 adds on the wire
        try:
            verify(
                SignedRequest(
                    method, parts.netloc, parts.path, parts.query, list(headers.items()), body or b""
                ),
                access_key_id="testing",
                secret_access_key="testing",
                region=REGION,
            )
        except SignatureRejected as error:
            return Reply(403, json.dumps({"error": str(error)}).encode())
        path = parts.path.removeprefix(urlsplit(BASE_URL).path)
        module, name = self.routes[(method, path)]
        handler = getattr(importlib.import_module(module), name)
        event = {
            "resource": path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "queryStringParameters": dict(query) or None,
            "body": body.decode() if body else None,
            "isBase64Encoded": False,
            "requestContext": {"requestId": str(uuid.uuid4()), "stage": "api"},
        }
        self.calls.append((method, path, json.loads(body) if body else dict(query)))
        result = handler(event, None)
        return Reply(result["statusCode"], result["body"].encode(), result.get("headers") or {})


@pytest.fixture
def gateway() -> PrivateApiGateway:
    return PrivateApiGateway()


@pytest.fixture
def client(core: Core, gateway: PrivateApiGateway) -> PrivateApiClient:
    return PrivateApiClient(
        BASE_URL,
        core.event_id,
        region=REGION,
        credentials=lambda: Credentials("testing", "testing"),
        pool=gateway,  # type: ignore[arg-type]
        sleep=lambda _s: None,
    )


@pytest.fixture
def wired(client: PrivateApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateApiClient]:
    """The handlers' own client factory answers with the in-process gateway's client."""
    monkeypatch.setattr(periodic, "private_api", lambda: client)
    monkeypatch.setattr(max_size, "private_api", lambda: client)
    yield client


def serving(client: PrivateApiClient) -> int:
    return client.counters()["serving_counter"]


def config(core: Core, increment_by: int = 10, *, alarm_name: str = "", **window: int) -> PeriodicConfig:
    """The inlet stack's parameters, for the core's own event."""
    return PeriodicConfig(
        EventInlet(core.event_id, PERIODIC, increment_by=increment_by, **window), alarm_name
    )


def tick(core: Core, client: PrivateApiClient, **parameters: Any) -> dict[str, Any]:
    """One Periodic tick; the own event's part of its outcome (or the whole when it was skipped)."""
    cloudwatch = parameters.pop("cloudwatch", None)
    outcome = periodic.run(config(core, **parameters), client, now=time.time(), cloudwatch=cloudwatch)
    return outcome["events"][core.event_id] if "events" in outcome else outcome


# -- Periodic --------------------------------------------------------------------------------------


def test_periodic_moves_the_counter_and_never_runs_more_than_increment_by_ahead(
    core: Core, client: PrivateApiClient, gateway: PrivateApiGateway
) -> None:
    core.enter(25)
    outcomes = [tick(core, client) for _ in range(5)]
    assert [o.get("serving_counter") for o in outcomes] == [10, 20, 30, 35, 35]
    assert outcomes[-1]["action"] == "none"
    increments = [c[2]["increment_by"] for c in gateway.calls if c[1] == "/increment_serving_counter"]
    assert increments == [10, 10, 10, 5]  # and nothing sent when there was nothing to do


def test_burst_after_idle_minutes_gets_one_period_not_the_backlog(
    core: Core, client: PrivateApiClient
) -> None:
    for _ in range(10):  # ten idle minutes at 10 a minute
        tick(core, client)
    assert serving(client) == 10
    arrivals = core.enter(40)
    statuses = [core.token(rid)[0] for rid in arrivals]
    assert statuses.count(200) == 10 and statuses[10:] == [202] * 30


def test_periodic_respects_its_time_window(core: Core, client: PrivateApiClient) -> None:
    now = int(time.time())
    core.enter(5)
    assert tick(core, client, start_time=now + 60)["action"] == "skipped"
    assert tick(core, client, end_time=now - 60)["action"] == "skipped"
    assert serving(client) == 0
    assert tick(core, client, start_time=now - 60, end_time=now + 60)["action"] == "incremented"


def test_periodic_holds_back_while_the_alarm_is_in_alarm(
    core: Core, client: PrivateApiClient, aws_session: boto3.Session
) -> None:
    # Composite alarms: moto's server does not implement PutCompositeAlarm; see the unit tests.
    cloudwatch = aws_session.client("cloudwatch")
    name = f"site-health-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="5XXError",
        Namespace="AWS/ApiGateway",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    core.enter(5)

    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    outcome = tick(core, client, alarm_name=name, cloudwatch=cloudwatch)
    assert outcome["action"] == "skipped" and serving(client) == 0

    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")
    outcome = tick(core, client, alarm_name=name, cloudwatch=cloudwatch)
    assert outcome["action"] == "incremented" and serving(client) == 10


def test_periodic_holds_back_when_its_alarm_does_not_exist(
    core: Core, client: PrivateApiClient, aws_session: boto3.Session
) -> None:
    cloudwatch = aws_session.client("cloudwatch")
    outcome = tick(core, client, alarm_name="no-such-alarm", cloudwatch=cloudwatch)
    assert outcome["action"] == "skipped" and serving(client) == 0


def test_periodic_handler_reads_its_settings_from_the_environment(
    core: Core, wired: PrivateApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLET_INCREMENT_BY", "3")
    monkeypatch.setenv("INLET_START_TIME", str(int(time.time()) - 5))
    monkeypatch.setenv("INLET_END_TIME", "0")
    monkeypatch.delenv("CLOUDWATCH_ALARM_NAME", raising=False)
    core.enter(10)
    assert periodic.handler({"source": "aws.events"}, None)["events"][core.event_id]["serving_counter"] == 3


def test_an_unsigned_or_wrongly_signed_call_is_refused_by_the_gateway(
    core: Core, gateway: PrivateApiGateway
) -> None:
    stranger = PrivateApiClient(
        BASE_URL,
        core.event_id,
        region=REGION,
        credentials=lambda: Credentials("testing", "wrong-secret"),
        pool=gateway,  # type: ignore[arg-type]
        sleep=lambda _s: None,
    )
    assert stranger.call("GET", "/counters", params={"event_id": core.event_id}).status == 403
    unsigned = gateway.request("GET", f"{BASE_URL}/counters?event_id={core.event_id}", body=None, headers={})
    assert unsigned.status == 403
    # Neither call reached a handler.
    assert gateway.calls == []


# -- MaxSize ---------------------------------------------------------------------------------------


def sns_event(*messages: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "MessageId": str(uuid.uuid4()),
                    "Message": m if isinstance(m, str) else json.dumps(m),
                },
            }
            for m in messages
        ]
    }


def admitted(core: Core, count: int) -> list[str]:
    """`count` visitors who entered, were served and took their tokens (active sessions)."""
    request_ids = core.enter(count)
    core.serve(count)
    for rid in request_ids:
        assert core.token(rid)[0] == 200
    return request_ids


def test_max_size_closes_sessions_and_lets_in_as_many_as_left_within_capacity(
    core: Core, wired: PrivateApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLET_MAX_SIZE", "5")
    inside = admitted(core, 5)
    core.enter(10)  # waiting behind them
    event = sns_event(
        {"completed": [inside[0]]},
        "not json at all",  # skipped, the others still count
        {"abandoned": [inside[1], str(uuid.uuid4())]},  # an unknown id frees nothing
        {"completed": ["not-a-uuid"]},
    )
    outcome = max_size.handler(event, None)
    assert outcome["malformed"] == 2
    mine = outcome["events"][core.event_id]
    assert mine["closed"] == 2 and mine["not_closed"] == 1
    assert mine["active_tokens"] == 3 and mine["increment_by"] == 2
    assert serving(wired) == 7
    counters = wired.counters()
    assert counters["completed_counter"] == 1 and counters["abandoned_counter"] == 1

    # SNS delivers at least once: the same message again frees nobody, so nobody else gets in.
    again = max_size.handler(sns_event({"completed": [inside[0]]}, {"abandoned": [inside[1]]}), None)
    assert again["events"][core.event_id]["closed"] == 0
    assert again["events"][core.event_id]["increment_by"] == 0
    assert serving(wired) == 7


def test_max_size_never_exceeds_capacity_and_never_sends_a_negative_increment(
    core: Core, wired: PrivateApiClient, gateway: PrivateApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLET_MAX_SIZE", "4")
    admitted(core, 3)
    core.enter(20)
    outcome = max_size.handler(sns_event({"exited": 5}, {"exited": 2}), None)["events"][core.event_id]
    assert outcome["freed"] == 7 and outcome["increment_by"] == 1  # capacity 4 - 3 active
    monkeypatch.setenv("INLET_MAX_SIZE", "2")  # lowered below the active count
    gateway.calls.clear()
    assert max_size.handler(sns_event({"exited": 3}), None)["events"][core.event_id]["increment_by"] == 0
    assert not [c for c in gateway.calls if c[1] == "/increment_serving_counter"]


def test_max_size_keeps_no_state_between_invocations(
    core: Core, wired: PrivateApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLET_MAX_SIZE", "100")
    core.enter(10)
    first = max_size.handler(sns_event({"exited": 2}), None)["events"][core.event_id]
    second = max_size.handler(sns_event({"exited": 2}), None)["events"][core.event_id]
    assert first["freed"] == second["freed"] == 2
    assert serving(wired) == 4
