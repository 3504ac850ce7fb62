"""A draw fired by its sale's schedule waits for the start, to the second; one fired far earlier
than Scheduler's precision explains (the sale was moved later) does not wait."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lambdas import draw as draw_handler
from lambdas.catalog import Setting

NOW = 1_900_000_000.25
PRECISION = 60


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The handler's clock, stopped at NOW; its sleeps are recorded, not slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(draw_handler, "time", SimpleNamespace(time=lambda: NOW, sleep=sleeps.append))
    monkeypatch.setenv(Setting.SCHEDULER_PRECISION_SECONDS.value, str(PRECISION))
    return sleeps


@pytest.mark.parametrize("early", [1, 46, 2 * PRECISION + 1])
def test_fired_within_the_precision_it_sleeps_until_the_start(slept: list[float], early: int) -> None:
    draw_handler._wait_for_start(int(NOW) + early)
    assert slept == [int(NOW) + early - NOW]


@pytest.mark.parametrize("early", [2 * PRECISION + 2, 3600])
def test_fired_too_early_it_does_not_wait(slept: list[float], early: int) -> None:
    draw_handler._wait_for_start(int(NOW) + early)
    assert slept == []


@pytest.mark.parametrize("late", [0, 30])
def test_at_or_after_the_start_it_does_not_wait(slept: list[float], late: int) -> None:
    draw_handler._wait_for_start(int(NOW) - late)
    assert slept == []
