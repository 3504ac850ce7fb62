"""Lambda's event-source semantics as the runtime reproduces them on a moto server: SQS batches and
partial batch responses, redelivery after the visibility timeout, the dead-letter queue after the
receive limit, and SNS notifications delivered once each with three attempts at most."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local import events, sns_delivery
from local.processes import MotoServer
from local.sqs_poller import Queue, SqsPoller, completed, lambda_delivery
from tests.e2e.journey import eventually

REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    server = MotoServer()
    yield server.start()
    server.stop()


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )


def _queues(sqs: Any, name: str, max_receive_count: int) -> tuple[str, str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn, dlq


def _count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


class Recorder:
    """A fake function: records every event, fails the bodies it is told to fail."""

    def __init__(self, failing: set[str] | None = None, raise_on: set[str] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.failing = failing or set()
        self.raise_on = raise_on or set()
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
        bodies = {r["body"] for r in event["Records"]}
        if bodies & self.raise_on:
            raise RuntimeError("the whole batch fails")
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in self.failing
            ]
        }

    def deliveries(self, body: str) -> int:
        with self.lock:
            return sum(1 for e in self.events for r in e["Records"] if r["body"] == body)


def _poller(
    sqs: Any, url: str, arn: str, function: Recorder, *, batch_size: int, window: float, visibility: int = 1
) -> SqsPoller:
    return SqsPoller(
        sqs,
        Queue(
            url=url,
            batch_size=batch_size,
            batching_window_seconds=window,
            visibility_timeout_seconds=visibility,
        ),
        lambda_delivery(function, lambda messages: events.sqs_event(messages, queue_arn=arn, region=REGION)),
        name="test",
    )


def test_batches_gather_past_the_ten_message_receive_limit(moto: str) -> None:
    sqs = _client(moto, "sqs")
    url, arn, _ = _queues(sqs, "gather", 5)
    for start in range(0, 40, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        )
    function = Recorder()
    # The visibility timeout outlasts the batching window, or the first messages of a batch would
    # come back while it is still being gathered (Lambda refuses such a mapping).
    poller = _poller(sqs, url, arn, function, batch_size=25, window=1.0, visibility=10)
    poller.start()
    try:
        eventually(lambda: sum(len(e["Records"]) for e in function.events) == 40)
    finally:
        poller.stop()
    sizes = [len(e["Records"]) for e in function.events]
    assert max(sizes) == 25
    assert all(size <= 25 for size in sizes)
    record = function.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    eventually(lambda: _count(sqs, url) == 0)


def test_reported_failures_come_back_then_go_to_the_dead_letter_queue(moto: str) -> None:
    sqs = _client(moto, "sqs")
    url, arn, dlq = _queues(sqs, "partial", 3)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": b, "MessageBody": b} for b in ("ok", "bad")])
    function = Recorder(failing={"bad"})
    poller = _poller(sqs, url, arn, function, batch_size=10, window=0.2)
    poller.start()
    try:
        # Received three times (the first delivery and two after each visibility timeout), then moved.
        eventually(lambda: _count(sqs, dlq) == 1, within=20)
    finally:
        poller.stop()
    assert function.deliveries("ok") == 1
    assert function.deliveries("bad") == 3
    moved = sqs.receive_message(QueueUrl=dlq)["Messages"][0]
    assert moved["Body"] == "bad"
    assert _count(sqs, url) == 0


def test_a_raising_function_keeps_the_whole_batch(moto: str) -> None:
    sqs = _client(moto, "sqs")
    url, arn, dlq = _queues(sqs, "raising", 2)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": b, "MessageBody": b} for b in ("a", "boom")])
    function = Recorder(raise_on={"boom"})
    poller = _poller(sqs, url, arn, function, batch_size=10, window=0.3)
    poller.start()
    try:
        eventually(lambda: _count(sqs, dlq) == 2, within=20)
    finally:
        poller.stop()
    # Both were redelivered together: "a" was never reported done.
    assert function.deliveries("a") == 2


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
    ],
)
def test_an_unreadable_partial_response_fails_the_whole_batch(response: dict[str, Any]) -> None:
    messages = [{"MessageId": "1", "ReceiptHandle": "r1"}, {"MessageId": "2", "ReceiptHandle": "r2"}]
    assert completed(messages, response) == []
    assert completed(messages, None) == messages
    assert completed(messages, {"batchItemFailures": []}) == messages


def test_sns_notifications_reach_the_function_once_with_three_attempts_at_most(moto: str) -> None:
    sqs, sns = _client(moto, "sqs"), _client(moto, "sns")
    topic = sns.create_topic(Name="inlet-topic")["TopicArn"]
    subscription = sns_delivery.subscribe(
        sns, sqs, function_name="F", topic_arn=topic, queue_name="inlet-delivery"
    )
    received: list[dict[str, Any]] = []

    def function(event: dict[str, Any]) -> None:
        received.append(event)
        if json.loads(event["Records"][0]["Sns"]["Message"]).get("fail"):
            raise RuntimeError("failed")

    poller = SqsPoller(
        sqs,
        Queue(
            url=subscription.queue_url, batch_size=1, batching_window_seconds=0, visibility_timeout_seconds=1
        ),
        sns_delivery.delivery(subscription, function),
        name="sns",
    )
    poller.start()
    try:
        sns.publish(TopicArn=topic, Message=json.dumps({"exited": 2}), Subject="left")
        sns.publish(TopicArn=topic, Message=json.dumps({"fail": True}))
        eventually(lambda: len(received) == 1 + sns_delivery.MAX_ATTEMPTS, within=20)
        time.sleep(2.5)  # a fourth attempt would have come by now
    finally:
        poller.stop()
    assert len(received) == 1 + sns_delivery.MAX_ATTEMPTS
    record = received[0]["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"] == subscription.subscription_arn
    assert record["Sns"]["TopicArn"] == topic
    assert record["Sns"]["Subject"] == "left"
    assert json.loads(record["Sns"]["Message"]) == {"exited": 2}
    assert _count(sqs, subscription.queue_url) == 0
