"""AWS WAF in front of the public API (on by default) and its local imitation (`vwr local --waf`).

Threat (docs/SECURITY.md): one client takes many places in line (the issue measured 300 positions
in 3 s from one anonymous client). The rate rule caps entries per address at the catalog's limit,
which the stack and the local gateway both read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lambdas import catalog, cloudfront_web_acl
from local.testing import Runtime, running_runtime
from local.waf import EntryRateLimit
from stacks import cost
from tests.infrastructure.helpers import catalog_functions


def _deployed(template: dict[str, Any], **parameters: str) -> dict[str, dict[str, Any]]:
    """The web ACLs a deployment creates with these parameters (the others at their defaults,
    the region us-east-1), their properties as that deployment sees them."""
    conditions = cost._Conditions(template)
    conditions.defaults.update(parameters)
    return {
        name: conditions.resolve(r)
        for name, r in template["Resources"].items()
        if r["Type"] in cost.WEB_ACL_TYPES and conditions.holds(r.get("Condition"))
    }


NO_VALUE = {"Ref": "AWS::NoValue"}


def _distribution_web_acl(template: dict[str, Any], **parameters: str) -> Any:
    conditions = cost._Conditions(template)
    conditions.defaults.update(parameters)
    # The public API's distribution (the one of shared cached reads has no web ACL to choose).
    [distribution] = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudFront::Distribution"
        and "WebACLId" in r["Properties"]["DistributionConfig"]
    ]
    return conditions.resolve(distribution["Properties"]["DistributionConfig"]).get("WebACLId")


def _rules(acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def _handler_of(template: dict[str, Any], web_acl: dict[str, Any]) -> str:
    """The catalog function behind a custom resource (through CDK's provider framework)."""
    [provider, _] = web_acl["Properties"]["ServiceToken"]["Fn::GetAtt"]
    target = template["Resources"][provider]["Properties"]["Environment"]["Variables"]
    [function, _] = target["USER_ON_EVENT_FUNCTION_ARN"]["Fn::GetAtt"]
    return catalog_functions(template)[function]


@pytest.mark.parametrize("stack", ["core", "gs.core"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_every_region_gets_a_cloudfront_web_acl_made_in_us_east_1(synth, stack: str, region: str) -> None:
    template = synth.template(stack)
    [(name, acl)] = _deployed(template, **{"AWS::Region": region}).items()
    assert _distribution_web_acl(template, **{"AWS::Region": region}) == {"Fn::GetAtt": [name, "Arn"]}
    # The resource is made by the function that calls WAF's us-east-1 endpoint with scope CLOUDFRONT.
    assert acl["Type"] == "Custom::CloudFrontWebAcl"
    assert catalog.by_name(_handler_of(template, acl)).handler == "lambdas.cloudfront_web_acl.handler"
    assert (cloudfront_web_acl.REGION, cloudfront_web_acl.SCOPE) == ("us-east-1", "CLOUDFRONT")


@pytest.mark.parametrize("stack", ["core", "gs.core"])
def test_the_waf_is_on_by_default_with_the_entry_rate_rule(synth, stack: str) -> None:
    template = synth.template(stack)
    [acl] = _deployed(template).values()
    rules = _rules(acl)
    assert set(rules) == {"EntryRateLimitPerIp", "RateLimitPerIp", "AWSManagedRulesAmazonIpReputationList"}
    entry = rules["EntryRateLimitPerIp"]
    rate = entry["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["EvaluationWindowSec"] == catalog.ENTRY_RATE_WINDOW_SECONDS
    assert rate["Limit"] == catalog.ENTRY_RATE_LIMIT_PER_IP  # the parameter's default
    matches = [s["ByteMatchStatement"] for s in rate["ScopeDownStatement"]["AndStatement"]["Statements"]]
    assert {m["SearchString"] for m in matches} == {"/assign_queue_num", "POST"}
    block = entry["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == catalog.RATE_LIMITED_STATUS


def test_one_parameter_turns_it_off_and_one_adds_bot_control(synth) -> None:
    template = synth.template("core")
    for region in ("us-east-1", "eu-west-1"):
        assert _deployed(template, EnableWaf="false", **{"AWS::Region": region}) == {}
        assert _distribution_web_acl(template, EnableWaf="false", **{"AWS::Region": region}) == NO_VALUE
    [with_bots] = _deployed(template, EnableBotControl="true").values()
    bot = _rules(with_bots)["AWSManagedRulesBotControlRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert "AndStatement" in bot["ScopeDownStatement"]  # entries only: priced per request inspected


def _as_cloudformation_sends(value: Any) -> Any:
    """A custom resource's properties as CloudFormation hands them over: every scalar a string."""
    if isinstance(value, dict):
        return {key: _as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _request(kind: str, properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"RequestType": kind, "LogicalResourceId": "CdnWebAcl", "ResourceProperties": properties, **more}


def test_the_custom_resource_keeps_the_web_acl_in_us_east_1_from_another_region(
    synth, aws_session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The function runs in the stack's region; the web ACL it manages is us-east-1's.
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = synth.template("core")
    name = "WaitingRoom-Core-eu-west-1"

    def properties(**parameters: str) -> dict[str, Any]:
        [acl] = _deployed(template, **{"AWS::Region": "eu-west-1", **parameters}).values()
        sent = {key: value for key, value in acl["Properties"].items() if key != "ServiceToken"}
        return _as_cloudformation_sends({**sent, "Name": name})

    handler = cloudfront_web_acl.handler
    waf = aws_session.client("wafv2", region_name="us-east-1")
    created = handler(_request("Create", properties()), None)
    arn, acl_id = created["PhysicalResourceId"], created["Data"]["Id"]
    assert created["Data"]["Arn"] == arn and ":us-east-1:" in arn and "global/webacl/" in arn
    assert cloudfront_web_acl.waf().meta.region_name == "us-east-1"

    def stored() -> dict[str, Any]:
        return waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)["WebACL"]

    rules = _rules({"Properties": stored()})
    rate = rules["EntryRateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == catalog.ENTRY_RATE_LIMIT_PER_IP  # a number again, as WAF's API declares it
    assert rules["EntryRateLimitPerIp"]["VisibilityConfig"]["SampledRequestsEnabled"] is True

    # Bot Control on, then a lower entry limit: the same web ACL, updated in place under its lock token.
    bot_control = "AWSManagedRulesBotControlRuleSet"
    for change, has_bot_control in (
        ({"EnableBotControl": "true"}, True),
        ({"WafEntriesPerIpPer5Minutes": "100"}, False),
    ):
        updated = handler(
            _request(
                "Update", properties(**change), PhysicalResourceId=arn, OldResourceProperties=properties()
            ),
            None,
        )
        assert updated["PhysicalResourceId"] == arn
        rules = _rules({"Properties": stored()})
        assert (bot_control in rules) is has_bot_control
    assert rules["EntryRateLimitPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 100

    handler(_request("Delete", properties(), PhysicalResourceId=arn), None)
    with pytest.raises(waf.exceptions.WAFNonexistentItemException):
        stored()
    # A repeated delete, and the delete of a create that failed before any web ACL existed, succeed.
    handler(_request("Delete", properties(), PhysicalResourceId=arn), None)
    handler(_request("Delete", properties(), PhysicalResourceId="a-failed-create"), None)


def _breaks_the_model(value: Any, shape: Any, path: str = "") -> list[str]:
    """Where `value` breaks a pattern or length of the WAF API's model, which botocore does not
    check before the call (AWS WAF would refuse the web ACL at deployment)."""
    if shape.type_name == "structure":
        unknown = [f"{path}.{key}: not in the API" for key in value if key not in shape.members]
        return unknown + [
            problem
            for key, item in value.items()
            if key in shape.members
            for problem in _breaks_the_model(item, shape.members[key], f"{path}.{key}")
        ]
    if shape.type_name == "list":
        return [
            p for i, item in enumerate(value) for p in _breaks_the_model(item, shape.member, f"{path}[{i}]")
        ]
    if shape.type_name == "map":
        return [
            problem
            for key, item in value.items()
            for problem in _breaks_the_model(key, shape.key, f"{path}<{key}>")
            + _breaks_the_model(item, shape.value, f"{path}.{key}")
        ]
    rules = shape.metadata
    if shape.type_name == "string" and not (
        rules.get("min", 0) <= len(value) <= rules.get("max", len(value))
        and re.search(rules.get("pattern", ""), value)
    ):
        return [f"{path}: {value!r} breaks {rules}"]
    return []


@pytest.mark.parametrize("bot_control", ["false", "true"])
def test_the_synthesized_web_acl_is_one_aws_waf_accepts(synth, bot_control: str) -> None:
    [acl] = _deployed(synth.template("core"), EnableBotControl=bot_control).values()
    properties = _as_cloudformation_sends({**acl["Properties"], "Name": "WaitingRoom-Core-eu-west-1"})
    fields = {"Name": properties["Name"], "Scope": "CLOUDFRONT"}
    fields |= cloudfront_web_acl.definition(properties, "CreateWebACL")
    shape = cloudfront_web_acl.waf().meta.service_model.operation_model("CreateWebACL").input_shape
    assert _breaks_the_model(fields, shape) == []


def test_make_cost_shows_what_the_waf_adds(synth) -> None:
    text, _ = cost.report(synth.outdir)
    assert "AWS WAF in WaitingRoom-Core (EnableWaf, on by default): $8.00/month idle" in text
    assert "EnableBotControl=true adds $11.00/month" in text


# -- the local imitation ---------------------------------------------------------------------------


def test_the_local_rule_counts_each_address_over_a_sliding_window() -> None:
    now = [0.0]
    limit = EntryRateLimit(limit=3, window_seconds=10, clock=lambda: now[0])
    assert [limit.allows("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limit.allows("10.0.0.2")  # another address has its own count
    now[0] = 9.0
    assert not limit.allows("10.0.0.1")  # a client that keeps trying stays blocked
    now[0] = 19.5
    assert limit.allows("10.0.0.1")  # the window has slid past every earlier try


@pytest.fixture(scope="module")
def waf_runtime() -> Iterator[Runtime]:
    with running_runtime(["--waf", "--batch-window", "0.2"]) as started:
        yield started


@pytest.mark.e2e
def test_vwr_local_waf_refuses_entries_over_the_stacks_limit(waf_runtime: Runtime) -> None:
    url = waf_runtime.public_api + "/assign_queue_num"
    with requests.Session() as session:
        statuses = [
            session.post(url, json={"event_id": waf_runtime.event_id}, timeout=10).status_code
            for _ in range(catalog.ENTRY_RATE_LIMIT_PER_IP)
        ]
        refused = session.post(url, json={"event_id": waf_runtime.event_id}, timeout=10)
        polled = session.get(
            waf_runtime.public_api + "/serving_num", params={"event_id": waf_runtime.event_id}
        )
    assert statuses == [200] * catalog.ENTRY_RATE_LIMIT_PER_IP
    assert refused.status_code == catalog.RATE_LIMITED_STATUS and "error" in refused.json()
    assert polled.status_code == 200  # only entries are limited


@pytest.mark.parametrize("stack", ["core", "gs.core"])
def test_only_the_shared_cached_reads_are_served_without_the_web_acl(synth, stack: str) -> None:
    """The second distribution answers the polled, shared reads from the CDN's cache and nothing
    else: every other path reaches the origin without the origin key (API Gateway's 403), and
    only GET and HEAD pass. The WAF-ed distribution still serves every route, reads included."""
    template = synth.template(stack)
    distributions = {
        "WebACLId" in r["Properties"]["DistributionConfig"]: r["Properties"]["DistributionConfig"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudFront::Distribution"
    }
    guarded, reads = distributions[True], distributions[False]
    shared = {route.path for route, _ in catalog.routes_of("public") if route.shared_read}
    assert shared == {"/serving_num", "/waiting_num"}
    assert {b["PathPattern"] for b in reads["CacheBehaviors"]} == shared
    assert shared < {b["PathPattern"] for b in guarded["CacheBehaviors"]}
    for behavior in [*reads["CacheBehaviors"], reads["DefaultCacheBehavior"]]:
        assert set(behavior["AllowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}
    origins = {o["Id"]: o for o in reads["Origins"]}
    default_origin = origins[reads["DefaultCacheBehavior"]["TargetOriginId"]]
    assert "OriginCustomHeaders" not in default_origin  # no origin key: API Gateway answers 403
    for behavior in reads["CacheBehaviors"]:
        headers = origins[behavior["TargetOriginId"]]["OriginCustomHeaders"]
        assert [h["HeaderName"] for h in headers] == ["x-api-key"]
        # The route's own cache policy (its TTL and query keys), as on the WAF-ed distribution.
        policy = template["Resources"][behavior["CachePolicyId"]["Ref"]]
        assert policy["Type"] == "AWS::CloudFront::CachePolicy"
        ttl = policy["Properties"]["CachePolicyConfig"]["MaxTTL"]
        assert ttl == catalog.LINE_CACHE_SECONDS <= catalog.RESET_VISIBLE_WITHIN_SECONDS
    assert "PublicReadsUrl" in template["Outputs"]
