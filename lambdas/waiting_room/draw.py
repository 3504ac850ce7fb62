"""A scheduled sale's pre-queue and its draw: entries held unnumbered, numbered at `start_time`.

From `prequeue_start` to `start_time` the worker records each entry in DynamoDB as pre-queued
(no number, nothing in Redis). At `start_time` the draw (lambdas/draw.py, run by a one-time
schedule) numbers them 1..N in the event's `order_at_start`: by arrival, or by the published
draw of lambdas/waiting_room/draw_rule.py. Entries made after `start_time` wait (re-enqueued)
until the draw is done, then follow from N+1 in arrival order.

The draw's record is one item of the queue positions table, `draw#<event>#<generation>`, made by
whoever needs it first (the worker's first pre-queued entry, `GET /draw`, the draw itself) with a
fresh secret seed; its SHA-256 is public from the pre-queue's opening. Its steps, each one
conditional and repeatable, so that a crash, a retry or a Redis loss anywhere gives the same
numbers:

1. seal (`pending` -> `drawing`): from then the worker's pre-queue writes, which are transactions
   with a condition on `pending`, fail, and any later entry is numbered after the drawn ones;
2. settle: wait `SETTLE_SECONDS` after the seal for the last pre-queue writes to reach the index
   the draw reads (a DynamoDB global secondary index is eventually consistent);
3. order: read every pre-queued record, order them, and store the order in chunks (private:
   request ids; public: handles), then the count, once (conditional);
4. number: each chunk in one Redis round trip (`EventCounters.place`) and TransactWriteItems of 50
   records; the same chunk numbered twice gets the same positions;
5. done: the seed is published, and the worker numbers later entries;
6. stragglers: a pre-queued entry the index still lacked at step 3 is numbered after the drawn
   ones, at the draw's end or on a sweep in the `STRAGGLERS_WITHIN_SECONDS` after the seal
   (`number_stragglers`).

One drawer at a time holds a lease on the record; another invocation finds it held and leaves.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from lambdas.waiting_room import draw_rule
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.entries import Entry, assign_positions
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.records import (
    ENTRY_PREQUEUED,
    QueueRecord,
    event_generation,
    write_queue_records,
)
from lambdas.waiting_room.registry import EventConfig
from lambdas.waiting_room.settings import settings

State = Literal["none", "pending", "drawing", "done"]
# Entries per stored chunk of the order: a chunk item stays well below DynamoDB's 400 KB
# (4,000 handles of 65 bytes; 4,000 request ids and entry times of 51 bytes).
CHUNK = 4000
# How long after the seal the draw reads the pre-queue (see the module's docstring, step 2).
SETTLE_SECONDS = 5.0
# Longer than the draw function's timeout: a drawer that died lets another in after it.
LEASE_SECONDS = 900
# How long after its seal the sweeps still look for pre-queued entries a done draw missed. The
# index lag this guards against is seconds; past this the sweep each minute no longer queries the
# index (and reads Redis) for every past sale, forever. An hour also covers a draw that took one
# or two more invocations to finish (the function's timeout is 15 minutes).
STRAGGLERS_WITHIN_SECONDS = 3600
# The pre-queue writes of one transaction, beside the condition on the draw's record.
PREQUEUE_TRANSACTION = 99
# The most handles GET /draw_list answers at once (65 bytes each: under Lambda's 6 MB answer);
# a longer list is read by parts (`part=0..list_parts-1`).
WHOLE_LIST_MAX = 80_000
# BatchWriteItem's limit.
BATCH_WRITE = 25


@dataclass(frozen=True)
class DrawRecord:
    event_id: str
    generation: int
    seed: str
    state: State
    draw_at: int
    order: str
    sealed_at_ms: int = 0
    count: int | None = None

    @property
    def chunks(self) -> int:
        return -(-(self.count or 0) // CHUNK)

    @property
    def commitment(self) -> str:
        return draw_rule.commitment(self.seed)


def _key(kind: str, event_id: str, generation: int, part: int | None = None) -> dict[str, Any]:
    suffix = "" if part is None else f"#{part}"
    return {"request_id": {"S": f"{kind}#{event_id}#{generation}{suffix}"}}


def _table() -> str:
    return settings().queue_positions_table


def _ttl() -> dict[str, str]:
    return {"N": str(int(time.time()) + settings().record_ttl_seconds)}


def _from_item(event_id: str, generation: int, item: dict[str, Any]) -> DrawRecord:
    return DrawRecord(
        event_id=event_id,
        generation=generation,
        seed=item["seed"]["S"],
        state=item["draw_state"]["S"],
        draw_at=int(item["draw_at"]["N"]),
        order=item["order"]["S"],
        sealed_at_ms=int(item.get("sealed_at", {"N": "0"})["N"]),
        count=int(item["count"]["N"]) if "count" in item else None,
    )


def read(event_id: str, generation: int) -> DrawRecord | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key("draw", event_id, generation), ConsistentRead=True)
        .get("Item")
    )
    return None if item is None else _from_item(event_id, generation, item)


def ensure(event: EventConfig, generation: int) -> DrawRecord:
    """The generation's draw record, made with a fresh secret seed by whoever asks first."""
    found = read(event.event_id, generation)
    if found is not None:
        return found
    item = {
        **_key("draw", event.event_id, generation),
        "seed": {"S": draw_rule.new_seed()},
        "draw_state": {"S": "pending"},
        "draw_at": {"N": str(event.start_time)},
        "order": {"S": event.order_at_start},
        "expires_at": _ttl(),
    }
    try:
        client("dynamodb").put_item(
            TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(request_id)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    found = read(event.event_id, generation)
    assert found is not None, "the record was just made"
    return found


# -- the worker's side: pre-queued entries -------------------------------------------------------


def hold(event: EventConfig, generation: int, records: list[QueueRecord]) -> list[QueueRecord]:
    """Records pre-queued entries, each transaction on condition that the draw has not been
    sealed; returns those that came too late (sealed), which are numbered after the draw.

    An entry that already holds something (redelivered after the draw numbered it) is left as is.
    """
    ensure(event, generation)
    late: list[QueueRecord] = []
    pending = list({record.request_id: record for record in records}.values())
    while pending:
        chunk, pending = pending[:PREQUEUE_TRANSACTION], pending[PREQUEUE_TRANSACTION:]
        while chunk:
            failed = _hold_chunk(event.event_id, generation, chunk)
            if failed is None:
                break
            sealed, settled = failed
            if sealed:
                late += chunk
                break
            chunk = [record for record in chunk if record.request_id not in settled]
    return late


def _hold_chunk(event_id: str, generation: int, chunk: list[QueueRecord]) -> tuple[bool, set[str]] | None:
    """One transaction; None when written, else (the draw was sealed, request ids already held)."""
    actions: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": _table(),
                "Item": record.item(),
                "ConditionExpression": (
                    "attribute_not_exists(request_id) OR generation < :gen"
                    " OR (generation = :gen AND #status = :prequeued)"
                ),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":gen": {"N": str(generation)},
                    ":prequeued": {"N": str(ENTRY_PREQUEUED)},
                },
            }
        }
        for record in chunk
    ]
    actions.append(
        {
            "ConditionCheck": {
                "TableName": _table(),
                "Key": _key("draw", event_id, generation),
                "ConditionExpression": "draw_state = :pending",
                "ExpressionAttributeValues": {":pending": {"S": "pending"}},
            }
        }
    )
    try:
        client("dynamodb").transact_write_items(TransactItems=actions)
        return None
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        codes = [reason.get("Code") for reason in reasons]
        if len(codes) == len(actions) and codes[-1] == "ConditionalCheckFailed":
            return True, set()
        held = {
            record.request_id
            for record, code in zip(chunk, codes, strict=False)
            if code == "ConditionalCheckFailed"
        }
        if not held:
            raise
        return False, held


