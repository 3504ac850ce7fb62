"""What the protected site's authorizer asks the public API besides the key (see lambdas/authorizer.py).

GET /generation: the event's generation (epoch ms of its last reset, 0 before any), which every
token carries as its `generation` claim; one answer for every visitor, cached a few seconds.
GET /session_status: whether a request id's token session is still open (DENY_CLOSED_SESSIONS).
The request id is the visitor's own bearer secret, so this tells its holder nothing new.
"""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, require_request_id, response
from lambdas.waiting_room.registry import require_event


@api_handler
def generation_handler(event, context):
    event_id = require_event(query(event)).event_id
    return response(200, {"generation": EventCounters(event_id).generation()})


@api_handler
def session_handler(event, context):
    params = query(event)
    event_id = require_event(params).event_id
    request_id = require_request_id(params)
    return response(200, {"open": EventCounters(event_id).session_open(request_id, now_s=int(time.time()))})
