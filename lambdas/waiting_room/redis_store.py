"""The Redis connection, shared by every invocation of a container.

The URL comes from the deployment (`rediss://` on ElastiCache, TLS); the password, when there is
one, from Secrets Manager, read once per container. ElastiCache Serverless speaks only cluster
mode, so there the deployment sets `REDIS_CLUSTER=true` and the cluster client is used; every key
of an event shares one hash tag, so scripts and transactions work either way.
"""

from __future__ import annotations

import json
from functools import cache

import redis
from aws_lambda_powertools.utilities import parameters
from redis.cluster import RedisCluster

from lambdas.waiting_room.keys import SECRET_MAX_AGE_SECONDS
from lambdas.waiting_room.settings import settings

Redis = redis.Redis | RedisCluster


def _credentials() -> dict[str, str]:
    secret_id = settings().redis_auth_secret_id
    if not secret_id:
        return {}
    raw = parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE_SECONDS)
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {"password": raw}
    if isinstance(value, str):
        return {"password": value}
    return {k: value[k] for k in ("username", "password") if value.get(k)}


@cache
def connection() -> Redis:
    options = dict(
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        **_credentials(),
    )
    if settings().redis_cluster:
        return RedisCluster.from_url(settings().redis_url, **options)
    return redis.Redis.from_url(settings().redis_url, **options)
