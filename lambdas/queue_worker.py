"""SQS-triggered worker: positions for a batch of entries (the asynchronous half of /assign_queue_num).

A batch may hold entries of several events: each event's entries are assigned at once, in arrival
order within the ordering window (the worker waits at most one window for its entries to ripen);
Powertools' batch processor then reports, per message, what failed, so the event source mapping
deletes the rest and redelivers only the failures. Entries of an event the registry does not know
are dropped. While Redis is unreachable or rebuilt, the entries go back on the queue with a delay
instead (lambdas/waiting_room/deferral.py), so waiting for Redis burns no receive.
"""

from collections import defaultdict

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lambdas.waiting_room import proof_of_work
from lambdas.waiting_room.dead_letters import REDRIVES
from lambdas.waiting_room.deferral import defer, deferrals
from lambdas.waiting_room.entries import Entry, assign_positions, message_count, parse_entry
from lambdas.waiting_room.http import Rebuilding, logger
from lambdas.waiting_room.redis_store import connection
from lambdas.waiting_room.registry import EventConfig, lookup
from lambdas.waiting_room.sale import cap_line, sort_scheduled
from lambdas.waiting_room.settings import settings
from lambdas.waiting_room.tracing import traced


class PositionNotStored(Exception):
    """The position was assigned but not persisted; redelivery will store the same position."""


def _assign(
    event: EventConfig, entries: list[Entry], times_deferred: dict[str, int], redriven: dict[str, int]
) -> set[str]:
    """One event's entries of the batch; returns the message ids that failed."""
    try:
        # Before any position: an entry without a valid, unspent proof of work gets none (off: all pass).
        admitted = proof_of_work.admit(
            connection(), event.event_id, event.pow_difficulty, [(e.request_id, e.pow) for e in entries]
        )
        sorted_, failed = sort_scheduled(event, [entry for entry in entries if entry.request_id in admitted])
        if sorted_.wait:
            failed |= defer(sorted_.wait, times_deferred, "waiting for the draw", redriven)
        admitted_now, refused_failed = cap_line(event, sorted_.number)
        numbered = assign_positions(event.event_id, admitted_now, settings().ordering_window_ms)
        return failed | refused_failed | numbered
    except (Rebuilding, RedisConnectionError, RedisTimeoutError):
        return defer(entries, times_deferred, redriven=redriven)


@traced
def handler(event, context):
    records = event.get("Records", [])
    by_event: dict[str, list[Entry]] = defaultdict(list)
    for record in records:
        entry = parse_entry(record["messageId"], record.get("body", ""))
        if entry is not None:
            by_event[entry.event_id].append(entry)
    times_deferred = {r["messageId"]: deferrals(r) for r in records}
    # An entry put back keeps how often it came back from the dead-letter queue: the bound holds.
    redriven = {r["messageId"]: message_count(r, REDRIVES) for r in records}
    failed: set[str] = set()
    for event_id, entries in by_event.items():
        registered = lookup(event_id)
        if registered is None:
            logger.warning("entries for an unknown event dropped", extra={"entries": len(entries)})
            continue
        failed |= _assign(registered, entries, times_deferred, redriven)

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise PositionNotStored(record.message_id)

    # A processor per invocation: it holds the batch's results, and a container may run several
    # invocations at once where they share a process (the local runtime's concurrent pollers).
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
