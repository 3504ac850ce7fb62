"""An event's state from start to end: a new generation (a new event, a reset), then cleared.

A generation is the epoch ms of the reset that began it; every position and token record carries
the one it was made in, so starting a new generation voids all earlier ones without dropping a
table. It is recorded in DynamoDB too, since a rebuild of a lost Redis must not bring earlier
entries back.
"""

from __future__ import annotations

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.records import record_generation, recorded_generation


def new_generation(event_id: str) -> int:
    """Counters to zero and every earlier position and token void; returns the new generation.

    A new event starts this way too: records of a deleted event of the same id stay void.
    """
    generation = EventCounters(event_id).reset(
        now_ms=int(time.time() * 1000), recorded_generation=recorded_generation(event_id)
    )
    record_generation(event_id, generation)
    return generation


def clear(event_id: str) -> None:
    """Drops a deleted event's Redis state; its DynamoDB records expire with their TTL."""
    EventCounters(event_id).clear()
