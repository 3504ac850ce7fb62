"""GET /serving_num: the serving counter, as an integer, and the number waiting (one poll for the page)."""

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    event_id = require_event(query(event)).event_id
    serving, waiting = EventCounters(event_id).line()
    return response(200, {"serving_counter": serving, "waiting_num": waiting})
