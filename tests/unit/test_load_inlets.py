"""`vwr load --inlet`: who moves the serving counter during a run, as the operator writes it."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.simulator import Inlet


def test_a_periodic_inlet_is_a_step_of_places_every_some_seconds() -> None:
    inlet = Inlet.parse("periodic:30/15s")
    assert (inlet.kind, inlet.amount, inlet.every_s) == ("periodic", 30.0, 15.0)
    assert inlet.describe() == "the simulator, a step of 30 places every 15 s (Periodic rule)"
    # A local runtime started for the run never moves the counter itself (MaxSize of 0).
    assert inlet.runtime_args() == ["--inlet", "max-size", "--inlet-max-size", "0"]
    assert Inlet.parse("periodic:5/0.5s").every_s == 0.5


@pytest.mark.parametrize(
    "text", ["periodic:30", "periodic:30/s", "periodic:/15s", "periodic:-3/15s", "periodic:30/0s"]
)
def test_a_periodic_inlet_without_a_step_and_a_period_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="periodic:N/Ss"):
        Inlet.parse(text)
