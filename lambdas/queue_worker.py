"""SQS-triggered worker: positions for a batch of entries (the asynchronous half of /assign_queue_num).

The whole batch is assigned at once, in arrival order within the ordering window (the worker waits
at most one window for its entries to ripen); Powertools' batch processor then reports, per message, what
failed, so the event source mapping deletes the rest and redelivers only the failures. While Redis
is unreachable or rebuilt, the entries go back on the queue with a delay instead
(lambdas/waiting_room/deferral.py), so waiting for Redis burns no receive.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lambdas.waiting_room import proof_of_work
from lambdas.waiting_room.deferral import defer, deferrals
from lambdas.waiting_room.entries import assign_positions, parse_entry
from lambdas.waiting_room.http import Rebuilding
from lambdas.waiting_room.redis_store import connection
from lambdas.waiting_room.settings import settings
from lambdas.waiting_room.tracing import traced


class PositionNotStored(Exception):
    """The position was assigned but not persisted; redelivery will store the same position."""


@traced
def handler(event, context):
    event_id = settings().event_id
    records = event.get("Records", [])
    parsed = (parse_entry(r["messageId"], r.get("body", ""), event_id) for r in records)
    entries = [entry for entry in parsed if entry is not None]
    try:
        # Before any position: an entry without a valid, unspent proof of work gets none (off: all pass).
        admitted = proof_of_work.admit(
            connection(), event_id, settings().pow_difficulty, [(e.request_id, e.pow) for e in entries]
        )
        failed = assign_positions(
            event_id,
            [entry for entry in entries if entry.request_id in admitted],
            settings().ordering_window_ms,
        )
    except (Rebuilding, RedisConnectionError, RedisTimeoutError):
        failed = defer(event_id, entries, {r["messageId"]: deferrals(r) for r in records})

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise PositionNotStored(record.message_id)

    # A processor per invocation: it holds the batch's results, and a container may run several
    # invocations at once where they share a process (the local runtime's concurrent pollers).
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
