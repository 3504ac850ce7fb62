"""POST /update_session (private): close a visitor's session as completed (1) or abandoned (-1).

Two stores change: the token record in DynamoDB (the truth, closed once by a conditional update),
then the count in Redis (once per request id). A retry after a failure between them completes the
count and answers 200 as the first call would have; any later call is a 404. The `session_updated`
event is the DynamoDB update itself: it leaves through the table's stream (lambdas.catalog.OUTBOX).
"""

from lambdas.waiting_room import audit
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    masked,
    require_int,
    require_request_id,
    response,
)
from lambdas.waiting_room.records import (
    SESSION_COMPLETED,
    SESSION_OUTCOMES,
    close_token_session,
    read_token_record,
)
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    body = json_body(event)
    event_id = require_event(body).event_id
    request_id = require_request_id(body)
    status = require_int(body, "status")
    if status not in SESSION_OUTCOMES:
        raise HttpError(400, "status must be 1 (completed) or -1 (abandoned)")
    counters = EventCounters(event_id)
    generation = counters.generation()
    if not close_token_session(request_id, event_id, generation, status):
        # Closed already (or never open). Only a retry of a close whose count did not follow may
        # go on, and the count below lets exactly one call through.
        record = read_token_record(request_id)
        if record is None or record.generation != generation or record.session_status != status:
            raise HttpError(404, "no open session for this request_id")
    counted = counters.close_session(request_id, completed=status == SESSION_COMPLETED)
    if counted is None:
        raise HttpError(404, "no open session for this request_id")
    audit.record(
        event,
        "update_session",
        event_id=event_id,
        counter=f"{SESSION_OUTCOMES[status]}_counter",
        before=counted - 1,
        after=counted,
        request=masked(request_id),
        status=status,
    )
    return response(200, {"request_id": request_id, "status": status})
