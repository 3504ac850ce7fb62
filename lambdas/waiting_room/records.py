"""Durable records in DynamoDB: queue positions, issued tokens, serving-counter increments.

Redis answers the hot reads; these tables keep what must survive and what is paged (expired
tokens). Every item carries the TTL attribute of its table, and the generation (the reset it
belongs to), which is how a reset voids records without dropping a table.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambdas.waiting_room import json_input
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.settings import settings

# TransactWriteItems takes at most 100 items: a record and its position's reservation each.
TRANSACTION_RECORDS = 50


def _ttl(from_s: int) -> dict[str, str]:
    return {"N": str(from_s + settings().record_ttl_seconds)}


ENTRY_ENTERED, ENTRY_VOIDED, ENTRY_LOST = 1, -1, -2
# A scheduled sale's entry held without a number until the draw; entries refused by the event's
# settings (made before its pre-queue opened; the line was full); an entry the worker failed on
# every time it was redriven from the dead-letter queue (lambdas/waiting_room/dead_letters.py).
ENTRY_PREQUEUED, ENTRY_NOT_OPEN, ENTRY_FULL, ENTRY_NOT_NUMBERED = 2, -3, -4, -5
REFUSALS = {ENTRY_NOT_OPEN: "not_open", ENTRY_FULL: "full", ENTRY_NOT_NUMBERED: "not_numbered"}


@dataclass(frozen=True)
class QueueRecord:
    request_id: str
    event_id: str
    position: int
    entered_at_ms: int
    generation: int
    # An entry that reached the worker after a reset it predates: it holds no position, and the
    # record exists so that `/queue_num` can say so instead of answering 202 forever.
    voided: bool = False
    # An entry that waited longer than it may for a position (Redis unreachable all along): it
    # holds none, and `/queue_num` says so.
    lost: bool = False
    # Held without a number until the draw (position 0 until then).
    prequeued: bool = False
    # Refused by the event's settings ("not_open", "full"), or never numbered ("not_numbered"): it
    # holds no position.
    refusal: str | None = None

    @property
    def status(self) -> int:
        if self.refusal:
            return next(code for code, name in REFUSALS.items() if name == self.refusal)
        if self.prequeued:
            return ENTRY_PREQUEUED
        return ENTRY_LOST if self.lost else ENTRY_VOIDED if self.voided else ENTRY_ENTERED

    def item(self) -> dict[str, dict[str, str]]:
        return {
            "request_id": {"S": self.request_id},
            "event_id": {"S": self.event_id},
            "event_generation": {"S": event_generation(self.event_id, self.generation)},
            "queue_position": {"N": str(self.position)},
            "entered_at": {"N": str(self.entered_at_ms)},
            "generation": {"N": str(self.generation)},
            "status": {"N": str(self.status)},
            "expires_at": _ttl(self.entered_at_ms // 1000),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> QueueRecord:
        status = int(item.get("status", {"N": str(ENTRY_ENTERED)})["N"])
        return cls(
            request_id=item["request_id"]["S"],
            event_id=item["event_id"]["S"],
            position=int(item["queue_position"]["N"]),
            entered_at_ms=int(item["entered_at"]["N"]),
            generation=int(item.get("generation", {"N": "0"})["N"]),
            voided=status in (ENTRY_VOIDED, ENTRY_LOST, *REFUSALS),
            lost=status == ENTRY_LOST,
            prequeued=status == ENTRY_PREQUEUED,
            refusal=REFUSALS.get(status),
        )


def position_key(event_id: str, generation: int, position: int) -> str:
    """The key of the item that reserves a position: at most one request id holds it."""
    return f"position#{event_id}#{generation}#{position}"


def _queue_actions(record: QueueRecord) -> list[dict[str, Any]]:
    """The record, and for an assigned position the item reserving it, each written only if no
    other holder is on record. Rewriting the same record is allowed (a redelivered entry)."""
    table = settings().queue_positions_table
    record_put = {
        "TableName": table,
        "Item": record.item(),
        # A pre-queued record of the generation is numbered by the draw.
        "ConditionExpression": (
            "attribute_not_exists(request_id) OR generation < :gen"
            " OR (generation = :gen AND (queue_position = :pos OR #status = :prequeued))"
        ),
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":gen": {"N": str(record.generation)},
            ":pos": {"N": str(record.position)},
            ":prequeued": {"N": str(ENTRY_PREQUEUED)},
        },
    }
    if record.voided or record.prequeued:
        return [{"Put": record_put}]
    reservation = {
        "TableName": table,
        "Item": {
            "request_id": {"S": position_key(record.event_id, record.generation, record.position)},
            "holder": {"S": record.request_id},
            "expires_at": _ttl(record.entered_at_ms // 1000),
        },
        "ConditionExpression": "attribute_not_exists(request_id) OR holder = :holder",
        "ExpressionAttributeValues": {":holder": {"S": record.request_id}},
    }
    return [{"Put": record_put}, {"Put": reservation}]


@dataclass(frozen=True)
class QueueWriteResult:
    # Request ids whose records could not be written now (throttling, a concurrent write): retry.
    unwritten: set[str]
    # Request ids whose position DynamoDB already gives to someone else, or that hold another
    # position there: Redis handed out a position it had lost track of.
    contradicted: set[str]


def write_queue_records(records: list[QueueRecord], *, attempts: int = 5) -> QueueWriteResult:
    """Writes positions with TransactWriteItems, 50 records (100 items) a call.

    Conditional writes make DynamoDB the judge of uniqueness: no position is recorded for two
    request ids and no request id for two positions, even when Redis lost recent writes and hands
    out a position again. A transaction is all or nothing, so a contradicted record fails its
    whole chunk; the caller retries the chunk after the state is rebuilt.
    """
    unique = {record.request_id: record for record in records}  # a transaction may not repeat a key
    pending = list(unique.values())
    unwritten: set[str] = set()
    contradicted: set[str] = set()
    for start in range(0, len(pending), TRANSACTION_RECORDS):
        chunk = pending[start : start + TRANSACTION_RECORDS]
        actions = [action for record in chunk for action in _queue_actions(record)]
        owners = [record.request_id for record in chunk for _ in _queue_actions(record)]
        for attempt in range(attempts):
            try:
                client("dynamodb").transact_write_items(TransactItems=actions)
                break
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or []
                failed = {
                    owner
                    for owner, reason in zip(owners, reasons, strict=False)
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                if failed:
                    contradicted |= failed
                    unwritten.update(record.request_id for record in chunk)
                    break
            time.sleep(min(1.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
        else:
            unwritten.update(record.request_id for record in chunk)
    return QueueWriteResult(unwritten, contradicted)


def record_lost_entry(record: QueueRecord) -> None:
    """Says an entry got no position, unless it got one after all."""
    try:
        client("dynamodb").put_item(
            TableName=settings().queue_positions_table,
            Item=record.item(),
            ConditionExpression="attribute_not_exists(request_id)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def read_queue_record(request_id: str) -> QueueRecord | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=settings().queue_positions_table,
            Key={"request_id": {"S": request_id}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return None if item is None else QueueRecord.from_item(item)


# -- tokens ------------------------------------------------------------------------------------

SESSION_OPEN, SESSION_COMPLETED, SESSION_ABANDONED = 0, 1, -1
# The closed status's name, stored beside it: the `session_updated` event carries it
# (lambdas.catalog.OUTBOX).
SESSION_OUTCOMES = {SESSION_COMPLETED: "completed", SESSION_ABANDONED: "abandoned"}


@dataclass(frozen=True)
class TokenRecord:
    request_id: str
    event_id: str
    generation: int
    position: int
    issued_at: int
    expires_at: int
    issuer: str
    session_status: int = SESSION_OPEN

    def item(self) -> dict[str, dict[str, str]]:
        return {
            "request_id": {"S": self.request_id},
            "event_id": {"S": self.event_id},
            "event_generation": {"S": event_generation(self.event_id, self.generation)},
            "generation": {"N": str(self.generation)},
            "queue_position": {"N": str(self.position)},
            "issued_at": {"N": str(self.issued_at)},
            "token_expires_at": {"N": str(self.expires_at)},
            "issuer": {"S": self.issuer},
            "session_status": {"N": str(self.session_status)},
            "expires_at": _ttl(self.expires_at),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> TokenRecord:
        return cls(
            request_id=item["request_id"]["S"],
            event_id=item["event_id"]["S"],
            generation=int(item["generation"]["N"]),
            position=int(item["queue_position"]["N"]),
            issued_at=int(item["issued_at"]["N"]),
            expires_at=int(item["token_expires_at"]["N"]),
            issuer=item["issuer"]["S"],
            session_status=int(item["session_status"]["N"]),
        )


def event_generation(event_id: str, generation: int) -> str:
    return f"{event_id}#{generation}"


def put_token_record(record: TokenRecord) -> bool:
    """Stores the record unless one exists for the request id. True: this call created it."""
    try:
        client("dynamodb").put_item(
            TableName=settings().tokens_table,
            Item=record.item(),
            ConditionExpression="attribute_not_exists(request_id)",
        )
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def read_token_record(request_id: str) -> TokenRecord | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=settings().tokens_table, Key={"request_id": {"S": request_id}}, ConsistentRead=True
        )
        .get("Item")
    )
    return None if item is None else TokenRecord.from_item(item)


def close_token_session(request_id: str, event_id: str, generation: int, status: int) -> bool:
    """Sets the session status once. False: no open session of this generation for the request id.

    The update is also the `session_updated` event: it leaves through the table's stream.
    """
    try:
        client("dynamodb").update_item(
            TableName=settings().tokens_table,
            Key={"request_id": {"S": request_id}},
            UpdateExpression="SET session_status = :status, session_outcome = :outcome",
            ConditionExpression=(
                "attribute_exists(request_id) AND event_generation = :eg AND session_status = :open"
            ),
            ExpressionAttributeValues={
                ":status": {"N": str(status)},
                ":outcome": {"S": SESSION_OUTCOMES[status]},
                ":open": {"N": str(SESSION_OPEN)},
                ":eg": {"S": event_generation(event_id, generation)},
            },
        )
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


class BadCursor(ValueError):
    pass


MAX_CURSOR_CHARS = 1024  # an encoded key is a few hundred characters


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None, partition: str) -> dict[str, Any] | None:
    """The index key a cursor carries, checked to be exactly one of this partition's keys: DynamoDB
    refuses (a 500 here) an `ExclusiveStartKey` with any other attribute or a non-numeric number."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadCursor("cursor is not valid")
    try:
        key = json_input.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor("cursor is not valid") from error
    if not (
        isinstance(key, dict)
        and set(key) == {"event_generation", "request_id", "token_expires_at"}
        and key["event_generation"] == {"S": partition}
        and _single(key["request_id"], "S")
        and _single(key["token_expires_at"], "N")
        and _EXPIRY_DIGITS.fullmatch(key["token_expires_at"]["N"])
    ):
        raise BadCursor("cursor is not valid")
    return key


