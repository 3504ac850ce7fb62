"""Scheduled each minute: counts served positions whose grace window passed unused, in every event.

With auto-increment on, those positions go back to the serving counter, so expired visitors do
not hold capacity that nobody will use. Each such move's trail record is also its
`automatic_serving_counter_incr` event: the serving counter table's stream carries it to the bus
(lambdas.catalog.OUTBOX), so a crash after the write cannot lose it.
"""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.records import record_serving_increment
from lambdas.waiting_room.registry import EventConfig, list_events
from lambdas.waiting_room.tracing import traced

# Positions examined per script call: bounds how long one call holds Redis (about 1 µs each).
STEPS_PER_CALL = 20_000


def sweep(event: EventConfig, now: float) -> dict[str, int]:
    result = EventCounters(event.event_id).sweep(
        now_ms=int(now * 1000),
        expiry_ms=event.queue_position_expiry_seconds * 1000,
        max_steps=STEPS_PER_CALL,
        return_to_serving=event.incr_serving_on_expiry,
    )
    if result.serving_after != result.serving_before:
        increment = result.serving_after - result.serving_before
        record_serving_increment(
            event.event_id,
            result.serving_after,
            increment,
            now,
            generation=result.generation,
            expiry_watermark=result.watermark,
        )
    logger.info(
        "expiry sweep",
        extra={"event_id": event.event_id, "watermark": result.watermark, "expired": result.expired},
    )
    return {"max_queue_position_expired": result.watermark, "expired": result.expired}


@traced
def handler(event, context):
    """Sweeps every event whose positions expire; an event with expiry off is left alone."""
    now = time.time()
    return {
        "events": {
            registered.event_id: sweep(registered, now)
            for registered in list_events()
            if registered.enable_queue_position_expiry
        }
    }
