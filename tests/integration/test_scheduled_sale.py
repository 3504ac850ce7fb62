"""Scheduled sales: the settings of a sale and what anyone may read of them (GET /event_info)."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qsl, urlparse

import pytest

from lambdas import counters, event_info, events
from lambdas import draw as draw_handlers
from lambdas import queue_num as queue_num_handler
from lambdas.waiting_room import aws, draw, draw_rule, redis_store, registry
from lambdas.waiting_room.counters import EventCounters
from tests.integration.conftest import Core, api_event, call, entry_message

SALE = {
    "name": "Summer concert",
    "mode": "queue",
    "prequeue_start": 1_900_000_000,
    "start_time": 1_900_000_600,
    "order_at_start": "draw",
    "max_waiting": 5000,
    "overflow_url": "https://example.com/sold-out",
}


def info(event_id: str) -> tuple[int, dict]:
    return call(event_info.handler, "GET", "/event_info", query={"event_id": event_id})


def test_a_sale_is_stored_and_its_public_facts_are_readable_by_anyone(core: Core) -> None:
    status, created = call(events.handler, "POST", "/events", body={"event_id": "summer", **SALE})
    assert status == 201, created
    assert {name: created[name] for name in SALE} == SALE
    assert info("summer") == (200, {"event_id": "summer", **SALE})
    # Nothing else of the event (token validity, inlet, proof of work...) is public.
    assert set(info("summer")[1]) == set(registry.PUBLIC_FIELDS)


def test_the_deployments_own_event_has_the_defaults(core: Core) -> None:
    assert info(core.event_id) == (
        200,
        {
            "event_id": core.event_id,
            "name": core.event_id,
            "mode": "queue",
            "prequeue_start": 0,
            "start_time": 0,
            "order_at_start": "arrival",
            "max_waiting": 0,
            "overflow_url": "",
        },
    )


def test_event_info_of_an_unknown_or_malformed_event_is_a_400(core: Core) -> None:
    for query in ({"event_id": "no-such-event"}, {"event_id": "../x"}, {}):
        status, body = call(event_info.handler, "GET", "/event_info", query=query)
        assert status == 400 and body["error"], (query, body)


# -- the pre-queue and the draw ------------------------------------------------------------------


class Sale(Core):
    opens: int
    starts: int


@pytest.fixture
def sale(core: Core, monkeypatch: pytest.MonkeyPatch) -> Sale:
    """An event whose pre-queue has just opened and whose draw is 30 s away (the tests run it
    with a clock of their own); small chunks so that a draw of a few hundred spans several."""
    monkeypatch.setattr(draw, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(draw, "CHUNK", 64)
    now = int(time.time())
    fields = {"name": "Sale", "prequeue_start": now, "start_time": now + 30, "order_at_start": "draw"}
    status, body = call(events.handler, "POST", "/events", body={"event_id": "sale", **fields})
    assert status == 201, body
    sale = Sale({**core.env, "EVENT_ID": "sale"})
    sale.opens, sale.starts = now, now + 30
    return sale


def enter_at(sale: Sale, entered_at_ms: list[int]) -> list[str]:
    """Entries made at these times (epoch ms), through the worker, 100 a batch."""
    request_ids = [str(uuid.uuid4()) for _ in entered_at_ms]
    records = [
        entry_message(rid, event_id=sale.event_id, entered_at_ms=at)
        for rid, at in zip(request_ids, entered_at_ms, strict=True)
    ]
    for start in range(0, len(records), 100):
        assert sale.worker(records[start : start + 100]) == {"batchItemFailures": []}
    return request_ids


def queue_num(sale: Core, request_id: str) -> tuple[int, dict]:
    return call(
        queue_num_handler.handler,
        "GET",
        "/queue_num",
        query={"event_id": sale.event_id, "request_id": request_id},
    )


def published(sale: Sale) -> tuple[dict, list[str]]:
    status, record = call(draw_handlers.public_handler, "GET", "/draw", query={"event_id": sale.event_id})
    assert status == 200, record
    if "list_url" not in record:
        return record, []

    def text(query: dict[str, str]) -> str:
        answer = draw_handlers.list_handler(api_event("GET", "/" + url.path, query=query), None)
        assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"].startswith("text/plain")
        return answer["body"]

    # The record's list_url (relative to the public API) serves the whole list; its parts, in order,
    # the same handles.
    url = urlparse(record["list_url"])
    assert url.path == "draw_list" and dict(parse_qsl(url.query)) == {"event_id": sale.event_id}
    lines: list[str] = []
    for part in range(record["list_parts"]):
        lines += text({"event_id": sale.event_id, "part": str(part)}).splitlines()
    if record["count"] <= draw.WHOLE_LIST_MAX:
        assert text(dict(parse_qsl(url.query))).splitlines() == lines
    return record, lines


def run_draw(sale: Sale, *, later_s: float = 1) -> draw.DrawRecord:
    """The draw, run `later_s` after the sale's start."""
    registry.forget()
    record = draw.run(registry.lookup(sale.event_id), now_s=sale.starts + later_s)
    assert record is not None
    return record


