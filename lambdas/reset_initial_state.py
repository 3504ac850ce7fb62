"""POST /reset_initial_state (private): counters to zero, every position and token of the event void.

No table is dropped: records carry the generation they were made in, and a reset starts a new one.
Safe to repeat and safe while visitors keep arriving (entries made before the reset take no position).
"""

import time

from lambdas.waiting_room import audit
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, json_body, require_event_id, response
from lambdas.waiting_room.records import record_generation, recorded_generation
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    event_id = require_event_id(json_body(event), settings().event_id)
    counters = EventCounters(event_id)
    # Read around the reset, not with it: entries arriving meanwhile may show in either reading.
    before = counters.counters()
    generation = counters.reset(
        now_ms=int(time.time() * 1000), recorded_generation=recorded_generation(event_id)
    )
    # The generation outlives Redis: a rebuild after a loss must not bring earlier entries back.
    record_generation(event_id, generation)
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
