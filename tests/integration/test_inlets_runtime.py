"""The inlet strategies as `vwr local` runs them: on its timer, and on its SNS topic.

Here the strategies reach the core over real HTTP through the runtime's gateway, which checks
their SigV4 signatures like API Gateway; the visitors enter through the public API and the SQS
integration. Slower than tests/integration/test_inlets.py, so each runtime is shared by a module.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local.testing import Runtime, running_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def counters(runtime: Runtime) -> dict[str, int]:
    answer = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def eventually(check: Callable[[], Any], *, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.2)


def enter(runtime: Runtime, count: int) -> list[str]:
    """Visitors entering through the public API; their request ids in the order of their positions."""
    request_ids = []
    for _ in range(count):
        answer = requests.post(runtime.public_api + "/assign_queue_num", json={"event_id": runtime.event_id})
        request_ids.append(answer.json()["api_request_id"])

    positions: dict[str, int] = {}

    def assigned(rid: str) -> bool:
        params = {"event_id": runtime.event_id, "request_id": rid}
        answer = requests.get(runtime.public_api + "/queue_num", params=params, timeout=10)
        if answer.status_code == 200:
            positions[rid] = answer.json()["queue_number"]
        return answer.status_code == 200

    # SQS batches do not keep the order of the calls: positions say who is first.
    eventually(lambda: all(rid in positions or assigned(rid) for rid in request_ids))
    return sorted(request_ids, key=positions.__getitem__)


@pytest.fixture
def periodic_runtime() -> Iterator[Runtime]:
    args = ["--inlet", "periodic", "--inlet-increment", "3", "--inlet-period", "0.3"]
    with running_runtime(args) as started:
        yield started


@pytest.fixture
def max_size_runtime() -> Iterator[Runtime]:
    with running_runtime(["--inlet", "max-size", "--inlet-max-size", "3"]) as started:
        yield started


def test_periodic_never_runs_more_than_increment_by_ahead_of_the_queue(periodic_runtime: Runtime) -> None:
    runtime = periodic_runtime
    eventually(lambda: counters(runtime)["serving_counter"] == 3)
    time.sleep(1.5)  # several more idle periods
    assert counters(runtime)["serving_counter"] == 3  # no slack piled up
    enter(runtime, 10)
    eventually(lambda: counters(runtime)["serving_counter"] == 13)
    time.sleep(1.0)
    assert counters(runtime)["serving_counter"] == 13  # queue 10 + increment 3, no further


def test_max_size_lets_in_as_many_as_sns_says_left_within_capacity(max_size_runtime: Runtime) -> None:
    runtime = max_size_runtime
    request_ids = enter(runtime, 8)
    moved = runtime.signed(
        "POST",
        runtime.private_api + "/increment_serving_counter",
        json_body={"event_id": runtime.event_id, "increment_by": 3},
    )
    assert moved.status_code == 200
    for rid in request_ids[:3]:  # three inside, holding tokens: the site is full
        answer = requests.post(
            runtime.public_api + "/generate_token", json={"event_id": runtime.event_id, "request_id": rid}
        )
        assert answer.status_code == 200

    sns = runtime.boto3_client("sns")
    message = {"completed": [request_ids[0]], "abandoned": [request_ids[1], str(uuid.uuid4())]}
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message=json.dumps(message))
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message="not json")  # skipped, harmless

    after = eventually(lambda: (c := counters(runtime))["serving_counter"] == 5 and c)
    assert after["completed_counter"] == 1 and after["abandoned_counter"] == 1

    # A big "exited" cannot overshoot capacity: 1 active token, max size 3 -> 2 more at most.
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message=json.dumps({"exited": 50}))
    eventually(lambda: counters(runtime)["serving_counter"] == 7)
    time.sleep(1.0)
    assert counters(runtime)["serving_counter"] == 7
