"""Synth-time options read from CDK context (`-c key=value` or cdk.json).

Deploy-time choices an operator may change without re-synthesizing (event id, token validity,
expiry, ...) are CloudFormation parameters in the stacks instead; what stays here changes the
shape of a template (which resources exist), so it has to be known at synth time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from constructs import Node

Architecture = Literal["arm64", "x86_64"]
RedisEngine = Literal["valkey", "redis"]


@dataclass(frozen=True)
class AppConfig:
    # Lambda CPU architecture; arm64 is ~20% cheaper per GB-second.
    architecture: Architecture = "arm64"
    # "valkey" (default: Serverless Valkey bills a 100 MB minimum) or "redis" (Redis OSS).
    redis_engine: RedisEngine = "valkey"
    # Empty: ElastiCache Serverless. A node type (e.g. cache.t4g.micro): a replication group.
    redis_node_type: str = ""
    # Nodes of the replication group (2+ turns on Multi-AZ failover).
    redis_nodes: int = 1
    # AZs that get an ENI of each interface endpoint (each costs ~$7.30 a month).
    endpoint_azs: int = 1
    # AZs of the VPC (Lambda and the cache spread over them).
    max_azs: int = 2
    # X-Ray active tracing; off by default because the SDK adds ~190 ms to every cold start.
    tracing: bool = False

    @staticmethod
    def from_context(node: Node) -> AppConfig:
        def get(key: str, default: object) -> object:
            value = node.try_get_context(key)
            return default if value is None or value == "" else value

        config = AppConfig(
            architecture=str(get("architecture", "arm64")),  # type: ignore[arg-type]
            redis_engine=str(get("redis_engine", "valkey")),  # type: ignore[arg-type]
            redis_node_type=str(get("redis_node_type", "")),
            redis_nodes=int(str(get("redis_nodes", 1))),
            endpoint_azs=int(str(get("endpoint_azs", 1))),
            max_azs=int(str(get("max_azs", 2))),
            tracing=str(get("tracing", "false")).lower() in ("true", "1", "yes"),
        )
        if config.architecture not in ("arm64", "x86_64"):
            raise ValueError(f"architecture must be arm64 or x86_64, not {config.architecture!r}")
        if config.redis_engine not in ("valkey", "redis"):
            raise ValueError(f"redis_engine must be valkey or redis, not {config.redis_engine!r}")
        if not 1 <= config.endpoint_azs <= config.max_azs:
            raise ValueError("endpoint_azs must be between 1 and max_azs")
        return config
