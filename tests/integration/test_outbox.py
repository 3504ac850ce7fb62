"""The transactional outbox: a token record's INSERT and a session's close are the events.

The handlers make no PutEvents call, so there is no moment between the write and the event in
which a crash could lose it; the stream poller (what the stack's event source mappings do) hands
each change to the outbox function, which puts it on the bus at least once.
"""

from __future__ import annotations

import uuid
from collections import Counter
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from lambdas import update_session
from lambdas.waiting_room import aws, records, tokens
from lambdas.waiting_room.settings import settings
from tests.integration.conftest import Core, Outbox, call


def _close(core: Core, request_id: str, status: int) -> int:
    body = {"event_id": core.event_id, "request_id": request_id, "status": status}
    return call(update_session.handler, "POST", "/update_session", body=body)[0]


def _about(events: list[dict], request_id: str) -> list[tuple[str, dict]]:
    return [(e["detail-type"], e["detail"]) for e in events if e["detail"].get("request_id") == request_id]


@pytest.fixture
def outbox_answers(monkeypatch) -> list[tuple[dict, dict]]:
    """Each batch the outbox function is invoked with and its answer, while the test runs (a batch
    whose invocation raised is not there)."""
    from lambdas import outbox as outbox_function

    handle = outbox_function.handler
    answers: list[tuple[dict, dict]] = []

    def recorded(event: dict, context: object) -> dict:
        answer = handle(event, context)
        answers.append((event, answer))
        return answer

    # The stream pollers look the handler up on each invocation.
    monkeypatch.setattr(outbox_function, "handler", recorded)
    return answers


def test_token_and_session_handlers_make_no_put_events_call(core: Core, aws_calls: Counter) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    aws_calls.clear()
    assert core.token(request_id)[0] == 200
    assert _close(core, request_id, 1) == 200
    assert not [name for name in aws_calls if name.startswith("events.")]


def test_a_crash_right_after_the_put_still_delivers_the_event(core: Core, monkeypatch, event_sink) -> None:
    """The container dies the moment the record is written: the event still leaves."""
    event_sink()
    [request_id] = core.enter(1)
    core.serve(1)
    written = records.put_token_record

    def put_then_die(record: records.TokenRecord) -> bool:
        written(record)
        raise RuntimeError("container killed")

    with monkeypatch.context() as patch:
        patch.setattr(tokens, "put_token_record", put_then_die)
        assert core.token(request_id)[0] == 500
    assert records.read_token_record(request_id) is not None
    assert [kind for kind, _ in _about(event_sink(), request_id)] == ["token_generated"]
    # The visitor's retry gets the token of that record and makes no second event.
    assert core.token(request_id)[0] == 200
    assert _about(event_sink(), request_id) == []


def test_each_record_change_is_one_event_and_other_changes_none(core: Core, event_sink) -> None:
    event_sink()
    first, second = core.enter(2)
    core.serve(2)
    assert core.token(first)[0] == 200 and core.token(second)[0] == 200
    assert _close(core, first, 1) == 200
    assert _close(core, first, 1) == 404  # no change, no event
    dynamodb, table = aws.client("dynamodb"), settings().tokens_table
    # Changes that are no event: another attribute (MODIFY), and a TTL delete (REMOVE).
    dynamodb.update_item(
        TableName=table,
        Key={"request_id": {"S": first}},
        UpdateExpression="SET issuer = :issuer",
        ExpressionAttributeValues={":issuer": {"S": "elsewhere"}},
    )
    dynamodb.delete_item(TableName=table, Key={"request_id": {"S": second}})
    events = event_sink()
    assert _about(events, first) == [
        (
            "token_generated",
            {"event_id": core.event_id, "request_id": first, "dedup_id": f"token_generated:{first}"},
        ),
        (
            "session_updated",
            {
                "event_id": core.event_id,
                "request_id": first,
                "status": "completed",
                "dedup_id": f"session_updated:{first}",
            },
        ),
    ]
    assert [kind for kind, _ in _about(events, second)] == ["token_generated"]


def test_a_put_the_bus_refuses_is_tried_again(core: Core, outbox: Outbox, event_sink, caplog) -> None:
    """A record whose event the bus refused is reported failed and read again: none is skipped.
    The refusal is logged, without the request id it carried."""
    event_sink()
    [request_id] = core.enter(1)
    core.serve(1)
    assert core.token(request_id)[0] == 200
    refused = ClientError({"Error": {"Code": "InternalException", "Message": "injected"}}, "PutEvents")
    caplog.clear()
    with mock.patch.object(aws.client("events"), "put_events", side_effect=refused):
        outbox.poll()
    logged = [record for record in caplog.records if record.module == "outbox"]
    assert [(r.levelname, r.getMessage(), r.entries) for r in logged] == [("ERROR", "PutEvents failed", 1)]
    assert request_id not in caplog.text
    assert [kind for kind, _ in _about(event_sink(), request_id)] == ["token_generated"]


