"""Verifying the waiting room's access tokens: RS256 only, keys fetched by `kid` and cached.

Used by the API Gateway authorizer (the OpenID adapter's `/userInfo` asks the same of its own
tokens in `oidc_tokens`): was this token issued by this deployment, for this event, as an access
token, and is it valid now? Everything that is not a clear "yes" is an `InvalidToken`. "For this
event" is the `aud` claim: one deployment serves many events with one key and one issuer.

Key handling is built for a Lambda container that lives for hours and sees attacker-chosen input:
- keys are fetched once and kept; a token whose `kid` is unknown triggers a refresh, because that
  is what a key rotation looks like from here;
- refreshes are rate-limited, because a forged token can carry any `kid` it likes, and without a
  limit every such request would become a request to the public API;
- a failed refresh keeps the keys already known, so a hiccup of the public API does not turn into
  rejecting every visitor who already holds a good token.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import PyJWKError, PyJWTError

from lambdas.waiting_room import json_input

ALGORITHM = "RS256"
# A JWK or a JWKS is a few hundred bytes per key; anything much larger is not what we asked for.
MAX_KEYS_RESPONSE_BYTES = 64 * 1024
# Claims a token of this product always carries. `aud` and `iss` are checked for their value too.
REQUIRED_CLAIMS = ("exp", "nbf", "aud", "iss", "sub", "token_use")

Fetch = Callable[[], Any]


class InvalidToken(Exception):
    """The token is not acceptable. The message is a short reason for logs; it never holds the token."""


class KeysUnavailable(Exception):
    """No key could be loaded at all: the token cannot be judged (an outage, not the caller's fault)."""


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says about its holder."""

    subject: str
    event_id: str
    queue_position: int | None
    expires_at: int
    claims: Mapping[str, Any]
    # The reset the token was issued in (epoch ms); tokens issued before any reset carry 0.
    generation: int = 0


def keys_url(public_api_url: str, event_id: str) -> str:
    """Where the public API publishes the event's public key (`GET /public_key?event_id=...`)."""
    base = public_api_url.rstrip("/")
    return f"{base}/public_key?{urllib.parse.urlencode({'event_id': event_id})}"


def http_fetch(url: str, timeout_seconds: float = 3.0) -> Fetch:
    """A fetch function that GETs JSON from `url`, bounded in time and size.

    urllib rather than requests: it is in the standard library, so the authorizer's bundle stays
    small and its cold start short.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in {"https", "http"}:
        # urllib would also open file:// and ftp:// URLs; a misconfigured setting must not.
        raise ValueError("the key URL must be http(s)")

    def fetch() -> Any:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout_seconds) as answer:
            raw = answer.read(MAX_KEYS_RESPONSE_BYTES + 1)
        if len(raw) > MAX_KEYS_RESPONSE_BYTES:
            raise ValueError("the key response is too large")
        return json_input.loads(raw)

    return fetch


def parse_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """The RS256 signing keys of a JWK (`/public_key`) or a JWKS (`{"keys": [...]}`), by `kid`.

    Keys of another type or algorithm are skipped rather than refused: a JWKS may legitimately
    list keys we have no use for, and using only RSA keys bound to RS256 is what keeps an
    attacker from choosing the algorithm.
    """
    if isinstance(document, Mapping) and isinstance(document.get("keys"), list):
        candidates = document["keys"]
    elif isinstance(document, Mapping):
        candidates = [document]
    else:
        raise ValueError("the key document is neither a JWK nor a JWKS")
    keys: dict[str, jwt.PyJWK] = {}
    for candidate in candidates:
        if not isinstance(candidate, Mapping):
            continue
        kid = candidate.get("kid")
        if not isinstance(kid, str) or not kid or candidate.get("kty") != "RSA":
            continue
        if candidate.get("alg", ALGORITHM) != ALGORITHM or candidate.get("use", "sig") != "sig":
            continue
        try:
            # Binding the algorithm here means the key verifies RS256 and nothing else.
            keys[kid] = jwt.PyJWK(dict(candidate), algorithm=ALGORITHM)
        except PyJWKError:
            continue
    return keys


class KeyCache:
    """Public keys by `kid`, loaded lazily and refreshed on an unknown `kid`, at most once per interval.

    A Lambda container runs one invocation at a time, but the local runtime and the OpenID adapter
    may share one cache between threads, so changes happen under a lock.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        min_refresh_interval_seconds: float = 10.0,
        max_age_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._min_interval = min_refresh_interval_seconds
        # After this long the keys are re-read once, so a key withdrawn by the operator stops
        # being trusted even by a container that never sees a new `kid`.
        self._max_age = max_age_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key named `kid`, or None if even a (permitted) refresh does not know it."""
        with self._lock:
            now = self._clock()
            stale = self._loaded_at is None or now - self._loaded_at >= self._max_age
            key = self._keys.get(kid)
            if key is not None and not stale:
                return key
            if self._may_refresh(now):
                self._refresh(now)
            elif self._loaded_at is None:
                raise KeysUnavailable("no public key loaded yet; the last attempt failed moments ago")
            return self._keys.get(kid)

    def _may_refresh(self, now: float) -> bool:
        return self._last_attempt is None or now - self._last_attempt >= self._min_interval

    def _refresh(self, now: float) -> None:
        # Failed attempts count against the interval too: a public API that is down is not
        # helped by every request trying again.
        self._last_attempt = now
        try:
            keys = parse_keys(self._fetch())
        except Exception as error:
            if self._loaded_at is None:
                raise KeysUnavailable(f"could not load the public key: {type(error).__name__}") from error
            return  # keep the keys we have; they were good a moment ago
        if not keys:
            if self._loaded_at is None:
                raise KeysUnavailable("the key document holds no RS256 signing key")
            return
        self._keys = keys
        self._loaded_at = now


@dataclass(frozen=True)
class Verifier:
    """Checks access tokens of one event, issued by one issuer, against one key cache."""

    keys: KeyCache
    audience: str
    issuer: str
    # Clock skew allowed between the issuing container and this one, for `nbf`, `iat` and `exp`.
    leeway_seconds: float = 5.0

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid access token; `InvalidToken` for anything else.

        `KeysUnavailable` is not caught: when no key can be loaded the answer is an outage, and
        callers decide how to show it.
        """
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as error:
            raise InvalidToken("not a JWT") from error
        # Decided on the header before any key lookup, so `alg: none` and HS256 tokens are refused
        # without a fetch. jwt.decode below enforces the same again: two locks on one door.
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no kid in the header")
        key = self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("unknown kid")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
            )
        except PyJWTError as error:
            # The exception's class names the failed check (ExpiredSignatureError, ...) without
            # repeating any of the token.
            raise InvalidToken(type(error).__name__) from error
        return _access_claims(claims)


def _access_claims(claims: dict[str, Any]) -> AccessClaims:
    if claims.get("token_use") != "access":
        # An id or refresh token is signed by the same key but is not a ticket into the site.
        raise InvalidToken("not an access token")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("no subject")
    position = claims.get("queue_position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        raise InvalidToken("queue_position is not an integer")
    generation = claims.get("generation", 0)
    if isinstance(generation, bool) or not isinstance(generation, int):
        raise InvalidToken("generation is not an integer")
    exp = claims["exp"]
    return AccessClaims(
        subject=subject,
        event_id=str(claims["aud"]),
        queue_position=position,
        expires_at=int(exp),
        claims=claims,
        generation=generation,
    )