# -- the draw -----------------------------------------------------------------------------------


def run(event: EventConfig, *, now_s: float | None = None) -> DrawRecord | None:
    """Runs (or resumes) the event's draw if it is due; returns its record, None for an event
    without a pre-queue. Safe to call at any time, any number of times, concurrently."""
    if not event.prequeue_start:
        return None
    counters = EventCounters(event.event_id)
    generation = counters.generation()
    record = ensure(event, generation)
    now = time.time() if now_s is None else now_s
    if record.state == "done":
        if now < record.sealed_at_ms / 1000 + STRAGGLERS_WITHIN_SECONDS:
            number_stragglers(record)
        return record
    if now < event.start_time:
        return record
    owner = uuid.uuid4().hex
    if not _lease(record, owner, now):
        logger.info("the draw is run by another invocation", extra={"event_id": event.event_id})
        return record
    try:
        if record.state == "pending":
            record = _seal(record, time.time())
        wait = record.sealed_at_ms / 1000 + SETTLE_SECONDS - time.time()
        if wait > 0:
            time.sleep(wait)
        if record.count is None:
            record = _order(record)
        started = time.monotonic()
        for part in range(record.chunks):
            _number(counters, record, part)
        record = _finish(record)
        logger.info(
            "draw done",
            extra={"event_id": event.event_id, "count": record.count, "seconds": time.monotonic() - started},
        )
        number_stragglers(record)
        return record
    finally:
        _release(record, owner)


