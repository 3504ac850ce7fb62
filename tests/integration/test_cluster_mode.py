"""The core on a real Redis cluster (three redis-server nodes), as ElastiCache Serverless runs it.

ElastiCache Serverless speaks only cluster mode. Every key of an event shares one hash tag, so the
scripts, MGETs and transactions of one event stay in one slot; these tests prove it against a
cluster that would answer CROSSSLOT or MOVED if they did not.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.cluster import RedisCluster

from lambdas.waiting_room import redis_store
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.settings import settings
from tests.conftest import REDIS_SERVER
from tests.integration.conftest import Core

REDIS_CLI = shutil.which("redis-cli")


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if REDIS_CLI is None:
        raise RuntimeError("redis-cli is missing: run `scripts/install-system.sh redis-server`")
    folder: Path = tmp_path_factory.mktemp("redis-cluster")
    ports = cluster_ports(3)
    nodes = [
        subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--cluster-enabled", "yes", "--cluster-config-file",
             f"nodes-{port}.conf", "--save", "", "--appendonly", "no", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]  # fmt: skip
    try:
        for port in ports:
            _wait_for(lambda port=port: _cli(port, "ping") == "PONG")
        subprocess.run(
            [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0",
             "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        for port in ports:
            _wait_for(lambda port=port: "cluster_state:ok" in _cli(port, "cluster", "info"))
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for node in nodes:
            node.terminate()
            node.wait(timeout=10)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_ports(count: int) -> list[int]:
    """Free ports whose cluster-bus ports (port + 10000) are free too.

    Ephemeral ports can be above 55535, where the bus port would not exist, so these come from
    below the ephemeral range, in a random order so parallel runs rarely meet.
    """
    candidates = random.sample(range(16000, 22000), 400)
    ports = [port for port in candidates if _bindable(port) and _bindable(port + 10000)][:count]
    if len(ports) < count:
        raise RuntimeError("no free ports for a Redis cluster")
    return ports


def _cli(port: int, *command: str) -> str:
    result = subprocess.run(
        [REDIS_CLI, "-p", str(port), *command], capture_output=True, text=True, timeout=10
    )
    return result.stdout.strip()


def _wait_for(ready, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError("the Redis cluster did not come up")
        time.sleep(0.1)


@pytest.fixture
def counters(cluster_url: str) -> EventCounters:
    client = RedisCluster.from_url(cluster_url, decode_responses=True)
    client.flushall(target_nodes=RedisCluster.ALL_NODES)
    # A fresh event id per test spreads the tests' events over different slots and nodes.
    return EventCounters(f"event-{uuid.uuid4().hex[:8]}", client)


def test_every_script_and_read_of_an_event_runs_in_one_slot(counters: EventCounters) -> None:
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    now_ms = int(time.time() * 1000)
    numbering = counters.assign(
        [(first, now_ms - 3), (second, now_ms - 2), (first, now_ms - 3), (third, now_ms - 1)]
    )
    assert [a.position for a in numbering.assignments] == [1, 2, 1, 3]
    counters.initialize()
    assert counters.increment_serving(2, now_ms=now_ms, idempotency_key="k") == ("applied", 2)
    assert counters.increment_serving(2, now_ms=now_ms, idempotency_key="k") == ("repeated", 2)
    claimed = counters.position(first, now_ms=now_ms, expiry_ms=60_000, claim_until_s=now_ms // 1000 + 60)
    assert claimed.status == "claimed" and claimed.position == 1
    assert counters.position(third, now_ms=now_ms, expiry_ms=60_000).status == "waiting"
    counters.close_session(first, completed=True)  # a MULTI/EXEC transaction
    sweep = counters.sweep(now_ms=now_ms + 120_000, expiry_ms=60_000, max_steps=100, return_to_serving=True)
    assert (sweep.watermark, sweep.expired, sweep.serving_after) == (2, 1, 3)
    values = counters.counters()
    assert values["queue_counter"] == 3 and values["completed_counter"] == 1 and counters.waiting() == 1
    assert counters.active_tokens(now_s=now_ms // 1000) == 0
    assert counters.reset(now_ms=now_ms + 1) > 0
    assert counters.counters()["queue_counter"] == 0 and counters.lookup(first) is None


def test_the_handlers_reach_a_cluster_through_the_cluster_client(
    core: Core, cluster_url: str, configure
) -> None:
    configure(REDIS_URL=cluster_url, REDIS_CLUSTER="true")
    redis_store.connection.cache_clear()
    try:
        assert isinstance(redis_store.connection(), RedisCluster)
        [request_id] = core.enter(1)
        core.serve(1)
        status, tokens = core.token(request_id)
        assert status == 200 and tokens["access_token"]
    finally:
        redis_store.connection.cache_clear()
        settings.cache_clear()
