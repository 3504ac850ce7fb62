"""Proof of work on entry: a price in CPU time for each place in line.

Off by default (difficulty 0), so the retired solution's clients keep entering as they did. With a
difficulty `d`, an entry takes a place only with a solution of a fresh challenge:

- `GET /pow_challenge` hands out `challenge = <payload>.<HMAC-SHA256(payload)>`, the payload naming
  a random id, the event, an expiry and the difficulty. Issuing stores nothing.
- The visitor finds a `nonce` such that SHA-256(`challenge:nonce`) starts with `d` zero bits (about
  2**d hashes on average) and posts `{event_id, pow: {challenge, nonce}}` to /assign_queue_num.
- The queue worker verifies the signature, the event, the expiry and the work, and spends the
  challenge id with SET NX (single use) before the entry may take a position. An entry that fails
  gets no position and its request id is marked, so /queue_num answers 410 `proof_of_work`.

The HMAC key is derived per event from a secret in Secrets Manager, read once per container:
nothing of it lives in Redis, so a Redis that loses its data voids no challenge in flight (a
challenge spent before the loss could be spent once more, at most for its five minutes; each
place it takes is still one place, numbered once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities import parameters
from redis import Redis

from lambdas.catalog import POW_FIELDS, Resource
from lambdas.waiting_room.keys import SECRET_MAX_AGE_SECONDS
from lambdas.waiting_room.settings import settings

CHALLENGE_TTL_SECONDS = 300
# A refused entry's mark outlives any honest page's polling for its position.
REFUSAL_TTL_SECONDS = 3600
REFUSAL_REASON = "proof_of_work"


class _Keys:
    def __init__(self, event_id: str) -> None:
        prefix = f"vwr:{{{event_id}}}:pow:"
        self.spent = prefix + "spent:"  # + challenge id
        self.refused = prefix + "refused:"  # + request id


def signing_key(event_id: str) -> bytes:
    """The event's HMAC key, derived from the deployment's secret: the same in every container
    and across any loss of Redis, and another for each event."""
    return hmac.new(_deployment_secret(), b"proof-of-work:" + event_id.encode(), hashlib.sha256).digest()


@cache
def _deployment_secret() -> bytes:
    secret_id = settings().pow_key_secret_id
    if not secret_id:
        raise RuntimeError(f"{Resource.POW_KEY_SECRET.value} is not set: the proof of work has no key")
    value = parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE_SECONDS)
    return value if isinstance(value, bytes) else str(value).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(key: bytes, event_id: str, difficulty: int, *, now: float | None = None) -> dict[str, Any]:
    expires_at = int((time.time() if now is None else now) + CHALLENGE_TTL_SECONDS)
    claims = {"id": secrets.token_hex(16), "e": event_id, "x": expires_at, "d": difficulty}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return {
        "challenge": f"{payload}.{_mac(key, payload)}",
        "difficulty": difficulty,
        "expires_at": expires_at,
    }


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def work_of(challenge: str, nonce: str) -> int:
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest())


def solve(challenge: str, difficulty: int) -> str:
    """A nonce meeting `difficulty` (what the page's worker does; tests and the load simulator)."""
    nonce = 0
    while work_of(challenge, str(nonce)) < difficulty:
        nonce += 1
    return str(nonce)


@dataclass(frozen=True)
class Challenge:
    id: str
    expires_at: int


def verify(
    key: bytes, solution: Any, event_id: str, difficulty: int, *, now: float | None = None
) -> Challenge | None:
    """The solved challenge, or None: unsigned, another event's, expired, too easy or unsolved."""
    if not isinstance(solution, Mapping):
        return None
    challenge, nonce = solution.get("challenge"), solution.get("nonce")
    if not (isinstance(challenge, str) and isinstance(nonce, str)):
        return None
    if len(challenge) > POW_FIELDS["challenge"] or len(nonce) > POW_FIELDS["nonce"]:
        return None
    payload, _, mac = challenge.partition(".")
    # As bytes: compare_digest refuses str with characters beyond ASCII, which anyone may post.
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        return None
    claims = json.loads(_unb64(payload))
    expired = claims["x"] < (time.time() if now is None else now)
    if claims["e"] != event_id or expired or claims["d"] < difficulty:
        return None
    if work_of(challenge, nonce) < claims["d"]:
        return None
    return Challenge(claims["id"], claims["x"])


def admit(
    redis: Redis,
    event_id: str,
    difficulty: int,
    entries: Iterable[tuple[str, Any]],
    *,
    now: float | None = None,
) -> set[str]:
    """The request ids of `entries` (request id, `pow` field) that carry a valid, unspent solution;
    the challenges they used are spent and the others' request ids marked as refused. A round
    trip for the key, one for the batch's challenges, and one for its refusals if any. Spending
    uses `SET NX GET` (Redis 7 and Valkey; every cache the stacks build)."""
    entries = list(entries)
    if difficulty <= 0 or not entries:
        return {request_id for request_id, _ in entries}
    keys = _Keys(event_id)
    key = signing_key(event_id)
    now = time.time() if now is None else now
    verified = [
        (request_id, verify(key, solution, event_id, difficulty, now=now)) for request_id, solution in entries
    ]
    pipe = redis.pipeline(transaction=False)
    for request_id, challenge in verified:
        if challenge is not None:
            # The mark names the entry that spent it: a redelivered message is admitted again.
            pipe.set(keys.spent + challenge.id, request_id, nx=True, get=True, exat=challenge.expires_at + 1)
    spent_by = iter(pipe.execute())
    admitted = set()
    for request_id, challenge in verified:
        if challenge is not None and next(spent_by) in (None, request_id):
            admitted.add(request_id)
    refused = [request_id for request_id, _ in verified if request_id not in admitted]
    if refused:
        pipe = redis.pipeline(transaction=False)
        for request_id in refused:
            pipe.set(keys.refused + request_id, REFUSAL_REASON, ex=REFUSAL_TTL_SECONDS)
        pipe.execute()
    return admitted


def refused(redis: Redis, event_id: str, request_id: str) -> bool:
    return bool(redis.exists(_Keys(event_id).refused + request_id))
