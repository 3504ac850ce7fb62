"""GET /counters (private): every counter of the event in one read, and the dead-letter queue's depth."""

from lambdas.waiting_room import dead_letters
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    event_id = require_event(query(event)).event_id
    return response(
        200,
        {
            "event_id": event_id,
            **EventCounters(event_id).counters(),
            # The deployment's, not the event's: one entry queue serves every event.
            "dead_letter_entries": dead_letters.depth(),
        },
    )
