"""A scheduled sale through `vwr local` over HTTP: a burst into the pre-queue, the draw at the
sale's start (fired by the sale's one-time schedule), every visitor numbered once, and the
published record verifying, with Redis lost in the middle of the pre-queue; and the same when Redis
is lost mid-draw.

The runtime uses the chaos test's redis-server (passed with `--redis-url`), so a test can kill it
and start it again empty: the pre-queue lives in DynamoDB alone, and the draw's numbering rebuilds
the lost state from DynamoDB before it writes, so a loss changes no number."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from local.testing import Runtime, running_runtime
from local.verify_draw import verify
from tests.e2e import test_chaos
from tests.e2e.journey import TIMEOUT, eventually
from tests.e2e.test_chaos import RedisProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SALE = "sale"
BURST = 60
# A small sale for the Redis loss mid-draw: the invariants need a few entries.
LOSS_SALE_ENTRIES = 30
# The draw must seal the pre-queue at the start, give or take a slow machine: the one-time schedule
# fires before the start and its draw waits for it, where the sweep (each minute) lands anywhere in
# the minute after.
SEALED_WITHIN_SECONDS = 20
# The chaos test's redis-server, which a test can kill and start again empty (one for this module).
redis_process = test_chaos.redis_process


@pytest.fixture(scope="module")
def runtime(redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs: Path = tmp_path_factory.mktemp("vwr-local-sale")
    # The scheduled jobs keep their deployed periods: the Draw function's sweep (each minute) does
    # not wait for a sale's start, so the draw that seals on the second is its one-time schedule's.
    args = ("--event-id", "sale-host", "--batch-window", "0.2", "--redis-url", redis_process.url)
    with running_runtime(args, log_dir=logs) as started:
        yield started


def _draw_item(runtime: Runtime, event_id: str) -> dict[str, Any] | None:
    """The sale's draw record (lambdas/waiting_room/draw.py), read from DynamoDB: no cache between."""
    scan = runtime.boto3_client("dynamodb").scan(
        TableName="vwr-queue_positions",
        FilterExpression="begins_with(request_id, :draw)",
        ExpressionAttributeValues={":draw": {"S": f"draw#{event_id}#"}},
    )
    items = scan["Items"]
    assert len(items) <= 1, items
    return items[0] if items else None


def _create_sale(runtime: Runtime, event_id: str, starts: int) -> None:
    sale = {
        "event_id": event_id,
        "prequeue_start": int(time.time()) - 1,
        "start_time": starts,
        "order_at_start": "draw",
    }
    created = runtime.signed("POST", runtime.private_api + "/events", json_body=sale)
    assert created.status_code == 201, created.text


def _enter(runtime: Runtime, event_id: str = SALE) -> str:
    answer = requests.post(
        runtime.public_api + "/assign_queue_num", json={"event_id": event_id}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["api_request_id"]


def _enter_many(runtime: Runtime, event_id: str, count: int) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: _enter(runtime, event_id), range(count)))


def _queue_num(runtime: Runtime, request_id: str, event_id: str = SALE) -> requests.Response:
    params = {"event_id": event_id, "request_id": request_id}
    return requests.get(runtime.public_api + "/queue_num", params=params, timeout=TIMEOUT)


def _held(runtime: Runtime, event_id: str, request_id: str) -> dict[str, Any]:
    """The entry's answer once it is recorded: 202, pre-queued, with the draw's time."""
    return eventually(
        lambda: (
            (a := _queue_num(runtime, request_id, event_id)).status_code == 202
            and a.json().get("prequeue")
            and a.json()
        )
    )


def _drawn(runtime: Runtime, event_id: str) -> dict[str, Any]:
    """The published record, once the draw is done."""
    return eventually(
        lambda: (
            (
                r := requests.get(
                    runtime.public_api + "/draw", params={"event_id": event_id}, timeout=TIMEOUT
                ).json()
            )["state"]
            == "done"
            and r
        ),
        within=90,
    )


def _numbered_once_each(runtime: Runtime, event_id: str, request_ids: list[str]) -> dict[str, int]:
    """Every visitor's drawn place: 1..N, each once, nobody left without one; checked against the
    published record with the same function as `vwr verify-draw`."""

    def place(request_id: str) -> int:
        answer = eventually(lambda: (a := _queue_num(runtime, request_id, event_id)).status_code == 200 and a)
        return answer.json()["queue_number"]

    with ThreadPoolExecutor(8) as pool:
        places = dict(zip(request_ids, pool.map(place, request_ids), strict=True))
    assert sorted(places.values()) == list(range(1, len(request_ids) + 1))
    for request_id in request_ids:
        _, verdict = verify(runtime.public_api, event_id, request_id=request_id, place=places[request_id])
        assert verdict.ok and verdict.place == places[request_id], verdict.problems
    return places


