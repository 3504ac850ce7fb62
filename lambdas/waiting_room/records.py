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
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambdas.waiting_room import json_input
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.settings import settings

BATCH_LIMIT = 25  # DynamoDB BatchWriteItem's maximum


def _ttl(from_s: int) -> dict[str, str]:
    return {"N": str(from_s + settings().record_ttl_seconds)}


ENTRY_ENTERED, ENTRY_VOIDED = 1, -1


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

    def item(self) -> dict[str, dict[str, str]]:
        return {
            "request_id": {"S": self.request_id},
            "event_id": {"S": self.event_id},
            "queue_position": {"N": str(self.position)},
            "entered_at": {"N": str(self.entered_at_ms)},
            "generation": {"N": str(self.generation)},
            "status": {"N": str(ENTRY_VOIDED if self.voided else ENTRY_ENTERED)},
            "expires_at": _ttl(self.entered_at_ms // 1000),
        }


def write_queue_records(records: list[QueueRecord], *, attempts: int = 5) -> set[str]:
    """Writes positions with BatchWriteItem, 25 a call, retrying unprocessed items with backoff.

    Returns the request ids that could still not be written, so their messages can be retried.
    """
    table = settings().queue_positions_table
    unique = {record.request_id: record for record in records}  # a batch may not repeat a key
    pending = [record.item() for record in unique.values()]
    failed: set[str] = set()
    for start in range(0, len(pending), BATCH_LIMIT):
        chunk = [{"PutRequest": {"Item": item}} for item in pending[start : start + BATCH_LIMIT]]
        for attempt in range(attempts):
            unprocessed = (
                client("dynamodb").batch_write_item(RequestItems={table: chunk}).get("UnprocessedItems")
            )
            chunk = (unprocessed or {}).get(table, [])
            if not chunk:
                break
            time.sleep(min(1.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
        failed.update(request["PutRequest"]["Item"]["request_id"]["S"] for request in chunk)
    return failed


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
    if item is None:
        return None
    return QueueRecord(
        request_id=request_id,
        event_id=item["event_id"]["S"],
        position=int(item["queue_position"]["N"]),
        entered_at_ms=int(item["entered_at"]["N"]),
        generation=int(item.get("generation", {"N": "0"})["N"]),
        voided=int(item.get("status", {"N": str(ENTRY_ENTERED)})["N"]) == ENTRY_VOIDED,
    )


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
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadCursor("cursor is not valid")
    try:
        key = json_input.loads(base64.urlsafe_b64decode(cursor.encode()))
        valid = (
            isinstance(key, dict)
            and key.get("event_generation") == {"S": partition}
            and isinstance(key.get("request_id", {}).get("S"), str)
            and isinstance(key.get("token_expires_at", {}).get("N"), str)
        )
    except (ValueError, binascii.Error, UnicodeDecodeError, AttributeError) as error:
        raise BadCursor("cursor is not valid") from error
    if not valid:
        raise BadCursor("cursor is not valid")
    return key


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
    event_id: str, serving_counter: int, increment_by: int, now_s: int, *, only_if_missing: bool = False
) -> None:
    """The durable trail of serving-counter moves (who was let in when).

    `only_if_missing`: a retry completing the trail its first call may not have written keeps
    that call's record if it exists. (A reset starts the counter again, so a new move may replace
    an old generation's record.)
    """
    condition = {"ConditionExpression": "attribute_not_exists(serving_counter)"} if only_if_missing else {}
    try:
        client("dynamodb").put_item(
            TableName=settings().serving_counter_table,
            Item={
                "event_id": {"S": event_id},
                "serving_counter": {"N": str(serving_counter)},
                "increment_by": {"N": str(increment_by)},
                "issued_at": {"N": str(now_s)},
                "expires_at": _ttl(now_s),
            },
            **condition,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
