"""One simulated visitor: the journey of the waiting room page, from entering to closing the session.

It follows waiting_room_site/js/app.js: enter, poll `/queue_num` until the position is assigned
(retrying 202 on the page's bounded schedule), then `/serving_num` (which also answers the number
waiting) until the serving counter reaches the position; once served, `/queue_pos_expiry` (the
countdown), the token, the store's `/checkout` with it, and the session closed (through the MaxSize
inlet's SNS topic, or the private `/update_session`). Between polls it waits as the page does:
`lambdas.catalog.PollSchedule` from the serving rate it measured itself (`benchmarks.page_model`),
with the page's jitter; errors back off, as the page does. At each poll it notes the wait the page
would show, so the report can set it against the real one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from benchmarks.abuse import solved_proof
from benchmarks.client import Api
from benchmarks.page_model import Estimate, ServerClock, ServingRate, estimate_wait
from lambdas.catalog import POLL_SCHEDULE, PollSchedule

CloseMode = Literal["sns", "private", "none"]
# How much longer each wait becomes after an error, and the ceiling, in poll intervals.
BACKOFF_FACTOR = 2.0
BACKOFF_CEILING = 8.0


@dataclass(frozen=True)
class JourneySettings:
    schedule: PollSchedule = POLL_SCHEDULE
    # Each wait is the schedule's delay times a uniform factor in [1 - jitter, 1 + jitter] (the page's).
    jitter: float = 0.1
    # A visitor gives up after this many requests of its own (the run stays bounded).
    max_requests: int = 400
    # Seconds spent in the store between checkout and closing the session.
    dwell_s: float = 0.0
    close: CloseMode = "sns"


@dataclass
class Visitor:
    """What happened to one visitor; times are seconds since the start of the run."""

    index: int
    scheduled_at: float
    # When the entry request was sent and answered: API Gateway stamped its arrival in between.
    entry_sent_at: float | None = None
    entered_at: float | None = None
    # The gateway's own arrival stamp, when the report could read it (a local runtime's Redis).
    stamped_at: float | None = None
    request_id: str | None = None
    position: int | None = None
    assigned_at: float | None = None
    # When the visitor saw the serving counter reach its position (the page offers check-out).
    offered_at: float | None = None
    admitted_at: float | None = None
    token_position: int | None = None
    tokens_issued: int = 0
    checkout_status: int | None = None
    closed: bool = False
    requests: int = 0
    failure: str | None = None
    # (seconds since the start, the range the page showed then), at each poll that showed one.
    estimates: list[tuple[float, Estimate]] = field(default_factory=list)

    @property
    def arrived_at(self) -> float:
        """When the entry reached the waiting room: the gateway stamped it between sending and answer."""
        sent = self.entry_sent_at if self.entry_sent_at is not None else self.entered_at
        return ((sent or 0.0) + (self.entered_at or 0.0)) / 2


class GiveUp(Exception):
    """The visitor leaves: a client error, or its request budget is spent."""


Closer = Callable[[str], Awaitable[bool]]


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: the simulator only reads its own token's position."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Journey:
    def __init__(self, api: Api, settings: JourneySettings, close: Closer, rng: random.Random) -> None:
        self.api = api
        self.settings = settings
        self.close = close
        self.rng = rng
        self.event_id = api.endpoints.event_id
        self.server_clock = ServerClock()

    async def _wait(self, delay_ms: float, errors: int = 0, *, jittered: bool = True) -> None:
        """Sleeps the schedule's delay (with jitter, as the page waits for the line); after errors,
        a backed-off near interval instead."""
        if errors:
            delay_ms = self.settings.schedule.near_ms * min(BACKOFF_FACTOR**errors, BACKOFF_CEILING)
            jittered = True
        jitter = self.settings.jitter if jittered else 0.0
        await asyncio.sleep(delay_ms / 1000 * self.rng.uniform(1 - jitter, 1 + jitter))

    def _spend(self, visitor: Visitor) -> None:
        visitor.requests += 1
        if visitor.requests > self.settings.max_requests:
            raise GiveUp(f"gave up after {self.settings.max_requests} requests")

    async def run(self, visitor: Visitor) -> Visitor:
        try:
            await self._enter(visitor)
            await self._await_position(visitor)
            token = await self._await_token(visitor)
            await self._checkout(visitor, token)
            if self.settings.dwell_s:
                await asyncio.sleep(self.settings.dwell_s)
            assert visitor.request_id is not None
            visitor.closed = await self.close(visitor.request_id)
        except GiveUp as reason:
            visitor.failure = str(reason)
        return visitor

    async def _enter(self, visitor: Visitor) -> None:
        errors = 0
        while True:
            self._spend(visitor)
            proof = await solved_proof(self.api, self.event_id)
            body = {"event_id": self.event_id, **({"pow": proof} if proof else {})}
            response = await self.api.public("POST", "/assign_queue_num", body=body)
            if response is not None and response.status_code == 200:
                visitor.request_id = response.json()["api_request_id"]
                visitor.entry_sent_at = response.extensions.get("sent_at")
                visitor.entered_at = self.api.recorder.now()
                return
            if response is not None and 400 <= response.status_code < 500:
                raise GiveUp(f"entry refused with {response.status_code}")
            errors += 1
            await self._wait(0, errors)

    async def _await_position(self, visitor: Visitor) -> None:
        params = {"event_id": self.event_id, "request_id": str(visitor.request_id)}
        errors = attempts = 0
        # The page asks a moment after entering, then again on its bounded retry schedule.
        await self._wait(self.settings.schedule.assign_retry_ms(0), jittered=False)
        while True:
            self._spend(visitor)
            response = await self.api.public("GET", "/queue_num", params=params)
            if response is not None and response.status_code == 200:
                # Same tick: the page goes straight on to the serving counter.
                visitor.position = int(response.json()["queue_number"])
                visitor.assigned_at = self._unqueued_now(response)
                return
            if response is not None and response.status_code == 202:
                errors = 0
                attempts += 1
            elif response is not None and 400 <= response.status_code < 500:
                raise GiveUp(f"/queue_num answered {response.status_code}")
            else:
                errors += 1
            await self._wait(self.settings.schedule.assign_retry_ms(attempts), errors, jittered=False)

    async def _serving(self, visitor: Visitor) -> tuple[int | None, float, list[float]]:
        """One poll of the page: the serving counter (the answer also holds the number waiting), when
        the page would have had it, and when the counter last moved (ms in the run's clock)."""
        self._spend(visitor)
        response = await self.api.public("GET", "/serving_num", params={"event_id": self.event_id})
        if response is None or response.status_code != 200:
            return None, self.api.recorder.now(), []
        answer = response.json()
        answered_at = self._unqueued_now(response)
        moved = self.server_clock.page_times(
            [float(t) for t in answer.get("moved_at_ms", [])],
            answer.get("answered_at_ms"),
            answered_at * 1000,
        )
        return int(answer["serving_counter"]), answered_at, moved

    def _unqueued_now(self, response: Any) -> float:
        """Now, less the time the request waited for one of the simulator's connections (a browser
        would not have waited): when the page would have had this answer."""
        return self.api.recorder.now() - response.extensions.get("queued_s", 0.0)

    async def _await_token(self, visitor: Visitor) -> str:
        assert visitor.position is not None
        params = {"event_id": self.event_id, "request_id": str(visitor.request_id)}
        errors = 0
        rate = ServingRate(min_span_ms=max(1000, 5 * self.settings.schedule.near_ms))
        while True:
            serving, answered_at, moved_at_ms = await self._serving(visitor)
            delay_ms = self.settings.schedule.near_ms
            aligned_ms: int | None = None
            if serving is None:
                errors += 1
            elif serving < visitor.position:
                errors = 0
                now_ms = self.api.recorder.now() * 1000
                rate.add(serving, now_ms)
                places = visitor.position - serving
                estimate = estimate_wait(places, rate, now_ms)
                if estimate is not None:
                    visitor.estimates.append((now_ms / 1000, estimate))
                delay_ms = self.settings.schedule.delay_ms(
                    places, rate.rate(now_ms), rate.largest_step(), rate.watched_ms(now_ms)
                )
                aligned_ms = self.settings.schedule.step_aligned_ms(
                    places, delay_ms, rate.largest_step(), moved_at_ms, now_ms
                )
            else:
                errors = 0
                if visitor.offered_at is None:
                    visitor.offered_at = answered_at
                # Served: the page shows the expiry countdown, and the visitor checks out at once.
                self._spend(visitor)
                await self.api.public("GET", "/queue_pos_expiry", params=params)
                self._spend(visitor)
                response = await self.api.public("POST", "/generate_token", body=params)
                if response is not None and response.status_code == 200:
                    visitor.admitted_at = self.api.recorder.now()
                    visitor.tokens_issued += 1
                    token = response.json()["access_token"]
                    visitor.token_position = token_claims(token).get("queue_position")
                    return token
                if response is not None and response.status_code != 202 and response.status_code < 500:
                    raise GiveUp(f"/generate_token answered {response.status_code}")
                if response is None or response.status_code >= 500:
                    errors += 1
            if aligned_ms is not None and not errors:
                # Just after a step, as the page: later by up to a near interval's jitter, never earlier.
                extra = self.settings.jitter * self.settings.schedule.near_ms * self.rng.random()
                await self._wait(aligned_ms + extra, jittered=False)
            else:
                await self._wait(delay_ms, errors)

    async def _checkout(self, visitor: Visitor, token: str) -> None:
        self._spend(visitor)
        response = await self.api.store("POST", "/checkout", token, body={"item": "ticket", "quantity": 1})
        visitor.checkout_status = response.status_code if response is not None else 0
