"""The MaxSize inlet: when sessions end, let in as many visitors as left, within capacity.

Invoked by SNS with messages `{"exited": N?, "completed": [RID...]?, "abandoned": [RID...]?}`.
It closes the listed sessions through the private API, then moves the serving counter by the
number of places freed, never above capacity (max size minus active tokens) and never below zero.

All records of one invocation are summed before the single capacity check: deciding per record
would read the same capacity twice and could overshoot it. Nothing is kept between invocations
(the reference kept a module-level tally that grew forever).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from inlet_strategies.decisions import max_size_increment
from inlet_strategies.settings import env_int
from lambdas.waiting_room import json_input
from lambdas.waiting_room.private_api import PrivateApiClient
from lambdas.waiting_room.private_api_settings import private_api

logger = Logger(service="inlet-max-size")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
COMPLETED, ABANDONED = 1, -1
# A message naming more sessions than this is refused: one invocation must finish in its timeout.
MAX_IDS_PER_MESSAGE = 1000


class MalformedMessage(ValueError):
    """The message is not the documented shape; the text says what is wrong, without request ids."""


@dataclass(frozen=True)
class Exits:
    exited: int = 0
    completed: tuple[str, ...] = ()
    abandoned: tuple[str, ...] = ()


@dataclass
class Tally:
    """What one invocation did; lives only as long as the invocation."""

    exited: int = 0
    closed: int = 0
    not_closed: int = 0
    malformed: int = 0

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


def parse_message(raw: Any) -> Exits:
    """A record's message as `Exits`, or MalformedMessage."""
    if not isinstance(raw, str):
        raise MalformedMessage("the SNS message is missing")
    try:
        message = json_input.loads(raw)
    except ValueError as error:  # malformed, nested too deep, or an integer of over 4,300 digits
        raise MalformedMessage("the SNS message is not JSON") from error
    if not isinstance(message, dict):
        raise MalformedMessage("the SNS message must be a JSON object")
    unknown = set(message) - {"exited", "completed", "abandoned"}
    if unknown:
        raise MalformedMessage(f"unknown fields: {sorted(unknown)[:5]}")
    exited = message.get("exited", 0)
    if exited is None:
        exited = 0
    if isinstance(exited, bool) or not isinstance(exited, int) or exited < 0:
        raise MalformedMessage("exited must be a non-negative integer")
    return Exits(exited, _ids(message, "completed"), _ids(message, "abandoned"))


def close_sessions(client: PrivateApiClient, exits: Exits, tally: Tally) -> None:
    """Closes each session once; a 404 (unknown, or already closed) frees no place."""
    # A request id listed twice in one message must not free two places.
    seen: set[str] = set()
    for request_ids, status in ((exits.completed, COMPLETED), (exits.abandoned, ABANDONED)):
        for request_id in request_ids:
            if request_id in seen:
                continue
            seen.add(request_id)
            if client.update_session(request_id, status):
                tally.closed += 1
            else:
                tally.not_closed += 1


def run(event: dict[str, Any], client: PrivateApiClient, max_size: int) -> dict[str, Any]:
    tally = Tally()
    records = event.get("Records") if isinstance(event, dict) else None
    for index, record in enumerate(records if isinstance(records, list) else []):
        try:
            sns = record.get("Sns") if isinstance(record, dict) else None
            exits = parse_message(sns.get("Message") if isinstance(sns, dict) else None)
        except MalformedMessage as error:
            tally.malformed += 1
            message_id = sns.get("MessageId") if isinstance(sns, dict) else None
            # The reason names fields, never their values: request ids are bearer secrets.
            logger.warning(
                "skipped a malformed message", record=index, message_id=message_id, reason=str(error)
            )
            continue
        tally.exited += exits.exited
        close_sessions(client, exits, tally)

    outcome: dict[str, Any] = {
        "freed": tally.freed,
        "closed": tally.closed,
        "not_closed": tally.not_closed,
        "malformed": tally.malformed,
    }
    if tally.freed == 0:
        return {**outcome, "increment_by": 0}
    active = client.num_active_tokens()
    increment = max_size_increment(tally.freed, max_size, active)
    outcome.update(active_tokens=active, increment_by=increment)
    if increment > 0:
        outcome["serving_counter"] = client.increment_serving_counter(increment)
    return outcome


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = run(event, private_api(), env_int("INLET_MAX_SIZE", minimum=0))
    logger.info("max size inlet", **outcome)
    return outcome
