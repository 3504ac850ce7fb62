"""The entry queue's dead-letter queue, drained: each entry is tried again a bounded number of times,
then answered.

SQS moves an entry to the dead-letter queue once the worker failed on it `maxReceiveCount` times
(DynamoDB throttled its position's write, a bug, a batch that timed out). Left there, its visitor
would read 202 "not yet" until the record's limit. Each minute `redrive` puts every entry it finds
back on the entry queue with its `redrives` attribute one higher; an entry that comes back after
`MAX_REDRIVES` redrives is recorded as refused (`not_numbered`), so `/queue_num` answers 410 with
that reason, and is deleted. The record is a DynamoDB item like the worker's refusals, so a Redis
loss keeps the answer, and it is written only where the request id has no record: an entry that
got its position after all (a duplicate numbered) keeps it.

Why by hand and not SQS's own redrive (`StartMessageMoveTask`): a move task sends every message
back as it is, with no count of how often a message made the trip, so an entry that fails every
time (a poisoned one) would circle forever and its visitor would never get an answer. Moving by
hand costs a receive, a send and a delete per entry, paid only when entries fail. Safe to repeat:
an entry is sent before it is deleted, so a run that dies in between sends it twice at most, with
the same count; the worker gives one request id one position (DynamoDB's conditional writes), and
the refusal's write is conditional too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import DEAD_LETTER_POLL_SECONDS
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.entries import message_count, parse_entry
from lambdas.waiting_room.http import logger, masked
from lambdas.waiting_room.records import QueueRecord, record_lost_entry, recorded_generation
from lambdas.waiting_room.settings import settings

REDRIVES = "redrives"  # the message attribute counting how often an entry came back from the DLQ
MAX_REDRIVES = 3
BATCH = 10  # ReceiveMessage's, SendMessageBatch's and DeleteMessageBatch's maximum
# Entries one run handles at most: a flood is drained over several runs, each well inside the
# function's timeout (a receive, a send and a delete per ten entries).
MAX_PER_RUN = 2000
# How long a received entry stays hidden from another run: longer than one batch takes.
HIDDEN_SECONDS = 60
NOT_NUMBERED = "not_numbered"


def _redrives(message: Mapping[str, Any]) -> int:
    return message_count(message, REDRIVES)


def _attributes_again(message: Mapping[str, Any]) -> dict[str, Any]:
    """The message's attributes (the worker's `deferrals`, say), with the redrive counted."""
    kept = {
        name: {key: value for key, value in attribute.items() if key in ("DataType", "StringValue")}
        for name, attribute in (message.get("MessageAttributes") or {}).items()
        if "StringValue" in attribute
    }
    kept[REDRIVES] = {"DataType": "Number", "StringValue": str(_redrives(message) + 1)}
    return kept


@dataclass
class Drained:
    redriven: int = 0
    refused: int = 0
    dropped: int = 0  # not an entry at all: nothing to answer


def depth() -> int:
    """Entries in the dead-letter queue, waiting or being redriven right now (approximate, as SQS
    counts: it may lag a minute)."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=settings().entry_dead_letters_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _refuse(message: Mapping[str, Any], generations: dict[str, int]) -> bool:
    """Records the entry as not numbered; False when the message holds no entry."""
    entry = parse_entry(message["MessageId"], message.get("Body", ""))
    if entry is None:
        return False
    if entry.event_id not in generations:
        generations[entry.event_id] = recorded_generation(entry.event_id)
    record = QueueRecord(
        entry.request_id,
        entry.event_id,
        0,
        entry.entered_at_ms,
        generations[entry.event_id],
        voided=True,
        refusal=NOT_NUMBERED,
    )
    record_lost_entry(record)
    logger.warning(
        f"entry failed after {MAX_REDRIVES} redrives: refused as {NOT_NUMBERED}",
        extra={"request_id": masked(entry.request_id)},
    )
    return True


def _send_back(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Puts entries back on the entry queue; returns those that are there now."""
    if not messages:
        return []
    answer = client("sqs").send_message_batch(
        QueueUrl=settings().entry_queue_url,
        Entries=[
            {"Id": str(index), "MessageBody": m["Body"], "MessageAttributes": _attributes_again(m)}
            for index, m in enumerate(messages)
        ],
    )
    for failure in answer.get("Failed", []):
        logger.warning(
            "an entry could not be put back: it stays in the dead-letter queue",
            extra={"code": failure.get("Code")},
        )
    return [messages[int(sent["Id"])] for sent in answer.get("Successful", [])]


def _delete(messages: list[dict[str, Any]]) -> None:
    if not messages:
        return
    answer = client("sqs").delete_message_batch(
        QueueUrl=settings().entry_dead_letters_url,
        Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)],
    )
    # Not deleted: it is received again after HIDDEN_SECONDS and handled again, at no harm.
    for failure in answer.get("Failed", []):
        logger.warning("a dead letter could not be deleted", extra={"code": failure.get("Code")})


def _receive(count: int) -> list[dict[str, Any]]:
    return (
        client("sqs")
        .receive_message(
            QueueUrl=settings().entry_dead_letters_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=DEAD_LETTER_POLL_SECONDS,
            VisibilityTimeout=HIDDEN_SECONDS,
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )


def redrive(*, max_entries: int = MAX_PER_RUN) -> Drained:
    """One run: every entry in the dead-letter queue is sent back or, past the bound, refused."""
    drained = Drained()
    generations: dict[str, int] = {}
    handled = 0
    while handled < max_entries and (messages := _receive(min(BATCH, max_entries - handled))):
        handled += len(messages)
        done = _send_back([m for m in messages if _redrives(m) < MAX_REDRIVES])
        drained.redriven += len(done)
        for message in (m for m in messages if _redrives(m) >= MAX_REDRIVES):
            if _refuse(message, generations):
                drained.refused += 1
            else:
                drained.dropped += 1
                # Its body may hold a request id (a bearer secret): only the message's id is logged.
                logger.warning(
                    "a dead letter that holds no entry dropped", extra={"message_id": message["MessageId"]}
                )
            done.append(message)
        _delete(done)
    return drained