def test_pre_queued_entries_wait_unnumbered_then_the_draw_numbers_each_once(sale: Sale) -> None:
    status, before = published(sale)[0]["state"], published(sale)[0]
    assert status == "pending" and draw_rule.is_hex64(before["commitment"]) and "seed" not in before
    prequeued = enter_at(sale, [int(time.time() * 1000) + 7 * i for i in range(300)])
    held = {"message": "in the pre-queue: numbered at the draw", "prequeue": True, "draw_at": sale.starts}
    assert all(queue_num(sale, rid) == (202, held) for rid in prequeued[:5])
    assert EventCounters(sale.event_id).counters()["queue_counter"] == 0

    record = run_draw(sale)
    assert (record.state, record.count) == ("done", 300)
    places = {rid: queue_num(sale, rid)[1]["queue_number"] for rid in prequeued}
    assert sorted(places.values()) == list(range(1, 301))

    document, lines = published(sale)
    assert document["commitment"] == before["commitment"] and document["count"] == 300
    for rid in prequeued[:20]:
        verdict = draw_rule.check(document, lines, request_id=rid, place=places[rid])
        assert verdict.ok and verdict.place == places[rid], verdict.problems
    # The order is the seed's, not the arrival's.
    assert [places[rid] for rid in prequeued] != list(range(1, 301))
    assert lines == draw_rule.drawn_order(document["seed"], [draw_rule.handle(r) for r in prequeued])

    # Later arrivals follow from N + 1; running the draw again changes nothing. (Their arrival
    # times are ahead of this clock, which counts them all as now: their order is not asserted.)
    later = enter_at(sale, [sale.starts * 1000 + i for i in range(3)])
    assert sorted(queue_num(sale, rid)[1]["queue_number"] for rid in later) == [301, 302, 303]
    assert run_draw(sale) == record


def test_an_entry_before_the_pre_queue_opens_is_refused_and_takes_no_number(sale: Sale) -> None:
    # The pre-queue opens in 10 s; an entry made now is early.
    sale.opens, sale.starts = sale.opens + 10, sale.starts + 10
    path = {"resource": "/events/{event_id}", "path_parameters": {"event_id": "sale"}}
    moved = {"prequeue_start": sale.opens, "start_time": sale.starts}
    assert call(events.handler, "PATCH", "/events/sale", body=moved, **path)[0] == 200
    registry.forget()
    (early,) = enter_at(sale, [int(time.time() * 1000)])
    assert queue_num(sale, early) == (
        410,
        {
            "error": "this entry was made before the pre-queue opened: enter again once it is open",
            "reason": "not_open",
            "opens_at": sale.opens,
        },
    )
    assert run_draw(sale).count == 0
    assert queue_num(sale, early)[0] == 410


