"""What one `vwr load` run measured, handed from the simulator to the report and the charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.client import Recorder
from benchmarks.runtime import Endpoints
from benchmarks.visitor import Visitor


@dataclass
class Run:
    """Everything measured during one run, handed to the report."""

    args: dict[str, Any]
    endpoints: Endpoints
    visitors: list[Visitor]
    recorder: Recorder
    counters: list[dict[str, Any]] = field(default_factory=list)
    counters_before: dict[str, Any] = field(default_factory=dict)
    counters_after: dict[str, Any] = field(default_factory=dict)
    stats_before: dict[str, Any] | None = None
    stats_after: dict[str, Any] | None = None
    self_increments: int = 0
    # (seconds since the start, serving counter after it) for each move the simulator made itself.
    serving_moves: list[tuple[float, int]] = field(default_factory=list)
    # One-minute load average of the machine before and after: a shared machine skews latencies.
    load_before: float = 0.0
    load_after: float = 0.0
    # The abusive client's outcome (benchmarks/abuse.py), when `--abuse` ran one.
    abuse: dict[str, Any] = field(default_factory=dict)
    # Sessions the server counted as completed during the run, and how long after the last
    # visitor that took (the MaxSize inlet works asynchronously, behind SNS).
    sessions_closed_by_inlet: int = 0
    settle_s: float = 0.0
    close_messages: int = 0
    # The simulator's own CPU seconds: near the run time means the simulator was the bottleneck.
    simulator_cpu_s: float = 0.0
    duration_s: float = 0.0
    timed_out: bool = False
