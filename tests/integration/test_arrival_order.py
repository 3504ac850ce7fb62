"""Positions follow arrival time, not delivery order, within the ordering window (real redis-server)."""

from __future__ import annotations

import threading
import time
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.waiting_room import entries
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.redis_store import connection
from tests.integration.conftest import Core, entry_message

WINDOW_MS = 300


def now_ms() -> int:
    return int(time.time() * 1000)


def record_sleeps(monkeypatch) -> list[float]:
    """The pauses the workers take (they still take them): how long the window held them."""
    pauses: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(entries.time, "sleep", sleep)
    return pauses


def deliver_concurrently(core: Core, batches: list[list[dict]]) -> list[dict]:
    """Each batch to its own worker invocation, all at once, like concurrent pollers."""
    results: list[dict] = [{} for _ in batches]

    def run(index: int) -> None:
        results[index] = core.worker(batches[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_concurrent_batches_delivered_out_of_order_are_numbered_by_arrival(
    core: Core, configure, monkeypatch
) -> None:
    configure(ORDERING_WINDOW_MS=str(WINDOW_MS))
    start = now_ms()
    arrivals = [(str(uuid.uuid4()), start - 100 + 10 * i) for i in range(8)]
    messages = {rid: entry_message(rid, event_id=core.event_id, entered_at_ms=at) for rid, at in arrivals}
    order = [rid for rid, _ in arrivals]
    # Two workers, each holding late and early arrivals, in the reverse of their arrival order.
    first = [messages[rid] for rid in reversed(order[::2])]
    second = [messages[rid] for rid in reversed(order[1::2])]
    pauses = record_sleeps(monkeypatch)
    results = deliver_concurrently(core, [first, second])
    assert results == [{"batchItemFailures": []}] * 2
    # Each worker waited at most once, for at most one window, before its entries were numbered.
    assert len(pauses) <= 2 and all(p <= (WINDOW_MS + 1) / 1000 for p in pauses)
    counters = EventCounters(core.event_id)
    assert [counters.lookup(rid).position for rid in order] == list(range(1, 9))
    assert counters.counters()["late_entry_counter"] == 0


def test_an_entry_delivered_after_the_window_is_numbered_at_once_and_counted(
    core: Core, configure, monkeypatch
) -> None:
    configure(ORDERING_WINDOW_MS="100")
    early, late = str(uuid.uuid4()), str(uuid.uuid4())
    arrived = now_ms()
    core.worker([entry_message(late, event_id=core.event_id, entered_at_ms=arrived)])
    # `early` arrived 50 ms before `late` but reaches a worker only now, after `late` was numbered.
    pauses = record_sleeps(monkeypatch)
    result = core.worker([entry_message(early, event_id=core.event_id, entered_at_ms=arrived - 50)])
    assert result == {"batchItemFailures": []}
    assert pauses == []  # nothing to wait for: it was numbered at once
    counters = EventCounters(core.event_id)
    assert (counters.lookup(late).position, counters.lookup(early).position) == (1, 2)
    assert counters.counters()["late_entry_counter"] == 1
    # Redelivered, it keeps its position and is not counted again.
    core.worker([entry_message(early, event_id=core.event_id, entered_at_ms=arrived - 50)])
    assert counters.lookup(early).position == 2
    assert counters.counters()["late_entry_counter"] == 1


def test_a_pending_entry_is_visible_only_once_numbered_and_a_reset_voids_it(core: Core) -> None:
    counters = EventCounters(core.event_id)
    rid = str(uuid.uuid4())
    first = counters.assign([(rid, now_ms())], window_ms=60_000)
    assert first.assignments == ["pending"] and 59_000 < first.wait_ms <= 60_001
    assert counters.lookup(rid) is None and counters.counters()["queue_counter"] == 0
    counters.reset(now_ms=now_ms())
    assert counters.assign([(rid, now_ms() - 1000)], window_ms=60_000).assignments == [None]


def test_an_arrival_time_ahead_of_the_redis_clock_ripens_within_one_window(core: Core) -> None:
    counters = EventCounters(core.event_id)
    rid = str(uuid.uuid4())
    answer = counters.assign([(rid, now_ms() + 3_600_000)], window_ms=200)
    assert answer.assignments == ["pending"] and answer.wait_ms <= 201
    time.sleep(answer.wait_ms / 1000)
    assert counters.assign([(rid, now_ms() + 3_600_000)], window_ms=200).assignments[0].position == 1


FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PROPERTY_WINDOW_MS = 150


@FAST
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30),
    data=st.data(),
)
def test_any_split_and_order_of_deliveries_within_the_window_numbers_by_arrival(
    core: Core, offsets, data
) -> None:
    connection().flushall()
    counters = EventCounters(core.event_id)
    start = now_ms() - 40
    arrivals = [(str(uuid.uuid4()), start + offset) for offset in offsets]
    delivery = data.draw(st.permutations(arrivals))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(delivery)), max_size=5)))
    batches = [delivery[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivery)], strict=True) if b > a]
    for batch in batches:
        counters.assign(batch, window_ms=PROPERTY_WINDOW_MS)
    time.sleep((PROPERTY_WINDOW_MS + 5) / 1000)
    final = counters.assign(arrivals, window_ms=PROPERTY_WINDOW_MS)
    positions = {rid: a.position for (rid, _), a in zip(arrivals, final.assignments, strict=True)}
    by_arrival = sorted(arrivals, key=lambda item: (item[1], item[0]))
    assert [positions[rid] for rid, _ in by_arrival] == list(range(1, len(arrivals) + 1))
    assert counters.counters()["late_entry_counter"] == 0
