"""The dead-letter queue drains itself: entries go back to the worker a bounded number of times,
and one that still fails gets a definite 410 `not_numbered` instead of 202 forever."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable

import pytest

from lambdas import counters, dead_letter_redrive, queue_num, queue_worker
from lambdas.waiting_room import aws, dead_letters, deferral, redis_store
from lambdas.waiting_room.entries import Entry
from lambdas.waiting_room.settings import settings
from local.events import sqs_event
from local.sqs_poller import lambda_delivery
from tests.integration.conftest import Core, call

MAX_RECEIVE_COUNT = 2


@pytest.fixture
def queues(core: Core, configure) -> tuple[str, str]:
    """An entry queue of the test's own, and its dead-letter queue after MAX_RECEIVE_COUNT receives."""
    sqs = aws.client("sqs")
    name = f"entry-{uuid.uuid4().hex[:12]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(policy)})["QueueUrl"]
    configure(ENTRY_QUEUE_URL=url, ENTRY_DLQ_URL=dlq)
    return url, dlq


def enter(core: Core, queue: str, request_id: str, *, entered_at_ms: int | None = None) -> None:
    """The entry as the public API's integration puts it on the queue."""
    body = {
        "event_id": core.event_id,
        "request_id": request_id,
        "entered_at": entered_at_ms or int(time.time() * 1000),
    }
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(body))


def run_worker(queue: str) -> None:
    """The event source mapping (the local runtime's) until the queue is empty; failures are visible
    again at once (visibility 0), so SQS's redrive policy moves an entry that keeps failing to the
    dead-letter queue."""
    sqs = aws.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deliver = lambda_delivery(
        lambda event: queue_worker.handler(event, None),
        lambda messages: sqs_event(messages, queue_arn=arn, region="us-east-1"),
        name="QueueWorker",
    )
    while messages := sqs.receive_message(
        QueueUrl=queue,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    ).get("Messages", []):
        for message in deliver(messages):
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def count(queue: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def position_of(core: Core, request_id: str) -> tuple[int, dict]:
    return call(
        queue_num.handler, "GET", "/queue_num", query={"event_id": core.event_id, "request_id": request_id}
    )


def failing_for(monkeypatch: pytest.MonkeyPatch, failing: Callable[[str], bool]) -> None:
    """The worker fails on the entries of the request ids `failing` names before it numbers them
    (a fault of its own, or of a store it needs), so their messages come back; the rest of the
    batch is numbered."""
    assign = queue_worker.assign_positions

    def assign_some(event_id: str, batch: list[Entry], window_ms: int = 0) -> set[str]:
        failed = {e.message_id for e in batch if failing(e.request_id)}
        return failed | assign(event_id, [e for e in batch if not failing(e.request_id)], window_ms)

    monkeypatch.setattr(queue_worker, "assign_positions", assign_some)


def test_a_poisoned_entry_ends_with_410_while_a_transient_failure_is_numbered(
    core: Core, queues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    queue, dlq = queues
    poisoned, transient, healthy = (str(uuid.uuid4()) for _ in range(3))
    healed = False
    failing_for(monkeypatch, lambda rid: rid == poisoned or (rid == transient and not healed))
    for request_id in (healthy, transient, poisoned):
        enter(core, queue, request_id)

    run_worker(queue)
    assert position_of(core, healthy)[0] == 200
    assert count(dlq) == 2  # both failed MAX_RECEIVE_COUNT times
    assert position_of(core, transient)[0] == 202 and position_of(core, poisoned)[0] == 202

    healed = True  # whatever failed the transient entry is over by the next minute
    redriven = [dead_letter_redrive.handler({}, None)]
    run_worker(queue)
    status, body = position_of(core, transient)
    assert status == 200 and body["queue_number"] == 2
    assert position_of(core, poisoned)[0] == 202  # back in the dead-letter queue, one redrive spent

    for _ in range(dead_letters.MAX_REDRIVES):
        redriven.append(dead_letter_redrive.handler({}, None))
        run_worker(queue)
    assert [r["redriven"] for r in redriven] == [2, 1, 1, 0]
    assert [r["refused"] for r in redriven] == [0, 0, 0, 1]
    assert count(dlq) == 0 and count(queue) == 0

    status, body = position_of(core, poisoned)
    assert status == 410 and body["reason"] == "not_numbered"
    # A DynamoDB record, not Redis state: a Redis loss and rebuild keep the answer.
    redis_store.connection().flushall()
    for _ in range(3):
        status, body = position_of(core, poisoned)
        if status != 503:  # the first reader after the loss rebuilds the state
            break
    assert status == 410 and body["reason"] == "not_numbered"
    assert position_of(core, transient)[1]["queue_number"] == 2


def test_a_redrive_sends_the_entry_back_unchanged_with_its_count(core: Core, queues: tuple[str, str]) -> None:
    queue, dlq = queues
    body = json.dumps({"event_id": core.event_id, "request_id": str(uuid.uuid4()), "entered_at": 1})
    deferred = {deferral.DEFERRALS: {"DataType": "Number", "StringValue": "4"}}
    aws.client("sqs").send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=deferred)

    assert dead_letters.redrive() == dead_letters.Drained(redriven=1)
    (again,) = aws.client("sqs").receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert again["Body"] == body  # its arrival time, so its place in line
    assert again["MessageAttributes"][dead_letters.REDRIVES]["StringValue"] == "1"
    assert again["MessageAttributes"][deferral.DEFERRALS]["StringValue"] == "4"
    assert count(dlq) == 0


def test_an_entry_numbered_after_all_keeps_its_position(core: Core, queues: tuple[str, str]) -> None:
    """A duplicate that was numbered while its twin sat in the dead-letter queue: no refusal."""
    _, dlq = queues
    (request_id,) = core.enter(1)
    body = json.dumps({"event_id": core.event_id, "request_id": request_id, "entered_at": 1})
    spent = {dead_letters.REDRIVES: {"DataType": "Number", "StringValue": str(dead_letters.MAX_REDRIVES)}}
    aws.client("sqs").send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=spent)

    assert dead_letters.redrive().refused == 1
    status, answer = position_of(core, request_id)
    assert status == 200 and answer["queue_number"] == 1


