"""Token and session events leave through the tokens table's stream: `vwr local` reads moto's
stream as the stack's event source mappings read DynamoDB's and invokes the same outbox function,
and each record change is one event on the bus."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from lambdas.catalog import EVENT_SOURCE
from local.testing import Runtime
from tests.e2e.journey import counters, enter, eventually, increment, position, token

# Long enough for several passes of the runtime's stream poller (every 0.25 s).
SETTLE_SECONDS = 1.5


def _sink(runtime: Runtime, request_id: str) -> Any:
    """An SQS queue that receives every event of the bus about one visitor; returns a reader."""
    sqs, events = runtime.boto3_client("sqs"), runtime.boto3_client("events")
    name = f"outbox-{uuid.uuid4().hex[:12]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [EVENT_SOURCE], "detail": {"request_id": [request_id]}}
    events.put_rule(Name=name, EventBusName=runtime.event_bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=runtime.event_bus, Targets=[{"Id": "sink", "Arn": arn}])
    received: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return received

    return read


def _served_token(runtime: Runtime, request_id: str) -> None:
    place = position(runtime, request_id)
    serving = counters(runtime)["serving_counter"]
    if place > serving:
        increment(runtime, place - serving)
    assert token(runtime, request_id).status_code == 200


def test_a_token_and_its_session_close_are_one_event_each(runtime: Runtime) -> None:
    request_id = enter(runtime)
    read = _sink(runtime, request_id)
    _served_token(runtime, request_id)
    assert token(runtime, request_id).status_code == 200  # a repeat reads the record: no new event
    close = {"event_id": runtime.event_id, "request_id": request_id, "status": -1}
    assert runtime.signed("POST", runtime.private_api + "/update_session", json_body=close).status_code == 200
    assert runtime.signed("POST", runtime.private_api + "/update_session", json_body=close).status_code == 404

    eventually(lambda: {e["detail-type"] for e in read()} == {"token_generated", "session_updated"})
    time.sleep(SETTLE_SECONDS)  # nothing more may come
    by_type = {e["detail-type"]: e for e in read()}
    assert len(read()) == 2
    assert by_type["token_generated"]["source"] == EVENT_SOURCE
    assert by_type["token_generated"]["detail"] == {
        "event_id": runtime.event_id,
        "request_id": request_id,
        "dedup_id": f"token_generated:{request_id}",
    }
    assert by_type["session_updated"]["detail"] == {
        "event_id": runtime.event_id,
        "request_id": request_id,
        "status": "abandoned",
        "dedup_id": f"session_updated:{request_id}",
    }
