"""Fixtures of the handler benchmarks: the same real redis-server and moto server as the tests.

`benchmarks/` is outside `tests/` so `make test` never collects it; `make bench` runs it with
`--benchmark-only`. The fixtures and the handler harness of the tests are imported, not copied, so
both levels provision and drive the core the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import aws_session, core_env, moto_endpoint, redis_proc  # noqa: F401  (fixtures)
from tests.integration.conftest import Core, api_event, core  # noqa: F401  (the same harness as the tests)

RESULTS = Path(__file__).resolve().parent / "results"


def handler_table(benchmarks: list[Any]) -> str:
    """pytest-benchmark's results as a Markdown table (milliseconds per call)."""
    lines = [
        "| benchmark | median ms | mean ms | min ms | max ms | rounds |",
        "|---|---|---|---|---|---|",
    ]
    for bench in sorted(benchmarks, key=lambda b: b.stats.median):
        stats = bench.stats
        lines.append(
            f"| {bench.name} | {stats.median * 1000:.2f} | {stats.mean * 1000:.2f} | {stats.min * 1000:.2f} "
            f"| {stats.max * 1000:.2f} | {stats.rounds} |"
        )
    return "\n".join(lines)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Writes the timings next to the call counts, in benchmarks/results/ (git-ignored)."""
    bench_session = getattr(session.config, "_benchmarksession", None)
    # The journey benchmark measures 200 visitors at once, not one call: it has its own table.
    benchmarks = [
        b for b in getattr(bench_session, "benchmarks", []) if b and not b.extra_info.get("journey")
    ]
    if not benchmarks:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "handlers.md").write_text(handler_table(benchmarks) + "\n")
