"""Scheduled each minute: entries in the entry queue's dead-letter queue go back to the worker, a
bounded number of times, then get a definite 410 (lambdas/waiting_room/dead_letters.py)."""

import dataclasses

from lambdas.waiting_room.dead_letters import redrive
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.tracing import traced


@traced
def handler(event, context):
    drained = dataclasses.asdict(redrive())
    if any(drained.values()):
        logger.info("dead-letter queue drained", extra=drained)
    return drained
