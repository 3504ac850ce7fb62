"""The cost model counts the page's polls with the page's schedule, not an assumed interval."""

from __future__ import annotations

from lambdas.catalog import POLL_SCHEDULE
from stacks import cost


def test_polls_follow_the_schedule_and_grow_slower_than_the_wait() -> None:
    short, ten, hour = (cost.visitor(minutes) for minutes in (1, 10, 60))
    assert short.serving_polls < ten.serving_polls < hour.serving_polls
    # Far from the front the page polls at most every far interval, never more often than near.
    assert hour.serving_polls >= 3600 / (POLL_SCHEDULE.far_ms / 1000)
    assert hour.serving_polls <= 3600 / (POLL_SCHEDULE.near_ms / 1000) / 10
    assert ten.cdn_requests <= 60
    # A slower schedule makes fewer polls for the same wait.
    assert cost.serving_polls(600_000, POLL_SCHEDULE.with_near(4000)) < ten.serving_polls


def test_the_position_is_asked_for_until_the_ordering_window_has_passed() -> None:
    polls = cost.assign_polls()
    retries = [POLL_SCHEDULE.assign_retry_ms(n) for n in range(polls)]
    assert sum(retries[:-1]) < cost.ASSIGNED_AFTER_MS <= sum(retries)


def test_every_wait_is_priced() -> None:
    totals = [sum(line.monthly for line in cost.per_million_visitors(m)) for m in cost.WAITS_MINUTES]
    assert totals == sorted(totals) and totals[0] > 0


def test_an_idle_event_costs_well_under_a_cent_a_month() -> None:
    """The registry's aim: one more event, registered and idle, costs next to nothing."""
    lines = cost.idle_event_lines()
    assert {line.resource for line in lines} == {"Lambda compute", "DynamoDB reads", "ElastiCache ECPU"}
    assert 0 < sum(line.monthly for line in lines) < 0.01
    # A Periodic inlet in its window asks for the event's counters each minute: that is priced too.
    periodic = cost.idle_event_lines(periodic=True)
    assert sum(line.monthly for line in periodic) > sum(line.monthly for line in lines)
