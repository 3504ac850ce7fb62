"""HTTP calls of the simulator, each timed and recorded under its route.

The private API is signed with botocore's SigV4 signer (service `execute-api`), exactly as the
inlet strategies and the control panel sign it, so the local gateway verifies a real signature.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchmarks.runtime import Endpoints
from lambdas.catalog import PAGE_CONTENT_TYPE

# Transport failures have no HTTP status; they are recorded with this one so they count as errors.
TRANSPORT_ERROR = 0


@dataclass(frozen=True)
class Sample:
    route: str
    status: int
    # From sending the request to the last byte of the answer.
    latency_s: float
    # Seconds since the start of the run, when the request was sent.
    at_s: float
    # How long the request waited for one of the simulator's connections first: large values
    # mean the simulator, not the waiting room, was the bottleneck.
    queued_s: float = 0.0


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    # The wall clock at `started`, to place the waiting room's own timestamps on the run's clock.
    started_wall: float = field(default_factory=time.time)
    samples: list[Sample] = field(default_factory=list)

    def restart(self) -> None:
        self.samples.clear()
        self.started, self.started_wall = time.monotonic(), time.time()

    def now(self) -> float:
        return time.monotonic() - self.started

    def add(self, route: str, status: int, sent: float, latency: float, queued: float = 0.0) -> None:
        self.samples.append(Sample(route, status, latency, sent, queued))


class Api:
    """The public, private and store APIs of one waiting room, recorded into one `Recorder`."""

    def __init__(
        self, endpoints: Endpoints, http: httpx.AsyncClient, recorder: Recorder, connections: int
    ) -> None:
        self.endpoints = endpoints
        self.http = http
        self.recorder = recorder
        # Requests wait here, not in httpcore's pool: its queue is scanned on every change, which
        # costs quadratic CPU once thousands of visitors wait for a handful of connections.
        self._slots = asyncio.Semaphore(connections)
        self._credentials = (
            Credentials(endpoints.access_key_id, endpoints.secret_access_key)
            if endpoints.access_key_id and endpoints.secret_access_key
            else None
        )

    async def _send(
        self,
        route: str,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        content = json.dumps(body).encode() if body is not None else None
        queued_at = time.perf_counter()
        async with self._slots:
            sent = self.recorder.now()
            start = time.perf_counter()
            queued = start - queued_at
            try:
                response = await self.http.request(method, url, content=content, headers=headers)
            except httpx.HTTPError:
                self.recorder.add(route, TRANSPORT_ERROR, sent, time.perf_counter() - start, queued)
                return None
        self.recorder.add(route, response.status_code, sent, time.perf_counter() - start, queued)
        # When it left the simulator (after waiting for a connection), in run seconds, and how long
        # it waited for the connection: a browser has no such queue, so the report takes it out.
        response.extensions["sent_at"] = sent
        response.extensions["queued_s"] = queued
        return response

    async def public(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response | None:
        url = self.endpoints.public_api + path + (("?" + urlencode(params)) if params else "")
        # JSON as text/plain, as the page posts it (no CORS preflight)
        headers = {"Content-Type": PAGE_CONTENT_TYPE} if body is not None else None
        return await self._send(f"{method} {path}", method, url, body=body, headers=headers)

    async def store(
        self, method: str, path: str, token: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        url = self.endpoints.store_api + path
        return await self._send(f"store {method} {path}", method, url, body=body, headers=headers)

    def signed_headers(self, method: str, url: str, content: bytes | None) -> dict[str, str]:
        if self._credentials is None:
            raise RuntimeError("the private API needs an access key id and a secret access key")
        headers = {"Content-Type": "application/json"} if content is not None else {}
        request = AWSRequest(method=method, url=url, data=content or b"", headers=headers)
        SigV4Auth(self._credentials, "execute-api", self.endpoints.region).add_auth(request)
        return dict(request.headers.items())

    async def private(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response | None:
        url = self.endpoints.private_api + path + (("?" + urlencode(params)) if params else "")
        content = json.dumps(body).encode() if body is not None else None
        headers = self.signed_headers(method, url, content)
        return await self._send(f"private {method} {path}", method, url, body=body, headers=headers)
