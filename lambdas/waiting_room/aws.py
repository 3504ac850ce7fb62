"""boto3 clients, made once per container.

Clients honour `AWS_ENDPOINT_URL` (and the per-service variants), which is how the local runtime and
the tests point the handlers at a moto server: handlers carry no endpoint code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)


@cache
def client(service: str, region: str | None = None) -> Any:
    """`region`: another region than the function's own (None: the function's)."""
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)
