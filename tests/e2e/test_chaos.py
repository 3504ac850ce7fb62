"""Chaos: bursts of visitors against `vwr local` while Redis stalls, dies empty, and the event resets.

The test owns its redis-server (passed with `--redis-url`) so it can stop, kill and restart it.
Redis is stopped for longer than the entries' receives allow (five receives of a two-second
visibility timeout), killed and started empty mid-burst, and the event is reset mid-burst.
Afterwards, read from the runtime's DynamoDB (moto) directly: no position and no token is held
twice, every visitor holds one position and at most one token or has a definite 4xx, and the
dead-letter queue is empty.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
import requests

from lambdas.waiting_room import proof_of_work as pow_
from local.processes import free_port
from local.testing import Runtime, running_runtime
from tests.e2e.journey import counters, increment

# Enough for every step to meet entries in each state (queued, in a batch, numbered); the
# invariants do not need more.
VISITORS_PER_BURST = 40
STALL_SECONDS = 12  # longer than 5 receives x 2 s visibility
SETTLE_SECONDS = 90  # moto answers a transaction slowly under load (it deep-copies the table)
TIMEOUT = 30.0  # the runtime answers slowly while Redis is stopped and moto is busy


class RedisProcess:
    """A redis-server on a fixed port, which the test can stop, resume, kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.TemporaryDirectory(prefix="vwr-chaos-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is missing: run scripts/install-system.sh redis-server"
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory.name,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.kill()
        self.directory.cleanup()


@pytest.fixture(scope="module")
def redis_process() -> Iterator[RedisProcess]:
    process = RedisProcess()
    process.start()
    yield process
    process.close()


@pytest.fixture(scope="module")
def chaos_runtime(redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    args = (
        "--event-id", "chaos",
        "--redis-url", redis_process.url,
        "--batch-window", "0.2",
        "--visibility-timeout", "2",
        # The worker holds a batch for the ordering window: well under the visibility timeout, or
        # a batch still held is delivered again and burns receives that Redis did not cost.
        "--set", "ORDERING_WINDOW_MS=200",
        "--route-concurrency", "4",
        "--prefix", "chaos",
        "--moto-process",
        # The CDN's copies from before a loss or a reset are waited out: keep them short.
        "--cache-seconds", "1",
    )  # fmt: skip
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-chaos")) as started:
        yield started


def enter_many(runtime: Runtime, count: int) -> list[str]:
    def enter(_: int) -> str:
        with requests.Session() as session:
            answer = session.post(
                runtime.public_api + "/assign_queue_num", json={"event_id": runtime.event_id}, timeout=TIMEOUT
            )
        assert answer.status_code == 200, answer.text
        return answer.json()["api_request_id"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(enter, range(count)))


def until_definite(ask: Callable[[], requests.Response], deadline: float) -> requests.Response:
    """Asks until the answer is definite (not 202 "not yet", not 503 "rebuilding"), or returns the
    last answer at the deadline."""
    while True:
        answer = ask()
        if answer.status_code not in (202, 503) or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def settle(runtime: Runtime, request_id: str, deadline: float) -> requests.Response:
    params = {"event_id": runtime.event_id, "request_id": request_id}
    return until_definite(
        lambda: requests.get(runtime.public_api + "/queue_num", params=params, timeout=TIMEOUT), deadline
    )


def token_of(runtime: Runtime, request_id: str, deadline: float) -> requests.Response:
    body = {"event_id": runtime.event_id, "request_id": request_id}
    return until_definite(
        lambda: requests.post(runtime.public_api + "/generate_token", json=body, timeout=TIMEOUT), deadline
    )


def each(visitors: list[str], ask: Any) -> dict[str, requests.Response]:
    with ThreadPoolExecutor(8) as pool:
        return dict(zip(visitors, pool.map(ask, visitors), strict=True))


def items(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    dynamodb = runtime.boto3_client("dynamodb")
    return [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=f"chaos-{table}")
        for item in page["Items"]
    ]


def current_generation(runtime: Runtime) -> int:
    answer = requests.get(
        runtime.public_api + "/generation", params={"event_id": runtime.event_id}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["generation"]


def stored_positions(runtime: Runtime) -> dict[str, int]:
    """Request id -> position of every record of the current generation, read from DynamoDB; no
    position is held twice."""
    generation = current_generation(runtime)
    held = [
        i
        for i in items(runtime, "queue_positions")
        if "event_id" in i and int(i["generation"]["N"]) == generation and int(i["status"]["N"]) == 1
    ]
    positions = Counter(int(i["queue_position"]["N"]) for i in held)
    assert [p for p, n in positions.items() if n > 1] == []
    return {i["request_id"]["S"]: int(i["queue_position"]["N"]) for i in held}


def check(runtime: Runtime, visitors: list[str]) -> dict[str, str | None]:
    """Every visitor ends with one position and at most one token, or a definite 4xx; DynamoDB,
    read directly, holds no position and no token twice. Returns the refused visitors' reasons."""
    time.sleep(runtime.ready["cdn_max_ttl_seconds"])  # no CDN copy from before a reset is left
    deadline = time.monotonic() + SETTLE_SECONDS
    answers = each(visitors, lambda rid: settle(runtime, rid, deadline))
    refused = {rid: a.json().get("reason") for rid, a in answers.items() if a.status_code != 200}
    assert {a.status_code for a in answers.values()} <= {200, 410}, refused
    assert set(refused.values()) <= {"reset", "lost"}, refused
    # Redis answers a position before its record is written: wait for the writes in flight.
    expected = set(visitors) - set(refused)
    while not expected <= set(stored := stored_positions(runtime)):
        assert time.monotonic() < deadline, f"{len(expected - set(stored))} positions never stored"
        time.sleep(0.5)
    placed = {rid: stored[rid] for rid in visitors if rid in stored}
    assert set(placed) == expected
    # Positions a lost Redis assigned but never stored are gaps: serve up to the highest held.
    serving = counters(runtime)["serving_counter"]  # the private read: no CDN in front of it
    if placed and max(placed.values()) > serving:
        increment(runtime, max(placed.values()) - serving)
    tokens = each(list(placed), lambda rid: token_of(runtime, rid, deadline))
    assert {a.status_code for a in tokens.values()} <= {200, 410}, {
        f"{rid[:8]} at {placed[rid]}": a.text for rid, a in tokens.items() if a.status_code not in (200, 410)
    }
    generation = current_generation(runtime)
    issued = [i for i in items(runtime, "tokens") if int(i["generation"]["N"]) == generation]
    token_positions = Counter(int(i["queue_position"]["N"]) for i in issued)
    assert [p for p, n in token_positions.items() if n > 1] == []
    assert {
        i["request_id"]["S"]: int(i["queue_position"]["N"]) for i in issued if i["request_id"]["S"] in placed
    } == {rid: placed[rid] for rid, a in tokens.items() if a.status_code == 200}
    # A visitor may have been shown a position Redis assigned and lost before it was stored; once
    # the CDN's copy is gone, every visitor sees the position DynamoDB holds.
    time.sleep(runtime.ready["cdn_max_ttl_seconds"])
    seen = each(list(placed), lambda rid: settle(runtime, rid, deadline))
    assert {rid: a.json().get("queue_number") for rid, a in seen.items()} == placed
    print(
        f"chaos: {len(visitors)} visitors, {len(placed)} placed, refused {Counter(refused.values())},"
        f" token answers {Counter(a.status_code for a in tokens.values())}"
    )
    return refused


def test_no_position_or_token_twice_and_nobody_stranded_through_stalls_losses_and_resets(
    chaos_runtime: Runtime, redis_process: RedisProcess
) -> None:
    runtime = chaos_runtime

    # 1. Redis stalls for longer than the entries' receives allow.
    stalled = enter_many(runtime, VISITORS_PER_BURST // 2)
    redis_process.signal(signal.SIGSTOP)
    stalled += enter_many(runtime, VISITORS_PER_BURST // 2)
    time.sleep(STALL_SECONDS)
    redis_process.signal(signal.SIGCONT)

    # 2. Redis is killed mid-burst and starts again empty.
    lost = enter_many(runtime, VISITORS_PER_BURST // 2)
    redis_process.kill()
    redis_process.start()
    lost += enter_many(runtime, VISITORS_PER_BURST // 2)
    assert check(runtime, stalled + lost) == {}  # everyone placed: nothing was reset or lost

    # 3. The event is reset mid-burst.
    before = enter_many(runtime, VISITORS_PER_BURST // 2)
    deadline = time.monotonic() + 20
    while True:  # the private API answers 503 while the state is rebuilt, like any route
        answer = runtime.signed(
            "POST", runtime.private_api + "/reset_initial_state", json_body={"event_id": runtime.event_id}
        )
        if answer.status_code == 200:
            break
        assert answer.status_code == 503 and time.monotonic() < deadline, answer.text
        time.sleep(0.5)
    after = enter_many(runtime, VISITORS_PER_BURST // 2)
    refused = check(runtime, stalled + lost + before + after)
    assert set(after).isdisjoint(refused)  # entered after the reset: all placed

    sqs = runtime.boto3_client("sqs")
    dead = sqs.get_queue_attributes(
        QueueUrl=runtime.entry_dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert dead == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_a_redis_loss_with_proof_of_work_on_loses_no_visitor(
    chaos_runtime: Runtime, redis_process: RedisProcess
) -> None:
    """Challenges fetched (and solved) before Redis dies empty still admit their entries after it:
    the challenges' key comes from the deployment's secret, not from Redis."""
    runtime, event_id, difficulty, visitors = chaos_runtime, "chaos-pow", 8, 20
    created = runtime.signed(
        "POST",
        runtime.private_api + "/events",
        json_body={"event_id": event_id, "pow_difficulty": difficulty},
    )
    assert created.status_code == 201, created.text

    def solved(_: int) -> dict[str, str]:
        answer = requests.get(
            runtime.public_api + "/pow_challenge", params={"event_id": event_id}, timeout=TIMEOUT
        )
        assert answer.status_code == 200 and answer.json()["difficulty"] == difficulty, answer.text
        challenge = answer.json()["challenge"]
        return {"challenge": challenge, "nonce": pow_.solve(challenge, difficulty)}

    def enter(solution: dict[str, str]) -> str:
        body = {"event_id": event_id, "pow": solution}
        answer = requests.post(runtime.public_api + "/assign_queue_num", json=body, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        return answer.json()["api_request_id"]

    solutions = [solved(i) for i in range(visitors)]  # all fetched before the loss
    with ThreadPoolExecutor(8) as pool:
        entered = list(pool.map(enter, solutions[: visitors // 2]))
        redis_process.kill()
        redis_process.start()
        entered += list(pool.map(enter, solutions[visitors // 2 :]))

    deadline = time.monotonic() + SETTLE_SECONDS

    def position(request_id: str) -> requests.Response:
        params = {"event_id": event_id, "request_id": request_id}
        return until_definite(
            lambda: requests.get(runtime.public_api + "/queue_num", params=params, timeout=TIMEOUT), deadline
        )

    answers = each(entered, position)
    assert {rid[:8]: a.status_code for rid, a in answers.items() if a.status_code != 200} == {}
    numbers = sorted(a.json()["queue_number"] for a in answers.values())
    assert len(set(numbers)) == visitors
