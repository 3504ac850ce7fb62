"""A scheduled sale's draw runs from a one-time schedule: the core stack's schedule group, the role
the schedules invoke the Draw function as, and who may write them, each as little as it needs."""

from __future__ import annotations

import re
import string
from typing import Any

import botocore.session
import pytest

from lambdas import catalog
from lambdas.catalog import DRAW_SCHEDULE_ROLE_VARIABLE, DRAW_TARGET_VARIABLE, Resource, Setting
from lambdas.waiting_room import draw_schedule
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import as_list, by_type, catalog_functions, env, flatten


@pytest.fixture(scope="module")
def core(synth: Synth) -> dict[str, Any]:
    return synth.template("core")


def _logical(template: dict[str, Any], name: str) -> str:
    return next(logical for logical, entry in catalog_functions(template).items() if entry == name)


def _schedule_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (role,) = [
        (logical, r)
        for logical, r in by_type(template, "AWS::IAM::Role").items()
        if "scheduler.amazonaws.com"
        in flatten(r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"])
    ]
    return role


def _statements_of_role(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in by_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_one_schedule_group_of_the_deployment_deleted_with_it(core: dict[str, Any]) -> None:
    (group,) = by_type(core, "AWS::Scheduler::ScheduleGroup").values()
    assert group["DeletionPolicy"] == "Delete"
    # No schedule is made by the stack: each sale's is written by the events API.
    assert not by_type(core, "AWS::Scheduler::Schedule")


def test_the_schedules_role_may_only_invoke_the_draw_and_only_scheduler_of_this_account_assumes_it(
    core: dict[str, Any],
) -> None:
    logical, role = _schedule_role(core)
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]
    (statement,) = _statements_of_role(core, logical)
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": [_logical(core, "Draw"), "Arn"]}


def test_only_the_events_function_writes_schedules_of_the_group_and_passes_the_role_to_scheduler(
    core: dict[str, Any],
) -> None:
    ((group, resource),) = by_type(core, "AWS::Scheduler::ScheduleGroup").items()
    group_name = resource["Properties"]["Name"]
    role, _ = _schedule_role(core)
    writers = {f.name for f in catalog.FUNCTIONS if Resource.DRAW_SCHEDULES in dict(f.uses)}
    assert writers == {"Events"}
    for logical, name in catalog_functions(core).items():
        function_role = core["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = _statements_of_role(core, function_role)
        scheduler = [s for s in statements if any(a.startswith("scheduler:") for a in as_list(s["Action"]))]
        passes = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
        assert not any("lambda:InvokeFunction" in as_list(s["Action"]) for s in statements), name
        if name not in writers:
            assert not scheduler and not passes, name
            continue
        (writes,) = scheduler
        # The calls lambdas/waiting_room/draw_schedule.py makes, and no read.
        assert set(as_list(writes["Action"])) == {
            "scheduler:CreateSchedule",
            "scheduler:UpdateSchedule",
            "scheduler:DeleteSchedule",
        }
        assert flatten(writes["Resource"]) == (
            f"arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{group_name}/*"
        )
        (passed,) = passes
        assert passed["Resource"] == {"Fn::GetAtt": [role, "Arn"]}
        assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
        variables = env(core, logical)
        assert variables[Resource.DRAW_SCHEDULES.value] in (group_name, {"Ref": group})
        assert variables[DRAW_TARGET_VARIABLE] == {"Fn::GetAtt": [_logical(core, "Draw"), "Arn"]}
        assert variables[DRAW_SCHEDULE_ROLE_VARIABLE] == {"Fn::GetAtt": [role, "Arn"]}
        assert variables[Setting.SCHEDULER_PRECISION_SECONDS.value] == "60"


def test_the_draws_sweep_runs_each_minute_and_scheduler_is_reached_from_the_vpc(core: dict[str, Any]) -> None:
    draw = _logical(core, "Draw")
    (rule,) = [
        r
        for r in by_type(core, "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [draw, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    # A sale whose one-time schedule fails starts at most a minute late.
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (endpoint,) = [
        e
        for e in by_type(core, "AWS::EC2::VPCEndpoint").values()
        if flatten(e["Properties"]["ServiceName"]).endswith(".scheduler")
    ]
    assert endpoint["Condition"] == "PrivateEndpointsAsked"


def test_every_event_id_is_a_schedule_name_scheduler_accepts_and_the_draw_outlives_its_early_wait(
    core: dict[str, Any],
) -> None:
    """A schedule is named by its event id: Scheduler's own model (botocore's, as AWS checks the
    call) must take every id the registry takes. And a draw fired early waits for its start inside
    its own invocation, so its timeout must be longer than that wait and a draw."""
    model = botocore.session.get_session().get_service_model("scheduler")
    name = model.operation_model("CreateSchedule").input_shape.members["Name"].metadata
    assert name["min"] <= 1 and name["max"] >= catalog.EVENT_ID_MAX_LENGTH
    # Every character an event id may hold, in one id of the longest length.
    longest = (string.ascii_letters + string.digits + "-_").ljust(catalog.EVENT_ID_MAX_LENGTH, "a")
    assert catalog.is_event_id(longest) and re.fullmatch(f"({name['pattern']})", longest)

    draw = core["Resources"][_logical(core, "Draw")]
    longest_wait = 2 * draw_schedule.DEFAULT_PRECISION_SECONDS + 1
    assert draw["Properties"]["Timeout"] > longest_wait + 60
