"""The admission pass a served visitor carries back to a site behind the edge gate (edge_gate/gate.js).

The gate runs as a CloudFront Function, which cannot verify RS256, so the pass is HMAC-SHA-256
signed with a key the gate reads from its KeyValueStore. It is one string the gate splits on `~`:
`v1~event~subject~expiry~generation~kid~host~mac`, the mac (hex) over everything before it.

- subject: derived one-way from the request id with the pass key (the request id is the visitor's
  bearer secret and never leaves in a pass); keyed by the edge key, not the token signing key, so
  this function never reads the private key that signs tokens.
- expiry and generation: the token record's, so a pass lives as long as the visitor's tokens and
  is refused by the gate after a reset (the generation moves) or a deletion (the gate's state goes).
- host: the gate's host the visitor goes back to; another gate refuses the pass.

Where the visitor goes back to is never taken on trust: the gate signs the address it sends the
visitor away from (`return_sig`, `kid~mac` over `return~event~address`), and a pass is issued
only for an address the gate signed, so the page cannot be made into an open redirect.

The keys live in Secrets Manager as `{"kid", "secret", "previous"?: {"kid", "secret"}}`; the edge
stack copies both to the gate's KeyValueStore, so a rotation turns away no visitor holding a pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from aws_lambda_powertools.utilities import parameters

from lambdas.catalog import Resource
from lambdas.waiting_room.http import HttpError
from lambdas.waiting_room.registry import EventConfig
from lambdas.waiting_room.tokens import redeem

PASS_PARAMETER = "vwr_pass"
PASS_VERSION = "v1"
MAX_RETURN_TO = 2048
# The issuer picks up a rotated key within this; the gate still holds the previous one meanwhile.
KEYS_MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class EdgeKey:
    kid: str
    secret: str


def parse_keys(material: dict) -> tuple[EdgeKey, ...]:
    """The current key first, then the previous one if the secret still holds it."""
    keys = [EdgeKey(material["kid"], material["secret"])]
    previous = material.get("previous")
    if isinstance(previous, dict) and previous.get("kid") and previous.get("secret"):
        keys.append(EdgeKey(previous["kid"], previous["secret"]))
    return tuple(keys)


def edge_keys() -> tuple[EdgeKey, ...]:
    secret_id = os.environ.get(Resource.EDGE_KEYS_SECRET.value, "")
    raw = parameters.get_secret(secret_id, max_age=KEYS_MAX_AGE_SECONDS)
    return parse_keys(json.loads(raw))


def mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def pass_subject(event_id: str, request_id: str, key: EdgeKey) -> str:
    """The visitor's subject in a pass: the same for every pass of one place in line and key."""
    digest = hmac.new(key.secret.encode(), f"subject~{event_id}~{request_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def returning_host(event_id: str, return_to: str, return_sig: str, keys: tuple[EdgeKey, ...]) -> str:
    """The gate's host in `return_to`, if the gate signed that address for this event."""
    kid, _, given = return_sig.partition("~")
    key = next((k for k in keys if k.kid == kid), None)
    if key is None or not hmac.compare_digest(mac(key.secret, f"return~{event_id}~{return_to}"), given):
        raise HttpError(400, "return_to was not signed by this event's edge gate")
    parts = urlsplit(return_to)
    if parts.scheme not in ("https", "http") or not parts.netloc or "~" in parts.netloc:
        raise HttpError(400, "return_to must be an http(s) address")
    return parts.netloc


def make_pass(*, event_id: str, subject: str, expiry: int, generation: int, host: str, key: EdgeKey) -> str:
    body = "~".join((PASS_VERSION, event_id, subject, str(expiry), str(generation), key.kid, host))
    return f"{body}~{mac(key.secret, body)}"


def issue_pass(
    event: EventConfig, request_id: str, return_to: str, return_sig: str, *, now_s: float | None = None
) -> dict[str, object]:
    """Where the served visitor goes next (`return_to` with the pass), once per request id."""
    if len(return_to) > MAX_RETURN_TO or len(return_sig) > 200:
        raise HttpError(400, "return_to or return_sig is too long")
    keys = edge_keys()
    host = returning_host(event.event_id, return_to, return_sig, keys)
    now = time.time() if now_s is None else now_s
    record, _ = redeem(event, request_id, now_s=now)
    admission = make_pass(
        event_id=event.event_id,
        subject=pass_subject(event.event_id, request_id, keys[0]),
        expiry=record.expires_at,
        generation=record.generation,
        host=host,
        key=keys[0],
    )
    separator = "&" if urlsplit(return_to).query else "?"
    return {
        "location": f"{return_to}{separator}{PASS_PARAMETER}={quote(admission, safe='')}",
        "expires_in": max(0, record.expires_at - int(now)),
    }
