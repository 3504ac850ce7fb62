"""One inlet function serves every event of a `vwr local`: Periodic moves each periodic event by its
own increment within its own window; a MaxSize message acts on the event it names alone."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.testing import Runtime, running_runtime
from tests.e2e.journey import TIMEOUT, eventually

OWN_INCREMENT = 3
OWN_MAX_SIZE = 3


def create_event(runtime: Runtime, event_id: str, **settings: Any) -> dict[str, Any]:
    answer = runtime.signed(
        "POST", runtime.private_api + "/events", json_body={"event_id": event_id, **settings}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def counters(runtime: Runtime, event_id: str) -> dict[str, int]:
    answer = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": event_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def serving(runtime: Runtime, event_id: str) -> int:
    return counters(runtime, event_id)["serving_counter"]


def moved(runtime: Runtime, event_id: str) -> tuple[int, int, int]:
    """What the MaxSize inlet changes: the serving, completed and abandoned counters."""
    values = counters(runtime, event_id)
    return values["serving_counter"], values["completed_counter"], values["abandoned_counter"]


def enter(runtime: Runtime, event_id: str, count: int) -> list[str]:
    """`count` visitors of `event_id`, in the order of their positions once all are assigned."""
    request_ids = []
    for _ in range(count):
        answer = requests.post(
            runtime.public_api + "/assign_queue_num", json={"event_id": event_id}, timeout=TIMEOUT
        )
        assert answer.status_code == 200, answer.text
        request_ids.append(answer.json()["api_request_id"])
    positions: dict[str, int] = {}

    def assigned(request_id: str) -> bool:
        params = {"event_id": event_id, "request_id": request_id}
        answer = requests.get(runtime.public_api + "/queue_num", params=params, timeout=TIMEOUT)
        if answer.status_code == 200:
            positions[request_id] = answer.json()["queue_number"]
        return answer.status_code == 200

    eventually(lambda: all(rid in positions or assigned(rid) for rid in request_ids), within=20)
    return sorted(request_ids, key=positions.__getitem__)


def admitted(runtime: Runtime, event_id: str, count: int) -> list[str]:
    """`count` visitors of `event_id` served and holding tokens (active sessions)."""
    request_ids = enter(runtime, event_id, count)
    moved = runtime.signed(
        "POST",
        runtime.private_api + "/increment_serving_counter",
        json_body={"event_id": event_id, "increment_by": count},
    )
    assert moved.status_code == 200, moved.text
    for request_id in request_ids:
        answer = requests.post(
            runtime.public_api + "/generate_token",
            json={"event_id": event_id, "request_id": request_id},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
    return request_ids


# -- Periodic ----------------------------------------------------------------------------------------


def own_event_runtime(tmp_path_factory: pytest.TempPathFactory, *inlet: str) -> Iterator[Runtime]:
    """A runtime whose own event is "own", running the given inlet."""
    args = ["--event-id", "own", *inlet, "--batch-window", "0.2"]
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-inlets-per-event")) as started:
        yield started


@pytest.fixture(scope="module")
def periodic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    inlet = ("--inlet", "periodic", "--inlet-increment", str(OWN_INCREMENT), "--inlet-period", "0.5")
    yield from own_event_runtime(tmp_path_factory, *inlet)


def test_periodic_moves_each_event_by_its_own_increment_and_skips_one_outside_its_window(
    periodic: Runtime,
) -> None:
    now = int(time.time())
    create_event(periodic, "two", inlet="periodic", increment_by=2)
    create_event(periodic, "five", inlet="periodic", increment_by=5, start_time=now - 60, end_time=now + 3600)
    create_event(periodic, "later", inlet="periodic", increment_by=4, start_time=now + 3600)
    create_event(periodic, "manual", inlet="none", increment_by=4)

    expected = {"two": 2, "five": 5, "own": OWN_INCREMENT}
    eventually(lambda: all(serving(periodic, event) == value for event, value in expected.items()), within=20)
    time.sleep(1.5)  # three more ticks: idle events gain no slack, the others never move
    assert {event: serving(periodic, event) for event in (*expected, "later", "manual")} == {
        **expected,
        "later": 0,
        "manual": 0,
    }

    # Each event's counter follows its own queue: four visitors of "two" move "two" alone.
    enter(periodic, "two", 4)
    eventually(lambda: serving(periodic, "two") == 4 + 2, within=20)
    assert serving(periodic, "five") == 5 and serving(periodic, "later") == 0


# -- MaxSize -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def max_size(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    yield from own_event_runtime(
        tmp_path_factory, "--inlet", "max-size", "--inlet-max-size", str(OWN_MAX_SIZE)
    )


def publish(runtime: Runtime, message: dict[str, Any], event_id: str | None = None) -> None:
    attributes = {"event_id": {"DataType": "String", "StringValue": event_id}} if event_id else {}
    runtime.boto3_client("sns").publish(
        TopicArn=runtime.max_size_topic_arn, Message=json.dumps(message), MessageAttributes=attributes
    )


def test_a_max_size_message_for_event_b_closes_b_sessions_and_moves_only_b(max_size: Runtime) -> None:
    create_event(max_size, "b", inlet="max_size", capacity=2)
    create_event(max_size, "timed", inlet="periodic", increment_by=1)
    inside_b = admitted(max_size, "b", 2)  # b is full
    enter(max_size, "b", 3)  # waiting behind them
    inside_own = admitted(max_size, "own", OWN_MAX_SIZE)  # and so is the own event
    enter(max_size, "own", 3)
    before = {event: moved(max_size, event) for event in ("own", "timed")}

    # Named by an attribute; a session of b named for the own event (no name) frees nothing there.
    publish(max_size, {"completed": [inside_b[0]]}, event_id="b")
    publish(max_size, {"completed": [inside_b[1]]})
    # Messages for an event without a MaxSize inlet, or no event at all, are dropped.
    publish(max_size, {"exited": 5}, event_id="timed")
    publish(max_size, {"exited": 5}, event_id=f"nobody-{uuid.uuid4().hex[:8]}")
    # Named by the field.
    publish(max_size, {"event_id": "b", "abandoned": [inside_b[1]]})

    b = eventually(lambda: (c := counters(max_size, "b"))["serving_counter"] == 4 and c, within=20)
    assert b["completed_counter"] == 1 and b["abandoned_counter"] == 1
    time.sleep(1.5)  # the other messages had as long
    assert counters(max_size, "b")["serving_counter"] == 4
    assert moved(max_size, "own") == before["own"] and moved(max_size, "timed") == before["timed"]

    # The own event, by the stack's capacity, with no name in the message.
    publish(max_size, {"completed": inside_own[:2]})
    eventually(lambda: serving(max_size, "own") == before["own"][0] + 2, within=20)
    assert counters(max_size, "b")["serving_counter"] == 4
