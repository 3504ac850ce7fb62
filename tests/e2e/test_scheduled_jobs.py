"""The scheduled jobs run on their timers: with minutes made seconds, a served position that nobody
redeems expires, the sweeper counts it, and with auto-increment on it returns to the line; entries
in the dead-letter queue go back to the worker, or past the bound get a definite 410."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from lambdas.waiting_room.dead_letters import MAX_REDRIVES, REDRIVES
from local.testing import Runtime, running_runtime
from tests.e2e.journey import counters, enter, eventually, increment, position, token

EXPIRY_SECONDS = 2


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    args = [
        "--event-id", "expiry-event",
        "--expiry-seconds", str(EXPIRY_SECONDS),
        "--schedule-seconds", "1",
        "--set", "INCR_SERVING_ON_EXPIRY=true",
        "--batch-window", "0.1",
    ]  # fmt: skip
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-expiry")) as started:
        yield started


def test_an_unredeemed_position_expires_and_the_sweeper_returns_it(fast: Runtime) -> None:
    visitors = [enter(fast) for _ in range(3)]
    for request_id in visitors:
        position(fast, request_id)
    redeemer, *idle = sorted(visitors, key=lambda rid: position(fast, rid))
    increment(fast, 3)
    assert token(fast, redeemer).status_code == 200

    # Two served visitors never ask for a token: after the grace window the sweeper counts them
    # and gives their places back, so the serving counter moves by two without any operator.
    swept = eventually(lambda: (c := counters(fast))["expired_queue_counter"] == 2 and c, within=15)
    assert swept["max_queue_position_expired"] == 3
    assert swept["serving_counter"] == 3 + 2

    for request_id in idle:
        assert token(fast, request_id).status_code == 410
        expiry = requests.get(
            fast.public_api + "/queue_pos_expiry",
            params={"event_id": fast.event_id, "request_id": request_id},
            timeout=5,
        )
        assert expiry.status_code == 410
    # The one who redeemed in time keeps the tokens.
    assert token(fast, redeemer).status_code == 200


def test_the_dead_letter_queue_drains_itself_on_its_timer(fast: Runtime) -> None:
    """Two entries as SQS leaves them in the dead-letter queue after the worker failed on them: one
    that has not been redriven yet is numbered, one that has spent its redrives is refused."""
    sqs = fast.boto3_client("sqs")
    redriven, spent = str(uuid.uuid4()), str(uuid.uuid4())
    for request_id, redrives in ((redriven, 0), (spent, MAX_REDRIVES)):
        body = {"event_id": fast.event_id, "request_id": request_id, "entered_at": int(time.time() * 1000)}
        sqs.send_message(
            QueueUrl=fast.entry_dlq_url,
            MessageBody=json.dumps(body),
            MessageAttributes={REDRIVES: {"DataType": "Number", "StringValue": str(redrives)}},
        )

    def answer(request_id: str) -> requests.Response:
        params = {"event_id": fast.event_id, "request_id": request_id}
        return requests.get(fast.public_api + "/queue_num", params=params, timeout=5)

    refused = eventually(lambda: (a := answer(spent)).status_code == 410 and a.json(), within=15)
    assert refused["reason"] == "not_numbered"
    assert position(fast, redriven) >= 1
    assert counters(fast)["dead_letter_entries"] == 0
