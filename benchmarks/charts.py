"""The report's pictures (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen first

from benchmarks.run import Run

DPI = 110


def _per_second(times: list[float], horizon: int) -> list[int]:
    counts = Counter(int(t) for t in times)
    return [counts.get(second, 0) for second in range(horizon + 1)]


def throughput(run: Run, out: Path) -> str:
    entered = [v.entered_at for v in run.visitors if v.entered_at is not None]
    admitted = [v.admitted_at for v in run.visitors if v.admitted_at is not None]
    horizon = int(max([*entered, *admitted, 0.0]))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(_per_second(entered, horizon), label="entered", drawstyle="steps-post")
    ax.plot(_per_second(admitted, horizon), label="admitted (token issued)", drawstyle="steps-post")
    ax.set(xlabel="seconds since start", ylabel="visitors per second", title="Entries and admissions")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, out, "throughput.png")


def latency(summary: dict[str, Any], out: Path) -> str:
    routes = summary["routes"]
    names = list(routes)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    height = 0.27
    for offset, key in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        ax.barh(
            [i + (offset - 1) * height for i in range(len(names))],
            [routes[n][key] for n in names],
            height=height,
            label=key.removesuffix("_ms"),
        )
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlabel="milliseconds (client side)", title="Latency per route")
    ax.set_xscale("log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, out, "latency.png")


def counters(run: Run, out: Path) -> str:
    fig, ax = plt.subplots(figsize=(8, 3.5))
    if run.counters:
        t = [c["t"] for c in run.counters]
        for key, label in (
            ("queue_counter", "queue counter (entered)"),
            ("serving_counter", "serving counter"),
            ("token_counter", "tokens issued"),
            ("completed_counter", "sessions completed"),
        ):
            ax.plot(t, [c.get(key, 0) for c in run.counters], label=label)
        waiting = [
            max(0, c.get("queue_counter", 0) - c.get("token_counter", 0) - c.get("expired_queue_counter", 0))
            for c in run.counters
        ]
        ax.plot(t, waiting, label="queue length (waiting)", linestyle="--")
    ax.set(
        xlabel="seconds since start",
        ylabel="positions",
        title="Queue and serving counter (private /counters)",
    )
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, out, "counters.png")


def fairness(run: Run, out: Path) -> str:
    admitted = sorted(
        (v for v in run.visitors if v.admitted_at is not None), key=lambda v: v.admitted_at or 0.0
    )
    arrival_rank = {id(v): rank for rank, v in enumerate(sorted(admitted, key=lambda v: v.arrived_at), 1)}
    arrivals = [arrival_rank[id(v)] for v in admitted]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(arrivals, range(1, len(admitted) + 1), s=4, label="admission rank")
    ax.scatter(arrivals, [v.position for v in admitted], s=4, label="queue position")
    ax.plot(
        [1, len(run.visitors)], [1, len(run.visitors)], color="grey", linewidth=0.8, label="perfectly fair"
    )
    ax.set(xlabel="arrival order", ylabel="rank", title="Arrival order vs admission order")
    ax.legend(markerscale=3)
    ax.grid(alpha=0.3)
    return _save(fig, out, "fairness.png")


def calls(summary: dict[str, Any], out: Path) -> str | None:
    rows = [r for r in summary.get("calls", {}).get("rows", []) if r["counted_in_total"]]
    if not rows:
        return None
    names = [r["function"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(9, 0.4 * len(names) + 1.5), sharey=True)
    axes[0].barh(names, [r["aws_calls_per_visitor"] for r in rows], color="tab:orange")
    axes[0].set(title="AWS calls per admitted visitor")
    axes[1].barh(names, [r["redis_round_trips_per_visitor"] for r in rows], color="tab:red")
    axes[1].set(title="Redis round trips per admitted visitor")
    axes[0].invert_yaxis()
    for ax in axes:
        ax.grid(alpha=0.3, axis="x")
    return _save(fig, out, "calls.png")


def statuses(summary: dict[str, Any], out: Path) -> str:
    routes = summary["routes"]
    names = list(routes)
    codes = sorted({code for r in routes.values() for code in r["statuses"]}, key=int)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    left = [0] * len(names)
    for code in codes:
        values = [routes[n]["statuses"].get(code, 0) for n in names]
        ax.barh(names, values, left=left, label=str(code) if int(code) else "no answer")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set(xlabel="responses", title="Responses by status")
    ax.legend()
    return _save(fig, out, "statuses.png")


def _save(fig: Any, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=DPI)
    plt.close(fig)
    return name


def draw_all(run: Run, summary: dict[str, Any], out: Path) -> dict[str, str]:
    charts = {
        "throughput": throughput(run, out),
        "latency": latency(summary, out) if summary["routes"] else None,
        "statuses": statuses(summary, out) if summary["routes"] else None,
        "counters": counters(run, out),
        "fairness": fairness(run, out),
        "calls": calls(summary, out),
    }
    return {k: v for k, v in charts.items() if v}
