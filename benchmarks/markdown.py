"""`report.md`: the summary of a load run as tables a person can read, with the charts inline."""

from __future__ import annotations

from typing import Any

STATUS_WORDS = {0: "no answer", 202: "not yet"}


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _f(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def headline_table(summary: dict[str, Any]) -> str:
    """The few figures worth quoting (also what the README shows)."""
    t, v, wait = summary["throughput"], summary["visitors"], summary["wait_s"]
    fair = summary["fairness"]["admission_vs_arrival"]
    calls = summary.get("calls") or {}
    rows = [
        ["visitors admitted / arrived", f"{v['admitted']:,} / {v['planned']:,}"],
        ["entered per second (mean, peak)", f"{_f(t['entered_per_s'])}, {t['peak_entered_per_s']}"],
        ["admitted per second (mean, peak)", f"{_f(t['admitted_per_s'])}, {t['peak_admitted_per_s']}"],
        ["HTTP requests per second (all routes)", _f(t["requests_per_s"])],
        [
            "wait from entry to token p50 / p95 (s)",
            f"{_f(wait.get('p50_ms', 0) / 1000)} / {_f(wait.get('p95_ms', 0) / 1000)}",
        ],
        ["Kendall's tau, arrival vs admission", _f(fair["kendall_tau"], 3)],
        ["largest overtaking (visitors)", fair["largest_overtaking"]],
    ]
    if calls:
        handlers = calls["handlers_per_visitor"]
        rows += [
            [
                "AWS calls per admitted visitor (handlers + entry integration)",
                _f(calls["aws_calls_per_visitor_with_entry"], 2),
            ],
            ["Redis round trips per admitted visitor", _f(handlers["redis_round_trips"], 2)],
            ["handler CPU per admitted visitor (ms)", _f(handlers.get("cpu_ms", 0.0), 1)],
            [
                "local runtime process CPU per admitted visitor (ms)",
                _f(calls.get("runtime_cpu_ms_per_visitor", 0.0), 0),
            ],
        ]
    return _table(["", ""], rows)


def latency_table(summary: dict[str, Any]) -> str:
    rows = [
        [route, f"{r['requests']:,}", _f(r["p50_ms"]), _f(r["p95_ms"]), _f(r["p99_ms"]), _f(r["max_ms"])]
        for route, r in summary["routes"].items()
    ]
    return _table(["route", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)


def status_table(summary: dict[str, Any]) -> str:
    rows = []
    for route, r in summary["routes"].items():
        for code, count in r["statuses"].items():
            words = STATUS_WORDS.get(int(code), "")
            rows.append([route, f"{code} {words}".strip(), f"{count:,}"])
    return _table(["route", "status", "responses"], rows)


def calls_table(summary: dict[str, Any]) -> str:
    calls = summary.get("calls") or {}
    if not calls:
        return "_The target counts no calls (only a local runtime started by `vwr load` does)._"
    rows = []
    for r in calls["rows"]:
        operations = ", ".join(
            f"{op} {n / calls['visitors']:.2f}" for op, n in sorted(r["aws_by_operation"].items())
        )
        name = r["function"] if r["counted_in_total"] else f"_{r['function']}_ (not in total)"
        rows.append(
            [
                name,
                r["trigger"],
                f"{r['invocations']:,}",
                _f(r["aws_calls_per_visitor"], 2),
                operations or "-",
                _f(r["redis_round_trips_per_visitor"], 2),
                _f(r["redis_commands_per_visitor"], 2),
                _f(r.get("cpu_ms_per_visitor", 0.0), 2),
                # The runtime's own wait is mostly SQS long polling: not a cost of anyone's.
                _f(r.get("aws_wait_ms_per_visitor", 0.0), 1) if r["counted_in_total"] else "-",
            ]
        )
    h = calls["handlers_per_visitor"]
    rows.append(
        [
            "**handlers, total**",
            "",
            "",
            f"**{h['aws_calls']:.2f}**",
            "",
            f"**{h['redis_round_trips']:.2f}**",
            f"**{h['redis_commands']:.2f}**",
            f"**{h.get('cpu_ms', 0.0):.2f}**",
            f"**{h.get('aws_wait_ms', 0.0):.1f}**",
        ]
    )
    header = [
        "function",
        "trigger",
        "invocations",
        "AWS calls / visitor",
        "by operation (/ visitor)",
        "Redis round trips / visitor",
        "Redis commands / visitor",
        "handler CPU ms / visitor",
        "waiting on AWS (moto) ms / visitor",
    ]
    note = (
        f"\n\nPer admitted visitor ({calls['visitors']:,}). The entry's SQS message (API Gateway's service "
        f"integration, no Lambda) adds {calls['entry_integration_per_visitor']:.2f} call: "
        f"**{calls['aws_calls_per_visitor_with_entry']:.2f} AWS calls per visitor** in all. "
        "`(runtime)` is the local runtime's own traffic (SQS polling, SNS delivery); "
        "`Counters` is the simulator's sampling. Handler CPU is the handler thread's own CPU time "
        "(`time.thread_time`), without the moto and Redis servers it waits for; the runtime process "
        "CPU adds the gateway, the pollers and the SDK clients (and moto, unless it runs in a process "
        "of its own: `--moto-process`)."
    )
    return _table(header, rows) + note


def render(summary: dict[str, Any], charts: dict[str, str]) -> str:
    s = summary["settings"]
    fair = summary["fairness"]
    inv = summary["invariants"]
    v = summary["visitors"]
    m = summary["machine"]

    def image(name: str, alt: str) -> str:
        return f"![{alt}]({charts[name]})\n" if name in charts else ""

    parts = [
        "# Load run",
        "",
        f"**{summary['headline']}**",
        "",
        f"{s['visitors']:,} visitors arriving at {s['rate']:g}/s ({s['arrivals']} arrivals, "
        f"seed {s['seed']}); polling every {s['poll_interval']:g} s ± {s['jitter'] * 100:.0f}%; "
        f"serving counter moved by {s['inlet']}; sessions closed through {s['close']}. "
        f"Run time {summary['duration_s']:.1f} s"
        + (" (stopped by --max-seconds)." if summary["timed_out"] else ".")
        + f" Machine: {m['cpus']} CPUs, load average {m['load_before']:.1f} before and "
        f"{m['load_after']:.1f} after; the simulator itself used {m['simulator_cpu_s']:.0f} s of CPU "
        "(it shares the machine with the runtime).",
        "",
        headline_table(summary),
        "",
        "## Visitors per second",
        "",
        image("throughput", "entries and admissions per second"),
        f"Entered {v['entered']:,}, assigned {v['assigned']:,}, admitted {v['admitted']:,}, "
        f"checked out {v['checked_out']:,}, closed {v['closed']:,} "
        f"({v['close_messages']:,} messages); the server counted {v['closed_by_inlet']:,} sessions "
        f"completed, {v['settle_s']:.1f} s after the last visitor."
        + (
            ""
            if not v["failures"]
            else " Failures: " + "; ".join(f"{k} ({n})" for k, n in v["failures"].items())
        ),
        "",
        "## Latency per route (client side)",
        "",
        latency_table(summary),
        "",
        f"Measured by the simulator from sending a request to the last byte of its answer, on "
        f"{s['connections']} keep-alive connections; before that, requests waited "
        f"{summary['throughput']['client_queue_p95_s']:.2f} s (p95) for a free connection "
        "(a crowd of browsers would each have their own).",
        "",
        image("latency", "latency per route"),
        "## Responses by status",
        "",
        status_table(summary),
        "",
        image("statuses", "responses by status"),
        "## Queue and serving counter",
        "",
        image("counters", "counters over time"),
        "## Fairness",
        "",
        _table(
            ["", "Kendall's tau", "largest overtaking", "visitors who overtook someone"],
            [
                [
                    "admission order vs arrival order",
                    _f(fair["admission_vs_arrival"]["kendall_tau"], 3),
                    fair["admission_vs_arrival"]["largest_overtaking"],
                    fair["admission_vs_arrival"]["overtaking_visitors"],
                ],
                [
                    "queue position vs arrival order",
                    _f(fair["position_vs_arrival"]["kendall_tau"], 3),
                    fair["position_vs_arrival"]["largest_overtaking"],
                    fair["position_vs_arrival"]["overtaking_visitors"],
                ],
            ],
        ),
        "",
        "Positions follow the order in which the queue worker receives entries (SQS standard queues do "
        "not keep order); admissions within one serving-counter step follow the visitors' poll timing.",
        "",
        image("fairness", "arrival order vs admission order"),
        "## AWS calls and Redis round trips per visitor",
        "",
        calls_table(summary),
        "",
        image("calls", "calls per visitor"),
        "## Invariants",
        "",
        _table(
            ["check", "holds"],
            [[name.replace("_", " "), "yes" if ok else "**NO**"] for name, ok in inv.items()],
        ),
        "",
    ]
    return "\n".join(parts)
