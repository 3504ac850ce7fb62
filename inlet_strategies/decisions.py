"""The inlet strategies' decisions, as pure functions of the counters they read.

Kept free of I/O so that the rules of API.md ("never more than `increment_by` ahead of the queue",
"never above capacity, never below zero") are tested as plain tables of numbers.
"""

from __future__ import annotations


def periodic_increment(serving: int, queue: int, increment_by: int) -> int:
    """How far the Periodic inlet moves the serving counter this period (0: not at all).

    The target is min(serving, queue) + increment_by. Anchoring on the queue counter means idle
    periods cannot pile up slack: after ten quiet minutes the counter is at most `increment_by`
    ahead of the last visitor, so a burst gets `increment_by` a period like everyone else. A
    counter already ahead of the target is left where it is (never a negative increment).
    """
    if increment_by <= 0:
        return 0
    target = min(serving, queue) + increment_by
    return max(0, target - serving)


def max_size_increment(freed: int, max_size: int, active_tokens: int) -> int:
    """How far the MaxSize inlet moves the serving counter after `freed` sessions ended.

    Capacity is what the protected site can still take (max size minus open, unexpired tokens);
    the inlet lets in as many visitors as left, but never more than fit and never a negative count.
    """
    capacity = max_size - active_tokens
    return max(0, min(freed, capacity))


def within_window(now: float, start: int, end: int) -> bool:
    """Whether `now` lies in the inlet's active window; an end of 0 means "no end"."""
    return now >= start and (end == 0 or now < end)
