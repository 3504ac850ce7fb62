"""Helpers for CloudFormation parameters shared by the stacks."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnParameter, Fn
from constructs import Construct

from lambdas.catalog import EVENT_ID_PATTERN


def flag(scope: Construct, name: str, default: bool, description: str) -> CfnParameter:
    return CfnParameter(
        scope,
        name,
        type="String",
        allowed_values=["true", "false"],
        default="true" if default else "false",
        description=description,
    )


def is_true(scope: Construct, name: str, parameter: CfnParameter) -> CfnCondition:
    return CfnCondition(scope, name, expression=Fn.condition_equals(parameter.value_as_string, "true"))


def event_id(scope: Construct) -> CfnParameter:
    return CfnParameter(
        scope,
        "EventId",
        type="String",
        default="Sample",
        allowed_pattern=EVENT_ID_PATTERN,
        description="The event id: a letter or digit, then letters, digits, - and _ (64 at most)",
    )


def text(scope: Construct, name: str, description: str, default: str | None = None) -> CfnParameter:
    return CfnParameter(scope, name, type="String", description=description, default=default)


def url(scope: Construct, name: str, description: str) -> CfnParameter:
    return CfnParameter(scope, name, type="String", allowed_pattern="^https://.+", description=description)


def api_id_of(api_url: str) -> str:
    """`https://<id>.execute-api.<region>.amazonaws.com/<stage>/` -> `<id>`, at deploy time."""
    host = Fn.select(2, Fn.split("/", api_url))
    return Fn.select(0, Fn.split(".", host))


def stage_of(api_url: str) -> str:
    return Fn.select(3, Fn.split("/", api_url))


# A stack deployed inside a composition is handed its neighbours' values; deployed alone, it asks
# for them as parameters. These return whichever applies.


def given_or_url(scope: Construct, value: str | None, name: str, description: str) -> str:
    return value if value is not None else url(scope, name, description).value_as_string


def given_or_text(scope: Construct, value: str | None, name: str, description: str) -> str:
    return value if value is not None else text(scope, name, description).value_as_string


def given_or_event_id(scope: Construct, value: str | None) -> str:
    return value if value is not None else event_id(scope).value_as_string
