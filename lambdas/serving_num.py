"""GET /serving_num: the serving counter, as an integer, and the number waiting (one poll for the page)."""

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, require_event_id, response
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    event_id = require_event_id(query(event), settings().event_id)
    serving, waiting = EventCounters(event_id).line()
    return response(200, {"serving_counter": serving, "waiting_num": waiting})