def _update(record: DrawRecord, **request: Any) -> bool:
    """One update of the draw's record; False when its condition failed (another run did it)."""
    try:
        client("dynamodb").update_item(
            TableName=_table(), Key=_key("draw", record.event_id, record.generation), **request
        )
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False


def _reread(record: DrawRecord) -> DrawRecord:
    found = read(record.event_id, record.generation)
    assert found is not None, "a draw's record is never deleted while it runs"
    return found


def _lease(record: DrawRecord, owner: str, now: float) -> bool:
    return _update(
        record,
        UpdateExpression="SET lease_owner = :owner, lease_until = :until",
        ConditionExpression="attribute_not_exists(lease_until) OR lease_until < :now",
        ExpressionAttributeValues={
            ":owner": {"S": owner},
            ":until": {"N": str(int(now) + LEASE_SECONDS)},
            ":now": {"N": str(int(now))},
        },
    )


def _release(record: DrawRecord, owner: str) -> None:
    _update(
        record,
        UpdateExpression="REMOVE lease_owner, lease_until",
        ConditionExpression="lease_owner = :owner",
        ExpressionAttributeValues={":owner": {"S": owner}},
    )


def _seal(record: DrawRecord, now: float) -> DrawRecord:
    _update(
        record,
        UpdateExpression="SET draw_state = :drawing, sealed_at = :at",
        ConditionExpression="draw_state = :pending",
        ExpressionAttributeValues={
            ":drawing": {"S": "drawing"},
            ":pending": {"S": "pending"},
            ":at": {"N": str(int(now * 1000))},
        },
    )
    return _reread(record)


