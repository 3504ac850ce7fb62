"""The load report's fairness figures, against their definitions computed the slow way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.fairness import fairness


def brute_force_overtakings(arrival: list[float], admission: list[float]) -> list[int]:
    """For each visitor: how many who arrived earlier were admitted later."""
    return [
        sum(1 for j in range(len(arrival)) if arrival[j] < arrival[i] and admission[j] > admission[i])
        for i in range(len(arrival))
    ]


def test_admitted_in_arrival_order_is_perfectly_fair() -> None:
    result = fairness([1, 2, 3, 4], [10, 20, 30, 40])
    assert (result.kendall_tau, result.largest_overtaking, result.overtaking_visitors) == (1.0, 0, 0)


def test_one_visitor_jumping_the_whole_line() -> None:
    result = fairness([1, 2, 3, 4], [20, 30, 40, 10])
    assert result.largest_overtaking == 3 and result.overtaking_visitors == 1
    assert result.kendall_tau is not None and result.kendall_tau < 1


def test_too_few_visitors_to_judge() -> None:
    assert fairness([1], [1]).kendall_tau is None


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=60, unique=True))
def test_overtakings_match_their_definition(admission: list[int]) -> None:
    arrival = list(range(len(admission)))
    expected = brute_force_overtakings(arrival, admission)
    result = fairness(arrival, admission)
    assert result.largest_overtaking == max(expected)
    assert result.overtaking_visitors == sum(1 for n in expected if n > 0)