_EXPIRY_DIGITS = re.compile(r"[0-9]{1,12}")


def _single(value: object, kind: str) -> bool:
    """A DynamoDB attribute value of one type, holding a non-empty string of sane length."""
    return (
        isinstance(value, dict)
        and set(value) == {kind}
        and isinstance(value[kind], str)
        and 0 < len(value[kind]) <= 64
    )


def expired_token_page(
    event_id: str, generation: int, *, now_s: int, limit: int, cursor: str | None
) -> tuple[list[str], str | None]:
    """One page of request ids whose token has expired, oldest first, and the next page's cursor."""
    partition = event_generation(event_id, generation)
    options: dict[str, Any] = {}
    start = _decode_cursor(cursor, partition)
    if start:
        options["ExclusiveStartKey"] = start
    result = client("dynamodb").query(
        TableName=settings().tokens_table,
        IndexName="by_event_expiry",
        KeyConditionExpression="event_generation = :eg AND token_expires_at < :now",
        ExpressionAttributeValues={":eg": {"S": partition}, ":now": {"N": str(now_s)}},
        ProjectionExpression="request_id",
        Limit=limit,
        **options,
    )
    return [item["request_id"]["S"] for item in result.get("Items", [])], _encode_cursor(
        result.get("LastEvaluatedKey")
    )


