"""Where the private API is, for the functions that call it (the inlet strategies and the OpenID
adapter), read from the environment at each call.

The variable names are the wiring table's (`lambdas.catalog`). Reading them per call costs
microseconds and lets nothing an invocation learns outlive it, except the client's connection
pool, which is cached per configuration.
"""

from __future__ import annotations

import os
from functools import lru_cache

from lambdas.catalog import Resource, Setting
from lambdas.waiting_room.private_api import PrivateApiClient


class ConfigurationError(ValueError):
    """A setting is missing or not what the function needs; the message names it."""


@lru_cache(maxsize=4)
def _client(base_url: str, event_id: str, region: str) -> PrivateApiClient:
    return PrivateApiClient(base_url, event_id, region=region)


def private_api() -> PrivateApiClient:
    """The signed client for this container's configuration (its connection pool is reused)."""
    base_url = os.environ.get(Resource.PRIVATE_API.value, "")
    event_id = os.environ.get(Setting.EVENT_ID.value, "")
    if not base_url or not event_id:
        raise ConfigurationError(f"{Resource.PRIVATE_API.value} and {Setting.EVENT_ID.value} must be set")
    # The core may live in another region than this function (the CoreApiRegion parameter).
    region = (
        os.environ.get(Setting.CORE_API_REGION.value)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    return _client(base_url, event_id, region)
