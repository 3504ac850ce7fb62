"""EventBridge schedule rules: a timer per scheduled function.

A rate rule fires every period, whether or not the previous run has finished; the function's own
lock (one warm container) then makes a late tick wait rather than overlap. Ticks stay on a fixed
grid (start + k * period), so a slow run does not shift every later one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("vwr.local.timers")


class Timer:
    """Calls `fire` every `period_seconds`, first one period after `start()`, until `stop()`."""

    def __init__(self, name: str, period_seconds: float, fire: Callable[[], Any]) -> None:
        if period_seconds <= 0:
            raise ValueError("a schedule's period must be positive")
        self.name = name
        self.period_seconds = period_seconds
        self._fire = fire
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"vwr-timer-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        tick = 1
        while not self._stopping.wait(max(0.0, started + tick * self.period_seconds - time.monotonic())):
            try:
                self._fire()
            except Exception:
                # A failed run is logged like a failed Lambda invocation; the rule keeps firing.
                logger.exception("the scheduled run of %s failed", self.name)
            # Skip the ticks a long run overlapped, as the next rule firing would find them past.
            tick = max(tick + 1, int((time.monotonic() - started) / self.period_seconds) + 1)
