"""An entry's way from the entry queue to a position, and the answer when it has none.

Positions follow arrival within the ordering window (lambdas.waiting_room.counters): the batch's
entries join the pending set in one script call, which also numbers whatever has ripened; the
worker then sleeps until its own entries are older than the window and asks once more. A batch
costs two Redis round trips (one when every entry was already ripe) and one `TransactWriteItems` per 50
positions. Redelivered messages get the position they already had, duplicates in a batch take one
position, and entries that cannot be honoured (malformed, another event, made before a reset) take
none and are not retried. An entry made before a reset is recorded as voided, so the visitor's
`/queue_num` turns from 202 to 410 `reset` instead of waiting forever.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import ENTRY_MESSAGE_FIELDS, is_event_id
from lambdas.waiting_room import json_input, proof_of_work
from lambdas.waiting_room.counters import Assignment, EventCounters
from lambdas.waiting_room.http import HttpError, is_request_id, logger, masked
from lambdas.waiting_room.records import QueueRecord, read_queue_record, write_queue_records
from lambdas.waiting_room.redis_store import connection
from lambdas.waiting_room.registry import EventConfig

# How far ahead of this function's clock an entry time may be: API Gateway stamps it, and the two
# clocks may disagree a little. A time further ahead would give a position that never expires.
ENTRY_CLOCK_SKEW_MS = 60_000


@dataclass(frozen=True)
class Entry:
    message_id: str
    event_id: str
    request_id: str
    entered_at_ms: int
    # The entry's proof-of-work solution as posted ({challenge, nonce}), checked by the worker.
    pow: Any = None


def message_count(message: Mapping[str, Any], name: str) -> int:
    """A count an entry message carries in its attribute `name` (`deferrals`, `redrives`), from a
    record as Lambda delivers it or a message as the SQS API returns it (other key casing)."""
    attributes = message.get("messageAttributes") or message.get("MessageAttributes") or {}
    attribute = attributes.get(name) or {}
    value = attribute.get("stringValue", attribute.get("StringValue"))
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def parse_entry(message_id: str, body: str, *, now_ms: int | None = None) -> Entry | None:
    """The entry a message carries, or None (logged) when it cannot take a position."""
    latest = (int(time.time() * 1000) if now_ms is None else now_ms) + ENTRY_CLOCK_SKEW_MS
    try:
        message = json_input.loads(body)
        fields = {name: message[name] for name in ENTRY_MESSAGE_FIELDS}
    except (ValueError, TypeError, KeyError):
        logger.warning("malformed entry dropped", extra={"message_id": message_id})
        return None
    event_id, request_id, entered_at = fields["event_id"], fields["request_id"], fields["entered_at"]
    if not is_event_id(event_id):
        logger.warning("entry without a valid event id dropped", extra={"message_id": message_id})
        return None
    if not is_request_id(request_id):
        logger.warning("entry without a valid request id dropped", extra={"message_id": message_id})
        return None
    # The comparison also refuses NaN and infinity, which JSON as Python reads it may carry.
    if (
        isinstance(entered_at, bool)
        or not isinstance(entered_at, int | float)
        or not 0 <= entered_at <= latest
    ):
        logger.warning("entry without a valid entry time dropped", extra={"message_id": message_id})
        return None
    return Entry(message_id, event_id, request_id.lower(), int(entered_at), message.get("pow"))


def assign_positions(event_id: str, entries: Iterable[Entry], window_ms: int = 0) -> set[str]:
    """Assigns and stores positions; returns the message ids that failed and must be retried.

    Raises `Rebuilding` or a Redis connection error when no position can be assigned now.
    """
    entries = list(entries)
    if not entries:
        return set()
    counters = EventCounters(event_id)
    generation, numbered = _number(counters, entries, window_ms)
    records = []
    for entry in entries:
        assignment = numbered.get(entry.request_id)
        if assignment is None:
            logger.info(
                "entry made before the last reset voided", extra={"request_id": masked(entry.request_id)}
            )
            records.append(
                QueueRecord(entry.request_id, event_id, 0, entry.entered_at_ms, generation, voided=True)
            )
            continue
        if assignment == "pending":
            continue
        records.append(
            QueueRecord(entry.request_id, event_id, assignment.position, assignment.entered_at_ms, generation)
        )
    result = write_queue_records(records)
    if result.contradicted:
        # DynamoDB holds these positions for others (or these entries at other positions): Redis
        # lost writes it had made. The state is rebuilt and the entries come back for a position.
        logger.error(
            "redis handed out positions DynamoDB already holds: rebuilding",
            extra={"entries": len(result.contradicted)},
        )
        counters.invalidate()
    return {
        entry.message_id
        for entry in entries
        if entry.request_id in result.unwritten or numbered.get(entry.request_id) == "pending"
    }


def not_found_or_voided(
    event: EventConfig, request_id: str, generation: int, *, pending_status: int = 404
) -> HttpError:
    """Why Redis holds no position for a request id in this event: voided by a reset, lost, or
    refused for its proof of work (410), not assigned yet, or lost by Redis itself (then the state
    is rebuilt and the visitor asked to come back). Every route that looks a request id up answers
    alike; a request id numbered in another event is a definite 404 at once, since no wait makes
    it this event's (one still on its way to any event's worker is indistinguishable: 202).

    Costs one DynamoDB read, paid only off the happy path (Redis answers every assigned position),
    and one more Redis read where DynamoDB has the position: the worker may have just stored it.
    """
    record = read_queue_record(request_id)
    if record is not None and record.event_id != event.event_id:
        return HttpError(404, "this request_id entered another event's line", "other_event")
    if record is not None and record.refusal and record.generation >= generation:
        return _refused(event, record.refusal)
    if record is not None and record.prequeued and record.generation == generation:
        return HttpError(
            202,
            "in the pre-queue: numbered at the draw",
            details={"prequeue": True, "draw_at": event.start_time},
        )
    if record is not None and record.lost:
        return HttpError(410, "this entry waited too long for a place in line: enter the line again", "lost")
    if record is not None and (record.voided or record.generation < generation):
        return HttpError(410, "this place in line was cleared by a reset: enter the line again", "reset")
    if record is not None and record.generation == generation:
        counters = EventCounters(record.event_id)
        if counters.lookup(request_id) is not None:
            # The worker numbered it and stored it between the caller's Redis read and ours.
            return HttpError(202, "assigned a position just now: ask again")
        # The worker writes Redis before DynamoDB: a stored position Redis does not know was lost.
        logger.error("redis lost a stored position: rebuilding", extra={"request_id": masked(request_id)})
        counters.invalidate()
        counters.recover()
        return HttpError(503, "the waiting room rebuilt its state: ask again", "rebuilding")
    if event.pow_difficulty > 0 and proof_of_work.refused(connection(), event.event_id, request_id):
        return HttpError(
            410, "the entry's proof of work was missing or invalid: enter again", proof_of_work.REFUSAL_REASON
        )
    if pending_status == 202:
        return HttpError(202, "not assigned a position yet")
    return HttpError(404, "unknown request_id")


def _refused(event: EventConfig, reason: str) -> HttpError:
    """The 410 of an entry the event's settings refused (when it opens, or where to go instead), or
    that the worker failed on every time it was tried."""
    if reason == "not_numbered":
        return HttpError(410, "this entry could not be given a place in line: enter the line again", reason)
    if reason == "not_open":
        return HttpError(
            410,
            "this entry was made before the pre-queue opened: enter again once it is open",
            reason,
            {"opens_at": event.prequeue_start},
        )
    return HttpError(
        410,
        "the line was full when this entry arrived",
        reason,
        {"overflow_url": event.overflow_url} if event.overflow_url else None,
    )


# How many times a worker asks again for entries still pending. Every entry ripens one window
# after it joined the set (Redis's clock), and the worker sleeps for as long as Redis says, so the
# second call normally numbers them all; the bound keeps a stuck clock from holding the worker.
MAX_ASKS = 3


def _number(
    counters: EventCounters, entries: list[Entry], window_ms: int
) -> tuple[int, dict[str, Assignment | str | None]]:
    """Numbers the entries, waiting (bounded) for those the ordering window still holds.

    Returns the generation and, per request id, its assignment, None (no position) or "pending"
    (still held after MAX_ASKS: its message is retried).
    """
    asked = list({e.request_id: e.entered_at_ms for e in entries}.items())
    numbered: dict[str, Assignment | str | None] = {}
    generation = 0
    for _ in range(MAX_ASKS):
        answer = counters.assign(asked, window_ms=window_ms)
        generation = answer.generation
        numbered.update((rid, a) for (rid, _), a in zip(asked, answer.assignments, strict=True))
        asked = [(rid, entered) for rid, entered in asked if numbered[rid] == "pending"]
        if not asked:
            break
        time.sleep(min(answer.wait_ms, window_ms + 1) / 1000)
    return generation, numbered
