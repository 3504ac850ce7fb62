"""How long a scheduled sale's draw takes, how much memory it holds and what it writes.

Two measures, for the same reason as benchmarks/test_rebuild.py (moto is not DynamoDB):

- `test_draw_through_moto`: pre-queued records in moto (over HTTP, the store `vwr local` uses),
  then the whole draw: seal, read the index, order, store the order, number every chunk in Redis
  and DynamoDB, publish. Moto evaluates each index page over the whole table, so this stays small.
- `test_draw_without_dynamodb_reads`: the same draw with the pre-queue handed over from memory and
  the positions' DynamoDB writes counted instead of sent, so the time and memory are ours and
  Redis's alone; the DynamoDB writes are counted call by call.

    pytest benchmarks/test_draw.py -s
    VWR_DRAW_SIZES=100000 pytest benchmarks/test_draw.py -k without -s
"""

from __future__ import annotations

import os
import time
import tracemalloc
import uuid
from collections import Counter
from typing import Any

import pytest

from benchmarks.conftest import RESULTS
from lambdas import events
from lambdas.waiting_room import aws, draw, registry
from lambdas.waiting_room.records import QueueRecord, QueueWriteResult
from tests.integration.conftest import Core, call

SIZES = [int(n) for n in os.environ.get("VWR_DRAW_SIZES", "10000,100000").split(",")]
MOTO_SIZES = [int(n) for n in os.environ.get("VWR_DRAW_MOTO_SIZES", "1000").split(",")]
RESULTS_FILE = RESULTS / "draw.md"


def _sale(core: Core) -> registry.EventConfig:
    now = int(time.time())
    body = {
        "event_id": "bench-sale",
        "prequeue_start": now,
        "start_time": now + 3600,
        "order_at_start": "draw",
    }
    status, created = call(events.handler, "POST", "/events", body=body)
    assert status == 201, created
    registry.forget()
    config = registry.lookup("bench-sale")
    assert config is not None
    return config


def _entries(count: int) -> list[tuple[str, int]]:
    now_ms = int(time.time() * 1000)
    return [(str(uuid.uuid4()), now_ms + i) for i in range(count)]


def _record(label: str, entries: int, seconds: float, peak_mb: float, writes: Counter) -> None:
    RESULTS.mkdir(exist_ok=True)
    if not RESULTS_FILE.exists():
        RESULTS_FILE.write_text(
            "A scheduled sale's draw (real Redis; one run each)\n\n"
            "| DynamoDB | entries | seconds | entries / s | peak Python memory MB | DynamoDB write calls |\n"
            "|---|---|---|---|---|---|\n"
        )
    calls = ", ".join(f"{name} {count:,}" for name, count in sorted(writes.items()))
    with RESULTS_FILE.open("a") as out:
        out.write(
            f"| {label} | {entries:,} | {seconds:.2f} | {entries / seconds:,.0f} "
            f"| {peak_mb:.0f} | {calls} |\n"
        )
    print("\n" + RESULTS_FILE.read_text())


def _counting_writes(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts the DynamoDB write calls the draw makes (the client is shared, so patch its class)."""
    writes: Counter = Counter()
    dynamodb = aws.client("dynamodb")
    original = dynamodb._make_api_call

    def counted(operation: str, params: dict[str, Any]) -> Any:
        if operation in ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"):
            writes[operation] += 1
        return original(operation, params)

    monkeypatch.setattr(dynamodb, "_make_api_call", counted)
    return writes


def _run(config: registry.EventConfig) -> tuple[draw.DrawRecord, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    record = draw.run(config, now_s=config.start_time + 1)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    assert record is not None and record.state == "done"
    return record, seconds, peak


@pytest.mark.parametrize("entries", MOTO_SIZES)
def test_draw_through_moto(core: Core, entries: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw, "SETTLE_SECONDS", 0.0)
    config = _sale(core)
    generation = draw.EventCounters(config.event_id).generation()
    held = [
        QueueRecord(rid, config.event_id, 0, at, generation, prequeued=True) for rid, at in _entries(entries)
    ]
    assert draw.hold(config, generation, held) == []
    writes = _counting_writes(monkeypatch)
    record, seconds, peak = _run(config)
    assert record.count == entries
    _record("moto over HTTP", entries, seconds, peak, writes)


@pytest.mark.parametrize("entries", SIZES)
def test_draw_without_dynamodb_reads(core: Core, entries: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw, "SETTLE_SECONDS", 0.0)
    config = _sale(core)
    pre_queue = _entries(entries)
    monkeypatch.setattr(draw, "prequeued", lambda event_id, generation: iter(pre_queue))
    stored: dict[tuple[str, int], dict[str, Any]] = {}
    writes: Counter = Counter()

    def store_chunks(items: list[dict[str, Any]]) -> None:
        writes["BatchWriteItem"] += 1
        for item in items:
            stored[(item["request_id"]["S"], 0)] = item

    def read_chunk(record: draw.DrawRecord, kind: str, part: int, attribute: str) -> str:
        return stored[(f"{kind}#{record.event_id}#{record.generation}#{part}", 0)][attribute]["S"]

    def write_positions(records: list[QueueRecord]) -> QueueWriteResult:
        writes["TransactWriteItems"] += -(-len(records) // 50)
        return QueueWriteResult(set(), set())

    monkeypatch.setattr(draw, "_batch_write", store_chunks)
    monkeypatch.setattr(draw, "_part", read_chunk)
    monkeypatch.setattr(draw, "write_queue_records", write_positions)
    record, seconds, peak = _run(config)
    assert record.count == entries
    assert draw.EventCounters(config.event_id).counters()["queue_counter"] == entries
    _record("in memory (our code and Redis only)", entries, seconds, peak, writes)
