"""GET /counters (private): every counter of the event in one read."""

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, require_event_id, response
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    event_id = require_event_id(query(event), settings().event_id)
    return response(200, {"event_id": event_id, **EventCounters(event_id).counters()})
