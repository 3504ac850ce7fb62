"""A scheduled sale's draw schedule: the events API writes, moves and deletes it on the moto server."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lambdas import catalog, events
from lambdas.catalog import DRAW_SCHEDULE_ROLE_VARIABLE, DRAW_TARGET_VARIABLE, Resource
from lambdas.waiting_room import audit, aws, draw_schedule, registry
from local.scheduler import OneTimeSchedules
from tests.integration.conftest import Core, call

HOUR = 3600


def schedule_of(core: Core, event_id: str) -> dict[str, Any] | None:
    scheduler = aws.client("scheduler")
    try:
        return scheduler.get_schedule(Name=event_id, GroupName=core.env[Resource.DRAW_SCHEDULES.value])
    except scheduler.exceptions.ResourceNotFoundException:
        return None


def create_sale(event_id: str, starts: int) -> tuple[int, dict]:
    body = {"event_id": event_id, "prequeue_start": starts - 60, "start_time": starts}
    return call(events.handler, "POST", "/events", body=body)


def patch(event_id: str, body: dict[str, Any]) -> tuple[int, dict]:
    return call(
        events.handler,
        "PATCH",
        f"/events/{event_id}",
        body=body,
        resource="/events/{event_id}",
        path_parameters={"event_id": event_id},
    )


def delete(event_id: str) -> tuple[int, dict]:
    return call(
        events.handler,
        "DELETE",
        f"/events/{event_id}",
        resource="/events/{event_id}",
        path_parameters={"event_id": event_id},
    )


@pytest.fixture(autouse=True)
def no_schedules(core: Core) -> None:
    """The group as a new deployment has it: no schedule left by an earlier test."""
    scheduler, group = aws.client("scheduler"), core.env[Resource.DRAW_SCHEDULES.value]
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
        for schedule in page["Schedules"]:
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)


@pytest.fixture
def precision(monkeypatch: pytest.MonkeyPatch) -> int:
    """Scheduler's own precision, as deployed: a minute."""
    monkeypatch.setenv("SCHEDULER_PRECISION_SECONDS", "60")
    return 60


def test_a_sale_gets_a_one_time_schedule_that_invokes_its_draw(core: Core, precision: int) -> None:
    starts = (int(time.time()) // HOUR + 2) * HOUR + 30  # hh:00:30, two hours ahead at most
    sale = {"event_id": "concert", "prequeue_start": starts - HOUR, "start_time": starts}
    status, body = call(events.handler, "POST", "/events", body=sale)
    assert status == 201, body

    schedule = schedule_of(core, "concert")
    assert schedule is not None
    # The minute before the start: Scheduler fires within it, and the draw waits for the second.
    fires = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(starts - 90))
    assert schedule["ScheduleExpression"] == f"at({fires})"
    assert fires.endswith(":59:00")
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert json.loads(target["Input"]) == {"event_id": "concert"}
    assert target["Arn"] == core.env[DRAW_TARGET_VARIABLE]
    assert target["RoleArn"] == core.env[DRAW_SCHEDULE_ROLE_VARIABLE]
    assert target["RetryPolicy"] == draw_schedule.RETRY_POLICY


def test_moving_the_start_moves_the_schedule_and_removing_the_pre_queue_or_the_event_deletes_it(
    core: Core, precision: int
) -> None:
    starts = (int(time.time()) // HOUR + 3) * HOUR
    create_sale("moved", starts)
    status, body = patch("moved", {"start_time": starts + HOUR})
    assert status == 200, body
    later = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(starts + HOUR - 60))
    assert schedule_of(core, "moved")["ScheduleExpression"] == f"at({later})"  # type: ignore[index]

    status, body = patch("moved", {"prequeue_start": 0})
    assert status == 200, body
    assert schedule_of(core, "moved") is None

    assert patch("moved", {"prequeue_start": starts})[0] == 200
    assert schedule_of(core, "moved") is not None
    assert delete("moved")[0] == 200
    assert schedule_of(core, "moved") is None


