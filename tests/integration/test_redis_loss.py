"""Redis loses data (restarts empty, or a failover drops the last writes): nothing is handed out
twice, nobody is stranded, and the state comes back from DynamoDB."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from redis.exceptions import ConnectionError as RedisConnectionError

from lambdas import counters as counters_route
from lambdas import increment_serving_counter, queue_num, reset_initial_state, update_session
from lambdas.waiting_room import aws, deferral, records
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.redis_store import connection
from tests.integration.conftest import Core, api_event, call, entry_message


def position_of(core: Core, request_id: str) -> tuple[int, dict]:
    return call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": core.event_id, "request_id": request_id}
    )


def counters_of(core: Core) -> dict:
    return call(counters_route.handler, "GET", "/counters", query={"event_id": core.event_id})[1]


def stored_positions(core: Core) -> list[tuple[str, int]]:
    """(request id, position) of every record of the current generation, read from DynamoDB."""
    generation = EventCounters(core.event_id).generation()
    return [
        (r.request_id, r.position) for r in records.queue_records(core.event_id, generation) if not r.voided
    ]


def assert_no_position_twice(core: Core) -> None:
    held = stored_positions(core)
    assert len({rid for rid, _ in held}) == len(held)
    doubled = [pos for pos, n in Counter(pos for _, pos in held).items() if n > 1]
    assert doubled == []


def test_an_empty_redis_is_rebuilt_with_positions_counters_tokens_and_sessions(core: Core) -> None:
    request_ids = core.enter(30)
    core.serve(10)
    for request_id in request_ids[:4]:
        assert core.token(request_id)[0] == 200
    status, _ = call(
        update_session.handler,
        "POST",
        "/update_session",
        body={"event_id": core.event_id, "request_id": request_ids[0], "status": 1},
    )
    assert status == 200
    before = counters_of(core)
    tokens_before = core.token(request_ids[1])

    connection().flushall()

    assert counters_of(core) == before
    for expected, request_id in enumerate(request_ids, start=1):
        assert position_of(core, request_id)[1]["queue_number"] == expected
    # The same tokens, not a second set; `expires_in` counts down, so it may have ticked.
    status, tokens_after = core.token(request_ids[1])
    assert status == tokens_before[0]
    assert tokens_before[1]["expires_in"] - tokens_after.pop("expires_in") in (0, 1)
    assert tokens_after == {k: v for k, v in tokens_before[1].items() if k != "expires_in"}
    assert core.token(request_ids[0])[1]["reason"] == "session_closed"
    assert core.token(request_ids[4])[0] == 200  # served and unclaimed: issued now, counted once
    assert counters_of(core)["token_counter"] == before["token_counter"] + 1
    # New entries continue after the highest stored position.
    (newcomer,) = core.enter(1)
    assert position_of(core, newcomer)[1]["queue_number"] == 31


def test_a_reset_survives_the_loss_of_redis(core: Core) -> None:
    (early,) = core.enter(1)
    old_entry = entry_message(
        str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=int(time.time() * 1000) - 5
    )
    call(reset_initial_state.handler, "POST", "/reset_initial_state", body={"event_id": core.event_id})
    generation = EventCounters(core.event_id).generation()

    connection().flushall()

    assert EventCounters(core.event_id).generation() == generation
    assert position_of(core, early)[1]["reason"] == "reset"
    core.worker([old_entry])  # made before the reset: still takes no position
    assert counters_of(core)["queue_counter"] == 0


def test_a_failover_that_drops_recent_writes_hands_out_no_position_twice(core: Core) -> None:
    """The replica promoted had the first five positions only; the next five are in DynamoDB."""
    client, keys = connection(), EventCounters(core.event_id).keys
    first = core.enter(5)
    snapshot = {key: client.dump(key) for key in [*keys.all(), keys.generation, keys.incarnation]}
    second = core.enter(5)
    for key, value in snapshot.items():
        if value is not None:
            client.restore(key, 0, value, replace=True)
    assert client.exists(keys.incarnation)  # nothing in Redis says it lost anything

    newcomers = [entry_message(str(uuid.uuid4()), event_id=core.event_id) for _ in range(3)]
    with pytest.raises(BatchProcessingError):  # every message failed: DynamoDB holds positions 6-8 already
        core.worker(newcomers)
    assert not client.exists(keys.incarnation)  # the copy is declared untrustworthy
    assert core.worker(newcomers) == {"batchItemFailures": []}  # redelivered after the rebuild

    assert_no_position_twice(core)
    positions = {rid: pos for rid, pos in stored_positions(core)}
    assert [positions[rid] for rid in first + second] == list(range(1, 11))
    assert sorted(positions[json.loads(m["body"])["request_id"]] for m in newcomers) == [11, 12, 13]


def test_a_position_assigned_but_never_stored_is_given_anew_after_a_loss(core: Core, monkeypatch) -> None:
    """Redis assigned position 3, the write did not happen, then Redis was lost: the redelivered
    entry takes a position after the highest stored one."""
    core.enter(2)
    message = entry_message(str(uuid.uuid4()), event_id=core.event_id)
    real = records.write_queue_records
    monkeypatch.setattr(
        "lambdas.waiting_room.entries.write_queue_records",
        lambda recs: records.QueueWriteResult({r.request_id for r in recs}, set()),
    )
    with pytest.raises(BatchProcessingError):
        core.worker([message])
    monkeypatch.setattr("lambdas.waiting_room.entries.write_queue_records", real)
    connection().flushall()
    core.enter(1)  # someone else arrives first after the loss: position 3
    assert core.worker([message]) == {"batchItemFailures": []}
    assert position_of(core, json.loads(message["body"])["request_id"])[1]["queue_number"] == 4
    assert_no_position_twice(core)


def test_a_stored_position_redis_lost_is_restored_when_its_visitor_asks(core: Core) -> None:
    """A failover dropped one visitor's assignment but kept the marker: the visitor's poll notices."""
    request_ids = core.enter(3)
    client, keys = connection(), EventCounters(core.event_id).keys
    client.hdel(keys.positions, request_ids[2])
    status, body = position_of(core, request_ids[2])
    assert status == 503 and body["reason"] == "rebuilding"
    assert position_of(core, request_ids[2])[1]["queue_number"] == 3


def test_a_position_stored_between_the_two_reads_is_not_taken_for_a_loss(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route reads Redis (nothing yet), the worker numbers and stores the entry, then the route
    reads DynamoDB: the position is new, not lost, and nobody rebuilds anything."""
    [request_id] = core.enter(1)
    real_lookup = EventCounters.lookup
    missed: list[str] = []

    def first_read_before_the_worker(self: EventCounters, asked: str):
        if not missed:
            missed.append(asked)
            return None
        return real_lookup(self, asked)

    monkeypatch.setattr(EventCounters, "lookup", first_read_before_the_worker)
    incarnation = connection().get(EventCounters(core.event_id).keys.incarnation)
    status, body = position_of(core, request_id)
    assert (status, body) == (202, {"message": "assigned a position just now: ask again"})
    assert connection().get(EventCounters(core.event_id).keys.incarnation) == incarnation
    status, body = position_of(core, request_id)
    assert status == 200 and body["queue_number"] == 1


