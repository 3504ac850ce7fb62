"""Scheduled each minute: counts served positions whose grace window passed unused.

With auto-increment on, those positions go back to the serving counter, so expired visitors do
not hold capacity that nobody will use.
"""

import time

from lambdas.waiting_room import events
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.records import record_serving_increment
from lambdas.waiting_room.settings import settings
from lambdas.waiting_room.tracing import traced

# Positions examined per script call: bounds how long one call holds Redis (about 1 µs each).
STEPS_PER_CALL = 20_000


@traced
def handler(event, context):
    config = settings()
    if not config.expiry_enabled:
        return {"skipped": "queue position expiry is disabled"}
    now = time.time()
    result = EventCounters(config.event_id).sweep(
        now_ms=int(now * 1000),
        expiry_ms=config.expiry_seconds * 1000,
        max_steps=STEPS_PER_CALL,
        return_to_serving=config.incr_serving_on_expiry,
    )
    if result.serving_after != result.serving_before:
        increment = result.serving_after - result.serving_before
        record_serving_increment(
            config.event_id,
            result.serving_after,
            increment,
            now,
            generation=result.generation,
            expiry_watermark=result.watermark,
        )
        events.emit(
            "automatic_serving_counter_incr",
            {
                "previous_serving_counter_position": result.serving_before,
                "increment_by": increment,
                "current_serving_counter_position": result.serving_after,
            },
        )
    logger.info("expiry sweep", extra={"watermark": result.watermark, "expired": result.expired})
    return {"max_queue_position_expired": result.watermark, "expired": result.expired}
