"""POST /increment_serving_counter (private): let more visitors in."""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    require_event_id,
    require_int,
    response,
)
from lambdas.waiting_room.records import record_serving_increment
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    body = json_body(event)
    event_id = require_event_id(body, settings().event_id)
    increment_by = require_int(body, "increment_by")
    now = time.time()
    ok, serving = EventCounters(event_id).increment_serving(increment_by, now_ms=int(now * 1000))
    if not ok:
        raise HttpError(
            400, f"increment_by {increment_by} would take the serving counter ({serving}) below 0"
        )
    if increment_by:
        record_serving_increment(event_id, serving, increment_by, int(now))
    return response(200, {"serving_num": serving})
