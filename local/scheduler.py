"""EventBridge Scheduler's one-time schedules, fired from what the moto server stores.

The handlers write schedules with the real API (moto keeps them and fires nothing); this poller
reads them back and does what Scheduler does: at the time an `at(...)` expression names (UTC),
it invokes the target function asynchronously with the schedule's input, then deletes a schedule
whose `ActionAfterCompletion` is DELETE. It fires to the second, where Scheduler fires within the
minute named: the local runtime tells the handlers so (SCHEDULER_PRECISION_SECONDS).
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("vwr.local.scheduler")

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def due_at(schedule: dict[str, Any]) -> float | None:
    """The epoch second a one-time schedule fires; None for any other (rate and cron are the
    catalog's timers, local/timers.py). Only UTC is read, the one zone the handlers write."""
    match = _AT.match(schedule.get("ScheduleExpression", ""))
    if match is None or schedule.get("ScheduleExpressionTimezone", "UTC") != "UTC":
        return None
    return float(calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")))


class OneTimeSchedules:
    """Fires what is due in one schedule group, each `poll()` (the runtime polls it on a timer)."""

    def __init__(
        self,
        scheduler: Any,
        group: str,
        invoke: Callable[[str, dict[str, Any]], Any],
    ) -> None:
        self._scheduler = scheduler
        self._group = group
        self._invoke = invoke
        # Schedules kept after firing (ActionAfterCompletion NONE) fire once per expression.
        self._fired: set[tuple[str, str]] = set()

    def poll(self, now: float | None = None) -> list[str]:
        """Fires every schedule that is due; returns their names."""
        now = time.time() if now is None else now
        fired = []
        pages = self._scheduler.get_paginator("list_schedules").paginate(GroupName=self._group)
        for summary in (s for page in pages for s in page["Schedules"]):
            name = summary["Name"]
            schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group)
            at = due_at(schedule)
            key = (name, schedule["ScheduleExpression"])
            if at is None or at > now or schedule.get("State") == "DISABLED" or key in self._fired:
                continue
            self._fire(schedule)
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self._scheduler.delete_schedule(Name=name, GroupName=self._group)
            else:
                self._fired.add(key)
            fired.append(name)
        return fired

    def _fire(self, schedule: dict[str, Any]) -> None:
        # Scheduler hands Lambda an asynchronous invocation: the poller does not wait for it.
        target = schedule["Target"]
        function = target["Arn"].rsplit(":", 1)[-1]
        payload = json.loads(target.get("Input") or "{}")

        def run() -> None:
            try:
                self._invoke(function, payload)
            except Exception:
                logger.exception("the schedule %s failed to run %s", schedule["Name"], function)

        threading.Thread(target=run, name=f"vwr-schedule-{schedule['Name']}", daemon=True).start()
