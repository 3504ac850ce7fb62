"""POST /reset_initial_state (private): counters to zero, every position and token of the event void.

No table is dropped: records carry the generation they were made in, and a reset starts a new one.
Safe to repeat and safe while visitors keep arriving (entries made before the reset take no position).
"""

from lambdas.waiting_room import audit, lifecycle
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, json_body, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    event_id = require_event(json_body(event)).event_id
    counters = EventCounters(event_id)
    # Read around the reset, not with it: entries arriving meanwhile may show in either reading.
    before = counters.counters()
    generation = lifecycle.new_generation(event_id)
    audit.record(
        event,
        "reset_initial_state",
        event_id=event_id,
        counter="all",
        before=before,
        after=counters.counters(),
        generation=generation,
    )
    return response(200, {"message": f"event {event_id} reset: counters are zero, earlier entries are void"})
