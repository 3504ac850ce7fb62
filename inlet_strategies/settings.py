"""The inlet strategies' settings and shared plumbing, read from the environment at each call.

The variable names are those of the wiring table (`lambdas.catalog`); they are read per invocation
(it costs microseconds) so that nothing an invocation learns outlives it, except the client's
connection pool, which is cached per configuration.
"""

from __future__ import annotations

import os
from functools import lru_cache

from lambdas.waiting_room.private_api import PrivateApiClient


class ConfigurationError(ValueError):
    """A setting is missing or not what the strategy needs; the message names it."""


def env_int(name: str, default: int | None = None, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        if default is None:
            raise ConfigurationError(f"{name} is not set")
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} must be an integer, not {raw!r}") from error
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


@lru_cache(maxsize=4)
def _client(base_url: str, event_id: str, region: str) -> PrivateApiClient:
    return PrivateApiClient(base_url, event_id, region=region)


def private_api() -> PrivateApiClient:
    """The signed client for this container's configuration (its connection pool is reused)."""
    base_url = os.environ.get("PRIVATE_API_URL", "")
    event_id = os.environ.get("EVENT_ID", "")
    if not base_url or not event_id:
        raise ConfigurationError("PRIVATE_API_URL and EVENT_ID must be set")
    # The core may live in another region than this function (the CoreApiRegion parameter).
    region = (
        os.environ.get("CORE_API_REGION")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    return _client(base_url, event_id, region)
