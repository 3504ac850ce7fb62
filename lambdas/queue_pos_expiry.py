"""GET /queue_pos_expiry: seconds left to redeem a served position before it expires."""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.entries import not_found_or_voided
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    query,
    require_request_id,
    response,
)
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    params = query(event)
    registered = require_event(params)
    request_id = require_request_id(params)
    now_ms = int(time.time() * 1000)
    state = EventCounters(registered.event_id).position(
        request_id, now_ms=now_ms, expiry_ms=registered.expiry_ms
    )
    if state.status == "unknown":
        raise not_found_or_voided(registered, request_id, state.generation)
    if state.status == "waiting":
        raise HttpError(202, "not served yet")
    if state.expires_at_ms is None:
        raise HttpError(202, "queue position expiry is disabled")
    if state.status == "expired":
        raise HttpError(410, "this place in line expired before a token was requested", "expired")
    # A redeemed position cannot expire any more; its countdown simply stops at zero.
    expires_in = max(0, (state.expires_at_ms - now_ms) // 1000)
    return response(200, {"expires_in": expires_in, "token_issued": state.status == "issued"})
