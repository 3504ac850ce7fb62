"""The MaxSize inlet: when sessions end, let in as many visitors as left, within capacity.

Invoked by SNS with messages `{"event_id": E?, "exited": N?, "completed": [RID...]?,
"abandoned": [RID...]?}`. The event is named by the `event_id` field or by an SNS message
attribute `event_id` (String), which lets subscriptions filter by event; a message whose field
and attribute name different events is refused as malformed, since acting on either could let
visitors into the wrong event. A message that names no event is for the deployment's own event.

For each event, it closes the listed sessions through the private API, then moves the event's
serving counter by the number of places freed, never above its capacity (capacity minus active
tokens) and never below zero. The capacity is the event's registry record's when its inlet is
"max_size"; the own event's is the inlet stack's parameter while its record names no inlet
(`event_inlets`). Messages for an event that is unknown or has no MaxSize inlet are logged and
dropped: retrying them could not succeed.

All records of one invocation are summed per event before the single capacity check: deciding
per record would read the same capacity twice and could overshoot it. Nothing is kept between
invocations (the reference kept a module-level tally that grew forever).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from inlet_strategies.decisions import max_size_increment
from inlet_strategies.event_inlets import MAX_SIZE, EventInlet, resolve
from inlet_strategies.settings import env_int, env_text
from lambdas.catalog import RESET_VISIBLE_WITHIN_SECONDS, is_event_id
from lambdas.waiting_room import json_input
from lambdas.waiting_room.private_api import RETRYABLE_STATUSES, PrivateApiClient, PrivateApiError
from lambdas.waiting_room.private_api_settings import private_api

logger = Logger(service="inlet-max-size")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
COMPLETED, ABANDONED = 1, -1
# A message naming more sessions than this is refused: one invocation must finish in its timeout.
MAX_IDS_PER_MESSAGE = 1000
FIELDS = {"event_id", "exited", "completed", "abandoned"}


class MalformedMessage(ValueError):
    """The message is not the documented shape; the text says what is wrong, without request ids."""


@dataclass(frozen=True)
class Exits:
    exited: int = 0
    completed: tuple[str, ...] = ()
    abandoned: tuple[str, ...] = ()
    # None: the message names no event (the deployment's own).
    event_id: str | None = None


@dataclass
class Tally:
    """What one invocation did for one event; lives only as long as the invocation."""

    messages: int = 0
    exited: int = 0
    closed: int = 0
    not_closed: int = 0

    @property
    def freed(self) -> int:
        return self.exited + self.closed


def _ids(message: dict[str, Any], name: str) -> tuple[str, ...]:
    value = message.get(name, [])
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedMessage(f"{name} must be a list of request ids")
    if len(value) > MAX_IDS_PER_MESSAGE:
        raise MalformedMessage(f"{name} lists more than {MAX_IDS_PER_MESSAGE} request ids")
    if not all(isinstance(rid, str) and _UUID.fullmatch(rid) for rid in value):
        raise MalformedMessage(f"{name} must hold only request ids (UUIDs)")
    return tuple(rid.lower() for rid in value)


def named_event(message: dict[str, Any], attributes: Any) -> str | None:
    """The event a message names by its `event_id` field or its `event_id` attribute, or None."""
    in_message = message.get("event_id")
    if in_message is not None and not is_event_id(in_message):
        raise MalformedMessage("event_id must be an event id")
    attribute = attributes.get("event_id") if isinstance(attributes, dict) else None
    if attribute is None:
        return in_message
    # Lambda's SNS record: {"event_id": {"Type": "String", "Value": "..."}}.
    if not isinstance(attribute, dict) or attribute.get("Type") != "String":
        raise MalformedMessage("the event_id attribute must be of type String")
    in_attribute = attribute.get("Value")
    if not is_event_id(in_attribute):
        raise MalformedMessage("the event_id attribute must be an event id")
    if in_message is not None and in_message != in_attribute:
        raise MalformedMessage("the event_id field and the event_id attribute name different events")
    return in_attribute


def parse_message(raw: Any, attributes: Any = None) -> Exits:
    """A record's message (and its SNS message attributes) as `Exits`, or MalformedMessage."""
    if not isinstance(raw, str):
        raise MalformedMessage("the SNS message is missing")
    try:
        message = json_input.loads(raw)
    except ValueError as error:  # malformed, nested too deep, or an integer of over 4,300 digits
        raise MalformedMessage("the SNS message is not JSON") from error
    if not isinstance(message, dict):
        raise MalformedMessage("the SNS message must be a JSON object")
    unknown = set(message) - FIELDS
    if unknown:
        raise MalformedMessage(f"unknown fields: {sorted(unknown)[:5]}")
    exited = message.get("exited", 0)
    if exited is None:
        exited = 0
    if isinstance(exited, bool) or not isinstance(exited, int) or exited < 0:
        raise MalformedMessage("exited must be a non-negative integer")
    return Exits(
        exited, _ids(message, "completed"), _ids(message, "abandoned"), named_event(message, attributes)
    )


