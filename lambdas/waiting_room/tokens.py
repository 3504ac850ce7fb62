"""Issuing tokens to served visitors: one token record per request id, whatever the retries and races.

The claim in Redis (one script) decides whether a position may be redeemed and counts its token
exactly once; a conditional put in DynamoDB makes exactly one record, and only the call that made
it emits `token_generated`. A claimed position whose record is missing gets a record only while
its claim is recent (the claiming call failed before writing); later the record was lost, and
the answer is 410, never a second token. Asking again returns the same tokens: RS256 (PKCS#1 v1.5)
signatures are deterministic, so re-signing the stored claims reproduces them byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import jwt

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.entries import not_found_or_voided
from lambdas.waiting_room.http import HttpError
from lambdas.waiting_room.keys import SigningKey, signing_key
from lambdas.waiting_room.records import (
    SESSION_OPEN,
    TokenRecord,
    put_token_record,
    read_token_record,
)
from lambdas.waiting_room.registry import EventConfig
from lambdas.waiting_room.settings import settings

TOKEN_USES = ("access", "id", "refresh")

# How long after its claim a position's token record may still be written. The claiming call can
# fail between Redis and DynamoDB (or still be writing): within this window a retry writes the
# record. After it, a claimed position without a record lost it (TTL, a restore): the request id
# had its token and never gets another one.
RECORD_COMPLETION_MS = 5 * 60 * 1000


def claims(record: TokenRecord, token_use: str) -> dict[str, Any]:
    return {
        "aud": record.event_id,
        "sub": record.request_id,
        "queue_position": record.position,
        "token_use": token_use,
        "iat": record.issued_at,
        "nbf": record.issued_at,
        "exp": record.expires_at,
        "iss": record.issuer,
        # The reset this token belongs to (epoch ms, 0 before any): the authorizer refuses a token
        # of an earlier generation.
        "generation": record.generation,
    }


def sign(record: TokenRecord, key: SigningKey, now_s: int) -> dict[str, Any]:
    signed = {
        use: jwt.encode(claims(record, use), key.private_key, algorithm="RS256", headers={"kid": key.kid})
        for use in TOKEN_USES
    }
    return {
        "access_token": signed["access"],
        "refresh_token": signed["refresh"],
        "id_token": signed["id"],
        "token_type": "Bearer",
        "expires_in": max(0, record.expires_at - now_s),
    }


def _record_may_be_pending(claimed_at_ms: int | None, now_ms: int) -> bool:
    return claimed_at_ms is not None and now_ms - claimed_at_ms <= RECORD_COMPLETION_MS


def issue(
    event: EventConfig,
    request_id: str,
    *,
    issuer: str | None = None,
    validity_seconds: int | None = None,
    now_s: float | None = None,
) -> dict[str, Any]:
    """Tokens for a served position; the overrides apply to this call only (see `issue_recorded`)."""
    return issue_recorded(event, request_id, issuer=issuer, validity_seconds=validity_seconds, now_s=now_s)[0]


def issue_recorded(
    event: EventConfig,
    request_id: str,
    *,
    issuer: str | None = None,
    validity_seconds: int | None = None,
    now_s: float | None = None,
) -> tuple[dict[str, Any], bool]:
    """Tokens for a served position, and whether this call made its token record.

    The issuer is the one this call asks for (the public API's by default), whichever call made
    the record: a visitor who got the page's tokens first and then signs in through the OpenID
    adapter gets the adapter's issuer there, and the page gets the public one after an OpenID
    sign-in. The validity is the first call's: it is the place's, stored in the record.
    """
    now = time.time() if now_s is None else now_s
    record, new = redeem(event, request_id, issuer=issuer, validity_seconds=validity_seconds, now_s=now)
    return sign(record, signing_key(), int(now)), new


def redeem(
    event: EventConfig,
    request_id: str,
    *,
    issuer: str | None = None,
    validity_seconds: int | None = None,
    now_s: float | None = None,
) -> tuple[TokenRecord, bool]:
    """The token record of a served position (made by the first call), and whether this call made it."""
    issuer = issuer or settings().issuer
    now = time.time() if now_s is None else now_s
    now_ms, now_whole = int(now * 1000), int(now)
    validity = validity_seconds or event.token_validity_seconds
    counters = EventCounters(event.event_id)
    state = counters.position(
        request_id, now_ms=now_ms, expiry_ms=event.expiry_ms, claim_until_s=now_whole + validity
    )
    if state.status == "unknown":
        raise not_found_or_voided(event, request_id, state.generation)
    if state.status == "waiting":
        raise HttpError(202, f"not served yet: position {state.position}, serving {state.serving_counter}")
    if state.status == "expired":
        raise HttpError(410, "this place in line expired before a token was requested", "expired")

    existing = read_token_record(request_id) if state.status == "issued" else None
    if existing is None:
        if state.status == "issued" and not _record_may_be_pending(state.claimed_at_ms, now_ms):
            raise HttpError(
                410,
                "the token of this place in line is no longer on record: enter the line again",
                "token_lost",
            )
        record = TokenRecord(
            request_id=request_id,
            event_id=event.event_id,
            generation=state.generation,
            position=state.position,
            issued_at=now_whole,
            expires_at=now_whole + validity,
            issuer=issuer,
        )
        if put_token_record(record):  # its stream record is the `token_generated` event
            return record, True
        existing = read_token_record(request_id)
        if existing is None:  # the winner's record vanished: only a concurrent TTL delete does that
            raise HttpError(409, "token record changed concurrently: try again")
    if existing.session_status != SESSION_OPEN:
        raise HttpError(410, "this session is closed", "session_closed")
    return replace(existing, issuer=issuer), False