def test_an_event_without_a_pre_queue_has_no_schedule_and_deleting_one_whose_schedule_fired_is_fine(
    core: Core, precision: int
) -> None:
    assert call(events.handler, "POST", "/events", body={"event_id": "plain", "start_time": 0})[0] == 201
    assert schedule_of(core, "plain") is None

    starts = int(time.time()) + HOUR
    create_sale("fired", starts)
    # What Scheduler does after invoking the draw (ActionAfterCompletion DELETE).
    draw_schedule.remove("fired")
    assert delete("fired")[0] == 200


def test_a_sale_saved_again_before_its_start_rewrites_a_schedule_that_was_lost(
    core: Core, precision: int
) -> None:
    starts = int(time.time()) + HOUR
    create_sale("repaired", starts)
    draw_schedule.remove("repaired")  # as if the write had failed after the event's
    assert patch("repaired", {"name": "Repaired"})[0] == 200
    assert schedule_of(core, "repaired") is not None


def test_a_schedule_that_cannot_be_written_does_not_fail_the_saved_event(
    core: Core, precision: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(Resource.DRAW_SCHEDULES.value, "no-such-group")
    starts = int(time.time()) + HOUR
    status, body = create_sale("unscheduled", starts)
    assert status == 201, body
    assert body["start_time"] == starts


class _TimedOut(BaseException):
    """Lambda ending an invocation at its timeout: nothing after it in the handler runs."""


def test_a_slow_scheduler_cannot_cost_a_saved_event_its_audit_line(
    core: Core, precision: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    monkeypatch.setattr(audit.logger, "info", lambda message, extra: lines.append(extra["audit_action"]))

    def runs_out_of_time(before, after) -> None:
        raise _TimedOut

    monkeypatch.setattr(draw_schedule, "sync", runs_out_of_time)
    with pytest.raises(_TimedOut):
        create_sale("slow", int(time.time()) + HOUR)
    assert lines == ["create_event"] and registry.read("slow") is not None
    # And the schedule's client gives up well inside the events function's timeout.
    config = aws.client("scheduler").meta.config
    longest = config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout)
    assert longest < catalog.by_name("Events").timeout_seconds


def test_the_schedule_fires_before_the_start_and_never_in_a_minute_that_has_begun() -> None:
    now = 1_900_000_000.5  # 2030-03-17T17:46:40.5Z
    start_of_minute = 1_900_000_000 // 60 * 60
    # Far ahead: the whole minute before the start's own minute.
    assert draw_schedule.fire_at(1_900_003_630, now, 60) == (1_900_003_630 - 60) // 60 * 60
    # Soon: the next whole minute, even when that is after the start.
    assert draw_schedule.fire_at(1_900_000_030, now, 60) == start_of_minute + 60
    # To the second (the local runtime): a second before the start.
    assert draw_schedule.fire_at(1_900_000_012, now, 1) == 1_900_000_011
    assert draw_schedule.at_expression(1_900_000_000) == "at(2030-03-17T17:46:40)"


def test_the_local_runtime_fires_a_due_schedule_once_and_deletes_it(core: Core) -> None:
    """local/scheduler.py does with moto's schedules what Scheduler does with real ones."""
    starts = int(time.time()) + HOUR
    create_sale("local", starts)
    fired: list[tuple[str, dict]] = []
    schedules = OneTimeSchedules(
        aws.client("scheduler"),
        core.env[Resource.DRAW_SCHEDULES.value],
        lambda name, payload: fired.append((name, payload)),
    )
    at = draw_schedule.fire_at(starts, time.time(), draw_schedule.precision_seconds())
    assert schedules.poll(now=at - 1) == []
    assert schedules.poll(now=at) == ["local"]
    deadline = time.monotonic() + 5
    while not fired and time.monotonic() < deadline:  # invoked asynchronously, as Lambda is
        time.sleep(0.05)
    assert fired == [("Draw", {"event_id": "local"})]
    assert schedule_of(core, "local") is None
    assert schedules.poll(now=at + 60) == []
