"""The retired solution's parameter and output names exist, with the same meaning, in the stack that
takes its template's place; URL outputs carry no trailing slash.

The names are copied from the project's REFERENCE.md ("Templates: parameters and outputs"), the list
of what the retired "Virtual Waiting Room on AWS" templates offered its users' scripts. They are data
here so the test needs nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdas.catalog import ASSIGN_QUEUE_NUM, routes_of
from tests.infrastructure.conftest import ALL_STACKS, Synth
from tests.infrastructure.helpers import catalog_functions, env, flatten, policy_statements

# template of the retired solution -> (our stacks that take its place, parameters, outputs)
RETIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "core": (
        ("core",),
        ("EventId", "ValidityPeriod", "EnableEventsGeneration", "RedisPort", "QueuePositionExpiryPeriod",
         "EnableQueuePositionExpiry", "IncrSvcOnQueuePositionExpiry"),
        ("PublicApiInvokeURL", "PrivateApiInvokeURL", "PublicTokenIssuer", "PrivateTokenIssuer"),
    ),
    "getting started": (
        ("gs.core", "gs.authorizer", "gs.sample"),
        ("EventId", "ValidityPeriod", "EnableEventsGeneration", "RedisPort", "QueuePositionExpiryPeriod",
         "EnableQueuePositionExpiry", "IncrSvcOnQueuePositionExpiry"),
        ("PublicApiInvokeURL", "PrivateApiInvokeURL", "WaitingRoomURL", "ControlPanelURL"),
    ),
    "authorizer": (
        ("authorizer",),
        ("PublicAPIEndpoint", "WaitingRoomEventID", "IssuerURI"),
        ("ApiGatewayAuthorizerArn",),
    ),
    "sample": (
        ("sample",),
        ("AuthorizerARN", "APIGatewayRegion", "PublicAPIEndpoint", "PrivateAPIEndpoint", "EventID"),
        ("WaitingRoomURL", "ControlPanelURL"),
    ),
    "inlet strategy": (
        ("inlet",),
        ("EventId", "PrivateCoreApiEndpoint", "CoreApiRegion", "InletStrategy", "IncrementBy", "StartTime",
         "EndTime", "CloudWatchAlarmName", "MaxSize"),
        ("InletTopicARN",),
    ),
    "OpenID adapter": (
        ("openid",),
        ("PublicAPIEndpoint", "PrivateAPIEndpoint", "APIRegion", "EventID"),
        ("IssuerURL", "AuthorizationURL", "TokenURL", "UserInfoURL", "PublicKeysURL", "ConfigurationURL",
         "ClientID", "ClientSecretID", "WaitingRoomWebContentBucket"),
    ),
}  # fmt: skip

# Defaults of the retired templates that our parameter of the same name keeps.
RETIRED_DEFAULTS = {
    "core": {"ValidityPeriod": 3600, "RedisPort": 1785, "QueuePositionExpiryPeriod": 900,
             "EnableQueuePositionExpiry": "true", "IncrSvcOnQueuePositionExpiry": "false"},
    "gs.core": {"EventId": "Sample"},
    "inlet": {"InletStrategy": "Periodic", "IncrementBy": 10, "EndTime": 0},
}  # fmt: skip

# (stack, our parameter, the retired name of the same setting): either feeds the same value.
ALIASES = [
    ("core", "EnableEventGeneration", "EnableEventsGeneration"),
    ("authorizer", "PublicApiUrl", "PublicAPIEndpoint"),
    ("authorizer", "EventId", "WaitingRoomEventID"),
    ("authorizer", "Issuer", "IssuerURI"),
    ("sample", "PublicApiUrl", "PublicAPIEndpoint"),
    ("sample", "PrivateApiUrl", "PrivateAPIEndpoint"),
    ("sample", "EventId", "EventID"),
    ("sample", "AuthorizerArn", "AuthorizerARN"),
    ("inlet", "PrivateApiUrl", "PrivateCoreApiEndpoint"),
    ("inlet", "InletMaxSize", "MaxSize"),
    ("openid", "PublicApiUrl", "PublicAPIEndpoint"),
    ("openid", "PrivateApiUrl", "PrivateAPIEndpoint"),
    ("openid", "EventId", "EventID"),
]

# (stack, our output, the retired name): the same value under both names.
TWIN_OUTPUTS = [
    ("core", "PublicApiUrl", "PublicApiInvokeURL"),
    ("core", "PrivateApiUrl", "PrivateApiInvokeURL"),
    ("core", "TokenIssuer", "PublicTokenIssuer"),
    ("authorizer", "AuthorizerArn", "ApiGatewayAuthorizerArn"),
    ("inlet", "MaxSizeTopicArn", "InletTopicARN"),
    ("openid", "OidcIssuer", "IssuerURL"),
    ("openid", "ClientSecretArn", "ClientSecretID"),
]


@pytest.mark.parametrize("retired", RETIRED)
def test_every_retired_name_exists_in_the_stacks_in_its_place(synth: Synth, retired: str) -> None:
    stacks, parameters, outputs = RETIRED[retired]
    templates = [synth.template(stack) for stack in stacks]
    ours_parameters = {name for t in templates for name in t.get("Parameters", {})}
    ours_outputs = {name for t in templates for name in t.get("Outputs", {})}
    assert set(parameters) - ours_parameters == set()
    assert set(outputs) - ours_outputs == set()


@pytest.mark.parametrize("stack", RETIRED_DEFAULTS)
def test_retired_defaults_are_kept(synth: Synth, stack: str) -> None:
    parameters = synth.template(stack)["Parameters"]
    assert {name: parameters[name]["Default"] for name in RETIRED_DEFAULTS[stack]} == RETIRED_DEFAULTS[stack]


@pytest.mark.parametrize(("stack", "ours", "retired"), ALIASES)
def test_a_retired_parameter_name_feeds_what_ours_feeds(
    synth: Synth, stack: str, ours: str, retired: str
) -> None:
    template = synth.template(stack)
    text = json.dumps(template["Resources"]) + json.dumps(template.get("Conditions", {}))
    # Optional, so scripts that pass only ours deploy as before; when given, it wins.
    assert template["Parameters"][retired]["Default"] == ""
    assert template["Conditions"][f"{retired}Given"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": retired}, ""]}]}
    alias = json.dumps({"Fn::If": [f"{retired}Given", {"Ref": retired}, {"Ref": ours}]})
    equals = json.dumps({"Fn::Equals": [{"Ref": retired}, "true"]})
    assert alias in text or equals in text
    # Where ours was required, a rule now asks for one of the two.
    if template["Parameters"][ours].get("Default", "") == "":
        rule = json.dumps(template["Rules"][f"{ours}Or{retired}"])
        assert json.dumps({"Ref": ours}) in rule and json.dumps({"Ref": retired}) in rule


@pytest.mark.parametrize(("stack", "ours", "retired"), TWIN_OUTPUTS)
def test_a_retired_output_name_gives_what_ours_gives(
    synth: Synth, stack: str, ours: str, retired: str
) -> None:
    outputs = synth.template(stack)["Outputs"]
    assert outputs[retired]["Value"] == outputs[ours]["Value"]
    assert outputs[retired].get("Condition") == outputs[ours].get("Condition")


def _is_url(name: str, output: dict[str, Any]) -> bool:
    return (
        "url" in name.lower() or "issuer" in name.lower() or flatten(output["Value"]).startswith("https://")
    )


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_url_outputs_have_no_trailing_slash(synth: Synth, stack: str) -> None:
    outputs = synth.template(stack).get("Outputs", {})
    urls = {name: flatten(output["Value"]) for name, output in outputs.items() if _is_url(name, output)}
    assert {name: value for name, value in urls.items() if value.endswith("/")} == {}


MIGRATING = Path(__file__).resolve().parents[2] / "docs" / "MIGRATING.md"


def test_the_migration_guide_covers_every_route_and_retired_name() -> None:
    guide = MIGRATING.read_text()
    routes = [
        ASSIGN_QUEUE_NUM,
        *(r for api in ("public", "private", "store", "oidc") for r, _ in routes_of(api)),
    ]
    names = {name for _, parameters, outputs in RETIRED.values() for name in (*parameters, *outputs)}
    missing = [f"{r.method} {r.path}" for r in routes if f"{r.method} {r.path}`" not in guide]
    missing += sorted(name for name in names if f"`{name}`" not in guide)
    assert missing == []


@pytest.mark.parametrize(("stack", "parameter"), [("inlet", "CoreApiRegion"), ("openid", "APIRegion")])
def test_a_core_in_another_region_is_signed_for_and_granted(synth: Synth, stack: str, parameter: str) -> None:
    template = synth.template(stack)
    region = {"Fn::If": [f"{parameter}Given", {"Ref": parameter}, {"Ref": "AWS::Region"}]}
    callers = [
        v for logical in catalog_functions(template) if "PRIVATE_API_URL" in (v := env(template, logical))
    ]
    assert callers and all(variables["CORE_API_REGION"] == region for variables in callers)
    grants = [s for s in policy_statements(template) if s["Action"] == "execute-api:Invoke"]
    assert grants and all(json.dumps(region) in json.dumps(s["Resource"]) for s in grants)
