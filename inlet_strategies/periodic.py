"""The Periodic inlet: on a schedule, let each periodic event's next visitors in.

Each tick lists the events (`GET /events`) and moves every event whose inlet is "periodic" and
whose window (`start_time` .. `end_time`, epoch seconds, end 0 = none) holds now, by its own
`increment_by`; the decision itself is `decisions.periodic_increment`. The deployment's own event
is configured by the inlet stack's parameters unless the registry gives it an inlet
(`event_inlets`). While the named CloudWatch alarm (metric or composite) is in ALARM no event
moves: the alarm guards the protected site, which every event of the deployment shares.

A failure for one event is logged and reported in the outcome; the other events go on.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from inlet_strategies.decisions import periodic_increment, within_window
from inlet_strategies.event_inlets import PERIODIC, EventInlet, resolve
from inlet_strategies.settings import env_int, env_text
from lambdas.waiting_room.private_api import PrivateApiClient
from lambdas.waiting_room.private_api_settings import private_api

logger = Logger(service="inlet-periodic")

ALARM_TYPES = ["CompositeAlarm", "MetricAlarm"]
# Events moved at once. Each takes one or two private API calls that mostly wait on the network.
WORKERS = 16
# No event is started with less than this left of the invocation, so that the calls in flight
# finish (a retry included) before the function's timeout.
RESERVE_SECONDS = 10.0
# Outcomes worth a line each in the log; the others are only counted (an idle event logs nothing).
NOTEWORTHY = ("incremented", "failed", "not_reached")


@dataclass(frozen=True)
class PeriodicConfig:
    """The inlet stack's parameters: the alarm gate, and the own event's inlet."""

    own: EventInlet
    alarm_name: str

    @staticmethod
    def from_environment() -> PeriodicConfig:
        own = EventInlet(
            event_id=env_text("EVENT_ID"),
            inlet=PERIODIC,
            increment_by=env_int("INLET_INCREMENT_BY", minimum=1),
            start_time=env_int("INLET_START_TIME", 0, minimum=0),
            end_time=env_int("INLET_END_TIME", 0, minimum=0),
        )
        return PeriodicConfig(own, os.environ.get("CLOUDWATCH_ALARM_NAME", "").strip())


def alarm_blocks(cloudwatch: Any, alarm_name: str) -> bool:
    """True when the alarm is in ALARM, or cannot be found.

    A missing alarm is a configuration mistake; admitting visitors anyway would defeat the only
    safety the operator asked for, so the inlet holds back and says why.
    """
    answer = cloudwatch.describe_alarms(AlarmNames=[alarm_name], AlarmTypes=ALARM_TYPES)
    alarms = [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]
    if not alarms:
        logger.error("the CloudWatch alarm that gates the inlet does not exist", alarm=alarm_name)
        return True
    return any(alarm.get("StateValue") == "ALARM" for alarm in alarms)


def move_event(event: EventInlet, client: PrivateApiClient) -> dict[str, Any]:
    """One event's period: what was done, for the outcome."""
    counters = client.counters()
    serving, queue = int(counters["serving_counter"]), int(counters["queue_counter"])
    increment = periodic_increment(serving, queue, event.increment_by)
    if increment == 0:
        return {"action": "none", "serving_counter": serving, "queue_counter": queue}
    new_serving = client.increment_serving_counter(increment)
    return {"action": "incremented", "increment_by": increment, "serving_counter": new_serving}


def run(
    config: PeriodicConfig,
    client: PrivateApiClient,
    *,
    now: float,
    cloudwatch: Any = None,
    seconds_left: Callable[[], float] = lambda: float("inf"),
) -> dict[str, Any]:
    """One tick for every event: returns what was done, for the log and for tests."""
    if config.alarm_name and alarm_blocks(cloudwatch or boto3.client("cloudwatch"), config.alarm_name):
        return {"action": "skipped", "reason": f"alarm {config.alarm_name} is in ALARM"}
    registry = resolve(client.list_events(), config.own)
    events: dict[str, dict[str, Any]] = {}
    due = []
    for event in registry.of(PERIODIC):
        if within_window(now, event.start_time, event.end_time):
            due.append(event)
        else:  # costs no call
            events[event.event_id] = {"action": "skipped", "reason": "outside its window"}
    # Should the tick run out of time, a different set of events waits each time, not the last ones.
    random.shuffle(due)

    def move(event: EventInlet) -> dict[str, Any]:
        if seconds_left() < RESERVE_SECONDS:
            return {"action": "not_reached", "reason": "the tick ran out of time"}
        try:
            return move_event(event, client.for_event(event.event_id))
        except Exception as error:  # one event's failure must not stop the others
            logger.exception("the periodic inlet failed for an event", event_id=event.event_id)
            return {"action": "failed", "reason": f"{type(error).__name__}: {error}"[:300]}

    with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(due)))) as pool:
        events.update(zip((event.event_id for event in due), pool.map(move, due), strict=True))
    outcome: dict[str, Any] = {
        "action": "ran",
        "counts": dict(Counter(result["action"] for result in events.values())),
        "events": dict(sorted(events.items())),
    }
    if registry.unusable:
        outcome["unusable"] = registry.unusable
    return outcome


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    outcome = run(
        PeriodicConfig.from_environment(),
        private_api(),
        now=time.time(),
        seconds_left=(lambda: remaining() / 1000) if remaining else lambda: float("inf"),
    )
    noteworthy = {k: v for k, v in outcome.get("events", {}).items() if v["action"] in NOTEWORTHY}
    logger.info("periodic inlet", **{**outcome, "events": noteworthy})
    return outcome
