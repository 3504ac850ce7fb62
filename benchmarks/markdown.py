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
    order = summary["fairness"]["position_vs_arrival"]
    offered = summary["served_to_offered_s"]
    estimates = summary["estimate_error"]
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
        ["requests per visitor (the page's own)", _f(t["visitor_requests_per_visitor"], 1)],
        [
            "positions: Kendall's tau vs arrival, largest displacement, late entries",
            f"{_f(order['kendall_tau'], 4)}, {order['largest_overtaking']}, {summary['late_entries']}",
        ],
        [
            "admissions: Kendall's tau vs arrival, largest overtaking",
            f"{_f(fair['kendall_tau'], 3)}, {fair['largest_overtaking']}",
        ],
    ]
    if offered.get("visitors"):
        rows.append(
            ["served to check-out offered p50 / p95 (s)", f"{_f(offered['p50_s'])} / {_f(offered['p95_s'])}"]
        )
    if estimates.get("estimates"):
        rows.append(
            [
                "wait estimates shown / admitted within the range shown",
                f"{estimates['estimates']:,} / {estimates['inside_range'] * 100:.0f}%",
            ]
        )
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


def estimate_text(summary: dict[str, Any]) -> str:
    e, offered = summary["estimate_error"], summary["served_to_offered_s"]
    parts = []
    if e.get("estimates"):
        parts.append(
            f"The page's wait estimate, as each visitor would have seen it at each poll "
            f"({e['estimates']:,} ranges shown), against when the visitor was admitted: "
            f"{e['inside_range'] * 100:.0f}% within the range, {e['admitted_before_range'] * 100:.0f}% "
            f"earlier, {e['admitted_after_range'] * 100:.0f}% later; outside the range by "
            f"{e['miss_p50_s']:.1f} s (p50) and {e['miss_p95_s']:.1f} s (p95)."
        )
    if offered.get("visitors"):
        parts.append(
            f"From the serving counter reaching a visitor to the visitor's page seeing it (check-out "
            f"offered): p50 {offered['p50_s']:.1f} s, p95 {offered['p95_s']:.1f} s, max "
            f"{offered['max_s']:.1f} s ({offered['visitors']:,} visitors; includes the CDN's cache of "
            "`/serving_num`)."
        )
    return " ".join(parts)


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
        f"seed {s['seed']}); polling on the page's schedule (near {s['poll_near']:g} ms); "
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
                    f"queue position vs arrival order ({fair['arrival_clock']})",
                    _f(fair["position_vs_arrival"]["kendall_tau"], 4),
                    fair["position_vs_arrival"]["largest_overtaking"],
                    fair["position_vs_arrival"]["overtaking_visitors"],
                ],
                [
                    "queue position vs arrival order (as the client saw it)",
                    _f(fair["position_vs_arrival_seen_by_client"]["kendall_tau"], 4),
                    fair["position_vs_arrival_seen_by_client"]["largest_overtaking"],
                    fair["position_vs_arrival_seen_by_client"]["overtaking_visitors"],
                ],
            ],
        ),
        "",
        "Two kinds of fairness. Positions are the system's: they follow each entry's arrival time "
        "at the gateway within the ordering window, whatever order SQS delivers them in; the "
        "largest displacement is how many earlier arrivals got a later position than one visitor "
        f"({summary['late_entries']} entries reached the worker after their window had passed and were "
        "numbered at once). Admissions also depend on the visitors: within one serving-counter step "
        "they follow when each page happens to poll next. Arrival is the gateway's own stamp where the "
        "report could read it from the runtime's Redis; as the client saw it, the midpoint between "
        "sending the entry and its answer (the stamp falls in between, so that row carries their jitter).",
        "",
        estimate_text(summary),
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
