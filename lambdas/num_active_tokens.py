"""GET /num_active_tokens (private): unexpired tokens whose session is open, without a scan."""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, require_event_id, response
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    event_id = require_event_id(query(event), settings().event_id)
    return response(200, {"active_tokens": EventCounters(event_id).active_tokens(now_s=int(time.time()))})
