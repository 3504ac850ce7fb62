"""The private API: serving counter, sessions, token counts and pages, reset."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from unittest.mock import ANY

import pytest

from lambdas import (
    counters,
    expired_tokens,
    increment_serving_counter,
    num_active_tokens,
    queue_num,
    reset_initial_state,
    serving_num,
    update_session,
    waiting_num,
)
from lambdas.waiting_room import aws, records, registry, tokens
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import NEXT_CURSOR_HEADER
from lambdas.waiting_room.settings import settings
from tests.integration.conftest import Core, api_event, call, entry_message


def get(handler, path: str, core: Core, **query: str) -> tuple[int, dict]:
    return call(handler, "GET", path, query={"event_id": core.event_id, **query})


def post(handler, path: str, core: Core, **body) -> tuple[int, dict]:
    return call(handler, "POST", path, body={"event_id": core.event_id, **body})


def test_serving_counter_moves_by_integers(core: Core) -> None:
    assert post(increment_serving_counter.handler, "/increment_serving_counter", core, increment_by=5) == (
        200,
        {"serving_num": 5},
    )
    assert post(increment_serving_counter.handler, "/increment_serving_counter", core, increment_by=-2) == (
        200,
        {"serving_num": 3},
    )
    status, body = get(serving_num.handler, "/serving_num", core)
    assert (status, body["serving_counter"], body["waiting_num"]) == (200, 3, 0)


@pytest.mark.parametrize("increment_by", [True, False, 1.0, 2.5, "3", None, [1], {"n": 1}, -4])
def test_serving_counter_refuses_anything_else(core: Core, increment_by) -> None:
    core.serve(3)
    status, body = post(
        increment_serving_counter.handler, "/increment_serving_counter", core, increment_by=increment_by
    )
    assert status == 400 and body["error"]
    assert get(serving_num.handler, "/serving_num", core)[1]["serving_counter"] == 3


def test_sessions_close_once_and_leave_the_active_count(core: Core, event_sink) -> None:
    first, second, third = core.enter(3)
    core.serve(3)
    for request_id in (first, second, third):
        assert core.token(request_id)[0] == 200
    assert get(num_active_tokens.handler, "/num_active_tokens", core) == (200, {"active_tokens": 3})
    event_sink()
    assert post(update_session.handler, "/update_session", core, request_id=first, status=1) == (
        200,
        {"request_id": first, "status": 1},
    )
    assert post(update_session.handler, "/update_session", core, request_id=second, status=-1)[0] == 200
    assert post(update_session.handler, "/update_session", core, request_id=first, status=-1)[0] == 404
    assert get(num_active_tokens.handler, "/num_active_tokens", core) == (200, {"active_tokens": 1})
    values = get(counters.handler, "/counters", core)[1]
    assert (values["completed_counter"], values["abandoned_counter"]) == (1, 1)
    assert core.token(first) == (410, {"error": ANY, "reason": "session_closed"})  # no token back
    assert sorted(e["detail"]["status"] for e in event_sink() if e["detail-type"] == "session_updated") == [
        "abandoned",
        "completed",
    ]


@pytest.mark.parametrize("status", [0, 2, "1", 1.0, True, None])
def test_update_session_refuses_other_statuses_and_writes_nothing(core: Core, status) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    core.token(request_id)
    assert (
        post(update_session.handler, "/update_session", core, request_id=request_id, status=status)[0] == 400
    )
    assert post(update_session.handler, "/update_session", core, request_id=request_id, status=1)[0] == 200


def test_update_session_without_a_token_is_404(core: Core) -> None:
    [request_id] = core.enter(1)
    assert post(update_session.handler, "/update_session", core, request_id=request_id, status=1)[0] == 404


def test_active_tokens_are_counted_without_dynamodb(
    core: Core, aws_calls: Counter, redis_round_trips
) -> None:
    core.enter(2)
    aws_calls.clear()
    redis_round_trips.clear()
    get(num_active_tokens.handler, "/num_active_tokens", core)
    assert not aws_calls and sum(redis_round_trips.values()) == 1


def test_expired_tokens_come_one_page_at_a_time(core: Core) -> None:
    request_ids = core.enter(7)
    core.serve(7)
    issued_in_the_past = time.time() - 120
    for request_id in request_ids[:5]:
        tokens.issue(
            registry.lookup(core.event_id), request_id, validity_seconds=60, now_s=issued_in_the_past
        )
    for request_id in request_ids[5:]:
        core.token(request_id)
    pages, cursor = [], None
    while True:
        query = {"event_id": core.event_id, "limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = expired_tokens.handler(api_event("GET", "/expired_tokens", query=query), None)
        body = json.loads(answer["body"])
        # The retired panel's reading: the body is the array of request ids itself.
        assert answer["statusCode"] == 200 and isinstance(body, list) and len(body) <= 2
        pages.append(body)
        cursor = answer["headers"].get(NEXT_CURSOR_HEADER)
        if cursor is None:
            break
        assert NEXT_CURSOR_HEADER in answer["headers"]["Access-Control-Expose-Headers"]
    assert sorted(rid for page in pages for rid in page) == sorted(request_ids[:5])
    assert len(pages) >= 3
    assert get(num_active_tokens.handler, "/num_active_tokens", core)[1] == {"active_tokens": 2}


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "abc"}, {"limit": "5000"}, {"cursor": "garbage"}, {"cursor": "e30="}]
)
def test_expired_tokens_refuses_bad_paging(core: Core, query) -> None:
    status, body = get(expired_tokens.handler, "/expired_tokens", core, **query)
    assert status == 400 and body["error"]


def test_reset_voids_everything_and_starts_again(core: Core, aws_session) -> None:
    tables_before = aws_session.client("dynamodb").list_tables()["TableNames"]
    old = core.enter(3)
    core.serve(3)
    core.token(old[0])
    for _ in range(2):  # safe to repeat
        status, body = post(reset_initial_state.handler, "/reset_initial_state", core)
        assert status == 200 and body["message"]
    assert aws_session.client("dynamodb").list_tables()["TableNames"] == tables_before
    assert get(counters.handler, "/counters", core)[1] == {
        "event_id": core.event_id,
        "queue_counter": 0,
        "serving_counter": 0,
        "token_counter": 0,
        "expired_queue_counter": 0,
        "completed_counter": 0,
        "abandoned_counter": 0,
        "max_queue_position_expired": 0,
        "late_entry_counter": 0,
        "full_refused_counter": 0,
        # The deployment's dead-letter queue, which a reset of one event leaves alone.
        "dead_letter_entries": ANY,
    }
    assert get(num_active_tokens.handler, "/num_active_tokens", core)[1] == {"active_tokens": 0}
    assert get(waiting_num.handler, "/waiting_num", core)[1] == {"waiting_num": 0}
    for request_id in old:
        assert get(queue_num.handler, "/queue_num", core, request_id=request_id)[1]["reason"] == "reset"
        assert core.token(request_id) == (410, {"error": ANY, "reason": "reset"})
    assert post(update_session.handler, "/update_session", core, request_id=old[0], status=1)[0] == 404
    [new] = core.enter(1)
    assert get(queue_num.handler, "/queue_num", core, request_id=new)[1]["queue_number"] == 1


def test_entries_made_before_a_reset_take_no_position_and_learn_why(core: Core) -> None:
    request_id = str(uuid.uuid4())
    before = entry_message(request_id, event_id=core.event_id, entered_at_ms=int(time.time() * 1000) - 5000)
    post(reset_initial_state.handler, "/reset_initial_state", core)
    # Still on the queue at the reset: "not yet" until the worker sees it ...
    assert get(queue_num.handler, "/queue_num", core, request_id=request_id)[0] == 202
    assert core.worker([before]) == {"batchItemFailures": []}
    assert get(counters.handler, "/counters", core)[1]["queue_counter"] == 0
    # ... then 410 for good, on every route that takes the request id, never 202 forever.
    assert get(queue_num.handler, "/queue_num", core, request_id=request_id) == (
        410,
        {"error": ANY, "reason": "reset"},
    )
    assert core.token(request_id) == (410, {"error": ANY, "reason": "reset"})
    # A redelivery of the same message changes nothing.
    assert core.worker([before]) == {"batchItemFailures": []}
    assert get(counters.handler, "/counters", core)[1]["queue_counter"] == 0


def test_an_increment_retried_with_its_idempotency_key_applies_once(core: Core) -> None:
    path = "/increment_serving_counter"
    for _ in range(3):
        assert post(increment_serving_counter.handler, path, core, increment_by=4, idempotency_key="k-1") == (
            200,
            {"serving_num": 4},
        )
    assert post(increment_serving_counter.handler, path, core, increment_by=4, idempotency_key="k-2") == (
        200,
        {"serving_num": 8},
    )
    assert get(serving_num.handler, "/serving_num", core)[1]["serving_counter"] == 8


@pytest.mark.parametrize("key", ["", "x" * 65, "spaces not allowed", 5, True])
def test_idempotency_keys_are_validated(core: Core, key) -> None:
    status, body = post(
        increment_serving_counter.handler,
        "/increment_serving_counter",
        core,
        increment_by=1,
        idempotency_key=key,
    )
    assert status == 400 and "idempotency_key" in body["error"]
    assert get(serving_num.handler, "/serving_num", core)[1]["serving_counter"] == 0


def _fail_once(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """The next call of `owner.name` fails as a lost connection would; later ones go through."""
    original = getattr(owner, name)

    def failing(*args, **kwargs):
        monkeypatch.setattr(owner, name, original)
        raise ConnectionError("injected between the two writes")

    monkeypatch.setattr(owner, name, failing)


def test_a_session_close_retried_after_a_partial_failure_counts_once(
    core: Core, monkeypatch, event_sink
) -> None:
    """DynamoDB took the close, then Redis failed: the retry counts it, once; later calls are 404."""
    [request_id] = core.enter(1)
    core.serve(1)
    assert core.token(request_id)[0] == 200
    event_sink()
    _fail_once(monkeypatch, EventCounters, "close_session")
    path = "/update_session"
    assert post(update_session.handler, path, core, request_id=request_id, status=1)[0] == 500
    assert records.read_token_record(request_id).session_status == records.SESSION_COMPLETED
    assert post(update_session.handler, path, core, request_id=request_id, status=1) == (
        200,
        {"request_id": request_id, "status": 1},
    )
    for status in (1, -1):
        assert post(update_session.handler, path, core, request_id=request_id, status=status)[0] == 404
    values = get(counters.handler, "/counters", core)[1]
    assert (values["completed_counter"], values["abandoned_counter"]) == (1, 0)
    assert get(num_active_tokens.handler, "/num_active_tokens", core) == (200, {"active_tokens": 0})
    updates = [e["detail"] for e in event_sink() if e["detail-type"] == "session_updated"]
    assert updates == [
        {
            "event_id": core.event_id,
            "request_id": request_id,
            "status": "completed",
            "dedup_id": f"session_updated:{request_id}",
        }
    ]


def test_an_increment_retried_after_its_trail_failed_writes_the_trail_once(core: Core, monkeypatch) -> None:
    dynamodb, table = aws.client("dynamodb"), settings().serving_counter_table
    for item in dynamodb.scan(TableName=table)["Items"]:  # earlier tests' trails
        dynamodb.delete_item(TableName=table, Key={k: item[k] for k in ("event_id", "serving_counter")})
    _fail_once(monkeypatch, increment_serving_counter, "record_serving_increment")
    path = "/increment_serving_counter"
    assert post(increment_serving_counter.handler, path, core, increment_by=3, idempotency_key="k")[0] == 500
    for _ in range(2):
        assert post(increment_serving_counter.handler, path, core, increment_by=3, idempotency_key="k") == (
            200,
            {"serving_num": 3},
        )
    items = dynamodb.scan(TableName=table)["Items"]
    trail = [
        (i["serving_counter"]["N"], i["increment_by"]["N"])
        for i in items
        if i["event_id"]["S"] == core.event_id
    ]
    assert trail == [("3", "3")]


def test_serving_num_also_answers_the_number_waiting(core: Core) -> None:
    first, _second, _third = core.enter(3)
    core.serve(1)
    assert core.token(first)[0] == 200
    status, body = get(serving_num.handler, "/serving_num", core)
    assert (status, body["serving_counter"], body["waiting_num"]) == (200, 1, 2)
    assert get(waiting_num.handler, "/waiting_num", core) == (200, {"waiting_num": 2})


def test_serving_num_says_when_the_counter_moved_and_when_it_answered(core: Core) -> None:
    """The page tells a line that moves in steps from these (lambdas/catalog.py `PollSchedule`):
    the last three moves up to the counter it answers, oldest first, in ms since the epoch."""
    assert get(serving_num.handler, "/serving_num", core)[1]["moved_at_ms"] == []
    moves = []
    for by in (2, 3, 1, 4):
        before = int(time.time() * 1000)
        post(increment_serving_counter.handler, "/increment_serving_counter", core, increment_by=by)
        moves.append((before, int(time.time() * 1000)))
        time.sleep(0.01)
    before = int(time.time() * 1000)
    status, body = get(serving_num.handler, "/serving_num", core)
    assert status == 200 and body["serving_counter"] == 10
    assert before <= body["answered_at_ms"] <= int(time.time() * 1000)
    assert len(body["moved_at_ms"]) == 3
    for at, (low, high) in zip(body["moved_at_ms"], moves[1:], strict=True):
        assert low <= at <= high
    # A move down (an operator's correction) leaves the counter below the later moves' values:
    # only moves up to the counter it answers count.
    post(increment_serving_counter.handler, "/increment_serving_counter", core, increment_by=-4)
    body = get(serving_num.handler, "/serving_num", core)[1]
    assert body["serving_counter"] == 6 and len(body["moved_at_ms"]) == 3
    assert body["moved_at_ms"][-1] <= moves[2][1]