def prequeued(event_id: str, generation: int) -> Iterator[tuple[str, int]]:
    """Every pre-queued (request id, entered_at ms) of the generation: position 0 in the index."""
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "by_event_position",
        "KeyConditionExpression": "event_generation = :eg AND queue_position = :zero",
        "FilterExpression": "#status = :prequeued",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":eg": {"S": event_generation(event_id, generation)},
            ":zero": {"N": "0"},
            ":prequeued": {"N": str(ENTRY_PREQUEUED)},
        },
        "ProjectionExpression": "request_id, entered_at",
    }
    while True:
        page = client("dynamodb").query(**request)
        for item in page.get("Items", []):
            yield item["request_id"]["S"], int(item["entered_at"]["N"])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def ordered(record: DrawRecord, entries: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The pre-queue in the event's order at start: drawn, or by arrival (ties by request id)."""
    if record.order != "draw":
        return sorted(entries, key=lambda entry: (entry[1], entry[0]))
    by_handle = {draw_rule.handle(request_id): (request_id, entered) for request_id, entered in entries}
    return [by_handle[h] for h in draw_rule.drawn_order(record.seed, by_handle)]


def _order(record: DrawRecord) -> DrawRecord:
    entries = ordered(record, list(prequeued(record.event_id, record.generation)))
    items = []
    for part, start in enumerate(range(0, len(entries), CHUNK)):
        chunk = entries[start : start + CHUNK]
        private = "\n".join(f"{request_id}:{entered}" for request_id, entered in chunk)
        public = "\n".join(draw_rule.handle(request_id) for request_id, _ in chunk)
        items.append({**_key("drawn", record.event_id, record.generation, part), "entries": {"S": private}})
        items.append({**_key("drawlist", record.event_id, record.generation, part), "handles": {"S": public}})
    for start in range(0, len(items), BATCH_WRITE):
        _batch_write([{**item, "expires_at": _ttl()} for item in items[start : start + BATCH_WRITE]])
    _update(
        record,
        UpdateExpression="SET #count = :count",
        ConditionExpression="attribute_not_exists(#count)",
        ExpressionAttributeNames={"#count": "count"},
        ExpressionAttributeValues={":count": {"N": str(len(entries))}},
    )
    return _reread(record)


def _batch_write(items: list[dict[str, Any]]) -> None:
    request = {_table(): [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in range(8):
        answer = client("dynamodb").batch_write_item(RequestItems=request)
        request = answer.get("UnprocessedItems") or {}
        if not request:
            return
        time.sleep(min(1.0, 0.05 * 2**attempt))
    raise RuntimeError("DynamoDB kept items of the draw unprocessed: the draw resumes on its next run")


def _part(record: DrawRecord, kind: str, part: int, attribute: str) -> str:
    item = (
        client("dynamodb")
        .get_item(
            TableName=_table(), Key=_key(kind, record.event_id, record.generation, part), ConsistentRead=True
        )
        .get("Item")
    )
    if item is None:
        raise LookupError(f"part {part} of the draw of {record.event_id} is missing")
    return item[attribute]["S"]


def _number(counters: EventCounters, record: DrawRecord, part: int) -> None:
    text = _part(record, "drawn", part, "entries")
    entries = [(line[:36], int(line[37:])) for line in text.split("\n") if line]
    after = part * CHUNK
    counters.place(after, entries)
    result = write_queue_records(
        [
            QueueRecord(request_id, record.event_id, after + index + 1, entered, record.generation)
            for index, (request_id, entered) in enumerate(entries)
        ]
    )
    if result.unwritten:
        raise RuntimeError(f"{len(result.unwritten)} drawn positions were not stored: the draw resumes")


def number_stragglers(record: DrawRecord) -> int:
    """Numbers the pre-queued entries the draw's read missed, after the drawn ones, in arrival
    order, as late arrivals; returns how many. An entry written before the seal can still be
    missing from the eventually consistent index `SETTLE_SECONDS` later: rare, but it must not
    wait unnumbered forever. It is not in the published list (docs/FAIRNESS.md says so). The draw
    looks once at its end, then on each sweep within `STRAGGLERS_WITHIN_SECONDS` of the seal."""
    missed = sorted(prequeued(record.event_id, record.generation), key=lambda entry: (entry[1], entry[0]))
    if not missed:
        return 0
    logger.warning(
        "pre-queued entries the draw missed are numbered after it",
        extra={"event_id": record.event_id, "entries": len(missed)},
    )
    entries = [Entry(request_id, record.event_id, request_id, entered) for request_id, entered in missed]
    if assign_positions(record.event_id, entries):
        raise RuntimeError("entries the draw missed were not all stored: the next run numbers them")
    return len(missed)


def _finish(record: DrawRecord) -> DrawRecord:
    _update(
        record, UpdateExpression="SET draw_state = :done", ExpressionAttributeValues={":done": {"S": "done"}}
    )
    return _reread(record)


def list_part(record: DrawRecord, part: int) -> str:
    """One part of the published list: handles in drawn order, one a line."""
    return _part(record, "drawlist", part, "handles")


# -- what is public ------------------------------------------------------------------------------


def public_state(event: EventConfig, *, now_s: float | None = None) -> dict[str, Any]:
    """`GET /draw`'s answer: the commitment from the pre-queue's opening, the seed once done."""
    now = time.time() if now_s is None else now_s
    answer: dict[str, Any] = {
        "event_id": event.event_id,
        "state": "none",
        "commitment": None,
        "draw_at": None,
    }
    if not event.prequeue_start or event.order_at_start != "draw":
        return answer
    answer.update(state="pending", draw_at=event.start_time)
    if now < event.prequeue_start:
        return answer
    record = ensure(event, EventCounters(event.event_id).generation())
    answer.update(state=record.state, commitment=record.commitment)
    if record.state == "done":
        answer.update(
            seed=record.seed,
            count=record.count,
            list_url=f"draw_list?event_id={event.event_id}",
            list_parts=record.chunks,
        )
    return answer
