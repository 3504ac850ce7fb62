"""AWS calls and Redis round trips per visitor, for the journey enter -> position -> token -> authorize.

Counts are steadier than timings: this is the figure DESIGN.md section 6 sets targets for. The
handlers run in this process with `local.stats` counting (botocore `before-call` hooks on every
client, Redis round trips per packed write); the table goes to benchmarks/results/ and stdout.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.calls import calls_per_visitor
from benchmarks.conftest import RESULTS, Core
from benchmarks.test_handlers import METHOD_ARN, gatekeeper_through_generation, key_fetch_through_public_key
from local import stats

VISITORS = 200


def journey(core: Core, visitors: int) -> None:
    """What `visitors` visitors cost, from the entry message to the authorizer's Allow."""
    from lambdas import authorizer, queue_num, serving_num

    request_ids = core.enter(visitors)  # the worker, in batches of 100 as the event source sends them
    core.serve(visitors)
    for request_id in request_ids:
        query = {"event_id": core.event_id, "request_id": request_id}
        status, body = core.call(queue_num.handler, "GET", "/queue_num", query=query)
        assert status == 200, body
        status, body = core.call(
            serving_num.handler, "GET", "/serving_num", query={"event_id": core.event_id}
        )
        assert status == 200 and body["serving_counter"] >= 1
        status, tokens = core.token(request_id)
        assert status == 200, tokens
        event = {
            "type": "TOKEN",
            "authorizationToken": f"Bearer {tokens['access_token']}",
            "methodArn": METHOD_ARN,
        }
        assert authorizer.handler(event, None)["principalId"] == request_id


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Per visitor, journey enter -> position -> token -> authorize "
        f"({result['visitors']} visitors, warm containers)",
        "",
        "| function | invocations / visitor | AWS calls / visitor | by operation "
        "| Redis round trips / visitor | handler CPU ms / visitor |",
        "|---|---|---|---|---|---|",
    ]
    visitors = result["visitors"]
    for row in result["rows"]:
        operations = (
            ", ".join(f"{op} {n / visitors:.3f}" for op, n in sorted(row["aws_by_operation"].items())) or "-"
        )
        lines.append(
            f"| {row['function']} | {row['invocations'] / visitors:.2f} | {row['aws_calls_per_visitor']:.3f} "
            f"| {operations} | {row['redis_round_trips_per_visitor']:.2f} | {row['cpu_ms_per_visitor']:.2f} |"
        )
    totals = result["handlers_per_visitor"]
    lines.append(
        f"| **total** | | **{totals['aws_calls']:.3f}** | | **{totals['redis_round_trips']:.2f}** "
        f"| **{totals['cpu_ms']:.2f}** |"
    )
    lines += ["", "Plus 1 SQS SendMessage per visitor made by API Gateway's entry integration (no Lambda)."]
    return "\n".join(lines)


def test_calls_per_visitor(benchmark: Any, core: Core, monkeypatch: Any) -> None:
    from lambdas import authorizer
    from lambdas.waiting_room import aws
    from lambdas.waiting_room.settings import settings
    from lambdas.waiting_room.verification import KeyCache, Verifier

    stats.install_import_hook()
    # Clients made before counting started carry no hook: let the handlers make new ones.
    aws.client.cache_clear()
    verifier = Verifier(
        keys=KeyCache(key_fetch_through_public_key(core.event_id)),
        audience=core.event_id,
        issuer=settings().issuer,
    )
    monkeypatch.setattr(authorizer, "_verifier", lambda: verifier)
    gatekeeper = gatekeeper_through_generation(core.event_id)
    monkeypatch.setattr(authorizer, "_gatekeeper", lambda: gatekeeper)
    journey(core, 2)  # warm every container (secrets read, key parsed, key cache filled)

    before = stats.snapshot()
    benchmark.extra_info["journey"] = VISITORS
    benchmark.pedantic(journey, args=(core, VISITORS), rounds=1, iterations=1)
    result = calls_per_visitor(before, stats.snapshot(), VISITORS)

    RESULTS.mkdir(exist_ok=True)
    table = markdown(result)
    (RESULTS / "calls_per_visitor.md").write_text(table + "\n")
    (RESULTS / "calls_per_visitor.json").write_text(json.dumps(result, indent=2))
    print("\n" + table)
    # DESIGN.md section 6: the worker spends at most one write call per 25 visitors.
    worker = next(row for row in result["rows"] if row["function"] == "QueueWorker")
    assert worker["aws_calls_per_visitor"] <= 1 / 25 + 1e-9
