"""The inlet strategies' settings, read from the environment at each call.

The variable names are those of the wiring table (`lambdas.catalog`); they are read per invocation
(it costs microseconds) so that nothing an invocation learns outlives it. Where the private API is
belongs to the domain library (`lambdas.waiting_room.private_api_settings`), which the OpenID
adapter shares.
"""

from __future__ import annotations

import os

from lambdas.waiting_room.private_api_settings import ConfigurationError

__all__ = ["ConfigurationError", "env_int", "env_text"]


def env_text(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


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
