"""Properties of the counters on a real redis-server, whatever the order of deliveries and operations."""

from __future__ import annotations

import time
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.redis_store import connection
from tests.integration.conftest import Core

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(
    visitors=st.integers(min_value=1, max_value=40),
    deliveries=st.lists(st.lists(st.integers(min_value=0, max_value=39), max_size=12), max_size=15),
)
def test_positions_are_exactly_one_to_n_whatever_the_redeliveries(core: Core, visitors, deliveries) -> None:
    connection().flushall()
    counters = EventCounters(core.event_id)
    request_ids = [str(uuid.uuid4()) for _ in range(visitors)]
    seen: dict[str, int] = {}
    # Arbitrary batches with duplicates and redeliveries, then every visitor once more at the end
    # in batches of up to 10, so that every visitor has been delivered at least once.
    batches = [[request_ids[i % visitors] for i in batch] for batch in deliveries]
    batches += [request_ids[start : start + 10] for start in range(0, visitors, 10)]
    for batch in batches:
        numbering = counters.assign([(rid, 1) for rid in batch])
        for rid, assignment in zip(batch, numbering.assignments, strict=True):
            assert seen.setdefault(rid, assignment.position) == assignment.position
    assert sorted(seen.values()) == list(range(1, visitors + 1))
    assert counters.counters()["queue_counter"] == visitors


operations = st.lists(
    st.one_of(
        st.tuples(st.just("enter"), st.integers(min_value=1, max_value=5)),
        st.tuples(st.just("serve"), st.integers(min_value=-3, max_value=6)),
        st.tuples(st.just("token"), st.integers(min_value=0, max_value=30)),
        st.tuples(st.just("sweep"), st.just(0)),
        st.tuples(st.just("reset"), st.just(0)),
    ),
    max_size=25,
)


@FAST
@given(steps=operations, expiry_ms=st.sampled_from([0, 60_000]))
def test_waiting_is_never_negative_and_counts_add_up(core: Core, steps, expiry_ms) -> None:
    connection().flushall()
    counters = EventCounters(core.event_id)
    request_ids: list[str] = []
    # With expiry_ms = 0 every served position expires at once: sweeps and claims race for it.
    for name, value in steps:
        now_ms = int(time.time() * 1000)
        if name == "enter":
            batch = [str(uuid.uuid4()) for _ in range(value)]
            counters.assign([(rid, now_ms) for rid in batch])
            request_ids += batch
        elif name == "serve":
            _ok, serving = counters.increment_serving(value, now_ms=now_ms)
            assert serving >= 0
        elif name == "token" and request_ids:
            request_id = request_ids[value % len(request_ids)]
            counters.position(request_id, now_ms=now_ms + 1, expiry_ms=expiry_ms, claim_until_s=now_ms)
        elif name == "sweep":
            counters.sweep(now_ms=now_ms + 1, expiry_ms=expiry_ms, max_steps=1000, return_to_serving=False)
        elif name == "reset":
            counters.reset(now_ms=now_ms)
            request_ids = []
        values = counters.counters()
        assert counters.waiting() >= 0
        assert values["serving_counter"] >= 0
        assert values["token_counter"] + values["expired_queue_counter"] <= values["queue_counter"]
        assert values["max_queue_position_expired"] <= values["queue_counter"]
