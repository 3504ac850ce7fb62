"""POST /increment_serving_counter (private): let more visitors in.

An optional `idempotency_key` makes a retry safe: the same key applies the increment once, and
writes its trail record if the first call did not get that far.
"""

import re
import time

from lambdas.waiting_room import audit
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    require_int,
    response,
)
from lambdas.waiting_room.records import record_serving_increment
from lambdas.waiting_room.registry import require_event
from lambdas.waiting_room.state_keys import MAX_COUNTER, MAX_INCREMENT

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@api_handler
def handler(event, context):
    body = json_body(event)
    event_id = require_event(body).event_id
    increment_by = require_int(body, "increment_by", minimum=-MAX_INCREMENT, maximum=MAX_INCREMENT)
    key = body.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key)):
        raise HttpError(400, "idempotency_key must be 1 to 64 letters, digits or _.:-")
    now = time.time()
    move = EventCounters(event_id).move_serving(increment_by, now_ms=int(now * 1000), idempotency_key=key)
    outcome, serving = move.outcome, move.serving_counter
    if outcome == "refused":
        raise HttpError(
            400, f"increment_by {increment_by} would take the serving counter ({serving}) below 0"
        )
    if outcome == "too_large":
        raise HttpError(
            400, f"increment_by {increment_by} would take the serving counter ({serving}) above {MAX_COUNTER}"
        )
    # A repeat under the same key completes the trail in case its first call failed before writing it.
    if outcome in ("applied", "repeated") and increment_by:
        record_serving_increment(
            event_id,
            serving,
            increment_by,
            now,
            generation=move.generation,
            only_if_missing=outcome == "repeated",
            idempotency_key=key,
        )
    # A repeat under the same key moved nothing: its counter stays where the first call left it.
    moved = increment_by if outcome == "applied" else 0
    audit.record(
        event,
        "increment_serving_counter",
        event_id=event_id,
        counter="serving_counter",
        before=serving - moved,
        after=serving,
        increment_by=increment_by,
        outcome=outcome,
    )
    return response(200, {"serving_num": serving})
