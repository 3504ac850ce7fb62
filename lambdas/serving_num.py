"""GET /serving_num: the serving counter, as an integer, and the number waiting (one poll for the page).

The answer also says when it was made and when the counter last moved (ms since the epoch), so a
page that gets it from the CDN's cache knows how old it is and when the line's next step is due
(lambdas/catalog.py `PollSchedule`).
"""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    event_id = require_event(query(event)).event_id
    counters = EventCounters(event_id)
    serving, waiting = counters.line()
    return response(
        200,
        {
            "serving_counter": serving,
            "waiting_num": waiting,
            "moved_at_ms": counters.recent_moves_ms(serving),
            "answered_at_ms": int(time.time() * 1000),
        },
    )