def test_an_entry_after_the_start_waits_for_the_draw(sale: Sale) -> None:
    # The draw has not run: the entry goes back on the entry queue, with its arrival time.
    (rid,) = enter_at(sale, [sale.starts * 1000 + 5])
    assert queue_num(sale, rid) == (202, {"message": "not assigned a position yet"})
    queue = sale.env["ENTRY_QUEUE_URL"]
    messages = aws.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5)
    sent = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert any(body["request_id"] == rid for body in sent), sent


def test_a_crash_and_a_redis_loss_in_the_middle_of_the_draw_give_the_same_numbers(
    sale: Sale, monkeypatch: pytest.MonkeyPatch
) -> None:
    prequeued = enter_at(sale, [int(time.time() * 1000) + i for i in range(200)])
    # A Redis loss during the pre-queue loses nothing: it is held in DynamoDB alone.
    redis_store.connection().flushall()
    assert queue_num(sale, prequeued[0])[0] in (202, 503)
    assert queue_num(sale, prequeued[0])[1].get("prequeue") is True

    calls = {"n": 0}
    number = draw._number

    def dies_on_the_third_part(counters, record, part):
        calls["n"] += 1
        if calls["n"] == 3:
            redis_store.connection().flushall()  # Redis lost, and then the process dies
            raise SystemExit("killed")
        number(counters, record, part)

    monkeypatch.setattr(draw, "_number", dies_on_the_third_part)
    monkeypatch.setattr(draw, "_release", lambda record, owner: None)  # a killed process releases nothing
    with pytest.raises(SystemExit):
        run_draw(sale)
    # While the lease holds, another run leaves the draw alone; after it, a run resumes it.
    assert run_draw(sale).state == "drawing"
    record = run_draw(sale, later_s=draw.LEASE_SECONDS + 10)
    assert record.state == "done"

    document, lines = published(sale)
    expected = draw_rule.drawn_order(document["seed"], [draw_rule.handle(r) for r in prequeued])
    assert lines == expected
    by_handle = {draw_rule.handle(r): r for r in prequeued}
    assert [queue_num(sale, by_handle[h])[1]["queue_number"] for h in expected] == list(range(1, 201))
    assert EventCounters(sale.event_id).counters()["queue_counter"] == 200


def test_an_entry_the_index_still_lacked_at_the_draw_is_numbered_after_it_not_stranded(
    sale: Sale, monkeypatch: pytest.MonkeyPatch
) -> None:
    prequeued = enter_at(sale, [int(time.time() * 1000) + i for i in range(50)])
    missed = prequeued[17]
    index_lags = {"on": True}
    read_index = draw.prequeued

    def lagging_index(event_id: str, generation: int):
        return (e for e in read_index(event_id, generation) if not (index_lags["on"] and e[0] == missed))

    monkeypatch.setattr(draw, "prequeued", lagging_index)
    assert run_draw(sale).count == 49
    assert queue_num(sale, missed)[1].get("prequeue") is True  # the index has not caught up yet

    index_lags["on"] = False  # it has now; the next sweep visits the done draw
    assert run_draw(sale, later_s=900).state == "done"
    assert queue_num(sale, missed) == (200, {**queue_num(sale, missed)[1], "queue_number": 50})
    drawn = sorted(queue_num(sale, rid)[1]["queue_number"] for rid in prequeued if rid != missed)
    assert drawn == list(range(1, 50))
    document, lines = published(sale)
    assert document["count"] == len(lines) == 49 and draw_rule.handle(missed) not in lines
    # Nothing more to do on the sweeps after it.
    assert draw.number_stragglers(run_draw(sale, later_s=1800)) == 0


