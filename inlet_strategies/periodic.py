"""The Periodic inlet: on a schedule, let in up to `increment_by` more visitors.

Skipped outside its window (INLET_START_TIME .. INLET_END_TIME, epoch seconds, end 0 = none) and
while the named CloudWatch alarm (metric or composite) is in ALARM, so that a struggling site is
not sent more visitors. The decision itself is `decisions.periodic_increment`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from inlet_strategies.decisions import periodic_increment, within_window
from inlet_strategies.settings import env_int
from lambdas.waiting_room.private_api import PrivateApiClient
from lambdas.waiting_room.private_api_settings import private_api

logger = Logger(service="inlet-periodic")

ALARM_TYPES = ["CompositeAlarm", "MetricAlarm"]


@dataclass(frozen=True)
class PeriodicConfig:
    increment_by: int
    start_time: int
    end_time: int
    alarm_name: str

    @staticmethod
    def from_environment() -> PeriodicConfig:
        return PeriodicConfig(
            increment_by=env_int("INLET_INCREMENT_BY", minimum=1),
            start_time=env_int("INLET_START_TIME", 0, minimum=0),
            end_time=env_int("INLET_END_TIME", 0, minimum=0),
            alarm_name=os.environ.get("CLOUDWATCH_ALARM_NAME", "").strip(),
        )


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


def run(
    config: PeriodicConfig,
    client: PrivateApiClient,
    *,
    now: float,
    cloudwatch: Any = None,
) -> dict[str, Any]:
    """One period: returns what was done, for the log and for tests."""
    if not within_window(now, config.start_time, config.end_time):
        return {"action": "skipped", "reason": "outside the inlet's time window"}
    if config.alarm_name and alarm_blocks(cloudwatch or boto3.client("cloudwatch"), config.alarm_name):
        return {"action": "skipped", "reason": f"alarm {config.alarm_name} is in ALARM"}
    counters = client.counters()
    serving, queue = int(counters["serving_counter"]), int(counters["queue_counter"])
    increment = periodic_increment(serving, queue, config.increment_by)
    if increment == 0:
        return {"action": "none", "serving_counter": serving, "queue_counter": queue}
    new_serving = client.increment_serving_counter(increment)
    return {"action": "incremented", "increment_by": increment, "serving_counter": new_serving}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = run(PeriodicConfig.from_environment(), private_api(), now=time.time())
    logger.info("periodic inlet", **outcome)
    return outcome
