"""POST /update_session (private): close a visitor's session as completed (1) or abandoned (-1)."""

from lambdas.waiting_room import events
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    require_event_id,
    require_int,
    require_request_id,
    response,
)
from lambdas.waiting_room.records import SESSION_ABANDONED, SESSION_COMPLETED, close_token_session
from lambdas.waiting_room.settings import settings

STATUS_NAMES = {SESSION_COMPLETED: "completed", SESSION_ABANDONED: "abandoned"}


@api_handler
def handler(event, context):
    body = json_body(event)
    event_id = require_event_id(body, settings().event_id)
    request_id = require_request_id(body)
    status = require_int(body, "status")
    if status not in STATUS_NAMES:
        raise HttpError(400, "status must be 1 (completed) or -1 (abandoned)")
    counters = EventCounters(event_id)
    if not close_token_session(request_id, event_id, counters.generation(), status):
        raise HttpError(404, "no open session for this request_id")
    counters.close_session(request_id, completed=status == SESSION_COMPLETED)
    events.emit(
        "session_updated", {"event_id": event_id, "request_id": request_id, "status": STATUS_NAMES[status]}
    )
    return response(200, {"request_id": request_id, "status": status})
