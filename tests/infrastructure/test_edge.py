"""WaitingRoom-Edge: the gate on the distribution's viewer requests, its KeyValueStore, an origin
that sees what it saw without the gate, nothing per visitor cached, and no key in the code."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stacks.constructs.edge_gate import GATE_SOURCE, MAX_FUNCTION_BYTES
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import by_type, catalog_functions, env, flatten, policy_statements

# AWS managed policies (CloudFront developer guide, "Use managed cache/origin request policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@pytest.fixture(scope="module")
def edge(synth: Synth) -> dict[str, Any]:
    return synth.template("edge")


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (item,) = by_type(template, kind).items()
    return item


def test_the_function_is_gate_js_as_it_is_on_cloudfront_js_2_0(edge: dict[str, Any]) -> None:
    _, function = _one(edge, "AWS::CloudFront::Function")
    props = function["Properties"]
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert props["AutoPublish"] is True
    code = props["FunctionCode"]
    assert code == GATE_SOURCE.read_text()
    assert len(code.encode()) < MAX_FUNCTION_BYTES


def test_the_function_reads_its_own_key_value_store(edge: dict[str, Any]) -> None:
    store_id, _ = _one(edge, "AWS::CloudFront::KeyValueStore")
    _, function = _one(edge, "AWS::CloudFront::Function")
    (association,) = function["Properties"]["FunctionConfig"]["KeyValueStoreAssociations"]
    assert association["KeyValueStoreARN"] == {"Fn::GetAtt": [store_id, "Arn"]}


def test_no_key_material_in_the_code_or_the_template(edge: dict[str, Any], synth: Synth) -> None:
    _, function = _one(edge, "AWS::CloudFront::Function")
    # A key would be a long run of random-looking characters; the code has none.
    assert not re.search(r"[A-Za-z0-9+/_=-]{24,}", function["Properties"]["FunctionCode"])
    core = synth.template("core")
    (secret,) = (
        r["Properties"]
        for r in by_type(core, "AWS::SecretsManager::Secret").values()
        if "edge gate" in r["Properties"].get("Description", "").lower()
    )
    assert "SecretString" not in secret and secret["GenerateSecretString"]["GenerateStringKey"] == "secret"
    assert "EdgeKeysSecretArn" in core["Outputs"]


def test_every_behavior_runs_the_gate_on_viewer_requests(edge: dict[str, Any]) -> None:
    function_id, _ = _one(edge, "AWS::CloudFront::Function")
    _, distribution = _one(edge, "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    for behavior in behaviors:
        assert behavior["FunctionAssociations"] == [
            {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
        ]


def test_the_origin_gets_every_header_cookie_and_query_and_nothing_is_cached(edge: dict[str, Any]) -> None:
    _, distribution = _one(edge, "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    for behavior in [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]:
        assert behavior["CachePolicyId"] == CACHING_DISABLED
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert set(behavior["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert "ForwardedValues" not in behavior and "DefaultTTL" not in behavior
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Ref": "OriginDomain"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_parameters_and_outputs(edge: dict[str, Any]) -> None:
    parameters = edge["Parameters"]
    for name in ("OriginDomain", "EventId", "WaitingRoomUrl", "PublicApiUrl", "PassKeysArn"):
        assert "Default" not in parameters[name] or name == "EventId", name
    assert parameters["BypassPatterns"]["Type"] == "CommaDelimitedList"
    assert parameters["SiteHosts"]["Type"] == "CommaDelimitedList"
    assert {"DistributionDomainName", "GateFunctionArn", "KeyValueStoreArn"} <= set(edge["Outputs"])


def test_the_sync_writes_only_its_store_and_reads_only_the_pass_keys(edge: dict[str, Any]) -> None:
    store_id, _ = _one(edge, "AWS::CloudFront::KeyValueStore")
    (logical,) = [k for k, name in catalog_functions(edge).items() if name == "EdgeSync"]
    variables = env(edge, logical)
    assert variables["EDGE_KVS_ARN"] == {"Fn::GetAtt": [store_id, "Arn"]}
    assert variables["EDGE_KEYS_SECRET_ID"] == {"Ref": "PassKeysArn"}
    gate_config = flatten(variables["EDGE_GATE_CONFIG"])
    for ref in ("<EventId>", "<WaitingRoomUrl>"):
        assert ref in gate_config
    store_statements = [
        s for s in policy_statements(edge) if any("cloudfront-keyvaluestore" in a for a in _actions(s))
    ]
    assert store_statements and all(
        s["Resource"] == {"Fn::GetAtt": [store_id, "Arn"]} for s in store_statements
    )
    (rule,) = by_type(edge, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]
