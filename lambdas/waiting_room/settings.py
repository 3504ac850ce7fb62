"""Deployment settings, read from the environment once per container.

The environment variable names come from the wiring table (`lambdas.catalog`), so the CDK stacks
and the local runtime set exactly what the handlers read here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from lambdas.catalog import Resource, Setting, ordering_window_ms


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


@dataclass(frozen=True)
class Settings:
    event_id: str
    redis_url: str
    redis_cluster: bool
    redis_auth_secret_id: str
    jwt_secret_id: str
    queue_positions_table: str
    tokens_table: str
    serving_counter_table: str
    events_table: str
    event_bus_name: str
    entry_queue_url: str
    token_validity_seconds: int
    expiry_enabled: bool
    expiry_seconds: int
    incr_serving_on_expiry: bool
    issuer: str
    ordering_window_ms: int
    pow_difficulty: int = 0
    pow_key_secret_id: str = ""
    entry_dead_letters_url: str = ""
    # How long a DynamoDB item outlives its event (TTL attribute), in seconds.
    record_ttl_seconds: int = 7 * 24 * 3600


@cache
def settings() -> Settings:
    env = os.environ.get
    return Settings(
        event_id=env(Setting.EVENT_ID.value, ""),
        redis_url=env(Setting.REDIS_URL.value, "redis://localhost:6379/0"),
        redis_cluster=_flag(Setting.REDIS_CLUSTER.value, False),
        redis_auth_secret_id=env(Resource.REDIS_AUTH_SECRET.value, ""),
        pow_key_secret_id=env(Resource.POW_KEY_SECRET.value, ""),
        jwt_secret_id=env(Resource.JWT_KEYS_SECRET.value, ""),
        queue_positions_table=env(Resource.QUEUE_POSITIONS_TABLE.value, ""),
        tokens_table=env(Resource.TOKENS_TABLE.value, ""),
        serving_counter_table=env(Resource.SERVING_COUNTER_TABLE.value, ""),
        events_table=env(Resource.EVENTS_TABLE.value, ""),
        event_bus_name=env(Resource.EVENT_BUS.value, ""),
        entry_queue_url=env(Resource.ENTRY_QUEUE.value, ""),
        entry_dead_letters_url=env(Resource.ENTRY_DEAD_LETTERS.value, ""),
        token_validity_seconds=_int(Setting.TOKEN_VALIDITY_SECONDS.value, 3600),
        expiry_enabled=_flag(Setting.ENABLE_QUEUE_POSITION_EXPIRY.value, True),
        expiry_seconds=_int(Setting.QUEUE_POSITION_EXPIRY_SECONDS.value, 900),
        incr_serving_on_expiry=_flag(Setting.INCR_SERVING_ON_EXPIRY.value, False),
        issuer=env(Setting.ISSUER.value, ""),
        ordering_window_ms=_int(Setting.ORDERING_WINDOW_MS.value, ordering_window_ms()),
        pow_difficulty=_int(Setting.POW_DIFFICULTY.value, 0),
    )
