"""What many events cost a deployment: the scheduled jobs' minute and the panel's list, by event count.

The expiry sweeper and the metrics job visit every registered event each minute (their timeouts are
60 s and 10 s), and `GET /events` answers all of them at once; this measures those three against a
real redis-server and moto, for 10, 100 and 1,000 idle events (the registry's limit). The table
goes to benchmarks/results/many_events.md and stdout:

    pytest benchmarks/test_many_events.py --benchmark-only -s
"""

from __future__ import annotations

import time

import pytest

from benchmarks.conftest import RESULTS, Core
from lambdas import events, expiry_sweeper, metrics_event
from lambdas.catalog import MAX_EVENTS
from tests.integration.conftest import call

COUNTS = (10, 100, 1000)
# The list as the inlets read it: every event in one page.
EVERY_EVENT = {"limit": str(MAX_EVENTS)}


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


@pytest.mark.benchmark(group="many-events")
def test_scheduled_jobs_and_the_list_by_event_count(
    core: Core, benchmark, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = []
    registered = 1  # the deployment's own event
    for count in COUNTS:
        for number in range(registered, count):
            status, body = call(events.handler, "POST", "/events", body={"event_id": f"bench-{number:04d}"})
            assert status == 201, body
        registered = count
        sweep_s, swept = _timed(lambda: expiry_sweeper.handler({}, None))
        assert len(swept["events"]) == count
        metrics_event.handler({}, None)  # the first minute sends every event once
        metrics_s, sent = _timed(lambda: metrics_event.handler({}, None))
        assert set(sent["events"]) == {core.event_id}  # idle events send nothing
        list_s, (status, body) = _timed(lambda: call(events.handler, "GET", "/events", query=EVERY_EVENT))
        assert status == 200 and len(body["events"]) == count
        rows.append((count, sweep_s, metrics_s, list_s, len(str(body).encode())))
    # pytest-benchmark wants one timed call: the largest list, once more.
    benchmark.pedantic(
        lambda: call(events.handler, "GET", "/events", query=EVERY_EVENT), rounds=1, iterations=1
    )
    benchmark.extra_info["journey"] = True

    lines = [
        "Idle events: each scheduled job's run and the operator's list, by registered events "
        "(real redis-server, moto over HTTP, one process)",
        "",
        "| events | expiry sweeper run, s | metrics run (idle: nothing sent), s | GET /events, s "
        "| its answer, kB |",
        "|---|---|---|---|---|",
        *(
            f"| {count} | {sweep:.2f} | {metrics:.2f} | {listing:.2f} | {size / 1000:.0f} |"
            for count, sweep, metrics, listing, size in rows
        ),
    ]
    table = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "many_events.md").write_text(table)
    print("\n" + table)
