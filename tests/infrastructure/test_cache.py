"""Every cache the synth-time options build would create, and the functions could reach it.

Checked on each variant (Serverless or node-based, Valkey or Redis OSS), with the rules ElastiCache
applies at deploy time, which no synth or linter knows:
- a user group holds a user named `default` (AWS::ElastiCache::UserGroup, UserIds);
- a Valkey user group admits only users that authenticate (password or IAM): no
  `NoPasswordRequired` user in it (ElastiCache RBAC documentation);
- the cache's security group lets the functions in on the port the cache listens on, and on the
  reader port where there is one (Serverless: the endpoint's port + 1).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import CACHE_VARIANTS, Variants
from tests.infrastructure.helpers import by_type

VARIANTS = ("serverless-valkey", *CACHE_VARIANTS)
# What ElastiCache Serverless listens on: the endpoint, and the reader endpoint one port above.
SERVERLESS_PORTS = (6379, 6380)
DEFAULT_NODE_PORT = 6379


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest, variants: Variants) -> dict[str, Any]:
    return variants.templates[request.param]


def _ref(value: Any) -> str:
    """The logical id a Ref or GetAtt points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    raise AssertionError(f"not a reference: {value!r}")


def _users_by_id(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    users = by_type(template, "AWS::ElastiCache::User")
    return {props["UserId"]: props for props in (u["Properties"] for u in users.values())}


def _group_users(template: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    users = by_type(template, "AWS::ElastiCache::User")
    groups = []
    for group in by_type(template, "AWS::ElastiCache::UserGroup").values():
        members = []
        for user_id in group["Properties"]["UserIds"]:
            # A member is named either by a literal id or by a GetAtt/Ref on the user resource.
            logical = _ref(user_id) if isinstance(user_id, dict) else None
            if logical is not None:
                members.append(users[logical]["Properties"])
            else:
                members.append(_users_by_id(template)[user_id])
        groups.append((group["Properties"], members))
    return groups


def _authenticates(user: dict[str, Any]) -> bool:
    mode = user.get("AuthenticationMode", {})
    if user.get("NoPasswordRequired") or mode.get("Type") == "no-password-required":
        return False
    if mode.get("Type") == "iam":
        return True
    return bool(mode.get("Passwords") or user.get("Passwords"))


def test_every_user_group_can_be_created(variant: dict[str, Any]) -> None:
    groups = _group_users(variant)
    assert len(groups) == 1
    for group, members in groups:
        assert "default" in [m["UserName"] for m in members], "a user group needs a user named default"
        for member in members:
            if group["Engine"] == "valkey":
                assert _authenticates(member), f"a Valkey group admits only users that authenticate: {member}"
            assert member["Engine"] in (group["Engine"], "redis")
        default = next(m for m in members if m["UserName"] == "default")
        # Nobody may use the default user: the access string turns it off.
        assert default["AccessString"].split()[0] == "off"


def test_user_group_engine_matches_the_cache(variant: dict[str, Any]) -> None:
    caches = [
        *by_type(variant, "AWS::ElastiCache::ServerlessCache").values(),
        *by_type(variant, "AWS::ElastiCache::ReplicationGroup").values(),
    ]
    ((group, _),) = _group_users(variant)
    (cache,) = caches
    engine = cache["Properties"]["Engine"]
    # A Redis OSS cache takes only groups of engine redis; a Valkey cache takes either.
    assert group["Engine"] == engine or (engine == "valkey" and group["Engine"] == "redis")


def _cache_ports(template: dict[str, Any]) -> tuple[str, tuple[int, ...]]:
    """The cache's security group and the ports it must open, read from the cache resource."""
    serverless = by_type(template, "AWS::ElastiCache::ServerlessCache")
    groups = by_type(template, "AWS::ElastiCache::ReplicationGroup")
    if serverless:
        (cache,) = serverless.values()
        ports = SERVERLESS_PORTS
    else:
        (cache,) = groups.values()
        # A replication group's reader endpoint listens on the primary's port.
        ports = (int(cache["Properties"].get("Port", DEFAULT_NODE_PORT)),)
    (security_group,) = cache["Properties"]["SecurityGroupIds"]
    return _ref(security_group), ports


def _ingress(template: dict[str, Any], security_group: str) -> list[dict[str, Any]]:
    rules = list(template["Resources"][security_group]["Properties"].get("SecurityGroupIngress", []))
    for rule in by_type(template, "AWS::EC2::SecurityGroupIngress").values():
        if _ref(rule["Properties"]["GroupId"]) == security_group:
            rules.append(rule["Properties"])
    return rules


def test_the_functions_reach_every_port_of_the_cache(variant: dict[str, Any]) -> None:
    security_group, ports = _cache_ports(variant)
    rules = _ingress(variant, security_group)
    function_groups = {
        _ref(group)
        for function in by_type(variant, "AWS::Lambda::Function").values()
        for group in function["Properties"].get("VpcConfig", {}).get("SecurityGroupIds", [])
    }
    assert function_groups, "no function runs in the VPC"
    for port in ports:
        for function_group in function_groups:
            assert any(
                rule["IpProtocol"] == "tcp"
                and rule["FromPort"] <= port <= rule["ToPort"]
                and _ref(rule["SourceSecurityGroupId"]) == function_group
                for rule in rules
                if "SourceSecurityGroupId" in rule
            ), f"port {port} of the cache is closed to {function_group}"