def close_sessions(client: PrivateApiClient, exits: Exits, tally: Tally, seen: set[str]) -> None:
    """Closes each session once; a 404 (unknown, or already closed) frees no place."""
    for request_ids, status in ((exits.completed, COMPLETED), (exits.abandoned, ABANDONED)):
        for request_id in request_ids:
            # A request id listed twice in one invocation must not free two places.
            if request_id in seen:
                continue
            seen.add(request_id)
            if client.update_session(request_id, status):
                tally.closed += 1
            else:
                tally.not_closed += 1


def admit(client: PrivateApiClient, exits: list[Exits], capacity: int) -> dict[str, Any]:
    """One event's share of the invocation: close its sessions, then let in as many as left."""
    tally = Tally(messages=len(exits))
    seen: set[str] = set()
    for one in exits:
        tally.exited += one.exited
        close_sessions(client, one, tally, seen)
    outcome: dict[str, Any] = {
        "messages": tally.messages,
        "freed": tally.freed,
        "closed": tally.closed,
        "not_closed": tally.not_closed,
    }
    if tally.freed == 0:
        return {"action": "none", **outcome, "increment_by": 0}
    active = client.num_active_tokens()
    increment = max_size_increment(tally.freed, capacity, active)
    outcome.update(active_tokens=active, increment_by=increment)
    if increment == 0:
        return {"action": "none", **outcome}
    return {
        "action": "incremented",
        **outcome,
        "serving_counter": client.increment_serving_counter(increment),
    }


def _exits_by_event(event: dict[str, Any], own_event_id: str) -> tuple[dict[str, list[Exits]], int]:
    """The well-formed messages of the invocation by event, and how many were malformed."""
    by_event: dict[str, list[Exits]] = {}
    malformed = 0
    records = event.get("Records") if isinstance(event, dict) else None
    for index, record in enumerate(records if isinstance(records, list) else []):
        sns = record.get("Sns") if isinstance(record, dict) else None
        sns = sns if isinstance(sns, dict) else {}
        try:
            exits = parse_message(sns.get("Message"), sns.get("MessageAttributes"))
        except MalformedMessage as error:
            malformed += 1
            # The reason names fields, never their values: request ids are bearer secrets.
            logger.warning(
                "skipped a malformed message",
                record=index,
                message_id=sns.get("MessageId"),
                reason=str(error),
            )
            continue
        by_event.setdefault(exits.event_id or own_event_id, []).append(exits)
    return by_event, malformed


# The events' records as last read, and until when they may be used (monotonic seconds).
_recent: tuple[float, list[dict[str, Any]]] = (0.0, [])


def recent_events(client: PrivateApiClient, named: set[str]) -> list[dict[str, Any]]:
    """The events' records, read again when older than the registry's own promise (a change is
    seen within RESET_VISIBLE_WITHIN_SECONDS) or when they lack an event a message names: a burst
    of session ends then costs one `GET /events` per container every few seconds, not one per
    message, and a new event is seen at once."""
    global _recent
    until, records = _recent
    if time.monotonic() >= until or not named <= {record.get("event_id") for record in records}:
        _recent = (time.monotonic() + RESET_VISIBLE_WITHIN_SECONDS, client.list_events())
    return _recent[1]


def run(
    event: dict[str, Any],
    client: PrivateApiClient,
    own: EventInlet,
    *,
    list_events: Callable[[set[str]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """One invocation; `own` is the own event as the inlet stack configures it; `list_events`
    answers the events' records (by default, `GET /events` each time)."""
    by_event, malformed = _exits_by_event(event, own.event_id)
    outcome: dict[str, Any] = {"malformed": malformed, "events": {}}
    if not by_event:
        return outcome
    records = list_events(set(by_event)) if list_events else client.list_events()
    registry = resolve(records, own)
    for event_id, exits in by_event.items():
        inlet = registry.inlets.get(event_id)
        if inlet is None or inlet.inlet != MAX_SIZE:
            reason = (
                f"its inlet is {inlet.inlet}, not max_size"
                if inlet
                else registry.unusable.get(event_id, "no such event")
            )
            logger.warning(
                "dropped messages for an event without a MaxSize inlet", event_id=event_id, reason=reason
            )
            outcome["events"][event_id] = {"action": "dropped", "messages": len(exits), "reason": reason}
            continue
        try:
            outcome["events"][event_id] = admit(client.for_event(event_id), exits, inlet.capacity)
        except PrivateApiError as error:
            if error.status is None or error.status in RETRYABLE_STATUSES:
                # Transient: Lambda retries the invocation, which holds this one message (SNS
                # invokes with one record), so no other event's work is repeated.
                raise
            # Refused (e.g. the event was deleted meanwhile): a retry would be refused again.
            logger.error("the private API refused the MaxSize inlet", event_id=event_id, reason=str(error))
            outcome["events"][event_id] = {"action": "failed", "messages": len(exits), "reason": str(error)}
    return outcome


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    own = EventInlet(env_text("EVENT_ID"), MAX_SIZE, capacity=env_int("INLET_MAX_SIZE", minimum=0))
    client = private_api()
    outcome = run(event, client, own, list_events=lambda named: recent_events(client, named))
    logger.info("max size inlet", **outcome)
    return outcome
