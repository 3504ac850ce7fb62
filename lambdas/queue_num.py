"""GET /queue_num: the visitor's position, once the queue worker has assigned it."""

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.entries import not_found_or_voided
from lambdas.waiting_room.http import (
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
    event_id = registered.event_id
    request_id = require_request_id(params)
    counters = EventCounters(event_id)
    assignment = counters.lookup(request_id)
    if assignment is None:
        raise not_found_or_voided(registered, request_id, counters.generation(), pending_status=202)
    return response(
        200,
        {
            "queue_number": assignment.position,
            "entry_time": assignment.entered_at_ms // 1000,
            "event_id": event_id,
            "status": 1,
        },
    )
