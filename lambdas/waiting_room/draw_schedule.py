"""The one-time schedule that runs a scheduled sale's draw at its `start_time`.

Each event with a pre-queue has one EventBridge Scheduler schedule, named by its event id, in the
deployment's draw schedule group. It invokes the Draw function with `{"event_id": ...}` and
deletes itself once it has. The events API writes it with the event (`put` on create and on a
change of the sale's times, `remove` on delete) and the local runtime fires the schedule moto
stores, so both runtimes take the same path.

Scheduler fires a schedule somewhere within the minute it names (60 second precision), so the
schedule names a minute that ends at least `precision` seconds before `start_time`, and the draw,
invoked early, waits for `start_time` itself (lambdas/draw.py): it starts within a second of
the sale's start, not up to a minute after it. A sale made or moved to start sooner than that
is drawn as soon as the next whole minute fires.

What if the schedule is never written (Scheduler unavailable when the event was saved), or
fires into a failure? The Draw function also runs on a rate rule (every minute, the catalog's
`DRAW_SWEEP_MINUTES`) that runs every draw that is due and not done. A draw is idempotent and
resumable, so nobody is stranded: the pre-queue is numbered at most one sweep late.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from lambdas.catalog import DRAW_SCHEDULE_ROLE_VARIABLE, DRAW_TARGET_VARIABLE, Resource, Setting
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.registry import EventConfig

# Scheduler's precision on AWS; the local runtime's timers fire to the second (1).
DEFAULT_PRECISION_SECONDS = 60
# How long Scheduler keeps trying to hand the invocation to Lambda: past it, the sweep draws.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 900, "MaximumRetryAttempts": 20}


def precision_seconds() -> int:
    raw = os.environ.get(Setting.SCHEDULER_PRECISION_SECONDS.value, "")
    return int(raw) if raw else DEFAULT_PRECISION_SECONDS


def fire_at(start_time: int, now_s: float, precision: int) -> int:
    """The epoch second the schedule names: a whole `precision` that ends before `start_time`,
    and never one that has begun (Scheduler runs only what lies ahead)."""
    earliest = (int(now_s) // precision + 1) * precision
    latest = (start_time - precision) // precision * precision
    return max(earliest, latest)


def at_expression(epoch_s: int) -> str:
    """Scheduler's one-time expression, read in UTC: `at(yyyy-mm-ddThh:mm:ss)`."""
    return f"at({datetime.fromtimestamp(epoch_s, UTC):%Y-%m-%dT%H:%M:%S})"


def _group() -> str:
    return os.environ[Resource.DRAW_SCHEDULES.value]


def request(event: EventConfig, *, now_s: float | None = None) -> dict[str, Any]:
    """The CreateSchedule (and UpdateSchedule: the same fields) request for the event's draw."""
    now = time.time() if now_s is None else now_s
    return {
        "Name": event.event_id,
        "GroupName": _group(),
        "ScheduleExpression": at_expression(fire_at(event.start_time, now, precision_seconds())),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Description": f"The draw of {event.event_id}, at its start_time {event.start_time}",
        "Target": {
            "Arn": os.environ[DRAW_TARGET_VARIABLE],
            "RoleArn": os.environ[DRAW_SCHEDULE_ROLE_VARIABLE],
            "Input": json.dumps({"event_id": event.event_id}),
            "RetryPolicy": RETRY_POLICY,
        },
    }


def put(event: EventConfig, *, now_s: float | None = None) -> None:
    """Creates or replaces the event's draw schedule (idempotent: the same event, the same schedule)."""
    scheduler = client("scheduler")
    wanted = request(event, now_s=now_s)
    try:
        scheduler.update_schedule(**wanted)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        try:
            scheduler.create_schedule(**wanted)
        except ClientError as raced:
            # Another writer created it between the two calls: ours is the later word.
            if raced.response["Error"]["Code"] != "ConflictException":
                raise
            scheduler.update_schedule(**wanted)


def remove(event_id: str) -> None:
    """Deletes the event's draw schedule; one that already fired (and deleted itself) is fine."""
    try:
        client("scheduler").delete_schedule(Name=event_id, GroupName=_group())
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


def sync(before: EventConfig | None, after: EventConfig | None, *, now_s: float | None = None) -> None:
    """What a change of an event does to its draw schedule: (re)written whenever a sale with a
    pre-queue is saved before its start or its start moves, so that saving the event again
    repairs a schedule that failed to be written; removed with the pre-queue or the event. A
    change after the start leaves alone a schedule that has fired (and deleted itself)."""
    now = time.time() if now_s is None else now_s
    if after is not None and after.prequeue_start:
        moved = before is None or not before.prequeue_start or before.start_time != after.start_time
        if moved or after.start_time > now:
            put(after, now_s=now)
    elif before is not None and (after is None or before.prequeue_start):
        # A deleted event's schedule goes whatever it was (a write that failed half-way leaves none).
        remove(before.event_id)
