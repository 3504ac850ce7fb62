"""A stand-in for the private API at the HTTP boundary, for unit tests of the inlet strategies.

It plays the routes the inlets call over in-memory counters of several events, as the contract of
API.md and the event registry describe them; the real handlers are exercised by
tests/integration/test_inlets.py and the end-to-end tests.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.credentials import Credentials

from lambdas.waiting_room.private_api import PrivateApiClient

BASE_URL = "https://private.example/api"


@dataclass
class Reply:
    status: int
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)


def reply(status: int, body: Any) -> Reply:
    return Reply(status, json.dumps(body).encode())


@dataclass
class EventState:
    serving: int = 0
    queue: int = 0
    # request id -> still active (holding a token)
    sessions: dict[str, bool] = field(default_factory=dict)


class FakePrivateApi:
    """A urllib3-shaped pool: `events` is what `GET /events` lists; `failing` maps an event id to
    the status every call for it answers."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.state = {event["event_id"]: EventState() for event in events}
        self.failing: dict[str, int] = {}
        self.calls: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *, body: bytes | None = None, **_: Any) -> Reply:
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(BASE_URL).path)
        data = json.loads(body) if body else dict(parse_qsl(parts.query))
        event_id = data.get("event_id")
        with self._lock:
            self.calls.append((method, path, event_id))
            if (method, path) == ("GET", "/events"):
                return reply(200, {"events": self.events, "next_cursor": None})
            if event_id in self.failing:
                return reply(self.failing[event_id], {"error": "injected failure"})
            state = self.state.get(event_id)
            if state is None:
                return reply(400, {"error": "unknown event_id"})
            return self._route(method, path, data, state)

    @staticmethod
    def _route(method: str, path: str, data: dict[str, Any], state: EventState) -> Reply:
        if (method, path) == ("GET", "/counters"):
            return reply(200, {"serving_counter": state.serving, "queue_counter": state.queue})
        if (method, path) == ("POST", "/increment_serving_counter"):
            state.serving += data["increment_by"]
            return reply(200, {"serving_num": state.serving})
        if (method, path) == ("GET", "/num_active_tokens"):
            return reply(200, {"active_tokens": sum(state.sessions.values())})
        if (method, path) == ("POST", "/update_session"):
            if not state.sessions.get(data["request_id"]):
                return reply(404, {"error": "no such active session"})
            state.sessions[data["request_id"]] = False
            return reply(200, {"status": data["status"]})
        return reply(404, {"error": f"no route {method} {path}"})

    def calls_for(self, event_id: str) -> list[tuple[str, str]]:
        return [(method, path) for method, path, called in self.calls if called == event_id]


def client_of(api: FakePrivateApi, event_id: str) -> PrivateApiClient:
    return PrivateApiClient(
        BASE_URL,
        event_id,
        region="us-east-1",
        credentials=lambda: Credentials("testing", "testing"),
        pool=api,  # type: ignore[arg-type]
        sleep=lambda _seconds: None,
        max_attempts=2,
    )