# -- serving counter ------------------------------------------------------------------------------


def record_serving_increment(
    event_id: str,
    serving_counter: int,
    increment_by: int,
    now_s: float,
    *,
    generation: int,
    only_if_missing: bool = False,
    expiry_watermark: int | None = None,
    idempotency_key: str | None = None,
) -> None:
    """The durable trail of serving-counter moves (who was let in when), which a rebuild of the
    serving counter reads back: hence the generation and the time in milliseconds. The expiry
    sweeper's moves also carry how far it had swept, and an operator's move its idempotency key,
    so that a retry after Redis lost the key still applies once. A sweeper's record is also its
    `automatic_serving_counter_incr` event: the table's stream carries it to the bus
    (lambdas.catalog.OUTBOX), so no crash after this write can lose the event.

    `only_if_missing`: a retry completing the trail its first call may not have written keeps
    that call's record if it exists. (A reset starts the counter again, so a new move may replace
    an old generation's record.)
    """
    condition = {"ConditionExpression": "attribute_not_exists(serving_counter)"} if only_if_missing else {}
    item = {
        "event_id": {"S": event_id},
        "serving_counter": {"N": str(serving_counter)},
        "increment_by": {"N": str(increment_by)},
        # What the counter was: the automatic increment's event carries it (lambdas.catalog.OUTBOX).
        "previous_serving_counter": {"N": str(serving_counter - increment_by)},
        "issued_at": {"N": str(int(now_s))},
        "issued_at_ms": {"N": str(int(now_s * 1000))},
        "generation": {"N": str(generation)},
        "expires_at": _ttl(int(now_s)),
    }
    if expiry_watermark is not None:
        item["expiry_watermark"] = {"N": str(expiry_watermark)}
    if idempotency_key is not None:
        item["idempotency_key"] = {"S": idempotency_key}
    try:
        client("dynamodb").put_item(TableName=settings().serving_counter_table, Item=item, **condition)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


