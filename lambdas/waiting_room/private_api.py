"""A small client of the waiting room's private API, signed with SigV4 (service `execute-api`).

The inlet strategies and the OpenID adapter reach the core only through this client, as any other
IAM principal would. It is built on urllib3 rather than requests because urllib3 ships with
botocore, so the Lambda bundles need no extra dependency.

Retries use exponential backoff with full jitter, and each attempt is signed anew: a SigV4
signature covers `X-Amz-Date` and expires, so a replayed signature could be refused late in a
back-off. Every call is retried on 5xx, 429, timeouts and connection errors, because every call is
safe to repeat: reads, `generate_token` and `update_session` by nature, and
`increment_serving_counter` because each logical increment carries one idempotency key, so a retry
after a lost answer cannot let visitors in twice.
"""

from __future__ import annotations

import copy
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProtocolError, ReadTimeoutError

from lambdas.catalog import MAX_EVENTS
from lambdas.waiting_room import json_input

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

DEFAULT_TIMEOUT = urllib3.Timeout(connect=3.0, read=10.0)


class PrivateApiError(Exception):
    """The private API answered with a status the caller did not expect, or never answered."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


CredentialsSource = Callable[[], Credentials]


def _session_credentials() -> CredentialsSource:
    """Credentials of the default boto3 session, refreshed by botocore when they rotate."""
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise PrivateApiError("no AWS credentials found to sign private API calls")
    return credentials.get_frozen_credentials


class PrivateApiClient:
    """Calls the private API for one event (`for_event` for another); see the module docstring for
    the retry policy."""

    def __init__(
        self,
        base_url: str,
        event_id: str,
        *,
        region: str,
        credentials: CredentialsSource | None = None,
        timeout: urllib3.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 4,
        backoff_base_seconds: float = 0.2,
        backoff_cap_seconds: float = 3.0,
        pool: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url:
            raise ValueError("the private API's base URL is not set")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.event_id = event_id
        self.region = region
        self._credentials = credentials or _session_credentials()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_seconds
        self._backoff_cap = backoff_cap_seconds
        # retries=False: this class owns the retry loop, so that each attempt is signed anew.
        self._pool = pool or urllib3.PoolManager(retries=False, timeout=timeout)
        self._sleep = sleep

    def for_event(self, event_id: str) -> PrivateApiClient:
        """The same client (credentials, settings, connection pool) acting for `event_id`."""
        if event_id == self.event_id:
            return self
        bound = copy.copy(self)  # shallow: the pool is shared; urllib3's PoolManager is thread-safe
        bound.event_id = event_id
        return bound

    # -- the private API's routes ---------------------------------------------------------------

    def list_events(self) -> list[dict[str, Any]]:
        """Every registered event, as `GET /events` describes it (sorted by event_id), read page
        by page (the largest page holds every event a deployment may have)."""
        events: list[dict[str, Any]] = []
        params = {"limit": str(MAX_EVENTS)}
        while True:
            body = self._expect(self.call("GET", "/events", params=params), 200)
            page = body.get("events") if isinstance(body, dict) else None
            if not isinstance(page, list) or not all(isinstance(event, dict) for event in page):
                raise PrivateApiError("the private API's answer has no list of events", 200, body)
            events.extend(page)
            cursor = body.get("next_cursor")
            if not cursor:
                return events
            if not isinstance(cursor, str) or cursor == params.get("cursor"):
                raise PrivateApiError("the private API's next_cursor does not move on", 200, body)
            params = {**params, "cursor": cursor}

    def counters(self) -> dict[str, int]:
        return self._expect(self.call("GET", "/counters", params={"event_id": self.event_id}), 200)

    def num_active_tokens(self) -> int:
        body = self._expect(self.call("GET", "/num_active_tokens", params={"event_id": self.event_id}), 200)
        return _integer(body, "active_tokens")

    def increment_serving_counter(self, increment_by: int) -> int:
        """Moves the serving counter forward; returns its new value."""
        if isinstance(increment_by, bool) or not isinstance(increment_by, int) or increment_by <= 0:
            # Never send a zero or negative increment: callers decide "do nothing" themselves.
            raise ValueError(f"increment_by must be a positive integer, not {increment_by!r}")
        answer = self.call(
            "POST",
            "/increment_serving_counter",
            body={
                "event_id": self.event_id,
                "increment_by": increment_by,
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        return _integer(self._expect(answer, 200), "serving_num")

    def update_session(self, request_id: str, status: int) -> bool:
        """Closes a session (1 completed, -1 abandoned). False: unknown, or already closed (404)."""
        answer = self.call(
            "POST",
            "/update_session",
            body={"event_id": self.event_id, "request_id": request_id, "status": status},
        )
        if answer.status == 404:
            return False
        self._expect(answer, 200)
        return True

    def generate_token(
        self, request_id: str, *, issuer: str | None = None, validity_period: int | None = None
    ) -> Answer:
        """The core's answer as it is: 200 tokens, 202 not served, 404 unknown, 410 expired/closed."""
        body: dict[str, Any] = {"event_id": self.event_id, "request_id": request_id}
        if issuer is not None:
            body["issuer"] = issuer
        if validity_period is not None:
            body["validity_period"] = validity_period
        return self.call("POST", "/generate_token", body=body)

    # -- transport --------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Answer:
        """One logical call: signed, sent, retried per the policy; returns the last answer."""
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt >= self._max_attempts
            try:
                response = self._pool.request(
                    method,
                    url,
                    body=data,
                    headers=self._signed_headers(method, url, data),
                    timeout=self._timeout,
                    retries=False,
                )
            except ConnectTimeoutError as error:
                # Covers connections refused or never opened: the request was not sent at all.
                if last_try:
                    raise PrivateApiError(f"{method} {path}: cannot connect to the private API") from error
            except (ReadTimeoutError, ProtocolError, HTTPError) as error:
                if last_try:
                    raise PrivateApiError(f"{method} {path}: no answer from the private API") from error
            else:
                if response.status not in RETRYABLE_STATUSES or last_try:
                    return Answer(response.status, _decode(response.data))
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                self._sleep(max(self._backoff(attempt), min(retry_after, self._backoff_cap)))
                continue
            self._sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        """Full jitter (AWS Architecture Blog): spreads retries of many callers apart."""
        return random.uniform(0, min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1)))

    def _signed_headers(self, method: str, url: str, data: bytes | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
        SigV4Auth(self._credentials(), "execute-api", self.region).add_auth(request)
        return dict(request.headers.items())

    @staticmethod
    def _expect(answer: Answer, status: int) -> Any:
        if answer.status != status:
            # The core and the stack's gateway responses (403, 429) say {"error": ...}; an API
            # without those responses would say {"message": ...}.
            body = answer.body if isinstance(answer.body, dict) else {}
            message = body.get("error") or body.get("message")
            raise PrivateApiError(
                f"the private API answered {answer.status}: {message or 'no explanation'}",
                answer.status,
                answer.body,
            )
        return answer.body


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json_input.loads(raw)
    except ValueError:  # not JSON, not UTF-8, nested too deep, or an integer too long to read
        return raw.decode("utf-8", "replace")[:500]


def _integer(body: Any, name: str) -> int:
    value = body.get(name) if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PrivateApiError(f"the private API's answer has no integer {name}", 200, body)
    return value


def _retry_after_seconds(raw: str | None) -> float:
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        return 0.0
