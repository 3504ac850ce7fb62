"""The private API client's retry policy and signing, against a scripted connection pool."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.credentials import Credentials
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from lambdas.waiting_room.private_api import PrivateApiClient, PrivateApiError


@dataclass
class FakeResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


class ScriptedPool:
    """Answers each request with the next scripted response, or raises the scripted exception."""

    def __init__(self, script: list[Any]) -> None:
        self._script: Iterator[Any] = iter(script)
        self.requests: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **options: Any) -> FakeResponse:
        self.requests.append({"method": method, "url": url, **options})
        outcome = next(self._script)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class CountingCredentials:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Credentials:
        self.calls += 1
        return Credentials("AKIDEXAMPLE", "secret", None)


def make_client(script: list[Any]) -> tuple[PrivateApiClient, ScriptedPool, CountingCredentials]:
    pool, credentials = ScriptedPool(script), CountingCredentials()
    client = PrivateApiClient(
        "https://private.example/prod/",
        "evt",
        region="eu-west-1",
        credentials=credentials,
        pool=pool,  # type: ignore[arg-type]
        sleep=lambda _seconds: None,
        max_attempts=3,
    )
    return client, pool, credentials


def test_requests_are_signed_for_execute_api_and_re_signed_on_each_attempt() -> None:
    client, pool, credentials = make_client([FakeResponse(503), FakeResponse(200, {"serving_counter": 1})])
    assert client.counters() == {"serving_counter": 1}
    assert len(pool.requests) == 2 and credentials.calls == 2
    for sent in pool.requests:
        assert sent["url"] == "https://private.example/prod/counters?event_id=evt"
        authorization = sent["headers"]["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/eu-west-1/execute-api/aws4_request" in authorization
        assert "X-Amz-Date" in sent["headers"]


def test_idempotent_calls_retry_5xx_429_and_network_errors_then_give_the_last_answer() -> None:
    client, pool, _ = make_client([NewConnectionError(None, "refused"), FakeResponse(429), FakeResponse(502)])
    with pytest.raises(PrivateApiError) as failed:
        client.num_active_tokens()
    assert failed.value.status == 502 and len(pool.requests) == 3


def test_an_increment_is_retried_under_one_idempotency_key() -> None:
    """A 5xx or a lost answer may hide an applied increment: the retry carries the same key, so
    the core applies it once."""
    client, pool, _ = make_client(
        [ReadTimeoutError(None, "url", "slow"), FakeResponse(503), FakeResponse(200, {"serving_num": 15})]
    )
    assert client.increment_serving_counter(5) == 15
    bodies = [json.loads(r["body"]) for r in pool.requests]
    assert len(bodies) == 3 and len({body.pop("idempotency_key") for body in bodies}) == 1
    assert bodies == [{"event_id": "evt", "increment_by": 5}] * 3


def test_each_increment_has_its_own_key() -> None:
    client, pool, _ = make_client(
        [FakeResponse(200, {"serving_num": 5}), FakeResponse(200, {"serving_num": 10})]
    )
    client.increment_serving_counter(5)
    client.increment_serving_counter(5)
    assert len({json.loads(r["body"])["idempotency_key"] for r in pool.requests}) == 2


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "3"])
def test_increment_never_sends_a_zero_negative_or_non_integer_step(bad: Any) -> None:
    client, pool, _ = make_client([])
    with pytest.raises(ValueError):
        client.increment_serving_counter(bad)
    assert pool.requests == []


def test_update_session_reports_404_as_not_closed() -> None:
    client, _, _ = make_client([FakeResponse(200, {"status": 1}), FakeResponse(404, {"error": "no"})])
    assert client.update_session("rid", 1) is True
    assert client.update_session("rid", 1) is False


def test_generate_token_returns_the_answer_as_it_is() -> None:
    client, pool, _ = make_client([FakeResponse(202, {"message": "not served"})])
    answer = client.generate_token("rid", issuer="https://issuer", validity_period=60)
    assert answer.status == 202
    assert json.loads(pool.requests[0]["body"]) == {
        "event_id": "evt",
        "request_id": "rid",
        "issuer": "https://issuer",
        "validity_period": 60,
    }


def test_a_client_for_another_event_shares_the_connection_pool_and_names_that_event() -> None:
    client, pool, credentials = make_client(
        [FakeResponse(200, {"serving_num": 3}), FakeResponse(200, {"serving_counter": 0})]
    )
    other = client.for_event("other")
    assert other.increment_serving_counter(3) == 3
    assert json.loads(pool.requests[0]["body"])["event_id"] == "other"
    client.counters()
    assert pool.requests[1]["url"].endswith("/counters?event_id=evt")  # the original is unchanged
    assert credentials.calls == 2 and client.for_event("evt") is client


def test_list_events_answers_the_registry_list() -> None:
    events = [{"event_id": "a", "inlet": "none"}, {"event_id": "b", "inlet": "periodic"}]
    client, pool, _ = make_client([FakeResponse(200, {"events": events, "next_cursor": None})])
    assert client.list_events() == events
    assert pool.requests[0]["method"] == "GET"
    assert pool.requests[0]["url"] == "https://private.example/prod/events?limit=1000"


def test_list_events_reads_every_page() -> None:
    pages = [
        FakeResponse(200, {"events": [{"event_id": "a"}, {"event_id": "b"}], "next_cursor": "b"}),
        FakeResponse(200, {"events": [{"event_id": "c"}], "next_cursor": None}),
    ]
    client, pool, _ = make_client(pages)
    assert [event["event_id"] for event in client.list_events()] == ["a", "b", "c"]
    assert pool.requests[1]["url"] == "https://private.example/prod/events?limit=1000&cursor=b"


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(200, {"events": "a"}),
        FakeResponse(200, {"events": ["a"]}),
        FakeResponse(200, ["a"]),
        FakeResponse(403, {"message": "forbidden"}),
        # A cursor that does not move on would page forever.
        FakeResponse(200, {"events": [], "next_cursor": 5}),
    ],
)
def test_list_events_refuses_an_answer_that_is_not_a_list_of_events(answer: FakeResponse) -> None:
    client, _, _ = make_client([answer])
    with pytest.raises(PrivateApiError):
        client.list_events()
