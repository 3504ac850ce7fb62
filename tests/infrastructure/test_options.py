"""Synth-time options: a node-based Redis replication group, x86_64, endpoints in two AZs."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App

from stacks.config import AppConfig
from stacks.constructs.redis import REPLICATION_GROUP_PORT
from tests.infrastructure.conftest import Variants
from tests.infrastructure.helpers import by_type, catalog_functions, env, flatten


@pytest.fixture(scope="module")
def core_with_options(variants: Variants) -> dict[str, Any]:
    """Node-based Valkey with 2 nodes, x86_64, tracing and endpoints in two AZs (CACHE_VARIANTS)."""
    return variants.templates["node-valkey"]


def test_replication_group_replaces_serverless(core_with_options: dict[str, Any]) -> None:
    assert not by_type(core_with_options, "AWS::ElastiCache::ServerlessCache")
    (group,) = (
        g["Properties"] for g in by_type(core_with_options, "AWS::ElastiCache::ReplicationGroup").values()
    )
    assert group["CacheNodeType"] == "cache.t4g.small"
    assert group["NumCacheClusters"] == 2 and group["MultiAZEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True and group["AtRestEncryptionEnabled"] is True
    assert group["Port"] == REPLICATION_GROUP_PORT and len(group["UserGroupIds"]) == 1
    for logical in catalog_functions(core_with_options):
        url = env(core_with_options, logical).get("REDIS_URL")
        if url is not None:
            assert "PrimaryEndPoint.Address" in flatten(url) and flatten(url).startswith("rediss://")
            assert env(core_with_options, logical)["REDIS_CLUSTER"] == "false"  # cluster mode off


def test_architecture_tracing_and_endpoint_azs(core_with_options: dict[str, Any]) -> None:
    for logical in catalog_functions(core_with_options):
        props = core_with_options["Resources"][logical]["Properties"]
        assert props["Architectures"] == ["x86_64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == "false"
    for endpoint in by_type(core_with_options, "AWS::EC2::VPCEndpoint").values():
        if endpoint["Properties"].get("VpcEndpointType") == "Interface":
            assert len(endpoint["Properties"]["SubnetIds"]) == 2


@pytest.mark.parametrize(
    "context",
    [{"architecture": "sparc"}, {"redis_engine": "memcached"}, {"endpoint_azs": "3", "max_azs": "2"}],
)
def test_bad_options_are_refused(context: dict[str, str]) -> None:
    app = App(context=context)
    with pytest.raises(ValueError):
        AppConfig.from_context(app.node)
