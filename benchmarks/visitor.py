"""One simulated visitor: the journey of the waiting room page, from entering to closing the session.

It follows waiting_room_site/js/app.js: enter, poll `/queue_num` until the position is assigned,
then each tick `/serving_num` and `/waiting_num` side by side until the serving counter reaches the
position; once served, `/queue_pos_expiry` (the countdown), the token, the store's `/checkout`
with it, and the session closed (through the MaxSize inlet's SNS topic, or the private
`/update_session`). Each wait is the poll interval (the page's default is 2 s) with jitter, so
simulated visitors do not poll in lockstep as no real crowd does; errors back off, as the page does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks.abuse import solved_proof
from benchmarks.client import Api

CloseMode = Literal["sns", "private", "none"]
# How much longer each wait becomes after an error, and the ceiling, in poll intervals.
BACKOFF_FACTOR = 2.0
BACKOFF_CEILING = 8.0


@dataclass(frozen=True)
class JourneySettings:
    poll_interval_s: float = 2.0
    # Each wait is the interval times a uniform factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.2
    # A visitor gives up after this many requests of its own (the run stays bounded).
    max_requests: int = 400
    poll_waiting_num: bool = True
    # Seconds spent in the store between checkout and closing the session.
    dwell_s: float = 0.0
    close: CloseMode = "sns"


@dataclass
class Visitor:
    """What happened to one visitor; times are seconds since the start of the run."""

    index: int
    scheduled_at: float
    entered_at: float | None = None
    request_id: str | None = None
    position: int | None = None
    assigned_at: float | None = None
    admitted_at: float | None = None
    token_position: int | None = None
    tokens_issued: int = 0
    checkout_status: int | None = None
    closed: bool = False
    requests: int = 0
    failure: str | None = None


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

    async def _wait(self, errors: int) -> None:
        factor = min(BACKOFF_FACTOR**errors, BACKOFF_CEILING)
        jitter = self.settings.jitter
        await asyncio.sleep(self.settings.poll_interval_s * factor * self.rng.uniform(1 - jitter, 1 + jitter))

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
                visitor.entered_at = self.api.recorder.now()
                return
            if response is not None and 400 <= response.status_code < 500:
                raise GiveUp(f"entry refused with {response.status_code}")
            errors += 1
            await self._wait(errors)

    async def _await_position(self, visitor: Visitor) -> None:
        params = {"event_id": self.event_id, "request_id": str(visitor.request_id)}
        errors = 0
        # The page asks at once after entering, then every interval.
        while True:
            self._spend(visitor)
            response = await self.api.public("GET", "/queue_num", params=params)
            if response is not None and response.status_code == 200:
                # Same tick: the page goes straight on to the serving counter.
                visitor.position = int(response.json()["queue_number"])
                visitor.assigned_at = self.api.recorder.now()
                return
            if response is not None and response.status_code == 202:
                errors = 0
            elif response is not None and 400 <= response.status_code < 500:
                raise GiveUp(f"/queue_num answered {response.status_code}")
            else:
                errors += 1
            await self._wait(errors)

    async def _serving(self) -> int | None:
        response = await self.api.public("GET", "/serving_num", params={"event_id": self.event_id})
        if response is None or response.status_code != 200:
            return None
        return int(response.json()["serving_counter"])

    async def _tick(self, visitor: Visitor) -> int | None:
        """One poll of the page: the serving counter and the waiting size, side by side."""
        if not self.settings.poll_waiting_num:
            self._spend(visitor)
            return await self._serving()
        self._spend(visitor)
        self._spend(visitor)
        params = {"event_id": self.event_id}
        serving, _ = await asyncio.gather(
            self._serving(), self.api.public("GET", "/waiting_num", params=params)
        )
        return serving

    async def _await_token(self, visitor: Visitor) -> str:
        assert visitor.position is not None
        params = {"event_id": self.event_id, "request_id": str(visitor.request_id)}
        errors = 0
        while True:
            serving = await self._tick(visitor)
            if serving is None:
                errors += 1
            elif serving >= visitor.position:
                errors = 0
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
            await self._wait(errors)

    async def _checkout(self, visitor: Visitor, token: str) -> None:
        self._spend(visitor)
        response = await self.api.store("POST", "/checkout", token, body={"item": "ticket", "quantity": 1})
        visitor.checkout_status = response.status_code if response is not None else 0
