"""The inlet strategies move the serving counter on their own: MaxSize when SNS says sessions
ended, Periodic on its schedule. Both reach the core through the SigV4-signed private API."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from local.testing import Runtime, running_runtime
from tests.e2e.conftest import MAX_SIZE
from tests.e2e.journey import active_tokens, counters, enter, eventually, increment, position, reset, token

PERIODIC_INCREMENT = 3


def test_max_size_lets_in_as_many_as_left_after_an_sns_message(runtime: Runtime) -> None:
    reset(runtime)
    visitors = [enter(runtime) for _ in range(MAX_SIZE + 3)]
    for request_id in visitors:
        position(runtime, request_id)
    increment(runtime, MAX_SIZE)
    served = [rid for rid in visitors if position(runtime, rid) <= MAX_SIZE]
    for request_id in served:
        assert token(runtime, request_id).status_code == 200
    assert active_tokens(runtime) == MAX_SIZE  # the site is full
    before = counters(runtime)

    sns = runtime.boto3_client("sns")
    # One completed, one abandoned, and one the waiting room never saw (counts for nothing).
    message = {"completed": served[:1], "abandoned": [served[1], str(uuid.uuid4())]}
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message=json.dumps(message))
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message="not json")  # skipped, harmless

    after = eventually(
        lambda: (c := counters(runtime))["serving_counter"] != before["serving_counter"] and c, within=20
    )
    assert after["serving_counter"] == before["serving_counter"] + 2
    assert after["completed_counter"] == before["completed_counter"] + 1
    assert after["abandoned_counter"] == before["abandoned_counter"] + 1
    assert active_tokens(runtime) == MAX_SIZE - 2


def test_max_size_never_goes_above_capacity(runtime: Runtime) -> None:
    reset(runtime)
    before = counters(runtime)["serving_counter"]
    sns = runtime.boto3_client("sns")
    # Ten visitors left, but the site has room for MAX_SIZE only.
    sns.publish(TopicArn=runtime.max_size_topic_arn, Message=json.dumps({"exited": 10}))
    after = eventually(lambda: (c := counters(runtime)["serving_counter"]) != before and c, within=20)
    assert after == before + MAX_SIZE


@pytest.fixture(scope="module")
def periodic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    args = [
        "--event-id", "periodic-event",
        "--inlet", "periodic",
        "--inlet-increment", str(PERIODIC_INCREMENT),
        "--inlet-period", "1",
        "--batch-window", "0.2",
    ]  # fmt: skip
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-periodic")) as started:
        yield started


def test_periodic_inlet_moves_the_serving_counter_on_its_schedule(periodic: Runtime) -> None:
    visitors = [enter(periodic) for _ in range(10)]
    places = sorted(position(periodic, rid) for rid in visitors)
    assert places == list(range(1, 11))

    # Nobody calls the private API here: only the inlet moves the counter, 3 a second, up to the
    # queue counter plus one increment and no further.
    eventually(lambda: counters(periodic)["serving_counter"] >= 10, within=20)
    settled = eventually(
        lambda: (c := counters(periodic))["serving_counter"] == c["queue_counter"] + PERIODIC_INCREMENT and c,
        within=10,
    )
    assert settled["serving_counter"] == 10 + PERIODIC_INCREMENT
    # Idle periods pile up no slack: the counter stays one increment ahead of the queue.
    time.sleep(2.5)
    assert counters(periodic)["serving_counter"] == 10 + PERIODIC_INCREMENT
