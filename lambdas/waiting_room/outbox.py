"""Stream records -> the events they are (lambdas.catalog.OUTBOX) -> the deployment's bus.

A handler's write is the event, so no event is lost once its record is written, and the hot path
makes no PutEvents call. The outbox function reads the tables' streams through Lambda's event
source mappings (filtered to the catalog's events), and the local runtime's stream poller
invokes the same function with moto's records.

Delivery is at least once: a record whose event the bus did not take is reported as failed
(a partial batch response), and the mapping reads it again; its detail's `dedup_id` is the same
on every delivery. A record that matches an event but cannot be read as one (a field missing or
of the wrong type) is reported as failed too, so it ends on the failure queue after the
mapping's retries instead of vanishing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.catalog import EVENT_SOURCE, OUTBOX, OutboxEvent
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.http import logger

# The PutEvents limit on entries per call.
PUT_LIMIT = 10
# An integer detail field beyond this is no count of visitors: refused, not put.
LARGEST_INTEGER = 2**53 - 1


class MalformedRecord(ValueError):
    """The record matches an event's filter but does not carry what the event needs."""


def details(
    record: dict[str, Any], events: Sequence[OutboxEvent] = OUTBOX
) -> list[tuple[str, dict[str, Any]]]:
    """(detail type, detail) of every event the stream record is; [] for a change that is none."""
    return [(event.detail_type, _detail(event, record)) for event in events if event.matches(record)]


def _detail(event: OutboxEvent, record: dict[str, Any]) -> dict[str, Any]:
    image = record["dynamodb"]["NewImage"]
    detail: dict[str, Any] = {
        field.name: _value(image, field.attribute, field.type) for field in event.fields
    }
    names = [str(_value(image, attribute, _type_of(image, attribute))) for attribute in event.dedup]
    detail["dedup_id"] = ":".join([event.detail_type, *names])
    return detail


def _type_of(image: dict[str, Any], attribute: str) -> str:
    value = image.get(attribute)
    return "N" if isinstance(value, dict) and "N" in value else "S"


def _value(image: dict[str, Any], attribute: str, kind: str) -> str | int:
    value = image.get(attribute)
    if not isinstance(value, dict) or not isinstance(value.get(kind), str):
        raise MalformedRecord(f"{attribute} is not of type {kind}")
    text = value[kind]
    if kind == "S":
        if not text:
            raise MalformedRecord(f"{attribute} is empty")
        return text
    # DynamoDB numbers may be decimals or exponents: only whole numbers are counts.
    if not text.lstrip("-").isdigit() or abs(int(text)) > LARGEST_INTEGER:
        raise MalformedRecord(f"{attribute} is not an integer")
    return int(text)


@dataclass(frozen=True)
class Delivery:
    """One record's events as PutEvents entries, and the record's stream position."""

    sequence_number: str
    entries: tuple[dict[str, str], ...]


def entries(
    detail_types_and_details: Iterable[tuple[str, dict[str, Any]]], bus: str
) -> tuple[dict[str, str], ...]:
    return tuple(
        {"Source": EVENT_SOURCE, "DetailType": kind, "Detail": json.dumps(detail), "EventBusName": bus}
        for kind, detail in detail_types_and_details
    )


def put(deliveries: Sequence[Delivery]) -> set[str]:
    """Puts every delivery's entries, up to ten a call; returns the sequence numbers of the
    records with an entry the bus did not take (the whole call's, when the call failed).

    The first call that fails ends the put: the mapping reads the stream again from the first
    failed record, so the records after it come again anyway and putting them now would put
    their events twice. They are reported failed too.
    """
    flat = [(delivery.sequence_number, entry) for delivery in deliveries for entry in delivery.entries]
    for start in range(0, len(flat), PUT_LIMIT):
        failed = _put_chunk(flat[start : start + PUT_LIMIT])
        if failed:
            return failed | {sequence for sequence, _ in flat[start + PUT_LIMIT :]}
    return set()


def _put_chunk(chunk: Sequence[tuple[str, dict[str, str]]]) -> set[str]:
    """One PutEvents call; the sequence numbers of the records with an entry it did not take."""
    try:
        answer = client("events").put_events(Entries=[entry for _, entry in chunk])
    except (ClientError, BotoCoreError):
        # The entries carry request ids (bearer secrets): their number is all that is logged.
        logger.exception("PutEvents failed", extra={"entries": len(chunk)})
        return {sequence for sequence, _ in chunk}
    if not answer.get("FailedEntryCount"):
        return set()
    results = answer.get("Entries", [])
    return {
        sequence
        for index, (sequence, _) in enumerate(chunk)
        if index >= len(results) or results[index].get("ErrorCode")
    }
