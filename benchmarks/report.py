"""The report of a load run: `summary.json`, `report.md`, CSV files and PNG charts in one folder.

`summarize` turns a `Run` into plain numbers (the e2e test checks its invariants); `write_report`
writes them down with the charts of `benchmarks.charts`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import abuse
from benchmarks.calls import calls_per_visitor
from benchmarks.fairness import fairness
from benchmarks.run import Run


def _percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.array(latencies) * 1000
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99), "max_ms": float(values.max())}


def _rate(times: list[float]) -> float:
    """Events per second between the first and the last event."""
    if len(times) < 2:
        return 0.0
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else math.inf


def _peak(times: list[float]) -> int:
    return max(Counter(int(t) for t in times).values()) if times else 0


def routes(run: Run) -> dict[str, Any]:
    by_route: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for sample in run.recorder.samples:
        by_route[sample.route].append(sample.latency_s)
        statuses[sample.route][sample.status] += 1
    return {
        route: {
            "requests": len(latencies),
            **_percentiles(latencies),
            "statuses": dict(sorted(statuses[route].items())),
        }
        for route, latencies in sorted(by_route.items())
    }


def served_to_offered(run: Run) -> dict[str, Any]:
    """Seconds from the serving counter reaching a visitor to the visitor seeing it (check-out offered).

    From the later of the move that reached the position and the visitor learning its number (the
    page cannot offer anything before). For moves the simulator made itself (`--inlet self`,
    `periodic` or `open`) each is timed when its request was sent, so the figure errs long; for an
    inlet of the runtime's (`maxsize`) a move is timed by the counter samples (every
    0.5 s, benchmarks/simulator.py), when the sample was answered, so the figure errs short by up to that.
    The visitor's times leave out waits for the simulator's connections, which a browser does not have.
    """
    moves = sorted(run.serving_moves) or sorted((c["t"], int(c["serving_counter"])) for c in run.counters)
    delays = []
    for v in run.visitors:
        if v.offered_at is None or v.position is None:
            continue
        served_at = next((at for at, counter in moves if counter >= v.position), None)
        if served_at is not None:
            delays.append(max(0.0, v.offered_at - max(served_at, v.assigned_at or 0.0)))
    if not delays:
        return {"visitors": 0}
    p50, p95, top = np.percentile(delays, [50, 95, 100])
    timed_by = "requests" if run.serving_moves else "samples"
    return {
        "visitors": len(delays),
        "p50_s": float(p50),
        "p95_s": float(p95),
        "max_s": float(top),
        "moves_timed_by": timed_by,
    }


def estimate_error(run: Run) -> dict[str, Any]:
    """The page's wait estimates (each range shown at a poll) against when the visitor was admitted."""
    inside = early = late = 0
    misses: list[float] = []
    for v in run.visitors:
        if v.admitted_at is None:
            continue
        for at, estimate in v.estimates:
            actual = v.admitted_at - at
            low, high = estimate.low_ms / 1000, estimate.high_ms / 1000
            if actual < low:
                early += 1
            elif actual > high:
                late += 1
            else:
                inside += 1
            misses.append(max(low - actual, actual - high, 0.0))
    shown = inside + early + late
    if not shown:
        return {"estimates": 0}
    p50, p95 = np.percentile(misses, [50, 95])
    return {
        "estimates": shown,
        "inside_range": inside / shown,
        "admitted_before_range": early / shown,
        "admitted_after_range": late / shown,
        "miss_p50_s": float(p50),
        "miss_p95_s": float(p95),
    }


def invariants(run: Run) -> dict[str, bool]:
    entered = [v for v in run.visitors if v.request_id]
    admitted = [v for v in run.visitors if v.admitted_at is not None]
    base = int(run.counters_before.get("queue_counter", 0))
    # The abusive client's places are places too (benchmarks/abuse.py).
    taken = run.abuse.get("position_list", [])
    positions = sorted([v.position for v in entered if v.position is not None] + taken)
    tokens_before = int(run.counters_before.get("token_counter", 0))
    tokens_after = int(run.counters_after.get("token_counter", tokens_before))
    return {
        "every_visitor_admitted": len(admitted) == len(run.visitors),
        # One token per admitted visitor, as the visitors saw it and as the server counted it.
        "admitted_exactly_once": all(v.tokens_issued == 1 for v in admitted)
        and len({v.request_id for v in admitted}) == len(admitted)
        and tokens_after - tokens_before == len(admitted),
        "positions_are_1_to_n": positions == list(range(base + 1, base + len(entered) + len(taken) + 1)),
        "token_positions_match": all(v.token_position == v.position for v in admitted),
        "no_5xx": not any(s.status >= 500 for s in run.recorder.samples),
        "no_transport_errors": not any(s.status == 0 for s in run.recorder.samples),
        "checkouts_accepted": all(v.checkout_status == 200 for v in admitted),
    }