def test_after_a_refused_call_no_later_entries_are_put(core: Core, outbox: Outbox, event_sink) -> None:
    """Eleven events are two PutEvents calls: when the first fails, the second is not made (the
    mapping reads them all again), so after the retry every event has arrived exactly once."""
    event_sink()
    request_ids = core.enter(11)
    core.serve(11)
    assert all(core.token(request_id)[0] == 200 for request_id in request_ids)
    events_client = aws.client("events")
    put = events_client.put_events
    calls: list[int] = []

    def refuse_the_first_call(**request) -> dict:
        """A throttle on the first call; the bus takes any later one."""
        calls.append(len(request["Entries"]))
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "PutEvents")
        return put(**request)

    with mock.patch.object(events_client, "put_events", side_effect=refuse_the_first_call):
        outbox.poll()
    assert calls == [10]
    events = event_sink()
    assert [len(_about(events, request_id)) for request_id in request_ids] == [1] * 11


def test_an_entry_the_bus_refuses_fails_only_its_record(
    core: Core, outbox: Outbox, event_sink, outbox_answers
) -> None:
    """PutEvents answers per entry: only the refused entry's record is reported failed, and it
    is read again, so its event reaches the bus once; the others are not reported."""
    event_sink()
    first, second = core.enter(2)
    core.serve(2)
    assert core.token(first)[0] == 200 and core.token(second)[0] == 200
    events_client = aws.client("events")
    put = events_client.put_events

    def refuse_the_first(*, Entries: list[dict], **request) -> dict:
        """The bus takes every entry but the first, and says so entry by entry."""
        taken = put(Entries=Entries[1:], **request)["Entries"] if len(Entries) > 1 else []
        refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}
        return {"FailedEntryCount": 1, "Entries": [refused, *taken]}

    with mock.patch.object(events_client, "put_events", side_effect=refuse_the_first):
        outbox.poll()
    [(batch, answer)] = outbox_answers
    sequence_of = {
        record["dynamodb"]["NewImage"]["request_id"]["S"]: record["dynamodb"]["SequenceNumber"]
        for record in batch["Records"]
    }
    assert list(sequence_of) == [first, second]
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence_of[first]}]}
    events = event_sink()  # the retry: read again from the refused record
    assert _about(events, first) == [
        (
            "token_generated",
            {"event_id": core.event_id, "request_id": first, "dedup_id": f"token_generated:{first}"},
        )
    ]
    # The record after the refused one is read again with it: at least once, one dedup id.
    again = _about(events, second)
    assert again and {detail["dedup_id"] for _, detail in again} == {f"token_generated:{second}"}


def test_a_batch_whose_every_record_failed_is_answered_not_raised(
    core: Core, outbox: Outbox, event_sink, outbox_answers
) -> None:
    """A throttle on a one-record batch fails the whole batch: the function reports the record
    failed instead of raising, so a passing refusal counts as no Lambda error (the outbox's error
    alarm); the record is read again and its event arrives once."""
    event_sink()
    [request_id] = core.enter(1)
    core.serve(1)
    assert core.token(request_id)[0] == 200
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "PutEvents")
    with mock.patch.object(aws.client("events"), "put_events", side_effect=throttled):
        outbox.poll()
    [(batch, answer)] = outbox_answers
    [record] = batch["Records"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert [kind for kind, _ in _about(event_sink(), request_id)] == ["token_generated"]


def test_a_record_that_keeps_failing_is_given_up_after_the_retries_and_the_rest_delivered(
    core: Core, aws_session, event_sink, caplog
) -> None:
    """A record that claims to be an event but cannot be read as one blocks its shard only for the
    mapping's retries; then it is given up (the stack's mapping sends it to the failure queue) and
    the records behind it are delivered. A table of its own keeps the shared streams clean."""
    from lambdas import outbox as outbox_function
    from lambdas.catalog import Resource, StreamTrigger, outbox_of
    from local.stream_poller import StreamPoller

    event_sink()
    dynamodb = aws_session.client("dynamodb")
    name = f"test-poison-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "event_id", "KeyType": "HASH"},
            {"AttributeName": "serving_counter", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "event_id", "AttributeType": "S"},
            {"AttributeName": "serving_counter", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    move = {
        "event_id": {"S": core.event_id},
        "increment_by": {"N": "2"},
        "previous_serving_counter": {"N": "3"},
        "generation": {"N": "7"},
        "expiry_watermark": {"N": "5"},
    }
    broken = {**move, "serving_counter": {"N": "5"}, "increment_by": {"S": "two"}}
    dynamodb.put_item(TableName=name, Item=broken)
    dynamodb.put_item(
        TableName=name, Item={**move, "serving_counter": {"N": "6"}, "previous_serving_counter": {"N": "4"}}
    )
    poller = StreamPoller(
        aws_session,
        table_name=name,
        outbox=outbox_of(Resource.SERVING_COUNTER_TABLE),
        invoke=lambda event: outbox_function.handler(event, None),
        trigger=StreamTrigger(retry_attempts=2),
    )
    for _ in range(2):  # the first try and the first retry
        poller.poll()
        assert poller.given_up == []
    poller.poll()  # the second retry fails too: given up
    assert [record["dynamodb"]["Keys"]["serving_counter"] for record in poller.given_up] == [{"N": "5"}]
    # Logged by its sequence number, not its keys (a token record's key is a request id).
    [given_up] = poller.given_up
    assert [r.getMessage() for r in caplog.records if r.name == "vwr.local.streams"][-1] == (
        f"outbox record given up after 3 tries: sequence number {given_up['dynamodb']['SequenceNumber']}"
    )
    moves = [e["detail"] for e in event_sink() if e["detail-type"] == "automatic_serving_counter_incr"]
    assert [
        (m["previous_serving_counter_position"], m["current_serving_counter_position"]) for m in moves
    ] == [(4, 6)]