def test_a_draw_done_long_ago_no_longer_looks_for_entries_the_index_lacked(
    sale: Sale, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index lags by seconds: past `STRAGGLERS_WITHIN_SECONDS` after the seal, the sweep each
    minute stops querying it for a done draw."""
    enter_at(sale, [int(time.time() * 1000) + i for i in range(5)])
    sealed_s = run_draw(sale).sealed_at_ms / 1000
    queried: list[str] = []
    read_index = draw.prequeued

    def counted_index(event_id: str, generation: int):
        queried.append(event_id)
        return read_index(event_id, generation)

    monkeypatch.setattr(draw, "prequeued", counted_index)
    config = registry.lookup(sale.event_id)
    assert config is not None
    within = draw.run(config, now_s=sealed_s + draw.STRAGGLERS_WITHIN_SECONDS - 1)
    assert within is not None and within.state == "done" and queried == [sale.event_id]
    after = draw.run(config, now_s=sealed_s + draw.STRAGGLERS_WITHIN_SECONDS + 1)
    assert after is not None and after.state == "done" and queried == [sale.event_id]


def test_a_sweep_draws_the_due_sales_after_one_whose_draw_fails_and_still_fails(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sale's failing draw does not hold up the next one on the sweep; the sweep still fails
    (the function's Errors metric shows it), and a later sweep resumes the failed draw."""
    monkeypatch.setattr(draw, "SETTLE_SECONDS", 0.0)
    now = int(time.time())
    for event_id in ("broken", "fine"):  # the sweep visits them in this order (by event id)
        fields = {"name": event_id, "prequeue_start": now - 60, "start_time": now - 30}
        status, body = call(events.handler, "POST", "/events", body={"event_id": event_id, **fields})
        assert status == 201, body
    visited: list[str] = []
    run = draw.run

    def fails_for_broken(config: registry.EventConfig, **kwargs) -> draw.DrawRecord | None:
        visited.append(config.event_id)
        if config.event_id == "broken":
            raise RuntimeError("the draw's table is unreachable")
        return run(config, **kwargs)

    monkeypatch.setattr(draw, "run", fails_for_broken)
    registry.forget()
    with pytest.raises(RuntimeError, match="unreachable"):
        draw_handlers.handler({}, None)
    assert visited == ["broken", "fine"]
    record = draw.read("fine", EventCounters("fine").generation())
    assert record is not None and record.state == "done"


# -- a line that can be full ---------------------------------------------------------------------


def test_a_full_line_refuses_entries_beyond_max_waiting_and_counts_them(core: Core) -> None:
    fields = {"max_waiting": 3, "overflow_url": "https://example.com/later"}
    assert call(events.handler, "POST", "/events", body={"event_id": "capped", **fields})[0] == 201
    capped = Core({**core.env, "EVENT_ID": "capped"})
    # Core.enter stamps its entries a millisecond apart up to now: let them all come after the event
    # was made, or the first ones would predate its generation and be dropped.
    time.sleep(0.01)
    first = capped.enter(5)
    answers = [queue_num(capped, rid) for rid in first]
    assert [a[1].get("queue_number") for a in answers[:3]] == [1, 2, 3]
    assert answers[3] == (
        410,
        {
            "error": "the line was full when this entry arrived",
            "reason": "full",
            "overflow_url": "https://example.com/later",
        },
    )
    assert answers[4][1]["reason"] == "full"
    status, counted = call(counters.handler, "GET", "/counters", query={"event_id": "capped"})
    assert status == 200, counted
    assert (counted["queue_counter"], counted["full_refused_counter"]) == (3, 2)
    # A redelivered entry keeps its place, whatever the line's size; once someone is served and
    # holds a token, there is room again.
    assert capped.worker([entry_message(first[0], event_id="capped")]) == {"batchItemFailures": []}
    assert queue_num(capped, first[0])[1]["queue_number"] == 1
    capped.serve(1)
    assert capped.token(first[0])[0] == 200
    (next_one,) = capped.enter(1)
    assert queue_num(capped, next_one)[1]["queue_number"] == 4


def test_the_order_cannot_change_once_the_pre_queue_opened(sale: Sale) -> None:
    path = {"resource": "/events/{event_id}", "path_parameters": {"event_id": "sale"}}
    status, body = call(events.handler, "PATCH", "/events/sale", body={"order_at_start": "arrival"}, **path)
    assert (status, body["reason"]) == (409, "prequeue_open")
    # Other settings still change (the sale may be postponed).
    moved = {"start_time": sale.starts + 60}
    assert call(events.handler, "PATCH", "/events/sale", body=moved, **path)[0] == 200
