"""The inlet strategies' decisions as tables of numbers (API.md, "Inlet strategies")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inlet_strategies.decisions import max_size_increment, periodic_increment, within_window


@pytest.mark.parametrize(
    ("serving", "queue", "increment_by", "expected"),
    [
        (0, 0, 10, 10),  # nobody yet: the first period still opens the door by increment_by
        (10, 0, 10, 0),  # idle: already increment_by ahead of the (empty) queue, no slack piles up
        (10, 40, 10, 10),  # a burst after idle minutes: one period's worth, not the whole burst
        (0, 100, 10, 10),  # a long line: the usual step
        (95, 100, 10, 10),  # near the end of the line: may run ahead by increment_by, no more
        (100, 100, 10, 10),
        (105, 100, 10, 5),  # already ahead: only up to queue + increment_by
        (110, 100, 10, 0),
        (150, 100, 10, 0),  # an operator moved it far ahead: never a negative increment
        (7, 7, 1, 1),
        (0, 0, 0, 0),  # a zero setting means "do nothing", not an API call
        (5, 10, -3, 0),  # a negative setting is never sent
    ],
)
def test_periodic_increment_table(serving: int, queue: int, increment_by: int, expected: int) -> None:
    assert periodic_increment(serving, queue, increment_by) == expected


def test_burst_after_idle_minutes_lets_in_one_period_not_the_backlog() -> None:
    serving, queue = 0, 0
    for _ in range(10):  # ten idle minutes at 10 a minute
        serving += periodic_increment(serving, queue, 10)
    assert serving == 10  # the naive strategy would be at 100 by now
    queue += 40  # then 40 people arrive at once
    assert min(serving, queue) == 10  # 10 of them walk in, not 40
    serving += periodic_increment(serving, queue, 10)
    assert serving == 20  # and the next minute lets in the usual 10


@given(
    serving=st.integers(min_value=0, max_value=10**9),
    queue=st.integers(min_value=0, max_value=10**9),
    increment_by=st.integers(min_value=-5, max_value=10**6),
)
def test_periodic_never_negative_never_beyond_queue_plus_increment(
    serving: int, queue: int, increment_by: int
) -> None:
    increment = periodic_increment(serving, queue, increment_by)
    assert increment >= 0
    if increment:
        assert serving + increment == min(serving, queue) + increment_by
        assert serving + increment <= queue + increment_by


@pytest.mark.parametrize(
    ("freed", "max_size", "active", "expected"),
    [
        (5, 100, 50, 5),  # room enough: as many as left
        (5, 100, 97, 3),  # capped by capacity
        (5, 100, 100, 0),  # full
        (5, 100, 120, 0),  # over capacity (max size lowered): never negative
        (0, 100, 0, 0),  # nobody left: nothing to do
        (200, 100, 0, 100),  # a big exit never overshoots max size
    ],
)
def test_max_size_increment_table(freed: int, max_size: int, active: int, expected: int) -> None:
    assert max_size_increment(freed, max_size, active) == expected


@pytest.mark.parametrize(
    ("now", "start", "end", "expected"),
    [
        (100, 0, 0, True),
        (100, 200, 0, False),
        (200, 200, 0, True),
        (299, 200, 300, True),
        (300, 200, 300, False),
    ],
)
def test_window(now: float, start: int, end: int, expected: bool) -> None:
    assert within_window(now, start, end) is expected


@given(
    freed=st.integers(min_value=0, max_value=10**6),
    max_size=st.integers(min_value=0, max_value=10**6),
    active=st.integers(min_value=0, max_value=2 * 10**6),
)
def test_max_size_never_negative_never_above_freed_or_capacity(
    freed: int, max_size: int, active: int
) -> None:
    increment = max_size_increment(freed, max_size, active)
    assert 0 <= increment <= freed
    assert active + increment <= max(max_size, active)
