"""Entries that wait for Redis without burning their receives.

While Redis is unreachable or its state is being rebuilt, no entry can take a position. Failing
the batch would have SQS count a receive each visibility timeout, and after `maxReceiveCount` of
them the entries would sit in the dead-letter queue with nothing to bring them back. Instead the
worker puts each entry back on the entry queue as a new message with a growing delay and reports
the old one done: the entry keeps its arrival time (so its place in line) and a fresh receive
count. This costs SQS calls only while Redis is away; the normal path pays nothing.

An entry that has waited longer than `MAX_WAIT_MS` for a position is recorded as lost, so the
visitor's `/queue_num` answers 410 `lost` instead of 202 forever.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from lambdas.catalog import ENTRY_MESSAGE_FIELDS
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.dead_letters import REDRIVES
from lambdas.waiting_room.entries import Entry, message_count
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.records import QueueRecord, record_lost_entry
from lambdas.waiting_room.settings import settings

DEFERRALS = "deferrals"  # the message attribute counting how often an entry was put back
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 900  # SQS's maximum DelaySeconds
MAX_WAIT_MS = 6 * 3600 * 1000
SEND_LIMIT = 10  # SendMessageBatch's maximum


def deferrals(record: Mapping[str, Any]) -> int:
    """How often the entry of an SQS record was put back already."""
    return message_count(record, DEFERRALS)


def delay_seconds(times_deferred: int) -> int:
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(times_deferred, 10))


def _message(entry: Entry) -> dict[str, Any]:
    """The entry as the integration wrote it: its arrival time, and its proof of work if any."""
    body: dict[str, Any] = dict(
        zip(ENTRY_MESSAGE_FIELDS, (entry.event_id, entry.request_id, entry.entered_at_ms), strict=True)
    )
    if entry.pow is not None:
        body["pow"] = entry.pow
    return body


def _attributes(times_deferred: int, redrives: int) -> dict[str, Any]:
    attributes = {DEFERRALS: {"DataType": "Number", "StringValue": str(times_deferred)}}
    if redrives:
        attributes[REDRIVES] = {"DataType": "Number", "StringValue": str(redrives)}
    return attributes


def defer(
    entries: list[Entry],
    times_deferred: Mapping[str, int],
    why: str = "redis unavailable",
    redriven: Mapping[str, int] | None = None,
) -> set[str]:
    """Puts entries back on the entry queue (or records them lost); returns the message ids that
    could not be, which the worker reports as failed so SQS delivers them again."""
    now_ms = int(time.time() * 1000)
    lost = [e for e in entries if now_ms - e.entered_at_ms > MAX_WAIT_MS]
    for entry in lost:
        logger.warning("entry waited too long for a position: recorded as lost")
        record_lost_entry(QueueRecord(entry.request_id, entry.event_id, 0, entry.entered_at_ms, 0, lost=True))
    waiting = [e for e in entries if e not in lost]
    failed: set[str] = set()
    queue_url = settings().entry_queue_url
    for start in range(0, len(waiting), SEND_LIMIT):
        chunk = waiting[start : start + SEND_LIMIT]
        answer = client("sqs").send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": json.dumps(_message(e)),
                    "DelaySeconds": delay_seconds(times_deferred.get(e.message_id, 0)),
                    "MessageAttributes": _attributes(
                        times_deferred.get(e.message_id, 0) + 1, (redriven or {}).get(e.message_id, 0)
                    ),
                }
                for index, e in enumerate(chunk)
            ],
        )
        failed.update(chunk[int(f["Id"])].message_id for f in answer.get("Failed", []))
    if waiting:
        logger.warning(f"{why}: entries put back on the queue", extra={"entries": len(waiting)})
    return failed