def test_while_another_caller_rebuilds_routes_answer_503_with_retry_after(core: Core) -> None:
    (request_id,) = core.enter(1)
    client, keys = connection(), EventCounters(core.event_id).keys
    client.flushall()
    client.set(keys.rebuild_lock, "someone else")
    for handler, method, path, params in (
        (
            queue_num.handler,
            "GET",
            "/queue_num",
            {"query": {"event_id": core.event_id, "request_id": request_id}},
        ),
        (counters_route.handler, "GET", "/counters", {"query": {"event_id": core.event_id}}),
    ):
        answer = handler(api_event(method, path, **params), None)
        assert answer["statusCode"] == 503
        assert answer["headers"]["Retry-After"].isdigit()
        assert json.loads(answer["body"])["reason"] == "rebuilding"
    assert core.token(request_id)[0] == 503
    client.delete(keys.rebuild_lock)
    assert position_of(core, request_id)[1]["queue_number"] == 1


@pytest.fixture
def entry_queue(core: Core, configure) -> str:
    """An empty entry queue of the test's own."""
    url = aws.client("sqs").create_queue(QueueName=f"entry-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    configure(ENTRY_QUEUE_URL=url)
    return url


def test_while_redis_is_unreachable_entries_wait_on_the_queue_without_burning_receives(
    core: Core, entry_queue: str, monkeypatch
) -> None:
    def unreachable(self, entries, **options):
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(EventCounters, "assign", unreachable)
    message = entry_message(str(uuid.uuid4()), event_id=core.event_id)
    message["attributes"]["ApproximateReceiveCount"] = "1"
    assert core.worker([message]) == {"batchItemFailures": []}  # done with: it is back on the queue

    sqs = aws.client("sqs")
    (again,) = sqs.receive_message(
        QueueUrl=entry_queue,
        WaitTimeSeconds=10,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    assert json.loads(again["Body"]) == json.loads(message["body"])  # same arrival time, same place
    assert again["MessageAttributes"][deferral.DEFERRALS]["StringValue"] == "1"
    assert again["Attributes"]["ApproximateReceiveCount"] == "1"
    assert deferral.delay_seconds(1) > deferral.delay_seconds(0)


def test_an_entry_put_back_keeps_its_proof_of_work(core: Core, entry_queue: str, monkeypatch) -> None:
    def unreachable(self, entries, **options):
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(EventCounters, "assign", unreachable)
    message = entry_message(str(uuid.uuid4()), event_id=core.event_id)
    body = json.loads(message["body"]) | {"pow": {"challenge": "c", "nonce": "n"}}
    message["body"] = json.dumps(body)
    assert core.worker([message]) == {"batchItemFailures": []}
    (again,) = aws.client("sqs").receive_message(QueueUrl=entry_queue, WaitTimeSeconds=10)["Messages"]
    assert json.loads(again["Body"]) == body  # solved once, it still counts when Redis is back


def test_an_entry_that_waited_too_long_is_told_it_is_lost(core: Core, entry_queue: str, monkeypatch) -> None:
    def unreachable(self, entries, **options):
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(EventCounters, "assign", unreachable)
    request_id = str(uuid.uuid4())
    entered = int(time.time() * 1000) - deferral.MAX_WAIT_MS - 1
    assert core.worker([entry_message(request_id, event_id=core.event_id, entered_at_ms=entered)]) == {
        "batchItemFailures": []
    }
    monkeypatch.undo()
    status, body = position_of(core, request_id)
    assert status == 410 and body["reason"] == "lost"
    assert aws.client("sqs").receive_message(QueueUrl=entry_queue).get("Messages") is None


def _increment(core: Core, increment_by: int, key: str) -> tuple[int, dict]:
    body = {"event_id": core.event_id, "increment_by": increment_by, "idempotency_key": key}
    return call(increment_serving_counter.handler, "POST", "/increment_serving_counter", body=body)


def test_an_increment_retried_after_a_loss_moves_the_counter_once(core: Core) -> None:
    """The operator's answer was lost and Redis with it: the retry finds the key the rebuild restored."""
    assert _increment(core, 3, "retry-after-loss") == (200, {"serving_num": 3})

    connection().flushall()

    assert _increment(core, 3, "retry-after-loss") == (200, {"serving_num": 3})
    assert counters_of(core)["serving_counter"] == 3
    assert _increment(core, 3, "another-key") == (200, {"serving_num": 6})


def test_a_first_start_is_logged_as_initialized_and_a_real_loss_as_a_warning(core: Core, caplog) -> None:
    def rebuild_logs() -> list[tuple[str, str]]:
        lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.module == "rebuild"]
        caplog.clear()
        return lines

    caplog.set_level("INFO", logger="waiting-room")
    EventCounters(f"fresh-{uuid.uuid4().hex[:8]}").initialize()
    assert rebuild_logs() == [("INFO", "redis state initialized")]

    core.enter(2)
    connection().flushall()
    caplog.clear()
    counters_of(core)
    assert rebuild_logs() == [("WARNING", "redis state rebuilt from DynamoDB")]
