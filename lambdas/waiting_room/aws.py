"""boto3 clients, made once per container.

Clients honour `AWS_ENDPOINT_URL` (and the per-service variants), which is how the local runtime and
the tests point the handlers at a moto server: handlers carry no endpoint code.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)
# Comma-separated services to reach on their dual-stack endpoints: functions in the VPC go out over
# IPv6 (stacks/constructs/network.py). Per service, since DynamoDB stays on its gateway endpoint.
DUAL_STACK_SERVICES_VARIABLE = "DUAL_STACK_SERVICES"


@cache
def client(service: str, region: str | None = None) -> Any:
    """`region`: another region than the function's own (None: the function's)."""
    dual_stack = service in os.getenv("DUAL_STACK_SERVICES", "").split(",")
    config = _CONFIG.merge(Config(use_dualstack_endpoint=True)) if dual_stack else _CONFIG
    return boto3.session.Session().client(service, region_name=region, config=config)
