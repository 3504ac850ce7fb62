"""Helpers for CloudFormation parameters shared by the stacks."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, CfnCondition, CfnParameter, CfnRule, CfnRuleAssertion, Fn, ICfnConditionExpression
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


URL_PATTERN = "^https://.+"


def url(scope: Construct, name: str, description: str) -> CfnParameter:
    return CfnParameter(scope, name, type="String", allowed_pattern=URL_PATTERN, description=description)


def api_id_of(api_url: str) -> str:
    """`https://<id>.execute-api.<region>.amazonaws.com/<stage>` (a trailing / or not) -> `<id>`."""
    host = Fn.select(2, Fn.split("/", api_url))
    return Fn.select(0, Fn.split(".", host))


def stage_of(api_url: str) -> str:
    return Fn.select(3, Fn.split("/", api_url))


def core_region(scope: Construct, name: str) -> str:
    """The region of the core stack's APIs (the retired solution's parameter): SigV4 signs for it
    and IAM grants name it. Empty: the core is in this stack's region."""
    region = CfnParameter(
        scope, name, type="String", default="", allowed_pattern="^$|^[a-z]{2}(-[a-z]+)+-[0-9]$",
        description="Region of the core stack's APIs, when not this stack's (e.g. eu-west-1)",
    )  # fmt: skip
    given = CfnCondition(scope, f"{name}Given", expression=_given(region))
    return Fn.condition_if(given.logical_id, region.value_as_string, Aws.REGION).to_string()


def _given(parameter: CfnParameter) -> ICfnConditionExpression:
    return Fn.condition_not(Fn.condition_equals(parameter.value_as_string, ""))


@dataclass(frozen=True)
class Aliased:
    """One setting under two parameter names: ours, and the retired solution's, which wins when
    given (its default is empty). Scripts written for either deploy unchanged."""

    ours: CfnParameter
    retired: CfnParameter
    retired_given: CfnCondition

    @property
    def value(self) -> str:
        return Fn.condition_if(
            self.retired_given.logical_id, self.retired.value_as_string, self.ours.value_as_string
        ).to_string()

    def equals(self, text: str) -> ICfnConditionExpression:
        """`value == text` for the Conditions section, which cannot hold Fn::If."""
        return Fn.condition_or(
            Fn.condition_and(self.retired_given, Fn.condition_equals(self.retired.value_as_string, text)),
            Fn.condition_and(
                Fn.condition_not(self.retired_given), Fn.condition_equals(self.ours.value_as_string, text)
            ),
        )


def aliased(scope: Construct, ours: CfnParameter, retired_name: str, pattern: str | None = None) -> Aliased:
    """Adds the retired solution's name for `ours`. A required `ours` becomes optional, and a rule
    asks for one of the two instead. `pattern`: the retired one's, when `ours` has allowed values or
    is a Number (the retired one is a String so that it can be empty)."""
    if ours.allowed_values:
        pattern = "^$|^(" + "|".join(ours.allowed_values) + ")$"
    elif pattern is None:
        pattern = f"^$|{ours.allowed_pattern}" if ours.allowed_pattern else None
    # In a construct of their own: a retired name may be the id of another construct of the stack
    # (MaxSize is the inlet's group), while a parameter's logical id is its name all the same.
    holder = scope.node.try_find_child("RetiredNames") or Construct(scope, "RetiredNames")
    retired = CfnParameter(
        holder, retired_name, type="String", default="", allowed_pattern=pattern,
        description=f"The retired solution's name for {ours.node.id}; when given, it wins",
    )  # fmt: skip
    retired.override_logical_id(retired_name)
    retired_given = CfnCondition(scope, f"{retired_name}Given", expression=_given(retired))
    if ours.default is None:
        ours.default = ""
        if ours.allowed_pattern:
            ours.allowed_pattern = f"^$|{ours.allowed_pattern}"
        CfnRule(
            scope,
            f"{ours.node.id}Or{retired_name}",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_or(_given(ours), _given(retired)),
                    assert_description=f"Give {ours.node.id} (or the retired name {retired_name})",
                )
            ],
        )
    return Aliased(ours, retired, retired_given)


# A stack deployed inside a composition is handed its neighbours' values; deployed alone, it asks
# for them as parameters, under our name and, where the retired solution had another, under that
# one too. These return whichever applies.


def _ours_or_retired(scope: Construct, ours: CfnParameter, retired: str | None) -> str:
    return ours.value_as_string if retired is None else aliased(scope, ours, retired).value


def given_or_url(
    scope: Construct, value: str | None, name: str, description: str, retired: str | None = None
) -> str:
    return value if value is not None else _ours_or_retired(scope, url(scope, name, description), retired)


def given_or_core_api_urls(
    scope: Construct, public_api_url: str | None, private_api_url: str | None
) -> tuple[str, str]:
    """The core's public and private API URLs, as the retired solution's pages and panel stacks
    took them (`PublicAPIEndpoint`, `PrivateAPIEndpoint`) where they are not given."""
    return (
        given_or_url(
            scope, public_api_url, "PublicApiUrl", "The core stack's PublicApiUrl output",
            retired="PublicAPIEndpoint",
        ),
        given_or_url(
            scope, private_api_url, "PrivateApiUrl", "The core stack's PrivateApiUrl output",
            retired="PrivateAPIEndpoint",
        ),
    )  # fmt: skip


def given_or_text(
    scope: Construct, value: str | None, name: str, description: str, retired: str | None = None
) -> str:
    return value if value is not None else _ours_or_retired(scope, text(scope, name, description), retired)


def given_or_event_id(scope: Construct, value: str | None, retired: str | None = None) -> str:
    return value if value is not None else _ours_or_retired(scope, event_id(scope), retired)


def given_or_reads_url(scope: Construct, value: str | None, public_api_url: str) -> str:
    """Where the page polls the shared cached reads: the core's PublicReadsUrl output, or, when a
    stack is given none (an older core), the public API itself."""
    if value is not None:
        return value
    parameter = CfnParameter(
        scope, "PublicReadsUrl", type="String", default="",
        allowed_pattern=f"^$|{URL_PATTERN}",
        description="The core stack's PublicReadsUrl output (empty: poll the public API URL)",
    )  # fmt: skip
    given = CfnCondition(
        scope,
        "ReadsUrlGiven",
        expression=Fn.condition_not(Fn.condition_equals(parameter.value_as_string, "")),
    )
    return Fn.condition_if(given.logical_id, parameter.value_as_string, public_api_url).to_string()
