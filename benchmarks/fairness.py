"""How far the admission order departs from the arrival order.

Kendall's tau is 1 when visitors are admitted exactly in the order they arrived. The overtaking of
a visitor is how many who arrived before it were admitted after it; the largest overtaking says
how unfair the worst case felt, which tau (an average) hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import kendalltau


@dataclass(frozen=True)
class Fairness:
    kendall_tau: float | None
    largest_overtaking: int
    overtaking_visitors: int


def _overtakings(order: Sequence[float]) -> list[int]:
    """For each item in arrival order: how many earlier arrivals have a larger (later) value.

    A Fenwick tree over the ranks of `order` keeps this O(n log n) for large runs.
    """
    ranks = {value: rank for rank, value in enumerate(sorted(set(order)), start=1)}
    tree = [0] * (len(ranks) + 1)
    result: list[int] = []
    for seen, value in enumerate(order):
        rank = ranks[value]
        # Earlier arrivals admitted no later than this one.
        not_after, i = 0, rank
        while i > 0:
            not_after += tree[i]
            i -= i & -i
        result.append(seen - not_after)
        i = rank
        while i < len(tree):
            tree[i] += 1
            i += i & -i
    return result


def fairness(arrival: Sequence[float], admission: Sequence[float]) -> Fairness:
    """`arrival[i]` and `admission[i]` belong to the same visitor (any comparable keys)."""
    if len(arrival) < 2:
        return Fairness(None, 0, 0)
    tau = kendalltau(arrival, admission).statistic
    by_arrival = [admitted for _, admitted in sorted(zip(arrival, admission, strict=True))]
    overtaken = _overtakings(by_arrival)
    return Fairness(
        kendall_tau=None if tau != tau else float(tau),  # NaN when one side is constant
        largest_overtaking=max(overtaken),
        overtaking_visitors=sum(1 for n in overtaken if n > 0),
    )
