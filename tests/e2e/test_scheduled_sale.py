"""A scheduled sale through `vwr local` over HTTP: a burst into the pre-queue, the draw at the
sale's start (fired by the sale's one-time schedule), every visitor numbered once, and the
published record verifying."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from local.testing import Runtime, running_runtime
from local.verify_draw import verify
from tests.e2e.journey import TIMEOUT, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SALE = "sale"
BURST = 60
# The draw must seal the pre-queue at the start, give or take a slow machine; the sweep that would
# otherwise draw it runs every 15 minutes.
SEALED_WITHIN_SECONDS = 20
# The scheduled jobs keep their deployed periods: the Draw function's sweep (every 15 minutes)
# cannot be what draws this sale, its one-time schedule must.
RUNTIME_ARGS = ("--event-id", "sale-host", "--batch-window", "0.2")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs: Path = tmp_path_factory.mktemp("vwr-local-sale")
    with running_runtime(RUNTIME_ARGS, log_dir=logs) as started:
        yield started


def _sealed_at_ms(runtime: Runtime) -> int:
    """When the sale's draw sealed its pre-queue, from the draw's record (lambdas/waiting_room/draw.py)."""
    scan = runtime.boto3_client("dynamodb").scan(
        TableName="vwr-queue_positions",
        FilterExpression="begins_with(request_id, :draw)",
        ExpressionAttributeValues={":draw": {"S": f"draw#{SALE}#"}},
    )
    (record,) = scan["Items"]
    return int(record["sealed_at"]["N"])


def _enter(runtime: Runtime) -> str:
    answer = requests.post(runtime.public_api + "/assign_queue_num", json={"event_id": SALE}, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()["api_request_id"]


def _queue_num(runtime: Runtime, request_id: str) -> requests.Response:
    params = {"event_id": SALE, "request_id": request_id}
    return requests.get(runtime.public_api + "/queue_num", params=params, timeout=TIMEOUT)


def test_a_burst_into_the_pre_queue_is_drawn_once_each_and_the_record_verifies(runtime: Runtime) -> None:
    starts = int(time.time()) + 12
    sale = {
        "event_id": SALE,
        "prequeue_start": int(time.time()) - 1,
        "start_time": starts,
        "order_at_start": "draw",
    }
    created = runtime.signed("POST", runtime.private_api + "/events", json_body=sale)
    assert created.status_code == 201, created.text
    scheduler = runtime.boto3_client("scheduler")
    schedule = scheduler.get_schedule(Name=SALE, GroupName="vwr-draws")
    # Locally a schedule fires to the second: a second before the start, and the draw waits for it.
    fires = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(starts - 1))
    assert schedule["ScheduleExpression"] == f"at({fires})"
    assert json.loads(schedule["Target"]["Input"]) == {"event_id": SALE}
    commitment = requests.get(runtime.public_api + "/draw", params={"event_id": SALE}, timeout=TIMEOUT).json()
    assert commitment["state"] == "pending" and len(commitment["commitment"]) == 64

    with ThreadPoolExecutor(8) as pool:
        request_ids = list(pool.map(lambda _: _enter(runtime), range(BURST)))
    assert time.time() < starts, "the burst took longer than the pre-queue lasted: this machine is too slow"
    held = eventually(
        lambda: (
            (a := _queue_num(runtime, request_ids[-1])).status_code == 202
            and a.json().get("prequeue")
            and a.json()
        )
    )
    assert held["draw_at"] == starts

    record = eventually(
        lambda: (
            (
                r := requests.get(
                    runtime.public_api + "/draw", params={"event_id": SALE}, timeout=TIMEOUT
                ).json()
            )["state"]
            == "done"
            and r
        ),
        within=90,
    )
    assert record["commitment"] == commitment["commitment"] and record["count"] == BURST
    # The schedule fired and deleted itself, and the draw sealed the pre-queue at the start: not
    # before it, and not a sweep (15 minutes) after it.
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=SALE, GroupName="vwr-draws")
    sealed_s = _sealed_at_ms(runtime) / 1000
    assert starts <= sealed_s < starts + SEALED_WITHIN_SECONDS, (starts, sealed_s)
    places = {rid: _queue_num(runtime, rid).json()["queue_number"] for rid in request_ids}
    assert sorted(places.values()) == list(range(1, BURST + 1))
    for rid in request_ids[:10]:
        _, verdict = verify(runtime.public_api, SALE, request_id=rid, place=places[rid])
        assert verdict.ok and verdict.place == places[rid], verdict.problems
    _, wrong = verify(
        runtime.public_api, SALE, request_id=request_ids[0], place=places[request_ids[0]] % BURST + 1
    )
    assert not wrong.ok

    # A visitor who came after the start is numbered behind everyone drawn.
    late = _enter(runtime)
    answer = eventually(lambda: (a := _queue_num(runtime, late)).status_code == 200 and a.json(), within=60)
    assert answer["queue_number"] == BURST + 1
