"""GET /serving_num: the serving counter, as an integer."""

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, require_event_id, response
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    event_id = require_event_id(query(event), settings().event_id)
    return response(200, {"serving_counter": EventCounters(event_id).serving_counter()})