def test_a_dead_letter_that_holds_no_entry_is_dropped(core: Core, queues: tuple[str, str]) -> None:
    _, dlq = queues
    spent = {dead_letters.REDRIVES: {"DataType": "Number", "StringValue": str(dead_letters.MAX_REDRIVES)}}
    aws.client("sqs").send_message(QueueUrl=dlq, MessageBody="not json", MessageAttributes=spent)
    assert dead_letters.redrive() == dead_letters.Drained(dropped=1)
    assert count(dlq) == 0


def test_a_redriven_entry_put_back_while_redis_is_away_keeps_its_count(
    core: Core, queues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's deferral carries the count over, so a Redis outage does not reset the bound."""
    queue, _ = queues
    monkeypatch.setattr(queue_worker, "assign_positions", _unreachable)
    entered_at = int(time.time() * 1000)
    body = json.dumps({"event_id": core.event_id, "request_id": str(uuid.uuid4()), "entered_at": entered_at})
    redriven = {dead_letters.REDRIVES: {"DataType": "Number", "StringValue": "2"}}
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=redriven)
    sqs = aws.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert queue_worker.handler(sqs_event(messages, queue_arn=arn, region="us-east-1"), None) == {
        "batchItemFailures": []
    }
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
    (again,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert again["MessageAttributes"][dead_letters.REDRIVES]["StringValue"] == "2"
    assert again["MessageAttributes"][deferral.DEFERRALS]["StringValue"] == "1"


def _unreachable(*args, **kwargs):
    from redis.exceptions import ConnectionError as RedisConnectionError

    raise RedisConnectionError("connection refused")


def test_the_counters_show_the_dead_letter_queue_depth(core: Core, queues: tuple[str, str]) -> None:
    _, dlq = queues

    def depth() -> int:
        status, body = call(counters.handler, "GET", "/counters", query={"event_id": core.event_id})
        assert status == 200
        return body["dead_letter_entries"]

    assert depth() == 0
    for _ in range(3):
        aws.client("sqs").send_message(QueueUrl=dlq, MessageBody="{}")
    assert depth() == 3


def test_the_counters_answer_without_the_depth_when_sqs_cannot_say(
    core: Core, queues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A queue SQS does not know: its answer is an error, as a missing permission's would be.
    gone = dataclasses.replace(settings(), entry_dead_letters_url=queues[1] + "-gone")
    monkeypatch.setattr(dead_letters, "settings", lambda: gone)
    status, body = call(counters.handler, "GET", "/counters", query={"event_id": core.event_id})
    assert status == 200
    assert "dead_letter_entries" not in body and body["event_id"] == core.event_id
    assert "serving_counter" in body


def test_one_run_handles_a_bounded_number_of_entries(core: Core, queues: tuple[str, str]) -> None:
    """A flood is drained over several runs, each inside the function's timeout."""
    _, dlq = queues
    for _ in range(3):
        body = json.dumps({"event_id": core.event_id, "request_id": str(uuid.uuid4()), "entered_at": 1})
        aws.client("sqs").send_message(QueueUrl=dlq, MessageBody=body)
    assert dead_letters.redrive(max_entries=2).redriven == 2
    assert count(dlq) == 1
    assert dead_letters.redrive(max_entries=2).redriven == 1
    assert count(dlq) == 0
