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
# Services called inside a short request after its real work is done, on a tighter budget: the
# events API writes a draw's schedule after saving the event, within its 10 s timeout, and a
# schedule it cannot write is logged and covered by the draw's sweep. Two attempts of at most
# 2 s + 2 s each, where `_CONFIG` allows five of 7 s.
_TIGHT = {
    "scheduler": Config(
        retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=2
    ),
}
# Comma-separated services to reach on their dual-stack endpoints: functions in the VPC go out over
# IPv6 (stacks/constructs/network.py). Per service, since DynamoDB stays on its gateway endpoint.
DUAL_STACK_SERVICES_VARIABLE = "DUAL_STACK_SERVICES"


@cache
def client(service: str, region: str | None = None) -> Any:
    """`region`: another region than the function's own (None: the function's)."""
    dual_stack = service in os.getenv("DUAL_STACK_SERVICES", "").split(",")
    config = _CONFIG.merge(_TIGHT[service]) if service in _TIGHT else _CONFIG
    if dual_stack:
        config = config.merge(Config(use_dualstack_endpoint=True))
    return boto3.session.Session().client(service, region_name=region, config=config)