def summarize(run: Run) -> dict[str, Any]:
    visitors = run.visitors
    entered = [v.entered_at for v in visitors if v.entered_at is not None]
    admitted = [v for v in visitors if v.admitted_at is not None]
    admitted_times = [v.admitted_at for v in admitted if v.admitted_at is not None]
    waits = [
        v.admitted_at - v.entered_at
        for v in admitted
        if v.admitted_at is not None and v.entered_at is not None
    ]
    # Arrival as the gateway stamped it where the report could read the stamps; otherwise as the
    # simulator saw it (between sending the entry and its answer: their jitter counts against it).
    seen = [v.arrived_at for v in admitted]
    stamped = bool(admitted) and all(v.stamped_at is not None for v in admitted)
    arrivals = [v.stamped_at or 0.0 for v in admitted] if stamped else seen
    positions = [v.position or 0 for v in admitted]
    by_arrival = fairness(arrivals, [v.admitted_at or 0.0 for v in admitted])
    by_position = fairness(arrivals, positions)
    failures = Counter(v.failure for v in visitors if v.failure)
    checks = invariants(run)
    requests = len(run.recorder.samples)
    summary: dict[str, Any] = {
        "settings": run.args,
        "duration_s": run.duration_s,
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": run.load_before,
            "load_after": run.load_after,
            "simulator_cpu_s": run.simulator_cpu_s,
        },
        "timed_out": run.timed_out,
        "visitors": {
            "planned": len(visitors),
            "entered": len(entered),
            "assigned": sum(v.position is not None for v in visitors),
            "admitted": len(admitted),
            "checked_out": sum(v.checkout_status == 200 for v in visitors),
            "closed": sum(v.closed for v in visitors),
            "closed_by_inlet": run.sessions_closed_by_inlet,
            "close_messages": run.close_messages,
            "settle_s": run.settle_s,
            "failures": dict(failures),
        },
        "throughput": {
            "entered_per_s": _rate(entered),
            "admitted_per_s": _rate(admitted_times),
            "peak_entered_per_s": _peak(entered),
            "peak_admitted_per_s": _peak(admitted_times),
            "requests": requests,
            "requests_per_s": requests / run.duration_s if run.duration_s else 0.0,
            "requests_per_visitor": requests / len(visitors),
            # The visitors' own requests (the page's), without the operator's and the inlet's.
            "visitor_requests_per_visitor": sum(v.requests for v in visitors) / len(visitors),
            # Time requests waited for a free connection of the simulator (not part of latency).
            "client_queue_p95_s": float(np.percentile([x.queued_s for x in run.recorder.samples], 95))
            if requests
            else 0.0,
        },
        "wait_s": _percentiles(waits) if waits else {},
        "routes": routes(run),
        "fairness": {
            "admission_vs_arrival": asdict(by_arrival),
            "position_vs_arrival": asdict(by_position),
            "position_vs_arrival_seen_by_client": asdict(fairness(seen, positions)),
            "arrival_clock": "gateway stamp" if stamped else "client (between sending and answer)",
        },
        # Entries the ordering window had already passed when they reached the worker (numbered at once).
        "late_entries": int(run.counters_after.get("late_entry_counter", 0))
        - int(run.counters_before.get("late_entry_counter", 0)),
        "served_to_offered_s": served_to_offered(run),
        "estimate_error": estimate_error(run),
        "counters_before": run.counters_before,
        "counters_after": run.counters_after,
        "self_inlet_increments": run.self_increments,
        "calls": calls_per_visitor(run.stats_before, run.stats_after, max(len(admitted), 1)),
        "invariants": checks,
        "abuse": {k: v for k, v in run.abuse.items() if k != "position_list"},
    }
    broken = [name for name, ok in checks.items() if not ok]
    rates = summary["throughput"]
    summary["headline"] = (
        f"{len(admitted)}/{len(visitors)} visitors admitted in {run.duration_s:.1f} s; "
        f"entered {rates['entered_per_s']:.0f}/s, admitted {rates['admitted_per_s']:.0f}/s; "
        + ("all invariants hold" if not broken else "BROKEN: " + ", ".join(broken))
    )
    return summary


def _write_csv(run: Run, out: Path) -> None:
    with (out / "visitors.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        columns = [
            "index",
            "scheduled_at",
            "entry_sent_at",
            "entered_at",
            "stamped_at",
            "position",
            "assigned_at",
            "offered_at",
            "admitted_at",
            "tokens_issued",
            "checkout_status",
            "closed",
            "requests",
            "failure",
        ]
        writer.writerow(columns)
        for v in run.visitors:
            writer.writerow([getattr(v, c) for c in columns])
    with (out / "requests.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["at_s", "route", "status", "latency_ms"])
        for s in run.recorder.samples:
            writer.writerow([f"{s.at_s:.4f}", s.route, s.status, f"{s.latency_s * 1000:.2f}"])
    with (out / "counters.csv").open("w", newline="") as file:
        if run.counters:
            writer = csv.DictWriter(file, fieldnames=list(run.counters[-1]), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(run.counters)


def write_report(run: Run, out: Path) -> dict[str, Any]:
    from benchmarks.charts import draw_all
    from benchmarks.markdown import render

    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(run)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    _write_csv(run, out)
    charts = draw_all(run, summary, out)
    (out / "report.md").write_text(render(summary, charts) + abuse.markdown(summary))
    return summary
