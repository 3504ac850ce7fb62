"""Queue-position expiry: the grace window, the countdown, and a sweeper that never stalls."""

from __future__ import annotations

import time

import pytest

from lambdas import counters, expiry_sweeper, queue_pos_expiry, waiting_num
from lambdas.waiting_room.counters import EventCounters
from tests.integration.conftest import Core, call

PERIOD = 1  # seconds: short enough to wait out in a test


@pytest.fixture
def short_expiry(configure) -> None:
    configure(QUEUE_POSITION_EXPIRY_SECONDS=str(PERIOD))


def countdown(core: Core, request_id: str) -> tuple[int, dict]:
    return call(
        queue_pos_expiry.handler,
        "GET",
        "/queue_pos_expiry",
        query={"event_id": core.event_id, "request_id": request_id},
    )


def values(core: Core) -> dict[str, int]:
    return call(counters.handler, "GET", "/counters", query={"event_id": core.event_id})[1]


def test_countdown_from_serving_to_expiry(core: Core, short_expiry) -> None:
    [request_id] = core.enter(1)
    assert countdown(core, request_id)[0] == 202
    core.serve(1)
    status, body = countdown(core, request_id)
    assert status == 200 and 0 <= body["expires_in"] <= PERIOD and body["token_issued"] is False
    time.sleep(PERIOD + 0.2)
    assert countdown(core, request_id)[0] == 410
    status, body = core.token(request_id)
    assert status == 410 and body["reason"] == "expired"
    assert countdown(core, request_id)[1]["reason"] == "expired"


def test_the_window_starts_when_the_position_became_eligible(core: Core, short_expiry) -> None:
    [early] = core.enter(1)
    time.sleep(PERIOD + 0.2)  # waited longer than the window before being served: not expired yet
    core.serve(1)
    assert core.token(early)[0] == 200


def test_a_redeemed_position_does_not_expire(core: Core, short_expiry) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    first = core.token(request_id)[1]
    time.sleep(PERIOD + 0.2)
    status, again = core.token(request_id)
    assert status == 200 and again["access_token"] == first["access_token"]
    assert countdown(core, request_id) == (200, {"expires_in": 0, "token_issued": True})


def sweep(core: Core) -> dict[str, int]:
    """The sweeper's run, as it went for the test's event."""
    return expiry_sweeper.handler({}, None)["events"][core.event_id]


def _generation(core: Core) -> int:
    return EventCounters(core.event_id).generation()


def test_expiry_disabled(core: Core, configure) -> None:
    configure(ENABLE_QUEUE_POSITION_EXPIRY="false", QUEUE_POSITION_EXPIRY_SECONDS="1")
    [request_id] = core.enter(1)
    core.serve(1)
    assert countdown(core, request_id)[0] == 202
    time.sleep(1.2)
    assert core.token(request_id)[0] == 200
    assert core.event_id not in expiry_sweeper.handler({}, None)["events"]


def test_unknown_request_id(core: Core) -> None:
    assert countdown(core, "00000000-0000-4000-8000-000000000000")[0] == 404


def test_sweeper_counts_unused_positions_and_does_not_stall_on_unassigned_ones(
    core: Core, short_expiry
) -> None:
    used, _unused, _also_unused = core.enter(3)
    core.serve(5)  # positions 4 and 5 are served but nobody holds them yet
    core.token(used)
    time.sleep(PERIOD + 0.2)
    assert sweep(core) == {"max_queue_position_expired": 3, "expired": 2}
    assert values(core)["expired_queue_counter"] == 2
    assert call(waiting_num.handler, "GET", "/waiting_num", query={"event_id": core.event_id})[1] == {
        "waiting_num": 0
    }

    late_a, late_b = core.enter(2)  # they take positions 4 and 5, already served: the window starts now
    assert sweep(core) == {"max_queue_position_expired": 3, "expired": 0}
    assert core.token(late_a)[0] == 200
    time.sleep(PERIOD + 0.2)
    assert sweep(core) == {"max_queue_position_expired": 5, "expired": 1}
    assert core.token(late_b)[0] == 410
    assert values(core)["max_queue_position_expired"] == 5


def test_sweeper_returns_expired_positions_to_the_serving_counter(core: Core, configure, event_sink) -> None:
    configure(QUEUE_POSITION_EXPIRY_SECONDS=str(PERIOD), INCR_SERVING_ON_EXPIRY="true")
    event_sink()
    core.enter(4)
    core.serve(2)
    time.sleep(PERIOD + 0.2)
    assert sweep(core)["expired"] == 2
    assert values(core)["serving_counter"] == 4
    [event] = [e for e in event_sink() if e["detail-type"] == "automatic_serving_counter_incr"]
    assert event["detail"] == {
        "event_id": core.event_id,
        "previous_serving_counter_position": 2,
        "increment_by": 2,
        "current_serving_counter_position": 4,
        "dedup_id": f"automatic_serving_counter_incr:{core.event_id}:{_generation(core)}:4",
    }


def test_a_crash_after_the_trail_record_still_delivers_the_increment(
    core: Core, configure, event_sink, monkeypatch
) -> None:
    """The sweeper dies the moment its trail record is written: the record is the event."""
    configure(QUEUE_POSITION_EXPIRY_SECONDS=str(PERIOD), INCR_SERVING_ON_EXPIRY="true")
    event_sink()
    core.enter(3)
    core.serve(1)
    time.sleep(PERIOD + 0.2)
    written = expiry_sweeper.record_serving_increment

    def write_then_die(*args, **kwargs) -> None:
        written(*args, **kwargs)
        raise RuntimeError("container killed")

    monkeypatch.setattr(expiry_sweeper, "record_serving_increment", write_then_die)
    with pytest.raises(RuntimeError, match="container killed"):
        sweep(core)
    [event] = [e for e in event_sink() if e["detail-type"] == "automatic_serving_counter_incr"]
    assert event["detail"]["previous_serving_counter_position"] == 1
    assert event["detail"]["increment_by"] == 1
    assert event["detail"]["current_serving_counter_position"] == 2


def test_an_operator_increment_is_no_automatic_increment(core: Core, event_sink) -> None:
    event_sink()
    core.serve(5)
    assert [e for e in event_sink() if e["detail-type"] == "automatic_serving_counter_incr"] == []


def test_a_position_counted_expired_can_no_longer_be_redeemed(core: Core, short_expiry) -> None:
    """Each position ends either redeemed or counted expired, never both."""
    request_ids = core.enter(50)
    core.serve(50)
    time.sleep(PERIOD + 0.2)
    expiry_sweeper.handler({}, None)
    statuses = [core.token(rid)[0] for rid in request_ids]
    state = values(core)
    assert statuses == [410] * 50
    assert state["token_counter"] + state["expired_queue_counter"] == 50
