"""The queue worker: positions without loss or doubling, whatever SQS redelivers."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from lambdas import counters, queue_num
from lambdas.waiting_room import records, registry
from tests.integration.conftest import Core, call, entry_message, sqs_record


def position_of(core: Core, request_id: str) -> tuple[int, dict]:
    return call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": core.event_id, "request_id": request_id}
    )


def queue_counter(core: Core) -> int:
    return call(counters.handler, "GET", "/counters", query={"event_id": core.event_id})[1]["queue_counter"]


def test_positions_follow_arrival_and_are_readable(core: Core) -> None:
    request_ids = core.enter(3)
    for expected, request_id in enumerate(request_ids, start=1):
        status, body = position_of(core, request_id)
        assert status == 200
        assert body["queue_number"] == expected
        assert body["event_id"] == core.event_id and body["status"] == 1


def test_redelivered_message_keeps_its_position(core: Core) -> None:
    arrived = int(time.time() * 1000)
    first = entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=arrived - 1)
    core.worker([first, entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=arrived)])
    assert core.worker([first]) == {"batchItemFailures": []}
    assert position_of(core, json.loads(first["body"])["request_id"])[1]["queue_number"] == 1
    assert queue_counter(core) == 2


def test_duplicates_in_a_batch_take_one_position(core: Core) -> None:
    message = entry_message(str(uuid.uuid4()), event_id=core.event_id)
    core.worker(
        [
            message,
            message,
            dict(message, messageId="other"),
            entry_message(str(uuid.uuid4()), event_id=core.event_id),
        ]
    )
    assert queue_counter(core) == 2


def test_unknown_event_and_malformed_entries_take_no_position(core: Core) -> None:
    stray = str(uuid.uuid4())
    result = core.worker(
        [
            entry_message(stray, event_id="another-event"),
            sqs_record("not json"),
            sqs_record(json.dumps({"event_id": core.event_id, "request_id": "not-a-uuid", "entered_at": 1})),
            sqs_record(json.dumps({"event_id": core.event_id})),
        ]
    )
    assert result == {"batchItemFailures": []}  # nothing to retry: they can never take a position
    assert queue_counter(core) == 0
    assert position_of(core, stray)[0] == 202
    status, body = call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": "another-event", "request_id": stray}
    )
    assert status == 400 and "error" in body


def cancelled(reason: str, items: int) -> ClientError:
    """DynamoDB's answer to a transaction it did not apply, with one reason per item."""
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": reason}] + [{"Code": "None"}] * (items - 1),
        },
        "TransactWriteItems",
    )


def test_a_chunk_that_cannot_be_written_is_reported_and_redelivery_keeps_positions(
    core: Core, monkeypatch
) -> None:
    arrived = int(time.time() * 1000) - 3
    messages = [
        entry_message(str(uuid.uuid4()), event_id=core.event_id, entered_at_ms=arrived + i) for i in range(3)
    ]
    real_client = records.client

    class AlwaysThrottled:
        """DynamoDB that throttles every transaction (a hot partition, say)."""

        def transact_write_items(self, TransactItems):
            raise cancelled("ThrottlingError", len(TransactItems))

    monkeypatch.setattr(records, "client", lambda service: AlwaysThrottled())
    monkeypatch.setattr(records.time, "sleep", lambda seconds: None)
    with pytest.raises(BatchProcessingError):  # every message failed: the whole batch comes back
        core.worker(messages)

    monkeypatch.setattr(records, "client", real_client)
    assert core.worker(messages[::-1]) == {"batchItemFailures": []}
    assert [position_of(core, json.loads(m["body"])["request_id"])[1]["queue_number"] for m in messages] == [
        1,
        2,
        3,
    ]
    assert queue_counter(core) == 3


def test_a_cancelled_transaction_is_retried_until_written(core: Core, monkeypatch) -> None:
    real_client = records.client
    calls = []

    class ConflictsOnce:
        def __init__(self, inner):
            self.inner = inner

        def transact_write_items(self, TransactItems):
            calls.append(len(TransactItems))
            if len(calls) == 1:
                raise cancelled("TransactionConflict", len(TransactItems))
            return self.inner.transact_write_items(TransactItems=TransactItems)

    monkeypatch.setattr(records, "client", lambda service: ConflictsOnce(real_client(service)))
    monkeypatch.setattr(records.time, "sleep", lambda seconds: None)
    request_ids = core.enter(10)
    assert calls == [20, 20]  # each record and the reservation of its position
    monkeypatch.setattr(records, "client", real_client)
    for request_id in request_ids:
        assert records.read_queue_record(request_id) is not None


def test_a_batch_costs_one_redis_round_trip_and_one_write_per_50(
    core: Core, aws_calls, redis_round_trips
) -> None:
    registry.lookup(core.event_id)  # a warm container knows its events (next test)
    aws_calls.clear()
    core.enter(100)
    assert sum(redis_round_trips.values()) == 1, redis_round_trips
    assert aws_calls == {"dynamodb.TransactWriteItems": 2}


def test_the_event_registry_costs_one_read_per_event_per_container_every_few_seconds(
    core: Core, aws_calls
) -> None:
    """Every route and batch looks its event up; the container keeps the answer, misses too."""
    for _ in range(5):
        core.enter(20)
        registry.lookup("never-registered")
    assert aws_calls["dynamodb.GetItem"] == 2  # the test's event and the unknown one, once each
