"""What the waiting room page measures and shows, in Python, so simulated visitors behave like it.

A copy of `waiting_room_site/js/estimate.js` (`ServingRate`, `estimateWait`) and of schedule.js's
`ServerClock`; the poll schedule is `lambdas.catalog.PollSchedule`.
tests/browser/test_schedule_parity.py runs the JavaScript and this module over the same inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WINDOW_MS = 10 * 60 * 1000


@dataclass
class ServingRate:
    """The serving counter as one page saw it: (time ms, value) samples over a sliding window."""

    window_ms: float = WINDOW_MS
    min_span_ms: float = 10_000
    samples: list[tuple[float, int]] = field(default_factory=list)

    def add(self, value: int, time_ms: float) -> None:
        if self.samples and value < self.samples[-1][1]:
            self.samples = []  # a reset: start over
        self.samples.append((time_ms, value))
        while len(self.samples) > 2 and self.samples[1][0] <= time_ms - self.window_ms:
            self.samples.pop(0)

    def steps(self) -> int:
        return sum(1 for a, b in zip(self.samples, self.samples[1:], strict=False) if b[1] > a[1])

    def largest_step(self) -> int:
        return max((b[1] - a[1] for a, b in zip(self.samples, self.samples[1:], strict=False)), default=0)

    def watched_ms(self, now_ms: float) -> float:
        return now_ms - self.samples[0][0] if self.samples else 0.0

    def rate(self, now_ms: float) -> float | None:
        """Positions per millisecond, or None when it cannot be told yet."""
        if len(self.samples) < 2:
            return None
        (first_t, first_v), (_, last_v) = self.samples[0], self.samples[-1]
        span = now_ms - first_t
        if span < self.min_span_ms or last_v <= first_v:
            return None
        return (last_v - first_v) / span


@dataclass(frozen=True)
class Estimate:
    """The range the page shows, in ms from now; None when it shows no range."""

    low_ms: float
    high_ms: float


def estimate_wait(places: int, rate: ServingRate, now_ms: float) -> Estimate | None:
    """The page's range for a visitor `places` from being served (None: served, or unknown yet)."""
    if places <= 0:
        return None
    per_ms = rate.rate(now_ms)
    if per_ms is None:
        return None
    central = places / per_ms
    spread = max(0.25, 1 / math.sqrt(max(1, rate.steps())))
    return Estimate(central / (1 + spread), central * (1 + spread))


@dataclass
class ServerClock:
    """The server's clock on the page's: the smallest (page clock - answer's clock) seen is the offset
    least delayed by the network and the CDN's cache."""

    offset_ms: float | None = None

    def page_times(
        self, moved_at_ms: list[float], answered_at_ms: float | None, now_ms: float
    ) -> list[float]:
        """Takes in one answer's time; returns its counter moves on the page's clock ([] if it has none)."""
        if answered_at_ms is None:
            return []
        offset = now_ms - answered_at_ms
        self.offset_ms = offset if self.offset_ms is None else min(self.offset_ms, offset)
        return [t + self.offset_ms for t in moved_at_ms]
