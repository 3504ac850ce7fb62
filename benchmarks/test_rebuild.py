"""How long the event's Redis state takes to come back from DynamoDB, by number of positions.

An event as a burst leaves it: every position stored, a token for half of them, one serving-counter
move per 100 positions. Redis is emptied and `rebuild` runs: its time is what routes spend
answering 503. Two measures, because moto is not DynamoDB:

- `test_rebuild_time`: the whole rebuild, reading moto over HTTP. Moto evaluates a query over the
  whole table for every 1 MB page, so its time grows faster than linearly and says little about
  DynamoDB; 10k positions already exceed the clients' 5 s read timeout there.
- `test_rebuild_without_reads`: the same records handed to the rebuild from memory, so the time is
  ours alone (parsing, and the Redis writes in pipelines of 5,000 commands).

    pytest benchmarks/test_rebuild.py --benchmark-only -s
    VWR_REBUILD_SIZES=1000,10000,100000 pytest benchmarks/test_rebuild.py -k without --benchmark-only -s
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest

from benchmarks.conftest import RESULTS, Core
from lambdas.waiting_room import aws
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.records import QueueRecord, TokenRecord
from lambdas.waiting_room.settings import settings

SIZES = [int(n) for n in os.environ.get("VWR_REBUILD_SIZES", "1000,10000,100000").split(",")]
MOTO_SIZES = [int(n) for n in os.environ.get("VWR_REBUILD_MOTO_SIZES", "1000").split(",")]
RESULTS_FILE = RESULTS / "rebuild.md"
BATCH = 25  # BatchWriteItem's maximum: the fastest way to fill moto


def burst(event_id: str, positions: int) -> tuple[list[QueueRecord], list[TokenRecord], list[dict[str, Any]]]:
    """The records a burst of `positions` visitors leaves (generation 0)."""
    now_s = int(time.time())
    queue, tokens, moves = [], [], []
    for position in range(1, positions + 1):
        request_id = str(uuid.uuid4())
        queue.append(QueueRecord(request_id, event_id, position, now_s * 1000, 0))
        if position % 2 == 0:
            tokens.append(TokenRecord(request_id, event_id, 0, position, now_s, now_s + 3600, "bench"))
        if position % 100 == 0:
            moves.append(
                {
                    "event_id": {"S": event_id},
                    "serving_counter": {"N": str(position)},
                    "increment_by": {"N": "100"},
                    "issued_at": {"N": str(now_s)},
                    "issued_at_ms": {"N": str(now_s * 1000 + position)},
                    "generation": {"N": "0"},
                    "expires_at": {"N": str(now_s + 3600)},
                }
            )
    return queue, tokens, moves


def fill(core: Core, positions: int) -> None:
    """Stores a burst's records in DynamoDB, without going through Redis."""
    config = settings()
    queue, tokens, moves = burst(core.event_id, positions)
    items = [
        *((config.queue_positions_table, r.item()) for r in queue),
        *((config.tokens_table, t.item()) for t in tokens),
        *((config.serving_counter_table, m) for m in moves),
    ]
    dynamodb = aws.client("dynamodb")
    for start in range(0, len(items), BATCH):
        request: dict[str, list[dict[str, Any]]] = {}
        for table, item in items[start : start + BATCH]:
            request.setdefault(table, []).append({"PutRequest": {"Item": item}})
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def measure(benchmark: Any, counters: EventCounters, positions: int, label: str) -> None:
    from lambdas.waiting_room.rebuild import rebuild

    def lose_redis() -> tuple[tuple[str, Any], dict[str, Any]]:
        counters.redis.flushall()
        return (counters.event_id, counters.redis), {}

    totals = benchmark.pedantic(rebuild, setup=lose_redis, rounds=3, iterations=1)
    assert totals["queue_counter"] == positions
    assert totals["token_counter"] == positions // 2
    assert totals["serving_counter"] == positions - positions % 100
    assert counters.lookup(counters.redis.hrandfield(counters.keys.positions)) is not None
    stats = benchmark.stats.stats
    RESULTS.mkdir(exist_ok=True)
    if not RESULTS_FILE.exists():
        RESULTS_FILE.write_text(
            "Rebuild of an event's Redis state after a loss (real Redis; 3 rounds each)\n\n"
            "| reads from | positions | median s | min s | max s | positions / s |\n"
            "|---|---|---|---|---|---|\n"
        )
    with RESULTS_FILE.open("a") as out:
        out.write(
            f"| {label} | {positions:,} | {stats.median:.2f} | {stats.min:.2f} | {stats.max:.2f} "
            f"| {positions / stats.median:,.0f} |\n"
        )
    print("\n" + RESULTS_FILE.read_text())


@pytest.mark.parametrize("positions", MOTO_SIZES)
def test_rebuild_time(benchmark: Any, core: Core, positions: int) -> None:
    fill(core, positions)
    measure(benchmark, EventCounters(core.event_id), positions, "moto over HTTP")


@pytest.mark.parametrize("positions", SIZES)
def test_rebuild_without_reads(benchmark: Any, core: Core, positions: int, monkeypatch: Any) -> None:
    from lambdas.waiting_room import rebuild
    from lambdas.waiting_room.records import ServingRecord

    queue, tokens, moves = burst(core.event_id, positions)
    serving = [
        ServingRecord(int(m["serving_counter"]["N"]), 100, int(m["issued_at_ms"]["N"]), None) for m in moves
    ]
    monkeypatch.setattr(rebuild, "queue_records", lambda event_id, generation: iter(queue))
    monkeypatch.setattr(rebuild, "token_records", lambda event_id, generation: iter(tokens))
    monkeypatch.setattr(rebuild, "serving_records", lambda event_id, generation: iter(serving))
    measure(benchmark, EventCounters(core.event_id), positions, "memory (our code and Redis only)")