def test_a_burst_into_the_pre_queue_with_a_redis_loss_in_it_is_drawn_once_each_and_the_record_verifies(
    runtime: Runtime, redis_process: RedisProcess
) -> None:
    starts = int(time.time()) + 14
    _create_sale(runtime, SALE, starts)
    scheduler = runtime.boto3_client("scheduler")
    schedule = scheduler.get_schedule(Name=SALE, GroupName="vwr-draws")
    # Locally a schedule fires to the second: a second before the start, and the draw waits for it.
    fires = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(starts - 1))
    assert schedule["ScheduleExpression"] == f"at({fires})"
    assert json.loads(schedule["Target"]["Input"]) == {"event_id": SALE}
    commitment = requests.get(runtime.public_api + "/draw", params={"event_id": SALE}, timeout=TIMEOUT).json()
    assert commitment["state"] == "pending" and len(commitment["commitment"]) == 64

    before = _enter_many(runtime, SALE, BURST // 2)
    _held(runtime, SALE, before[-1])
    # Redis is lost in the middle of the pre-queue: it lives in DynamoDB alone, so nothing is lost.
    redis_process.kill()
    redis_process.start()  # empty
    after = _enter_many(runtime, SALE, BURST - BURST // 2)
    request_ids = before + after
    assert time.time() < starts, "the burst took longer than the pre-queue lasted: this machine is too slow"
    for request_id in (before[0], after[-1]):
        assert _held(runtime, SALE, request_id)["draw_at"] == starts

    record = _drawn(runtime, SALE)
    assert record["commitment"] == commitment["commitment"] and record["count"] == BURST
    # The schedule fired and deleted itself, and the draw sealed the pre-queue at the start: not
    # before it, and not a sweep (up to a minute) after it.
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=SALE, GroupName="vwr-draws")
    item = _draw_item(runtime, SALE)
    assert item is not None
    sealed_s = int(item["sealed_at"]["N"]) / 1000
    assert starts <= sealed_s < starts + SEALED_WITHIN_SECONDS, (starts, sealed_s)
    places = _numbered_once_each(runtime, SALE, request_ids)
    _, wrong = verify(
        runtime.public_api, SALE, request_id=request_ids[0], place=places[request_ids[0]] % BURST + 1
    )
    assert not wrong.ok

    # A visitor who came after the start is numbered behind everyone drawn.
    late = _enter(runtime)
    answer = eventually(lambda: (a := _queue_num(runtime, late)).status_code == 200 and a.json(), within=60)
    assert answer["queue_number"] == BURST + 1


def test_a_redis_loss_in_the_middle_of_the_draw_gives_each_entry_one_place(
    runtime: Runtime, redis_process: RedisProcess
) -> None:
    event_id = "sale-lost-draw"
    starts = int(time.time()) + 8
    _create_sale(runtime, event_id, starts)
    request_ids = _enter_many(runtime, event_id, LOSS_SALE_ENTRIES)
    _held(runtime, event_id, request_ids[-1])

    # Sealed and settling (lambdas/waiting_room/draw.py waits SETTLE_SECONDS before it orders and
    # numbers): Redis dies and comes back empty while the draw is half-way.
    def drawing() -> bool:
        item = _draw_item(runtime, event_id)
        return item is not None and item["draw_state"]["S"] == "drawing"

    eventually(drawing, within=30, every=0.1)
    redis_process.kill()
    redis_process.start()
    assert drawing(), "the draw finished before Redis was lost: the loss was not mid-draw"

    record = _drawn(runtime, event_id)
    assert record["count"] == LOSS_SALE_ENTRIES
    _numbered_once_each(runtime, event_id, request_ids)
    # The rebuilt counters hold the drawn line: the next visitor comes right behind it.
    late = _enter(runtime, event_id)
    answer = eventually(
        lambda: (a := _queue_num(runtime, late, event_id)).status_code == 200 and a.json(), within=60
    )
    assert answer["queue_number"] == LOSS_SALE_ENTRIES + 1