@dataclass(frozen=True)
class ServingRecord:
    serving_counter: int
    increment_by: int
    issued_at_ms: int
    expiry_watermark: int | None
    idempotency_key: str | None = None


def serving_records(event_id: str, generation: int) -> Iterator[ServingRecord]:
    """Every serving-counter move of the generation (records written before they carried one are
    of an older generation: nothing reads them back)."""
    for item in _query(
        TableName=settings().serving_counter_table,
        KeyConditionExpression="event_id = :event",
        FilterExpression="generation = :gen",
        ExpressionAttributeValues={":event": {"S": event_id}, ":gen": {"N": str(generation)}},
        ConsistentRead=True,
    ):
        watermark = item.get("expiry_watermark")
        key = item.get("idempotency_key")
        yield ServingRecord(
            serving_counter=int(item["serving_counter"]["N"]),
            increment_by=int(item["increment_by"]["N"]),
            issued_at_ms=int(item["issued_at_ms"]["N"]),
            expiry_watermark=None if watermark is None else int(watermark["N"]),
            idempotency_key=None if key is None else key["S"],
        )


# -- what a rebuild of Redis reads back -----------------------------------------------------------


def _query(**request: Any) -> Iterator[dict[str, Any]]:
    """Every item a query matches, page after page."""
    while True:
        page = client("dynamodb").query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _generation_key(event_id: str) -> dict[str, Any]:
    return {"request_id": {"S": f"generation#{event_id}"}}


def record_generation(event_id: str, generation: int) -> None:
    """Keeps the event's generation (its last reset) where a rebuild of Redis finds it; a write
    never takes it back to an earlier one."""
    try:
        client("dynamodb").put_item(
            TableName=settings().queue_positions_table,
            Item={**_generation_key(event_id), "generation": {"N": str(generation)}},
            ConditionExpression="attribute_not_exists(generation) OR generation < :gen",
            ExpressionAttributeValues={":gen": {"N": str(generation)}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def recorded_generation(event_id: str) -> int:
    item = (
        client("dynamodb")
        .get_item(
            TableName=settings().queue_positions_table, Key=_generation_key(event_id), ConsistentRead=True
        )
        .get("Item")
    )
    return 0 if item is None else int(item["generation"]["N"])


def queue_records(event_id: str, generation: int) -> Iterator[QueueRecord]:
    """Every position of the generation, through the `by_event_position` index."""
    for item in _query(
        TableName=settings().queue_positions_table,
        IndexName="by_event_position",
        KeyConditionExpression="event_generation = :eg",
        ExpressionAttributeValues={":eg": {"S": event_generation(event_id, generation)}},
    ):
        yield QueueRecord.from_item(item)


def token_records(event_id: str, generation: int) -> Iterator[TokenRecord]:
    """Every token of the generation, through the `by_event_expiry` index."""
    for item in _query(
        TableName=settings().tokens_table,
        IndexName="by_event_expiry",
        KeyConditionExpression="event_generation = :eg",
        ExpressionAttributeValues={":eg": {"S": event_generation(event_id, generation)}},
    ):
        yield TokenRecord.from_item(item)
