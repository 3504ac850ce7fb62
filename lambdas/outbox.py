"""Triggered by the tables' streams: puts the events that are record changes on the bus.

The mapping (lambdas/waiting_room/outbox.py) and the batching live in the domain module; this
handler reports, record by record, what did not reach the bus (partial batch responses), so
the event source mapping reads those records again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from lambdas.waiting_room import outbox
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.settings import settings
from lambdas.waiting_room.tracing import traced


class NotDelivered(RuntimeError):
    """The record's events did not all reach the bus."""


@traced
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bus = settings().event_bus_name
    deliveries: list[outbox.Delivery] = []
    failed: set[str] = set()
    for record in event.get("Records", []):
        sequence = record["dynamodb"]["SequenceNumber"]
        if failed:
            # A stream is read again from its first failed record: those after it come again too,
            # so putting them now would only put them twice.
            failed.add(sequence)
            continue
        try:
            deliveries.append(outbox.Delivery(sequence, outbox.entries(outbox.details(record), bus)))
        except outbox.MalformedRecord as error:
            logger.error(
                "stream record is no event", extra={"sequence_number": sequence, "reason": str(error)}
            )
            failed.add(sequence)
    failed |= outbox.put(deliveries)

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in failed:
            raise NotDelivered(record.dynamodb.sequence_number)

    # A processor per invocation: it holds the batch's results (the local runtime may share a process).
    # A batch whose every record failed is answered record by record too, not raised: a passing
    # throttle on a small batch is then no Lambda error, and records that stay stuck show in the
    # iterator age and on the failure queue, which have alarms of their own.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
