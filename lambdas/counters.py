"""GET /counters (private): every counter of the event in one read, and the dead-letter queue's depth."""

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.waiting_room import dead_letters
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import api_handler, logger, query, response
from lambdas.waiting_room.registry import require_event


def _dead_letter_entries() -> dict[str, int]:
    """The deployment's dead-letter depth, not the event's (one entry queue serves every event); left
    out when SQS cannot say, so that the event's own counters still answer (the panel shows the
    tile as unknown)."""
    try:
        return {"dead_letter_entries": dead_letters.depth()}
    except (BotoCoreError, ClientError):
        logger.exception("the dead-letter queue's depth could not be read")
        return {}


@api_handler
def handler(event, context):
    event_id = require_event(query(event)).event_id
    return response(
        200, {"event_id": event_id, **EventCounters(event_id).counters(), **_dead_letter_entries()}
    )
