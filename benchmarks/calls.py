"""AWS calls and Redis round trips per visitor, by function and route, from `local.stats` snapshots.

The local runtime charges calls made outside any handler to `(runtime)`: on AWS most of those are
not ours to pay per visitor (the event source mapping's polling) or are API Gateway's own SQS
integration (`/assign_queue_num`), so they are shown apart from the handlers' total.
"""

from __future__ import annotations

from typing import Any

from lambdas.catalog import (
    FUNCTIONS,
    AuthorizerTrigger,
    CustomResourceTrigger,
    QueueTrigger,
    Route,
    Schedule,
    TopicTrigger,
)
from local.stats import RUNTIME, difference

# Functions the simulator itself calls for its own bookkeeping, not part of a visitor's cost.
MEASURING = {"Counters"}


def trigger_of(name: str) -> str:
    """A short description of how a function is reached, for the tables."""
    if name == RUNTIME:
        return "local runtime: gateway SQS integration, poller, SNS delivery"
    for function in FUNCTIONS:
        if function.name != name:
            continue
        described = []
        for trigger in function.triggers:
            if isinstance(trigger, Route):
                described.append(f"{trigger.api} {trigger.method} {trigger.path}")
            elif isinstance(trigger, QueueTrigger):
                described.append("SQS entry queue")
            elif isinstance(trigger, Schedule):
                described.append(f"every {trigger.rate_minutes} min")
            elif isinstance(trigger, TopicTrigger):
                described.append(f"SNS {trigger.topic}")
            elif isinstance(trigger, AuthorizerTrigger):
                described.append("authorizer of the store API")
            elif isinstance(trigger, CustomResourceTrigger):
                described.append(trigger.resource_type)
            else:
                described.append(type(trigger).__name__)
        return ", ".join(described)
    return "?"


def calls_per_visitor(
    before: dict[str, Any] | None, after: dict[str, Any] | None, visitors: int
) -> dict[str, Any]:
    """Per-function rows and totals per visitor; empty when the target counts nothing."""
    if not after:
        return {}
    counted = difference(after, before or {})
    functions = counted["functions"]
    rows = []
    totals = {
        "aws_calls": 0.0,
        "redis_round_trips": 0.0,
        "redis_commands": 0.0,
        "cpu_ms": 0.0,
        "aws_wait_ms": 0.0,
    }
    for name, counts in sorted(functions.items()):
        aws_total = sum(counts["aws"].values())
        row = {
            "function": name,
            "trigger": trigger_of(name),
            "invocations": counts["invocations"],
            "aws_calls": aws_total,
            "aws_by_operation": counts["aws"],
            "redis_round_trips": counts["redis_round_trips"],
            "redis_commands": counts["redis_commands"],
            "aws_calls_per_visitor": aws_total / visitors,
            "redis_round_trips_per_visitor": counts["redis_round_trips"] / visitors,
            "redis_commands_per_visitor": counts["redis_commands"] / visitors,
            "cpu_ms_per_visitor": counts.get("cpu_ms", 0.0) / visitors,
            "aws_wait_ms_per_visitor": counts.get("aws_wait_ms", 0.0) / visitors,
            "counted_in_total": name not in MEASURING and name != RUNTIME,
        }
        rows.append(row)
        if row["counted_in_total"]:
            totals["aws_calls"] += row["aws_calls_per_visitor"]
            totals["redis_round_trips"] += row["redis_round_trips_per_visitor"]
            totals["redis_commands"] += row["redis_commands_per_visitor"]
            totals["cpu_ms"] += row["cpu_ms_per_visitor"]
            totals["aws_wait_ms"] += row["aws_wait_ms_per_visitor"]
    runtime = functions.get(RUNTIME, {}).get("aws", {})
    # API Gateway's service integration sends one SQS message per entry: a real per-visitor call.
    integration = runtime.get("sqs.SendMessage", 0) / visitors
    return {
        "visitors": visitors,
        "rows": rows,
        "handlers_per_visitor": totals,
        "entry_integration_per_visitor": integration,
        "aws_calls_per_visitor_with_entry": totals["aws_calls"] + integration,
        # Only meaningful when the counted process is a local runtime: everything it ran.
        "runtime_cpu_ms_per_visitor": counted["process_cpu_s"] * 1000 / visitors,
    }
