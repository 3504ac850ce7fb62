"""The authorizer's checks beyond the signature: a reset since the token was issued, a closed session.

Both answers come from the public API (lambdas/admission.py), which the authorizer already reaches
for the key; it has no access to Redis, and needs none.

Reset: tokens carry the generation they were issued in (claim `generation`); the current
generation is one number per event, fetched at most once per `GENERATION_MAX_AGE_SECONDS` per
container and shared by every token. Per authorization that costs an integer comparison, plus at
most one GET per second per container, mostly answered by CloudFront's copy. Rotating the signing
key on reset was the other way; it would cost every token issuer a Secrets Manager read and every
authorizer a key fetch after each reset, for the same result.

Closed sessions (optional): one GET per authorization, answered by one Redis read at the origin.
API Gateway's authorizer result cache bounds it to one per token per
`AuthorizerTrigger.result_cache_seconds`.

When the public API cannot be reached, the last generation known stays in force, and with none
known yet the token cannot be judged: `StateUnavailable`, an outage rather than the caller's fault.
When it answers that the event does not exist (a 400: the operator deleted it), no token of the
event is good any more, whatever generation it carries.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from lambdas.waiting_room.verification import AccessClaims, Fetch, InvalidToken, http_fetch

GENERATION_MAX_AGE_SECONDS = 1.0


class StateUnavailable(Exception):
    """The public API did not say what the check needs, and nothing known can stand in."""


def _url(public_api_url: str, route: str, **params: str) -> str:
    return f"{public_api_url.rstrip('/')}/{route}?{urllib.parse.urlencode(params)}"


# The generation of an event that no longer exists: above every token's.
GONE = 2**63


class GenerationCache:
    """The event's current generation, re-read when older than `max_age_seconds`; `GONE` once
    the public API says the event does not exist."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        max_age_seconds: float = GENERATION_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._clock = clock
        self._value: int | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> int:
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._read_at >= self._max_age:
                # A failed read counts as a read: a public API that is down is not asked each time.
                self._read_at = now
                try:
                    value = self._fetch()["generation"]
                    if isinstance(value, bool) or not isinstance(value, int):
                        raise TypeError("generation is not an integer")
                    self._value = value
                except Exception as error:
                    if isinstance(error, urllib.error.HTTPError) and error.code == 400:
                        self._value = GONE
                    elif self._value is None:
                        raise StateUnavailable(
                            f"the generation is unknown: {type(error).__name__}"
                        ) from error
            return self._value


@dataclass(frozen=True)
class Gatekeeper:
    event_id: str
    public_api_url: str
    generation: GenerationCache
    deny_closed_sessions: bool = False

    @classmethod
    def for_event(cls, public_api_url: str, event_id: str, *, deny_closed_sessions: bool) -> Gatekeeper:
        fetch = http_fetch(_url(public_api_url, "generation", event_id=event_id))
        return cls(event_id, public_api_url, GenerationCache(fetch), deny_closed_sessions)

    def check(self, claims: AccessClaims) -> None:
        """`InvalidToken` for a token of another event, an older generation or (if asked) a closed session."""
        # The generation and the session asked about are this event's: they say nothing about a
        # token of another event, however well signed.
        if claims.event_id != self.event_id:
            raise InvalidToken("a token of another event")
        generation = self.generation.current()
        if generation == GONE:
            raise InvalidToken("the event was deleted")
        if claims.generation < generation:
            raise InvalidToken("issued before a reset")
        if self.deny_closed_sessions and not self._session_open(claims.subject):
            raise InvalidToken("session closed")

    def _session_open(self, request_id: str) -> bool:
        url = _url(self.public_api_url, "session_status", event_id=self.event_id, request_id=request_id)
        try:
            answer = http_fetch(url)()
        except Exception as error:
            raise StateUnavailable(f"the session state is unknown: {type(error).__name__}") from error
        return answer.get("open") is True
