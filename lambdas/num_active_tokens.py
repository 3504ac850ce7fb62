"""GET /num_active_tokens (private): unexpired tokens whose session is open, without a scan."""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    event_id = require_event(query(event)).event_id
    return response(200, {"active_tokens": EventCounters(event_id).active_tokens(now_s=int(time.time()))})
